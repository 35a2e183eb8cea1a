"""Projects (v2) over REST: an organisation's or a user's projects, their fields (created
on demand, single-select options included) and items (issues) with their field values.

Lists page with cursors (`before`/`after` in the `Link` header), not page numbers.
"""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from pmbot.sandbox import render_org
from pmbot.sandbox import validate as v
from pmbot.sandbox.org import (
    PROJECT_COLORS,
    Project,
    ProjectField,
    ProjectItem,
    ProjectIteration,
    ProjectOption,
)
from pmbot.sandbox.routing import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    ApiError,
    Request,
    Response,
    Router,
    invalid_request,
    validation_failed,
)
from pmbot.sandbox.state import Issue, State

T = TypeVar("T")
router = Router()
NEW_FIELD_TYPES = ("text", "number", "date", "single_select", "iteration")
SETTABLE = ("text", "number", "date", "single_select", "iteration")
OWNERS = (("/orgs/{org}", True), ("/users/{username}", False))


@dataclass(frozen=True)
class Owner:
    """Whose projects a path names: the organisation's (`/orgs/…`) or a user's (`/users/…`)."""

    login: str
    is_org: bool

    def owns(self, project: Project) -> bool:
        return project.owner.lower() == self.login.lower() and project.owner_is_org == self.is_org

    def project(self, req: Request) -> Project:
        found = req.state.org.project(self.login, req.int_param("project_number"), self.is_org)
        if found is None:
            raise ApiError(404, "Not Found")
        return found


Handler = Callable[[Request, Owner], Response]


def _route(method: str, tail: str) -> Callable[[Handler], Handler]:
    """Register a handler for both the organisation's and a user's projects."""

    def register(handler: Handler) -> Handler:
        for prefix, is_org in OWNERS:
            router.add(method, prefix + "/projectsV2" + tail, _bind(handler, is_org))
        return handler

    return register


def _bind(handler: Handler, is_org: bool) -> Callable[[Request], Response]:
    def run(req: Request) -> Response:
        login = req.params["org" if is_org else "username"]
        org = req.state.org
        if (login.lower() != org.login.lower()) if is_org else req.state.user(login) is None:
            raise ApiError(404, "Not Found")
        return handler(req, Owner(login, is_org))

    return run


def _can_write(req: Request) -> None:
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")


# -- cursor pagination ------------------------------------------------------------------------


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _index(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError):
        raise ApiError(422, "Invalid cursor") from None


def cursor_page(req: Request, items: Sequence[T], render: Callable[[T], Any]) -> Response:
    """One page after (or before) a cursor, with `next`/`prev` links as GitHub gives them."""
    raw = req.query.get("per_page", "")
    per_page = min(int(raw), MAX_PER_PAGE) if raw.isdigit() and int(raw) > 0 else DEFAULT_PER_PAGE
    after, before = _index(req.query.get("after")), _index(req.query.get("before"))
    start = after + 1 if after is not None else 0
    if before is not None:
        start = max(0, before - per_page)
    end = min(start + per_page, len(items)) if before is None else before
    window = items[start:end]
    links = []
    if end < len(items) and window:
        links.append(("next", "after", end - 1))
    if start > 0:
        links.append(("prev", "before", start))
    headers = {}
    if links:
        headers["Link"] = ", ".join(
            f'<{_url(req, key, _cursor(at))}>; rel="{rel}"' for rel, key, at in links
        )
    return Response(200, [render(x) for x in window], headers)


def _url(req: Request, key: str, cursor: str) -> str:
    query = {k: val for k, val in req.query.items() if k not in ("after", "before")}
    query[key] = cursor
    return f"{req.render.api}{req.path}?{urlencode(query)}"


# -- projects ---------------------------------------------------------------------------------


@_route("GET", "")
def list_projects(req: Request, owner: Owner) -> Response:
    words = [w.lower() for w in (req.query.get("q") or "").split() if ":" not in w]
    found = [
        p
        for p in req.state.org.projects
        if owner.owns(p) and all(w in p.title.lower() for w in words)
    ]
    return cursor_page(req, found, lambda p: render_org.project(req.render, p))


