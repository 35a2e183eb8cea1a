"""The writes pmbot can intend, as frozen actions with a `describe()`, the Writer they are
performed with, and the Plan that groups them by item.

Every write pmbot makes is one of these actions, performed by `pmbot.plan.apply`: a dry run
prints them and the budget trims them, whichever command planned them. `Writer` names every
adapter method an action calls, so mypy checks that the adapter (`pmbot.github.client.GitHub`)
can perform every plan: no action casts the writer to a wider protocol at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pmbot.core.config import LabelSpec
from pmbot.core.model import Priority
from pmbot.core.parse.common import short
from pmbot.github.models import FieldValue
from pmbot.plan.writer import Writer

# (priority rank, minus days overdue, issue number): sorts most urgent first.
Urgency = tuple[int, int, int]
LOW_URGENCY: Urgency = (len(Priority), 0, 0)
FIRST: Urgency = (-1, 0, 0)  # what the rest of a plan needs (labels that must exist)
# The unit the budget and failures work in: (issue, part). An item's actions share it; a new
# action item, which has no number yet, is its postmortem's number and the item's key.
ItemKey = tuple[int, str]


def urgency(priority: Priority | str | None, days_overdue: int, issue: int) -> Urgency:
    """P0 before P3, then the most overdue first, then the oldest issue."""
    return (_PRIORITY_RANK.get(str(priority), len(_PRIORITY_RANK)), -days_overdue, issue)


_PRIORITY_RANK = {str(p): rank for rank, p in enumerate(Priority)}


def _short(text: str) -> str:
    return short(text, 72)


@dataclass(frozen=True)
class Action:
    """One intended write to issue `issue` (0 for repository-level writes)."""

    issue: int
    urgency: Urgency = field(default=LOW_URGENCY, kw_only=True)

    @property
    def writes(self) -> int:
        return 1

    @property
    def item(self) -> ItemKey:
        """The item this write belongs to: its writes are budgeted and fail together."""
        return (self.issue, "")

    def describe(self) -> str:
        raise NotImplementedError

    def perform(self, gh: Writer) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class CreateComment(Action):
    body: str

    def describe(self) -> str:
        return f"comment on #{self.issue}: {_short(self.body)}"

    def perform(self, gh: Writer) -> None:
        gh.create_comment(self.issue, self.body)


@dataclass(frozen=True)
class UpsertComment(Action):
    """Create or update in place the comment that carries the `marker_kind` marker."""

    marker_kind: str
    body: str

    def describe(self) -> str:
        return f"update {self.marker_kind} comment on #{self.issue}: {_short(self.body)}"

    def perform(self, gh: Writer) -> None:
        gh.upsert_comment(self.issue, self.marker_kind, self.body)


@dataclass(frozen=True)
class UpdateBody(Action):
    """Rewrite an issue's body; with `labels`, set its whole label set in the same request
    (GitHub replaces the set: the planner merges it from the labels it read)."""

    body: str
    why: str = "update state marker"
    labels: tuple[str, ...] | None = None

    def describe(self) -> str:
        what = "body and labels" if self.labels is not None else "body"
        return f"edit {what} of #{self.issue}: {self.why}"

    def perform(self, gh: Writer) -> None:
        if self.labels is None:
            gh.update_issue(self.issue, body=self.body)
        else:
            gh.update_issue(self.issue, body=self.body, labels=list(self.labels))


@dataclass(frozen=True)
class AddLabels(Action):
    names: tuple[str, ...]

    def describe(self) -> str:
        return f"label #{self.issue}: + {', '.join(self.names)}"

    def perform(self, gh: Writer) -> None:
        gh.add_labels(self.issue, list(self.names))


@dataclass(frozen=True)
class RemoveLabel(Action):
    name: str

    def describe(self) -> str:
        return f"label #{self.issue}: - {self.name}"

    def perform(self, gh: Writer) -> None:
        gh.remove_label(self.issue, self.name)


@dataclass(frozen=True)
class SetState(Action):
    state: str  # "open" | "closed"
    state_reason: str | None = None  # "completed" | "not_planned" | "reopened"

    def describe(self) -> str:
        reason = f" as {self.state_reason}" if self.state_reason else ""
        verb = "close" if self.state == "closed" else "reopen"
        return f"{verb} #{self.issue}{reason}"

    def perform(self, gh: Writer) -> None:
        changes: dict[str, Any] = {"state": self.state}
        if self.state_reason:
            changes["state_reason"] = self.state_reason
        gh.update_issue(self.issue, **changes)


@dataclass(frozen=True)
class SetAssignees(Action):
    assignees: tuple[str, ...]

    def describe(self) -> str:
        return f"assign #{self.issue} to {', '.join(self.assignees) or 'nobody'}"

    def perform(self, gh: Writer) -> None:
        gh.set_assignees(self.issue, list(self.assignees))


@dataclass(frozen=True)
class CreateIssue(Action):
    """A new issue; `issue` is the issue it is created for (e.g. the postmortem).

    `marker` is a hidden marker in `body` the adapter uses to find the issue if the answer
    to the create request is lost, so a retry never files it twice.
    """

    title: str
    body: str
    marker: str
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()

    def describe(self) -> str:
        where = f" for #{self.issue}" if self.issue else ""
        return f"create issue{where}: {_short(self.title)}"

    def perform(self, gh: Writer) -> None:
        gh.create_issue(self.title, self.body, self.labels, self.assignees, marker=self.marker)


@dataclass(frozen=True)
class EditIssue(Action):
    """Change an issue's title and/or body: only the fields given are sent."""

    title: str | None = None
    body: str | None = None
    why: str = "edited in the postmortem form"

    def describe(self) -> str:
        fields = [n for n, v in (("title", self.title), ("body", self.body)) if v is not None]
        return f"edit {' and '.join(fields)} of #{self.issue}: {self.why}"

    def perform(self, gh: Writer) -> None:
        changes = {n: v for n, v in (("title", self.title), ("body", self.body)) if v is not None}
        gh.update_issue(self.issue, **changes)


