"""GitHub Actions resources a bot reads: the repository's caches (there are none here)."""

from __future__ import annotations

from pmbot.sandbox.routing import Request, Response, Router, validation_failed

router = Router()
R = "/repos/{owner}/{repo}"
SORTS = ("created_at", "last_accessed_at", "size_in_bytes")


@router.route("GET", R + "/actions/caches")
def list_caches(req: Request) -> Response:
    """The sandbox runs no workflows, so a token that may read Actions sees no cache."""
    sort = req.query.get("sort", "last_accessed_at")
    if sort not in SORTS:
        raise validation_failed("ActionsCache", "sort", "invalid", sort)
    direction = req.query.get("direction", "desc")
    if direction not in ("asc", "desc"):
        raise validation_failed("ActionsCache", "direction", "invalid", direction)
    return Response(200, {"total_count": 0, "actions_caches": []})
