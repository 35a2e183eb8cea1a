"""Action-item issues as pmbot tracks them: the `item` and `follow` markers and their model.

An action-item issue body carries two hidden markers, written only by pmbot:

``<!-- pmbot:item {...} -->`` — what the item is (written by intake, changed by commands)::

    {"pm": 12, "key": "AI-1", "priority": "P1", "due": "2026-03-01",
     "owner": "alice" | null, "owner_is_team": false, "commander": "carol" | null,
     "authors": ["dave"], "opened": "2026-02-01", "type": "prevent" | null,
     "history": [{"at": ISO, "by": login, "cmd": "due", "from": ..., "to": ..., "why": ...}]}

``<!-- pmbot:follow {...} -->`` — how far the follow-up has gone (written by the sweep)::

    {"step": "overdue", "at": {"due_soon": ISO, "overdue": ISO}, "last": ISO,
     "due": "2026-03-01", "changes": 1, "snoozed_until": ISO | null}

`follow.due` is the due date the ladder was climbed against: when a command moves the due
date, the ladder starts again. Labels (`overdue`, `escalated`) mirror the visible part.
Times are UTC ISO 8601 with a `Z`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from pmbot import markers
from pmbot.errors import PmbotError, Problem
from pmbot.model import Priority, utc

ITEM = "item"
FOLLOW = "follow"
HISTORY_CAP = 50  # keep bodies bounded: only the latest changes stay in the marker


class Step(StrEnum):
    """Rungs of the escalation ladder, in order; `unowned` asks the commander for an owner."""

    NONE = "none"
    UNOWNED = "unowned"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    COMMANDER = "commander"
    LEADERSHIP = "leadership"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {step: position for position, step in enumerate(Step)}


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with seconds and a `Z`, the one format markers use."""
    return utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return utc(moment)


@dataclass(frozen=True)
class Change:
    """One recorded change to an item: who, when, what and why."""

    at: datetime
    by: str
    cmd: str
    why: str | None = None
    before: str | None = None
    after: str | None = None
    comment_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"at": iso(self.at), "by": self.by, "cmd": self.cmd}
        optional = {"why": self.why, "from": self.before, "to": self.after, "cid": self.comment_id}
        data.update({k: v for k, v in optional.items() if v is not None})
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            at=parse_iso(data["at"]),
            by=str(data["by"]),
            cmd=str(data["cmd"]),
            why=data.get("why"),
            before=data.get("from"),
            after=data.get("to"),
            comment_id=data.get("cid"),
        )


