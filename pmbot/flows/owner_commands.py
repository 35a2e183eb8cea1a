"""Owner commands in action-item comments, decided: parse, check who may, plan the change.

    /pmbot due YYYY-MM-DD <reason>   move the due date (the ladder starts again)
    /pmbot snooze <N>d <reason>      pause reminders for N days (1–30); the due date stays
    /pmbot owner @user [reason]      hand the item to someone else
    /pmbot wont-do <reason>          close it as not planned (counted apart in the report)

Only the item's owner, its incident commander or a repository maintainer (permission
`admin` or `maintain`) may use them. A reason is required for every command except
`owner`: a handover moves no deadline, names the new owner in public and is recorded with
who and when, which is what an audit needs; a reason given is recorded too.

Every change lands twice: a visible audit comment and an entry in the item marker's
history (with the comment id, so a re-delivered webhook changes nothing). On a hand-filed
item the audit comment's marker is the history, and it carries the follow state too; a new
due date or owner is written into the form's answer (see `pmbot.flows.items`). Command text is
hostile input: it is capped, flattened, defused, and mentions in it are quoted so that a
reason can never ping anyone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from pmbot.core import markers
from pmbot.core.config import Config
from pmbot.core.forms import Form
from pmbot.core.logins import LOGIN_OR_TEAM
from pmbot.core.timestamps import iso
from pmbot.flows.hand_filed import set_due, set_owner
from pmbot.flows.items import AUDIT, TrackedItem
from pmbot.flows.ladder import current_follow, mention, quoted
from pmbot.flows.tracking import Change, FollowState, follow_marker, with_markers
from pmbot.github.models import CommentSnapshot
from pmbot.plan import (
    Action,
    AddLabels,
    CreateComment,
    Plan,
    RemoveLabel,
    SetAssignees,
    SetState,
    UpdateBody,
    urgency,
)

REPLY = "reply"  # marker kind of pmbot's answer to a command it did not carry out
MAX_REASON = 280
MAX_SNOOZE_DAYS = 30
MAX_DUE_AHEAD_DAYS = 366
MAINTAINER_PERMISSIONS = frozenset({"admin", "maintain"})

USAGE = (
    "`/pmbot due YYYY-MM-DD <reason>`, `/pmbot snooze <N>d <reason>`, "
    "`/pmbot owner @user [reason]` or `/pmbot wont-do <reason>`"
)
EXAMPLES = {
    "due": "`/pmbot due 2026-03-31 waiting on the vendor's fix`",
    "snooze": "`/pmbot snooze 7d on call this week`",
    "owner": "`/pmbot owner @octocat moving to the payments team`",
    "wont-do": "`/pmbot wont-do superseded by the queue migration`",
}


@dataclass(frozen=True)
class Command:
    verb: str  # due | snooze | owner | wont-do
    reason: str | None = None
    due: date | None = None
    days: int | None = None
    owner: str | None = None


@dataclass(frozen=True)
class Invalid:
    """A `/pmbot` line pmbot could not act on, and what to write instead."""

    message: str


def sanitize(text: str, limit: int = MAX_REASON) -> str:
    """One line of user text safe to republish: no markers, no pings, bounded length."""
    flat = " ".join(markers.defuse_markers(text).replace("`", "'").split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    # `@name` becomes `` `@name` ``: readable, but notifies nobody.
    return re.sub(r"(?<![\w`])@([\w/.-]+)", r"`@\1`", flat)


def parse_command(comment: str) -> Command | Invalid | None:
    """The first `/pmbot` line of a comment; None when there is none."""
    line = next(
        (ln.strip() for ln in comment.splitlines() if ln.strip().startswith("/pmbot")), None
    )
    if line is None:
        return None
    words = line[: MAX_REASON * 2].split(maxsplit=2)
    verb = words[1].lower() if len(words) > 1 else ""
    rest = words[2] if len(words) > 2 else ""
    parsers = {"due": _due, "snooze": _snooze, "owner": _owner, "wont-do": _wont_do}
    if verb == "score":  # `pmbot.flows.scores`: it scores the postmortem, not an item
        return Invalid(
            "Scores go on the postmortem's own issue, not on an action item: comment "
            "`/pmbot score N [comment]` there (N from 1 to 5)."
        )
    if verb not in parsers:
        shown = f"`{sanitize(verb, 20)}` is not a command I know. " if verb else ""
        return Invalid(f"{shown}I understand {USAGE}.")
    return parsers[verb](rest)


def _split(rest: str) -> tuple[str, str | None]:
    head, _, tail = rest.strip().partition(" ")
    return head, sanitize(tail) or None


def _due(rest: str) -> Command | Invalid:
    head, reason = _split(rest)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", head):
        return _needs("due", "a date written YYYY-MM-DD and a reason")
    try:
        when = date.fromisoformat(head)
    except ValueError:
        return Invalid(f"`{head}` is not a real date. For example: {EXAMPLES['due']}.")
    return Command("due", reason=reason, due=when) if reason else _needs("due", "a reason")


def _snooze(rest: str) -> Command | Invalid:
    head, reason = _split(rest)
    match = re.fullmatch(r"(\d{1,3})d", head.lower())
    if not match or not 1 <= int(match.group(1)) <= MAX_SNOOZE_DAYS:
        return _needs("snooze", f"a number of days from 1d to {MAX_SNOOZE_DAYS}d and a reason")
    days = int(match.group(1))
    return Command("snooze", reason=reason, days=days) if reason else _needs("snooze", "a reason")


def _owner(rest: str) -> Command | Invalid:
    head, reason = _split(rest)
    owner = head.removeprefix("@")
    if not LOGIN_OR_TEAM.fullmatch(owner):
        return _needs("owner", "a GitHub user (or org/team) to hand the item to")
    return Command("owner", reason=reason, owner=owner)


def _wont_do(rest: str) -> Command | Invalid:
    reason = sanitize(rest) or None
    return Command("wont-do", reason=reason) if reason else _needs("wont-do", "a reason")


def _needs(verb: str, what: str) -> Invalid:
    return Invalid(f"`/pmbot {verb}` needs {what}. For example: {EXAMPLES[verb]}.")


# --- deciding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    """Who wrote the command, where, and when (all from the event, passed in as data)."""

    item: TrackedItem
    author: str
    permission: str  # the author's repository permission: admin, maintain, write, read, none
    now: datetime
    comment_id: int | None = None
    # Whether GitHub can assign the login an `owner` command names (the glue asks
    # `can_assign`); None when not asked, as for a team or any other command.
    assignable: bool | None = None
    # The Action item form a hand-filed item's answers are rewritten in (loaded by the app
    # layer); pmbot's own items do not need it.
    item_form: Form | None = None


MAX_CATCH_UP = 20  # unanswered commands one run carries out, oldest first


@dataclass(frozen=True)
class Pending:
    """A `/pmbot` comment not yet carried out or answered."""

    comment_id: int
    author: str
    text: str


def pending_commands(
    comments: Sequence[CommentSnapshot],
    item: TrackedItem,
    bot_login: str,
    trigger: Pending | None = None,
) -> list[Pending]:
    """The `/pmbot` comments on the item since the last one pmbot recorded (in the item's
    history, or answered with a reply), oldest first, the one that started this run among
    them. A run whose pending twin was cancelled (Actions keeps one pending run per
    concurrency group) thereby carries out the lost command too."""
    answered = {c.comment_id for c in item.info.history if c.comment_id is not None}
    for comment in comments:
        reply = markers.find(comment.body, REPLY) if comment.author == bot_login else None
        if isinstance(reply, dict) and isinstance(reply.get("cid"), int):
            answered.add(reply["cid"])
    last = max(answered, default=0)
    # A command is a comment without a pmbot marker: every comment pmbot writes has one,
    # and with a personal token pmbot and the person share `bot_login`.
    found = {
        c.id: Pending(c.id, c.author, c.body)
        for c in comments
        if c.id > last and c.body.lstrip().startswith("/pmbot") and not markers.has_any(c.body)
    }
    if trigger is not None and trigger.comment_id not in answered:
        found.setdefault(trigger.comment_id, trigger)  # the list may not show it yet
    return [found[cid] for cid in sorted(found)][-MAX_CATCH_UP:]


def may_change(inv: Invocation) -> bool:
    info, who = inv.item.info, inv.author.lower()
    people = {(info.owner or "").lower(), (info.commander or "").lower()} - {""}
    return who in people or inv.permission.lower() in MAINTAINER_PERMISSIONS


def plan_command(comment: str, inv: Invocation, config: Config) -> Plan:
    """The writes a comment's `/pmbot` command calls for (an empty plan when there is none)."""
    command = parse_command(comment)
    done = any(c.comment_id == inv.comment_id for c in inv.item.info.history)
    if command is None or (inv.comment_id is not None and done):
        return Plan()
    if not may_change(inv):
        return _reply(inv, _denied(inv))
    if isinstance(command, Invalid):
        return _reply(inv, command.message)
    problem = _check(command, inv)
    if problem:
        return _reply(inv, problem)
    return _change(command, inv, config)


