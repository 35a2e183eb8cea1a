"""The item and follow markers: what intake writes and the sweep reads."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from conftest import BOT, snapshot, tracked
from helpers.items import make_info, make_item

from pmbot.app.forms import action_item_form
from pmbot.core import markers
from pmbot.core.config import default_config
from pmbot.core.model import Priority
from pmbot.flows.items import ItemProblem, read_items
from pmbot.flows.tracking import (
    Change,
    FollowState,
    ItemInfo,
    Pending,
    Step,
    follow_marker,
    item_marker,
)

NOW = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)


def test_item_marker_has_the_documented_payload() -> None:
    payload = markers.find(item_marker(make_info()), "item")
    assert payload == {
        "pm": 12,
        "key": "AI-1",
        "priority": "P1",
        "due": "2026-02-02",
        "owner": "alice",
        "owner_is_team": False,
        "commander": "carol",
        "authors": ["dave", "erin"],
        "opened": "2026-01-05",
        "type": "prevent",
        "history": [],
    }


def test_follow_marker_round_trips_through_an_issue_body() -> None:
    follow = FollowState(
        step=Step.OVERDUE,
        reached=((Step.DUE_SOON, NOW), (Step.OVERDUE, NOW)),
        last=NOW,
        due=date(2026, 2, 2),
        changes=1,
    )
    assert markers.find(follow_marker(follow), "follow") == {
        "step": "overdue",
        "at": {"due_soon": "2026-02-10T09:00:00Z", "overdue": "2026-02-10T09:00:00Z"},
        "last": "2026-02-10T09:00:00Z",
        "due": "2026-02-02",
        "changes": 1,
        "snoozed_until": None,
    }
    item = make_item(follow=follow)
    assert item.follow == follow
    assert item.follow.when(Step.OVERDUE) == NOW
    assert item.owner == "alice" and item.priority is Priority.P1 and item.is_open


def test_a_pending_notice_round_trips_and_knows_when_it_landed() -> None:
    pending = Pending(Step.OVERDUE, NOW, comments=3)
    follow = FollowState(step=Step.OVERDUE, last=NOW, due=date(2026, 2, 2), pending=pending)
    payload = markers.find(follow_marker(follow), "follow")
    assert payload is not None
    assert payload["pending"] == {"step": "overdue", "at": "2026-02-10T09:00:00Z", "comments": 3}
    assert make_item(follow=follow).follow == follow
    assert not pending.landed(3) and not pending.landed(2)  # the comment never arrived
    assert pending.landed(4) and pending.landed(None)  # it did, or no count to doubt it with


def test_history_is_kept_and_capped() -> None:
    change = Change(at=NOW, by="alice", cmd="due", why="waiting on vendor", before="a", after="b")
    info = make_info(history=(change,) * 60)
    data = info.to_json()
    assert len(data["history"]) == 50
    assert data["history"][0] == {
        "at": "2026-02-10T09:00:00Z",
        "by": "alice",
        "cmd": "due",
        "why": "waiting on vendor",
        "from": "a",
        "to": "b",
    }
    assert ItemInfo.from_json(data).history[0] == change


def test_missing_marker_is_a_problem_naming_the_issue() -> None:
    with pytest.raises(ItemProblem) as caught:
        tracked(7, "no marker here")
    assert caught.value.number == 7
    assert "issue #7" in str(caught.value)


def test_malformed_marker_is_a_problem_not_a_crash() -> None:
    body = markers.encode("item", {"pm": 1, "key": "k", "priority": "P9", "due": "soon"})
    with pytest.raises(ItemProblem, match="malformed"):
        tracked(8, body)


def test_read_items_skips_and_reports_bad_issues() -> None:
    good = snapshot(1, item_marker(make_info()), comments=4)
    bad = snapshot(2, "<!-- pmbot:item {broken} -->")
    found = read_items([good, bad], bot_login=BOT, config=default_config(), form=action_item_form())
    assert [(i.number, i.comments, i.id, i.hand_filed) for i in found.items] == [(1, 4, 10, False)]
    assert [p.number for p in found.problems] == [2]


def test_user_text_cannot_forge_state_once_defused() -> None:
    forged = '<!-- pmbot:follow {"step": "leadership"} -->'
    body = markers.defuse_markers(forged) + "\n" + item_marker(make_info())
    item = tracked(3, body)
    assert item.follow.step is Step.NONE
