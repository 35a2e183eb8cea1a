"""The writes pmbot can intend, as frozen actions with a `describe()`, and the Plan that
groups them by issue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pmbot.core.model import Priority
from pmbot.core.parse.common import short

# (priority rank, minus days overdue, issue number): sorts most urgent first.
Urgency = tuple[int, int, int]
LOW_URGENCY: Urgency = (len(Priority), 0, 0)


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
    body: str
    why: str = "update state marker"

    def describe(self) -> str:
        return f"edit body of #{self.issue}: {self.why}"

    def perform(self, gh: Writer) -> None:
        gh.update_issue(self.issue, body=self.body)


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
        return f"create issue for #{self.issue}: {_short(self.title)}"

    def perform(self, gh: Writer) -> None:
        gh.create_issue(self.title, self.body, self.labels, self.assignees, marker=self.marker)


class Writer(Protocol):
    """The write half of the GitHub adapter (pmbot.github), as plans use it."""

    def create_comment(self, number: int, body: str) -> Any: ...
    def upsert_comment(self, number: int, marker_kind: str, body: str) -> Any: ...
    def update_issue(self, number: int, **changes: Any) -> Any: ...
    def add_labels(self, number: int, labels: Sequence[str]) -> Any: ...
    def remove_label(self, number: int, name: str) -> Any: ...
    def set_assignees(self, number: int, logins: Sequence[str]) -> Any: ...
    def create_issue(
        self,
        title: str,
        body: str,
        labels: Sequence[str] = (),
        assignees: Sequence[str] = (),
        *,
        marker: str,
    ) -> Any: ...


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

    def describe(self) -> list[str]:
        """Every intended write, grouped by item: the dry-run output."""
        lines: list[str] = []
        for issue, actions in self.by_issue().items():
            lines.append(f"#{issue}" if issue else "repository")
            lines += [f"  - {a.describe()}" for a in actions]
        return lines
