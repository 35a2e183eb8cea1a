"""Issue dependencies ("blocked by" / "blocking"). They take the blocking issue's `id`, not its
number, and may link issues of different repositories of the same owner.

GitHub's description gives the status codes but not the bodies of its refusals; the sandbox
answers an unknown or unreachable issue with 404, and a self-link, a link that exists already
or one past the limit of 50 per relationship with 422 "Validation Failed".
"""

from __future__ import annotations

from pmbot.sandbox import validate as v
from pmbot.sandbox.routes_issues import get_issue, touch
from pmbot.sandbox.routing import ApiError, Request, Response, Router, paginate
from pmbot.sandbox.state import Issue, State

router = Router()
R = "/repos/{owner}/{repo}"
BLOCKED_BY = R + "/issues/{issue_number}/dependencies/blocked_by"
MAX_DEPENDENCIES = 50  # per relationship type and issue, as GitHub documents


def _refused(message: str) -> ApiError:
    error = {"resource": "IssueDependency", "field": "issue_id", "code": "custom"}
    return ApiError(422, "Validation Failed", [{**error, "message": message}])


def _require_push(req: Request) -> None:
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")


def _find(req: Request, issue_id: int) -> tuple[State, Issue]:
    """The issue with this id in a repository the token reaches, or 404."""
    found = req.state.org.issue_by_id(issue_id)
    if found is None or found[0] not in req.state.org.reachable(req.login):
        raise ApiError(404, "Not Found")
    return found


def _render_all(req: Request, ids: list[int]) -> Response:
    found = [f for f in (req.state.org.issue_by_id(i) for i in ids) if f is not None]
    return paginate(req, found, lambda f: req.render.for_repo(f[0]).issue(f[1]))


@router.route("GET", BLOCKED_BY)
def list_blocked_by(req: Request) -> Response:
    return _render_all(req, get_issue(req).blocked_by)


@router.route("GET", R + "/issues/{issue_number}/dependencies/blocking")
def list_blocking(req: Request) -> Response:
    return _render_all(req, get_issue(req).blocking)


@router.route("POST", BLOCKED_BY)
def add_blocked_by(req: Request) -> Response:
    issue = get_issue(req)
    data = v.body(req)
    v.required(data, "issue_id")
    blocker_id = v.integer(data, "issue_id")
    assert blocker_id is not None
    _require_push(req)
    repo, blocker = _find(req, blocker_id)
    if blocker.id == issue.id:
        raise _refused("An issue cannot be blocked by itself")
    if blocker.id in issue.blocked_by:
        raise _refused("The issue is already blocked by this issue")
    if len(issue.blocked_by) >= MAX_DEPENDENCIES or len(blocker.blocking) >= MAX_DEPENDENCIES:
        raise _refused(f"An issue can have at most {MAX_DEPENDENCIES} dependencies of each kind")
    issue.blocked_by.append(blocker.id)
    blocker.blocking.append(issue.id)
    touch(req, issue)
    location = f"{req.render.repo_url}/issues/{issue.number}/dependencies/blocked_by"
    return Response(201, req.render.for_repo(repo).issue(blocker), {"Location": location})


@router.route("DELETE", BLOCKED_BY + "/{issue_id}")
def remove_blocked_by(req: Request) -> Response:
    issue = get_issue(req)
    blocker_id = req.int_param("issue_id")
    _require_push(req)
    if blocker_id not in issue.blocked_by:
        raise ApiError(404, "Not Found")
    repo, blocker = _find(req, blocker_id)
    issue.blocked_by.remove(blocker.id)
    blocker.blocking.remove(issue.id)
    touch(req, issue)
    return Response(200, req.render.for_repo(repo).issue(blocker))
