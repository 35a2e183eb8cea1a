"""`pmbot event`: route the Actions event in GITHUB_EVENT_PATH to intake, an item's
state change or a `/pmbot` command."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pmbot.app.forms import action_item_form
from pmbot.app.intake import exit_code, parse, read_pm_items, run_intake
from pmbot.app.session import Log, session, stderr_log
from pmbot.core import markers
from pmbot.core.config import Config
from pmbot.core.reading import Intake
from pmbot.errors import PmbotError, Problem
from pmbot.flows.items import (
    ItemProblem,
    TrackedItem,
    followed,
    is_own,
    may_hold_newer_state,
    read_item,
    with_comments,
)
from pmbot.flows.owner_commands import (
    REPLY,
    Command,
    Invocation,
    Pending,
    parse_command,
    pending_commands,
    plan_command,
)
from pmbot.flows.scores import Scoring, pending_scores, plan_scores, read_ledger
from pmbot.github.client import GitHub
from pmbot.github.models import CommentSnapshot, IssueSnapshot
from pmbot.plan import Action, CreateComment, ItemKey, UpdateBody, apply


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
    caught_up = _catch_up_family(gh, number, now, config, dry_run, log)
    code = exit_code(run_intake(gh, number, now=now, config=config, dry_run=dry_run, log=log))
    return code or (0 if caught_up else 1)


def _catch_up_family(
    gh: GitHub, pm_number: int, now: datetime, config: Config, dry_run: bool, log: Log
) -> bool:
    """The `/pmbot` commands on this postmortem's items that no run has carried out yet.
    Its intake, item and command runs share one concurrency group, where Actions keeps one
    pending run: a command's run can be replaced by this one. One comment read per item
    with comments, and one for the postmortem's own (`/pmbot score`) once it has more
    than pmbot's summary. False when a write failed."""
    pm = gh.get_issue(pm_number)
    # `/pmbot score` comments on the postmortem itself (their run may be the one replaced)
    ok = _score_commands(gh, pm, now, config, dry_run, log) if pm.comments > 1 else True
    for item in read_pm_items(gh, pm, config, log):
        if not item.comments or item.state != "open":
            continue
        comments = gh.list_comments(item.number)
        item = with_comments(item, comments, gh.login())  # the state its comments carry
        pending = pending_commands(comments, item, gh.login())
        if pending:
            log(f"pmbot: #{item.number}: carrying out {len(pending)} command(s) not yet done")
        for command in pending:
            outcome = _carry_out(gh, item, command, now, config, dry_run, log)
            ok = ok and outcome is not None
            if outcome and not dry_run:
                item = _item(gh, item.number, config, log)[0] or item
    return ok


def _item(
    gh: GitHub, number: int, config: Config, log: Log, *, follow: bool = True
) -> tuple[TrackedItem | None, list[CommentSnapshot] | None]:
    """The action item #number under the trust rule, with its state (for a hand-filed item,
    from pmbot's comments: one more read when it has any; for pmbot's own, `follow` asks for
    a newer follow state in a notice comment, read when GitHub counts comments its body does
    not account for), and the comments when they were read; None when pmbot does not follow
    it (said in the log)."""
    snap, me = gh.get_issue(number), gh.login()
    hand_filed = not is_own(snap, me)
    labelled = config.labels.action_item.name in snap.labels
    if hand_filed and not labelled:
        log(f"pmbot: #{number} is not an action item pmbot tracks; nothing to do.")
        return None, None
    if not followed(snap, me, config):
        log(f"pmbot: #{number} was filed by someone pmbot does not act for; not followed.")
        return None, None
    try:
        item = read_item(snap, bot_login=me, config=config, form=action_item_form())
    except ItemProblem as problem:
        log(f"pmbot: #{number} is not an action item pmbot can follow: {problem.render()}")
        return None, None
    if not may_hold_newer_state(item) or not (hand_filed or follow):
        return item, None
    comments = gh.list_comments(number)
    return with_comments(item, comments, me), comments


def _on_item_state(
    gh: GitHub, number: int, now: datetime, config: Config, dry_run: bool, log: Log
) -> int:
    """An action item closed or reopened: its postmortem's summary and labels follow."""
    item, _ = _item(gh, number, config, log, follow=False)
    if item is None or item.hand_filed:  # a hand-filed item is in no summary
        return 0
    run = run_intake(
        gh, item.info.pm, now=now, config=config, dry_run=dry_run, log=log, documents=False
    )
    return exit_code(run)


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
    comment = payload.get("comment") or {}
    text, author = str(comment.get("body") or ""), str((comment.get("user") or {}).get("login"))
    # pmbot's own comments all carry a marker; a person's command never does. With a
    # personal token pmbot and the person share a login, so the author cannot tell them apart.
    if not text.lstrip().startswith("/pmbot") or markers.has_any(text):
        return 0
    issue = payload.get("issue") or {}
    labels = _label_names(issue)
    if config.postmortem_label in labels and config.labels.action_item.name not in labels:
        return _on_score(gh, payload, number, now, config, dry_run, log)
    item, comments = _item(gh, number, config, log)
    if item is None:
        return 0
    cid = comment.get("id") if isinstance(comment.get("id"), int) else None
    if cid is None:
        log(f"pmbot: #{number}: the event names no comment id; nothing to do.")
        return 0
    me = gh.login()
    trigger = Pending(cid, author, text)
    read = comments if comments is not None else gh.list_comments(number)  # read once
    pending = pending_commands(read, item, me, trigger)
    changed = False
    for position, command in enumerate(pending, start=1):
        if command.comment_id != cid:
            log(f"pmbot: #{number}: also carrying out comment {command.comment_id}, not yet done")
        outcome = _carry_out(gh, item, command, now, config, dry_run, log)
        if outcome is None:
            return 1
        changed = changed or (outcome and not dry_run)
        if outcome and not dry_run and position < len(pending):
            item = _item(gh, number, config, log)[0] or item  # the next plans from it as it is
    # A denial or usage reply changes nothing the postmortem's summary shows: no intake.
    if changed and not item.hand_filed:
        return exit_code(
            run_intake(
                gh,
                item.info.pm,
                now=now,
                config=config,
                dry_run=False,
                log=log,
                documents=False,
            )
        )
    return 0


