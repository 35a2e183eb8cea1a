"""Recording issue events as the routes change issues, the way GitHub logs them.

Only changes made over HTTP are recorded; seeded issues start with an empty log.
"""

from __future__ import annotations

from typing import Any

from pmbot.sandbox.routing import Request
from pmbot.sandbox.state import Issue, IssueEvent


def record(req: Request, issue: Issue, event: str, **fields: Any) -> None:
    state = req.state
    entry = IssueEvent(state.new_event_id(), issue.number, event, req.login, state.now(), **fields)
    state.events.append(entry)


def labels(req: Request, issue: Issue, before: list[str]) -> None:
    """`labeled`/`unlabeled` for the difference between `before` and the issue's labels now."""
    now = {n.lower() for n in issue.labels}
    was = {n.lower() for n in before}
    for name in before:
        if name.lower() not in now:
            record(req, issue, "unlabeled", label=_label(req, name))
    for name in issue.labels:
        if name.lower() not in was:
            record(req, issue, "labeled", label=_label(req, name))


def _label(req: Request, name: str) -> tuple[str, str]:
    label = req.state.labels.get(name.lower())
    return (name, label.color if label else "ededed")


def assignees(req: Request, issue: Issue, before: list[str]) -> None:
    """`assigned`/`unassigned` for the difference between `before` and the assignees now."""
    for login in before:
        if login not in issue.assignees:
            record(req, issue, "unassigned", assignee=login)
    for login in issue.assignees:
        if login not in before:
            record(req, issue, "assigned", assignee=login)


def state(req: Request, issue: Issue, before: str) -> None:
    """`closed`/`reopened` when the issue's state changed from `before`."""
    if issue.state != before:
        event = "closed" if issue.state == "closed" else "reopened"
        record(req, issue, event, state_reason=issue.state_reason)


def title(req: Request, issue: Issue, before: str) -> None:
    if issue.title != before:
        record(req, issue, "renamed", rename=(before, issue.title))
