"""Owner commands: who may, what each does, and the audit trail it leaves."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from conftest import tracked
from helpers.fake_github import FakeGitHub, FakeIssue
from helpers.items import make_item

from pmbot.core import markers
from pmbot.core.config import default_config
from pmbot.flows.items import TrackedItem
from pmbot.flows.owner_commands import (
    Command,
    Invalid,
    Invocation,
    parse_command,
    plan_command,
    sanitize,
)
from pmbot.flows.tracking import FollowState, Step
from pmbot.plan import Plan, apply

NOW = datetime(2026, 2, 10, 9, 30, tzinfo=UTC)  # the item was due 2026-02-02: 8 days late
LATE = FollowState(step=Step.COMMANDER, last=NOW, due=date(2026, 2, 2), changes=0)


def late_item() -> TrackedItem:
    return make_item(due=date(2026, 2, 2), follow=LATE, labels=("P1", "overdue", "escalated"))


def run(
    comment: str, author: str = "alice", permission: str = "write", cid: int = 900
) -> tuple[Plan, FakeIssue, TrackedItem]:
    """Plan the command on the late item, apply it to a fake GitHub, and reread the item."""
    item = late_item()
    inv = Invocation(item=item, author=author, permission=permission, now=NOW, comment_id=cid)
    plan = plan_command(comment, inv, default_config())
    gh = FakeGitHub()
    gh.issues[item.number] = FakeIssue(body=item.body, labels=list(item.labels))
    apply(plan, gh, dry_run=False, log=lambda _: None)
    issue = gh.issues[item.number]
    after = tracked(item.number, issue.body)
    return plan, issue, after


def test_due_moves_the_date_restarts_the_ladder_and_records_who_when_why() -> None:
    plan, issue, item = run("Thanks!\n/pmbot due 2026-03-31 waiting on the vendor's fix")
    assert item.due == date(2026, 3, 31)
    assert item.follow == FollowState(due=date(2026, 3, 31), changes=1, seq=LATE.seq + 1)
    change = item.info.history[-1]
    assert (change.by, change.cmd, change.before, change.after) == (
        "alice",
        "due",
        "2026-02-02",
        "2026-03-31",
    )
    assert change.why == "waiting on the vendor's fix" and change.at == NOW
    assert issue.labels == ["P1"]
    assert issue.comments[0].startswith(
        "**Due date moved** from 2026-02-02 to 2026-03-31 by `@alice` on 2026-02-10 09:30 UTC."
        "\n\n> Reason: waiting on the vendor's fix"
    )
    assert [a.describe().split(":")[0] for a in plan.actions] == [
        "edit body of #101",
        "label #101",
        "label #101",
        "comment on #101",
    ]


def test_snooze_pauses_reminders_but_keeps_the_due_date() -> None:
    _, issue, item = run("/pmbot snooze 7d on call this week", author="carol")
    assert item.due == date(2026, 2, 2)
    assert item.follow.snoozed_until == datetime(2026, 2, 17, 9, 30, tzinfo=UTC)
    assert item.follow.step is Step.COMMANDER  # the ladder position is not forgotten
    assert issue.comments[0].startswith("**Reminders snoozed** for 7 days, until 2026-02-17")
    assert "by `@carol`" in issue.comments[0]


def test_owner_hands_over_and_pings_only_the_new_owner() -> None:
    _, issue, item = run("/pmbot owner @bob", permission="maintain", author="mia")
    assert item.owner == "bob" and not item.info.owner_is_team
    assert issue.assignees == ["bob"]
    assert issue.comments[0].startswith("**Owner changed** from `@alice` to @bob by `@mia`")
    assert item.info.history[-1].why is None  # a reason is optional for a handover


def test_owner_can_be_a_team_which_is_not_assigned() -> None:
    plan, _, item = run("/pmbot owner @acme/payments reorg")
    assert item.owner == "acme/payments" and item.info.owner_is_team
    assert not any(a.describe().startswith("assign") for a in plan.actions)


def test_wont_do_closes_as_not_planned_with_its_reason() -> None:
    _, issue, item = run("/pmbot wont-do superseded by the queue migration", author="CAROL")
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    assert "wont-do" in issue.labels
    assert issue.comments[0].startswith("**Closed as not planned** by `@CAROL`")
    assert item.info.history[-1].why == "superseded by the queue migration"


def test_others_get_a_short_explanation_and_nothing_changes() -> None:
    plan, issue, item = run("/pmbot due 2026-03-31 because", author="mallory", permission="write")
    assert item.due == date(2026, 2, 2) and len(plan.actions) == 1
    assert issue.comments[0].startswith(
        "Sorry `@mallory`, only this item's owner (`@alice`), its incident commander (`@carol`)"
        " or a repository maintainer can change it."
    )


def test_a_reason_is_required() -> None:
    for command in ("/pmbot due 2026-03-31", "/pmbot snooze 7d", "/pmbot wont-do"):
        plan, issue, item = run(command)
        assert len(plan.actions) == 1 and "needs a reason" in issue.comments[0]
        assert item.info.history == ()


def test_bad_syntax_gets_a_reply_naming_the_fix() -> None:
    replies = {
        "/pmbot due next-week slipped": "needs a date written YYYY-MM-DD and a reason",
        "/pmbot due 2026-02-30 slipped": "`2026-02-30` is not a real date",
        "/pmbot snooze 45d busy": "from 1d to 30d",
        "/pmbot owner <script>": "needs a GitHub user",
        "/pmbot delay 3 weeks": "`delay` is not a command I know. I understand `/pmbot due",
        "/pmbot due 2026-02-01 earlier please": "must be after today (2026-02-10)",
        "/pmbot due 2027-06-01 far": "more than a year away",
        "/pmbot owner alice": "`@alice` already owns this item",
    }
    for comment, expected in replies.items():
        _, issue, _ = run(comment)
        assert expected in issue.comments[0], comment
        assert markers.has(issue.comments[0], "reply")


def test_comments_without_a_command_and_redelivered_commands_plan_nothing() -> None:
    assert parse_command("I'll do it tomorrow, /pmbot is great") is None
    _, _, item = run("/pmbot snooze 3d travelling", cid=42)
    inv = Invocation(item=item, author="alice", permission="write", now=NOW, comment_id=42)
    assert not plan_command("/pmbot snooze 3d travelling", inv, default_config())


def test_parsed_commands() -> None:
    assert parse_command("/pmbot due 2026-03-31 slipped") == Command(
        "due", reason="slipped", due=date(2026, 3, 31)
    )
    assert parse_command("/pmbot SNOOZE 7D busy") == Command("snooze", reason="busy", days=7)
    assert parse_command("/pmbot owner bob") == Command("owner", owner="bob")
    assert isinstance(parse_command("/pmbot"), Invalid)


def test_hostile_reasons_are_defused_capped_and_ping_nobody() -> None:
    hostile = "cc @everyone @acme/all `x` <!-- pmbot:item {} --> " + "A" * 1000
    _, issue, item = run(f"/pmbot wont-do {hostile}")
    comment = issue.comments[0]
    assert "`@everyone`" in comment and "`@acme/all`" in comment
    assert " @everyone" not in comment.replace("`@everyone`", "")
    assert markers.find(issue.body, "item") is not None and item.info.key == "AI-1"
    assert "<!-- pmbot:item {} -->" not in comment
    why = item.info.history[-1].why or ""
    assert why.endswith("A…") and len(why.replace("`", "")) == 280  # capped, then quoted
    assert sanitize("a\n\nb   c") == "a b c"


def test_owner_who_cannot_be_assigned_is_refused_kindly_and_not_pinged() -> None:
    item = late_item()
    inv = Invocation(item, "alice", "write", NOW, 900, assignable=False)
    plan = plan_command("/pmbot owner @stranger handing over", inv, default_config())
    assert len(plan.actions) == 1  # a reply only: no marker change, no assignment
    body = plan.actions[0].body  # type: ignore[attr-defined]
    assert "I did not change the owner" in body and "`@stranger`" in body
    assert "collaborators" in body
    assert "@stranger" not in body.replace("`@stranger`", "")
    assignable = replace(inv, assignable=True)
    changed = plan_command("/pmbot owner @stranger handing over", assignable, default_config())
    assert len(changed.actions) == 3
