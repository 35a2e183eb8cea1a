"""Pull requests: list, create, read, update, merge. A pull request is also an issue."""

from __future__ import annotations

from typing import Any

from pmbot.sandbox import events
from pmbot.sandbox import validate as v
from pmbot.sandbox.render import ts
from pmbot.sandbox.routing import (
    ApiError,
    Request,
    Response,
    Router,
    invalid_request,
    paginate,
    validation_failed,
)
from pmbot.sandbox.state import Issue, PullData

router = Router()
R = "/repos/{owner}/{repo}"


def get_pull(req: Request) -> Issue:
    issue = req.state.issues.get(req.int_param("pull_number"))
    if issue is None or issue.pull is None:
        raise ApiError(404, "Not Found")
    return issue


def _branch(req: Request, spec: str) -> str:
    """`owner:branch` or `branch` -> branch, for this repository only."""
    owner, sep, branch = spec.partition(":")
    if sep and owner.lower() != req.state.owner.lower():
        return ""
    return branch if sep else spec


def _changes(req: Request, issue: Issue) -> dict[str, bytes | None]:
    """What the head branch changed since the pull request's base commit."""
    assert issue.pull is not None
    git = req.state.git
    head = git.commits[git.branch_head(issue.pull.head) or issue.pull.base_sha]
    base = git.commits[issue.pull.base_sha]
    changes: dict[str, bytes | None] = {}
    for path, sha in head.files.items():
        if base.files.get(path) != sha:
            changes[path] = git.blobs[sha]
    for path in base.files.keys() - head.files.keys():
        changes[path] = None
    return changes


def render_pull(req: Request, issue: Issue, *, full: bool) -> dict[str, Any]:
    pull = issue.pull
    assert pull is not None
    render, git = req.render, req.state.git
    api = f"{render.repo_url}/pulls/{issue.number}"
    issue_api = f"{render.repo_url}/issues/{issue.number}"
    html = f"{render.html_url}/pull/{issue.number}"
    base_head = git.branch_head(pull.base) or pull.base_sha
    head_sha = git.branch_head(pull.head) or pull.base_sha
    repo = render.repository()

    def side(branch: str, sha: str) -> dict[str, Any]:
        owner = req.state.owner
        user = render.simple_user(owner)
        return {"label": f"{owner}:{branch}", "ref": branch, "sha": sha, "user": user, "repo": repo}

    links = {
        "self": api,
        "html": html,
        "issue": issue_api,
        "comments": f"{issue_api}/comments",
        "review_comments": f"{api}/comments",
        "review_comment": f"{render.repo_url}/pulls/comments{{/number}}",
        "commits": f"{api}/commits",
        "statuses": f"{render.repo_url}/statuses/{head_sha}",
    }
    body: dict[str, Any] = {
        "url": api,
        "id": pull.id,
        "node_id": f"PR_{pull.id}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue_api,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": links["review_comment"],
        "comments_url": f"{issue_api}/comments",
        "statuses_url": links["statuses"],
        "number": issue.number,
        "state": issue.state,
        "locked": issue.locked,
        "title": issue.title,
        "user": render.simple_user(issue.user),
        "body": issue.body,
        "labels": render.issue_labels(issue),
        "milestone": None,
        "active_lock_reason": None,
        "created_at": ts(issue.created_at),
        "updated_at": ts(issue.updated_at),
        "closed_at": ts(issue.closed_at),
        "merged_at": ts(pull.merged_at),
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": render.maybe_user(issue.assignees[0] if issue.assignees else None),
        "assignees": [render.simple_user(a) for a in issue.assignees],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": side(pull.head, head_sha),
        "base": side(pull.base, base_head),
        "_links": {k: {"href": url} for k, url in links.items()},
        "author_association": req.state.association(issue.user),
        "auto_merge": None,
        "draft": pull.draft,
    }
    if full:
        changed = _changes(req, issue)
        body.update(
            merged=pull.merged_at is not None,
            mergeable=None if pull.merged_at else True,
            rebaseable=None if pull.merged_at else True,
            mergeable_state="unknown" if pull.merged_at else "clean",
            merged_by=render.maybe_user(pull.merged_by),
            comments=issue.comments,
            review_comments=0,
            maintainer_can_modify=False,
            commits=1,
            additions=sum((data or b"").count(b"\n") for data in changed.values()),
            deletions=0,
            changed_files=len(changed),
        )
    return body


@router.route("GET", R + "/pulls")
def list_pulls(req: Request) -> Response:
    q = req.query
    state = q.get("state", "open")
    head = _branch(req, q["head"]) if "head" in q else None
    pulls = [
        i
        for i in req.state.issues.values()
        if i.pull is not None
        and (state == "all" or i.state == state)
        and (head is None or i.pull.head == head)
        and ("base" not in q or i.pull.base == q["base"])
    ]
    if q.get("direction", "desc") == "desc":
        pulls.reverse()
    return paginate(req, pulls, lambda i: render_pull(req, i, full=False))


