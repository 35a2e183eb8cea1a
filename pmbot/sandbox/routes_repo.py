"""The repository, users, collaborators and issue search."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from pmbot.sandbox.routing import (
    DOCS,
    ApiError,
    Request,
    Response,
    Router,
    link_header,
    page_window,
)
from pmbot.sandbox.state import Issue, User

router = Router()
R = "/repos/{owner}/{repo}"


@router.route("GET", R)
def read_repository(req: Request) -> Response:
    return Response(200, req.render.repository())


def _user(req: Request, name: str) -> User:
    user = req.state.user(req.params[name])
    if user is None:
        raise ApiError(404, "Not Found")
    return user


@router.route("GET", "/user")
def read_authenticated_user(req: Request) -> Response:
    if req.integration:
        # GitHub refuses installation tokens here (the Actions token is one)
        raise ApiError(
            403,
            "Resource not accessible by integration",
            documentation_url=f"{DOCS}/users/users#get-the-authenticated-user",
        )
    user = req.state.user(req.login)
    assert user is not None, "tokens map to seeded users"
    return Response(200, req.render.private_user(user))


@router.route("GET", "/users/{username}")
def read_user(req: Request) -> Response:
    return Response(200, req.render.public_user(_user(req, "username")))


@router.route("GET", R + "/collaborators/{username}")
def check_collaborator(req: Request) -> Response:
    user = _user(req, "username")
    if user.permission == "none":
        raise ApiError(404, "Not Found")
    return Response(204)


@router.route("GET", R + "/collaborators/{username}/permission")
def read_permission(req: Request) -> Response:
    user = _user(req, "username")
    # the legacy `permission` field knows only admin, write, read and none
    legacy = {"maintain": "write", "triage": "read"}.get(user.permission, user.permission)
    body = {
        "permission": legacy,
        "role_name": user.permission,
        "user": req.render.collaborator(user),
    }
    return Response(200, body)


@router.route("GET", "/search/issues")
def search_issues(req: Request) -> Response:
    q = req.query.get("q")
    if not q:
        raise ApiError(
            422,
            "Validation Failed",
            [{"resource": "Search", "field": "q", "code": "missing"}],
        )
    try:
        terms = shlex.split(q)
    except ValueError:
        terms = q.split()
    found = [i for i in req.state.issues.values() if _matches(req, i, terms)]
    found.sort(key=lambda i: i.number, reverse=req.query.get("order", "desc") == "desc")
    page, per_page = page_window(req.query)
    window = found[(page - 1) * per_page : page * per_page]
    # The search schema types `body` as a plain string (not nullable) and does not require
    # it, so an issue without a body leaves the key out rather than sending null.
    items = [_search_item(req.render.issue(i)) for i in window]
    body = {
        "total_count": len(found),
        "incomplete_results": False,
        "search_type": "lexical",
        "items": items,
    }
    return Response(200, body, link_header(req, len(found)))


def _search_item(issue: dict[str, Any]) -> dict[str, Any]:
    item = {**issue, "score": 1.0}
    if item.get("body") is None:
        item.pop("body", None)
    return item


def _matches(req: Request, issue: Issue, terms: list[str]) -> bool:
    """A small subset of GitHub's search syntax: repo:, is:, state:, label:, -label:,
    author:, assignee:, no:assignee, no:label, and free words in the title or body."""
    words = []
    for term in terms:
        key, sep, value = term.partition(":")
        if not sep:
            words.append(term.lower())
        elif not _qualifier(req, issue, key.lower(), value):
            return False
    text = f"{issue.title}\n{issue.body or ''}".lower()
    return all(w in text for w in words)


def _qualifier(req: Request, issue: Issue, key: str, value: str) -> bool:
    labels = {n.lower() for n in issue.labels}
    value_l = value.lower()
    checks: dict[str, Callable[[], bool]] = {
        "repo": lambda: value_l == req.state.full_name.lower(),
        "is": lambda: {
            "issue": issue.pull is None,
            "pr": issue.pull is not None,
            "open": issue.state == "open",
            "closed": issue.state == "closed",
        }.get(value_l, True),
        "state": lambda: issue.state == value_l,
        "label": lambda: bool(labels & {v.lower() for v in value.split(",")}),
        "-label": lambda: value_l not in labels,
        "author": lambda: issue.user.lower() == value_l,
        "assignee": lambda: value_l in (a.lower() for a in issue.assignees),
        "no": lambda: {"assignee": not issue.assignees, "label": not issue.labels}.get(
            value_l, True
        ),
        "in": lambda: True,
    }
    check = checks.get(key)
    return True if check is None else check()
