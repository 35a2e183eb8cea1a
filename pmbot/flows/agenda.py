"""The weekly engineering review's standing agenda. Pure: records, items and a clock in.

Four parts, each checkable by hand:

- *Due this week*: open action items due from today to today + 7 days, soonest first.
- *Overdue, by owner*: open items past their due date (today after it), grouped by owner
  (unowned items under "nobody"), most overdue first.
- *Awaiting review or merge*: postmortems whose document has not reached the default branch,
  oldest incident first, with the day the document was due (if the severity has a target).
- *New recurrences*: a service, tag or contributing-factor category repeated within the
  recurrence window where one of the postmortems happened in the last 7 days.

Owners appear in backticks: the agenda is posted inside the report issue and must not ping.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pmbot.core.config import Config
from pmbot.core.figures import postmortem_due
from pmbot.core.markers import defuse_markers
from pmbot.core.model import utc
from pmbot.flows.items import TrackedItem
from pmbot.flows.report import recurring
from pmbot.render.report import PostmortemRecord, Recurrence

WEEK = 7


@dataclass(frozen=True)
class AgendaItem:
    number: int
    title: str
    owner: str | None
    priority: str
    due: date
    days: int  # days until due (due soon) or days overdue (overdue)


@dataclass(frozen=True)
class AwaitingReview:
    number: int
    title: str
    severity: str
    day: date | None
    due: date | None


@dataclass(frozen=True)
class Agenda:
    today: date
    due_soon: tuple[AgendaItem, ...]
    overdue_by_owner: tuple[tuple[str, tuple[AgendaItem, ...]], ...]
    awaiting_review: tuple[AwaitingReview, ...]
    new_recurrences: tuple[Recurrence, ...]


def _item(item: TrackedItem, days: int) -> AgendaItem:
    title = item.title.split("] ", 1)[1] if item.title.startswith("[P") else item.title
    return AgendaItem(
        item.number, title, item.owner, str(item.priority), item.due, days
    )  # fmt: skip


def compute_agenda(
    postmortems: Sequence[PostmortemRecord],
    items: Sequence[TrackedItem],
    now: datetime,
    config: Config,
) -> Agenda:
    today = utc(now).date()
    live = [i for i in items if i.is_open and not i.is_duplicate]
    soon = sorted(
        (_item(i, (i.due - today).days) for i in live if today <= i.due <= today + timedelta(WEEK)),
        key=lambda a: (a.due, a.priority, a.number),
    )
    late: dict[str, list[AgendaItem]] = defaultdict(list)
    for i in live:
        if today > i.due:
            late[i.owner or "nobody"].append(_item(i, (today - i.due).days))
    by_owner = tuple(
        (owner, tuple(sorted(rows, key=lambda a: (-a.days, a.number))))
        for owner, rows in sorted(late.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    )
    awaiting = tuple(
        sorted(
            (_awaiting(p, config) for p in postmortems if p.published is None),
            key=lambda a: (a.day or date.max, a.number),
        )
    )
    recent = {p.number for p in postmortems if p.day and p.day >= today - timedelta(WEEK)}
    new = tuple(
        r
        for r in recurring(postmortems, config.similar.window_days)
        if recent & {p.number for p in r.postmortems}
    )
    return Agenda(today, tuple(soon), by_owner, awaiting, new)


def _awaiting(p: PostmortemRecord, config: Config) -> AwaitingReview:
    days = {str(k): v for k, v in config.severity_due_business_days.items()}
    due = postmortem_due(p.resolved.date(), p.severity, days) if p.resolved else None
    return AwaitingReview(p.number, p.title, p.severity, p.day, due)


def _who(login: str) -> str:
    return "nobody" if login == "nobody" else f"`@{login}`"


def _title(text: str) -> str:
    flat = defuse_markers(" ".join(text.split())).replace("|", "\\|")
    return flat if len(flat) <= 70 else flat[:69].rstrip() + "…"


def render_agenda(agenda: Agenda, *, heading: str = "#") -> str:
    """The agenda in Markdown; `heading` is the level of its title (`##` inside the report)."""
    sub = heading + "#"
    lines = [f"{heading} Weekly review agenda — {agenda.today.isoformat()}", ""]
    lines += [f"{sub} Action items due in the next 7 days", ""]
    if agenda.due_soon:
        lines += ["| Item | Owner | Priority | Due |", "|---|---|---|---|"]
        for a in agenda.due_soon:
            when = "today" if a.days == 0 else f"in {a.days} day{'s' if a.days != 1 else ''}"
            lines.append(
                f"| #{a.number} {_title(a.title)} | {_who(a.owner or 'nobody')} | {a.priority} | "
                f"{a.due.isoformat()} ({when}) |"
            )
    else:
        lines.append("None.")
    lines += ["", f"{sub} Overdue action items, by owner", ""]
    if not agenda.overdue_by_owner:
        lines.append("None.")
    for owner, rows in agenda.overdue_by_owner:
        lines.append(f"- {_who(owner)} ({len(rows)}):")
        lines += [
            f"  - #{a.number} {_title(a.title)} — {a.priority}, {a.days} days overdue "
            f"(due {a.due.isoformat()})"
            for a in rows
        ]
    lines += ["", f"{sub} Postmortems awaiting review or merge", ""]
    if not agenda.awaiting_review:
        lines.append("None.")
    for p in agenda.awaiting_review:
        due = ""
        if p.due is not None:
            late = " — late" if p.due < agenda.today else ""
            due = f", document due {p.due.isoformat()}{late}"
        day = p.day.isoformat() if p.day else "undated"
        lines.append(f"- #{p.number} {_title(p.title)} ({p.severity}, {day}{due})")
    lines += ["", f"{sub} New recurrences (this week)", ""]
    if not agenda.new_recurrences:
        lines.append("None.")
    for r in agenda.new_recurrences:
        numbers = ", ".join(map(str, r.postmortems))
        lines.append(f"- {r.kind} `{_title(r.name)}`: {numbers}")
    return "\n".join(lines) + "\n"
