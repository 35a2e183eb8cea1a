"""Figures derived from a postmortem: durations, error budget, due dates. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pmbot.core.model import ActionItem, Postmortem, Severity

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Figures:
    """Incident durations; None where a needed time is missing.

    `duration` is the whole incident, start to resolution (or mitigation if unresolved).
    """

    duration: timedelta | None
    ttd: timedelta | None
    ttm: timedelta | None
    ttr: timedelta | None


def _since(start: datetime | None, end: datetime | None) -> timedelta | None:
    return None if start is None or end is None else end - start


def durations(pm: Postmortem) -> Figures:
    """TTD = detected − started, TTM = mitigated − started, TTR = resolved − started."""
    return Figures(
        duration=_since(pm.started, pm.resolved or pm.mitigated),
        ttd=_since(pm.started, pm.detected),
        ttm=_since(pm.started, pm.mitigated),
        ttr=_since(pm.started, pm.resolved),
    )


def allowed_minutes(slo_target_percent: float, window_days: int) -> float:
    """Minutes of violation an SLO tolerates over its window (99.9% over 30 days: 43.2)."""
    return (100.0 - slo_target_percent) / 100.0 * window_days * MINUTES_PER_DAY


def error_budget_consumed(
    impact_minutes: float, slo_target_percent: float, window_days: int = 30, share: float = 1.0
) -> float:
    """Fraction of the error budget used: minutes × share ÷ the minutes the SLO allows.

    90 minutes of full outage against 99.9%/30 days → 2.083 (208%); the same 90 minutes
    with 38% of requests failing → 0.792 (79%).
    """
    if not 0 < slo_target_percent < 100:
        raise ValueError(f"SLO target must be between 0 and 100 percent, got {slo_target_percent}")
    if window_days <= 0:
        raise ValueError(f"SLO window must be a positive number of days, got {window_days}")
    if not 0 < share <= 1:
        raise ValueError(f"the share affected must be above 0 and at most 1, got {share}")
    return impact_minutes * share / allowed_minutes(slo_target_percent, window_days)


def add_business_days(start: date, days: int) -> date:
    """`days` weekdays after `start`; Saturdays and Sundays are skipped, holidays are not."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def postmortem_due(
    resolved: date, severity: Severity | str, business_days_by_severity: Mapping[str, int]
) -> date | None:
    """When the postmortem is due; None when the severity has no deadline configured."""
    days = business_days_by_severity.get(str(severity))
    return None if days is None else add_business_days(resolved, days)


def item_due(item: ActionItem, opened: date, sla_days: Mapping[str, int]) -> date:
    """An explicit due date wins; otherwise the priority's SLA counted from `opened`."""
    if item.due is not None:
        return item.due
    return opened + timedelta(days=sla_days[str(item.priority)])


def format_duration(span: timedelta | None) -> str:
    """A short human duration: "1h 32m", "2d 3h", "45m", "0m"; "—" when unknown."""
    if span is None:
        return "—"
    sign = "-" if span < timedelta(0) else ""
    minutes = abs(int(span.total_seconds())) // 60
    days, rest = divmod(minutes, MINUTES_PER_DAY)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours else []
    parts += [f"{mins}m"] if mins or not parts else []
    return sign + " ".join(parts)
