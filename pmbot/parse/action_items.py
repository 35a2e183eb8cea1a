"""Action items: a Markdown table with named columns, or one item per line.

Both forms become the same cells (what, owner, priority, due, type, success, addresses, id),
so one function turns cells into an `ActionItem`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import TypeVar

from pmbot.model import ActionItem, ItemType, Priority
from pmbot.parse.common import (
    FieldReader,
    Row,
    Unreadable,
    is_empty_marker,
    read_table,
    strip_bullet,
)
from pmbot.parse.times import parse_date
from pmbot.parse.users import parse_user

COLUMNS: dict[str, tuple[str, ...]] = {
    "what": ("what", "action", "action item", "item", "description", "task", "title"),
    "owner": ("owner", "assignee", "who", "assigned to", "dri"),
    "priority": ("priority", "prio", "pri"),
    "due": ("due", "due date", "deadline", "due by", "target date"),
    "type": ("type", "kind", "category"),
    "success": (
        "success", "success criteria", "done when", "acceptance", "acceptance criteria",
        "definition of done",
    ),
    "addresses": ("addresses", "factor", "factors", "cf", "contributing factor", "addresses cf"),
    "id": ("id", "key"),
}  # fmt: skip
T = TypeVar("T")
ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}

PRIORITY_FIX = "use P0 (most urgent), P1, P2 or P3."
TYPE_FIX = "use prevent, detect, mitigate or process (or leave it empty)."
_PRIORITY_WORDS = {"critical": "P0", "urgent": "P0", "high": "P1", "medium": "P2", "low": "P3"}
_TYPE_WORDS = {
    "prevention": "prevent", "preventive": "prevent", "preventative": "prevent",
    "detection": "detect", "mitigation": "mitigate", "mitigative": "mitigate",
}  # fmt: skip


def parse_priority(text: str) -> Priority:
    """'P1', 'p1', '1', 'high' → Priority.P1; anything else raises Unreadable."""
    word = text.strip().strip("[]()*`").lower().replace(" ", "")
    word = _PRIORITY_WORDS.get(word, word)
    if re.fullmatch(r"p?[0-3]", word, re.IGNORECASE):
        return Priority(f"P{word[-1]}")
    raise Unreadable(f"'{text.strip()}' is not a priority.", PRIORITY_FIX)


def parse_type(text: str) -> ItemType:
    word = text.strip().strip("[]()*`").lower()
    try:
        return ItemType(_TYPE_WORDS.get(word, word))
    except ValueError:
        raise Unreadable(f"'{text.strip()}' is not an action-item type.", TYPE_FIX) from None


def stable_key(what: str) -> str:
    """8 hex digits of the normalised text: edits to *other* rows never change it."""
    normal = " ".join(re.sub(r"[*_`~]", "", what).lower().split()).rstrip(".")
    return hashlib.sha256(normal.encode()).hexdigest()[:8]


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


# A list item not read yet: its offset, its line, and indented lines below it.
_Listed = tuple[int, str, list[str]]


def _offset(row: Row | _Listed) -> int:
    return row.offset if isinstance(row, Row) else row[0]


def _cells(row: Row | _Listed) -> Row:
    return row if isinstance(row, Row) else Row(row[0], _list_cells(row[1], row[2]))


def _rows(text: str, reader: FieldReader) -> list[Row | _Listed]:
    table, outside = read_table(text, ALIASES)
    rows: list[Row | _Listed] = list(table.rows) if table else []
    if table and "what" not in table.columns:
        reader.problem(
            "the table has no column for the action itself.",
            "add a column named What (or Action, Item, Description).",
        )
        rows = []
    rows += _list_rows(outside, listed_only=table is not None)
    return sorted(rows, key=_offset)


def _list_rows(lines: list[tuple[int, str]], *, listed_only: bool) -> list[_Listed]:
    """One row per list line; indented lines below add attributes to the item above."""
    items: list[_Listed] = []
    for offset, line in lines:
        content, bulleted = strip_bullet(line)
        if items and not bulleted and line[:1].isspace():
            items[-1][2].append(content)
        elif bulleted or not listed_only:
            items.append((offset, content, []))
    return items


_TAG = re.compile(r"^[\[(]([^\])]{1,40})[\])]\s*")
# The lookbehinds make each run of separators one attempt, not one per character:
# without them a long run of spaces costs quadratic time.
_SPLIT = re.compile(r"(?<!\s)\s+(?:—|–|--|\|)\s+")
_ATTR_NAMES = "|".join(
    re.escape(alias) for alias in sorted(ALIASES, key=len, reverse=True) if ALIASES[alias] != "what"
)
_ATTR = re.compile(rf"^(?P<key>{_ATTR_NAMES})\b\s*[:=]?\s*(?P<value>.*)$", re.IGNORECASE)
_ATTR_START = re.compile(rf"(?<![\s,;(])[\s,;(]+(?=@[\w-]|(?:{_ATTR_NAMES})\s*[:=])", re.IGNORECASE)


def _list_cells(content: str, more: list[str]) -> dict[str, str]:
    """'[P1][prevent] Add X — @alice, due 2026-12-15, success: …' → cells."""
    cells: dict[str, str] = {}
    while match := _TAG.match(content):
        _read_tag(match.group(1), cells)
        content = content[match.end() :]
    split = _SPLIT.search(content) or _ATTR_START.search(content)
    what, rest = (content[: split.start()], content[split.end() :]) if split else (content, "")
    cells["what"] = what.strip().rstrip(" -–—,;:(")
    _read_attributes(rest.strip().removeprefix("(").removesuffix(")"), cells)
    if more:
        _read_attributes("\n".join(more), cells)
    return cells


def _read_tag(tag: str, cells: dict[str, str]) -> None:
    word = tag.strip().lower()
    if word in _TYPE_WORDS or word in set(ItemType):
        cells.setdefault("type", tag)
    elif re.fullmatch(r"p\d+|[0-9]", word) or word in _PRIORITY_WORDS:
        cells.setdefault("priority", tag)
    elif (match := _ATTR.match(tag.strip())) is not None:
        cells.setdefault(ALIASES[match.group("key").lower()], match.group("value"))
    else:
        cells.setdefault("id", tag.strip())


def _read_attributes(text: str, cells: dict[str, str]) -> None:
    """Attributes split by commas, semicolons or lines; a segment that names nothing
    continues the one before it, or the description when it comes first."""
    found: dict[str, list[str]] = {}
    last = "what"
    for segment in re.split(r"[,;\n]", text):
        for name, value in _attributes(segment.strip()):
            last = name or last
            if value:
                found.setdefault(last, []).append(value)
    for name, values in found.items():
        if name == "what":
            cells["what"] = " — ".join(filter(None, [cells.get("what"), *values]))
        else:
            cells.setdefault(name, ", ".join(values))


def _attributes(segment: str) -> list[tuple[str | None, str]]:
    """One segment, or its words when each is a bare value ('@dave P1 CF2')."""
    words = [_bare(word) for word in segment.split()]
    if len(words) > 1 and all(name is not None for name, _ in words):
        return words
    return [_attribute(segment)]


def _attribute(segment: str) -> tuple[str | None, str]:
    if match := _ATTR.match(segment):
        return ALIASES[match.group("key").lower()], match.group("value").strip()
    return _bare(segment)


_BARE = (
    ("due", re.compile(r"\d{4}-\d{1,2}-\d{1,2}")),
    ("priority", re.compile(r"p[0-3]", re.IGNORECASE)),
    ("addresses", re.compile(r"cf-?\d+", re.IGNORECASE)),
)


def _bare(segment: str) -> tuple[str | None, str]:
    """A value that says what it is without a name: @owner, a date, P1, CF2."""
    if segment.startswith("@"):
        return "owner", segment
    for name, pattern in _BARE:
        if pattern.fullmatch(segment):
            return name, segment
    return None, segment


def _item(row: Row, reader: FieldReader) -> ActionItem | None:
    """An ActionItem from cells, or None after reporting what is wrong with the row."""
    cells, before = row.cells, len(reader.problems)
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
    if len(reader.problems) > before or priority is None:
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


def _short(cells: Mapping[str, str]) -> str:
    what = cells.get("what", "").strip() or "(no description)"
    return what if len(what) <= 40 else what[:39] + "…"
