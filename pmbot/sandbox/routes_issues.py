"""Issues, issue comments, assignees and sub-issues."""

from __future__ import annotations

from pmbot.sandbox import validate as v
from pmbot.sandbox.routing import (
    ApiError,
    Request,
    Response,
    Router,
    paginate,
    validation_failed,
)
from pmbot.sandbox.state import Comment, Issue, State

router = Router()
R = "/repos/{owner}/{repo}"
STATES = ("open", "closed", "all")
STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate")
MAX_SUB_ISSUES = 100
LOCK_REASONS = ("off-topic", "too heated", "resolved", "spam")


def get_issue(req: Request) -> Issue:
    issue = req.state.issues.get(req.int_param("issue_number"))
    if issue is None:
        raise ApiError(404, "Not Found")
    return issue


def check_assignees(state: State, logins: list[str]) -> list[str]:
    """Canonical logins, or GitHub's 422 for a user who cannot be assigned."""
    out = []
    for login in logins:
        user = state.user(login)
        if user is None or not user.assignable:
            raise validation_failed("Issue", "assignees", "invalid", login)
        if user.login not in out:
            out.append(user.login)
    return out


def check_labels(state: State, labels: list[str]) -> list[str]:
    for name in labels:
        if not name.strip():
            raise validation_failed("Label", "name", "invalid", name)
    return state.ensure_labels(name.strip() for name in labels)


def touch(req: Request, issue: Issue) -> None:
    issue.updated_at = req.state.now()


# -- issues ------------------------------------------------------------------------------


@router.route("GET", R + "/issues")
def list_issues(req: Request) -> Response:
    q = req.query
    state = q.get("state", "open")
    if state not in STATES:
        raise validation_failed("Issue", "state", "invalid", state)
    wanted = {n.strip().lower() for n in q.get("labels", "").split(",") if n.strip()}
    after = v.since(req)
    issues = [
        i
        for i in req.state.issues.values()
        if (state == "all" or i.state == state)
        and (not wanted or wanted <= {n.lower() for n in i.labels})
        and (after is None or i.updated_at >= after)
        and _assignee_matches(i, q.get("assignee"))
        and (q.get("creator") is None or i.user.lower() == q["creator"].lower())
    ]
    sort = q.get("sort", "created")
    if sort == "updated":
        issues.sort(key=lambda i: (i.updated_at, i.number))
    elif sort == "comments":
        issues.sort(key=lambda i: (i.comments, i.number))
    else:
        issues.sort(key=lambda i: (i.created_at, i.number))
    if q.get("direction", "desc") != "asc":
        issues.reverse()
    return paginate(req, issues, req.render.issue)


def _assignee_matches(issue: Issue, wanted: str | None) -> bool:
    if wanted is None:
        return True
    if wanted == "none":
        return not issue.assignees
    if wanted == "*":
        return bool(issue.assignees)
    return wanted.lower() in (a.lower() for a in issue.assignees)


@router.route("POST", R + "/issues")
def create_issue(req: Request) -> Response:
    data = v.body(req)
    title = v.text(data, "title", allow_null=False)
    if title is None:
        v.required(data, "title")
    state = req.state
    labels = v.names(data, "labels") or []
    assignees = v.names(data, "assignees") or []
    single = v.text(data, "assignee")
    if single:
        assignees = [single, *assignees]
    assignees = check_assignees(state, assignees)
    labels = check_labels(state, labels)
    if not state.can_push(req.login):
        labels, assignees = [], []  # GitHub silently drops them for users without push access
    issue = state.seed_issue(
        title=str(title),
        body=v.text(data, "body"),
        labels=labels,
        assignees=assignees,
        user=req.login,
    )
    url = f"{req.render.repo_url}/issues/{issue.number}"
    return Response(201, req.render.issue(issue), {"Location": url})


@router.route("GET", R + "/issues/{issue_number}")
def read_issue(req: Request) -> Response:
    return Response(200, req.render.issue(get_issue(req)))


@router.route("PATCH", R + "/issues/{issue_number}")
def update_issue(req: Request) -> Response:
    issue = get_issue(req)
    data = v.body(req)
    state = req.state
    if not state.can_push(req.login) and req.login.lower() != issue.user.lower():
        raise ApiError(403, "Must have push access to edit this issue.")
    before = req.render.issue(issue)
    if "title" in data:
        issue.title = v.text(data, "title", allow_null=False) or issue.title
    if "body" in data:
        issue.body = v.text(data, "body")
    if "labels" in data:
        issue.labels = check_labels(state, v.names(data, "labels") or [])
    if "assignees" in data or "assignee" in data:
        logins = v.names(data, "assignees") or []
        single = v.text(data, "assignee")
        issue.assignees = check_assignees(state, [single, *logins] if single else logins)
    _apply_state(req, issue, data)
    if req.render.issue(issue) != before:
        touch(req, issue)
    return Response(200, req.render.issue(issue))


def _apply_state(req: Request, issue: Issue, data: dict[str, object]) -> None:
    new_state = v.text(data, "state")
    reason = v.text(data, "state_reason")
    if new_state is not None and new_state not in ("open", "closed"):
        raise validation_failed("Issue", "state", "invalid", new_state)
    if reason is not None and reason not in STATE_REASONS:
        raise validation_failed("Issue", "state_reason", "invalid", reason)
    if new_state == "closed" and issue.state == "open":
        issue.state, issue.closed_at, issue.closed_by = "closed", req.state.now(), req.login
        issue.state_reason = reason or "completed"
    elif new_state == "open" and issue.state == "closed":
        issue.state, issue.closed_at, issue.closed_by = "open", None, None
        issue.state_reason = "reopened"
    elif reason is not None and issue.state == "closed":
        issue.state_reason = reason


