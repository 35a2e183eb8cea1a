"""An issue's `type` and `issue_field_values` in a create or update body, checked before
anything is written (so a refused request changes nothing) and applied only for users with
push access (GitHub silently drops them for others)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from pmbot.sandbox.org import IssueField
from pmbot.sandbox.routing import ApiError, Request, invalid_request, validation_failed
from pmbot.sandbox.state import Issue

MAX_FIELD_VALUES = 25


@dataclass
class Extras:
    sets_type: bool = False
    type_id: int | None = None
    values: dict[int, Any] | None = None

    def apply(self, req: Request, issue: Issue) -> None:
        if not req.state.can_push(req.login):
            return
        if self.sets_type:
            issue.type = self.type_id
        if self.values is not None:
            issue.field_values.update(self.values)


def read(req: Request, data: dict[str, Any]) -> Extras:
    extras = Extras(values=parse_field_values(req, data))
    if "type" in data:
        extras.sets_type, extras.type_id = True, _type(req, data["type"])
    return extras


def _type(req: Request, raw: Any) -> int | None:
    """A type name, or {"value": name}; null removes the type."""
    if isinstance(raw, dict):
        raw = raw.get("value")
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise invalid_request(f"For 'properties/type', {json.dumps(raw)} is not a string.")
    chosen = req.state.org.issue_type(raw)
    if chosen is None:
        raise validation_failed("Issue", "type", "invalid", raw)
    return chosen.id


def _field_value(f: IssueField, raw: Any, index: int) -> Any:
    """The stored value for `raw`, or GitHub's 422 naming the field."""

    def bad(why: str) -> ApiError:
        return ApiError(
            422,
            "Validation Failed",
            [
                {
                    "resource": "IssueFieldValue",
                    "field": "value",
                    "code": "invalid",
                    "index": index,
                    "message": f"{f.name}: {why}",
                }
            ],
        )

    if f.data_type == "number":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise bad("a number field takes a number")
        return raw
    if f.data_type == "multi_select":
        names = raw if isinstance(raw, list) else None
        if names is None or any(f.option(str(n)) is None for n in names):
            raise bad("takes a list of existing option names")
        return list(names)
    if not isinstance(raw, str):
        raise bad(f"a {f.data_type} field takes a string")
    if f.data_type == "single_select" and f.option(raw) is None:
        raise bad(f"{raw!r} is not one of its options")
    if f.data_type == "date":
        try:
            date.fromisoformat(raw)
        except ValueError:
            raise bad(f"{raw!r} is not an ISO 8601 date (YYYY-MM-DD)") from None
    return raw


def parse_field_values(req: Request, data: dict[str, Any]) -> dict[int, Any] | None:
    """`issue_field_values` of a request body as {field id: value} (None when absent)."""
    raw = data.get("issue_field_values")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise invalid_request(
            f"For 'properties/issue_field_values', {json.dumps(raw)} is not an array."
        )
    if len(raw) > MAX_FIELD_VALUES:
        raise invalid_request(f"No more than {MAX_FIELD_VALUES} issue field values at once.")
    out: dict[int, Any] = {}
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or "field_id" not in entry or "value" not in entry:
            raise invalid_request(f"For 'items', {json.dumps(entry)} needs field_id and value.")
        f = req.state.org.issue_field(entry["field_id"])
        if f is None:
            raise validation_failed("IssueFieldValue", "field_id", "invalid", entry["field_id"])
        out[f.id] = _field_value(f, entry["value"], index)
    return out
