"""The one pmbot comment on a postmortem (`pmbot:summary` marker) and its labels
(`needs-info`, `postmortem-complete`): findings, figures, the document and a table of items."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pmbot.core import markers
from pmbot.core.config import Config, LabelSpec
from pmbot.core.figures import durations, error_budget_consumed, format_duration, item_due
from pmbot.core.mentions import silence
from pmbot.core.model import ActionItem, Postmortem
from pmbot.core.reading import Intake
from pmbot.errors import FormError, Problem
from pmbot.flows.intake.issue import match_items, sla_days, what_of
from pmbot.flows.items import TrackedItem
from pmbot.flows.scores import USAGE
from pmbot.github.models import CommentSnapshot, IssueSnapshot, PullSnapshot
from pmbot.plan import (
    Action,
    AddLabels,
    EditComment,
    EnsureLabels,
    Plan,
    RemoveLabel,
    UpsertComment,
)
from pmbot.render.findings import review_markdown, shorten

SUMMARY = "summary"
NB_HYPHEN = "\u2011"
DONE, WONT_DO, OVERDUE = "✅ done", "won't do", "🔴 **overdue**"
FOOTER = "_pmbot keeps this comment up to date: edit the issue and it follows._"
# Scoring needs no setting (`scoring.rubric` always has a line), so every summary says how.
SCORE_HINT = f"**Reviewers:** score this postmortem with {USAGE}."
CELL_LIMIT = 80


# --- what intake reads --------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """Where the document is, for the summary's link."""

    path: str
    mode: str  # "pull_request" | "commit"
    branch: str
    pull: PullSnapshot | None = None
    url: str | None = None  # the document on the default branch, for `publish: commit`


# --- the summary comment ------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    what: str
    issue: int | None
    owner: str
    due: str
    state: str


def summary_marker(pm_number: int) -> str:
    return markers.encode(SUMMARY, {"pm": pm_number})


def _row(row: ActionItem, issue: TrackedItem | None, planned_due: date, today: date) -> Row:
    owner = _owner_cell(row, issue)
    if issue is None:
        return Row(row.key, row.what, None, owner, _day(planned_due), "to be created")
    return Row(row.key, row.what, issue.number, owner, _day(issue.info.due), _state(issue, today))


def _day(day: date) -> str:
    """A date that never wraps inside a table cell: non-breaking hyphens (U+2011)."""
    return day.isoformat().replace("-", NB_HYPHEN)


def _owner_cell(row: ActionItem, issue: TrackedItem | None) -> str:
    owner = issue.info.owner if issue else row.owner
    team = issue.info.owner_is_team if issue else row.owner_is_team
    if owner is None:
        return "⚠️ nobody: name a person"
    if team:
        return f"`@{owner}` ⚠️ a team: name a person"
    if issue is not None and owner not in issue.assignees:
        return f"`@{owner}` ⚠️ cannot be assigned here"
    return f"`@{owner}`"


def _state(issue: TrackedItem, today: date) -> str:
    if issue.state == "closed":
        return DONE if issue.state_reason != "not_planned" else WONT_DO
    return OVERDUE if "overdue" in issue.labels or today > issue.info.due else "open"


def tracked(issues: Iterable[TrackedItem], config: Config) -> list[TrackedItem]:
    """Items that count towards completion: not duplicates, not removed from the form."""
    removed = config.labels.removed.name
    return [i for i in issues if not i.is_duplicate and removed not in i.labels]


def summary_body(
    pm: Postmortem,
    intake: Intake,
    issues: Sequence[TrackedItem],
    publication: Publication | None,
    now: datetime,
    config: Config,
) -> str:
    matched, unclaimed = match_items(pm.action_items, issues)
    today = now.date()
    rows = [
        _row(r, matched.get(r.key), item_due(r, today, sla_days(config, pm.severity)), today)
        for r in pm.action_items
    ]
    parts = [
        f"## Postmortem summary · {pm.severity}",
        "",
        _figures(pm),
        "",
        *_meeting(pm),
        _document(publication),
        "",
        _table(rows, [i for i in unclaimed if i.number], config),
        "",
        review_markdown(intake.findings, intake.postmortem.labels),
        "",
        SCORE_HINT,
        "",
        FOOTER,
    ]
    return "\n".join(parts) + f"\n\n{summary_marker(pm.issue_number or 0)}\n"


def _inline(text: str) -> str:
    """User text on one line of a comment: no marker imitation, mention or reference."""
    return silence(markers.defuse_markers(" ".join(text.split())))


def _figures(pm: Postmortem) -> str:
    spans = durations(pm)
    text = (
        f"**Time to detect** {format_duration(spans.ttd)} · **to mitigate** "
        f"{format_duration(spans.ttm)} · **to resolve** {format_duration(spans.ttr)}"
    )
    impact = pm.impact
    if impact.minutes is not None and impact.slo_target is not None:
        try:
            used = error_budget_consumed(
                impact.minutes, impact.slo_target, impact.slo_window_days, impact.share or 1.0
            )
        except ValueError:
            return text
        text += (
            f" · **error budget consumed** {used * 100:.0f}% "
            f"({impact.slo_target:g}% over {impact.slo_window_days} days)"
        )
    return text


