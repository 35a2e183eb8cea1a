"""Intake on GitHub, decided: from a postmortem issue and what pmbot already wrote, the writes
that bring GitHub in line with the form. Pure: snapshots and a clock in, Plans out.

Three plans, applied in order by `pmbot.app.intake`:

1. `plan_items` — one issue per action item (created with its labels, owner and the hidden
   `pmbot:item` marker, then linked as a sub-issue), edited rows updated field by field, a
   due date moved by the form recorded with its reason, removed rows labelled and commented
   (never closed or deleted). Items are matched to rows by the marker's `key`, then by
   similar wording, so a reworded row keeps its issue.
2. `pmbot.flows.publish.plan_publish` — the document and the library index.
3. `plan_summary` — the one pmbot comment on the postmortem (`pmbot:summary` marker) and the
   `needs-info` / `postmortem-complete` labels, from what exists after 1 and 2.

Every plan is empty when GitHub already matches, which is what makes a rerun write nothing
and an interrupted run resumable: state lives in GitHub, not here.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from pmbot.core import markers
from pmbot.core.config import Config, LabelSpec
from pmbot.core.figures import durations, error_budget_consumed, format_duration, item_due
from pmbot.core.mentions import silence
from pmbot.core.model import ActionItem, Postmortem
from pmbot.core.reading import Intake
from pmbot.core.safe_markdown import neutralise_line
from pmbot.errors import FormError, Problem
from pmbot.flows.items import ItemProblem, TrackedItem, is_allowed, read_item
from pmbot.flows.tracking import Change, ItemInfo, item_marker, with_markers
from pmbot.github.models import CommentSnapshot, IssueSnapshot, PullSnapshot
from pmbot.plan import (
    FIRST,
    Action,
    AddLabels,
    CreateComment,
    CreateSubIssue,
    EditComment,
    EditIssue,
    EnsureLabels,
    LinkSubIssue,
    Plan,
    RemoveLabel,
    SetAssignees,
    SetState,
    UpsertComment,
    urgency,
)
from pmbot.render.findings import review_markdown, shorten

SUMMARY = "summary"
NB_HYPHEN = "\u2011"
DONE, WONT_DO, OVERDUE = "✅ done", "won't do", "🔴 **overdue**"
FOOTER = "_pmbot keeps this comment up to date: edit the issue and it follows._"
FORM = "pmbot"  # who a change from the form is recorded as, in the item's history
FORM_REASON = "edited in the postmortem form"
TITLE_LIMIT = 100
CELL_LIMIT = 80
SIMILAR_ENOUGH = 0.6  # difflib ratio above which a reworded row is the same item


# --- what intake reads --------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """Where the document is, for the summary's link."""

    path: str
    mode: str  # "pull_request" | "commit"
    branch: str
    pull: PullSnapshot | None = None
    url: str | None = None  # the document on the default branch, for `publish: commit`


# --- action items: desired state ------------------------------------------------------------


def item_title(item: ActionItem) -> str:
    flat = " ".join(silence(markers.defuse_markers(item.what)).split())
    title = f"[{item.priority}] {flat}"
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1].rstrip() + "…"


def _title_cut(item: ActionItem) -> bool:
    """Whether the issue title had to cut the item's text (then the body says it whole)."""
    return len(f"[{item.priority}] {' '.join(item.what.split())}") > TITLE_LIMIT


def _what_of(title: str) -> str:
    """The `what` an item title was made from ("[P1] Add a canary" → "Add a canary")."""
    return title.split("] ", 1)[1] if title.startswith("[P") and "] " in title else title


def _factor(pm: Postmortem, key: str | None) -> str | None:
    found = next((cf for cf in pm.contributing_factors if cf.key == key), None)
    if found is None:
        return None
    return _quiet(f"{found.key} ({found.category}): {found.description}")


def _owner_line(info: ItemInfo) -> str:
    if info.owner is None:
        return "nobody yet — a person should own this item"
    if info.owner_is_team:
        return f"the team @{info.owner} — a person should own this item"
    return f"@{info.owner}"


