"""Documents that stay true: each item's issue, due date and state, and the status
lifecycle, from what GitHub holds; and the batched refresh that rewrites every document
whose state changed in ONE commit per run. Pure: facts in, Tracking and Plans out.

Intake renders a document with the items as they are when the postmortem is edited. After
that, item events (closed, reopened, `/pmbot` commands) only refresh the summary comment:
the documents follow in the weekly report job, all together (`plan_refresh`), never one
commit per item event.

A refresh rewrites a document only when the default branch holds exactly what the issue
renders with the tracking the document recorded, i.e. when no edit of the form is waiting
in a pull request: reviewed content is never replaced by unreviewed content.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from pmbot.core.config import Config
from pmbot.core.lifecycle import (
    REVIEWED,
    ItemProgress,
    ItemState,
    Stage,
    Tracking,
    lifecycle,
    stage_dates,
)
from pmbot.core.model import Postmortem, utc
from pmbot.flows.tracking import ItemInfo
from pmbot.plan import Action, Writer
from pmbot.render.library import LibraryEntry, read_document_data


class ItemFacts(Protocol):
    """What the document needs of an action-item issue (TrackedItem has it)."""

    @property
    def number(self) -> int: ...
    @property
    def info(self) -> ItemInfo: ...
    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def state(self) -> str: ...
    @property
    def state_reason(self) -> str | None: ...
    @property
    def closed_at(self) -> datetime | None: ...


def item_state(item: ItemFacts, config: Config) -> ItemState:
    if item.state == "closed":
        wont = item.state_reason == "not_planned" or config.labels.wont_do.name in item.labels
        return ItemState.WONT_DO if wont else ItemState.DONE
    return ItemState.OVERDUE if config.labels.overdue.name in item.labels else ItemState.OPEN


def item_progress(item: ItemFacts, config: Config) -> ItemProgress:
    info = item.info
    # Assigned when opened, or when `/pmbot owner` last named its owner.
    owners = [utc(c.at).date() for c in info.history if c.cmd == "owner"]
    return ItemProgress(
        key=info.key,
        issue=item.number,
        due=info.due,
        state=item_state(item, config),
        owned=bool(info.owner) and not info.owner_is_team,
        opened=max([info.opened, *owners]),
        closed=utc(item.closed_at).date() if item.closed_at else None,
    )


def _live(items: Iterable[ItemFacts], config: Config) -> list[ItemFacts]:
    """Items that count: not duplicates, not removed from the form."""
    removed = config.labels.removed.name
    return [
        i
        for i in items
        if not (i.state == "closed" and i.state_reason == "duplicate") and removed not in i.labels
    ]


def tracking(
    pm: Postmortem,
    items: Iterable[ItemFacts],
    config: Config,
    *,
    filed: date | None,
    published: date | None,
    issues_url: str | None,
) -> Tracking:
    """The document's tracking: the form's rows matched by key to their issues (the oldest
    issue of a key wins, as intake's duplicate rule keeps it)."""
    by_key: dict[str, ItemProgress] = {}
    for item in sorted(_live(items, config), key=lambda i: i.number):
        by_key.setdefault(item.info.key, item_progress(item, config))
    rows = {r.key: by_key.get(r.key) or _planned(r.key, r.due, r) for r in pm.action_items}
    stages = lifecycle(filed, published, list(rows.values()))
    return Tracking(items=rows, stages=stages, issues_url=issues_url)


def _planned(key: str, due: date | None, row: Any) -> ItemProgress:
    return ItemProgress(key, due=due, owned=bool(row.owner) and not row.owner_is_team)


def recorded_published(entry: LibraryEntry | None) -> date | None:
    """The review (publication) date a document already records, if any."""
    if entry is None:
        return None
    return stage_dates(entry.details.get("lifecycle")).get(REVIEWED)


def recorded_tracking(text: str, issues_url: str | None) -> Tracking:
    """The tracking a published document recorded in its marker (to re-render it as it is)."""
    data = read_document_data(text)
    items: dict[str, ItemProgress] = {}
    for record in data.get("action_items") or ():
        if not isinstance(record, Mapping) or not isinstance(record.get("key"), str):
            continue
        items[record["key"]] = ItemProgress(
            key=record["key"],
            issue=record["issue"] if isinstance(record.get("issue"), int) else None,
            due=_day(record.get("due")),
            state=_state(record.get("state")),
        )
    stages = tuple(
        Stage(str(s.get("stage")), _day(s.get("date")))
        for s in data.get("lifecycle") or ()
        if isinstance(s, Mapping)
    )
    return Tracking(items=items, stages=stages, issues_url=issues_url)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _state(value: Any) -> ItemState:
    try:
        return ItemState(value)
    except ValueError:
        return ItemState.PLANNED


# --- the batched refresh -------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshDocuments(Action):
    """Every document whose state changed, and the index, in one commit on the default branch."""

    branch: str
    files: tuple[tuple[str, str], ...]
    documents: int

    @property
    def writes(self) -> int:
        return 3  # tree, commit, ref update: one commit whatever the number of files

    def describe(self) -> str:
        names = ", ".join(p for p, _ in self.files)
        return f"refresh {self.documents} postmortem documents on {self.branch}: {names}"

    def perform(self, gh: Writer) -> None:
        message = f"Refresh {self.documents} postmortem documents (item states and status)"
        gh.commit_files(self.branch, dict(self.files), message)
