"""The one place pmbot writes: apply a plan, item by item, or describe it in a dry run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pmbot.errors import GitHubError
from pmbot.plan.actions import Action, ItemKey, Plan
from pmbot.plan.writer import Writer


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

    def __add__(self, other: ApplyResult) -> ApplyResult:
        """Two applies of one run as one result."""
        return ApplyResult(
            dry_run=self.dry_run and other.dry_run,
            applied=self.applied + other.applied,
            failed=self.failed + other.failed,
            skipped=self.skipped + other.skipped,
            stopped_at_floor=self.stopped_at_floor or other.stopped_at_floor,
            writes=self.writes + other.writes,
            planned_writes=self.planned_writes + other.planned_writes,
        )


Log = Callable[[str], None]
# Called right before an item's writes: the actions to perform after all (the same, or
# planned again from what the item holds now, when it changed since it was read).
Refresh = Callable[[ItemKey, tuple[Action, ...]], tuple[Action, ...]]


def apply(
    plan: Plan,
    gh: Writer,
    *,
    dry_run: bool,
    log: Log,
    remaining: Callable[[], int | None] | None = None,
    floor: int = 0,
    refresh: Refresh | None = None,
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
    groups = plan.by_item()
    skipped: tuple[int, ...] = ()
    for position, (key, actions) in enumerate(groups.items()):
        left = remaining() if remaining else None
        if left is not None and left < floor:
            log(f"rate limit: {left} requests left, below the floor of {floor}; stopping")
            skipped = _issues(list(groups)[position:])
            break
        if refresh is not None:
            try:
                actions = refresh(key, actions)
            except GitHubError as exc:
                _fail(key[0], "read it again before writing", exc, log, failed)
                continue
        done += _apply_item(key[0], actions, gh, log, failed)
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


def _issues(keys: Sequence[ItemKey]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(issue for issue, _ in keys))


def _apply_item(
    issue: int, actions: Sequence[Action], gh: Writer, log: Log, failed: list[Failure]
) -> list[Action]:
    """One item's writes in order; a failure stops this item only (the sweep goes on)."""
    done: list[Action] = []
    for action in actions:
        try:
            action.perform(gh)
        # The per-item isolation boundary: whatever GitHub refuses for one item (a deleted
        # issue, a 422, an answer lost twice) is logged and the run moves to the next item.
        # Anything else is a bug in pmbot and stops the run with its traceback.
        except GitHubError as exc:
            _fail(issue, action.describe(), exc, log, failed)
            return done
        done.append(action)
        log(action.describe())
    return done


def _fail(issue: int, what: str, exc: GitHubError, log: Log, failed: list[Failure]) -> None:
    message = f"{type(exc).__name__}: {exc}"
    log(f"#{issue}: failed to {what} — {message}; skipping the rest of it")
    failed.append(Failure(issue, message))
