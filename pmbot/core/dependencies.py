"""Action items that wait for others (`Depends on`): the links that are sound, and what is
wrong with the rest — a key no item has, an item waiting for itself, items waiting for each
other in a circle.

The review reports the problems; intake links only the sound pairs as GitHub issue
dependencies, so one wrong key never holds back the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pmbot.core.model import ActionItem

Kind = Literal["unknown", "self", "cycle"]


@dataclass(frozen=True)
class Link:
    """`item` is blocked by `blocker`: the blocker is to be done first."""

    item: ActionItem
    blocker: ActionItem


@dataclass(frozen=True)
class DependencyProblem:
    kind: Kind
    item: ActionItem  # the row whose Depends on is wrong (for a cycle: its first row)
    key: str  # the key as written (for a cycle: the blocker it names)
    cycle: tuple[str, ...] = ()  # for a cycle: the keys around it, back to the first


@dataclass(frozen=True)
class Dependencies:
    links: tuple[Link, ...]
    problems: tuple[DependencyProblem, ...]


def resolve(items: Sequence[ActionItem]) -> Dependencies:
    """The sound links among `items` (in form order) and the problems with the others."""
    by_key = {item.key.casefold(): item for item in items}
    edges: list[Link] = []
    problems: list[DependencyProblem] = []
    for item in items:
        for key in item.depends_on:
            blocker = by_key.get(key.casefold())
            if blocker is None:
                problems.append(DependencyProblem("unknown", item, key))
            elif blocker is item:
                problems.append(DependencyProblem("self", item, key))
            else:
                edges.append(Link(item, blocker))
    circles = _cycles(items, edges)
    group = {member: n for n, (_, members) in enumerate(circles) for member in members}
    for circle, _ in circles:
        problems.append(
            DependencyProblem(
                "cycle", circle[0], circle[1].key, tuple(m.key for m in (*circle, circle[0]))
            )
        )
    # A link inside a circle would ask GitHub to order work that waits for itself.
    links = [e for e in edges if group.get(id(e.item), -1) != group.get(id(e.blocker), -2)]
    order = {id(item): n for n, item in enumerate(items)}
    problems.sort(key=lambda p: order[id(p.item)])
    return Dependencies(tuple(links), tuple(problems))


def _cycles(
    items: Sequence[ActionItem], edges: Sequence[Link]
) -> list[tuple[list[ActionItem], set[int]]]:
    """One circle per group of items that wait for each other, starting at its first row,
    with the ids of every item in that group."""
    after: dict[int, list[ActionItem]] = {id(item): [] for item in items}
    for edge in edges:
        after[id(edge.item)].append(edge.blocker)
    seen: set[int] = set()
    circles: list[tuple[list[ActionItem], set[int]]] = []
    for item in items:
        if id(item) in seen:
            continue
        path = _path_back(item, item, after, set())
        if path is not None:
            members = {id(member) for member in _reachable_both_ways(item, items, after)}
            circles.append((path, members))
            seen |= members
    return circles


def _path_back(
    start: ActionItem,
    at: ActionItem,
    after: dict[int, list[ActionItem]],
    visited: set[int],
) -> list[ActionItem] | None:
    """A path from `at` back to `start` (depth first; at most 25 items, so cheap)."""
    for blocker in after[id(at)]:
        if blocker is start:
            return [at]
        if id(blocker) in visited:
            continue
        visited.add(id(blocker))
        rest = _path_back(start, blocker, after, visited)
        if rest is not None:
            return [at, *rest]
    return None


def _reachable_both_ways(
    item: ActionItem, items: Sequence[ActionItem], after: dict[int, list[ActionItem]]
) -> list[ActionItem]:
    """The items in the same circle group as `item` (reachable from it and reaching it)."""
    forward = _reach(item, after)
    return [other for other in items if id(other) in forward and id(item) in _reach(other, after)]


def _reach(item: ActionItem, after: dict[int, list[ActionItem]]) -> set[int]:
    found: set[int] = set()
    stack = [item]
    while stack:
        for blocker in after[id(stack.pop())]:
            if id(blocker) not in found:
                found.add(id(blocker))
                stack.append(blocker)
    return found
