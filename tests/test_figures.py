from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pmbot.core.figures import (
    add_business_days,
    allowed_minutes,
    durations,
    error_budget_consumed,
    format_duration,
    item_due,
    postmortem_due,
)
from pmbot.core.model import ActionItem, Postmortem, Priority, Severity

SLA = {"P0": 14, "P1": 28, "P2": 56, "P3": 90}
DUE = {"SEV-1": 5, "SEV-2": 5, "SEV-3": 10}


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 3, hour, minute, tzinfo=UTC)


def test_durations_from_the_four_times() -> None:
    pm = Postmortem(
        title="t",
        severity=Severity.SEV2,
        started=at(14, 2),
        detected=at(14, 9),
        mitigated=at(15, 34),
        resolved=at(16, 10),
    )
    figures = durations(pm)
    assert figures.ttd == timedelta(minutes=7)
    assert figures.ttm == timedelta(minutes=92)
    assert figures.ttr == timedelta(minutes=128)
    assert figures.duration == figures.ttr


def test_durations_missing_times_are_none() -> None:
    figures = durations(Postmortem(title="t", severity=Severity.SEV3, started=at(1, 0)))
    assert figures.ttd is None and figures.ttm is None and figures.ttr is None
    assert figures.duration is None


def test_duration_falls_back_to_mitigation() -> None:
    pm = Postmortem(title="t", severity=Severity.SEV3, started=at(1, 0), mitigated=at(2, 0))
    assert durations(pm).duration == timedelta(hours=1)


def test_error_budget_matches_the_design_numbers() -> None:
    assert allowed_minutes(99.9, 30) == pytest.approx(43.2)
    assert error_budget_consumed(90, 99.9, 30) == pytest.approx(2.0833, rel=1e-3)
    assert round(error_budget_consumed(90, 99.9) * 100) == 208
    assert error_budget_consumed(0, 99.95, 7) == 0


def test_error_budget_counts_only_the_share_affected() -> None:
    # 90 minutes at 38% on 99.9%/30 days: 34.2 bad minutes of 43.2 allowed is 79%, not 208%.
    assert error_budget_consumed(90, 99.9, 30, share=0.38) == pytest.approx(34.2 / 43.2)
    assert round(error_budget_consumed(90, 99.9, 30, share=0.38) * 100) == 79
    assert error_budget_consumed(90, 99.9, 30, share=1.0) == error_budget_consumed(90, 99.9, 30)


@pytest.mark.parametrize("share", [0, -0.1, 1.5])
def test_error_budget_rejects_impossible_shares(share: float) -> None:
    with pytest.raises(ValueError, match="share affected"):
        error_budget_consumed(90, 99.9, 30, share=share)


@pytest.mark.parametrize("target", [0, 100, 150, -1])
def test_error_budget_rejects_impossible_targets(target: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        error_budget_consumed(10, target, 30)


def test_business_days_skip_weekends() -> None:
    friday = date(2026, 11, 6)
    assert add_business_days(friday, 1) == date(2026, 11, 9)
    assert add_business_days(friday, 5) == date(2026, 11, 13)
    saturday = date(2026, 11, 7)
    assert add_business_days(saturday, 1) == date(2026, 11, 9)
    assert add_business_days(friday, 0) == friday


def test_postmortem_due_by_severity() -> None:
    tuesday = date(2026, 11, 3)
    assert postmortem_due(tuesday, Severity.SEV1, DUE) == date(2026, 11, 10)
    assert postmortem_due(tuesday, "SEV-2", DUE) == date(2026, 11, 10)
    assert postmortem_due(tuesday, Severity.SEV3, DUE) == date(2026, 11, 17)
    assert postmortem_due(tuesday, Severity.SEV4, DUE) is None
    assert postmortem_due(tuesday, Severity.NEAR_MISS, DUE) is None
    assert postmortem_due(tuesday, Severity.SEV4, {"SEV-4": 20}) == date(2026, 12, 1)


def test_item_due_explicit_date_wins() -> None:
    item = ActionItem(key="k", what="w", priority=Priority.P3, due=date(2026, 12, 1))
    assert item_due(item, date(2026, 11, 3), SLA) == date(2026, 12, 1)


@pytest.mark.parametrize(("priority", "days"), [("P0", 14), ("P1", 28), ("P2", 56), ("P3", 90)])
def test_item_due_from_sla(priority: str, days: int) -> None:
    item = ActionItem(key="k", what="w", priority=Priority(priority))
    opened = date(2026, 11, 3)
    assert item_due(item, opened, SLA) == opened + timedelta(days=days)


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(minutes=92), "1h 32m"),
        (timedelta(minutes=45), "45m"),
        (timedelta(hours=2), "2h"),
        (timedelta(days=2, hours=3), "2d 3h"),
        (timedelta(seconds=30), "0m"),
        (timedelta(minutes=-5), "-5m"),
        (None, "—"),
    ],
)
def test_format_duration(span: timedelta | None, text: str) -> None:
    assert format_duration(span) == text
