"""Action items written one per line, as people do in a hurry:

`- [P1][prevent] Add a canary stage — @alice, due 2026-12-15, success: …, addresses: CF1`

Leading `[tags]` give priority, type or ID; after a dash (or the first `name:`) come
attributes separated by commas; indented lines below add more. Words that name nothing
continue the attribute before them, so a success criterion may contain commas.
"""

from __future__ import annotations

import re

from pmbot.core.model import ItemType
from pmbot.core.parse.common import strip_bullet
from pmbot.core.parse.item_vocab import ALIASES, PRIORITY_WORDS, TYPE_WORDS

# A list item not read yet: its offset, its line, and the indented lines below it.
Listed = tuple[int, str, list[str]]


def list_rows(lines: list[tuple[int, str]], *, listed_only: bool) -> list[Listed]:
    """One row per list line; indented lines below add attributes to the item above."""
    items: list[Listed] = []
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


def list_cells(content: str, more: list[str]) -> dict[str, str]:
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
    if word in TYPE_WORDS or word in set(ItemType):
        cells.setdefault("type", tag)
    elif re.fullmatch(r"p\d+|[0-9]", word) or word in PRIORITY_WORDS:
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
