"""Trim a plan to the run's write budget: whole issues, most urgent first."""

from __future__ import annotations

from collections.abc import Iterable

from pmbot.plan.actions import Action, Plan, Urgency


def _group_urgency(actions: Iterable[Action]) -> Urgency:
    return min(a.urgency for a in actions)


def trim_to_budget(plan: Plan, max_writes: int) -> tuple[Plan, Plan]:
    """(kept, deferred): whole items, most urgent first, stopping at the first that won't fit.

    Stopping rather than squeezing in smaller, less urgent items keeps the promise that
    what is deferred is never more urgent than what was done.
    """
    groups = sorted(plan.by_item().values(), key=_group_urgency)
    kept: list[Action] = []
    deferred: list[Action] = []
    used = 0
    for actions in groups:
        cost = sum(a.writes for a in actions)
        if not deferred and used + cost <= max_writes:
            kept += actions
            used += cost
        else:
            deferred += actions
    note = f"deferred {len(deferred)} writes to the next run (budget {max_writes})"
    notes = (*plan.notes, note) if deferred else plan.notes
    return Plan(tuple(kept), notes), Plan(tuple(deferred))
