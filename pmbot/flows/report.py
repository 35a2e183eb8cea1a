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

Owners appear in backticks everywhere: the report is posted to an issue and must not ping.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pmbot.core.config import Config
from pmbot.core.figures import postmortem_due
from pmbot.core.model import Postmortem, Priority, Severity, utc
from pmbot.core.timestamps import iso
from pmbot.flows.items import TrackedItem
from pmbot.render import charts

# A rate gets ⚠️ only when under half its target over at least three items: one late item
# of one is news for its owner, not a warning sign for the program.
FAR_BELOW = 0.5
WARN_MIN_COUNTED = 3
AGE_BUCKETS = ((7, "1-7 days"), (30, "8-30 days"), (90, "31-90 days"), (None, "over 90 days"))
SEVERITIES = [str(s) for s in Severity]
# The severity chart always shows these, so "no SEV-1 this period" is seen, not missing.
SEVERITY_ALWAYS = ("SEV-1", "SEV-2", "SEV-3")
Format = Literal["md", "json", "csv"]


@dataclass(frozen=True)
class PostmortemRecord:
    """What the report needs of one postmortem (from its document and issue)."""

    number: int
    title: str
    severity: str
    started: datetime | None = None
    detected: datetime | None = None
    resolved: datetime | None = None
    published: date | None = None  # the day the document was merged
    services: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def day(self) -> date | None:
        """The incident's day (started, else detected, else resolved)."""
        moment = self.started or self.detected or self.resolved
        return moment.date() if moment else None

    @classmethod
    def from_postmortem(
        cls, pm: Postmortem, number: int, published: date | None
    ) -> PostmortemRecord:
        categories = tuple(sorted({str(f.category) for f in pm.contributing_factors}))
        return cls(
            number=number,
            title=pm.title,
            severity=str(pm.severity),
            started=pm.started,
            detected=pm.detected,
            resolved=pm.resolved,
            published=published,
            services=pm.services,
            tags=pm.tags,
            categories=categories,
        )


