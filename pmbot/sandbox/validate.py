"""Request-body checks that answer the way GitHub does: 400 for bad JSON, 422 for bad shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pmbot.sandbox.routing import ApiError, Request, invalid_request

_MISSING = object()


def body(req: Request) -> dict[str, Any]:
    if req.body is None:
        return {}
    if not isinstance(req.body, dict):
        raise invalid_request(f"For 'links/0/schema', {json.dumps(req.body)} is not an object.")
    return req.body


def _wrong(key: str, value: Any, kind: str) -> ApiError:
    return invalid_request(f"For 'properties/{key}', {json.dumps(value)} is not {kind}.")


def required(data: dict[str, Any], key: str) -> Any:
    if key not in data or data[key] is None:
        raise invalid_request(f'"{key}" wasn\'t supplied.')
    return data[key]


def text(data: dict[str, Any], key: str, *, allow_null: bool = True) -> str | None:
    value = data.get(key)
    if value is None:
        if key in data and not allow_null:
            raise _wrong(key, value, "a string")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _wrong(key, value, "a string")
    return str(value)


def flag(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise _wrong(key, value, "a boolean")
    return value


def integer(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(key, value, "an integer")
    return value


def names(data: dict[str, Any] | list[Any], key: str) -> list[str] | None:
    """A list of names; items may be strings or {"name": ...} objects (labels allow both)."""
    value = data if isinstance(data, list) else data.get(key, _MISSING)
    if value is _MISSING or value is None:
        return None
    if not isinstance(value, list):
        raise _wrong(key, value, "an array")
    out = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            item = item["name"]
        if not isinstance(item, str):
            raise invalid_request(f"For 'items', {json.dumps(item)} is not a string.")
        out.append(item)
    return out


def since(req: Request) -> datetime | None:
    raw = req.query.get("since")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(422, f"Invalid value for `since`: {raw!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
