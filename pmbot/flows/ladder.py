"""The daily sweep, decided: which reminders, overdue notices and escalations are due now.

Pure: items and a clock in, a Plan out. The ladder (DESIGN.md, "Escalation ladder"):

    unowned  → the incident commander is asked for an owner at once
    due soon → the owner is reminded (`reminders.due_soon_days` ahead, per priority)
    overdue  → the owner is told, `overdue` label
    + `escalation.commander_after_days` → the incident commander and authors, `escalated` label
    + `escalation.leadership_after_days` → the leadership team (when one is configured)

An item of a near-miss postmortem (its marker says `near_miss`) climbs no higher than
`near_miss.highest_rung` (default `overdue`: its owner is reminded and told, nobody above).

With `escalation.leadership_digest` (the default) the last rung is a line in one digest issue
for the team (`pmbot.flows.digest`), not a comment per item: the item is told once that it is
listed there (its owner, and its commander and authors if they never heard of it), the rung is
recorded as any other, and it does not repeat on the item.

Each rung is announced once; while an item stays on a rung, the notice repeats every
`reminders.repeat_days` (per priority) after the last one. The plan itself rewrites the
`follow` marker, so a second sweep at the same `now` plans nothing.

A notice costs one write, because GitHub's secondary limits (80 content-creating requests a
minute, 500 an hour) are what a sweep over many items runs out of first:

- The notice comment carries the follow state it leads to (a hidden `follow` marker, with a
  `seq` one higher), so posting it *is* recording it: if the comment landed, the state did;
  if not, nothing was said. The body is not edited for it.
- When the item's labels change too (`overdue` on the due date, `escalated` with the
  commander), the body's marker records the notice as `pending` (with the issue's comment
  count) in the same request that sets the labels — one PATCH of body and labels, the label
  set merged from the labels just read, right after the conditional read that guards every
  state write — and then the comment is posted. A run killed in between posts the recorded
  notice next time (the count has not grown; see `tracking.Pending`). So such a notice costs
  two writes, the label change's and the comment's, and the body catches up.
- Reading it back: the body's marker says how many comments its state accounts for. Only
  when GitHub counts more and the ladder, judged from the body, would write to the item
  today, pmbot's newest comment carrying a state is looked for (the sweep reads the
  repository's comments newest first, one read per hundred, not one read per item) and the
  higher `seq` wins (`pmbot.flows.items.with_comments`).

The trade-off: one write per notice instead of two or three, for a few reads per run of the
repository's recent comments while bodies lag behind their notices; the state still lives in
GitHub only, so any run resumes any other's work. A hand-filed item is the same, except that
pmbot never edits its body: its labels are added and removed on their own.

Closed items are left alone, labels included: an `overdue` label on a closed issue is the
record that it closed late, and the report measures on-time completion from the due date
and `closed_at`, not from labels. It also keeps the sweep's writes to open items only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from pmbot.core import markers
from pmbot.core.config import Config
from pmbot.core.figures import postmortem_due
from pmbot.core.logins import LOGIN_OR_TEAM
from pmbot.core.mentions import silence
from pmbot.core.model import Priority, Severity, utc
from pmbot.core.timestamps import iso, parse_iso
from pmbot.flows.items import TrackedItem
from pmbot.flows.tracking import (
    FollowState,
    Pending,
    Step,
    follow_marker,
    with_markers,
)
from pmbot.plan import (
    Action,
    AddLabels,
    CreateComment,
    Plan,
    RemoveLabel,
    UpdateBody,
    UpsertComment,
)
from pmbot.plan import urgency as make_urgency

REMINDER = "reminder"  # marker kind on every notice pmbot posts
PM_FOLLOW = "pm-follow"  # marker kind of the postmortem reminder state comment
DIGEST_LABEL = "pmbot-digest"  # the leadership digest issue's (see `pmbot.flows.digest`)

# The owner's three options, as a list: a sentence of code spans wraps badly on GitHub.
WHAT_TO_DO = (
    "- **Done?** Close this issue.\n"
    "- **Needs more time?** Comment `/pmbot due YYYY-MM-DD <reason>` or "
    "`/pmbot snooze 7d <reason>`.\n"
    "- **Will not be done?** Comment `/pmbot wont-do <reason>`."
)


# What the incident commander can do, as a list for the same reason.
HELP_IT_MOVE = (
    "- **Agree a new date:** `/pmbot due YYYY-MM-DD <reason>`\n"
    "- **Find another owner:** `/pmbot owner @user`\n"
    "- **Close it as not planned:** `/pmbot wont-do <reason>`"
)


@dataclass(frozen=True)
class Ladder:
    """The settings the sweep needs, read once from the config."""

    due_soon_days: Mapping[Priority, int]
    repeat_days: Mapping[Priority, int]
    commander_after_days: int
    leadership_after_days: int
    leadership_team: str | None
    leadership_digest: bool
    overdue_label: str
    escalated_label: str
    near_miss_top: Step = Step.LEADERSHIP  # the highest rung a near-miss's items reach

    @classmethod
    def from_config(cls, config: Config) -> Ladder:
        return cls(
            due_soon_days=config.reminders.due_soon_days,
            repeat_days=config.reminders.repeat_days,
            commander_after_days=config.escalation.commander_after_days,
            leadership_after_days=config.escalation.leadership_after_days,
            leadership_team=config.escalation.leadership_team,
            leadership_digest=config.escalation.leadership_digest,
            overdue_label=config.labels.overdue.name,
            escalated_label=config.labels.escalated.name,
            near_miss_top=Step(config.near_miss.highest_rung),
        )


def mention(login: str) -> str:
    """`@login` for a well-formed login or team; anything else is quoted so it pings nobody."""
    name = login.lstrip("@")
    return f"@{name}" if LOGIN_OR_TEAM.fullmatch(name) else f"`{name.replace('`', '')}`"


def quoted(login: str | None) -> str:
    """A login shown without notifying it."""
    return f"`@{login.lstrip('@').replace('`', '')}`" if login else "nobody"


def days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def plan_sweep(items: Sequence[TrackedItem], now: datetime, config: Config) -> Plan:
    """Every write the ladder calls for at `now`, over open items."""
    ladder = Ladder.from_config(config)
    actions: list[Action] = []
    for item in items:
        if item.is_open:
            actions += plan_item(item, utc(now), ladder)
    return Plan(tuple(actions))


def target_step(item: TrackedItem, today: date, ladder: Ladder) -> Step:
    """The highest rung the item has earned today, ignoring what was already announced; an
    item of a near-miss climbs no higher than `near_miss.highest_rung`."""
    step = _earned_step(item, today, ladder)
    if item.info.near_miss and step.rank > ladder.near_miss_top.rank:
        return ladder.near_miss_top
    return step


def _earned_step(item: TrackedItem, today: date, ladder: Ladder) -> Step:
    late = (today - item.due).days
    if late >= ladder.leadership_after_days and ladder.leadership_team:
        return Step.LEADERSHIP
    if late >= ladder.commander_after_days:
        return Step.COMMANDER
    if late >= 0:
        return Step.OVERDUE
    if -late <= ladder.due_soon_days[item.priority]:
        return Step.DUE_SOON
    return Step.UNOWNED if item.owner is None else Step.NONE


def current_follow(item: TrackedItem) -> FollowState:
    """The follow state, started afresh when the due date moved since the ladder was climbed."""
    follow = item.follow
    if follow.due == item.due:
        return follow
    return FollowState(
        due=item.due,
        changes=follow.changes,
        snoozed_until=follow.snoozed_until,
        seq=follow.seq,  # an older notice comment must not read as newer than the restart
        comments=follow.accounted,
    )


def plan_item(item: TrackedItem, now: datetime, ladder: Ladder) -> list[Action]:
    """This item's writes: at most one notice, which carries the follow state it leads to,
    and the labels, which ride in one edit with the body's follow marker.

    Exactly once without extra reads: a notice whose labels do not change is its comment
    alone. One whose labels change is recorded in the body as `pending` (with the issue's
    comment count), labels and all, *before* the comment is posted; when that comment never
    arrived — the count has not grown — the same notice is posted again, alone."""
    target = target_step(item, now.date(), ladder)
    follow = current_follow(item)
    notice = _notice(target, follow, now, ladder.repeat_days[item.priority], _repeats(ladder))
    late = max(0, (now.date() - item.due).days)
    rank = make_urgency(item.priority, late, item.number)
    if item.hand_filed:
        return _plan_hand_filed(item, target, follow, notice, now, ladder, rank)
    after = _advance(follow, notice, now, None) if notice is not None else follow
    labels = _label_set(item, target, after, ladder)
    if notice is not None:
        text = notice_text(item, notice, now, ladder, repeat=notice.rank <= follow.step.rank)
        if labels is None:  # the comment alone: it carries the state
            return [CreateComment(item.number, _with_state(text, after), urgency=rank)]
        after = _advance(follow, notice, now, item.comments)  # recorded ahead, as pending
        why = f"record {notice} notice; {_label_news(item.labels, labels)}"
        body = with_markers(item.body, follow=after)
        return [
            UpdateBody(item.number, body, why=why, labels=labels, urgency=rank),
            CreateComment(item.number, _with_state(text, after), urgency=rank),
        ]
    actions: list[Action] = []
    if (lost := _lost_notice(item, target, follow, now)) is not None:
        repeat = follow.when(lost.step) != lost.at  # not the rung's first announcement
        text = notice_text(item, lost.step, now, ladder, repeat=repeat, at=lost.at)
        actions.append(CreateComment(item.number, _with_state(text, follow), urgency=rank))
    if labels is not None:  # the body catches up with the state in the same edit
        caught_up = replace(follow, comments=item.comments, pending=None)
        if lost is not None:
            caught_up = follow
        body = with_markers(item.body, follow=caught_up)
        why = _label_news(item.labels, labels)
        actions.append(UpdateBody(item.number, body, why=why, labels=labels, urgency=rank))
    return actions


def _with_state(text: str, follow: FollowState) -> str:
    """A notice that carries the follow state it leads to (read back by `with_comments`)."""
    return f"{text}\n{follow_marker(replace(follow, comments=None))}"


def _plan_hand_filed(
    item: TrackedItem,
    target: Step,
    follow: FollowState,
    notice: Step | None,
    now: datetime,
    ladder: Ladder,
    rank: tuple[int, int, int],
) -> list[Action]:
    """A hand-filed item: the notice carries the state; labels are added and removed on their
    own, since pmbot never edits a body a person wrote."""
    actions: list[Action] = []
    if notice is not None:
        text = notice_text(item, notice, now, ladder, repeat=notice.rank <= follow.step.rank)
        follow = _advance(follow, notice, now, None)
        actions.append(CreateComment(item.number, f"{text}\n{follow_marker(follow)}", urgency=rank))
    return actions + _labels(item, target, follow, ladder, rank)


def _lost_notice(
    item: TrackedItem, target: Step, follow: FollowState, now: datetime
) -> Pending | None:
    """The recorded notice whose comment never arrived, if it is still the one to give."""
    pending = follow.pending
    if pending is None or pending.landed(item.comments) or pending.step is not target:
        return None
    if follow.snoozed_until is not None and now < follow.snoozed_until:
        return None
    return pending


def _notice(
    target: Step,
    follow: FollowState,
    now: datetime,
    repeat_days: int,
    repeats: frozenset[Step] = frozenset(Step),
) -> Step | None:
    """The rung to announce now, if any: a new rung, or a repeat when the cadence is due
    (on the rungs in `repeats`)."""
    if target is Step.NONE:
        return None
    if follow.snoozed_until is not None and now < follow.snoozed_until:
        return None
    if target.rank > follow.step.rank:
        return target
    if target not in repeats:
        return None
    due_again = follow.last is None or now - follow.last >= timedelta(days=repeat_days)
    return target if due_again else None


def _repeats(ladder: Ladder) -> frozenset[Step]:
    """The rungs whose notice repeats on the item: all but a digested leadership rung, which
    the digest issue keeps in view instead."""
    return frozenset(Step) - {Step.LEADERSHIP} if ladder.leadership_digest else frozenset(Step)


def _advance(follow: FollowState, step: Step, now: datetime, comments: int | None) -> FollowState:
    """The state once `step` is announced at `now`; `comments`: the count before posting, for
    a notice recorded ahead of its comment (None: the comment carries the state itself)."""
    pending = Pending(step, now, comments) if comments is not None else None
    seq = follow.seq + 1
    if step.rank <= follow.step.rank:
        return replace(follow, last=now, pending=pending, seq=seq, comments=None)
    reached = (*follow.reached, (step, now))
    return replace(
        follow, step=step, reached=reached, last=now, pending=pending, seq=seq, comments=None
    )


def _wanted(target: Step, follow: FollowState, ladder: Ladder) -> dict[str, bool]:
    """Labels mirror the state: overdue while late, escalated once escalation was announced."""
    late = target.rank >= Step.OVERDUE.rank
    return {
        ladder.overdue_label: late,
        ladder.escalated_label: late and follow.step.rank >= Step.COMMANDER.rank,
    }


def _label_set(
    item: TrackedItem, target: Step, follow: FollowState, ladder: Ladder
) -> tuple[str, ...] | None:
    """The item's whole label set once the ladder's labels mirror the state (the labels just
    read, merged: an edit replaces the set); None when nothing changes."""
    want = _wanted(target, follow, ladder)
    have = {name.lower() for name in item.labels}
    if all(wanted == (name.lower() in have) for name, wanted in want.items()):
        return None
    drop = {name.lower() for name, wanted in want.items() if not wanted}
    kept = [name for name in item.labels if name.lower() not in drop]
    added = [name for name, wanted in want.items() if wanted and name.lower() not in have]
    return (*kept, *added)


def _label_news(before: tuple[str, ...], after: tuple[str, ...]) -> str:
    added = [n for n in after if n not in before]
    removed = [n for n in before if n not in after]
    parts = [f"+ {', '.join(added)}" if added else "", f"- {', '.join(removed)}" if removed else ""]
    return "labels " + " ".join(p for p in parts if p)


def _labels(
    item: TrackedItem, target: Step, follow: FollowState, ladder: Ladder, rank: tuple[int, int, int]
) -> list[Action]:
    """A hand-filed item's labels, added and removed on their own (no edit of its body)."""
    want = _wanted(target, follow, ladder)
    have = set(item.labels)
    add = tuple(name for name, wanted in want.items() if wanted and name not in have)
    actions: list[Action] = [AddLabels(item.number, add, urgency=rank)] if add else []
    for name, wanted in want.items():
        if not wanted and name in have:
            actions.append(RemoveLabel(item.number, name, urgency=rank))
    return actions


