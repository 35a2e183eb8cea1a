"""`plan_items`: one issue per action item — created with its labels, owner and marker, then
linked as a sub-issue; edited rows updated field by field; a due date moved by the form
recorded with its reason; removed rows labelled and commented, never closed or deleted."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from pmbot.core import markers
from pmbot.core.config import Config, LabelSpec
from pmbot.core.figures import item_due
from pmbot.core.model import ActionItem, Postmortem
from pmbot.flows.intake.issue import (
    assignee,
    item_body,
    item_labels,
    item_title,
    managed_labels,
    match_items,
    new_info,
    sla_days,
)
from pmbot.flows.items import ItemProblem, TrackedItem, is_allowed, is_own, read_item
from pmbot.flows.tracking import Change, ItemInfo, item_marker, with_markers
from pmbot.github.models import IssueSnapshot
from pmbot.plan import (
    FIRST,
    Action,
    AddLabels,
    CreateComment,
    CreateSubIssue,
    EditIssue,
    EnsureLabels,
    LinkSubIssue,
    Plan,
    RemoveLabel,
    SetAssignees,
    SetState,
    urgency,
)

FORM = "pmbot"  # who a change from the form is recorded as, in the item's history
FORM_REASON = "edited in the postmortem form"


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
    labels = _label_specs(pm, config, removed=bool(unclaimed))
    return Plan((EnsureLabels(0, specs=labels, urgency=FIRST), *actions))


def _label_specs(pm: Postmortem, config: Config, *, removed: bool) -> tuple[LabelSpec, ...]:
    wanted = {n for row in pm.action_items for n in item_labels(row, config, pm.severity)}
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
        labels=item_labels(row, config, pm.severity),
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
    actions += _relabel(pm, row, issue, config)
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
    form_due = item_due(row, old.opened, sla_days(config, pm.severity))
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


def _relabel(pm: Postmortem, row: ActionItem, issue: TrackedItem, config: Config) -> list[Action]:
    labels = item_labels(row, config, pm.severity)
    wanted = set(labels)
    have = set(issue.labels)
    actions: list[Action] = []
    add = tuple(n for n in labels if n not in have)
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
        if not is_own(snap, bot_login) or snap.is_pull_request or snap.number in out:
            continue
        try:
            item = read_item(snap, bot_login=bot_login, config=config)
        except ItemProblem as problem:
            problems[snap.number] = problem
            continue
        if item.info.pm == pm_number:
            out[snap.number] = replace(item, linked=linked.get(snap.number, False))
    return sorted(out.values(), key=lambda i: i.number), list(problems.values())