@dataclass(frozen=True)
class ItemInfo:
    """The `item` marker: what intake decided about the action item."""

    pm: int
    key: str
    priority: Priority
    due: date
    opened: date
    owner: str | None = None
    owner_is_team: bool = False
    commander: str | None = None
    authors: tuple[str, ...] = ()
    type: str | None = None
    history: tuple[Change, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "pm": self.pm,
            "key": self.key,
            "priority": str(self.priority),
            "due": self.due.isoformat(),
            "owner": self.owner,
            "owner_is_team": self.owner_is_team,
            "commander": self.commander,
            "authors": list(self.authors),
            "opened": self.opened.isoformat(),
            "type": self.type,
            "history": [c.to_json() for c in self.history[-HISTORY_CAP:]],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ItemInfo:
        return cls(
            pm=int(data["pm"]),
            key=str(data["key"]),
            priority=Priority(data["priority"]),
            due=date.fromisoformat(data["due"]),
            opened=date.fromisoformat(data["opened"]),
            owner=data.get("owner") or None,
            owner_is_team=bool(data.get("owner_is_team", False)),
            commander=data.get("commander") or None,
            authors=tuple(str(a) for a in data.get("authors") or ()),
            type=data.get("type"),
            history=tuple(Change.from_json(c) for c in data.get("history") or ()),
        )


@dataclass(frozen=True)
class FollowState:
    """The `follow` marker: the ladder step reached, when, and the last reminder."""

    step: Step = Step.NONE
    reached: tuple[tuple[Step, datetime], ...] = ()
    last: datetime | None = None
    due: date | None = None
    changes: int = 0
    snoozed_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "step": str(self.step),
            "at": {str(step): iso(at) for step, at in self.reached},
            "last": iso(self.last) if self.last else None,
            "due": self.due.isoformat() if self.due else None,
            "changes": self.changes,
            "snoozed_until": iso(self.snoozed_until) if self.snoozed_until else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FollowState:
        at = data.get("at") or {}
        return cls(
            step=Step(data.get("step", "none")),
            reached=tuple((Step(k), parse_iso(v)) for k, v in sorted(at.items())),
            last=parse_iso(data["last"]) if data.get("last") else None,
            due=date.fromisoformat(data["due"]) if data.get("due") else None,
            changes=int(data.get("changes", 0)),
            snoozed_until=parse_iso(data["snoozed_until"]) if data.get("snoozed_until") else None,
        )

    def when(self, step: Step) -> datetime | None:
        return next((at for s, at in self.reached if s == step), None)


def item_marker(info: ItemInfo) -> str:
    """The `<!-- pmbot:item {...} -->` line intake writes into an action-item issue body."""
    return markers.encode(ITEM, info.to_json())


def follow_marker(state: FollowState) -> str:
    """The `<!-- pmbot:follow {...} -->` line the sweep keeps up to date."""
    return markers.encode(FOLLOW, state.to_json())


class ItemProblem(PmbotError):
    """An action-item issue pmbot cannot follow (missing or unreadable marker)."""

    def __init__(self, number: int, message: str) -> None:
        self.number = number
        fix = "restore the pmbot:item marker from the issue's edit history, or rerun intake"
        super().__init__([Problem(field=f"issue #{number}", message=message, fix=fix)])


@dataclass(frozen=True)
class TrackedItem:
    """An action-item issue as the pure planners see it."""

    number: int
    title: str
    body: str
    info: ItemInfo
    follow: FollowState = field(default_factory=FollowState)
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def owner(self) -> str | None:
        return self.info.owner

    @property
    def priority(self) -> Priority:
        return self.info.priority

    @property
    def due(self) -> date:
        return self.info.due

    @classmethod
    def from_issue(
        cls,
        *,
        number: int,
        title: str,
        body: str | None,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        state: str = "open",
        state_reason: str | None = None,
        closed_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> TrackedItem:
        """Read the markers; raises ItemProblem naming the issue when they are unusable."""
        text = body or ""
        raw = markers.find(text, ITEM)
        if raw is None:
            raise ItemProblem(number, "has no readable pmbot:item marker.")
        try:
            info = ItemInfo.from_json(raw)
            follow_raw = markers.find(text, FOLLOW)
            follow = FollowState.from_json(follow_raw) if follow_raw else FollowState()
        except (KeyError, ValueError, TypeError) as exc:
            raise ItemProblem(number, f"has a malformed pmbot marker ({exc}).") from exc
        return cls(
            number=number,
            title=title,
            body=text,
            info=info,
            follow=follow,
            labels=tuple(labels),
            assignees=tuple(assignees),
            state=state,
            state_reason=state_reason,
            closed_at=closed_at,
            updated_at=updated_at,
        )


class IssueLike(Protocol):
    """The fields of the adapter's IssueSnapshot that tracking reads."""

    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str | None: ...
    @property
    def labels(self) -> Sequence[str]: ...
    @property
    def assignees(self) -> Sequence[str]: ...
    @property
    def state(self) -> str: ...
    @property
    def state_reason(self) -> str | None: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def updated_at(self) -> datetime | None: ...


def read_items(issues: Iterable[IssueLike]) -> tuple[list[TrackedItem], list[ItemProblem]]:
    """Every readable item, and a problem for each unreadable one (reported, then skipped)."""
    items: list[TrackedItem] = []
    problems: list[ItemProblem] = []
    for issue in issues:
        try:
            items.append(
                TrackedItem.from_issue(
                    number=issue.number,
                    title=issue.title,
                    body=issue.body,
                    labels=issue.labels,
                    assignees=issue.assignees,
                    state=issue.state,
                    state_reason=issue.state_reason,
                    closed_at=issue.closed_at,
                    updated_at=issue.updated_at,
                )
            )
        except ItemProblem as problem:
            problems.append(problem)
    return items, problems


def with_markers(body: str, info: ItemInfo | None = None, follow: FollowState | None = None) -> str:
    """body with its item and/or follow markers rewritten (the rest of the text untouched)."""
    if info is not None:
        body = markers.replace(body, ITEM, info.to_json())
    if follow is not None:
        body = markers.replace(body, FOLLOW, follow.to_json())
    return body
