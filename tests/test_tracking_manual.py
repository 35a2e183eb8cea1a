"""Action items filed by hand with the Action item issue form: followed like any other."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import BOT, FILED, snapshot, tracked
from helpers.fake_github import FakeGitHub, FakeIssue

from pmbot.app.forms import action_item_form
from pmbot.core import markers
from pmbot.core.config import Config, default_config
from pmbot.core.model import Priority
from pmbot.flows.hand_filed import parse_pm_ref, set_due, set_owner
from pmbot.flows.items import ItemProblem, ItemsRead, TrackedItem, read_items, with_comments
from pmbot.flows.ladder import plan_sweep
from pmbot.flows.tracking import Step
from pmbot.github.models import CommentSnapshot, IssueSnapshot
from pmbot.plan import AddLabels, CreateComment, UpdateBody, apply

CREATED = FILED

FORM = action_item_form()


def form_body(
    *,
    owner: str = "@alice",
    priority: str = "P1",
    due: str = "_No response_",
    item_type: str = "prevent",
    postmortem: str = "#12",
    newline: str = "\n",
) -> str:
    """A body exactly as GitHub renders a submitted action-item form."""
    sections = [
        ("What", "Add a canary stage to the checkout deploy that halts on a 1% error rate."),
        ("Owner", owner),
        ("Priority", priority),
        ("Due date", due),
        ("Type", item_type),
        ("Success criteria", "A bad deploy in staging is halted by the canary within 5 minutes."),
        ("Postmortem", postmortem),
        ("Contributing factor", "CF2"),
    ]
    return (newline * 2).join(f"### {label}{newline}{newline}{value}" for label, value in sections)


def line_of(body: str, text: str) -> int:
    return body.split("\n").index(text) + 1


HAND = {
    "title": "[Action item]: canary stage for checkout",
    "labels": ("action-item",),
    "author": "dave",
    "author_association": "MEMBER",
}


def filed(number: int = 57, body: str | None = None, **fields: object) -> IssueSnapshot:
    """A hand-filed item, as the adapter hands it over."""
    return snapshot(number, form_body() if body is None else body, **{**HAND, **fields})


def hand_filed(
    number: int = 57, body: str | None = None, config: Config | None = None, **fields: object
) -> TrackedItem:
    return tracked(number, form_body() if body is None else body, config, **{**HAND, **fields})


def with_sla(days: dict[Priority, int]) -> Config:
    return default_config().model_copy(update={"sla_days": days})


def bot_comments(texts: list[str]) -> list[CommentSnapshot]:
    """Comments pmbot wrote (as `BOT`), oldest first."""
    return [
        CommentSnapshot(
            id=n + 1,
            body=text,
            author=BOT,
            author_association="NONE",
            created_at=CREATED,
            updated_at=CREATED,
            html_url="",
        )
        for n, text in enumerate(texts)
    ]


# --- reading the form -----------------------------------------------------------------------


def test_a_hand_filed_form_is_tracked_with_the_sla_due_date() -> None:
    item = hand_filed()
    info = item.info
    assert info.pm == 12
    assert info.key == "manual-57"
    assert info.priority is Priority.P1
    assert info.opened == date(2026, 2, 1)
    assert info.due == date(2026, 3, 1)  # P1: 28 days (the shipped SLA) after it was filed
    assert (info.owner, info.owner_is_team) == ("alice", False)
    assert info.type == "prevent"
    assert info.authors == ("dave",)  # who filed it is asked when it has no owner
    assert info.commander is None and info.history == ()
    assert item.follow.step is Step.NONE and item.labels == ("action-item",)


def test_explicit_due_link_crlf_team_and_configured_sla() -> None:
    body = form_body(
        owner="@acme/payments",
        due="2026-04-15",
        postmortem="https://github.com/acme/shop/issues/31",
        newline="\r\n",
    )
    item = hand_filed(body=body)
    assert item.info.pm == 31
    assert item.info.due == date(2026, 4, 15)  # an explicit date wins over the SLA
    assert (item.info.owner, item.info.owner_is_team) == ("acme/payments", True)
    fast = {Priority.P0: 7, Priority.P1: 10, Priority.P2: 20, Priority.P3: 30}
    assert hand_filed(config=with_sla(fast)).info.due == date(2026, 2, 11)


def test_owner_left_blank_falls_back_to_the_first_assignee_or_none() -> None:
    body = form_body(owner="_No response_", item_type="_No response_")
    assigned = hand_filed(body=body, assignees=["bob", "carol"])
    assert assigned.info.owner == "bob" and assigned.info.type is None
    assert hand_filed(body=body).info.owner is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("#12", 12),
        ("12", 12),
        (" `#7` ", 7),
        ("https://github.com/acme/shop/issues/31", 31),
        ("https://ghe.example.com/acme/shop/issues/31#issuecomment-9", 31),
    ],
)
def test_postmortem_references(text: str, number: int) -> None:
    assert parse_pm_ref(text) == number


def test_the_form_is_loaded_once() -> None:
    assert action_item_form() is action_item_form()
    assert [f.id for f in action_item_form().fields][:3] == ["what", "owner", "priority"]


# --- problems ---------------------------------------------------------------------------------


def test_a_bad_priority_is_a_problem_naming_the_field_and_its_line() -> None:
    body = form_body(priority="P7")
    with pytest.raises(ItemProblem) as caught:
        hand_filed(body=body)
    assert caught.value.number == 57
    [problem] = caught.value.problems
    assert "[priority]" in problem.field and "issue #57" in problem.field
    assert problem.line == line_of(body, "P7")
    assert "'P7' is not a priority" in problem.message
    assert "P0" in problem.fix
    assert "line" in caught.value.render()


def test_every_unusable_answer_is_reported_at_once() -> None:
    body = form_body(priority="_No response_", due="next week", postmortem="the big outage")
    with pytest.raises(ItemProblem) as caught:
        hand_filed(body=body)
    fields = [p.field.rsplit("[", 1)[-1].rstrip("]") for p in caught.value.problems]
    assert sorted(fields) == ["due", "postmortem", "priority"]
    due = next(p for p in caught.value.problems if "[due]" in p.field)
    assert due.line == line_of(body, "next week")


def test_an_issue_with_neither_marker_nor_form_is_a_problem() -> None:
    with pytest.raises(ItemProblem, match="neither pmbot's item nor an Action item form") as got:
        hand_filed(7, body="Please fix the canary.")
    assert got.value.number == 7
    assert "issue #7" in str(got.value)
    with pytest.raises(ItemProblem, match="no readable pmbot:item marker"):
        tracked(7, "Please fix the canary.")  # pmbot's own issue without its marker


def test_markers_in_a_hand_filed_body_are_never_believed() -> None:
    forged_item = markers.encode(
        "item",
        {"pm": 1, "key": "AI-1", "priority": "P3", "due": "2100-01-01", "opened": "2026-01-01"},
    )
    forged_follow = '<!-- pmbot:follow {"snoozed_until":"2100-01-01"} -->'
    body = f"{form_body()}\n\n{forged_item}\n{forged_follow}"
    item = hand_filed(body=body)
    assert item.hand_filed and item.info.key == "manual-57" and item.info.pm == 12
    assert item.info.due == date(2026, 3, 1) and item.info.priority is Priority.P1
    assert item.follow.snoozed_until is None and item.follow.step is Step.NONE
    # the same pasted into a comment by anyone but pmbot is not believed either
    forged = CommentSnapshot(
        id=1, body=forged_follow, author="dave", author_association="MEMBER",
        created_at=CREATED, updated_at=CREATED, html_url="",
    )  # fmt: skip
    assert with_comments(item, [forged], BOT).follow.snoozed_until is None


def test_read_items_reports_a_bad_hand_filed_item_and_keeps_the_rest() -> None:
    good, bad = filed(1), filed(2, form_body(priority="urgent-ish"))
    found = read_items([good, bad], bot_login=BOT, config=default_config(), form=action_item_form())
    assert [i.number for i in found.items] == [1]
    assert [p.number for p in found.problems] == [2]
    assert "[priority]" in found.problems[0].render()


def test_an_outsiders_item_is_not_followed() -> None:
    outsider = filed(3, author="mallory", author_association="NONE")
    ours = snapshot(4, "", author=BOT, author_association="NONE")  # pmbot's own: always read
    found = read_items(
        [outsider, ours], bot_login=BOT, config=default_config(), form=action_item_form()
    )
    assert [i.number for i in found.not_followed] == [3]
    assert [p.number for p in found.problems] == [4]  # read, and found without its marker
    app = filed(5, author="renovate[bot]", author_association="NONE")
    found = read_items([app], bot_login=BOT, config=default_config(), form=action_item_form())
    assert found == ItemsRead()  # another app's issue: no form was filed, nobody to thank


def test_commands_rewrite_only_their_answer_of_the_form() -> None:
    body = form_body(newline="\r\n")
    moved = set_owner(FORM, set_due(FORM, body, date(2026, 4, 15)), "bob")
    assert moved == form_body(owner="@bob", due="2026-04-15")
    item = hand_filed(body=moved)
    assert (item.info.due, item.info.owner) == (date(2026, 4, 15), "bob")
    forged = '<!-- pmbot:follow {"snoozed_until":"2100-01-01"} -->'
    hidden = form_body(due=f"{forged}\n2026-03-09")  # a marker above the answer is not it
    assert hand_filed(body=set_due(FORM, hidden, date(2026, 4, 15))).info.due == date(2026, 4, 15)
    assert forged in set_due(
        action_item_form(), hidden, date(2026, 4, 15)
    )  # and pmbot deletes nobody's text
    missing = "### Priority\n\nP2\n\n### Postmortem\n\n#3"
    assert hand_filed(body=set_due(FORM, missing, date(2026, 5, 1))).info.due == date(2026, 5, 1)


# --- the sweep follows it ---------------------------------------------------------------------


def reread(gh: FakeGitHub, number: int) -> TrackedItem:
    """The item as the sweep reads it: the issue, then pmbot's comments on it."""
    issue = gh.issues[number]
    item = hand_filed(number, issue.body, labels=issue.labels, comments=len(issue.comments))
    return with_comments(item, bot_comments(issue.comments), BOT)


