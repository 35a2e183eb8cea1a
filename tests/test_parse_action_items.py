from __future__ import annotations

from datetime import date

import pytest

from pmbot.core.model import ItemType, Priority
from pmbot.core.parse.action_items import parse_action_items
from pmbot.core.parse.common import FieldReader, Unreadable
from pmbot.core.parse.item_vocab import parse_priority, stable_key

TABLE = """\
| What | Owner | Priority | Due | Type | Success | Addresses |
|---|---|---|---|---|---|---|
| Add a canary stage to config pushes | @alice | P1 | 2026-12-15 | prevent | All canary | CF2 |
| Alert on pool saturation | @acme/sre | p0 | | detect | Pages in 3 minutes | cf1 |
"""


def reader(start: int | None = 50) -> FieldReader:
    return FieldReader("action_items", "Action items", start)


def test_table_items() -> None:
    r = reader()
    first, second = parse_action_items(TABLE, r)
    assert r.problems == []
    assert first.what == "Add a canary stage to config pushes"
    assert (first.owner, first.owner_is_team, first.priority) == ("alice", False, Priority.P1)
    assert first.due == date(2026, 12, 15) and first.type is ItemType.PREVENT
    assert (first.success, first.addresses, first.line) == ("All canary", "CF2", 52)
    assert (second.owner, second.owner_is_team) == ("acme/sre", True)
    assert (second.priority, second.due, second.addresses) == (Priority.P0, None, "CF1")


def test_columns_in_any_order_with_aliases() -> None:
    text = """\
| **Deadline** | Prio | Assignee | Done when | Kind | Action item | CF | Key |
|:--|:-:|--|--|--|--|--|--:|
| 2027-01-10 | P3 | bob | rollback < 5 min | mitigation | One-click rollback | CF3 | AI-9 |
"""
    (item,) = parse_action_items(text, reader())
    assert item.key == "AI-9"
    assert item.what == "One-click rollback" and item.owner == "bob"
    assert item.priority is Priority.P3 and item.type is ItemType.MITIGATE
    assert item.due == date(2027, 1, 10) and item.success == "rollback < 5 min"


def test_one_item_per_line() -> None:
    text = (
        "- [P1][prevent] Add a canary stage to config deploys — @alice, due 2026-12-15, "
        "success: every config push goes through canary, even hotfixes, addresses: CF1\n"
        "* [p2] Document the pool limits -- owner: @bob; type: process\n"
        "1. [AI-4] [P3] Page on pool saturation (owner: @carol, due: 2027-02-01)\n"
        "- [ ] [high] Show config pushes on the dashboard @dave CF2\n"
        "- [P0] Reject tiny pools\n"
        "  owner: @erin\n"
        "  success: CI fails below 100\n"
    )
    r = reader(10)
    items = parse_action_items(text, r)
    assert r.problems == []
    canary, docs, page, dash, pools = items
    assert canary.success == "every config push goes through canary, even hotfixes"
    assert (canary.addresses, canary.due, canary.line) == ("CF1", date(2026, 12, 15), 10)
    assert (docs.owner, docs.type, docs.priority) == ("bob", ItemType.PROCESS, Priority.P2)
    assert (page.key, page.what, page.owner) == ("AI-4", "Page on pool saturation", "carol")
    assert page.due == date(2027, 2, 1)
    assert (dash.priority, dash.owner, dash.addresses) == (Priority.P1, "dave", "CF2")
    assert (pools.owner, pools.success, pools.line) == ("erin", "CI fails below 100", 14)


def test_keys_are_stable_when_other_rows_change() -> None:
    before = {i.what: i.key for i in parse_action_items(TABLE, reader())}
    lines = TABLE.splitlines()
    edited = "\n".join([*lines[:2], "| Brand new item | @zed | P2 | | | | |", *lines[2:][::-1]])
    after = {i.what: i.key for i in parse_action_items(edited, reader())}
    assert all(after[what] == key for what, key in before.items())
    assert len(before["Alert on pool saturation"]) == 8
    assert stable_key("Alert  on *pool* saturation.") == before["Alert on pool saturation"]


