"""Plans: the writes pmbot intends, as frozen actions, and the one place they are applied.

Planners (sweep, commands, intake) return a Plan; `trim_to_budget` keeps what fits this run,
most urgent first; `apply` performs it — or, in a dry run, only describes it. An item's
actions travel together (a reminder without its state update would be repeated next run),
so budgets and failures are per item, never per action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
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


def _group_urgency(actions: Iterable[Action]) -> Urgency:
    return min(a.urgency for a in actions)


def trim_to_budget(plan: Plan, max_writes: int) -> tuple[Plan, Plan]:
    """(kept, deferred): whole items, most urgent first, stopping at the first that won't fit.

    Stopping rather than squeezing in smaller, less urgent items keeps the promise that
    what is deferred is never more urgent than what was done.
    """
    groups = sorted(plan.by_issue().values(), key=_group_urgency)
    kept: list[Action] = []
    deferred: list[Action] = []
    used = 0
    for actions in groups:
        cost = sum(a.writes for a in actions)
        if not deferred and used + cost <= max_writes:
            kept += actions
            used += cost
        else:
            deferred += actions
    note = f"deferred {len(deferred)} writes to the next run (budget {max_writes})"
    notes = (*plan.notes, note) if deferred else plan.notes
    return Plan(tuple(kept), notes), Plan(tuple(deferred))


@dataclass(frozen=True)
class Failure:
    issue: int
    error: str


@dataclass(frozen=True)
class ApplyResult:
    dry_run: bool
    applied: tuple[str, ...] = ()  # descriptions of writes done (or, in a dry run, planned)
    failed: tuple[Failure, ...] = ()
    skipped: tuple[int, ...] = ()  # issues not attempted because the rate limit hit the floor
    stopped_at_floor: bool = False
    writes: int = 0  # GitHub write requests made (0 in a dry run)
    planned_writes: int = 0  # what the plan asked for


Log = Callable[[str], None]


def apply(
    plan: Plan,
    gh: Writer,
    *,
    dry_run: bool,
    log: Log,
    remaining: Callable[[], int | None] | None = None,
    floor: int = 0,
) -> ApplyResult:
    """Perform the plan item by item; the only place pmbot writes to GitHub.

    `remaining` reports the requests left in the rate-limit window (None when unknown);
    below `floor` the run stops cleanly and the rest waits for the next run.
    """
    planned = plan.writes
    if dry_run:
        for line in [*plan.describe(), *plan.notes]:
            log(line)
        described = tuple(a.describe() for a in plan.actions)
        return ApplyResult(dry_run=True, applied=described, planned_writes=planned)
    done: list[Action] = []
    failed: list[Failure] = []
    groups = plan.by_issue()
    skipped: tuple[int, ...] = ()
    for position, (issue, actions) in enumerate(groups.items()):
        left = remaining() if remaining else None
        if left is not None and left < floor:
            log(f"rate limit: {left} requests left, below the floor of {floor}; stopping")
            skipped = tuple(list(groups)[position:])
            break
        done += _apply_item(issue, actions, gh, log, failed)
    for note in plan.notes:
        log(note)
    return ApplyResult(
        dry_run=False,
        applied=tuple(a.describe() for a in done),
        failed=tuple(failed),
        skipped=skipped,
        stopped_at_floor=bool(skipped),
        writes=sum(a.writes for a in done),
        planned_writes=planned,
    )


def _apply_item(
    issue: int, actions: Sequence[Action], gh: Writer, log: Log, failed: list[Failure]
) -> list[Action]:
    """One item's writes in order; a failure stops this item only (the sweep goes on)."""
    done: list[Action] = []
    for action in actions:
        try:
            action.perform(gh)
        # The per-item isolation boundary: whatever one item does wrong (a deleted owner,
        # a 422, a dropped connection) is logged and the sweep moves to the next item.
        except Exception as exc:  # noqa: BLE001
            message = f"{type(exc).__name__}: {exc}"
            log(f"#{issue}: failed to {action.describe()} — {message}; skipping the rest of it")
            failed.append(Failure(issue, message))
            return done
        done.append(action)
        log(action.describe())
    return done


def summary(result: ApplyResult, deferred: Plan | None = None) -> Mapping[str, int]:
    """Counts for the log and step summary."""
    return {
        "planned_writes": result.planned_writes,
        "writes": result.writes,
        "failed_items": len(result.failed),
        "skipped_items": len(result.skipped),
        "deferred_writes": deferred.writes if deferred else 0,
    }
