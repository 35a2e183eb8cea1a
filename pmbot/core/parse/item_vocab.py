"""The words of an action item: column names, priorities, types, and its stable key."""

from __future__ import annotations

import hashlib
import re

from pmbot.core.model import ItemType, Priority
from pmbot.core.parse.common import Unreadable, short

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
    # Only names that say "keys of other items": a free-text "Dependencies" column of an
    # older issue stays ignored rather than read as item keys.
    "depends_on": ("depends on", "blocked by"),
}  # fmt: skip
ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}

PRIORITY_FIX = "use P0 (most urgent), P1, P2 or P3."
TYPE_FIX = "use prevent, detect, mitigate or process (or leave it empty)."
PRIORITY_WORDS = {"critical": "P0", "urgent": "P0", "high": "P1", "medium": "P2", "low": "P3"}
TYPE_WORDS = {
    "prevention": "prevent", "preventive": "prevent", "preventative": "prevent",
    "detection": "detect", "mitigation": "mitigate", "mitigative": "mitigate",
}  # fmt: skip


def parse_priority(text: str) -> Priority:
    """'P1', 'p1', '1', 'high' → Priority.P1; anything else raises Unreadable."""
    word = text.strip().strip("[]()*`").lower().replace(" ", "")
    word = PRIORITY_WORDS.get(word, word)
    if re.fullmatch(r"p?[0-3]", word, re.IGNORECASE):
        return Priority(f"P{word[-1]}")
    raise Unreadable(f"'{short(text)}' is not a priority.", PRIORITY_FIX)


def parse_type(text: str) -> ItemType:
    word = text.strip().strip("[]()*`").lower()
    try:
        return ItemType(TYPE_WORDS.get(word, word))
    except ValueError:
        raise Unreadable(f"'{short(text)}' is not an action-item type.", TYPE_FIX) from None


def stable_key(what: str) -> str:
    """8 hex digits of the normalised text: edits to *other* rows never change it."""
    normal = " ".join(re.sub(r"[*_`~]", "", what).lower().split()).rstrip(".")
    return hashlib.sha256(normal.encode()).hexdigest()[:8]