def _denied(inv: Invocation) -> str:
    info = inv.item.info
    return (
        f"Sorry {quoted(inv.author)}, only this item's owner ({quoted(info.owner)}), its "
        f"incident commander ({quoted(info.commander)}) or a repository maintainer can change "
        "it. You could ask one of them, or add what you know in a comment."
    )


def _check(command: Command, inv: Invocation) -> str | None:
    """Why a well-formed command cannot apply to this item now, if it cannot."""
    today = inv.now.date()
    if not inv.item.is_open:
        return "This item is closed; reopen it first if it needs a new date, owner or decision."
    if command.due is not None and command.due <= today:
        return f"The new due date must be after today ({today.isoformat()})."
    if command.due is not None and command.due > today + timedelta(days=MAX_DUE_AHEAD_DAYS):
        return "That is more than a year away: split the work, or close it with `/pmbot wont-do`."
    if command.due == inv.item.due:
        return f"The item is already due on {command.due.isoformat()}."
    if command.owner is not None and command.owner.lower() == (inv.item.owner or "").lower():
        return f"{quoted(command.owner)} already owns this item."
    if command.owner is not None and inv.assignable is False:
        return (
            f"I did not change the owner: GitHub cannot assign {quoted(command.owner)} here. "
            "Only people with access to this repository (collaborators, or organization "
            "members with access) can be assigned. Could you pick someone who has access, "
            "or ask an admin to add them first?"
        )
    return None


