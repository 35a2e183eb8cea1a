"""`plan_dependencies`: each sound `Depends on` of the form as a GitHub issue dependency — the
item's issue "blocked by" the issue of the item it names — planned only where GitHub does not
have it yet, so a rerun writes nothing.

Links are only ever added. One a person made by hand, or one left by a row edited since,
stays: pmbot never deletes what it cannot tell was its own. Unknown keys, an item waiting for
itself and circles are the review's findings (`pmbot.core.dependencies`) and are not linked.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pmbot.core.dependencies import Link, resolve
from pmbot.core.model import Postmortem
from pmbot.flows.intake.issue import match_items
from pmbot.flows.items import TrackedItem
from pmbot.plan import AddBlockedBy, Plan, urgency

# A link between two issues: (the blocked item's issue, the blocking item's issue).
Pair = tuple[TrackedItem, TrackedItem]


def _pairs(
    pm: Postmortem, items: Sequence[TrackedItem]
) -> tuple[list[tuple[Link, Pair]], list[Link]]:
    """The sound links whose two items have issues, and those still waiting for one."""
    matched, _ = match_items(pm.action_items, items)
    ready: list[tuple[Link, Pair]] = []
    waiting: list[Link] = []
    for link in resolve(pm.action_items).links:
        blocked, blocker = matched.get(link.item.key), matched.get(link.blocker.key)
        if blocked is None or blocker is None:
            waiting.append(link)
        else:
            ready.append((link, (blocked, blocker)))
    return ready, waiting


def to_read(pm: Postmortem, items: Sequence[TrackedItem]) -> list[TrackedItem]:
    """The issues whose blockers must be read before planning: those to be marked blocked,
    unless GitHub already said nothing blocks them (no read needed then)."""
    ready, _ = _pairs(pm, items)
    wanted = {blocked.number: blocked for _, (blocked, _) in ready if blocked.blocked_by != 0}
    return [wanted[number] for number in sorted(wanted)]


def plan_dependencies(
    pm: Postmortem, items: Sequence[TrackedItem], existing: Mapping[int, Collection[int]]
) -> Plan:
    """One write per missing link. `existing`: issue number → ids of the issues GitHub says
    block it (an issue left out has none)."""
    ready, waiting = _pairs(pm, items)
    actions = [
        AddBlockedBy(
            blocked.number,
            blocker=blocker.number,
            blocker_id=blocker.id,
            key=link.item.key,
            blocker_key=link.blocker.key,
            urgency=urgency(link.item.priority, 0, blocked.number),
        )
        for link, (blocked, blocker) in ready
        if blocker.id not in existing.get(blocked.number, ())
    ]
    notes = [
        f"{link.item.key} will be marked blocked by {link.blocker.key} once both have an issue."
        for link in waiting
    ]
    return Plan(tuple(actions), tuple(notes))