@router.route("POST", R + "/pulls")
def create_pull(req: Request) -> Response:
    data = v.body(req)
    head_spec = v.text(data, "head", allow_null=False)
    base = v.text(data, "base", allow_null=False)
    title = v.text(data, "title")
    if head_spec is None or base is None:
        v.required(data, "head" if head_spec is None else "base")
    if title is None:
        v.required(data, "title")
    assert head_spec is not None and base is not None
    git, head = req.state.git, _branch(req, head_spec)
    head_sha, base_sha = git.branch_head(head), git.branch_head(base)
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")
    if head_sha is None:
        raise validation_failed("PullRequest", "head", "invalid")
    if base_sha is None:
        raise validation_failed("PullRequest", "base", "invalid")
    for other in req.state.issues.values():
        p = other.pull
        if p and other.state == "open" and p.head == head and p.base == base:
            message = f"A pull request already exists for {req.state.owner}:{head}."
            raise ApiError(422, "Validation Failed", [_custom(message)])
    if head_sha in git.ancestors(base_sha):
        raise ApiError(422, "Validation Failed", [_custom(f"No commits between {base} and {head}")])
    issue = req.state.seed_issue(title=str(title), body=v.text(data, "body"), user=req.login)
    issue.pull = PullData(
        req.state.new_pull_id(), head, base, base_sha, draft=bool(v.flag(data, "draft"))
    )
    body = render_pull(req, issue, full=True)
    return Response(201, body, {"Location": body["url"]})


def _custom(message: str) -> dict[str, str]:
    return {"resource": "PullRequest", "code": "custom", "message": message}


@router.route("GET", R + "/pulls/{pull_number}")
def read_pull(req: Request) -> Response:
    return Response(200, render_pull(req, get_pull(req), full=True))


@router.route("PATCH", R + "/pulls/{pull_number}")
def update_pull(req: Request) -> Response:
    issue = get_pull(req)
    assert issue.pull is not None
    data = v.body(req)
    if not req.state.can_push(req.login) and req.login.lower() != issue.user.lower():
        raise ApiError(403, "Resource not accessible by integration")
    title = issue.title
    if "title" in data:
        issue.title = v.text(data, "title", allow_null=False) or issue.title
    events.title(req, issue, title)
    if "body" in data:
        issue.body = v.text(data, "body")
    base = v.text(data, "base")
    if base is not None:
        if req.state.git.branch_head(base) is None:
            raise validation_failed("PullRequest", "base", "invalid", base)
        issue.pull.base = base
    new_state = v.text(data, "state")
    if new_state not in (None, "open", "closed"):
        raise validation_failed("PullRequest", "state", "invalid", new_state)
    if new_state and new_state != issue.state and issue.pull.merged_at is None:
        now = req.state.now()
        issue.state = new_state
        issue.closed_at = now if new_state == "closed" else None
        events.record(req, issue, "closed" if new_state == "closed" else "reopened")
    issue.updated_at = req.state.now()
    return Response(200, render_pull(req, issue, full=True))


@router.route("GET", R + "/pulls/{pull_number}/merge")
def check_merged(req: Request) -> Response:
    issue = get_pull(req)
    assert issue.pull is not None
    if issue.pull.merged_at is None:
        raise ApiError(404, "Not Found")
    return Response(204)


@router.route("PUT", R + "/pulls/{pull_number}/merge")
def merge_pull(req: Request) -> Response:
    issue = get_pull(req)
    pull = issue.pull
    assert pull is not None
    data = v.body(req)
    git = req.state.git
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")
    if issue.state != "open" or pull.merged_at is not None:
        raise ApiError(405, "Pull Request is not mergeable")
    head_sha = git.branch_head(pull.head)
    base_sha = git.branch_head(pull.base)
    if head_sha is None or base_sha is None:
        raise ApiError(405, "Pull Request is not mergeable")
    sha = v.text(data, "sha")
    if sha is not None and sha != head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    method = v.text(data, "merge_method") or "merge"
    if method not in ("merge", "squash", "rebase"):
        raise invalid_request(f"For 'properties/merge_method', {method!r} is not a valid value.")
    title = v.text(data, "commit_title") or f"Merge pull request #{issue.number}"
    changes = _changes(req, issue)
    now = req.state.now()
    merged = git.commit_changes(pull.base, changes, title, req.login, "noreply@github.com", now)
    if method == "merge":
        merged.parents.append(head_sha)
    pull.merged_at, pull.merged_by, pull.merge_commit_sha = now, req.login, merged.sha
    issue.state, issue.closed_at, issue.updated_at = "closed", now, now
    events.record(req, issue, "merged", commit_id=merged.sha)
    events.record(req, issue, "closed")
    body = {"sha": merged.sha, "merged": True, "message": "Pull Request successfully merged"}
    return Response(200, body)
