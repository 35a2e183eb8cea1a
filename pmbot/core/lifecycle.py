"""Where a postmortem stands: its action items' progress and its status lifecycle. Pure.

A postmortem moves through four stages, each reached on a date:

1. **In review** — the postmortem issue is filed (its creation day).
2. **Reviewed** — the document reached the default branch: the pull request merged, or
   the commit landed with `publish: commit`.
3. **Action items assigned** — after that, every action item has its issue and a person
   owning it (the day the last one was opened, or the review's day if later).
4. **Complete** — every action item is closed, done or explicitly not done (the day the
   last one closed).

A stage is reached only after the one before it, and never on an earlier day, so the dates
read in order. Everything here is recomputed from facts GitHub keeps (creation, merge and
close dates), which is what lets any run refresh a document and a rerun change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

IN_REVIEW = "In review"
REVIEWED = "Reviewed"
ASSIGNED = "Action items assigned"
COMPLETE = "Complete"
STAGES = (IN_REVIEW, REVIEWED, ASSIGNED, COMPLETE)


class ItemState(StrEnum):
    PLANNED = "not opened yet"
    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"
    WONT_DO = "won't do"

    @property
    def closed(self) -> bool:
        return self in (ItemState.DONE, ItemState.WONT_DO)


@dataclass(frozen=True)
class ItemProgress:
    """One action item as its document shows it: its issue, due date and state."""

    key: str
    issue: int | None = None
    due: date | None = None
    state: ItemState = ItemState.PLANNED
    owned: bool = False  # a person (not a team, not nobody) owns it
    opened: date | None = None
    closed: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "issue": self.issue,
            "due": self.due.isoformat() if self.due else None,
            "state": str(self.state),
        }


@dataclass(frozen=True)
class Progress:
    """Counts over a postmortem's action items ("5/7 done, 1 overdue")."""

    total: int = 0
    done: int = 0
    wont_do: int = 0
    overdue: int = 0

    @classmethod
    def of(cls, items: Iterable[ItemProgress]) -> Progress:
        states = [i.state for i in items]
        return cls(
            total=len(states),
            done=states.count(ItemState.DONE),
            wont_do=states.count(ItemState.WONT_DO),
            overdue=states.count(ItemState.OVERDUE),
        )

    def text(self) -> str:
        if not self.total:
            return "no action items"
        parts = [f"{self.done}/{self.total} done"]
        parts += [f"{self.wont_do} won't do"] if self.wont_do else []
        parts += [f"{self.overdue} overdue"] if self.overdue else []
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "done": self.done,
            "wont_do": self.wont_do,
            "overdue": self.overdue,
            "text": self.text(),
        }


@dataclass(frozen=True)
class Stage:
    name: str
    on: date | None  # None only for an undated draft's first stage

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.name, "date": self.on.isoformat() if self.on else None}


@dataclass(frozen=True)
class Tracking:
    """What a document shows beyond the form: each item's issue and state, and the status."""

    items: Mapping[str, ItemProgress] = field(default_factory=dict)  # by item key
    stages: tuple[Stage, ...] = ()
    issues_url: str | None = None  # "https://github.com/OWNER/REPO/issues", to link items


def lifecycle(
    filed: date | None, published: date | None, items: Sequence[ItemProgress]
) -> tuple[Stage, ...]:
    """The stages reached, oldest first; the last one is the postmortem's status."""
    stages = [Stage(IN_REVIEW, filed)]
    if published is None:
        return tuple(stages)
    reached = max(published, filed) if filed else published
    stages.append(Stage(REVIEWED, reached))
    if not items or not all(i.issue is not None and i.owned for i in items):
        return tuple(stages)
    opened = [i.opened for i in items if i.opened]
    reached = max([reached, *opened])
    stages.append(Stage(ASSIGNED, reached))
    if all(i.state.closed for i in items):
        closed = [i.closed for i in items if i.closed]
        stages.append(Stage(COMPLETE, max([reached, *closed])))
    return tuple(stages)


def status(stages: Sequence[Stage]) -> str:
    return stages[-1].name if stages else IN_REVIEW


def stage_dates(records: Any) -> dict[str, date]:
    """{stage: date} from the JSON `lifecycle` list a document or index.json records."""
    found: dict[str, date] = {}
    for record in records if isinstance(records, list) else ():
        if isinstance(record, Mapping) and isinstance(record.get("stage"), str):
            try:
                found[record["stage"]] = date.fromisoformat(str(record.get("date")))
            except ValueError:
                continue
    return found