def test_the_sweep_follows_a_hand_filed_item_and_a_rerun_changes_nothing() -> None:
    gh, config = FakeGitHub(), default_config()
    gh.issues[57] = FakeIssue(body=form_body(), labels=["action-item"])
    now = datetime(2026, 3, 3, 6, tzinfo=UTC)  # two days past 2026-03-01
    item = reread(gh, 57)

    plan = plan_sweep([item], now, config)
    [comment] = [a for a in plan.actions if isinstance(a, CreateComment)]
    assert comment.issue == 57 and comment.body.startswith("@alice, ")
    assert "postmortem #12" in comment.body and "2 days overdue" in comment.body
    assert markers.find(comment.body, "reminder") == {
        "item": 57,
        "step": "overdue",
        "at": "2026-03-03T06:00:00Z",
    }
    follow = markers.find(comment.body, "follow")  # the notice carries the state: one write
    assert follow is not None and follow["step"] == "overdue" and follow["due"] == "2026-03-01"
    assert AddLabels(57, ("overdue",), urgency=comment.urgency) in plan.actions
    assert not [a for a in plan.actions if isinstance(a, UpdateBody)]  # the form is untouched

    apply(plan, gh, dry_run=False, log=lambda _: None)
    assert gh.issues[57].body == form_body()
    again = reread(gh, 57)
    assert again.info == item.info
    assert again.follow.step is Step.OVERDUE and again.follow.due == date(2026, 3, 1)
    assert not plan_sweep([again], now, config)
    assert not plan_sweep([again], now + timedelta(days=1), config)  # repeats wait a week
    assert gh.issues[57].labels == ["action-item", "overdue"]
    assert len(gh.issues[57].comments) == 1
    later = plan_sweep([again], now + timedelta(days=7), config)
    assert [a.issue for a in later.actions if isinstance(a, CreateComment)] == [57]
