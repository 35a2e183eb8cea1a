"""The weekly review's agenda, computed by hand on a small fixture history (today 2026-03-10)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from helpers.items import make_item

from pmbot.core.config import default_config
from pmbot.flows.agenda import compute_agenda, render_agenda
from pmbot.render.report import PostmortemRecord

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # a Tuesday
CONFIG = default_config()


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


ITEMS = [
    make_item(1, owner="alice", due=date(2026, 3, 10)),  # due today: this week, in 0 days
    make_item(2, owner="bob", due=date(2026, 3, 17)),  # the 7th day: still this week
    make_item(3, owner="bob", due=date(2026, 3, 18)),  # the 8th day: not yet
    make_item(4, owner="alice", due=date(2026, 3, 9)),  # 1 day overdue
    make_item(5, owner="alice", due=date(2026, 2, 8)),  # 30 days overdue
    make_item(6, owner=None, due=date(2026, 3, 1)),  # 9 days overdue, nobody owns it
    make_item(7, owner="bob", due=date(2026, 3, 1), state="closed"),  # done: not on it
]
POSTMORTEMS = [
    # Merged: not awaiting.
    PostmortemRecord(
        10,
        "Old outage",
        "SEV-2",
        started=at(date(2025, 12, 1)),
        resolved=at(date(2025, 12, 1)),
        published=date(2025, 12, 3),
        services=("api",),
    ),
    # Resolved Mon 03-02, SEV-2: due 5 business days later, Mon 03-09; not merged: late.
    PostmortemRecord(
        11,
        "Checkout down",
        "SEV-2",
        started=at(date(2026, 3, 2)),
        resolved=at(date(2026, 3, 2)),
        services=("checkout",),
    ),
    # Last week, shares `api` with #10 (within 180 days): a new recurrence.
    PostmortemRecord(
        12,
        "API slow",
        "SEV-3",
        started=at(date(2026, 3, 5)),
        resolved=at(date(2026, 3, 5)),
        published=date(2026, 3, 9),
        services=("api",),
    ),
]


def test_items_due_this_week_are_today_through_the_seventh_day() -> None:
    agenda = compute_agenda(POSTMORTEMS, ITEMS, NOW, CONFIG)
    assert [(a.number, a.days) for a in agenda.due_soon] == [(1, 0), (2, 7)]


def test_overdue_items_are_grouped_by_owner_most_overdue_first() -> None:
    agenda = compute_agenda(POSTMORTEMS, ITEMS, NOW, CONFIG)
    grouped = [
        (owner, [(a.number, a.days) for a in rows]) for owner, rows in agenda.overdue_by_owner
    ]
    assert grouped == [("alice", [(5, 30), (4, 1)]), ("nobody", [(6, 9)])]


def test_postmortems_awaiting_review_and_new_recurrences() -> None:
    agenda = compute_agenda(POSTMORTEMS, ITEMS, NOW, CONFIG)
    assert [(p.number, p.due) for p in agenda.awaiting_review] == [(11, date(2026, 3, 9))]
    assert [
        (r.kind, r.name, tuple(p.number for p in r.postmortems)) for r in agenda.new_recurrences
    ] == [("service", "api", (10, 12))]
    # A week later #12 is no longer new.
    later = compute_agenda(POSTMORTEMS, ITEMS, datetime(2026, 3, 20, tzinfo=UTC), CONFIG)
    assert later.new_recurrences == ()


def test_the_agenda_reads_without_pinging_anyone() -> None:
    text = render_agenda(compute_agenda(POSTMORTEMS, ITEMS, NOW, CONFIG))
    assert text.startswith("# Weekly review agenda — 2026-03-10\n")
    assert "| #1 Canary stage | `@alice` | P1 | 2026-03-10 (today) |" in text
    assert "- `@alice` (2):\n  - #5 Canary stage — P1, 30 days overdue (due 2026-02-08)" in text
    assert "- #11 Checkout down (SEV-2, 2026-03-02, document due 2026-03-09 — late)" in text
    assert "- service `api`: #10, #12" in text
    assert "@alice" not in text.replace("`@alice`", "")


def test_an_empty_week_says_so() -> None:
    text = render_agenda(compute_agenda([], [], NOW, CONFIG))
    assert text.count("None.") == 4
