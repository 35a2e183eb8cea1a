"""The leadership digest, decided: one issue per leadership team listing the open action items
on the ladder's last rung, kept up to date in place instead of a comment on each item.

Pure: items, a clock and pmbot's own digest issues in, a Plan out.

- The issue is pmbot's own (its author is pmbot), labelled `pmbot-digest` and found again by
  its hidden marker `<!-- pmbot:digest {"team": "acme/eng-leads"} -->`: one listing read per
  run. A marker in someone else's issue is not trusted.
- It is filed only when the team has something to read, then edited in place, and only when
  its text changed: a rerun at the same `now` writes nothing. A create whose answer was lost
  is looked up by the marker before it is sent again (`GitHub.create_issue`).
- Two runs that raced each filed one: the oldest stays, the others are closed as duplicates
  of it; every later run does the same, so they converge on one.
- An item is listed while it is open and on the rung today (overdue `leadership_after_days`
  or more against its current due date): closed, given a new date, or its rung's team changed,
  and it leaves at the next sweep.
- Mentions: the team is mentioned once, on the first line (pmbot mentions the leadership team
  it means to reach, as its per-item notices did): GitHub notifies it when the issue is filed
  and subscribes it; editing the body notifies nobody again. Owners are named in code spans
  and titles are silenced (`pmbot.core.mentions`), so the digest pings no one else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pmbot.core import markers
from pmbot.core.mentions import silence
from pmbot.core.model import Priority, utc
from pmbot.flows.items import TrackedItem
from pmbot.flows.ladder import DIGEST_LABEL, Ladder, current_follow, mention, quoted, target_step
from pmbot.flows.tracking import Step
from pmbot.github.models import IssueSnapshot
from pmbot.plan import FIRST, Action, CreateComment, CreateIssue, EditIssue, Plan, SetState

DIGEST = "digest"  # marker kind
MAX_BODY = 60_000  # GitHub refuses an issue body over 65,536 characters
TITLE_WIDTH = 80


@dataclass(frozen=True)
class DigestEntry:
    """One line of the digest: an open item on the leadership rung today."""

    number: int
    title: str
    owner: str | None
    priority: Priority
    due: date
    days_overdue: int
    postmortem: int
    snoozed_until: date | None = None


def digest_entries(
    items: Sequence[TrackedItem], today: date, ladder: Ladder
) -> tuple[DigestEntry, ...]:
    """The open items on the leadership rung today, most overdue first (then P0 before P3)."""
    entries = [_entry(i, today) for i in items if _listed(i, today, ladder)]
    return tuple(sorted(entries, key=lambda e: (-e.days_overdue, e.priority, e.number)))


def _listed(item: TrackedItem, today: date, ladder: Ladder) -> bool:
    return item.is_open and target_step(item, today, ladder) is Step.LEADERSHIP


def _entry(item: TrackedItem, today: date) -> DigestEntry:
    snoozed = current_follow(item).snoozed_until
    return DigestEntry(
        number=item.number,
        title=item.title,
        owner=item.owner,
        priority=item.priority,
        due=item.due,
        days_overdue=(today - item.due).days,
        postmortem=item.info.pm,
        snoozed_until=snoozed.date() if snoozed and snoozed.date() > today else None,
    )


# --- the issue --------------------------------------------------------------------------------


def digest_title(team: str) -> str:
    return f"Leadership digest: overdue action items ({team})"


def digest_marker(team: str) -> str:
    return markers.encode(DIGEST, {"team": team})


DECISION = (
    "Each needs a decision, commented on the item: a new date with a reason "
    "(`/pmbot due YYYY-MM-DD <reason>`), another owner (`/pmbot owner @user`), or "
    "`/pmbot wont-do <reason>`."
)


def render_digest(
    team: str,
    entries: Sequence[DigestEntry],
    today: date,
    after_days: int,
    *,
    current: bool = True,
) -> str:
    """The digest issue's body; `current`: whether `team` is still the configured team."""
    head = [
        f"{mention(team)}: the open action items overdue {after_days} days or more, the last "
        "rung of pmbot's escalation ladder. pmbot keeps this one issue up to date on every "
        "sweep instead of commenting on each item; owners, incident commanders and authors "
        "hear on the items themselves.",
        "",
    ]
    if not current:
        body = [
            f"`{team}` is no longer the leadership team in `.github/pmbot.yml` "
            "(`escalation.leadership_team`, `escalation.leadership_digest`): pmbot lists no "
            "items here any more."
        ]
    elif not entries:
        body = [f"Nothing is at this rung today: no open action item is {after_days} days overdue."]
    else:
        body = _table(entries, today)
    return "\n".join([*head, *body, "", digest_marker(team)]) + "\n"


