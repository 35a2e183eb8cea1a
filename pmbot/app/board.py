"""The Projects board of `project.board` kept in step by the sweep (`pmbot sweep` for one
repository's items, `pmbot sweep --org` for an organisation's): the open items with their
values, each with its postmortem's severity, and the closed items' cards moved to Done."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pmbot.app.forms import postmortem_form
from pmbot.core.config import Config
from pmbot.core.model import Severity
from pmbot.flows.board import FIELDS, LISTING, board_item, board_ref, severity_of, when_closed
from pmbot.flows.items import TrackedItem
from pmbot.github.base import RepoBase
from pmbot.github.client import GitHub
from pmbot.github.models import BoardItem, IssueSnapshot
from pmbot.github.projects import ProjectBoard


def severities(postmortems: Iterable[IssueSnapshot]) -> dict[int, Severity]:
    """Each postmortem's severity by issue number (those that name none are left out)."""
    form = postmortem_form()
    return {pm.number: s for pm in postmortems if (s := severity_of(pm.body, form)) is not None}


def repository_board(
    gh: GitHub, config: Config, tracked: Sequence[TrackedItem], dry_run: bool
) -> list[str]:
    """`pmbot sweep`'s part: this repository's items (its postmortems read once, one request
    per 100, for their severities); the board's listing is limited to this repository."""
    board = config.project.board
    if board is None:
        return []
    if dry_run:
        return keep_board(gh, board, [], config, dry_run=True, count=len(tracked))
    postmortems = gh.list_issues(labels=[config.postmortem_label], state="all")
    severity = severities(postmortems)
    repository = gh.settings.repository
    items = [board_item(i, repository, severity.get(i.info.pm)) for i in tracked]
    return keep_board(gh, board, items, config, dry_run, query=f"{LISTING} repo:{repository}")


def keep_board(
    github: RepoBase,
    board: str,
    items: Sequence[BoardItem],
    config: Config,
    dry_run: bool,
    *,
    query: str = LISTING,
    count: int | None = None,
) -> list[str]:
    """Keep `items` on the board, and closed action items' cards Done; in a dry run, only
    say so. The notes for the run's summary."""
    if dry_run:
        n = len(items) if count is None else count
        return [f"project {board}: would keep {n} items in step (dry run)"]
    closed = when_closed(config.labels.action_item.name)
    done = ProjectBoard(github, board_ref(board)).sync(FIELDS, items, query=query, closed=closed)
    created = ", ".join(done.fields_created) or "none"
    notes = [
        f"project {board}: {done.items_added} items added, {done.items_updated} updated "
        f"({done.items_closed} closed → Done; {done.values_written} values), "
        f"fields created: {created}"
    ]
    return notes + [f"project {board}: {problem}" for problem in done.problems]
