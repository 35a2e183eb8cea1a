"""Pydantic's validation errors as problems a user can act on: key path, line and fix."""

from __future__ import annotations

import difflib
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from pmbot.core.config.schema import Config
from pmbot.errors import Problem


def dotted(path: tuple[str, ...]) -> str:
    return ".".join(path).replace(".[", "[")


def problem(
    err: ErrorDetails, merged: dict[str, Any], lines: dict[tuple[str, ...], int], source: str
) -> Problem:
    path = _path(err["loc"], merged)
    line = next((lines[path[:n]] for n in range(len(path), 0, -1) if path[:n] in lines), None)
    message, fix = _explain(err, path)
    return Problem(f"{source}: {dotted(path) or '(top level)'}", message, fix, line)


def _path(loc: tuple[int | str, ...], merged: Any) -> tuple[str, ...]:
    """Pydantic's location as the key path `_walk` records (list items by id)."""
    path: list[str] = []
    node = merged
    for part in loc:
        if part == "[key]":
            continue  # pydantic's marker for an invalid mapping key
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
            has_id = isinstance(node, dict) and "id" in node
            path.append(f"[{node['id']}]" if has_id else f"[{part}]")
        else:
            node = node.get(part) if isinstance(node, dict) else None
            path.append(str(part))
    return tuple(path)


# Fixes for values whose constraint alone does not say what to write.
_FIXES = {
    "color": 'use six hex digits, quoted, e.g. "d73a4a".',
    "leadership_team": "use an org/team slug, e.g. my-org/eng-leads, or null.",
    "leadership_digest": "use true (one digest issue) or false (a comment on each item).",
    "on_time_target": "use a share between 0 and 1, e.g. 0.9 for 90%.",
    "docs_dir": "use a folder relative to the repository root, e.g. docs/postmortems.",
    "branch_prefix": "use letters, digits and . _ - /, e.g. postmortem/.",
    "document": "use a path relative to the repository root, e.g. .github/postmortem.md.j2.",
    "patterns": "fix the regular expression (Python `re` syntax).",
    "pattern": "fix the regular expression (Python `re` syntax).",
    "central_repository": "use OWNER/NAME, e.g. acme/engineering-program, or null.",
    "index_dir": "use a folder relative to the central repository's root, e.g. postmortems.",
    "repositories": "list each repository once as OWNER/NAME, e.g. [acme/web, acme/api], "
    "or null for every repository the token reaches.",
}


def _explain(err: ErrorDetails, path: tuple[str, ...]) -> tuple[str, str]:
    kind, msg = err["type"], err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f"unknown key {path[-1]!r}.", _unknown_key_fix(path)
    if kind == "missing":
        return "is required.", "add it (see the commented defaults `pmbot init` installs)."
    if kind in ("enum", "literal_error"):
        return f"{msg}.", f"use one of {err.get('ctx', {}).get('expected', '')}."
    key = next((part for part in reversed(path) if not part.startswith("[")), "")
    if key in _FIXES:
        return f"{msg}.", _FIXES[key]
    if kind == "string_type":
        return f"{msg}.", "quote the value."
    if kind == "out_of_range":
        ctx = err.get("ctx", {})
        return f"{msg}.", f"use a whole number from {ctx['low']} to {ctx['high']} ({ctx['unit']})."
    if kind.startswith(("int_", "greater_than", "less_than")):
        return f"{msg}.", "use a whole number in the allowed range."
    return f"{msg}.", "correct the value; `pmbot init` shows the expected form."


def _unknown_key_fix(path: tuple[str, ...]) -> str:
    known = sorted(_known_keys(path[:-1]))
    close = difflib.get_close_matches(path[-1], known, n=1, cutoff=0.6)
    fix = f"did you mean {close[0]!r}? Otherwise remove it" if close else "remove it"
    return f"{fix}; the keys allowed here are {', '.join(known)}." if known else f"{fix}."


def _known_keys(path: tuple[str, ...]) -> list[str]:
    """The keys a model accepts at `path`, for "did you mean" (empty when not a model)."""
    annotation: Any = Config
    for part in path:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            annotation = field.annotation if field else None
        else:
            annotation = _inner(annotation)
    annotation = _model_in(annotation)
    return list(annotation.model_fields) if annotation else []


def _inner(annotation: Any) -> Any:
    """The value type of a Mapping or tuple annotation."""
    args = get_args(annotation)
    return _model_in(args[-1] if args else None) or (args[0] if args else None)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None or get_args(annotation):
        for arg in get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None
