"""The program report: is the postmortem practice working? Pure: records and a clock in.

Definitions (so the numbers can be checked by hand):

- *Time to postmortem*: from the incident's resolution to the document's merge, against the
  severity's business-day target. Unmerged and already late counts as late; unmerged and
  not yet due is pending and left out of the rate.
- *On time*: an action item counts once it is decided — closed as completed, or open past
  its due date (the day after it). It is on time when closed on or before its due date.
  Open items not yet due are not counted; items closed as not planned (`/pmbot wont-do`)
  are counted apart, never as done or late.
- *Overdue*: open with today after the due date; its age is the days since the due date.
- *Recurring*: a service, tag or contributing-factor category named by two or more
  postmortems whose dates fall within `similar.window_days` (180) of each other.

The figures are computed here; `pmbot.render.report` holds them and writes them as Markdown,
JSON or CSV.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from pmbot.core.config import Config
from pmbot.core.figures import postmortem_due
from pmbot.core.model import Priority, utc
from pmbot.flows.items import TrackedItem
from pmbot.render.report import (
    Load,
    PostmortemRecord,
    PostmortemRef,
    Rate,
    Recurrence,
    Report,
    Trend,
)

__all__ = ["PostmortemRecord", "Report", "compute_report"]

AGE_BUCKETS = ((7, "1-7 days"), (30, "8-30 days"), (90, "31-90 days"), (None, "over 90 days"))


def compute_report(
    postmortems: Sequence[PostmortemRecord],
    items: Sequence[TrackedItem],
    now: datetime,
    config: Config,
) -> Report:
    today = utc(now).date()
    ttp, pending, days = _time_to_postmortem(postmortems, today, config)
    counted = [i for i in items if not _wont_do(i, config)]
    return Report(
        generated=utc(now),
        target=config.report.on_time_target,
        by_month=_by_month(postmortems),
        time_to_postmortem=ttp,
        pending_postmortems=pending,
        median_days_to_postmortem=statistics.median(days) if days else None,
        by_priority=_rates(counted, today, lambda i: str(i.priority), [str(p) for p in Priority]),
        by_owner=_rates(counted, today, _owner_key),
        overall=_rates(counted, today, lambda i: "all").get("all", Rate()),
        open_by_owner=_open_by_owner(items, today),
        overdue_ages=_overdue_ages(items, today),
        trends=_trends(postmortems),
        recurring=recurring(postmortems, config.similar.window_days),
        recurring_window_days=config.similar.window_days,
        wont_do=_count(str(i.priority) for i in items if _wont_do(i, config)),
    )


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _count(keys: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for key in keys:
        counts[key] += 1
    return dict(sorted(counts.items()))


def _by_month(postmortems: Sequence[PostmortemRecord]) -> dict[str, dict[str, int]]:
    months: dict[str, dict[str, int]] = defaultdict(dict)
    for pm in postmortems:
        if pm.day is not None:
            row = months[_month(pm.day)]
            row[pm.severity] = row.get(pm.severity, 0) + 1
    return dict(sorted(months.items()))


def _time_to_postmortem(
    postmortems: Sequence[PostmortemRecord], today: date, config: Config
) -> tuple[Rate, int, list[int]]:
    targets = {str(s): n for s, n in config.severity_due_business_days.items()}
    rate, pending, days = Rate(), 0, []
    for pm in postmortems:
        if pm.resolved is None:
            continue
        due = postmortem_due(pm.resolved.date(), pm.severity, targets)
        if pm.published is not None:
            days.append((pm.published - pm.resolved.date()).days)
        if due is None:
            continue
        if pm.published is not None:
            rate = rate.add(pm.published <= due)
        elif today > due:
            rate = rate.add(False)
        else:
            pending += 1
    return rate, pending, days


def _wont_do(item: TrackedItem, config: Config) -> bool:
    return item.state_reason == "not_planned" or config.labels.wont_do.name in item.labels


def _owner_key(item: TrackedItem) -> str:
    return item.owner or "(unowned)"


def _decided(item: TrackedItem, today: date) -> bool | None:
    """True on time, False late, None not decided yet (open and not yet past due)."""
    if not item.is_open:
        closed = item.closed_at.date() if item.closed_at else today
        return closed <= item.due
    return False if today > item.due else None


def _rates(
    items: Sequence[TrackedItem],
    today: date,
    key: Callable[[TrackedItem], str],
    order: Sequence[str] = (),
) -> dict[str, Rate]:
    rates: dict[str, Rate] = {name: Rate() for name in order}
    for item in items:
        outcome = _decided(item, today)
        if outcome is not None:
            name = key(item)
            rates[name] = rates.get(name, Rate()).add(outcome)
    return rates if order else dict(sorted(rates.items()))


def _open_by_owner(items: Sequence[TrackedItem], today: date) -> dict[str, Load]:
    loads: dict[str, Load] = {}
    for item in items:
        if not item.is_open:
            continue
        late = (today - item.due).days
        load = loads.get(_owner_key(item), Load())
        loads[_owner_key(item)] = Load(
            open=load.open + 1,
            overdue=load.overdue + (late > 0),
            oldest_overdue_days=max(load.oldest_overdue_days, late),
        )
    return dict(sorted(loads.items(), key=lambda kv: (-kv[1].overdue, -kv[1].open, kv[0])))


def _overdue_ages(items: Sequence[TrackedItem], today: date) -> dict[str, int]:
    ages = {label: 0 for _, label in AGE_BUCKETS}
    for item in items:
        late = (today - item.due).days
        if item.is_open and late > 0:
            label = next(lbl for limit, lbl in AGE_BUCKETS if limit is None or late <= limit)
            ages[label] += 1
    return ages


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds() / 60


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def _trends(postmortems: Sequence[PostmortemRecord]) -> dict[str, Trend]:
    months: dict[str, list[PostmortemRecord]] = defaultdict(list)
    for pm in postmortems:
        if pm.day is not None:
            months[_month(pm.day)].append(pm)
    return {
        month: Trend(
            incidents=len(pms),
            ttd_median_minutes=_median(_minutes(p.started, p.detected) for p in pms),
            ttr_median_minutes=_median(_minutes(p.started, p.resolved) for p in pms),
        )
        for month, pms in sorted(months.items())
    }


def recurring(postmortems: Sequence[PostmortemRecord], window_days: int) -> tuple[Recurrence, ...]:
    seen: dict[tuple[str, str], list[tuple[date, PostmortemRef]]] = defaultdict(list)
    for pm in postmortems:
        if pm.day is None:
            continue
        for kind, names in (
            ("service", pm.services),
            ("tag", pm.tags),
            ("category", pm.categories),
        ):
            for name in {n.strip().lower() for n in names if n.strip()}:
                seen[(kind, name)].append((pm.day, pm.ref))
    found = []
    for (kind, name), hits in seen.items():
        close = _within_window(sorted(hits), window_days)
        if len(close) >= 2:
            found.append(Recurrence(kind, name, tuple(sorted(close))))
    return tuple(sorted(found, key=lambda r: (-len(r.postmortems), r.kind, r.name)))


def _within_window(hits: list[tuple[date, PostmortemRef]], window_days: int) -> set[PostmortemRef]:
    """Postmortems with at least one other of the same key within the window."""
    close: set[PostmortemRef] = set()
    for (day_a, num_a), (day_b, num_b) in itertools.pairwise(hits):
        if (day_b - day_a).days <= window_days:
            close |= {num_a, num_b}
    return close
