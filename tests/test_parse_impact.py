from __future__ import annotations

import pytest

from pmbot.core.parse.common import Unreadable
from pmbot.core.parse.impact import parse_minutes, parse_share, parse_slo


@pytest.mark.parametrize(
    ("text", "slo"),
    [
        ("99.9% over 30 days", (99.9, 30)),
        ("99.95%", (99.95, 30)),
        ("99.9 % / 28d", (99.9, 28)),
        ("99.5% over a rolling 4 weeks", (99.5, 28)),
        ("99% per 7 days", (99.0, 7)),
    ],
)
def test_slo(text: str, slo: tuple[float, int]) -> None:
    assert parse_slo(text) == slo


@pytest.mark.parametrize("text", ["three nines", "100%", "0%", "99.9% over 0 days", "99.9"])
def test_bad_slo(text: str) -> None:
    with pytest.raises(Unreadable):
        parse_slo(text)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("90", 90), ("~90 minutes", 90), ("1h 30m", 90), ("1.5 h", 90), ("45 min", 45)],
)
def test_minutes(text: str, minutes: float) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["ninety", "-5", "90 users", "a while"])
def test_bad_minutes(text: str) -> None:
    with pytest.raises(Unreadable, match="not a number of minutes"):
        parse_minutes(text)


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("38%", 0.38),
        ("38 %", 0.38),
        ("~38% of requests", 0.38),
        ("0.38", 0.38),
        ("100%", 1.0),
        ("12.5% of users", 0.125),
        (".5", 0.5),
    ],
)
def test_share(text: str, share: float) -> None:
    assert parse_share(text) == pytest.approx(share)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("38", "no % sign"),
        ("0%", "not between"),
        ("150%", "not between"),
        ("most of them", "not a share"),
        ("38% " + "x" * 60, "not a share"),
    ],
)
def test_bad_share(text: str, why: str) -> None:
    with pytest.raises(Unreadable, match=why):
        parse_share(text)