def item_body(
    pm: Postmortem, item: ActionItem, info: ItemInfo, config: Config, document: str | None = None
) -> str:
    """The visible part of an action-item issue (markers are added by `with_markers`).

    The issue's title already says what the item is; the body repeats it only when the title
    had to be cut. `document`: the URL of the postmortem's document on the default branch."""
    due = info.due
    if item.due is not None and item.due == due:
        source = "from the postmortem form"
    elif item.due is None and due == item_due(item, info.opened, _sla(config)):
        source = f"the {item.priority} SLA"
    else:
        source = "moved with `/pmbot due`, see the comments"
    sla = config.sla_days[item.priority]
    title = _quiet(" ".join(pm.title.split()))
    doc = f" · [the document]({document})" if document else ""
    lines = [
        f"An action item of the postmortem #{pm.issue_number}: **{title}**{doc}",
        "",
        *([f"**What:** {_quiet(item.what)}"] if _title_cut(item) else []),
        f"**Why:** addresses {_factor(pm, item.addresses) or 'no contributing factor named'}",
        f"**Success criteria:** {_quiet(item.success) if item.success else _NO_SUCCESS}",
        f"**Owner:** {_owner_line(info)}",
        f"**Priority:** {item.priority} (SLA {sla} days) · **Type:** {item.type or '—'}",
        f"**Due:** {due.isoformat()} ({source})",
        "",
        "Close this issue when the success criteria are met. Need more time? Comment "
        "`/pmbot due YYYY-MM-DD <reason>`.",
    ]
    return markers.defuse_markers("\n".join(lines)) + "\n"


_NO_SUCCESS = "_not given: say how anyone can check it is done_"


def item_labels(item: ActionItem, config: Config) -> tuple[str, ...]:
    names = [config.labels.action_item.name, config.priority_label(item.priority).name]
    names.append(config.sla_label(item.priority).name)
    if item.type is not None:
        names.append(config.type_label(item.type).name)
    return tuple(names)


def managed_labels(config: Config) -> frozenset[str]:
    """Labels intake sets from the form (others, like `overdue`, belong to the sweep)."""
    specs = [*config.labels.priority.values(), *config.labels.type.values()]
    names = {s.name for s in specs} | {config.sla_label(p).name for p in config.sla_days}
    return frozenset(names | {config.labels.action_item.name})


def assignee(item: ActionItem, unassignable: Collection[str] = ()) -> tuple[str, ...]:
    """Who the item's issue is assigned to: its owner, unless a team or one GitHub would
    refuse here (then nobody, and the summary says so)."""
    if item.owner is None or item.owner_is_team or item.owner in unassignable:
        return ()
    return (item.owner,)


def owners_to_check(pm: Postmortem, issues: Sequence[TrackedItem]) -> list[str]:
    """Owners whose assignability decides a write this run: of rows to be created or given a
    new owner. An owner already assigned on their item is assignable; no read for them."""
    matched, _ = match_items(pm.action_items, issues)
    wanted: dict[str, None] = {}
    for row in pm.action_items:
        (owner,) = assignee(row) or (None,)
        existing = matched.get(row.key)
        if owner is None or (existing is not None and existing.info.owner == row.owner):
            continue
        if existing is None or owner not in existing.assignees:
            wanted[owner] = None
    return list(wanted)


def new_info(pm: Postmortem, item: ActionItem, opened: date, config: Config) -> ItemInfo:
    return ItemInfo(
        pm=pm.issue_number or 0,
        key=item.key,
        priority=item.priority,
        due=item_due(item, opened, _sla(config)),
        opened=opened,
        owner=item.owner,
        owner_is_team=item.owner_is_team,
        commander=pm.incident_commander,
        authors=pm.authors,
        type=str(item.type) if item.type else None,
    )


def _sla(config: Config) -> dict[str, int]:
    return {str(p): d for p, d in config.sla_days.items()}


# --- matching rows to issues ------------------------------------------------------------


def match_items(
    rows: Sequence[ActionItem], issues: Sequence[TrackedItem]
) -> tuple[dict[str, TrackedItem], list[TrackedItem]]:
    """(row key → its issue, issues no row claims). By key first, then by similar wording."""
    live = [i for i in sorted(issues, key=lambda i: i.number) if not i.is_duplicate]
    matched: dict[str, TrackedItem] = {}
    for row in rows:
        found = next((i for i in live if i.info.key == row.key), None)
        if found is not None:
            matched[row.key] = found
    taken = {i.number for i in matched.values()}
    spare = [i for i in live if i.number not in taken and i.info.key not in matched]
    for row in rows:
        if row.key in matched:
            continue
        best = _most_similar(row, spare)
        if best is not None:
            matched[row.key] = best
            spare.remove(best)
    claimed = {i.number for i in matched.values()}
    keys = {r.key for r in rows}
    unclaimed = [i for i in live if i.number not in claimed and i.info.key not in keys]
    return matched, unclaimed


def _most_similar(row: ActionItem, issues: Sequence[TrackedItem]) -> TrackedItem | None:
    scored = [
        (
            difflib.SequenceMatcher(
                None, row.what.casefold(), _what_of(i.title).casefold()
            ).ratio(),
            i,
        )
        for i in issues
    ]
    good = [(score, -i.number, i) for score, i in scored if score >= SIMILAR_ENOUGH]
    return max(good, key=lambda s: (s[0], s[1]))[2] if good else None


