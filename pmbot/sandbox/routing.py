"""Requests, responses, GitHub-shaped errors, a route table and `Link` pagination."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlencode

if TYPE_CHECKING:
    from pmbot.sandbox.render import Renderer
    from pmbot.sandbox.state import State

T = TypeVar("T")
DOCS = "https://docs.github.com/rest"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


@dataclass
class Request:
    """One decoded API request, as a route handler sees it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    login: str
    state: State
    render: Renderer
    params: dict[str, str] = field(default_factory=dict)
    integration: bool = False  # an Actions or App installation token (see State.identity)
    accept: str = ""  # the Accept header, for the media types some endpoints honour

    def int_param(self, name: str) -> int:
        value = self.params[name]
        if not value.isdigit():
            raise ApiError(404, "Not Found")
        return int(value)


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is, instead of `body` as JSON
    media_type: str = "application/json"


class ApiError(Exception):
    """An error answered in GitHub's format: {"message", "documentation_url", "status"}."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: Sequence[dict[str, Any]] = (),
        headers: dict[str, str] | None = None,
        documentation_url: str = DOCS,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.documentation_url = documentation_url

    def response(self) -> Response:
        body: dict[str, Any] = {
            "message": self.message,
            "documentation_url": self.documentation_url,
            "status": str(self.status),
        }
        if self.errors:
            body["errors"] = self.errors
        return Response(self.status, body, dict(self.headers))


def validation_failed(resource: str, field_name: str, code: str, value: Any = None) -> ApiError:
    """GitHub's 422 "Validation Failed" with one error entry."""
    error: dict[str, Any] = {"resource": resource, "field": field_name, "code": code}
    if value is not None:
        error["value"] = value
    return ApiError(422, "Validation Failed", [error])


def invalid_request(message: str) -> ApiError:
    """GitHub's 422 for a body that does not match the endpoint's schema."""
    return ApiError(422, f"Invalid request.\n\n{message}")


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Maps `METHOD /path/{param}` templates to handlers; `{path}`, `{ref}` and `{branch}`
    may hold slashes."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(method, template, handler)
            return handler

        return register

    def add(self, method: str, template: str, handler: Handler) -> None:
        pattern = "^"
        for part in re.split(r"(\{[^}]+\})", template):
            if part in ("{path}", "{ref}", "{branch}"):
                pattern += f"(?P<{part[1:-1]}>.*)"
            elif part.startswith("{"):
                pattern += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                pattern += re.escape(part)
        self.routes.append(Route(method, template, re.compile(pattern + "$"), handler))
        # the most specific template wins: fewest parameters, then longest literal text
        self.routes.sort(key=lambda r: (r.template.count("{"), -len(r.template)))

    def extend(self, other: Router) -> None:
        for r in other.routes:
            self.add(r.method, r.template, r.handler)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route and its path parameters; 404 for an unknown path, 404 too for a wrong method
        (GitHub answers an unsupported method on a known path with 404 Not Found)."""
        for r in self.routes:
            m = r.pattern.match(path)
            if m and r.method == method:
                return r, {k: unquote(val) for k, val in m.groupdict().items()}
        raise ApiError(404, "Not Found")


def page_window(query: dict[str, str]) -> tuple[int, int]:
    """(page, per_page) from the query, with GitHub's defaults and its cap of 100."""
    per_page = _positive(query.get("per_page"), DEFAULT_PER_PAGE)
    return _positive(query.get("page"), 1), min(per_page, MAX_PER_PAGE)


def _positive(raw: str | None, default: int) -> int:
    if raw is None or not raw.isdigit() or int(raw) < 1:
        return default
    return int(raw)


def paginate(
    req: Request, items: Sequence[T], render: Callable[[T], Any] | None = None
) -> Response:
    """One page of `items` (rendered lazily) with a `Link` header like GitHub's."""
    page, per_page = page_window(req.query)
    start = (page - 1) * per_page
    window = items[start : start + per_page]
    body = [render(x) for x in window] if render else list(window)
    return Response(200, body, link_header(req, len(items)))


def link_header(req: Request, total: int) -> dict[str, str]:
    """GitHub's `Link` header (first/prev/next/last) for `total` items, or nothing."""
    page, per_page = page_window(req.query)
    last = max(1, -(-total // per_page))
    links = []
    if page < last:
        links += [("next", page + 1), ("last", last)]
    if page > 1:
        links += [("first", 1), ("prev", min(page - 1, last))]
    if not links:
        return {}
    return {"Link": ", ".join(f'<{_page_url(req, n)}>; rel="{rel}"' for rel, n in links)}


def _page_url(req: Request, page: int) -> str:
    query = {k: v for k, v in req.query.items() if k != "page"}
    query["page"] = str(page)
    return f"{req.render.api}{req.path}?{urlencode(query)}"
