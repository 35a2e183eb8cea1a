"""The repository, users and collaborators."""

from __future__ import annotations

from pmbot.sandbox.routing import DOCS, ApiError, Request, Response, Router
from pmbot.sandbox.state import User

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