@dataclass(frozen=True)
class EditComment(Action):
    """Replace the text of comment `comment_id` on issue `issue`."""

    comment_id: int
    body: str
    why: str = "edit comment"

    def describe(self) -> str:
        return f"edit comment {self.comment_id} on #{self.issue}: {self.why}"

    def perform(self, gh: Writer) -> None:
        gh.edit_comment(self.comment_id, self.body)


@dataclass(frozen=True)
class EnsureLabels(Action):
    """Create the labels that do not exist yet (the adapter lists them once per run)."""

    specs: tuple[LabelSpec, ...]

    @property
    def writes(self) -> int:
        return 0  # usually none; a first run creates the missing ones

    def describe(self) -> str:
        return f"ensure labels exist: {', '.join(s.name for s in self.specs)}"

    def perform(self, gh: Writer) -> None:
        gh.ensure_labels(self.specs)


@dataclass(frozen=True)
class CreateSubIssue(Action):
    """Create an issue (its `marker` lets a lost answer be found), then link it under
    `issue` as a sub-issue. `key` names it among its parent's new sub-issues, so each is an
    item of its own for the budget and for failures."""

    key: str
    title: str
    body: str
    marker: str
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    # GitHub's issue type and issue field values (field id, value), where the org has them
    issue_type: str | None = None
    field_values: tuple[tuple[int, FieldValue], ...] = ()

    @property
    def writes(self) -> int:
        return 2

    @property
    def item(self) -> ItemKey:
        return (self.issue, self.key)

    def describe(self) -> str:
        owner = f", assigned to {', '.join(self.assignees)}" if self.assignees else ""
        if self.issue_type is not None:
            owner += f", issue type {self.issue_type}"
        if self.field_values:
            owner += f", {len(self.field_values)} issue field values"
        return f"create action item {self.key} as a sub-issue of #{self.issue}: {self.title}{owner}"

    def perform(self, gh: Writer) -> None:
        child = gh.create_issue(
            self.title, self.body, list(self.labels), list(self.assignees), marker=self.marker,
            issue_type=self.issue_type, field_values=self.field_values,
        )  # fmt: skip
        gh.add_sub_issue(self.issue, child.id, child_number=child.number)


