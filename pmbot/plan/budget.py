"""Trim a plan to the run's write budget: whole issues, most urgent first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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


def share_budget(
    plans: Mapping[str, Plan], max_writes: int, caps: Mapping[str, int]
) -> dict[str, int]:
    """One run's write budget shared between several plans (an organisation's repositories):
    the writes each may make, given to whole items most urgent first across all of them, so
    that `trim_to_budget(plans[name], shares[name])` keeps exactly those items. A plan also
    stays within its own cap (a repository's own budget); the run stops giving at the first
    item that does not fit the run's budget, as `trim_to_budget` does."""
    queue = [
        (_group_urgency(actions), order, name, sum(a.writes for a in actions))
        for order, name in enumerate(plans)
        for actions in sorted(plans[name].by_item().values(), key=_group_urgency)
    ]
    queue.sort(key=lambda entry: (entry[0], entry[1]))  # stable: each plan's order is kept
    shares = dict.fromkeys(plans, 0)
    capped: set[str] = set()
    used = 0
    for _, _, name, cost in queue:
        if name in capped:
            continue
        if shares[name] + cost > caps.get(name, max_writes):
            capped.add(name)  # this plan's own budget is spent; the others go on
            continue
        if used + cost > max_writes:
            break
        shares[name] += cost
        used += cost
    return shares
