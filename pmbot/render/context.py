"""The document's context: a postmortem and its tracking → the typed values a template sees
(`DocumentContext`), the flat front matter and the hidden data the library index reads.
Everything user-written is made inert here, before any template sees it."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import yaml

from pmbot.core import figures as fig
from pmbot.core.lifecycle import ItemProgress, ItemState, Progress, Stage, Tracking, status
from pmbot.core.markers import defuse_markers
from pmbot.core.mentions import silence
from pmbot.core.model import Postmortem, TimelineEvent, utc
from pmbot.core.safe_markdown import inert_line, neutralise, neutralise_line
from pmbot.core.timestamps import iso
from pmbot.render.findings import shorten
from pmbot.render.library import (
    LibraryEntry,
    entry_from_postmortem,
    link_target,
    shared,
)

SCHEMA_VERSION = 2
FIGURE_KEYS = (
    "ttd_minutes",
    "ttm_minutes",
    "ttr_minutes",
    "duration_minutes",
    "error_budget_consumed_percent",
)
IMPACT_LINE_LIMIT = 100
# libyaml's safe dumper when present: same output, several times faster.
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


# --- the context ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureContext:
    """Incident figures: numbers for the front matter, short strings for people."""

    ttd_minutes: float | None
    ttm_minutes: float | None
    ttr_minutes: float | None
    duration_minutes: float | None
    error_budget_consumed_percent: float | None
    ttd: str
    ttm: str
    ttr: str
    duration: str

    def numbers(self) -> dict[str, float | None]:
        return {key: getattr(self, key) for key in FIGURE_KEYS}


@dataclass(frozen=True)
class ImpactContext:
    users: str | None
    revenue: str | None
    description: str | None
    minutes: float | None
    share_percent: float | None  # of requests or users affected; None when all were
    slo_target: float | None
    slo_window_days: int


@dataclass(frozen=True)
class TimelineRow:
    at: str  # "2025-03-01 14:02" (UTC)
    text: str
    day: str  # "2025-03-01": the shipped template shows it once per day
    time: str  # "14:02"
    source: str | None = None  # alert, deploy, chat, note …


@dataclass(frozen=True)
class FactorRow:
    key: str
    category: str
    description: str
    weight: str | None = None  # primary or contributing


@dataclass(frozen=True)
class ReviewContext:
    """The review meeting. People read `@login` or a name."""

    date: str | None
    facilitator: str | None
    attendees: tuple[str, ...]
    attendance: str | None  # "4 of 5 responders (80%)", when both lists are given

    @property
    def recorded(self) -> bool:
        return bool(self.date or self.facilitator or self.attendees)


@dataclass(frozen=True)
class WhyChainContext:
    title: str | None
    steps: tuple[str, ...]


@dataclass(frozen=True)
class ItemRow:
    key: str  # pmbot's key for the row; not shown (it means nothing to a reader)
    what: str
    owner: str | None
    owner_is_team: bool
    priority: str
    due: str | None  # the issue's due date, else the form's; None until the SLA sets one
    type: str | None
    success: str | None
    addresses: str | None
    issue: int | None  # the item's issue, once opened
    issue_link: str  # "[#12](https://…/issues/12)", "#12", or "—"
    state: str  # open, overdue, done, won't do, not opened yet
    depends_on: tuple[str, ...] = ()  # keys of the items this one waits for, as written
    blocked_by: tuple[str, ...] = ()  # the same, as their issue links (the key before one)


@dataclass(frozen=True)
class StageRow:
    name: str
    date: str | None


@dataclass(frozen=True)
class SimilarRow:
    title: str
    link: str  # relative to this document
    date: str | None
    severity: str | None
    shared: str  # "services: api; tags: database"


@dataclass(frozen=True)
class DocumentContext:
    """Everything a template may use. All user text is already defused of pmbot markers."""

    front_matter: str  # YAML from PyYAML's safe dumper, ending in a newline
    title: str
    severity: str
    status: str
    date: str | None
    issue: int | None
    incident_commander: str | None
    authors: tuple[str, ...]
    responders: tuple[str, ...]  # `@login` or a name
    review: ReviewContext
    services: tuple[str, ...]
    tags: tuple[str, ...]
    started: str | None
    detected: str | None
    mitigated: str | None
    resolved: str | None
    detection_method: str | None
    summary: str | None
    impact: ImpactContext
    figures: FigureContext
    timeline: tuple[TimelineRow, ...]
    timeline_sources: bool  # whether any entry says its source (the template adds a column)
    factors: tuple[FactorRow, ...]
    whys: tuple[WhyChainContext, ...]
    went_well: str | None
    went_poorly: str | None
    got_lucky: str | None
    action_items: tuple[ItemRow, ...]
    lessons: str | None
    similar: tuple[SimilarRow, ...]
    regulatory: str | None
    findings: tuple[str, ...]
    stages: tuple[StageRow, ...]  # the lifecycle so far, oldest first; status is the last
    progress: str  # "5/7 done, 1 overdue"
    now: datetime | None  # for user templates only; the shipped one stays clock-free
    impact_line: str | None = None  # who was affected, in one short line (the header's)


def _text(value: str | None) -> str | None:
    """User prose made inert (markers, fences, raw HTML, link schemes, mentions); None when
    blank so templates can test it with `if`."""
    if value is None or not value.strip():
        return None
    return silence(neutralise(defuse_markers(value.strip())))


def _cell_text(value: str | None) -> str | None:
    """User prose bound for a table cell, where newlines become `<br>` and fences do not
    exist: made inert as one run of inline text, so code spans are all it keeps."""
    if value is None or not value.strip():
        return None
    return silence(neutralise_line(defuse_markers(value.strip())))


def _line(value: str) -> str:
    """A one-line user value (title, login, service): whitespace collapsed, defused."""
    return inert_line(value)


def _lines(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v for v in (_line(value) for value in values) if v)


def _person(person: str) -> str:
    """`@login` (a login needs no defusing: its characters are safe) or a name, made inert."""
    return f"@{_line(person[1:])}" if person.startswith("@") else _line(person)


def _people(people: Iterable[str]) -> tuple[str, ...]:
    return tuple(p for p in (_person(person) for person in people) if p.strip("@"))


def _attendance(pm: Postmortem) -> str | None:
    found = pm.attendance
    if found is None:
        return None
    return f"{found.attended} of {found.responders} responders ({found.share:.0%})"


def _review(pm: Postmortem) -> ReviewContext:
    meeting = pm.review
    return ReviewContext(
        date=meeting.held_on.isoformat() if meeting.held_on else None,
        facilitator=_person(meeting.facilitator) if meeting.facilitator else None,
        attendees=_people(meeting.attendees),
        attendance=_attendance(pm),
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def _shown(moment: datetime | None) -> str | None:
    return None if moment is None else utc(moment).strftime("%Y-%m-%d %H:%M")


def _timeline_row(event: TimelineEvent) -> TimelineRow:
    moment = utc(event.at)
    return TimelineRow(
        _shown(event.at) or "",
        _cell_text(event.text) or "",
        moment.strftime("%Y-%m-%d"),
        moment.strftime("%H:%M"),
        _line(event.source) if event.source else None,
    )


def _impact_line(pm: Postmortem) -> str | None:
    """Who was affected, in one line short enough for the header: the first line of the
    "users affected" answer (else of the impact description), cut at a word."""
    for text in (pm.impact.users, pm.impact.description):
        first = next((line for line in (text or "").splitlines() if line.strip()), None)
        if first is not None:
            return _line(shorten(first, IMPACT_LINE_LIMIT))
    return None


def _minutes(span: timedelta | None) -> float | None:
    return None if span is None else _number(span.total_seconds() / 60)


def _number(value: float | None) -> float | None:
    """One decimal, and whole numbers as ints, so the front matter reads `90`, not `90.0`."""
    if value is None:
        return None
    rounded = round(float(value), 1)
    return int(rounded) if rounded.is_integer() else rounded


def _budget_percent(pm: Postmortem) -> float | None:
    impact = pm.impact
    if impact.minutes is None or impact.slo_target is None:
        return None
    try:
        used = fig.error_budget_consumed(
            impact.minutes, impact.slo_target, impact.slo_window_days, _share(pm)
        )
    except ValueError:
        return None  # an impossible SLO is the review's finding to report, not a crash here
    return _number(used * 100)


def _share(pm: Postmortem) -> float:
    return 1.0 if pm.impact.share is None else pm.impact.share


def _figures(pm: Postmortem, given: Mapping[str, float | None] | None) -> FigureContext:
    spans = fig.durations(pm)
    numbers: dict[str, float | None] = {
        "ttd_minutes": _minutes(spans.ttd),
        "ttm_minutes": _minutes(spans.ttm),
        "ttr_minutes": _minutes(spans.ttr),
        "duration_minutes": _minutes(spans.duration),
        "error_budget_consumed_percent": _budget_percent(pm),
    }
    # Precomputed figures win key by key; unknown keys are ignored.
    numbers.update({k: _number(v) for k, v in (given or {}).items() if k in FIGURE_KEYS})

    def shown(key: str) -> str:
        value = numbers[key]
        return fig.format_duration(None if value is None else timedelta(minutes=value))

    return FigureContext(
        **numbers,
        ttd=shown("ttd_minutes"),
        ttm=shown("ttm_minutes"),
        ttr=shown("ttr_minutes"),
        duration=shown("duration_minutes"),
    )


def planned(pm: Postmortem) -> Tracking:
    """The tracking of a postmortem none of whose items has an issue yet (a preview)."""
    items = {
        i.key: ItemProgress(i.key, due=i.due, owned=bool(i.owner) and not i.owner_is_team)
        for i in pm.action_items
    }
    return Tracking(items=items, stages=(Stage("In review", None),))


def _issue_link(number: int | None, issues_url: str | None) -> str:
    if number is None:
        return "—"
    return f"[#{number}]({issues_url}/{number})" if issues_url else f"#{number}"


def _blocked_by(keys: Iterable[str], pm: Postmortem, tracking: Tracking) -> tuple[str, ...]:
    """Each key as its item's issue link once the issue exists, else the key as written."""
    known = {item.key.casefold(): item.key for item in pm.action_items}
    shown = []
    for key in keys:
        found = tracking.items.get(known.get(key.casefold(), key))
        issue = found.issue if found else None
        shown.append(_issue_link(issue, tracking.issues_url) if issue else _line(key))
    return tuple(shown)