def _meeting(pm: Postmortem) -> list[str]:
    """The review meeting in one line, without names: a comment would notify them."""
    meeting, attendance = pm.review, pm.attendance
    if not meeting.recorded:
        return []
    when = meeting.held_on.isoformat() if meeting.held_on else "date not recorded"
    text = f"**Review meeting** {when}"
    if attendance is not None:
        text += (
            f" · {attendance.attended} of {attendance.responders} responders attended "
            f"({attendance.share:.0%})"
        )
    return [text, ""]


def _document(pub: Publication | None) -> str:
    if pub is None:
        return "**Document:** not published yet."
    if pub.mode == "commit":
        where = f"[`{pub.path}`]({pub.url})" if pub.url else f"`{pub.path}`"
        return f"**Document:** {where} on `{pub.branch}`."
    if pub.pull is not None:
        return f"**Document:** `{pub.path}` in pull request #{pub.pull.number} (`{pub.branch}`)."
    return f"**Document:** `{pub.path}`, pull request from `{pub.branch}` to be opened."


def _table(rows: Sequence[Row], removed: Sequence[TrackedItem], config: Config) -> str:
    if not rows and not removed:
        return "### Action items\n\nNone yet. Every postmortem needs at least one."
    done = sum(r.state in (DONE, WONT_DO) for r in rows)
    overdue = sum(r.state == OVERDUE for r in rows)
    late = f", {overdue} overdue" if overdue else ""
    lines = [
        f"### Action items ({done} of {len(rows)} done{late})",
        "",
        "| Issue | Action item | Owner | Due | State |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        issue = f"#{r.issue}" if r.issue else "—"
        lines.append(f"| {issue} | {_cell(r.what)} | {r.owner} | {r.due} | {r.state} |")
    label = config.labels.removed.name
    for gone in removed:
        what, due = _cell(what_of(gone.title)), _day(gone.info.due)
        lines.append(f"| #{gone.number} | {what} | — | {due} | removed from the form (`{label}`) |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return shorten(_inline(text), CELL_LIMIT).replace("|", "\\|")


def error_body(pm_number: int, error: FormError) -> str:
    lines = [
        "## pmbot could not read this postmortem yet",
        "",
        "Edit the issue to fix what is below; pmbot reads it again on every edit and this "
        "comment follows.",
        "",
    ]
    lines += [_problem(p) for p in error.problems]
    return markers.defuse_markers("\n".join(lines)) + f"\n\n{summary_marker(pm_number)}\n"


def _problem(problem: Problem) -> str:
    where = f" (line {problem.line})" if problem.line is not None else ""
    head = f"- **{_inline(problem.field)}**{where}: {_inline(problem.message)}"
    return f"{head}  \n  **Fix:** {_inline(problem.fix)}"


def not_allowed_body(issue: IssueSnapshot, config: Config) -> str:
    allowed = ", ".join(a.lower() for a in config.allowed_associations)
    text = (
        f"Thank you for writing this up, @{issue.author}. pmbot only processes postmortems "
        f"filed by people with one of these roles in this repository: {allowed}. A maintainer "
        "can file it again, or add you as a collaborator, and pmbot will take it from there."
    )
    return f"{text}\n\n{summary_marker(issue.number)}\n"


def plan_summary(
    issue: IssueSnapshot,
    result: Intake | FormError,
    items: Sequence[TrackedItem],
    publication: Publication | None,
    existing: str | None,
    now: datetime,
    config: Config,
) -> Plan:
    """The summary comment (only when its text changed) and the postmortem's labels."""
    if isinstance(result, FormError):
        body = error_body(issue.number, result)
    else:
        body = summary_body(result.postmortem, result, items, publication, now, config)
    actions: list[Action] = []
    if existing is None or existing.rstrip() != body.rstrip():
        actions.append(UpsertComment(issue.number, SUMMARY, body))
    actions += _pm_labels(issue, result, items, config)
    return Plan(tuple(actions))


def _pm_labels(
    issue: IssueSnapshot, result: Intake | FormError, items: Sequence[TrackedItem], config: Config
) -> list[Action]:
    have = set(issue.labels)
    want = {config.labels.needs_info.name: isinstance(result, FormError)}
    live = tracked(items, config)
    complete = not isinstance(result, FormError) and bool(live)
    want[config.labels.complete.name] = complete and all(i.state == "closed" for i in live)
    actions: list[Action] = []
    for name, on in want.items():
        if on and name not in have:
            spec = _spec(name, config)
            actions += [EnsureLabels(issue.number, specs=(spec,)), AddLabels(issue.number, (name,))]
        elif not on and name in have:
            actions.append(RemoveLabel(issue.number, name))
    return actions


def _spec(name: str, config: Config) -> LabelSpec:
    return next(s for s in config.all_labels() if s.name == name)


SUPERSEDED = "_Superseded by pmbot's summary comment above._"


def plan_supersede(number: int, extra: Sequence[CommentSnapshot]) -> Plan:
    """Racing runs that each created the summary comment: the newer copies say so (and lose
    the marker, so no run reads them as the summary again)."""
    why = "a racing run also wrote the summary; superseded"
    return Plan(tuple(EditComment(number, c.id, SUPERSEDED, why=why) for c in extra))


def plan_not_allowed(issue: IssueSnapshot, existing: str | None, config: Config) -> Plan:
    body = not_allowed_body(issue, config)
    if existing is not None and existing.rstrip() == body.rstrip():
        return Plan()
    return Plan((UpsertComment(issue.number, SUMMARY, body),))
