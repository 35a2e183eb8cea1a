"""Issue events: per issue (oldest first) and repository-wide (newest first)."""

from __future__ import annotations

from typing import Any

from pmbot.sandbox.render import node_id, ts
from pmbot.sandbox.routes_issues import get_issue
from pmbot.sandbox.routing import ApiError, Request, Response, Router, paginate
from pmbot.sandbox.state import IssueEvent

router = Router()
R = "/repos/{owner}/{repo}"


def render_event(req: Request, e: IssueEvent, *, with_issue: bool = False) -> dict[str, Any]:
    """An event with the fields GitHub's schema requires for its kind."""
    user = req.render.simple_user
    body: dict[str, Any] = {
        "id": e.id,
        "node_id": node_id("IssueEvent", e.id),
        "url": f"{req.render.repo_url}/issues/events/{e.id}",
        "actor": user(e.actor),
        "event": e.event,
        "commit_id": e.commit_id,
        "commit_url": e.commit_id and f"{req.render.repo_url}/commits/{e.commit_id}",
        "created_at": ts(e.created_at),
        "performed_via_github_app": None,
    }
    if e.label is not None:
        body["label"] = {"name": e.label[0], "color": e.label[1]}
    if e.assignee is not None:
        body["assignee"] = user(e.assignee)
        body["assigner"] = user(e.actor)
    if e.rename is not None:
        body["rename"] = {"from": e.rename[0], "to": e.rename[1]}
    if e.event == "locked":
        body["lock_reason"] = e.lock_reason
    if e.event in ("closed", "reopened"):
        body["state_reason"] = e.state_reason
    if with_issue:
        body["issue"] = req.render.issue(req.state.issues[e.issue])
    return body


@router.route("GET", R + "/issues/{issue_number}/events")
def list_issue_events(req: Request) -> Response:
    issue = get_issue(req)
    found = [e for e in req.state.events if e.issue == issue.number]
    return paginate(req, found, lambda e: render_event(req, e))


@router.route("GET", R + "/issues/events")
def list_repo_events(req: Request) -> Response:
    newest_first = req.state.events[::-1]
    return paginate(req, newest_first, lambda e: render_event(req, e, with_issue=True))


@router.route("GET", R + "/issues/events/{event_id}")
def read_event(req: Request) -> Response:
    wanted = req.int_param("event_id")
    for e in req.state.events:
        if e.id == wanted:
            return Response(200, render_event(req, e, with_issue=True))
    raise ApiError(404, "Not Found")
