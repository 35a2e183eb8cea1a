"""Repository labels and the labels on an issue."""

from __future__ import annotations

import re
from typing import Any

from pmbot.sandbox import events
from pmbot.sandbox import validate as v
from pmbot.sandbox.routes_issues import check_labels, get_issue, touch
from pmbot.sandbox.routing import ApiError, Request, Response, Router, paginate, validation_failed
from pmbot.sandbox.state import Label

router = Router()
R = "/repos/{owner}/{repo}"
COLOR = re.compile(r"^[0-9a-fA-F]{6}$")


def get_label(req: Request) -> Label:
    label = req.state.labels.get(req.params["name"].lower())
    if label is None:
        raise ApiError(404, "Not Found")
    return label


def _color(data: dict[str, Any]) -> str | None:
    color = v.text(data, "color")
    if color is None:
        return None
    color = color.lstrip("#")
    if not COLOR.match(color):
        raise validation_failed("Label", "color", "invalid", color)
    return color.lower()


def _require_push(req: Request) -> None:
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")


@router.route("GET", R + "/labels")
def list_labels(req: Request) -> Response:
    return paginate(req, list(req.state.labels.values()), req.render.label)


@router.route("POST", R + "/labels")
def create_label(req: Request) -> Response:
    data = v.body(req)
    name = v.text(data, "name", allow_null=False)
    if name is None:
        v.required(data, "name")
    name = str(name).strip()
    if not name:
        raise validation_failed("Label", "name", "missing_field")
    color = _color(data)
    _require_push(req)
    if name.lower() in req.state.labels:
        raise validation_failed("Label", "name", "already_exists", name)
    label = req.state.seed_label(name, color or "ededed", v.text(data, "description"))
    return Response(201, req.render.label(label), {"Location": req.render.label(label)["url"]})


@router.route("GET", R + "/labels/{name}")
def read_label(req: Request) -> Response:
    return Response(200, req.render.label(get_label(req)))


@router.route("PATCH", R + "/labels/{name}")
def update_label(req: Request) -> Response:
    label = get_label(req)
    data = v.body(req)
    color = _color(data)
    _require_push(req)
    new_name = v.text(data, "new_name")
    if new_name and new_name.lower() != label.name.lower():
        if new_name.lower() in req.state.labels:
            raise validation_failed("Label", "name", "already_exists", new_name)
        old = label.name
        del req.state.labels[old.lower()]
        label.name = new_name
        req.state.labels[new_name.lower()] = label
        for issue in req.state.issues.values():
            issue.labels = [new_name if n == old else n for n in issue.labels]
    elif new_name:
        label.name = new_name
    if color is not None:
        label.color = color
    if "description" in data:
        label.description = v.text(data, "description")
    return Response(200, req.render.label(label))


@router.route("DELETE", R + "/labels/{name}")
def delete_label(req: Request) -> Response:
    label = get_label(req)
    _require_push(req)
    del req.state.labels[label.name.lower()]
    for issue in req.state.issues.values():
        if label.name in issue.labels:
            issue.labels.remove(label.name)
    return Response(204)


# -- the labels on one issue -------------------------------------------------------------


def _names_from_body(req: Request) -> list[str]:
    """Accepts {"labels": [...]}, a bare list, or a single string, as GitHub does."""
    if isinstance(req.body, list):
        return v.names(req.body, "labels") or []
    if isinstance(req.body, str):
        return [req.body]
    data = v.body(req)
    if isinstance(data.get("labels"), str):
        return [data["labels"]]
    return v.names(data, "labels") or []


@router.route("GET", R + "/issues/{issue_number}/labels")
def list_issue_labels(req: Request) -> Response:
    return paginate(req, req.render.issue_labels(get_issue(req)))


@router.route("POST", R + "/issues/{issue_number}/labels")
def add_issue_labels(req: Request) -> Response:
    issue = get_issue(req)
    names = check_labels(req.state, _names_from_body(req))
    _require_push(req)
    added = [n for n in names if n not in issue.labels]
    if added:
        before = list(issue.labels)
        issue.labels += added
        touch(req, issue)
        events.labels(req, issue, before)
    return Response(200, req.render.issue_labels(issue))


@router.route("PUT", R + "/issues/{issue_number}/labels")
def set_issue_labels(req: Request) -> Response:
    issue = get_issue(req)
    names = check_labels(req.state, _names_from_body(req))
    _require_push(req)
    if names != issue.labels:
        before, issue.labels = issue.labels, names
        touch(req, issue)
        events.labels(req, issue, before)
    return Response(200, req.render.issue_labels(issue))


@router.route("DELETE", R + "/issues/{issue_number}/labels")
def clear_issue_labels(req: Request) -> Response:
    issue = get_issue(req)
    _require_push(req)
    if issue.labels:
        before, issue.labels = issue.labels, []
        touch(req, issue)
        events.labels(req, issue, before)
    return Response(204)


@router.route("DELETE", R + "/issues/{issue_number}/labels/{name}")
def remove_issue_label(req: Request) -> Response:
    issue = get_issue(req)
    wanted = req.params["name"].lower()
    _require_push(req)
    kept = [n for n in issue.labels if n.lower() != wanted]
    if kept == issue.labels:
        raise ApiError(404, "Label does not exist")
    before, issue.labels = issue.labels, kept
    touch(req, issue)
    events.labels(req, issue, before)
    return Response(200, req.render.issue_labels(issue))
