"""The status lifecycle and item progress, and what index.json keeps of them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from pmbot.core.lifecycle import (
    ItemProgress,
    ItemState,
    Progress,
    Stage,
    Tracking,
    lifecycle,
    status,
)
from pmbot.core.model import ActionItem, Postmortem, Priority, Severity
from pmbot.flows import publish
from pmbot.render.document import render_document
from pmbot.render.library import build_json, entry_from_text

FILED, MERGED = date(2026, 11, 4), date(2026, 11, 6)


def item(key: str, state: ItemState = ItemState.OPEN, **kw: object) -> ItemProgress:
    fields: dict[str, object] = {"issue": 10, "owned": True, "opened": date(2026, 11, 4)}
    fields.update(kw)
    return ItemProgress(key, state=state, **fields)  # type: ignore[arg-type]


def test_a_filed_postmortem_is_in_review_until_its_document_merges() -> None:
    assert lifecycle(FILED, None, [item("a")]) == (Stage("In review", FILED),)


def test_the_stages_follow_in_order_and_their_dates_never_go_back() -> None:
    items = [item("a"), item("b", opened=date(2026, 11, 5))]
    assert lifecycle(FILED, MERGED, items) == (
        Stage("In review", FILED),
        Stage("Reviewed", MERGED),
        Stage("Action items assigned", MERGED),  # opened before the merge: dated by it
    )
    done = [item("a", ItemState.DONE, closed=date(2026, 12, 1)),
            item("b", ItemState.WONT_DO, closed=date(2026, 11, 20))]  # fmt: skip
    stages = lifecycle(FILED, MERGED, done)
    assert stages[-1] == Stage("Complete", date(2026, 12, 1)) and status(stages) == "Complete"


def test_an_item_without_an_issue_or_a_person_holds_the_lifecycle_at_reviewed() -> None:
    assert status(lifecycle(FILED, MERGED, [item("a"), item("b", issue=None)])) == "Reviewed"
    assert status(lifecycle(FILED, MERGED, [item("a"), item("b", owned=False)])) == "Reviewed"
    assert status(lifecycle(FILED, MERGED, [])) == "Reviewed"


def test_a_reopened_item_takes_complete_back() -> None:
    closed = [item("a", ItemState.DONE, closed=date(2026, 11, 9))]
    assert status(lifecycle(FILED, MERGED, closed)) == "Complete"
    assert status(lifecycle(FILED, MERGED, [item("a", ItemState.OVERDUE)])) != "Complete"


def test_progress_reads_like_the_index_shows_it() -> None:
    states = [ItemState.DONE] * 5 + [ItemState.OVERDUE, ItemState.OPEN]
    progress = Progress.of(item(str(n), s) for n, s in enumerate(states))
    assert progress.text() == "5/7 done, 1 overdue"
    assert Progress.of([item("a", ItemState.WONT_DO)]).text() == "0/1 done, 1 won't do"
    assert Progress().text() == "no action items"


def test_index_json_keeps_the_document_data_and_reads_it_back() -> None:
    pm = Postmortem(
        title="Disk full", severity=Severity.SEV2, started=datetime(2025, 3, 1, 14, tzinfo=UTC),
        action_items=(
            ActionItem(key="AI-1", what="Alert on disk", owner="dave", priority=Priority.P1,
                       due=date(2025, 3, 29)),
            ActionItem(key="AI-2", what="Rewrite the runbook", owner="erin", priority=Priority.P2),
        ),
    )  # fmt: skip
    items = {
        "AI-1": item("AI-1", ItemState.DONE, issue=51, due=date(2025, 3, 29)),
        "AI-2": item("AI-2", ItemState.OVERDUE, issue=52, due=date(2025, 4, 28)),
    }
    stages = (Stage("In review", date(2025, 3, 2)), Stage("Reviewed", date(2025, 3, 4)))
    text = render_document(pm, tracking=Tracking(items, stages, "https://github.com/a/b/issues"))
    entry = entry_from_text("2025/x.md", text)
    record = json.loads(build_json([entry]))["documents"][0]
    assert [(i["issue"], i["due"], i["state"]) for i in record["action_items"]] == [
        (51, "2025-03-29", "done"),
        (52, "2025-04-28", "overdue"),
    ]
    assert record["status"] == "Reviewed" and record["progress"]["text"] == "1/2 done, 1 overdue"
    assert record["lifecycle"][-1] == {"stage": "Reviewed", "date": "2025-03-04"}
    # Intake rebuilds the index from index.json: nothing of another document is lost.
    (back,) = publish.entries_from_index(build_json([entry]))
    assert json.loads(build_json([back])) == json.loads(build_json([entry]))
