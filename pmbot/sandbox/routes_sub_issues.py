"""Sub-issues. They take the sub-issue's `id`, not its `number`."""

from __future__ import annotations

from pmbot.sandbox import validate as v
from pmbot.sandbox.routes_issues import get_issue, touch
from pmbot.sandbox.routing import ApiError, Request, Response, Router, paginate, validation_failed
from pmbot.sandbox.state import Issue, State

router = Router()
R = "/repos/{owner}/{repo}"
MAX_SUB_ISSUES = 100  # GitHub's limit per parent


def _sub_issue_id(req: Request) -> int:
    data = v.body(req)
    v.required(data, "sub_issue_id")
    value = v.integer(data, "sub_issue_id")
    assert value is not None
    return value


@router.route("GET", R + "/issues/{issue_number}/sub_issues")
def list_sub_issues(req: Request) -> Response:
    issue = get_issue(req)
    subs = [req.state.issues[n] for n in issue.sub_issues]
    return paginate(req, subs, req.render.issue)


@router.route("POST", R + "/issues/{issue_number}/sub_issues")
def add_sub_issue(req: Request) -> Response:
    parent = get_issue(req)
    child_id = _sub_issue_id(req)
    replace = v.flag(v.body(req), "replace_parent")
    child = req.state.issue_by_id.get(child_id)
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")
    if child is None:
        raise validation_failed("Issue", "sub_issue_id", "invalid", child_id)
    if child.number == parent.number or _is_ancestor(req.state, child, parent):
        raise validation_failed("Issue", "sub_issue_id", "invalid", child_id)
    if child.parent == parent.number or (child.parent is not None and not replace):
        raise ApiError(
            422,
            "Validation Failed",
            [
                {
                    "resource": "Issue",
                    "field": "sub_issue_id",
                    "code": "custom",
                    "message": "An issue can only have one parent",
                }
            ],
        )
    if len(parent.sub_issues) >= MAX_SUB_ISSUES:
        raise validation_failed("Issue", "sub_issues", "custom", child_id)
    req.state.link_sub_issue(parent, child)
    touch(req, parent)
    location = f"{req.render.repo_url}/issues/{parent.number}/sub_issues"
    return Response(201, req.render.issue(child), {"Location": location})


def _is_ancestor(state: State, candidate: Issue, issue: Issue) -> bool:
    node = issue
    while node.parent is not None:
        node = state.issues[node.parent]
        if node.number == candidate.number:
            return True
    return False


@router.route("DELETE", R + "/issues/{issue_number}/sub_issue")
def remove_sub_issue(req: Request) -> Response:
    parent = get_issue(req)
    child = req.state.issue_by_id.get(_sub_issue_id(req))
    if child is None or child.parent != parent.number:
        raise ApiError(404, "Not Found")
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")
    parent.sub_issues.remove(child.number)
    child.parent = None
    touch(req, parent)
    return Response(200, req.render.issue(child))


@router.route("GET", R + "/issues/{issue_number}/parent")
def read_parent(req: Request) -> Response:
    issue = get_issue(req)
    if issue.parent is None:
        raise ApiError(404, "Not Found")
    return Response(200, req.render.issue(req.state.issues[issue.parent]))
