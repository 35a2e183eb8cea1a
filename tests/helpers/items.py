"""Action items as intake files them, for tests of the planners that read them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from conftest import tracked

from pmbot.core.model import Priority
from pmbot.flows.items import TrackedItem
from pmbot.flows.tracking import FollowState, ItemInfo, item_marker, with_markers


def make_info(**changes: object) -> ItemInfo:
    fields: dict[str, object] = {
        "pm": 12,
        "key": "AI-1",
        "priority": Priority.P1,
        "due": date(2026, 2, 2),
        "opened": date(2026, 1, 5),
        "owner": "alice",
        "commander": "carol",
        "authors": ("dave", "erin"),
        "type": "prevent",
    }
    fields.update(changes)
    return ItemInfo(**fields)  # type: ignore[arg-type]


def make_item(
    number: int = 101,
    *,
    follow: FollowState | None = None,
    labels: tuple[str, ...] = ("action-item", "P1"),
    state: str = "open",
    **info: object,
) -> TrackedItem:
    body = "Add a canary stage to the deploy pipeline.\n\n" + item_marker(make_info(**info))
    if follow is not None:
        body = with_markers(body, follow=follow)
    item = tracked(number, body, title="Canary stage", labels=labels, state=state)
    return replace(item, comments=None)  # no count: a recorded notice is trusted to have landed