# --- the notices ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What every notice can say about the item."""

    what: str  # "this P1 action item from postmortem #12"
    due: str  # bold ISO date
    late: int  # days past the due date (negative: days ahead)
    owner: str | None
    first: str  # when the owner was first reminded, in words
    asked: bool  # whether the commander and authors were asked before (the commander rung)
    snooze: str  # "" or a sentence: the snooze that ended today (by whom, why)


def notice_text(
    item: TrackedItem,
    step: Step,
    now: datetime,
    ladder: Ladder,
    *,
    repeat: bool,
    at: datetime | None = None,
) -> str:
    """A short, kind, specific comment: what, since when, what to do; ends with its marker.

    `at`: when the notice was recorded, for one posted again (its marker keeps that time)."""
    info = item.info
    facts = _Facts(
        what=f"this {info.priority} action item from postmortem #{info.pm}",
        due=f"**{item.due.isoformat()}**",
        late=(now.date() - item.due).days,
        owner=info.owner,
        first=_first_notice(item),
        asked=_commander_asked(item),
        snooze=_snooze_ended(item, now),
    )
    prefix = "Reminder: " if repeat else ""
    to = _to(_recipients(item, step, ladder))
    stamp = iso(at or now)
    marker = markers.encode(REMINDER, {"item": item.number, "step": str(step), "at": stamp})
    digested = step is Step.LEADERSHIP and ladder.leadership_digest
    body = _in_digest(facts, ladder.leadership_team or "") if digested else _BODIES[step](facts)
    return f"{prefix}{to}, {body}\n\n{marker}"