def _reply(inv: Invocation, message: str) -> Plan:
    marker = markers.encode(REPLY, {"cid": inv.comment_id, "at": iso(inv.now)})
    return Plan((CreateComment(inv.item.number, f"{message}\n\n{marker}", urgency=_rank(inv)),))


def _rank(inv: Invocation) -> tuple[int, int, int]:
    late = max(0, (inv.now.date() - inv.item.due).days)
    return urgency(inv.item.priority, late, inv.item.number)


@dataclass(frozen=True)
class _Effect:
    """What one command changes: the item marker, the follow marker, other writes, the news."""

    headline: str
    info_changes: dict[str, object]
    follow: FollowState
    extra: tuple[Action, ...] = ()
    before: str | None = None
    after: str | None = None


def _change(command: Command, inv: Invocation, config: Config) -> Plan:
    item, rank = inv.item, _rank(inv)
    effect = _EFFECTS[command.verb](command, inv, config)
    change = Change(
        inv.now,
        inv.author,
        command.verb,
        command.reason,
        effect.before,
        effect.after,
        inv.comment_id,
    )
    audit_text = _audit(effect.headline, change)
    # A recorded change: newer than any notice comment's state (`seq`); the comments counted
    # so far are accounted for (the audit comment posted next holds no follow state).
    effect = replace(effect, follow=replace(effect.follow, seq=item.follow.seq + 1))
    if not item.hand_filed:
        effect = replace(effect, follow=replace(effect.follow, comments=item.comments))
    if item.hand_filed:  # the form's answer changes; the state rides in the audit comment
        body = _form_answers(item.body, command, inv.item_form)
        audit_text += f"\n{follow_marker(effect.follow)}"
    else:
        info = replace(item.info, **effect.info_changes)  # type: ignore[arg-type]
        info = replace(info, history=(*info.history, change))
        body = with_markers(item.body, info=info, follow=effect.follow)
    why = f"record /pmbot {command.verb}"
    record = [UpdateBody(item.number, body, why=why, urgency=rank)] if body != item.body else []
    audit = CreateComment(item.number, audit_text, urgency=rank)
    return Plan((*record, *effect.extra, audit))