@dataclass(frozen=True)
class SetIssueType(Action):
    """Give the issue GitHub's issue type `name` (the `issues.type` setting)."""

    name: str

    def describe(self) -> str:
        return f"issue type of #{self.issue}: {self.name}"

    def perform(self, gh: Writer) -> None:
        gh.update_issue(self.issue, type=self.name)


@dataclass(frozen=True)
class SetIssueFields(Action):
    """Set issue field values, (field id, field name, value), in one request."""

    values: tuple[tuple[int, str, FieldValue], ...]

    def describe(self) -> str:
        shown = ", ".join(f"{name} = {value}" for _, name, value in self.values)
        return f"issue fields of #{self.issue}: {shown}"

    def perform(self, gh: Writer) -> None:
        gh.set_issue_field_values(self.issue, [(fid, value) for fid, _, value in self.values])


@dataclass(frozen=True)
class LinkSubIssue(Action):
    """Link issue `issue` (id `child_id`) under `parent` (a run stopped between create and link)."""

    parent: int
    child_id: int

    def describe(self) -> str:
        return f"link #{self.issue} as a sub-issue of #{self.parent}"

    def perform(self, gh: Writer) -> None:
        gh.add_sub_issue(self.parent, self.child_id, child_number=self.issue)


@dataclass(frozen=True)
class AddBlockedBy(Action):
    """Mark issue `issue` blocked by #`blocker` (its id `blocker_id`): a `Depends on` of the
    form, `key` waiting for `blocker_key`."""

    blocker: int
    blocker_id: int
    key: str
    blocker_key: str

    def describe(self) -> str:
        return (
            f"mark #{self.issue} blocked by #{self.blocker} "
            f"({_short(self.key)} depends on {_short(self.blocker_key)})"
        )

    def perform(self, gh: Writer) -> None:
        gh.add_blocked_by(self.issue, self.blocker_id, blocker_number=self.blocker)


@dataclass(frozen=True)
class PublishFiles(Action):
    """Files for issue `issue` in one commit: on `branch` with a pull request into `base`, or
    (`pull_title` None) straight on `branch`, the default branch."""

    branch: str
    base: str
    files: tuple[tuple[str, str], ...]  # (path, text): only the files that differ
    message: str
    branch_exists: bool
    pull_title: str | None = None
    pull_body: str = ""

    @property
    def writes(self) -> int:
        pull = 0 if self.pull_title is None else 1
        commit = 3 if self.files else 0  # one commit whatever the files: tree, commit, ref
        return commit + pull + (0 if self.branch_exists else pull)

    def describe(self) -> str:
        names = ", ".join(p for p, _ in self.files) or "no files"
        if self.pull_title is None:
            return f"commit to {self.branch}: {names}"
        return f"pull request from {self.branch}: {names}"

    def perform(self, gh: Writer) -> None:
        head = None  # straight on the default branch, commit_files reads its head itself
        if self.pull_title is not None:
            head = gh.ensure_branch(self.branch, self.base).sha
        if self.files:
            gh.commit_files(self.branch, dict(self.files), self.message, head=head)
        if self.pull_title is not None:
            gh.open_or_update_pull(self.branch, self.base, self.pull_title, self.pull_body)


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def writes(self) -> int:
        return sum(a.writes for a in self.actions)

    def __bool__(self) -> bool:
        return bool(self.actions)

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.actions + other.actions, self.notes + other.notes)

    def by_issue(self) -> dict[int, tuple[Action, ...]]:
        """Actions grouped by issue, in plan order within each issue."""
        groups: dict[int, list[Action]] = {}
        for action in self.actions:
            groups.setdefault(action.issue, []).append(action)
        return {issue: tuple(actions) for issue, actions in groups.items()}

    def by_item(self) -> dict[ItemKey, tuple[Action, ...]]:
        """Actions grouped by item (see `Action.item`), in plan order within each item."""
        groups: dict[ItemKey, list[Action]] = {}
        for action in self.actions:
            groups.setdefault(action.item, []).append(action)
        return {key: tuple(actions) for key, actions in groups.items()}

    def describe(self) -> list[str]:
        """Every intended write, grouped by item: the dry-run output."""
        lines: list[str] = []
        for issue, actions in self.by_issue().items():
            lines.append(f"#{issue}" if issue else "repository")
            lines += [f"  - {a.describe()}" for a in actions]
        return lines
