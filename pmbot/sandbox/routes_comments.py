"""Issue comments: per issue and repository-wide."""

from __future__ import annotations

from pmbot.sandbox import validate as v
from pmbot.sandbox.routes_issues import get_issue
from pmbot.sandbox.routing import ApiError, Request, Response, Router, paginate
from pmbot.sandbox.state import Comment

router = Router()
R = "/repos/{owner}/{repo}"


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
