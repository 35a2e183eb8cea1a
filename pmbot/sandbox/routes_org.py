"""The owner's level: the App installation's repositories, issue types, issue fields and
the field values of issues."""

from __future__ import annotations

from typing import Any

from pmbot.sandbox import render_org
from pmbot.sandbox import validate as v
from pmbot.sandbox.issue_extras import parse_field_values
from pmbot.sandbox.org import COLORS, IssueFieldOption, Org
from pmbot.sandbox.routes_issues import get_issue, touch
from pmbot.sandbox.routing import (
    ApiError,
    Request,
    Response,
    Router,
    invalid_request,
    link_header,
    page_window,
    paginate,
)

router = Router()
R = "/repos/{owner}/{repo}"
FIELD_TYPES = ("text", "date", "single_select", "multi_select", "number")
VISIBILITIES = ("organization_members_only", "all")
NOT_INSTALLATION = (
    "You must authenticate with an installation access token in order to list repositories "
    "for an installation."
)


def the_org(req: Request) -> Org:
    """The organisation an `/orgs/{org}` path names; 404 for any other."""
    org = req.state.org
    if req.params["org"].lower() != org.login.lower():
        raise ApiError(404, "Not Found")
    return org


def _admin(req: Request) -> None:
    user = req.state.user(req.login)
    if user is None or user.permission != "admin":
        raise ApiError(404, "Not Found")  # GitHub hides organisation settings from others


# -- the App installation ---------------------------------------------------------------------


@router.route("GET", "/installation/repositories")
def installation_repositories(req: Request) -> Response:
    org = req.state.org
    repos = org.installation_of(req.login)
    if repos is None:
        raise ApiError(403, NOT_INSTALLATION)
    page, per_page = page_window(req.query)
    window = repos[(page - 1) * per_page : page * per_page]
    selected = org.installations.get(req.login.lower()) is not None
    body = {
        "total_count": len(repos),
        "repository_selection": "selected" if selected else "all",
        "repositories": [req.render.for_repo(r).repository() for r in window],
    }
    return Response(200, body, link_header(req, len(repos)))


# -- issue types ------------------------------------------------------------------------------


@router.route("GET", "/orgs/{org}/issue-types")
def list_issue_types(req: Request) -> Response:
    return Response(200, [render_org.issue_type(t) for t in the_org(req).issue_types])


@router.route("GET", R + "/issue-types")
def list_repository_issue_types(req: Request) -> Response:
    enabled = [t for t in req.state.org.issue_types if t.is_enabled]
    return Response(200, [render_org.issue_type(t) for t in enabled])


class _Simple422(ApiError):
    """GitHub's `validation-error-simple`: the errors are plain sentences."""

    def __init__(self, sentence: str) -> None:
        super().__init__(422, "Validation Failed")
        self.sentence = sentence

    def response(self) -> Response:
        answer = super().response()
        answer.body["errors"] = [self.sentence]
        return answer


def _simple_422(sentence: str) -> ApiError:
    return _Simple422(sentence)


def _color(data: dict[str, Any], key: str = "color") -> str | None:
    color = v.text(data, key)
    if color is not None and color not in COLORS:
        raise _simple_422(f"{key.capitalize()} must be one of {', '.join(COLORS)}")
    return color


@router.route("POST", "/orgs/{org}/issue-types")
def create_issue_type(req: Request) -> Response:
    org = the_org(req)
    _admin(req)
    data = v.body(req)
    name = str(v.required(data, "name")).strip()
    enabled = v.flag(data, "is_enabled")
    if enabled is None:
        v.required(data, "is_enabled")
    if not name:
        raise _simple_422("Name can't be blank")
    if any(t.name.lower() == name.lower() for t in org.issue_types):
        raise _simple_422("Name has already been taken")
    made = org.seed_issue_type(name, v.text(data, "description"), _color(data), bool(enabled))
    return Response(200, render_org.issue_type(made))


# -- issue fields -----------------------------------------------------------------------------


@router.route("GET", "/orgs/{org}/issue-fields")
def list_issue_fields(req: Request) -> Response:
    return Response(200, [render_org.issue_field(f) for f in the_org(req).issue_fields])


@router.route("POST", "/orgs/{org}/issue-fields")
def create_issue_field(req: Request) -> Response:
    org = the_org(req)
    _admin(req)
    data = v.body(req)
    name = str(v.required(data, "name")).strip()
    kind = str(v.required(data, "data_type"))
    if kind not in FIELD_TYPES:
        raise _simple_422(f"Data type must be one of {', '.join(FIELD_TYPES)}")
    visibility = v.text(data, "visibility") or "organization_members_only"
    if visibility not in VISIBILITIES:
        raise _simple_422(f"Visibility must be one of {', '.join(VISIBILITIES)}")
    if not name:
        raise _simple_422("Name can't be blank")
    if any(f.name.lower() == name.lower() for f in org.issue_fields):
        raise _simple_422("Name has already been taken")
    options = data.get("options") or []
    if kind in ("single_select", "multi_select") and not options:
        raise _simple_422("Options are required for select fields")
    if not isinstance(options, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) for o in options
    ):
        raise invalid_request("For 'properties/options', each option needs a name.")
    made = org.seed_issue_field(name, kind, [], v.text(data, "description"), visibility)
    if kind in ("single_select", "multi_select"):
        for i, o in enumerate(options):
            made.options.append(_option(org, o, i))
    return Response(200, render_org.issue_field(made))


def _option(org: Org, data: dict[str, Any], index: int) -> IssueFieldOption:
    priority = v.integer(data, "priority")
    return IssueFieldOption(
        org.next_id(),
        data["name"],
        _color(data),
        v.text(data, "description"),
        priority if priority is not None else index + 1,
    )


def _writer(req: Request) -> None:
    if not req.state.can_push(req.login):
        raise ApiError(403, "Must have push access to set issue field values.")


@router.route("GET", R + "/issues/{issue_number}/issue-field-values")
def list_field_values(req: Request) -> Response:
    issue = get_issue(req)
    return paginate(req, render_org.field_values(req.state, issue))


def _write_values(req: Request, replace: bool) -> Response:
    issue = get_issue(req)
    _writer(req)
    values = parse_field_values(req, v.body(req)) or {}
    before = dict(issue.field_values)
    if replace or not values:  # adding an empty list clears every value, as GitHub does
        issue.field_values = {}
    issue.field_values.update(values)
    if issue.field_values != before:
        touch(req, issue)
    return Response(200, render_org.field_values(req.state, issue))


@router.route("POST", R + "/issues/{issue_number}/issue-field-values")
def add_field_values(req: Request) -> Response:
    return _write_values(req, replace=False)


@router.route("PUT", R + "/issues/{issue_number}/issue-field-values")
def set_field_values(req: Request) -> Response:
    return _write_values(req, replace=True)


@router.route("DELETE", R + "/issues/{issue_number}/issue-field-values/{issue_field_id}")
def delete_field_value(req: Request) -> Response:
    issue = get_issue(req)
    _writer(req)
    field_id = req.int_param("issue_field_id")
    if field_id not in issue.field_values:
        raise ApiError(404, "Not Found")
    del issue.field_values[field_id]
    touch(req, issue)
    return Response(204)