@_route("GET", "/{project_number}")
def read_project(req: Request, owner: Owner) -> Response:
    project = owner.project(req)
    return Response(200, render_org.project(req.render, project))


# -- fields -----------------------------------------------------------------------------------


@_route("GET", "/{project_number}/fields")
def list_fields(req: Request, owner: Owner) -> Response:
    project = owner.project(req)
    return cursor_page(
        req, project.fields, lambda f: render_org.project_field(req.render, project, f)
    )


@_route("GET", "/{project_number}/fields/{field_id}")
def read_field(req: Request, owner: Owner) -> Response:
    project = owner.project(req)
    found = project.field(req.int_param("field_id"))
    if found is None:
        raise ApiError(404, "Not Found")
    return Response(200, render_org.project_field(req.render, project, found))


@_route("POST", "/{project_number}/fields")
def create_field(req: Request, owner: Owner) -> Response:
    project = owner.project(req)
    _can_write(req)
    data = v.body(req)
    org = req.state.org
    iterations = None
    if "issue_field_id" in data:
        issue_field = org.issue_field(v.integer(data, "issue_field_id") or 0)
        if issue_field is None:
            raise validation_failed("ProjectV2Field", "issue_field_id", "invalid")
        name, kind = issue_field.name, issue_field.data_type
        options: list[ProjectOption | str] = [o.name for o in issue_field.options]
    else:
        name = str(v.required(data, "name")).strip()
        kind = str(v.required(data, "data_type"))
        if kind not in NEW_FIELD_TYPES:
            raise validation_failed("ProjectV2Field", "data_type", "invalid", kind)
        options = _new_options(data) if kind == "single_select" else []
        iterations = _iterations(data) if kind == "iteration" else None
    if not name:
        raise validation_failed("ProjectV2Field", "name", "missing_field")
    if any(f.name.lower() == name.lower() for f in project.fields):
        raise validation_failed("ProjectV2Field", "name", "already_exists", name)
    made = org.add_project_field(project, name, kind, options)
    if iterations is not None:
        made.duration, wanted = iterations
        made.iterations = [
            ProjectIteration(f"{made.id % 16**4:04x}{i:04x}", title, start, days)
            for i, (title, start, days) in enumerate(wanted)
        ]
    if "issue_field_id" in data:
        made.issue_field_id = data["issue_field_id"]
    return Response(201, render_org.project_field(req.render, project, made))


def _iterations(data: dict[str, Any]) -> tuple[int, list[tuple[str, date, int]]]:
    """An iteration field's default length and its iterations (three from `start_date` when
    the configuration lists none, as the project settings would show)."""
    config = v.required(data, "iteration_configuration")
    if not isinstance(config, dict):
        raise invalid_request("For 'iteration_configuration', an object is needed.")
    start = _date(config.get("start_date"), "iteration_configuration.start_date")
    duration = config.get("duration")
    if not isinstance(duration, int) or isinstance(duration, bool) or duration < 1:
        raise validation_failed("ProjectV2Field", "duration", "invalid", str(duration))
    listed = config.get("iterations") or []
    if not isinstance(listed, list):
        raise invalid_request("For 'iterations', an array is needed.")
    wanted = []
    for n, entry in enumerate(listed):
        if not isinstance(entry, dict) or not isinstance(entry.get("title"), str):
            raise invalid_request(f"For 'iterations/{n}', a title is needed.")
        days = entry.get("duration")
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise validation_failed("ProjectV2Field", "duration", "invalid", str(days))
        wanted.append((entry["title"], _date(entry.get("start_date"), "start_date"), days))
    if not wanted:
        wanted = [
            (f"Iteration {i + 1}", start + timedelta(days=duration * i), duration) for i in range(3)
        ]
    return duration, wanted


