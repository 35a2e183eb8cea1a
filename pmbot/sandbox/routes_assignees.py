"""Who can be assigned, and the assignees of an issue."""

from __future__ import annotations

from pmbot.sandbox import events
from pmbot.sandbox import validate as v
from pmbot.sandbox.routes_issues import get_issue, touch
from pmbot.sandbox.routing import ApiError, Request, Response, Router, paginate

router = Router()
R = "/repos/{owner}/{repo}"


@router.route("GET", R + "/assignees")
def list_assignees(req: Request) -> Response:
    users = [u for u in req.state.users.values() if u.assignable]
    return paginate(req, users, lambda u: req.render.simple_user(u.login))


@router.route("GET", R + "/assignees/{assignee}")
def check_assignee(req: Request) -> Response:
    user = req.state.user(req.params["assignee"])
    if user is None or not user.assignable:
        raise ApiError(404, "Not Found")
    return Response(204)


@router.route("GET", R + "/issues/{issue_number}/assignees/{assignee}")
def check_issue_assignee(req: Request) -> Response:
    get_issue(req)
    return check_assignee(req)


@router.route("POST", R + "/issues/{issue_number}/assignees")
def add_assignees(req: Request) -> Response:
    issue = get_issue(req)
    logins = v.names(v.body(req), "assignees") or []
    if req.state.can_push(req.login):
        before = list(issue.assignees)
        for login in logins[:10]:
            user = req.state.user(login)
            # GitHub ignores users who cannot be assigned here, unlike on create/update
            if user and user.assignable and user.login not in issue.assignees:
                issue.assignees.append(user.login)
                touch(req, issue)
        events.assignees(req, issue, before)
    return Response(201, req.render.issue(issue))


@router.route("DELETE", R + "/issues/{issue_number}/assignees")
def remove_assignees(req: Request) -> Response:
    issue = get_issue(req)
    data = v.body(req)
    logins = {login.lower() for login in v.names(data, "assignees") or []}
    if not logins and "assignees" not in data:
        v.required(data, "assignees")
    kept = [a for a in issue.assignees if a.lower() not in logins]
    if kept != issue.assignees and req.state.can_push(req.login):
        before, issue.assignees = issue.assignees, kept
        touch(req, issue)
        events.assignees(req, issue, before)
    return Response(200, req.render.issue(issue))
