"""Action items filed by hand with the Action item issue form: followed like any other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from test_plan import FakeGitHub, FakeIssue

from pmbot.core import markers
from pmbot.core.config import default_config
from pmbot.core.model import Priority
from pmbot.flows.ladder import plan_sweep
from pmbot.flows.tracking import (
    ItemProblem,
    Step,
    TrackedItem,
    action_item_form,
    parse_pm_ref,
    read_items,
)
from pmbot.plan import AddLabels, CreateComment, UpdateBody, apply

CREATED = datetime(2026, 2, 1, 15, 30, tzinfo=UTC)


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


def hand_filed(number: int = 57, body: str | None = None, **reading: object) -> TrackedItem:
    return TrackedItem.from_issue(
        number=number,
        title="[Action item]: canary stage for checkout",
        body=form_body() if body is None else body,
        labels=["action-item"],
        created_at=CREATED,
        author="dave",
        **reading,  # type: ignore[arg-type]
    )


@dataclass
class Snapshot:
    """The IssueSnapshot fields read_items uses, rebuilt from the fake repository."""

    number: int
    body: str
    labels: list[str]
    assignees: list[str] = field(default_factory=list)
    title: str = "[Action item]: canary stage for checkout"
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    created_at: datetime = CREATED
    author: str = "dave"


def snapshots(gh: FakeGitHub) -> list[Snapshot]:
    return [Snapshot(n, i.body, i.labels, i.assignees, state=i.state) for n, i in gh.issues.items()]


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
    assert hand_filed(sla_days=fast).info.due == date(2026, 2, 11)


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


def test_an_issue_with_neither_marker_nor_form_is_a_problem_as_before() -> None:
    with pytest.raises(ItemProblem, match="no readable pmbot:item marker") as caught:
        TrackedItem.from_issue(number=7, title="x", body="Please fix the canary.")
    assert caught.value.number == 7
    assert "issue #7" in str(caught.value)


def test_a_broken_marker_is_not_read_as_a_form() -> None:
    body = form_body() + "\n\n<!-- pmbot:item {broken} -->"
    with pytest.raises(ItemProblem, match="no readable pmbot:item marker"):
        hand_filed(body=body)


def test_read_items_reports_a_bad_hand_filed_item_and_keeps_the_rest() -> None:
    good = Snapshot(1, form_body(), ["action-item"])
    bad = Snapshot(2, form_body(priority="urgent-ish"), ["action-item"])
    items, problems = read_items([good, bad])
    assert [i.number for i in items] == [1]
    assert [p.number for p in problems] == [2]
    assert "[priority]" in problems[0].render()


# --- the sweep follows it ---------------------------------------------------------------------


def test_the_sweep_follows_a_hand_filed_item_and_a_rerun_changes_nothing() -> None:
    gh, config = FakeGitHub(), default_config()
    gh.issues[57] = FakeIssue(body=form_body(), labels=["action-item"])
    now = datetime(2026, 3, 3, 6, tzinfo=UTC)  # two days past 2026-03-01
    [item], problems = read_items(snapshots(gh))
    assert not problems

    plan = plan_sweep([item], now, config)
    [comment] = [a for a in plan.actions if isinstance(a, CreateComment)]
    assert comment.issue == 57 and comment.body.startswith("@alice, ")
    assert "postmortem #12" in comment.body and "2 days overdue" in comment.body
    assert markers.find(comment.body, "reminder") == {
        "item": 57,
        "step": "overdue",
        "at": "2026-03-03T06:00:00Z",
    }
    assert AddLabels(57, ("overdue",), urgency=comment.urgency) in plan.actions
    [update] = [a for a in plan.actions if isinstance(a, UpdateBody)]
    follow = markers.find(update.body, "follow")
    assert follow is not None and follow["step"] == "overdue" and follow["due"] == "2026-03-01"
    assert not markers.has(update.body, "item")  # the form stays what people edit
    assert update.body.startswith(form_body())

    apply(plan, gh, dry_run=False, log=lambda _: None)
    [again], _ = read_items(snapshots(gh))
    assert again.info == item.info  # the follow marker does not disturb the form answers
    assert again.follow.step is Step.OVERDUE and again.follow.due == date(2026, 3, 1)
    assert not plan_sweep([again], now, config)
    assert not plan_sweep([again], now + timedelta(days=1), config)  # repeats wait a week
    assert gh.issues[57].labels == ["action-item", "overdue"]
    assert len(gh.issues[57].comments) == 1