@router.route("PUT", R + "/issues/{issue_number}/lock")
def lock_issue(req: Request) -> Response:
    issue = get_issue(req)
    reason = v.text(v.body(req), "lock_reason")
    if reason is not None and reason not in LOCK_REASONS:
        raise validation_failed("Issue", "lock_reason", "invalid", reason)
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")
    issue.locked, issue.lock_reason = True, reason
    return Response(204)


@router.route("DELETE", R + "/issues/{issue_number}/lock")
def unlock_issue(req: Request) -> Response:
    issue = get_issue(req)
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")
    issue.locked, issue.lock_reason = False, None
    return Response(204)


# -- comments ----------------------------------------------------------------------------


def get_comment(req: Request) -> Comment:
    comment = req.state.comments.get(req.int_param("comment_id"))
    if comment is None:
        raise ApiError(404, "Not Found")
    return comment


@router.route("GET", R + "/issues/{issue_number}/comments")
def list_comments(req: Request) -> Response:
    issue = get_issue(req)
    after = v.since(req)
    comments = [
        c
        for c in req.state.comments.values()
        if c.issue == issue.number and (after is None or c.updated_at >= after)
    ]
    return paginate(req, comments, req.render.comment)


@router.route("GET", R + "/issues/comments")
def list_repo_comments(req: Request) -> Response:
    after = v.since(req)
    comments = [c for c in req.state.comments.values() if after is None or c.updated_at >= after]
    if req.query.get("sort") == "updated":
        comments.sort(key=lambda c: (c.updated_at, c.id))
    if req.query.get("direction") == "desc":
        comments.reverse()
    return paginate(req, comments, req.render.comment)


@router.route("POST", R + "/issues/{issue_number}/comments")
def create_comment(req: Request) -> Response:
    issue = get_issue(req)
    data = v.body(req)
    text = v.text(data, "body", allow_null=False)
    if text is None:
        v.required(data, "body")
    if issue.locked and not req.state.can_push(req.login):
        raise ApiError(403, "Unable to create comment because issue is locked.")
    now = req.state.now()
    comment = Comment(req.state.new_comment_id(), issue.number, str(text), req.login, now, now)
    req.state.comments[comment.id] = comment
    issue.comments += 1
    issue.updated_at = now
    url = f"{req.render.repo_url}/issues/comments/{comment.id}"
    return Response(201, req.render.comment(comment), {"Location": url})


@router.route("GET", R + "/issues/comments/{comment_id}")
def read_comment(req: Request) -> Response:
    return Response(200, req.render.comment(get_comment(req)))


@router.route("PATCH", R + "/issues/comments/{comment_id}")
def update_comment(req: Request) -> Response:
    comment = get_comment(req)
    data = v.body(req)
    text = v.text(data, "body", allow_null=False)
    if text is None:
        v.required(data, "body")
    if req.login.lower() != comment.user.lower() and not req.state.can_push(req.login):
        raise ApiError(403, "Must have push access to edit this comment.")
    if comment.body != text:
        comment.body = str(text)
        comment.updated_at = req.state.now()
    return Response(200, req.render.comment(comment))


@router.route("DELETE", R + "/issues/comments/{comment_id}")
def delete_comment(req: Request) -> Response:
    comment = get_comment(req)
    if req.login.lower() != comment.user.lower() and not req.state.can_push(req.login):
        raise ApiError(403, "Must have push access to delete this comment.")
    del req.state.comments[comment.id]
    req.state.issues[comment.issue].comments -= 1
    return Response(204)


# -- assignees ---------------------------------------------------------------------------


@router.route("GET", R + "/assignees")
def list_assignees(req: Request) -> Response:
    users = [u for u in req.state.users.values() if u.assignable]
    return paginate(req, users, lambda u: req.render.simple_user(u.login))


@router.route("GET", R + "/assignees/{assignee}")
def check_assignee(req: Request) -> Response:
    user = req.state.user(req.params["assignee"])
    return Response(204) if user and user.assignable else Response(404, _not_found())


@router.route("GET", R + "/issues/{issue_number}/assignees/{assignee}")
def check_issue_assignee(req: Request) -> Response:
    get_issue(req)
    return check_assignee(req)


def _not_found() -> dict[str, str]:
    return ApiError(404, "Not Found").response().body  # type: ignore[no-any-return]


@router.route("POST", R + "/issues/{issue_number}/assignees")
def add_assignees(req: Request) -> Response:
    issue = get_issue(req)
    logins = v.names(v.body(req), "assignees") or []
    if req.state.can_push(req.login):
        for login in logins[:10]:
            user = req.state.user(login)
            # GitHub ignores users who cannot be assigned here, unlike on create/update
            if user and user.assignable and user.login not in issue.assignees:
                issue.assignees.append(user.login)
                touch(req, issue)
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
        issue.assignees = kept
        touch(req, issue)
    return Response(200, req.render.issue(issue))


# -- sub-issues (they take the sub-issue's id, not its number) ---------------------------


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
