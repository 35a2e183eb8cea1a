"""Action items: a Markdown table with named columns, or one item per line.

Both forms become the same cells (what, owner, priority, due, type, success, addresses, id,
depends_on), so one function turns cells into an `ActionItem`; the key of each is checked for
duplicates. `Depends on` names other items' keys; whether they exist (and form no cycle) is
the review's to say (`pmbot.core.dependencies`), so a wrong key never blocks the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeVar

from pmbot.core.model import ActionItem, Priority
from pmbot.core.parse.common import FieldReader, Row, Unreadable, is_empty_marker, read_table, short
from pmbot.core.parse.item_lines import Listed, list_cells, list_rows
from pmbot.core.parse.item_vocab import (
    ALIASES,
    PRIORITY_FIX,
    parse_priority,
    parse_type,
    stable_key,
)
from pmbot.core.parse.times import parse_date
from pmbot.core.parse.users import parse_user

T = TypeVar("T")


def parse_action_items(
    text: str | None, reader: FieldReader, *, max_items: int = 25
) -> list[ActionItem]:
    """Every readable item; problems (bad cells, duplicates, too many) go to `reader`."""
    if not text:
        return []
    rows = _rows(text, reader)
    if len(rows) > max_items:
        reader.problem(
            f"{len(rows)} action items; pmbot tracks at most {max_items} per postmortem.",
            "merge related items or track the smaller ones in a follow-up issue.",
            _offset(rows[max_items]),
        )
        rows = rows[:max_items]  # the rest is refused anyway: do not spend time reading it
    items = [item for row in rows if (item := _item(_cells(row), reader)) is not None]
    _check_keys(items, reader)
    return items


def _offset(row: Row | Listed) -> int:
    return row.offset if isinstance(row, Row) else row[0]


def _cells(row: Row | Listed) -> Row:
    return row if isinstance(row, Row) else Row(row[0], list_cells(row[1], row[2]))


def _rows(text: str, reader: FieldReader) -> list[Row | Listed]:
    table, outside = read_table(text, ALIASES)
    rows: list[Row | Listed] = list(table.rows) if table else []
    if table and "what" not in table.columns:
        reader.problem(
            "the table has no column for the action itself.",
            "add a column named What (or Action, Item, Description).",
        )
        rows = []
    rows += list_rows(outside, listed_only=table is not None)
    return sorted(rows, key=_offset)


def _item(row: Row, reader: FieldReader) -> ActionItem | None:
    """An ActionItem from cells, or None after reporting what is wrong with the row."""
    cells, before = row.cells, reader.count
    what = cells.get("what", "").strip()
    if not what:
        reader.problem(
            "an action item has no description.", "say what will be done in the What column.",
            row.offset,
        )  # fmt: skip
    owner = _read("owner", parse_user, row, reader)
    due = _read("due", parse_date, row, reader)
    kind = _read("type", parse_type, row, reader)
    priority = _priority(cells, row, reader)
    if reader.count > before or priority is None:
        return None
    return ActionItem(
        key=cells.get("id", "").strip() or stable_key(what),
        what=what,
        owner=owner.login if owner else None,
        owner_is_team=owner.is_team if owner else False,
        priority=priority,
        due=due,
        type=kind,
        success=_optional(cells.get("success")),
        addresses=_addresses(cells.get("addresses")),
        depends_on=_depends_on(cells.get("depends_on")),
        line=reader.line(row.offset),
    )


def _read(name: str, parse: Callable[[str], T], row: Row, reader: FieldReader) -> T | None:
    text = row.cells.get(name, "")
    if is_empty_marker(text):
        return None
    try:
        return parse(text)
    except Unreadable as error:
        reader.unreadable(error, row.offset, where=f"{name} of '{_short(row.cells)}': ")
        return None


def _priority(cells: Mapping[str, str], row: Row, reader: FieldReader) -> Priority | None:
    text = cells.get("priority", "")
    if is_empty_marker(text):
        reader.problem(
            f"'{_short(cells)}' has no priority.",
            f"add a priority: {PRIORITY_FIX} In a list, start the line with [P1].",
            row.offset,
        )
        return None
    try:
        return parse_priority(text)
    except Unreadable as error:
        reader.unreadable(error, row.offset, where=f"priority of '{_short(cells)}': ")
        return None


def _check_keys(items: list[ActionItem], reader: FieldReader) -> None:
    seen: dict[str, ActionItem] = {}
    for item in items:
        first = seen.setdefault(item.key.upper(), item)
        if first is not item:
            offset = (item.line or 0) - (reader.start or 0)
            reader.problem(
                f"action item key '{item.key}' is used twice (lines {first.line} and {item.line}).",
                "give each item its own ID, or merge the duplicate rows.",
                offset,
            )


def _optional(text: str | None) -> str | None:
    return None if text is None or is_empty_marker(text) else text.strip()


def _addresses(text: str | None) -> str | None:
    """'cf1, CF-2' → 'CF1, CF-2': factor keys are compared upper-case."""
    value = _optional(text)
    return None if value is None else ", ".join(p.strip().upper() for p in value.split(","))


def _depends_on(text: str | None) -> tuple[str, ...]:
    """'AI-1, ai-3' or 'AI-1 AI-3' → ('AI-1', 'AI-3'): keys as written, duplicates dropped."""
    value = _optional(text)
    if value is None:
        return ()
    keys = (key.strip("`*[]()") for key in re.split(r"[\s,;]+", value))
    return tuple(dict.fromkeys(key for key in keys if key and not is_empty_marker(key)))


def _short(cells: Mapping[str, str]) -> str:
    return short(cells.get("what", "")) or "(no description)"
