"""A postmortem → its Markdown document: a typed context first, then a Jinja2 template.

The shipped template is `pmbot/templates/postmortem.md.j2`; a repository can supply its
own, which receives the same context (the fields of `DocumentContext`). The output is a
function of the postmortem and its `Tracking` (each item's issue, due date and state, and
the status lifecycle) — no clock — so re-rendering an unchanged postmortem changes nothing
in the repository.

The front matter stays short and flat (title, date, severity, status, services, tags,
issue): GitHub shows it as a table above the title, and a static site needs no more. The
rest of what the library index records (figures, people, times, categories, action items,
lifecycle, progress) is one hidden `pmbot:document` marker at the end of the document,
appended after the template so a repository's own template cannot lose it.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

import yaml
from jinja2 import BaseLoader, StrictUndefined, Template, TemplateError, TemplateNotFound
from jinja2 import Environment as JinjaEnvironment

from pmbot.core import figures as fig
from pmbot.core import markers
from pmbot.core.lifecycle import ItemProgress, ItemState, Progress, Stage, Tracking, status
from pmbot.core.markers import defuse_markers
from pmbot.core.mentions import silence
from pmbot.core.model import Postmortem, utc
from pmbot.core.safe_markdown import inert_line, neutralise, neutralise_line
from pmbot.core.shipped import PACKAGE
from pmbot.core.slug import document_name
from pmbot.core.timestamps import iso
from pmbot.errors import ConfigError, Problem
from pmbot.render.bounded import BoundedEnvironment, TemplateLimit, render_bounded
from pmbot.render.findings import shorten
from pmbot.render.library import (
    DATA_MARKER,
    LibraryEntry,
    entry_from_postmortem,
    link_target,
    link_text,
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
SHIPPED_TEMPLATE = PACKAGE / "render" / "templates" / "postmortem.md.j2"
# libyaml's safe dumper when present: same output, several times faster.
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_SAFE_NAME = re.compile(r"[0-9]{4}/[0-9]{4}-[0-9]{2}-[0-9]{2}-[a-z0-9]+(?:-[a-z0-9]+)*\.md")


def document_path(
    pm: Postmortem, docs_dir: str = "docs/postmortems", *, legacy: bool = False
) -> PurePosixPath:
    """`docs/postmortems/YYYY/YYYY-MM-DD-<slug>-issue-<N>.md` (see `core.slug.document_name`);
    FormError naming started_at if undated."""
    name = document_name(pm, legacy=legacy)
    # The slug cannot hold a separator or "..", but this is the security boundary, so it is
    # checked rather than assumed (and not with `assert`, which `python -O` removes).
    if not _SAFE_NAME.fullmatch(name.as_posix()):
        raise ValueError(f"document name {name} would not stay inside {docs_dir}")
    return PurePosixPath(docs_dir) / name


def is_document_name(name: str) -> bool:
    """A path inside the docs folder of the shape pmbot writes (nothing that could escape)."""
    return _SAFE_NAME.fullmatch(name) is not None


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


@dataclass(frozen=True)
class FactorRow:
    key: str
    category: str
    description: str


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


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def _shown(moment: datetime | None) -> str | None:
    return None if moment is None else utc(moment).strftime("%Y-%m-%d %H:%M")


def _timeline_row(at: datetime, text: str) -> TimelineRow:
    moment = utc(at)
    return TimelineRow(
        _shown(at) or "", text, moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M")
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
        timeline=tuple(_timeline_row(e.at, _cell_text(e.text) or "") for e in pm.timeline),
        factors=tuple(
            FactorRow(_line(cf.key), str(cf.category), _text(cf.description) or "")
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


# --- the template --------------------------------------------------------------------------


def _cell(value: object) -> str:
    """Text for one Markdown table cell: a `|` or a newline would break the table."""
    text = "—" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def _person(login: str | None) -> str:
    return "—" if not login else f"@{login}"


class _OneFile(BaseLoader):
    """A document template is one file: include, import and extends have nothing to load."""

    def get_source(self, environment: JinjaEnvironment, template: str) -> Any:
        raise TemplateNotFound(
            template,
            f"cannot load {template!r}: a document template is one file, so "
            "{% include %}, {% import %} and {% extends %} are not available",
        )


@functools.cache
def _environment() -> BoundedEnvironment:
    # Sandboxed and bounded because a repository's template is configuration, not pmbot's
    # code: it must neither reach Python's internals nor hang or exhaust the runner.
    env = BoundedEnvironment(
        loader=_OneFile(),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # the output is Markdown; GitHub sanitises any HTML in it
    )
    env.filters["cell"] = _cell
    env.filters["person"] = _person
    env.filters["link_text"] = link_text
    return env


@functools.cache
def _shipped_template() -> Template:
    return _compile(SHIPPED_TEMPLATE.read_text(encoding="utf-8"))


def _template(source: str | None) -> Template:
    return _shipped_template() if source is None else _compile(source)


def _compile(source: str) -> Template:
    try:
        return _environment().from_string(source)
    except TemplateError as exc:
        raise template_error(exc) from None


TEMPLATE_FIELD = "templates.document"
# Errors a template can raise at render time: Jinja's own, pmbot's bounds, and the Python
# errors its expressions can cause (1/0, 'a' + 1, a missing key, runaway macro recursion).
_RENDER_ERRORS = (
    TemplateError,
    TemplateLimit,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    RecursionError,
)


def template_error(exc: BaseException) -> ConfigError:
    """A template failure as a user error naming the template line (exit 1, no traceback)."""
    line = getattr(exc, "lineno", None) if isinstance(exc, TemplateError) else None
    if line is None:
        line = _template_line(exc)
    message = str(exc).strip() or type(exc).__name__
    if isinstance(exc, RecursionError):
        message = "a macro calls itself without end"
    fix = (
        "change the template at that line: it is rendered in a sandbox with StrictUndefined "
        "and no other files, and its context is pmbot.render.document.DocumentContext."
    )
    problem = Problem(TEMPLATE_FIELD, f"the template failed: {message}.", fix, line)
    return ConfigError([problem])


def _template_line(exc: BaseException) -> int | None:
    """The last template line in the traceback (Jinja rewrites frames to template lines)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_document(
    pm: Postmortem,
    *,
    figures: Mapping[str, float | None] | None = None,
    findings: Iterable[object] | None = None,
    similar: Sequence[LibraryEntry] = (),
    template: str | None = None,
    now: datetime | None = None,
    tracking: Tracking | None = None,
) -> str:
    """The postmortem's Markdown document: flat front matter, the template, the data marker.

    The marker's `source` fingerprints the document as the form alone makes it (every item
    not opened yet), so intake can tell an edit of the form from a change of item states,
    which it leaves to the batched refresh.
    """
    findings = list(findings or ())

    def text_for(track: Tracking) -> tuple[str, DocumentContext]:
        context = build_context(
            pm, figures=figures, findings=findings, similar=similar, now=now, tracking=track
        )
        values = {f.name: getattr(context, f.name) for f in fields(context)}
        try:
            return render_bounded(_template(template), values), context
        except _RENDER_ERRORS as exc:
            raise template_error(exc) from None

    plain = planned(pm)
    text, context = text_for(tracking or plain)
    source = text if tracking is None else text_for(plain)[0]
    data = document_data(pm, context.figures.numbers(), tracking or plain)
    data["source"] = hashlib.sha256(source.encode()).hexdigest()[:16]
    return f"{text.rstrip()}\n\n{markers.encode(DATA_MARKER, data)}\n"