def test_unknown_priority_names_line_and_fix() -> None:
    r = reader(20)
    text = TABLE.replace("| P1 |", "| P5 |")
    items = parse_action_items(text, r)
    assert len(items) == 1
    (problem,) = r.problems
    assert problem.line == 22 and problem.field == "Action items [action_items]"
    assert "'P5' is not a priority" in problem.message
    assert "P0" in problem.fix and "P3" in problem.fix


def test_every_bad_cell_is_reported() -> None:
    text = """\
| What | Owner | Priority | Due | Type |
|---|---|---|---|---|
| Fix it | @-bad | urgentish | 2026-02-30 | repair |
|  | @ok | P1 | | |
| No priority here | @ok | | | |
"""
    r = reader(1)
    assert parse_action_items(text, r) == []
    messages = [(p.line, p.message) for p in r.problems]
    assert (3, "owner of 'Fix it': '@-bad' is not a GitHub login or team.") in messages
    assert any(line == 3 and "not a real date" in m for line, m in messages)
    assert any(line == 3 and "'repair' is not an action-item type" in m for line, m in messages)
    assert any(line == 3 and "'urgentish' is not a priority" in m for line, m in messages)
    assert (4, "an action item has no description.") in messages
    assert any(line == 5 and "has no priority" in m for line, m in messages)


def test_duplicate_keys_are_a_problem() -> None:
    text = "- [P1] Add a canary\n- [P2] add a  canary.\n- [AI-1][P1] x\n- [ai-1][P2] y\n"
    r = reader(1)
    parse_action_items(text, r)
    assert len(r.problems) == 2
    assert all("used twice" in p.message for p in r.problems)
    assert [p.line for p in r.problems] == [2, 4]


def test_too_many_items() -> None:
    text = "\n".join(f"- [P2] Item number {n} — @alice" for n in range(26))
    r = reader(100)
    items = parse_action_items(text, r)
    assert len(items) == 25  # the rest is refused, not parsed
    (problem,) = r.problems
    assert "26 action items" in problem.message and "at most 25" in problem.message
    assert problem.line == 125
    r = reader(100)
    parse_action_items(text, r, max_items=30)
    assert r.problems == []


def test_table_without_a_what_column() -> None:
    r = reader()
    assert parse_action_items("| Owner | Priority |\n|--|--|\n| @a | P1 |\n", r) == []
    assert "no column for the action" in r.problems[0].message


def test_empty() -> None:
    assert parse_action_items(None, reader()) == []
    assert parse_action_items("", reader()) == []


@pytest.mark.parametrize(
    ("text", "priority"), [("P0", "P0"), ("p3", "P3"), ("2", "P2"), ("High", "P1"), ("[P1]", "P1")]
)
def test_priority_words(text: str, priority: str) -> None:
    assert parse_priority(text) == Priority(priority)


def test_priority_refused() -> None:
    with pytest.raises(Unreadable, match="not a priority"):
        parse_priority("P4")


def test_depends_on_in_a_column_and_in_a_list() -> None:
    text = """\
| ID | What | Owner | Priority | Depends on |
|---|---|---|---|---|
| AI-1 | Show config pushes on the dashboard | @a | P2 | |
| AI-2 | Add a canary stage | @a | P1 | AI-1, ai-3 AI-1 |

- [AI-3][P2] Reject small pools — @b, depends on: AI-1, AI-2, success: CI fails, after a drill
- [P3] Write the runbook — @b, blocked by: AI-3
"""
    r = reader()
    items = parse_action_items(text, r)
    assert r.problems == []
    assert [(i.key, i.depends_on) for i in items[:3]] == [
        ("AI-1", ()), ("AI-2", ("AI-1", "ai-3")), ("AI-3", ("AI-1", "AI-2"))
    ]  # fmt: skip
    assert items[2].success == "CI fails, after a drill"  # "after" is no dependency
    assert items[3].depends_on == ("AI-3",)


def test_a_free_text_dependencies_column_is_not_read_as_keys() -> None:
    text = """\
| What | Owner | Priority | Dependencies |
|---|---|---|---|
| Add a canary stage | @a | P1 | needs the infra budget |
"""
    (only,) = parse_action_items(text, reader())
    assert only.depends_on == ()