def _recipients(item: TrackedItem, step: Step, ladder: Ladder) -> list[str]:
    if step is Step.UNOWNED:
        return _commander_or_authors(item)
    if step in (Step.DUE_SOON, Step.OVERDUE):
        return _owner_or_commander(item)
    if step is Step.COMMANDER:
        return _escalation_group(item)
    if ladder.leadership_digest:  # the team reads the digest; the item's own people hear here
        later = [] if _commander_asked(item) else _escalation_group(item)
        return [*_owner_or_commander(item), *later]
    if not _commander_asked(item):  # first seen this late: they hear it now, not "before"
        return [ladder.leadership_team or "", *_escalation_group(item)]
    return [ladder.leadership_team or ""]


def _unowned(f: _Facts) -> str:
    return (
        f"{f.what} has no owner yet; it is due on {f.due}. Could you find someone to own it? "
        "Assign it with `/pmbot owner @user`."
    )


def _due_soon(f: _Facts) -> str:
    return (
        f"a friendly reminder: {f.what} is due {_when(-f.late)} ({f.due}).{f.snooze}\n\n"
        f"{WHAT_TO_DO}"
    )


def _overdue(f: _Facts) -> str:
    return (
        f"{f.what} {_late(f.late, f.due)}.{f.snooze} No blame — plans change; let us know "
        f"where it stands:\n\n{WHAT_TO_DO}"
    )