@dataclass(frozen=True)
class Rate:
    on_time: int = 0
    late: int = 0

    @property
    def counted(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float | None:
        return round(self.on_time / self.counted, 4) if self.counted else None

    def meets(self, target: float) -> bool | None:
        return None if self.rate is None else self.rate >= target

    def add(self, on_time: bool) -> Rate:
        return Rate(self.on_time + on_time, self.late + (not on_time))


@dataclass(frozen=True)
class Load:
    """Open work of one owner."""

    open: int = 0
    overdue: int = 0
    oldest_overdue_days: int = 0


@dataclass(frozen=True)
class Trend:
    incidents: int
    ttd_median_minutes: float | None
    ttr_median_minutes: float | None


@dataclass(frozen=True)
class Recurrence:
    kind: str  # service | tag | category
    name: str
    postmortems: tuple[int, ...]


@dataclass(frozen=True)
class Report:
    generated: datetime
    target: float
    by_month: Mapping[str, Mapping[str, int]]
    time_to_postmortem: Rate
    pending_postmortems: int
    median_days_to_postmortem: float | None
    by_priority: Mapping[str, Rate]
    by_owner: Mapping[str, Rate]
    overall: Rate
    open_by_owner: Mapping[str, Load]
    overdue_ages: Mapping[str, int]
    trends: Mapping[str, Trend]
    recurring: tuple[Recurrence, ...]
    recurring_window_days: int
    wont_do: Mapping[str, int]


# --- computing --------------------------------------------------------------------------


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
        recurring=_recurring(postmortems, config.similar.window_days),
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


def _recurring(postmortems: Sequence[PostmortemRecord], window_days: int) -> tuple[Recurrence, ...]:
    seen: dict[tuple[str, str], list[tuple[date, int]]] = defaultdict(list)
    for pm in postmortems:
        if pm.day is None:
            continue
        for kind, names in (
            ("service", pm.services),
            ("tag", pm.tags),
            ("category", pm.categories),
        ):
            for name in {n.strip().lower() for n in names if n.strip()}:
                seen[(kind, name)].append((pm.day, pm.number))
    found = []
    for (kind, name), hits in seen.items():
        close = _within_window(sorted(hits), window_days)
        if len(close) >= 2:
            found.append(Recurrence(kind, name, tuple(sorted(close))))
    return tuple(sorted(found, key=lambda r: (-len(r.postmortems), r.kind, r.name)))


def _within_window(hits: list[tuple[date, int]], window_days: int) -> set[int]:
    """Postmortems with at least one other of the same key within the window."""
    close: set[int] = set()
    for (day_a, num_a), (day_b, num_b) in itertools.pairwise(hits):
        if (day_b - day_a).days <= window_days:
            close |= {num_a, num_b}
    return close


# --- rendering --------------------------------------------------------------------------


def render_report(report: Report, fmt: Format) -> str:
    """The report as Markdown (with Mermaid charts), JSON or CSV."""
    if fmt == "json":
        return json.dumps(report_json(report), indent=2, sort_keys=True) + "\n"
    if fmt == "csv":
        return _csv(report)
    return _markdown(report)


def _rate_json(rate: Rate, target: float) -> dict[str, Any]:
    return {
        "on_time": rate.on_time,
        "late": rate.late,
        "counted": rate.counted,
        "rate": rate.rate,
        "meets_target": rate.meets(target),
    }


def report_json(report: Report) -> dict[str, Any]:
    t = report.target
    return {
        "generated": iso(report.generated),
        "on_time_target": t,
        "postmortems_by_month": report.by_month,
        "time_to_postmortem": {
            **_rate_json(report.time_to_postmortem, t),
            "pending": report.pending_postmortems,
            "median_days": report.median_days_to_postmortem,
        },
        "action_items": {
            "overall": _rate_json(report.overall, t),
            "by_priority": {k: _rate_json(v, t) for k, v in report.by_priority.items()},
            "by_owner": {k: _rate_json(v, t) for k, v in report.by_owner.items()},
        },
        "open_by_owner": {k: vars(v) for k, v in report.open_by_owner.items()},
        "overdue_by_age": report.overdue_ages,
        "trends": {k: vars(v) for k, v in report.trends.items()},
        "recurring": [
            {"kind": r.kind, "name": r.name, "postmortems": list(r.postmortems)}
            for r in report.recurring
        ],
        "wont_do": {"total": sum(report.wont_do.values()), "by_priority": report.wont_do},
    }


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_rows(report: Report) -> Iterable[tuple[str, str, str, object]]:
    for month, row in report.by_month.items():
        yield from (("postmortems_by_month", month, sev, n) for sev, n in row.items())
    ttp = _rate_json(report.time_to_postmortem, report.target)
    yield from (("time_to_postmortem", "all", k, v) for k, v in ttp.items())
    yield ("time_to_postmortem", "all", "pending", report.pending_postmortems)
    yield ("time_to_postmortem", "all", "median_days", report.median_days_to_postmortem)
    groups = {"overall": {"all": report.overall}, "priority": report.by_priority}
    groups["owner"] = dict(report.by_owner)
    for group, rates in groups.items():
        for name, rate in rates.items():
            for metric, value in _rate_json(rate, report.target).items():
                yield (f"on_time_by_{group}", name, metric, value)
    for owner, load in report.open_by_owner.items():
        yield from (("open_by_owner", owner, k, v) for k, v in vars(load).items())
    yield from (("overdue_by_age", age, "items", n) for age, n in report.overdue_ages.items())
    for month, trend in report.trends.items():
        yield from (("trend", month, k, v) for k, v in vars(trend).items())
    for r in report.recurring:
        yield ("recurring", f"{r.kind}:{r.name}", "postmortems", " ".join(map(str, r.postmortems)))
    yield from (("wont_do", prio, "items", n) for prio, n in report.wont_do.items())


def _csv(report: Report) -> str:
    """Long format, one number per row: section, group, metric, value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "group", "metric", "value"])
    for row in _csv_rows(report):
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _code(name: str) -> str:
    """A user-given name as inline code: shown as written, never a mention or markup."""
    return "`" + name.replace("`", "'") + "`"


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def _mark(rate: Rate, target: float) -> str:
    """✅ when the target is met; ⚠️ only when far below it on enough items to mean it."""
    meets = rate.meets(target)
    if meets is None:
        return ""
    if meets:
        return " ✅"
    far_below = rate.rate is not None and rate.rate < target * FAR_BELOW
    return " ⚠️" if far_below and rate.counted >= WARN_MIN_COUNTED else ""


def _bar_chart(title: str, labels: Sequence[str], values: Sequence[float], y: str) -> list[str]:
    """Counts as bars (whole-number ticks); nothing for fewer than two bars."""
    return charts.bar_counts(title, labels, values, y)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    cells = (" | ".join(str(c).replace("|", "/").replace("\n", " ") for c in row) for row in rows)
    lines += [f"| {text} |" for text in cells]
    return lines


def _md_postmortems(report: Report) -> list[str]:
    lines = ["## Postmortems by month and severity", ""]
    if not report.by_month:
        return [*lines, "No postmortems yet.", ""]
    months = list(report.by_month)
    totals = [sum(report.by_month[m].values()) for m in months]
    sevs = [s for s in SEVERITIES if any(s in row for row in report.by_month.values())]
    by_sev = {s: sum(row.get(s, 0) for row in report.by_month.values()) for s in SEVERITIES}
    chart = _bar_chart("Postmortems by month", months, totals, "postmortems")
    lines += [*chart, ""] if chart else []
    if sum(totals) >= charts.MIN_POINTS:
        shown = [s for s in SEVERITIES if by_sev[s] or s in SEVERITY_ALWAYS]
        counts = [by_sev[s] for s in shown]
        lines += [*_bar_chart("Postmortems by severity", shown, counts, "postmortems"), ""]
    rows = [
        [m, *(report.by_month[m].get(s, 0) for s in sevs), t]
        for m, t in zip(months, totals, strict=True)
    ]
    return [*lines, *_table(["Month", *sevs, "Total"], rows), ""]


def _md_time_to_postmortem(report: Report) -> list[str]:
    ttp = report.time_to_postmortem
    median = report.median_days_to_postmortem
    return [
        "## Time to postmortem",
        "",
        f"{ttp.on_time} of {ttp.counted} documents merged within their target "
        f"({_pct(ttp.rate)}); {ttp.late} late, {report.pending_postmortems} not yet due. "
        f"Median {'—' if median is None else f'{median:g} days'} from resolution to merge.",
        "",
    ]


def _md_completion(report: Report) -> list[str]:
    t, overall = report.target, report.overall
    lines = [f"## Action items completed on time (target {_pct(t)})", ""]
    if not overall.counted:
        return [*lines, "No action item has reached its due date yet.", ""]
    lines.append(
        f"Overall: {overall.on_time} of {overall.counted} on time, {_pct(overall.rate)}"
        f"{_mark(overall, t)}."
    )
    # Priorities with nothing decided yet are left out: a 0 bar would read as 0% on time.
    decided = {p: r for p, r in report.by_priority.items() if r.rate is not None}
    rates = [round((r.rate or 0) * 100) for r in decided.values()]
    chart = charts.bar_percent(
        "On time by priority (%)", list(decided), rates, "% on time", t * 100
    )
    lines += ["", *chart] if chart else []
    lines.append("")
    rows = [[p, r.on_time, r.late, _pct(r.rate) + _mark(r, t)] for p, r in decided.items()]
    lines += [*_table(["Priority", "On time", "Late", "Rate"], rows), ""]
    rows = [
        [_code(o), r.on_time, r.late, _pct(r.rate) + _mark(r, t)]
        for o, r in report.by_owner.items()
    ]
    lines += [*_table(["Owner", "On time", "Late", "Rate"], rows), ""]
    return lines


def _md_open(report: Report) -> list[str]:
    lines = ["## Open and overdue", ""]
    if not report.open_by_owner:
        return [*lines, "No open action items.", ""]
    rows = [
        [_code(o), ld.open, ld.overdue, ld.oldest_overdue_days if ld.overdue else "—"]
        for o, ld in report.open_by_owner.items()
    ]
    lines += [*_table(["Owner", "Open", "Overdue", "Most days overdue"], rows), ""]
    if any(report.overdue_ages.values()):
        lines += [*_table(["Days overdue", "Items"], report.overdue_ages.items()), ""]
    return lines


def _md_trends(report: Report) -> list[str]:
    lines = ["## Detection and resolution (median minutes)", ""]
    if not report.trends:
        return [*lines, "No incidents with timelines yet.", ""]
    # Months without a measured TTR are left out of the line rather than drawn as 0.
    months = [m for m, tr in report.trends.items() if tr.ttr_median_minutes is not None]
    ttr = [report.trends[m].ttr_median_minutes or 0 for m in months]
    chart = charts.line_chart("Median time to resolve (minutes)", months, ttr, "minutes")
    lines += [*chart, ""] if chart else []
    rows = [
        [m, t.incidents, _num(t.ttd_median_minutes), _num(t.ttr_median_minutes)]
        for m, t in report.trends.items()
    ]
    return lines + _table(["Month", "Incidents", "TTD", "TTR"], rows) + [""]


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _md_recurring(report: Report) -> list[str]:
    lines = [f"## Recurring incidents (within {report.recurring_window_days} days)", ""]
    if not report.recurring:
        return [*lines, "None: no service, tag or category repeated.", ""]
    rows = [
        [r.kind, _code(r.name), " ".join(f"#{n}" for n in r.postmortems)] for r in report.recurring
    ]
    return lines + _table(["Kind", "Name", "Postmortems"], rows) + [""]


def _md_wont_do(report: Report) -> list[str]:
    total = sum(report.wont_do.values())
    detail = ", ".join(f"{p}: {n}" for p, n in report.wont_do.items())
    items = "item" if total == 1 else "items"
    by = f" ({detail})" if detail else ""
    return [
        "## Closed as not planned",
        "",
        f"{total} action {items} closed as not planned{by}.",
        "",
    ]


def _markdown(report: Report) -> str:
    lines = [f"# Postmortem program report — {report.generated.date().isoformat()}", ""]
    for section in (
        _md_postmortems,
        _md_time_to_postmortem,
        _md_completion,
        _md_open,
        _md_trends,
        _md_recurring,
        _md_wont_do,
    ):
        lines += section(report)
    return "\n".join(lines).rstrip() + "\n"