def _date(raw: Any, name: str) -> date:
    if not isinstance(raw, str) or not _is_date(raw):
        raise validation_failed("ProjectV2Field", name, "invalid", str(raw))
    return date.fromisoformat(raw)


def _new_options(data: dict[str, Any]) -> list[ProjectOption | str]:
    raw = data.get("single_select_options")
    if not isinstance(raw, list) or not raw:
        raise validation_failed("ProjectV2Field", "single_select_options", "missing_field")
    out: list[ProjectOption | str] = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise invalid_request(f"For 'items', {json.dumps(entry)} needs a name.")
        color = entry.get("color", "GRAY")
        if color not in PROJECT_COLORS:
            raise validation_failed("ProjectV2Field", "color", "invalid", str(color))
        out.append(ProjectOption("", entry["name"], color, str(entry.get("description") or "")))
    return out


# -- items ------------------------------------------------------------------------------------


def _chosen_fields(req: Request, project: Project) -> list[ProjectField]:
    """`fields=1,2` (or `fields[]=1`): those fields; none asked for: the title."""
    raw = req.query.get("fields") or req.query.get("fields[]")
    if not raw:
        return [f for f in project.fields if f.data_type == "title"]
    chosen = []
    for part in raw.split(","):
        found = project.field(int(part)) if part.strip().isdigit() else None
        if found is None:
            raise validation_failed("ProjectV2Item", "fields", "invalid", part)
        chosen.append(found)
    return chosen


def _item(req: Request, project: Project) -> ProjectItem:
    found = project.item(req.int_param("item_id"))
    if found is None:
        raise ApiError(404, "Not Found")
    return found


def _with_content(req: Request, project: Project, fields: list[ProjectField]) -> Any:
    return lambda item: render_org.item_with_content(req.render, project, item, fields)


@_route("GET", "/{project_number}/items")
def list_items(req: Request, owner: Owner) -> Response:
    project = owner.project(req)
    fields = _chosen_fields(req, project)
    items = [i for i in project.items if _matches(req, project, i, req.query.get("q"))]
    return cursor_page(req, items, _with_content(req, project, fields))


def _matches(req: Request, project: Project, item: ProjectItem, q: str | None) -> bool:
    """A little of the project filter syntax: is:open/closed/issue/pr, repo:, a field by its
    name (`status:Done`, `status:"In Progress",Todo`; comma = any of), `-` before a filter
    to exclude, words in the title."""
    located = req.state.org.issue_by_id(item.issue_id)
    if located is None:
        return False
    repo, issue = located
    try:
        terms = shlex.split(q or "")
    except ValueError:  # an unbalanced quote: taken as words
        terms = (q or "").split()
    for term in terms:
        negate = term.startswith("-") and ":" in term
        key, sep, value = term.removeprefix("-" if negate else "").lower().partition(":")
        if not sep:
            ok = key in issue.title.lower()
        elif key == "is":
            ok = {
                "open": issue.state == "open",
                "closed": issue.state == "closed",
                "issue": issue.pull is None,
                "pr": issue.pull is not None,
            }.get(value, True)
        elif key == "repo":
            ok = value in (repo.full_name.lower(), repo.name.lower())
        else:
            ok = _field_matches(project, item, key, value)
        if ok == negate:
            return False
    return True


def _field_matches(project: Project, item: ProjectItem, key: str, value: str) -> bool:
    """`key:value` on a field named `key` (spaces may be written as hyphens); a field the
    project lacks matches nothing, as on GitHub."""
    f = next(
        (f for f in project.fields if key in (f.name.lower(), f.name.lower().replace(" ", "-"))),
        None,
    )
    if f is None:
        return False
    stored = item.values.get(f.id)
    if f.data_type == "single_select":
        chosen = f.option(stored)
        shown = chosen.name.lower() if chosen else None
    else:
        shown = None if stored is None else str(stored).lower()
    return shown is not None and shown in {v.strip() for v in value.split(",")}