def _form_answers(body: str, command: Command, form: Form | None) -> str:
    """A hand-filed item's form with the answer a command changes rewritten."""
    if form is None and (command.due is not None or command.owner is not None):
        raise TypeError("a command on a hand-filed item needs the Action item form")
    if command.due is not None and form is not None:
        return set_due(form, body, command.due)
    if command.owner is not None and form is not None:
        return set_owner(form, body, command.owner)
    return body


def _due_effect(command: Command, inv: Invocation, config: Config) -> _Effect:
    item, rank, new = inv.item, _rank(inv), command.due or inv.item.due
    # A new date restarts the ladder; the count of date changes is kept.
    follow = FollowState(due=new, changes=current_follow(item).changes + 1)
    late_labels = (config.labels.overdue.name, config.labels.escalated.name)
    removals = tuple(
        RemoveLabel(item.number, n, urgency=rank) for n in late_labels if n in item.labels
    )
    before, after = item.due.isoformat(), new.isoformat()
    headline = f"**Due date moved** from {before} to {after}"
    return _Effect(headline, {"due": new}, follow, removals, before, after)


def _snooze_effect(command: Command, inv: Invocation, config: Config) -> _Effect:
    until = inv.now + timedelta(days=command.days or 0)
    follow = replace(current_follow(inv.item), snoozed_until=until)
    headline = (
        f"**Reminders snoozed** for {command.days} days, until {until.date().isoformat()} "
        f"(the due date stays {inv.item.due.isoformat()})"
    )
    return _Effect(headline, {}, follow, after=iso(until))


def _owner_effect(command: Command, inv: Invocation, config: Config) -> _Effect:
    item, new = inv.item, command.owner or ""
    is_team = "/" in new
    # A team cannot be assigned on GitHub; the marker still names it (and the review flags it).
    assign = () if is_team else (SetAssignees(item.number, (new,), urgency=_rank(inv)),)
    headline = f"**Owner changed** from {quoted(item.owner)} to {mention(new)}"
    changes: dict[str, object] = {"owner": new, "owner_is_team": is_team}
    return _Effect(headline, changes, current_follow(item), assign, item.owner, new)


def _wont_do_effect(command: Command, inv: Invocation, config: Config) -> _Effect:
    number, rank = inv.item.number, _rank(inv)
    closing = (
        AddLabels(number, (config.labels.wont_do.name,), urgency=rank),
        SetState(number, "closed", "not_planned", urgency=rank),
    )
    return _Effect("**Closed as not planned**", {}, current_follow(inv.item), closing)


_EFFECTS = {
    "due": _due_effect,
    "snooze": _snooze_effect,
    "owner": _owner_effect,
    "wont-do": _wont_do_effect,
}


def _audit(headline: str, change: Change) -> str:
    when = change.at.strftime("%Y-%m-%d %H:%M UTC")
    reason = f"\n\n> Reason: {change.why}" if change.why else ""
    marker = markers.encode(AUDIT, change.to_json())  # a hand-filed item's history
    return f"{headline} by {quoted(change.by)} on {when}.{reason}\n\n{marker}"
