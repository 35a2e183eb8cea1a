"""Which `Depends on` links are sound (pure): a key no item has, an item waiting for itself
and circles are left out; everything else is linked, in form order."""

from __future__ import annotations

from pmbot.core.dependencies import resolve
from pmbot.core.model import ActionItem, Priority


def item(key: str, *depends_on: str) -> ActionItem:
    return ActionItem(key=key, what=f"Do {key}", priority=Priority.P1, depends_on=depends_on)


def test_sound_links_and_what_is_wrong_with_the_rest() -> None:
    items = [
        item("A", "b"),  # keys compare case-insensitively
        item("B", "C"),
        item("C", "B", "X"),  # B and C wait for each other; X is no item
        item("D", "D"),
        item("E", "A", "C"),  # outside the circle: its link to C stands
    ]
    found = resolve(items)
    assert [(link.item.key, link.blocker.key) for link in found.links] == [
        ("A", "B"), ("E", "A"), ("E", "C")
    ]  # fmt: skip
    assert [(p.kind, p.item.key, p.key, p.cycle) for p in found.problems] == [
        ("cycle", "B", "C", ("B", "C", "B")),
        ("unknown", "C", "X", ()),
        ("self", "D", "D", ()),
    ]


def test_a_link_between_two_circles_stands() -> None:
    items = [item("A", "B"), item("B", "A", "C"), item("C", "D"), item("D", "C")]
    found = resolve(items)
    assert [(link.item.key, link.blocker.key) for link in found.links] == [("B", "C")]
    assert [p.cycle for p in found.problems] == [("A", "B", "A"), ("C", "D", "C")]
