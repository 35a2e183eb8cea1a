"""`pmbot event`: route the Actions event in GITHUB_EVENT_PATH to intake, an item's
state change or a `/pmbot` command."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pmbot.app.intake import exit_code, run_intake
from pmbot.app.session import Log, session, stderr_log
from pmbot.core.config import Config
from pmbot.errors import PmbotError, Problem
from pmbot.flows import intake as planner
from pmbot.flows.intake import ItemIssue
from pmbot.github.client import GitHub
from pmbot.github.models import IssueSnapshot
from pmbot.plan import CreateComment, apply


def read_event(environ: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    name = environ.get("GITHUB_EVENT_NAME", "")
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not name or not path:
        raise PmbotError(
            [
                Problem(
                    "GITHUB_EVENT_NAME / GITHUB_EVENT_PATH",
                    "are not set.",
                    "run `pmbot event` from a GitHub Actions workflow (it sets both).",
                )
            ]
        )
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PmbotError(
            [Problem("GITHUB_EVENT_PATH", f"cannot read the event file ({exc}).", "check it.")]
        ) from None
    return name, payload if isinstance(payload, dict) else {}


def event(
    environ: Mapping[str, str], *, dry_run: bool, now: datetime, config_path: Path | None
) -> int:
    """`pmbot event`: dispatch the Actions event in GITHUB_EVENT_PATH."""
    name, payload = read_event(environ)
    with session(environ, config_path, f"event {name}.{payload.get('action')}") as (gh, config):
        return dispatch(gh, name, payload, now=now, config=config, dry_run=dry_run)


def _number(payload: Mapping[str, Any]) -> int | None:
    issue = payload.get("issue")
    number = issue.get("number") if isinstance(issue, dict) else None
    return number if isinstance(number, int) and number > 0 else None


def dispatch(
    gh: GitHub,
    name: str,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log = stderr_log,
) -> int:
    """What an event calls for. Payload fields are only routing hints: the issue itself is
    read from the API, and markers are trusted only in what pmbot wrote."""
    action, number = payload.get("action"), _number(payload)
    if number is None:
        log(f"pmbot: {name}.{action}: no issue in the event; nothing to do.")
        return 0
    if name == "issues" and action in ("opened", "edited", "labeled"):
        return _on_postmortem(gh, payload, number, now, config, dry_run, log)
    if name == "issues" and action in ("closed", "reopened"):
        return _on_item_state(gh, number, now, config, dry_run, log)
    if name == "issue_comment" and action == "created":
        return _on_comment(gh, payload, number, now, config, dry_run, log)
    log(f"pmbot: {name}.{action}: nothing to do.")
    return 0


def _label_names(issue: Mapping[str, Any]) -> set[str]:
    return {str(x.get("name") if isinstance(x, dict) else x) for x in issue.get("labels") or ()}


def _on_postmortem(
    gh: GitHub,
    payload: Mapping[str, Any],
    number: int,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log,
) -> int:
    issue = payload.get("issue") or {}
    added = (payload.get("label") or {}).get("name")
    if config.postmortem_label not in _label_names(issue):
        log(f"pmbot: #{number} is not a postmortem; nothing to do.")
        return 0
    if payload.get("action") == "labeled" and added != config.postmortem_label:
        log(f"pmbot: #{number} labelled {added!r}; only the postmortem label starts intake.")
        return 0
    return exit_code(run_intake(gh, number, now=now, config=config, dry_run=dry_run, log=log))


def _item(gh: GitHub, number: int) -> tuple[IssueSnapshot, ItemIssue | None]:
    snap = gh.get_issue(number)
    if snap.author != gh.login():
        return snap, None
    return snap, planner.item_issue(snap, linked=True)


def _on_item_state(
    gh: GitHub, number: int, now: datetime, config: Config, dry_run: bool, log: Log
) -> int:
    """An action item closed or reopened: its postmortem's summary and labels follow."""
    _, item = _item(gh, number)
    if item is None:
        log(f"pmbot: #{number} is not an action item pmbot tracks; nothing to do.")
        return 0
    return exit_code(run_intake(gh, item.info.pm, now=now, config=config, dry_run=dry_run, log=log))


def _on_comment(
    gh: GitHub,
    payload: Mapping[str, Any],
    number: int,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log,
) -> int:
    """A `/pmbot` command on an action item: checked, planned and applied; the postmortem's
    summary then follows the change."""
    from pmbot.flows.owner_commands import Command, Invocation, parse_command, plan_command
    from pmbot.flows.tracking import ItemProblem, TrackedItem

    comment = payload.get("comment") or {}
    text, author = str(comment.get("body") or ""), str((comment.get("user") or {}).get("login"))
    if not text.lstrip().startswith("/pmbot") or author == gh.login():
        return 0
    snap, item = _item(gh, number)
    if item is None:
        log(f"pmbot: #{number} is not an action item pmbot tracks; ignoring the command.")
        return 0
    try:
        tracked = TrackedItem.from_issue(
            number=snap.number, title=snap.title, body=snap.body, labels=snap.labels,
            assignees=snap.assignees, state=snap.state, state_reason=snap.state_reason,
            closed_at=snap.closed_at, updated_at=snap.updated_at,
        )  # fmt: skip
    except ItemProblem as problem:
        log(f"pmbot: {problem.render()}")
        return 1
    cid = comment.get("id") if isinstance(comment.get("id"), int) else None
    # An owner GitHub cannot assign is refused up front (one read), not recorded while the
    # assignment quietly fails.
    command = parse_command(text)
    new_owner = command.owner if isinstance(command, Command) else None
    assignable = gh.can_assign(new_owner) if new_owner and "/" not in new_owner else None
    inv = Invocation(tracked, author, gh.author_permission(author), now, cid, assignable)
    plan = plan_command(text, inv, config)
    result = apply(plan, gh, dry_run=dry_run, log=log)
    if result.failed:
        return 1
    # A denial or usage reply changes nothing the postmortem's summary shows: no intake.
    changed = any(not isinstance(a, CreateComment) for a in plan.actions)
    if changed and not dry_run:
        return exit_code(
            run_intake(gh, item.info.pm, now=now, config=config, dry_run=False, log=log)
        )
    return 0


# --- sweep ----------------------------------------------------------------------------------