def _commander(f: _Facts) -> str:
    return (
        f"{f.what} has been overdue since {f.due} ({days(f.late)}); its owner "
        f"{quoted(f.owner)} {f.first}.{f.snooze} Could you help it move?\n\n"
        f"{HELP_IT_MOVE}"
    )


def _leadership(f: _Facts) -> str:
    asked = (
        "the incident commander and authors have been asked"
        if f.asked
        else "this is the first time pmbot escalates it, so the incident commander and "
        "authors hear it now too"
    )
    owner = f"its owner is {quoted(f.owner)}" if f.owner else "it has no owner"
    return (
        f"{f.what} has been overdue since {f.due} ({days(f.late)}); {owner}, and {asked}."
        f"{f.snooze} It needs a decision: a new date with a reason, a new owner, or "
        "`/pmbot wont-do <reason>`."
    )


def _in_digest(f: _Facts, team: str) -> str:
    """The one notice on the item when it reaches a digested leadership rung."""
    asked = (
        ""
        if f.asked
        else " This is the first time pmbot escalates it, so the incident commander and "
        "authors hear it now too."
    )
    return (
        f"{f.what} has been overdue since {f.due} ({days(f.late)}), so it is now listed in "
        f"the leadership digest for `{team}` (the open issue labelled "
        f"`{DIGEST_LABEL}`), which pmbot keeps up to date until the item is closed or has a "
        f"new date.{asked}{f.snooze} It needs a decision:\n\n{WHAT_TO_DO}"
    )


