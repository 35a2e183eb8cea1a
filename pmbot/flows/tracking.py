"""The state pmbot keeps on an action item: the `item` and `follow` markers and their types.

Who writes them, and where they are believed, is `pmbot.flows.items`' trust rule. In pmbot's
own item issues both markers live in the body:

``<!-- pmbot:item {...} -->`` — what the item is (written by intake, changed by commands)::

    {"pm": 12, "key": "AI-1", "priority": "P1", "due": "2026-03-01",
     "owner": "alice" | null, "owner_is_team": false, "commander": "carol" | null,
     "authors": ["dave"], "opened": "2026-02-01", "type": "prevent" | null,
     "near_miss": true (only on an item of a near-miss postmortem),
     "history": [{"at": ISO, "by": login, "cmd": "due", "from": ..., "to": ..., "why": ...}]}

``<!-- pmbot:follow {...} -->`` — how far the follow-up has gone (written by the sweep)::

    {"step": "overdue", "at": {"due_soon": ISO, "overdue": ISO}, "last": ISO,
     "due": "2026-03-01", "changes": 1, "snoozed_until": ISO | null, "seq": 4,
     "comments": 2, "pending": {"step": "overdue", "at": ISO, "comments": 3}}

The follow state has two homes, so that a notice costs one write (see `pmbot.flows.ladder`):
the body's marker, and the same marker at the end of each notice comment pmbot posts. A notice
whose labels do not change is that comment alone; the body catches up whenever pmbot edits it
anyway (a label change, a command). `seq` counts the recorded changes: of the body's state
and pmbot's newest comment carrying one, the higher `seq` is the item's state (a tie is the
body's). `comments` is the issue's comment count the body's state accounts for (`accounted`):
while GitHub counts no more comments than that, no comment can hold a newer state, and the
sweep reads none.

`follow.pending` makes a notice recorded in the body ahead of its comment exactly-once
without extra reads: the sweep writes the notice into the body's marker (with the labels it
changes, one request) *before* posting it, with the issue's comment count at that moment. On
a later run a higher count means the notice landed; an equal or lower one means the comment
never arrived and the same notice is posted again. A landed `pending` is harmless and is only
replaced along with the next notice. (A notice that is its comment alone needs none of this:
if the comment landed, it holds the state; if not, nothing was said.)

`follow.due` is the due date the ladder was climbed against: when a command moves the due
date, the ladder starts again. Labels (`overdue`, `escalated`) mirror the visible part.
Times are UTC ISO 8601 with a `Z`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pmbot.core import markers
from pmbot.core.model import Priority
from pmbot.core.timestamps import iso, parse_iso

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
    near_miss: bool = False  # an item of a near-miss postmortem: lighter follow-through

    def to_json(self) -> dict[str, Any]:
        data = {
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
        if self.near_miss:  # written only when true: other items' markers stay as they were
            data["near_miss"] = True
        return data

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
            near_miss=data.get("near_miss") is True,
        )


@dataclass(frozen=True)
class Pending:
    """The last notice the sweep recorded, and the issue's comment count before posting it."""

    step: Step
    at: datetime
    comments: int

    def to_json(self) -> dict[str, Any]:
        return {"step": str(self.step), "at": iso(self.at), "comments": self.comments}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Pending:
        return cls(
            step=Step(data["step"]), at=parse_iso(data["at"]), comments=int(data["comments"])
        )

    def landed(self, comments: int | None) -> bool:
        """True unless the issue's comment count shows the notice was never posted; an
        unknown count (None) trusts the marker."""
        return comments is None or comments > self.comments


@dataclass(frozen=True)
class FollowState:
    """The `follow` marker: the ladder step reached, when, and the last reminder."""

    step: Step = Step.NONE
    reached: tuple[tuple[Step, datetime], ...] = ()
    last: datetime | None = None
    due: date | None = None
    changes: int = 0
    snoozed_until: datetime | None = None
    pending: Pending | None = None
    seq: int = 0  # recorded changes so far: the higher of two states is the newer
    comments: int | None = None  # the comment count a body's state accounts for

    @property
    def accounted(self) -> int:
        """How many of the issue's comments this (body's) state accounts for: a higher count
        on GitHub means a comment may hold a newer state. A recorded notice counts as landed."""
        if self.comments is not None:
            return self.comments
        return self.pending.comments + 1 if self.pending is not None else 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "step": str(self.step),
            "at": {str(step): iso(at) for step, at in self.reached},
            "last": iso(self.last) if self.last else None,
            "due": self.due.isoformat() if self.due else None,
            "changes": self.changes,
            "snoozed_until": iso(self.snoozed_until) if self.snoozed_until else None,
        }
        if self.pending is not None:
            data["pending"] = self.pending.to_json()
        if self.seq:
            data["seq"] = self.seq
        if self.comments is not None:
            data["comments"] = self.comments
        return data

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
            pending=Pending.from_json(data["pending"]) if data.get("pending") else None,
            seq=int(data.get("seq", 0)),
            comments=int(data["comments"]) if data.get("comments") is not None else None,
        )

    def when(self, step: Step) -> datetime | None:
        return next((at for s, at in self.reached if s == step), None)


def item_marker(info: ItemInfo) -> str:
    """The `<!-- pmbot:item {...} -->` line intake writes into an action-item issue body."""
    return markers.encode(ITEM, info.to_json())


def follow_marker(state: FollowState) -> str:
    """The `<!-- pmbot:follow {...} -->` line the sweep keeps up to date."""
    return markers.encode(FOLLOW, state.to_json())


def with_markers(body: str, info: ItemInfo | None = None, follow: FollowState | None = None) -> str:
    """body with its item and/or follow markers rewritten (the rest of the text untouched)."""
    if info is not None:
        body = markers.replace(body, ITEM, info.to_json())
    if follow is not None:
        body = markers.replace(body, FOLLOW, follow.to_json())
    return body