def _items(pm: Postmortem, tracking: Tracking) -> tuple[ItemRow, ...]:
    rows = []
    for item in pm.action_items:
        found = tracking.items.get(item.key) or ItemProgress(item.key, due=item.due)
        due = found.due or item.due
        rows.append(
            ItemRow(
                key=_line(item.key),
                what=_cell_text(item.what) or "",
                owner=_line(item.owner) if item.owner else None,
                owner_is_team=item.owner_is_team,
                priority=str(item.priority),
                due=due.isoformat() if due else None,
                type=str(item.type) if item.type else None,
                success=_cell_text(item.success),
                addresses=_line(item.addresses) if item.addresses else None,
                issue=found.issue,
                issue_link=_issue_link(found.issue, tracking.issues_url),
                state=str(found.state),
                depends_on=_lines(item.depends_on),
                blocked_by=_blocked_by(item.depends_on, pm, tracking),
            )
        )
    return tuple(rows)


def _progress(pm: Postmortem, tracking: Tracking) -> Progress:
    default = ItemState.PLANNED
    return Progress.of(
        tracking.items.get(i.key) or ItemProgress(i.key, state=default) for i in pm.action_items
    )


def _similar(pm: Postmortem, similar: Sequence[LibraryEntry]) -> tuple[SimilarRow, ...]:
    me = entry_from_postmortem(pm)
    # Documents live in YYYY/ folders, so an undated draft links as if it were in one.
    here = posixpath.dirname(me.path) or "draft"
    rows = []
    for entry in similar:
        overlap = shared(me, entry)
        rows.append(
            SimilarRow(
                title=_line(entry.title),
                link=defuse_markers(link_target(posixpath.relpath(entry.path, here))),
                date=entry.date.isoformat() if entry.date else None,
                severity=_line(entry.severity) if entry.severity else None,
                shared="; ".join(f"{kind}: {', '.join(_lines(v))}" for kind, v in overlap.items()),
            )
        )
    return tuple(rows)