_BODIES = {
    Step.UNOWNED: _unowned,
    Step.DUE_SOON: _due_soon,
    Step.OVERDUE: _overdue,
    Step.COMMANDER: _commander,
    Step.LEADERSHIP: _leadership,
}


def _to(logins: Iterable[str]) -> str:
    unique = list(dict.fromkeys(login for login in logins if login))
    return " ".join(mention(login) for login in unique) or "Hello"


def _late(late: int, due: str) -> str:
    if late == 0:
        return f"reached its due date today ({due})"
    return f"was due on {due} and is now {days(late)} overdue"


def _when(ahead: int) -> str:
    return "today" if ahead == 0 else "tomorrow" if ahead == 1 else f"in {days(ahead)}"


def _snooze_ended(item: TrackedItem, now: datetime) -> str:
    """A sentence when this notice is the first since a snooze ended: who snoozed, why, and
    that the snooze is over (so a notice on that day is not a surprise); else ""."""
    follow = current_follow(item)
    until = follow.snoozed_until
    if until is None or now < until or (follow.last is not None and follow.last >= until):
        return ""
    snooze = next((c for c in reversed(item.info.history) if c.cmd == "snooze"), None)
    who = f" by {quoted(snooze.by)}" if snooze else ""
    why = f" ({_reason(snooze.why)})" if snooze and snooze.why else ""
    day = "today" if until.date() == now.date() else f"on {until.date().isoformat()}"
    return f" The snooze{who}{why} ended {day}."


