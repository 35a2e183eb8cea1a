"""A Projects (v2) board kept in step with the action items, over REST.

`sync` reads the board's fields (one page) and its items with those fields' values (one
page per 100 items), creates the fields it lacks, adds the issues that are not on it, and
writes only the values that differ, one request per item that changed. A rerun with the
same items therefore writes nothing. Adding an item and setting values are idempotent on
GitHub (adding an issue that is already there answers its item), so both may be repeated
after a lost answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pmbot.errors import GitHubError, Problem
from pmbot.github.base import RepoBase
from pmbot.github.models import (
    BoardClosed,
    BoardItem,
    BoardSync,
    FieldValue,
    ProjectFieldSpec,
    ProjectRef,
)
from pmbot.github.transport import GitHubHTTPError

# GitHub's single-select colours, given to options in turn when pmbot creates a field.
OPTION_COLORS = ("GRAY", "BLUE", "GREEN", "YELLOW", "ORANGE", "RED", "PINK", "PURPLE")


@dataclass
class _Field:
    id: int
    name: str
    data_type: str
    options: dict[str, str] = field(default_factory=dict)  # option name -> option id


@dataclass
class _Item:
    id: int
    values: dict[int, Any]  # field id -> comparable value (an option id for single-select)
    state: str = "open"  # the issue's
    labels: frozenset[str] = frozenset()  # the issue's label names


class ProjectBoard:
    """One board (`ProjectRef`), reached through an adapter's transport."""

    def __init__(self, github: RepoBase, ref: ProjectRef) -> None:
        self.github, self.ref = github, ref
        self.http = github.http

    def sync(
        self,
        specs: Sequence[ProjectFieldSpec],
        items: Sequence[BoardItem],
        *,
        query: str | None = None,
        closed: BoardClosed | None = None,
    ) -> BoardSync:
        """Keep `items` on the board with their values. `query` filters the board's own
        listing (GitHub's project filter, e.g. `-status:Done`): an item it leaves out is
        treated as joining, so it is added (idempotent) and given its initial values too.
        `closed` gives values for listed issues that are closed and not among `items`."""
        fields = self._fields()
        created = self._create_missing(specs, fields)
        wanted_ids = [fields[s.name].id for s in specs if s.name in fields]
        current = self._items(wanted_ids, query)
        added = updated = written = closed_count = 0
        problems: list[str] = []
        for entry in items:
            changes = self._changes(entry, fields, current.get(entry.issue_id), problems)
            item = current.get(entry.issue_id)
            if item is None:
                item = self._add(entry.issue_id)
                added += 1
            if changes:
                self._write(item, changes)
                updated += 1
                written += len(changes)
        if closed is not None:
            given = {entry.issue_id for entry in items}
            for issue_id, item in current.items():
                if issue_id in given or item.state != "closed" or closed.label not in item.labels:
                    continue
                entry = BoardItem(issue_id=issue_id, values=closed.values)
                changes = self._changes(entry, fields, item, problems)
                if changes:
                    self._write(item, changes)
                    updated, closed_count = updated + 1, closed_count + 1
                    written += len(changes)
        return BoardSync(
            fields_created=tuple(created),
            items_added=added,
            items_updated=updated,
            items_closed=closed_count,
            values_written=written,
            problems=tuple(problems),
        )

    def _write(self, item: _Item, changes: list[tuple[int, FieldValue | None]]) -> None:
        body = {"fields": [{"id": fid, "value": value} for fid, value in changes]}
        self.http.call("PATCH", f"{self.ref.path}/items/{item.id}", body=body, repeatable=True)

    # ---- fields ---------------------------------------------------------------------------

    def _fields(self) -> dict[str, _Field]:
        out = {}
        try:
            listed = self.http.pages(f"{self.ref.path}/fields")
        except GitHubHTTPError as exc:
            if exc.status not in (403, 404):
                raise
            kind = "organisation" if self.ref.owner_is_org else "user"
            raise GitHubError(
                [
                    Problem(
                        field="project",
                        message=f"the {kind} {self.ref.owner} has no project "
                        f"#{self.ref.number} this token can see ({exc.status}).",
                        fix="Check the project's owner and number in the configuration, and "
                        "that the token may read and write Projects.",
                    )
                ]
            ) from exc
        for data in listed:
            options = {o["name"]["raw"]: o["id"] for o in data.get("options") or ()}
            out[data["name"]] = _Field(data["id"], data["name"], data["data_type"], options)
        return out

    def _create_missing(
        self, specs: Sequence[ProjectFieldSpec], fields: dict[str, _Field]
    ) -> list[str]:
        created = []
        for spec in specs:
            if spec.name in fields:
                continue
            body: dict[str, Any] = {"name": spec.name, "data_type": spec.data_type}
            if spec.data_type == "single_select":
                body["single_select_options"] = [
                    {
                        "name": name,
                        "color": OPTION_COLORS[i % len(OPTION_COLORS)],
                        "description": "",
                    }
                    for i, name in enumerate(spec.options)
                ]
            data = self.github._post_once(
                f"{self.ref.path}/fields", body, partial(self._field_named, spec.name)
            )
            options = {o["name"]["raw"]: o["id"] for o in data.get("options") or ()}
            fields[spec.name] = _Field(data["id"], spec.name, data["data_type"], options)
            created.append(spec.name)
        return created

    def _field_named(self, name: str) -> Any:
        """After a lost answer: the field, if the lost request created it."""
        return next(
            (f for f in self.http.pages(f"{self.ref.path}/fields") if f["name"] == name), None
        )

    # ---- items ----------------------------------------------------------------------------

    def _items(self, field_ids: Sequence[int], query: str | None) -> dict[int, _Item]:
        """The board's issues by issue id, with the values of `field_ids`."""
        params = {"fields": ",".join(str(i) for i in field_ids)} if field_ids else {}
        if query:
            params["q"] = query
        out = {}
        for data in self.http.pages(f"{self.ref.path}/items", params or None):
            content = data.get("content") or {}
            if data.get("content_type") != "Issue" or "id" not in content:
                continue
            values = {f["id"]: _comparable(f) for f in data.get("fields") or ()}
            labels = frozenset(_label(label) for label in content.get("labels") or ())
            state = str(content.get("state") or "open")
            out[int(content["id"])] = _Item(int(data["id"]), values, state, labels)
        return out

    def _add(self, issue_id: int) -> _Item:
        body = {"type": "Issue", "id": issue_id}
        answer = self.http.call("POST", f"{self.ref.path}/items", body=body, repeatable=True)
        return _Item(int(answer.data["id"]), {})

    def _changes(
        self,
        entry: BoardItem,
        fields: Mapping[str, _Field],
        item: _Item | None,
        problems: list[str],
    ) -> list[tuple[int, FieldValue | None]]:
        have = item.values if item is not None else {}
        changes: list[tuple[int, FieldValue | None]] = []
        wanted = dict(entry.values)
        if item is None:  # joining the board: its initial values too, unless given
            wanted = {**dict(entry.initial), **wanted}
        for name, value in wanted.items():
            f = fields.get(name)
            if f is None:
                problems.append(f"the board has no field {name!r}")
                continue
            wire: FieldValue | None = value
            if f.data_type == "single_select" and value is not None:
                option = f.options.get(str(value))
                if option is None:
                    problems.append(
                        f"field {name!r} has no option {value!r}: add it to the field in the "
                        "project's settings (the REST API cannot add options)"
                    )
                    continue
                wire = option
            if have.get(f.id) != wire:
                changes.append((f.id, wire))
        return changes


def _label(label: Any) -> str:
    return str(label["name"]) if isinstance(label, Mapping) else str(label)


def _comparable(data: Mapping[str, Any]) -> Any:
    """A field value as read, in the form pmbot writes it (an option by its id)."""
    value = data.get("value")
    if data.get("data_type") == "single_select" and isinstance(value, Mapping):
        return value.get("id")
    if data.get("data_type") in ("text", "number", "date"):
        return value
    return None
