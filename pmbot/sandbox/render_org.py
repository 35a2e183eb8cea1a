"""JSON for what lives at the owner's level: projects, their fields and items, issue types,
issue fields and their values (every field GitHub's OpenAPI description marks required)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pmbot.sandbox.org import (
    IssueField,
    IssueType,
    Project,
    ProjectField,
    ProjectItem,
    ProjectIteration,
    ProjectOption,
)
from pmbot.sandbox.render import ts

if TYPE_CHECKING:
    from pmbot.sandbox.render import Renderer
    from pmbot.sandbox.state import Issue, State

JSON = dict[str, Any]


def node_id(prefix: str, ident: int) -> str:
    """Projects' node ids look like `PVT_kwDOAlIw4c4A0Lf4`; the sandbox's are readable."""
    return f"{prefix}_sandbox{ident}"


def _rich(text: str) -> JSON:
    return {"raw": text, "html": text}


# -- issue types and issue fields -----------------------------------------------------------


def issue_type(t: IssueType) -> JSON:
    return {
        "id": t.id,
        "node_id": node_id("IT", t.id),
        "name": t.name,
        "description": t.description,
        "color": t.color,
        "created_at": ts(t.created_at),
        "updated_at": ts(t.created_at),
        "is_enabled": t.is_enabled,
    }


def issue_field(f: IssueField) -> JSON:
    body: JSON = {
        "id": f.id,
        "node_id": node_id("IF", f.id),
        "name": f.name,
        "description": f.description,
        "data_type": f.data_type,
        "visibility": f.visibility,
        "created_at": ts(f.created_at),
        "updated_at": ts(f.created_at),
        "options": None,
    }
    if f.data_type in ("single_select", "multi_select"):
        body["options"] = [
            {
                "id": o.id,
                "name": o.name,
                "color": o.color,
                "description": o.description,
                "priority": o.priority,
            }
            for o in f.options
        ]
    return body


def issue_field_value(f: IssueField, value: Any) -> JSON:
    body: JSON = {
        "issue_field_id": f.id,
        "node_id": node_id("IFV", f.id),
        "issue_field_name": f.name,
        "data_type": f.data_type,
        "value": value,
    }
    if f.data_type == "single_select":
        option = f.option(str(value))
        body["single_select_option"] = option and {
            "id": option.id,
            "name": option.name,
            "color": option.color or "gray",
        }
    elif f.data_type == "multi_select":
        chosen = [o for o in f.options if o.name in value]
        body["value"] = ", ".join(o.name for o in chosen)
        body["multi_select_options"] = [
            {"id": o.id, "name": o.name, "color": o.color or "gray"} for o in chosen
        ]
    return body


def issue_extras(state: State, issue: Issue) -> JSON:
    """`type` and `issue_field_values` on an issue, present when its owner has them."""
    org = state.org
    extras: JSON = {}
    if org.issue_types:
        chosen = next((t for t in org.issue_types if t.id == issue.type), None)
        extras["type"] = issue_type(chosen) if chosen else None
    if org.issue_fields:
        extras["issue_field_values"] = field_values(state, issue)
    return extras


def field_values(state: State, issue: Issue) -> list[JSON]:
    out = []
    for field_id, value in issue.field_values.items():
        f = state.org.issue_field(field_id)
        if f is not None:
            out.append(issue_field_value(f, value))
    return out


# -- projects --------------------------------------------------------------------------------


def project_url(render: Renderer, project: Project) -> str:
    kind = "orgs" if project.owner_is_org else "users"
    return f"{render.api}/{kind}/{project.owner}/projectsV2/{project.number}"


def project(render: Renderer, p: Project) -> JSON:
    owner = render.simple_user(p.owner)
    if p.owner_is_org:
        owner["type"] = "Organization"
    return {
        "id": p.id,
        "node_id": node_id("PVT", p.id),
        "owner": owner,
        "creator": render.simple_user(p.creator),
        "title": p.title,
        "description": p.description,
        "short_description": p.description,
        "public": p.public,
        "closed_at": ts(p.updated_at) if p.closed else None,
        "created_at": ts(p.created_at),
        "updated_at": ts(p.updated_at),
        "number": p.number,
        "state": "closed" if p.closed else "open",
        "deleted_at": None,
        "deleted_by": None,
        "is_template": False,
        "latest_status_update": None,
    }


def option(o: ProjectOption) -> JSON:
    return {
        "id": o.id,
        "name": _rich(o.name),
        "color": o.color,
        "description": _rich(o.description),
    }


def iteration(i: ProjectIteration, today: date) -> JSON:
    return {
        "id": i.id,
        "title": _rich(i.title),
        "start_date": i.start_date.isoformat(),
        "duration": i.duration,
        "completed": i.start_date + timedelta(days=i.duration) <= today,
    }


def project_field(render: Renderer, p: Project, f: ProjectField) -> JSON:
    body: JSON = {
        "id": f.id,
        "node_id": node_id("PVTSSF" if f.data_type == "single_select" else "PVTF", f.id),
        "name": f.name,
        "data_type": f.data_type,
        "project_url": project_url(render, p),
        "created_at": ts(f.created_at),
        "updated_at": ts(f.updated_at),
    }
    if f.data_type == "single_select":
        body["options"] = [option(o) for o in f.options]
    if f.data_type == "iteration":
        first = f.iterations[0].start_date if f.iterations else None
        body["configuration"] = {
            "duration": f.duration,
            "start_day": first.isoweekday() if first else 1,
            "iterations": [iteration(i, render.state.now().date()) for i in f.iterations],
        }
    if f.issue_field_id is not None:
        body["issue_field_id"] = f.issue_field_id
    return body


def item_simple(render: Renderer, p: Project, item: ProjectItem) -> JSON:
    """`projects-v2-item-simple`, as the add-item endpoint answers. Its `content` is left
    out: the description's oneOf cannot tell an issue from a draft issue (an issue
    satisfies both), so no issue-carrying answer could validate; pmbot reads the item back
    (`GET …/items/{id}`) when it needs the content."""
    url = project_url(render, p)
    return {
        "id": item.id,
        "node_id": node_id("PVTI", item.id),
        "project_url": url,
        "item_url": f"{url}/items/{item.id}",
        "content_type": item.content_type,
        "creator": render.simple_user(item.creator),
        "created_at": ts(item.created_at),
        "updated_at": ts(item.updated_at),
        "archived_at": None,
    }


def item_with_content(
    render: Renderer, p: Project, item: ProjectItem, fields: list[ProjectField]
) -> JSON:
    """`projects-v2-item-with-content`: the issue and the values of `fields`."""
    located = render.state.org.issue_by_id(item.issue_id)
    content: JSON | None = None
    if located is not None:
        repo, issue = located
        content = render.for_repo(repo).issue(issue)
    today = render.state.now().date()
    return {
        **item_simple(render, p, item),
        "content": content,
        "fields": [
            {
                "id": f.id,
                "name": f.name,
                "data_type": f.data_type,
                "value": _value(f, item, content, today),
            }
            for f in fields
        ],
    }


def _value(f: ProjectField, item: ProjectItem, content: JSON | None, today: date) -> Any:
    stored = item.values.get(f.id)
    if f.data_type == "title":
        if content is None:
            return None
        return {
            **_rich(content["title"]),
            "number": content["number"],
            "url": content["html_url"],
            "issue_id": content["id"],
            "state": content["state"],
            "state_reason": content["state_reason"],
            "is_draft": False,
        }
    if f.data_type in ("assignees", "labels", "milestone"):
        return None if content is None else content[f.data_type]
    if f.data_type == "single_select":
        chosen = f.option(stored)
        return None if chosen is None else {**option(chosen), "raw": chosen.name}
    if f.data_type == "iteration":
        found = f.iteration(stored)
        return None if found is None else iteration(found, today)
    return stored
