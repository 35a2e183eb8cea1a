"""Hidden markers: the state pmbot keeps in the bodies it writes.

A marker is an HTML comment GitHub does not display:
``<!-- pmbot:KIND {"json": "payload"} -->``. Only pmbot writes them; user text that imitates
one is defused before pmbot ever republishes it, so a postmortem author cannot forge state.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PREFIX = "<!-- pmbot:"
_MARKER = re.compile(r"<!-- pmbot:(?P<kind>[a-z][a-z0-9_-]*) (?P<payload>\{.*?\}) -->", re.DOTALL)
# Anything that could open a marker, however it is spaced or cased.
_IMITATION = re.compile(r"<!--(\s*)pmbot", re.IGNORECASE)


def defuse_markers(text: str) -> str:
    """Make user text unable to pass for a pmbot marker (it still reads the same)."""
    return _IMITATION.sub(r"&lt;!--\1pmbot", text)


def encode(kind: str, payload: dict[str, Any]) -> str:
    """One marker line; the payload is compact, sorted JSON so rewriting it is stable."""
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    # "-->" inside JSON would end the comment early; ensure_ascii plus this escape prevents it.
    data = data.replace("-->", "--\\u003e")
    return f"{_PREFIX}{kind} {data} -->"


def find(text: str | None, kind: str) -> dict[str, Any] | None:
    """The payload of the first `kind` marker in text, or None (also when it is malformed)."""
    for match in _MARKER.finditer(text or ""):
        if match.group("kind") != kind:
            continue
        try:
            payload = json.loads(match.group("payload"))
        except json.JSONDecodeError:
            return None
        return payload if isinstance(payload, dict) else None
    return None


def has(text: str | None, kind: str) -> bool:
    return any(m.group("kind") == kind for m in _MARKER.finditer(text or ""))


def has_any(text: str | None) -> bool:
    """Whether text carries a pmbot marker of any kind (all that pmbot writes does)."""
    return _MARKER.search(text or "") is not None


def replace(text: str, kind: str, payload: dict[str, Any]) -> str:
    """text with its `kind` marker set to payload (appended when absent)."""
    new = encode(kind, payload)
    for match in _MARKER.finditer(text):
        if match.group("kind") == kind:
            return text[: match.start()] + new + text[match.end() :]
    return f"{text.rstrip()}\n\n{new}\n" if text.strip() else f"{new}\n"