# --- action items: the plan ---------------------------------------------------------------


def plan_items(
    pm: Postmortem,
    issues: Sequence[TrackedItem],
    now: datetime,
    config: Config,
    unassignable: Collection[str] = (),
    document: str | None = None,
) -> Plan:
    """Create, update, relink and mark removed: the writes that make items match the form.
    Owners in `unassignable` (GitHub answered 404 for them) are not asked for: a refused
    write still counts against the rate limits. `document`: the document's URL, for the
    item bodies to link."""
    matched, unclaimed = match_items(pm.action_items, issues)
    actions: list[Action] = []
    for row in pm.action_items:
        existing = matched.get(row.key)
        if existing is None:
            actions.append(_create(pm, row, now, config, unassignable, document))
        else:
            actions += _update(pm, row, existing, now, config, unassignable, document)
    for issue in unclaimed:
        actions += _removed(pm, issue, config)
    if not actions:
        return Plan()
    labels = _label_specs(pm.action_items, config, removed=bool(unclaimed))
    return Plan((EnsureLabels(0, specs=labels, urgency=FIRST), *actions))


def _label_specs(
    rows: Sequence[ActionItem], config: Config, *, removed: bool
) -> tuple[LabelSpec, ...]:
    wanted = {n for row in rows for n in item_labels(row, config)}
    wanted |= {config.labels.removed.name} if removed else set()
    specs = {s.name: s for s in config.all_labels() if s.name in wanted}
    return tuple(specs.values())


def _create(
    pm: Postmortem,
    row: ActionItem,
    now: datetime,
    config: Config,
    unassignable: Collection[str],
    document: str | None = None,
) -> CreateSubIssue:
    info = new_info(pm, row, now.date(), config)
    return CreateSubIssue(
        pm.issue_number or 0,
        key=row.key,
        title=item_title(row),
        body=with_markers(item_body(pm, row, info, config, document), info),
        labels=item_labels(row, config),
        assignees=assignee(row, unassignable),
        marker=item_marker(info),
        urgency=urgency(row.priority, 0, pm.issue_number or 0),
    )


def _update(
    pm: Postmortem,
    row: ActionItem,
    issue: TrackedItem,
    now: datetime,
    config: Config,
    unassignable: Collection[str],
    document: str | None = None,
) -> list[Action]:
    info, due_change = _updated_info(pm, row, issue.info, now, config)
    body = with_markers(item_body(pm, row, info, config, document), info)
    follow = markers.find(issue.body, "follow")
    if follow is not None:  # the sweep's state stays as it is
        body = markers.replace(body, "follow", follow)
    title = item_title(row)
    actions: list[Action] = []
    if title != issue.title or body.rstrip() != issue.body.rstrip():
        actions.append(
            EditIssue(
                issue.number,
                title=title if title != issue.title else None,
                body=body if body.rstrip() != issue.body.rstrip() else None,
                why=FORM_REASON,
            )
        )
    if due_change is not None:
        actions.append(CreateComment(issue.number, _due_note(pm, due_change)))
    actions += _relabel(row, issue, config)
    logins = assignee(row, unassignable)
    if info.owner != issue.info.owner and (logins or issue.assignees):
        actions.append(SetAssignees(issue.number, logins))
    if not issue.linked:
        actions.append(LinkSubIssue(issue.number, parent=pm.issue_number or 0, child_id=issue.id))
    rank = urgency(row.priority, 0, issue.number)
    return [replace(a, urgency=rank) for a in actions]


def _updated_info(
    pm: Postmortem, row: ActionItem, old: ItemInfo, now: datetime, config: Config
) -> tuple[ItemInfo, Change | None]:
    """The item marker after an edit of the form. A due date moved by a `/pmbot` command
    stays until the form's own due date changes; every move is recorded with its reason."""
    form_due = item_due(row, old.opened, _sla(config))
    change = None
    due = old.due
    if form_due != last_form_due(old):
        due = form_due
        change = Change(
            at=now, by=FORM, cmd="form-due", why=FORM_REASON,
            before=old.due.isoformat(), after=form_due.isoformat(),
        )  # fmt: skip
    commanded_owner = any(c.cmd == "owner" for c in old.history)
    owner = (old.owner, old.owner_is_team) if commanded_owner else (row.owner, row.owner_is_team)
    history = old.history + ((change,) if change else ())
    info = replace(
        new_info(pm, row, old.opened, config),
        due=due, owner=owner[0], owner_is_team=owner[1], history=history,
    )  # fmt: skip
    return info, (change if change and change.before != change.after else None)