def _findings(findings: Iterable[object] | None) -> tuple[str, ...]:
    return tuple(silence(defuse_markers(_describe(f))) for f in findings or ())


def _describe(finding: object) -> str:
    """One line for a review finding: its describe(), else field, line, message, suggestion."""
    describe = getattr(finding, "describe", None)
    if callable(describe):
        return str(describe())
    message = getattr(finding, "message", None)
    if not isinstance(message, str):
        return str(finding)
    field, line = getattr(finding, "field", None), getattr(finding, "line", None)
    where = f"**{field}**" if field else ""
    where += f" (line {line})" if isinstance(line, int) else ""
    suggestion = getattr(finding, "suggestion", None)
    text = f"{where}: {message}" if where else message
    return f"{text} {suggestion}" if isinstance(suggestion, str) and suggestion else text


def _front_matter(pm: Postmortem, stages: tuple[Stage, ...]) -> str:
    """Short and flat: what a static site needs, and what GitHub shows as a table."""
    data: dict[str, Any] = {
        "title": _line(pm.title),
        "date": pm.date.isoformat() if pm.date else None,
        "severity": str(pm.severity),
        "status": status(stages),
        "services": list(_lines(pm.services)),
        "tags": list(_lines(pm.tags)),
        "issue": pm.issue_number,
    }
    # The safe dumper quotes and indents whatever the user wrote, so no value can close the
    # front matter with a `---` line or smuggle in keys; width keeps long lines unfolded.
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000)


def _review_data(pm: Postmortem) -> dict[str, Any] | None:
    review = _review(pm)
    if not review.recorded:
        return None
    return {"date": review.date, "facilitator": review.facilitator,
            "attendees": list(review.attendees)}  # fmt: skip


def _attendance_data(pm: Postmortem) -> dict[str, Any] | None:
    """Responders who attended the review: the attendance target's numbers."""
    found = pm.attendance
    if found is None:
        return None
    share = round(found.share, 4)
    return {"responders": found.responders, "attended": found.attended, "share": share}


