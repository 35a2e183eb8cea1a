"""One text form for instants: what GitHub sends, what markers hold, what --now accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pmbot.core.timestamps import iso, parse_iso


def test_iso_is_utc_to_the_second_with_a_z() -> None:
    paris = timezone(timedelta(hours=1))
    assert iso(datetime(2026, 1, 9, 13, 0, 0, 999_999, tzinfo=paris)) == "2026-01-09T12:00:00Z"
    with pytest.raises(ValueError, match="naive"):
        iso(datetime(2026, 1, 9, 12))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    "text",
    ["2026-01-09T12:00:00Z", "2026-01-09T13:00:00+01:00", "2026-01-09T12:00", " 2026-01-09T12:00Z"],
)
def test_parse_iso_gives_aware_utc(text: str) -> None:
    moment = parse_iso(text)
    assert moment == datetime(2026, 1, 9, 12, tzinfo=UTC)
    assert moment.tzinfo is UTC
    assert iso(moment) == "2026-01-09T12:00:00Z"


def test_parse_iso_refuses_what_is_not_a_time() -> None:
    with pytest.raises(ValueError):
        parse_iso("next tuesday")