def _table(entries: Sequence[DigestEntry], today: date) -> list[str]:
    """The table, as many rows as fit in an issue body (most overdue first), then a count."""
    many = f"{len(entries)} action item{'s' if len(entries) != 1 else ''}"
    lines = [
        f"**{many}** at this rung on {today.isoformat()}, most overdue first. {DECISION}",
        "",
        "| Item | Title | Owner | Priority | Days overdue | Postmortem |",
        "|---|---|---|---|---:|---|",
    ]
    size = sum(len(line) + 1 for line in lines) + 1_000  # the head, the rest, the marker
    for shown, entry in enumerate(entries):
        row = _row(entry)
        if size + len(row) + 1 > MAX_BODY:
            rest = len(entries) - shown
            lines += ["", f"…and {rest} more, less overdue (an issue body has room for no more)."]
            break
        lines.append(row)
        size += len(row) + 1
    return lines


def _row(e: DigestEntry) -> str:
    late = f"{e.days_overdue} (due {e.due.isoformat()}"
    late += f"; snoozed until {e.snoozed_until.isoformat()})" if e.snoozed_until else ")"
    pm = f"#{e.postmortem}" if e.postmortem else "—"
    return f"| #{e.number} | {_title(e.title)} | {quoted(e.owner)} | {e.priority} | {late} | {pm} |"


def _title(text: str) -> str:
    """A user's title on one table cell: no mention, reference, marker or column break."""
    flat = " ".join(silence(markers.defuse_markers(text)).split()).replace("|", "\\|")
    return flat if len(flat) <= TITLE_WIDTH else flat[: TITLE_WIDTH - 1].rstrip() + "…"


# --- the plan ---------------------------------------------------------------------------------


def own_digests(issues: Sequence[IssueSnapshot], me: str) -> dict[str, list[IssueSnapshot]]:
    """pmbot's open digest issues by team (lower-cased), oldest first."""
    found: dict[str, list[IssueSnapshot]] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        payload = markers.find(issue.body, DIGEST) if issue.author == me else None
        team = payload.get("team") if payload else None
        if issue.state == "open" and isinstance(team, str) and team:
            found.setdefault(team.lower(), []).append(issue)
    return found


def plan_digests(
    items: Sequence[TrackedItem],
    now: datetime,
    ladder: Ladder,
    mine: Mapping[str, Sequence[IssueSnapshot]],
) -> Plan:
    """File the configured team's digest when it has entries, edit each digest whose text
    changed, close the duplicates racing runs left. `mine`: see `own_digests`."""
    today = utc(now).date()
    team = ladder.leadership_team if ladder.leadership_digest else None
    teams = {t: _team_of(issues[0], t) for t, issues in mine.items() if issues}
    if team is not None:
        teams[team.lower()] = team
    actions: list[Action] = []
    for key, name in sorted(teams.items()):
        current = team is not None and key == team.lower()
        entries = digest_entries(items, today, ladder) if current else ()
        body = render_digest(name, entries, today, ladder.leadership_after_days, current=current)
        actions += _keep(name, body, bool(entries), mine.get(key, ()))
    return Plan(tuple(actions))


def _team_of(issue: IssueSnapshot, fallback: str) -> str:
    payload = markers.find(issue.body, DIGEST) or {}
    return str(payload.get("team") or fallback)


def _keep(team: str, body: str, listed: bool, issues: Sequence[IssueSnapshot]) -> list[Action]:
    if not issues:
        if not listed:
            return []  # nothing to read yet: no issue until there is
        marker = digest_marker(team)
        title = digest_title(team)
        return [CreateIssue(0, title, body, marker, labels=(DIGEST_LABEL,), urgency=FIRST)]
    keep, *duplicates = issues
    actions: list[Action] = []
    if keep.body.rstrip() != body.rstrip():
        why = f"the leadership digest ({team})"
        actions.append(EditIssue(keep.number, body=body, why=why, urgency=FIRST))
    for extra in duplicates:  # another run filed it at the same time: the oldest stays
        note = f"Duplicate of #{keep.number}: pmbot keeps one leadership digest per team."
        actions += [
            CreateComment(extra.number, note, urgency=FIRST),
            SetState(extra.number, "closed", state_reason="duplicate", urgency=FIRST),
        ]
    return actions