def _timeline_data(pm: Postmortem) -> dict[str, Any]:
    """How many timeline entries say where they come from, and from which sources."""
    sources: dict[str, int] = {}
    for event in pm.timeline:
        if event.source:
            key = _line(event.source)
            sources[key] = sources.get(key, 0) + 1
    return {"entries": len(pm.timeline), "with_source": sum(sources.values()), "sources": sources}


def document_data(
    pm: Postmortem, numbers: Mapping[str, float | None], tracking: Tracking
) -> dict[str, Any]:
    """Everything else the library index records about the document (the hidden marker)."""
    rows = _items(pm, tracking)
    return {
        "pmbot": SCHEMA_VERSION,
        "categories": sorted({str(cf.category) for cf in pm.contributing_factors}),
        "incident_commander": _line(pm.incident_commander) if pm.incident_commander else None,
        "authors": list(_lines(pm.authors)),
        "responders": list(_people(pm.responders)),
        "review_meeting": _review_data(pm),
        "attendance": _attendance_data(pm),
        "contributing_factors": [
            {
                "key": _line(cf.key),
                "category": str(cf.category),
                "weight": str(cf.weight) if cf.weight else None,
            }
            for cf in pm.contributing_factors
        ],
        "timeline": _timeline_data(pm),
        "started": _iso(pm.started),
        "detected": _iso(pm.detected),
        "mitigated": _iso(pm.mitigated),
        "resolved": _iso(pm.resolved),
        "figures": dict(numbers),
        "action_items": [
            {
                "key": row.key,
                "issue": row.issue,
                "what": _line(item.what),
                "owner": row.owner,
                "priority": row.priority,
                "due": row.due,
                "state": row.state,
                "type": row.type,
                "depends_on": list(row.depends_on),
            }
            for item, row in zip(pm.action_items, rows, strict=True)
        ],
        "lifecycle": [stage.to_json() for stage in tracking.stages],
        "progress": _progress(pm, tracking).to_json(),
    }


def build_context(
    pm: Postmortem,
    *,
    figures: Mapping[str, float | None] | None = None,
    findings: Iterable[object] | None = None,
    similar: Sequence[LibraryEntry] = (),
    now: datetime | None = None,
    tracking: Tracking | None = None,
) -> DocumentContext:
    """The typed, defused context a document template is rendered with."""
    figure_context = _figures(pm, figures)
    tracking = tracking or planned(pm)
    return DocumentContext(
        front_matter=_front_matter(pm, tracking.stages),
        title=_line(pm.title),
        severity=str(pm.severity),
        status=status(tracking.stages),
        date=pm.date.isoformat() if pm.date else None,
        issue=pm.issue_number,
        incident_commander=_line(pm.incident_commander) if pm.incident_commander else None,
        authors=_lines(pm.authors),
        responders=_people(pm.responders),
        review=_review(pm),
        services=_lines(pm.services),
        tags=_lines(pm.tags),
        started=_shown(pm.started),
        detected=_shown(pm.detected),
        mitigated=_shown(pm.mitigated),
        resolved=_shown(pm.resolved),
        detection_method=_text(pm.detection_method),
        summary=_text(pm.summary),
        impact=ImpactContext(
            users=_text(pm.impact.users),
            revenue=_text(pm.impact.revenue),
            description=_text(pm.impact.description),
            minutes=_number(pm.impact.minutes),
            share_percent=None if pm.impact.share is None else _number(pm.impact.share * 100),
            slo_target=pm.impact.slo_target,
            slo_window_days=pm.impact.slo_window_days,
        ),
        figures=figure_context,
        timeline=tuple(_timeline_row(e) for e in pm.timeline),
        timeline_sources=any(e.source for e in pm.timeline),
        factors=tuple(
            FactorRow(
                _line(cf.key),
                str(cf.category),
                _text(cf.description) or "",
                str(cf.weight) if cf.weight else None,
            )
            for cf in pm.contributing_factors
        ),
        whys=tuple(
            WhyChainContext(
                _line(w.title) or None if w.title else None, tuple(_text(s) or "" for s in w.steps)
            )
            for w in pm.whys
        ),
        went_well=_text(pm.went_well),
        went_poorly=_text(pm.went_poorly),
        got_lucky=_text(pm.got_lucky),
        action_items=_items(pm, tracking),
        lessons=_text(pm.lessons),
        similar=_similar(pm, similar),
        regulatory=_text(pm.regulatory),
        findings=_findings(findings),
        stages=tuple(
            StageRow(st.name, st.on.isoformat() if st.on else None) for st in tracking.stages
        ),
        progress=_progress(pm, tracking).text(),
        now=None if now is None else utc(now),
        impact_line=_impact_line(pm),
    )
