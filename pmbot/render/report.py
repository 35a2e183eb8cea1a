"""The program report's figures (`Report`, computed by `pmbot.flows.report`) and how they read:
Markdown with Mermaid charts, JSON and CSV. Owners appear in backticks everywhere: the report
is posted to an issue and must not ping."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pmbot.core.model import Postmortem, Severity
from pmbot.core.timestamps import iso
from pmbot.render import charts

# A rate gets ⚠️ only when under half its target over at least three items: one late item
# of one is news for its owner, not a warning sign for the program.
FAR_BELOW = 0.5
WARN_MIN_COUNTED = 3
SEVERITIES = [str(s) for s in Severity]
# The severity chart always shows these, so "no SEV-1 this period" is seen, not missing.
SEVERITY_ALWAYS = ("SEV-1", "SEV-2", "SEV-3")
Format = Literal["md", "json", "csv"]


@dataclass(frozen=True, order=True)
class PostmortemRef:
    """A postmortem issue: `#N` within one repository, `OWNER/NAME#N` in a report across
    several, where issue numbers repeat (GitHub links both forms in an issue body)."""

    repository: str  # "" within one repository
    number: int

    def __str__(self) -> str:
        return f"{self.repository}#{self.number}"

    def json(self) -> int | str:
        """The issue number alone within one repository (as the report always gave it)."""
        return str(self) if self.repository else self.number


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
    repository: str = ""  # set in a report across repositories (issue numbers repeat)
    # Responders, and how many of them attended the review meeting (None: not recorded).
    attendance: tuple[int, int] | None = None

    @property
    def ref(self) -> PostmortemRef:
        return PostmortemRef(self.repository, self.number)

    @property
    def day(self) -> date | None:
        """The incident's day (started, else detected, else resolved)."""
        moment = self.started or self.detected or self.resolved
        return moment.date() if moment else None

    @classmethod
    def from_postmortem(
        cls, pm: Postmortem, number: int, published: date | None, repository: str = ""
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
            repository=repository,
            attendance=(att.responders, att.attended) if (att := pm.attendance) else None,
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
    postmortems: tuple[PostmortemRef, ...]


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
            {"kind": r.kind, "name": r.name, "postmortems": [p.json() for p in r.postmortems]}
            for r in report.recurring
        ],
        "wont_do": {"total": sum(report.wont_do.values()), "by_priority": report.wont_do},
    }


def csv_cell(value: object) -> str:
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
        refs = " ".join(str(p.json()) for p in r.postmortems)
        yield ("recurring", f"{r.kind}:{r.name}", "postmortems", refs)
    yield from (("wont_do", prio, "items", n) for prio, n in report.wont_do.items())


def _csv(report: Report) -> str:
    """Long format, one number per row: section, group, metric, value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "group", "metric", "value"])
    for row in _csv_rows(report):
        writer.writerow([csv_cell(v) for v in row])
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
    rows = [[r.kind, _code(r.name), " ".join(map(str, r.postmortems))] for r in report.recurring]
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


# --- an organisation: the program report and one row per repository ----------------------


def _repository_row(report: Report) -> dict[str, Any]:
    return {
        "postmortems": sum(sum(row.values()) for row in report.by_month.values()),
        "open_items": sum(load.open for load in report.open_by_owner.values()),
        "overdue_items": sum(load.overdue for load in report.open_by_owner.values()),
        "on_time": _rate_json(report.overall, report.target),
    }


def render_org_report(overall: Report, repositories: Mapping[str, Report], fmt: Format) -> str:
    """The organisation's report (all repositories' records together) and a breakdown by
    repository — a team's — as Markdown, JSON or CSV."""
    rows = {name: _repository_row(r) for name, r in sorted(repositories.items())}
    if fmt == "json":
        data = {**report_json(overall), "by_repository": rows}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["section", "group", "metric", "value"])
        for row in _csv_rows(overall):
            writer.writerow([csv_cell(v) for v in row])
        for name, values in rows.items():
            flat = {k: v for k, v in values.items() if k != "on_time"}
            flat.update({f"on_time_{k}": v for k, v in values["on_time"].items()})
            for metric, value in flat.items():
                writer.writerow([csv_cell(v) for v in ("by_repository", name, metric, value)])
        return out.getvalue()
    table = _table(
        ["Repository", "Postmortems", "Open items", "Overdue", "On time (decided)"],
        (
            [
                _code(name),
                r["postmortems"],
                r["open_items"],
                r["overdue_items"],
                _pct(repositories[name].overall.rate)
                + _mark(repositories[name].overall, overall.target),
            ]
            for name, r in rows.items()
        ),
    )
    section = ["## By repository", "", *table, ""]
    return _markdown(overall).rstrip("\n") + "\n\n" + "\n".join(section)
