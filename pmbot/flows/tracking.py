"""Action-item issues as pmbot tracks them: the `item` and `follow` markers and their model.

An action-item issue body carries two hidden markers, written only by pmbot:

``<!-- pmbot:item {...} -->`` — what the item is (written by intake, changed by commands)::

    {"pm": 12, "key": "AI-1", "priority": "P1", "due": "2026-03-01",
     "owner": "alice" | null, "owner_is_team": false, "commander": "carol" | null,
     "authors": ["dave"], "opened": "2026-02-01", "type": "prevent" | null,
     "history": [{"at": ISO, "by": login, "cmd": "due", "from": ..., "to": ..., "why": ...}]}

``<!-- pmbot:follow {...} -->`` — how far the follow-up has gone (written by the sweep)::

    {"step": "overdue", "at": {"due_soon": ISO, "overdue": ISO}, "last": ISO,
     "due": "2026-03-01", "changes": 1, "snoozed_until": ISO | null,
     "pending": {"step": "overdue", "at": ISO, "comments": 3}}

`follow.pending` (present only once a notice was recorded) makes each notice exactly-once
without extra reads: the sweep writes the notice into the marker *before* posting it, with
the issue's comment count at that moment. On a later run a higher count means the notice
landed; an equal or lower one means the comment never arrived and the same notice is posted
again. A landed `pending` is harmless and is only replaced along with the next notice.

`follow.due` is the due date the ladder was climbed against: when a command moves the due
date, the ladder starts again. Labels (`overdue`, `escalated`) mirror the visible part.
Times are UTC ISO 8601 with a `Z`.

An action item filed by hand through `issue_templates/action-item.yml` has no `item` marker:
its form answers are read instead (`manual_info`), keyed `manual-<issue number>`, opened on
the issue's creation date, due on the explicit date or else after the priority's SLA. The
sweep writes only the `follow` marker into it, so the form stays what a person edits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pmbot.core import markers
from pmbot.core.config import default_config
from pmbot.core.forms import Form, ParsedForm, load_form, parse_body, validate_required
from pmbot.core.model import Priority, utc
from pmbot.core.parse.common import Unreadable, short
from pmbot.core.parse.item_vocab import parse_priority, parse_type
from pmbot.core.parse.times import parse_date
from pmbot.core.parse.users import parse_user
from pmbot.errors import PmbotError, Problem

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
        )

    def when(self, step: Step) -> datetime | None:
        return next((at for s, at in self.reached if s == step), None)


def item_marker(info: ItemInfo) -> str:
    """The `<!-- pmbot:item {...} -->` line intake writes into an action-item issue body."""
    return markers.encode(ITEM, info.to_json())


def follow_marker(state: FollowState) -> str:
    """The `<!-- pmbot:follow {...} -->` line the sweep keeps up to date."""
    return markers.encode(FOLLOW, state.to_json())


MARKER_FIX = (
    "restore the pmbot:item marker from the issue's edit history, rerun intake, "
    "or file the item with the Action item issue form"
)


class ItemProblem(PmbotError):
    """An action-item issue pmbot cannot follow: no usable marker, or a hand-filed form
    answer it cannot read (then one Problem per field, with its line in the body)."""

    def __init__(self, number: int, message: str | Sequence[Problem]) -> None:
        self.number = number
        if isinstance(message, str):
            problems: Sequence[Problem] = [Problem(f"issue #{number}", message, MARKER_FIX)]
        else:
            problems = message
        super().__init__(problems)


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
    comments: int | None = None  # GitHub's comment count; None when the reader did not know it

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
        created_at: datetime | None = None,
        author: str | None = None,
        sla_days: Mapping[Priority, int] | None = None,
        comments: int | None = None,
    ) -> TrackedItem:
        """Read the markers, or a hand-filed action-item form when there is no `item` marker;
        raises ItemProblem naming the issue (and the field and line) when unusable.

        `created_at`, `author` and `sla_days` matter only for a hand-filed item: its opened
        date, the person asked when it has no owner, and the SLA that sets a missing due
        date (the shipped defaults when None). `comments` is the issue's comment count, which
        tells whether a recorded notice landed (see `Pending`)."""
        text, people = body or "", tuple(assignees)
        raw = markers.find(text, ITEM)
        if raw is None:  # no marker: perhaps filed by hand with the Action item form
            info = _hand_filed(
                number, text, created_at=created_at, author=author, assignees=people,
                sla_days=sla_days,
            )  # fmt: skip
        try:
            if raw is not None:
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
            assignees=people,
            state=state,
            state_reason=state_reason,
            closed_at=closed_at,
            updated_at=updated_at,
            comments=comments,
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


def read_items(
    issues: Iterable[IssueLike], *, sla_days: Mapping[Priority, int] | None = None
) -> tuple[list[TrackedItem], list[ItemProblem]]:
    """Every readable item, and a problem for each unreadable one (reported, then skipped).

    A hand-filed item also needs the issue's `created_at` (and uses its `author`), which
    IssueSnapshot has; issues without them are read as before. So is the comment count
    (`comments`): without it a recorded notice is trusted to have landed. `sla_days`: the configured
    SLA for hand-filed items without a due date (the shipped defaults when None)."""
    items: list[TrackedItem] = []
    problems: list[ItemProblem] = []
    for issue in issues:
        created_at = getattr(issue, "created_at", None)
        author = getattr(issue, "author", None)
        comments = getattr(issue, "comments", None)
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
                    created_at=created_at if isinstance(created_at, datetime) else None,
                    author=author if isinstance(author, str) and author else None,
                    sla_days=sla_days,
                    comments=comments if type(comments) is int else None,
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


# --- action items filed by hand -------------------------------------------------------------

MANUAL_PREFIX = "manual-"
ACTION_ITEM_FORM = Path(__file__).parents[1] / "data" / "issue_templates" / "action-item.yml"
PM_FIX = "write the postmortem issue as #123, 123 or its link (…/issues/123)."
_PM_REF = re.compile(r"#?(\d+)|https?://\S+/issues/(\d+)(?:[/?#]\S*)?", re.IGNORECASE)
# Fields without which pmbot cannot follow the item; the form's other required fields
# (what, success, …) are the author's business, not the sweep's.
_NEEDED = ("priority", "postmortem")
_T = TypeVar("_T")


@lru_cache(maxsize=1)
def action_item_form() -> Form:
    """The shipped Action item issue form (read once)."""
    text = ACTION_ITEM_FORM.read_text(encoding="utf-8")
    return load_form(text, source=ACTION_ITEM_FORM.name)


def parse_pm_ref(text: str) -> int:
    """`#12`, `12` or an issue link → 12; raises Unreadable otherwise."""
    match = _PM_REF.fullmatch(text.strip().strip("`*<>"))
    number = int(match[1] or match[2]) if match else 0
    if number <= 0:
        raise Unreadable(f"'{short(text)}' is not a postmortem issue.", PM_FIX)
    return number


def manual_info(
    number: int,
    body: str,
    *,
    created_at: datetime | None,
    author: str | None = None,
    assignees: Sequence[str] = (),
    sla_days: Mapping[Priority, int] | None = None,
) -> ItemInfo | None:
    """The ItemInfo of an action item filed with the Action item form; None when the body
    is not that form at all; ItemProblem listing every answer pmbot cannot use."""
    form = action_item_form()
    parsed = parse_body(form, _blank_markers(body))
    if len(parsed.missing) == len(form.fields):
        return None
    reader = _Answers(number, form, parsed)
    reader.problems += [
        _renamed(p, reader.name(p.field))
        for p in validate_required(form, parsed)
        if p.field in _NEEDED
    ]
    priority = reader.read("priority", parse_priority)
    pm = reader.read("postmortem", parse_pm_ref)
    due = reader.read("due", parse_date)
    item_type = reader.read("type", parse_type)
    owner = reader.read("owner", parse_user)
    if created_at is None:
        reader.problems.append(
            Problem(
                f"issue #{number}",
                "is a hand-filed action item, but pmbot was not given its creation date.",
                "pass the issue's created_at when reading it (a pmbot bug, please report it).",
            )
        )
    if reader.problems or priority is None or pm is None or created_at is None:
        raise ItemProblem(number, reader.problems)
    opened = utc(created_at).date()
    if due is None:
        sla = sla_days if sla_days is not None else default_config().sla_days
        due = opened + timedelta(days=sla[priority])
    login = owner.login if owner else (assignees[0] if assignees else None)
    return ItemInfo(
        pm=pm,
        key=f"{MANUAL_PREFIX}{number}",
        priority=priority,
        due=due,
        opened=opened,
        owner=login,
        owner_is_team=bool(owner and owner.is_team),
        authors=(author,) if author else (),
        type=str(item_type) if item_type else None,
    )


def _hand_filed(
    number: int,
    text: str,
    *,
    created_at: datetime | None,
    author: str | None,
    assignees: Sequence[str],
    sla_days: Mapping[Priority, int] | None,
) -> ItemInfo:
    """A marker-less body read as the Action item form; a broken marker is not a form."""
    info = None
    if not markers.has(text, ITEM):
        info = manual_info(
            number, text, created_at=created_at, author=author, assignees=assignees,
            sla_days=sla_days,
        )  # fmt: skip
    if info is None:
        raise ItemProblem(number, "has no readable pmbot:item marker.")
    return info


def _renamed(problem: Problem, name: str) -> Problem:
    return Problem(name, problem.message, problem.fix, problem.line)


@dataclass
class _Answers:
    """Reads one form answer at a time, collecting a Problem (with its line) per bad one."""

    number: int
    form: Form
    parsed: ParsedForm
    problems: list[Problem] = field(default_factory=list)

    def name(self, field_id: str) -> str:
        return f"issue #{self.number} {self.form.field(field_id).label} [{field_id}]"

    def read(self, field_id: str, parse: Callable[[str], _T]) -> _T | None:
        value = self.parsed.values.get(field_id)
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            return None
        try:
            return parse(text)
        except Unreadable as error:
            line = self.parsed.lines.get(field_id)
            self.problems.append(Problem(self.name(field_id), error.message, error.fix, line))
            return None


def _blank_markers(text: str) -> str:
    """text with pmbot's markers blanked out (newlines kept, so body lines stay true)."""
    return _ANY_MARKER.sub(lambda m: "\n" * m.group().count("\n"), text)


_ANY_MARKER = re.compile(r"<!-- pmbot:[a-z][a-z0-9_-]* \{.*?\} -->", re.DOTALL)
