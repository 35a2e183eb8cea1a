"""Issues: list, create, read, update (state, labels, assignees), lock."""

from __future__ import annotations

from pmbot.sandbox import events, issue_extras
from pmbot.sandbox import validate as v
from pmbot.sandbox.routing import (
    ApiError,
    Request,
    Response,
    Router,
    paginate,
    validation_failed,
)
from pmbot.sandbox.state import Issue, State

router = Router()
R = "/repos/{owner}/{repo}"
STATES = ("open", "closed", "all")
STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate")
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
    extras = issue_extras.read(req, data)
    if not state.can_push(req.login):
        labels, assignees = [], []  # GitHub silently drops them for users without push access
    issue = state.seed_issue(
        title=str(title),
        body=v.text(data, "body"),
        labels=labels,
        assignees=assignees,
        user=req.login,
    )
    events.labels(req, issue, [])
    events.assignees(req, issue, [])
    extras.apply(req, issue)
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
    title, labels, assignees, open_or_closed = (
        issue.title,
        list(issue.labels),
        list(issue.assignees),
        issue.state,
    )
    extras = issue_extras.read(req, data)
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
    extras.apply(req, issue)
    if req.render.issue(issue) != before:
        touch(req, issue)
    events.title(req, issue, title)
    events.labels(req, issue, labels)
    events.assignees(req, issue, assignees)
    events.state(req, issue, open_or_closed)
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
    if not issue.locked:
        events.record(req, issue, "locked", lock_reason=reason)
    issue.locked, issue.lock_reason = True, reason
    return Response(204)


@router.route("DELETE", R + "/issues/{issue_number}/lock")
def unlock_issue(req: Request) -> Response:
    issue = get_issue(req)
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")
    if issue.locked:
        events.record(req, issue, "unlocked")
    issue.locked, issue.lock_reason = False, None
    return Response(204)