@_route("GET", "/{project_number}/items/{item_id}")
def read_item(req: Request, owner: Owner) -> Response:
    project = owner.project(req)
    item = _item(req, project)
    fields = _chosen_fields(req, project)
    return Response(200, render_org.item_with_content(req.render, project, item, fields))


@_route("POST", "/{project_number}/items")
def add_item(req: Request, owner: Owner) -> Response:
    project = owner.project(req)
    _can_write(req)
    data = v.body(req)
    kind = str(v.required(data, "type"))
    if kind not in ("Issue", "PullRequest"):
        raise validation_failed("ProjectV2Item", "type", "invalid", kind)
    repo, issue = _content(req, data)
    if (issue.pull is not None) != (kind == "PullRequest"):
        raise validation_failed("ProjectV2Item", "type", "invalid", kind)
    existing = next((i for i in project.items if i.issue_id == issue.id), None)
    if existing is not None:  # adding it again answers the item it already is
        return Response(201, render_org.item_simple(req.render, project, existing))
    now = req.state.now()
    item = ProjectItem(
        req.state.org.next_id(), repo.name.lower(), issue.id, kind, req.login, now, now
    )
    project.items.append(item)
    project.updated_at = now
    return Response(201, render_org.item_simple(req.render, project, item))


def _content(req: Request, data: dict[str, Any]) -> tuple[State, Issue]:
    """The issue or pull request a body names, by `id` or by `owner`, `repo` and `number`."""
    org = req.state.org
    if "id" in data:
        located = org.issue_by_id(v.integer(data, "id") or 0)
    else:
        owner = v.required(data, "owner")
        repo = org.repo(str(owner), str(v.required(data, "repo")))
        number = v.integer(data, "number") or v.required(data, "number")
        issue = repo.issues.get(number) if repo is not None else None
        located = None if repo is None or issue is None else (repo, issue)
    if located is None:
        raise ApiError(404, "Not Found")
    return located


@_route("PATCH", "/{project_number}/items/{item_id}")
def update_item(req: Request, owner: Owner) -> Response:
    project = owner.project(req)
    item = _item(req, project)
    _can_write(req)
    data = v.body(req)
    updates = v.required(data, "fields")
    if not isinstance(updates, list):
        raise invalid_request(f"For 'properties/fields', {json.dumps(updates)} is not an array.")
    changes = [_change(project, entry) for entry in updates]  # all checked before any is set
    before = dict(item.values)
    for f, value in changes:
        if value is None:
            item.values.pop(f.id, None)
        else:
            item.values[f.id] = value
    if item.values != before:
        item.updated_at = project.updated_at = req.state.now()
    fields = [f for f, _ in changes]
    return Response(200, render_org.item_with_content(req.render, project, item, fields))


def _change(project: Project, entry: Any) -> tuple[ProjectField, Any]:
    if not isinstance(entry, dict) or "id" not in entry or "value" not in entry:
        raise invalid_request(f"For 'items', {json.dumps(entry)} needs id and value.")
    f = project.field(entry["id"]) if isinstance(entry["id"], int) else None
    if f is None:
        raise validation_failed("ProjectV2ItemFieldValue", "id", "invalid", str(entry["id"]))
    value = entry["value"]
    if value is None:
        return f, None
    if f.data_type not in SETTABLE:
        raise validation_failed("ProjectV2ItemFieldValue", f.name, "unsettable")
    if f.data_type == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif f.data_type == "date":
        ok = isinstance(value, str) and _is_date(value)
    elif f.data_type == "single_select":
        ok = f.option(value) is not None
    elif f.data_type == "iteration":
        ok = f.iteration(value) is not None
    else:
        ok = isinstance(value, str)
    if not ok:
        raise validation_failed("ProjectV2ItemFieldValue", f.name, "invalid", str(value))
    return f, value


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


@_route("DELETE", "/{project_number}/items/{item_id}")
def delete_item(req: Request, owner: Owner) -> Response:
    project = owner.project(req)
    item = _item(req, project)
    _can_write(req)
    project.items.remove(item)
    return Response(204)