def last_form_due(info: ItemInfo) -> date:
    """The due date the form last set: the latest `form-due` change, else the one the item
    was created with (before any `/pmbot due` command moved it)."""
    for change in reversed(info.history):
        if change.cmd == "form-due" and change.after:
            return date.fromisoformat(change.after)
    first = next((c for c in info.history if c.cmd == "due" and c.before), None)
    return date.fromisoformat(first.before) if first and first.before else info.due


def _due_note(pm: Postmortem, change: Change) -> str:
    return (
        f"The due date moved from **{change.before}** to **{change.after}**: "
        f"{FORM_REASON} #{pm.issue_number}."
    )


def _relabel(row: ActionItem, issue: TrackedItem, config: Config) -> list[Action]:
    wanted = set(item_labels(row, config))
    have = set(issue.labels)
    actions: list[Action] = []
    add = tuple(n for n in item_labels(row, config) if n not in have)
    if add:
        actions.append(AddLabels(issue.number, add))
    for name in sorted((have & managed_labels(config)) - wanted):
        actions.append(RemoveLabel(issue.number, name))
    removed = config.labels.removed.name
    if removed in have:
        actions.append(RemoveLabel(issue.number, removed))
        actions.append(CreateComment(issue.number, "This action item is back in the postmortem."))
    return actions


def _removed(pm: Postmortem, issue: TrackedItem, config: Config) -> list[Action]:
    name = config.labels.removed.name
    if name in issue.labels:
        return []
    note = (
        f"This action item is no longer in the postmortem #{pm.issue_number}, so pmbot has "
        f"labelled it `{name}`. It stays open for the record: close it if the work is not "
        "needed, or add the row back to the postmortem."
    )
    return [AddLabels(issue.number, (name,)), CreateComment(issue.number, note)]


def plan_duplicates(issues: Sequence[TrackedItem]) -> Plan:
    """Two racing runs can each create an item: keep the oldest, close the newer as duplicate."""
    by_key: dict[str, list[TrackedItem]] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        if issue.state == "open":
            by_key.setdefault(issue.info.key, []).append(issue)
    actions: list[Action] = []
    for group in by_key.values():
        for dup in group[1:]:
            note = (
                f"Duplicate of #{group[0].number}: two pmbot runs created this action item at "
                "the same moment. Closing this copy; follow the other one."
            )
            actions += [
                CreateComment(dup.number, note),
                SetState(dup.number, "closed", "duplicate"),
            ]
    return Plan(tuple(actions))


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
        _row(r, matched.get(r.key), item_due(r, today, _sla(config)), today)
        for r in pm.action_items
    ]
    parts = [
        f"## Postmortem summary · {pm.severity}",
        "",
        _figures(pm),
        "",
        _document(publication),
        "",
        _table(rows, [i for i in unclaimed if i.number], config),
        "",
        review_markdown(intake.findings, intake.postmortem.labels),
        "",
        FOOTER,
    ]
    return "\n".join(parts) + f"\n\n{summary_marker(pm.issue_number or 0)}\n"


def _inline(text: str) -> str:
    """User text on one line of a comment: no marker imitation, mention or reference."""
    return silence(markers.defuse_markers(" ".join(text.split())))


def _quiet(text: str) -> str:
    """User text in an item body: no markup that hides the rest, no mention, no reference."""
    return silence(neutralise_line(markers.defuse_markers(text)))


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
        what, due = _cell(_what_of(gone.title)), _day(gone.info.due)
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


def allowed(issue: IssueSnapshot, config: Config) -> bool:
    return is_allowed(issue.author_association, config)


def items_of(
    pm_number: int,
    snapshots: Iterable[IssueSnapshot],
    bot_login: str,
    linked: Mapping[int, bool],
    config: Config,
) -> tuple[list[TrackedItem], list[ItemProblem]]:
    """This postmortem's items among snapshots, and pmbot's own issues it cannot read. Only
    pmbot's own issues are its items (`pmbot.flows.items`, rule 1): a hand-filed item is
    not a row of the form, and anyone can paste a marker into an issue of theirs."""
    out: dict[int, TrackedItem] = {}
    problems: dict[int, ItemProblem] = {}
    for snap in snapshots:
        if snap.author != bot_login or snap.is_pull_request or snap.number in out:
            continue
        try:
            item = read_item(snap, bot_login=bot_login, config=config)
        except ItemProblem as problem:
            problems[snap.number] = problem
            continue
        if item.info.pm == pm_number:
            out[snap.number] = replace(item, linked=linked.get(snap.number, False))
    return sorted(out.values(), key=lambda i: i.number), list(problems.values())
