from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from pmbot.core.parse.common import Unreadable
from pmbot.core.parse.times import leading_stamp, parse_date, parse_moment


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-03 14:02",
        "2026-11-03 14:02 UTC",
        "2026-11-03T14:02Z",
        "2026-11-03T14:02:00Z",
        "2026-11-03T14:02:00.000+00:00",
        "2026-11-03T15:02+01:00",
        "2026-11-03T09:02-05:00",
        "2026-11-03 15:02 +0100",
        " `2026-11-03 14:02` ",
    ],
)
def test_moments_are_normalised_to_utc(text: str) -> None:
    moment = parse_moment(text)
    assert moment == datetime(2026, 11, 3, 14, 2, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)


def test_offset_can_cross_midnight() -> None:
    assert parse_moment("2026-11-04T01:30+02:00") == datetime(2026, 11, 3, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-02-30 10:00", "is not a real date"),
        ("2026-13-01 10:00", "is not a real date"),
        ("2026-11-03 25:00", "is not a time of day"),
        ("2026-11-03 14:60", "is not a time of day"),
        ("2026-11-03T14:02+15:00", "is not a UTC offset"),
        ("2026-11-03", "has a date but no time"),
        ("yesterday afternoon", "is not a date and time"),
        ("03/11/2026 14:02", "is not a date and time"),
        ("", "is not a date and time"),
    ],
)
def test_bad_moments_say_why_and_how_to_fix(text: str, says: str) -> None:
    with pytest.raises(Unreadable) as caught:
        parse_moment(text)
    assert says in caught.value.message
    assert caught.value.fix


def test_leading_stamp_clock_only_keeps_the_rest() -> None:
    found = leading_stamp("14:02 Deploy starts")
    assert found is not None
    stamp, rest = found
    assert stamp.moment is None and stamp.clock == time(14, 2)
    assert rest.strip() == "Deploy starts"
    assert stamp.on(date(2026, 11, 3)) == datetime(2026, 11, 3, 14, 2, tzinfo=UTC)


def test_leading_stamp_with_zone_words_is_not_confused_by_text() -> None:
    found = leading_stamp("14:02 Zookeeper restarted")
    assert found is not None
    assert found[1].strip() == "Zookeeper restarted"
    assert found[0].offset == timedelta(0)


def test_leading_stamp_none_without_time() -> None:
    assert leading_stamp("Deploy starts") is None


def test_parse_date() -> None:
    assert parse_date("2026-12-15") == date(2026, 12, 15)
    with pytest.raises(Unreadable, match="not a real date"):
        parse_date("2026-02-29")
    with pytest.raises(Unreadable, match="not a date") as caught:
        parse_date("next week")
    assert "YYYY-MM-DD" in caught.value.fix