def _reason(text: str) -> str:
    """A user's reason, quoted on one line: no markup, mention or marker survives."""
    flat = " ".join(silence(markers.defuse_markers(text)).split()).replace("`", "'")
    return f"“{flat[:120]}”"


def _first_notice(item: TrackedItem) -> str:
    """When the owner first heard about it, in words ("was first reminded on …")."""
    follow = current_follow(item)  # notices about an earlier due date do not count
    reached = [at for at in (follow.when(Step.DUE_SOON), follow.when(Step.OVERDUE)) if at]
    if not reached:
        return "has not been reminded before"
    return f"was first reminded on {min(reached).date().isoformat()}"


def _commander_asked(item: TrackedItem) -> bool:
    """Whether the commander rung was announced for the current due date."""
    return current_follow(item).when(Step.COMMANDER) is not None


def _commander_or_authors(item: TrackedItem) -> list[str]:
    info = item.info
    return [info.commander] if info.commander else list(info.authors)


def _owner_or_commander(item: TrackedItem) -> list[str]:
    return [item.info.owner] if item.info.owner else _commander_or_authors(item)


def _escalation_group(item: TrackedItem) -> list[str]:
    info = item.info
    return [*([info.commander] if info.commander else []), *info.authors]


# --- postmortem documents ---------------------------------------------------------------

# SEV-1 documents are chased at the P0 cadence, SEV-2 at the P1 cadence.
_PM_CADENCE = {Severity.SEV1: Priority.P0, Severity.SEV2: Priority.P1}


@dataclass(frozen=True)
class PostmortemFollow:
    """A postmortem whose document may be late; `last_reminder`/`reminders` come from the
    `pm-follow` comment pmbot keeps on the postmortem issue (see `read_pm_follow`)."""

    issue: int
    severity: Severity
    resolved: date
    commander: str | None = None
    authors: tuple[str, ...] = ()
    last_reminder: datetime | None = None
    reminders: int = 0


def read_pm_follow(comment_body: str | None) -> tuple[datetime | None, int]:
    """(last reminder, reminders sent) from the `pm-follow` state comment, if any."""
    payload = markers.find(comment_body, PM_FOLLOW)
    if not payload or not payload.get("last"):
        return None, 0
    return parse_iso(str(payload["last"])), int(payload.get("count", 0))


def plan_postmortem_reminders(
    postmortems: Sequence[PostmortemFollow], now: datetime, config: Config
) -> Plan:
    """A SEV-1/2 postmortem whose document is not merged by its due date: remind its
    commander and authors once, then at the cadence; state in a `pm-follow` comment."""
    actions: list[Action] = []
    business_days = {str(sev): n for sev, n in config.severity_due_business_days.items()}
    for pm in postmortems:
        cadence = _PM_CADENCE.get(pm.severity)
        due = postmortem_due(pm.resolved, pm.severity, business_days)
        if cadence is None or due is None or utc(now).date() <= due:
            continue
        repeat = timedelta(days=config.reminders.repeat_days[cadence])
        if pm.last_reminder is not None and now - pm.last_reminder < repeat:
            continue
        actions += _pm_reminder(pm, due, utc(now), cadence)
    return Plan(tuple(actions))


def _pm_reminder(pm: PostmortemFollow, due: date, now: datetime, cadence: Priority) -> list[Action]:
    late = (now.date() - due).days
    who = _to([*([pm.commander] if pm.commander else []), *pm.authors])
    text = (
        f"{who}, the {pm.severity} postmortem document for this incident was due on "
        f"**{due.isoformat()}** ({days(late)} ago) and its pull request is not merged yet. "
        "A short, finished write-up now is worth more than a perfect one later: could you "
        "get it reviewed and merged this week?"
    )
    marker = markers.encode(REMINDER, {"pm": pm.issue, "step": "document", "at": iso(now)})
    state = markers.encode(PM_FOLLOW, {"last": iso(now), "count": pm.reminders + 1})
    note = f"pmbot keeps its reminder state for this postmortem here.\n\n{state}"
    rank = make_urgency(cadence, late, pm.issue)
    return [
        CreateComment(pm.issue, f"{text}\n\n{marker}", urgency=rank),
        UpsertComment(pm.issue, PM_FOLLOW, note, urgency=rank),
    ]