def _on_score(
    gh: GitHub,
    payload: Mapping[str, Any],
    number: int,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log,
) -> int:
    """`/pmbot score` (or another command) on a postmortem: recorded in pmbot's scores
    comment, answered once. The issue and its comments are read from the API; the event
    names the comment that started the run and its author's association."""
    snap = gh.get_issue(number)
    if config.postmortem_label not in snap.labels or snap.is_pull_request:
        log(f"pmbot: #{number} is not a postmortem; nothing to do.")
        return 0
    comment = payload.get("comment") or {}
    cid = comment.get("id") if isinstance(comment.get("id"), int) else None
    if cid is None:
        log(f"pmbot: #{number}: the event names no comment id; nothing to do.")
        return 0
    author = str((comment.get("user") or {}).get("login"))
    trigger = Pending(cid, author, str(comment.get("body") or ""))
    association = str(comment.get("author_association") or "NONE")
    ok = _score_commands(gh, snap, now, config, dry_run, log, (trigger, association))
    return 0 if ok else 1


def _score_commands(
    gh: GitHub,
    snap: IssueSnapshot,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log,
    trigger: tuple[Pending, str] | None = None,
) -> bool:
    """The `/pmbot` comments on a postmortem not yet answered (the trigger's among them, with
    its author's association from the event): one comment read. False when a write failed."""
    comments, me = gh.list_comments(snap.number), gh.login()
    ledger = read_ledger(comments, me)
    pending = pending_scores(comments, ledger, me, trigger[0] if trigger else None)
    if not pending:
        return True
    log(f"pmbot: #{snap.number}: answering {len(pending)} /pmbot comment(s)")
    associations = {c.id: c.author_association for c in comments}
    if trigger is not None:
        associations.setdefault(trigger[0].comment_id, trigger[1])
    parsed = parse(snap, config)
    authors = {snap.author, *(parsed.postmortem.authors if isinstance(parsed, Intake) else ())}
    scoring = Scoring(snap.number, authors, snap.labels, now)
    plan, _ = plan_scores([(p, associations.get(p.comment_id, "NONE")) for p in pending],
                          ledger, scoring, config)  # fmt: skip
    return not apply(plan, gh, dry_run=dry_run, log=log).failed


def _carry_out(
    gh: GitHub,
    item: TrackedItem,
    pending: Pending,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log,
) -> bool | None:
    """One command planned and applied: True when it changed the item, False when it only
    answered, None when a write failed."""
    # An owner GitHub cannot assign is refused up front (one read), not recorded while the
    # assignment quietly fails.
    command = parse_command(pending.text)
    new_owner = command.owner if isinstance(command, Command) else None
    assignable = gh.can_assign(new_owner) if new_owner and "/" not in new_owner else None
    permission = gh.author_permission(pending.author)
    inv = Invocation(
        item, pending.author, permission, now, pending.comment_id, assignable, action_item_form()
    )
    plan = plan_command(pending.text, inv, config)

    def replan_if_changed(key: ItemKey, actions: tuple[Action, ...]) -> tuple[Action, ...]:
        """A sweep may have written the item since it was read: plan the command again from
        what it holds now (a conditional read, free when unchanged)."""
        if item.updated_at is None or not any(isinstance(a, UpdateBody) for a in actions):
            return actions
        if gh.issue_if_changed(item.number, item.updated_at) is None:
            return actions
        log(f"pmbot: #{item.number} changed since it was read; planning the command again")
        fresh, _ = _item(gh, item.number, config, log)
        if fresh is None:
            return ()
        again = plan_command(pending.text, replace(inv, item=fresh), config)
        return again.by_item().get(key, ())

    result = apply(plan, gh, dry_run=dry_run, log=log, refresh=replan_if_changed)
    if result.failed:
        return None
    # A hand-filed item's state changes in the audit comment alone (a snooze): anything but
    # a reply changed it.
    return any(not _is_reply(a) for a in plan.actions)


def _is_reply(action: Action) -> bool:
    return isinstance(action, CreateComment) and markers.has(action.body, REPLY)


# --- sweep ----------------------------------------------------------------------------------
