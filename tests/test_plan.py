"""Plans: describe, budget, and the one place writes happen."""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import pytest
from helpers.fake_github import FakeGitHub, FakeIssue

from pmbot.core.model import Priority
from pmbot.github.client import GitHub
from pmbot.plan import (
    FIRST,
    AddLabels,
    CreateComment,
    CreateIssue,
    CreateSubIssue,
    EnsureLabels,
    Plan,
    RemoveLabel,
    SetAssignees,
    SetState,
    UpdateBody,
    UpsertComment,
    Writer,
    apply,
    share_budget,
    trim_to_budget,
    urgency,
)


def item_plan(issue: int, priority: Priority, late: int) -> Plan:
    rank = urgency(priority, late, issue)
    return Plan(
        (
            CreateComment(issue, f"reminder for {issue}", urgency=rank),
            AddLabels(issue, ("overdue",), urgency=rank),
            UpdateBody(issue, "state", urgency=rank),
        )
    )


def three_items() -> Plan:
    return (
        item_plan(1, Priority.P1, 0) + item_plan(2, Priority.P1, 0) + item_plan(3, Priority.P1, 0)
    )


def test_every_action_describes_itself_in_one_line() -> None:
    actions = [
        CreateComment(1, "hello\nthere"),
        UpsertComment(1, "review", "body"),
        UpdateBody(1, "b", why="record overdue notice"),
        AddLabels(1, ("overdue", "escalated")),
        RemoveLabel(1, "overdue"),
        SetState(1, "closed", "not_planned"),
        SetAssignees(1, ("bob",)),
        CreateIssue(12, title="Canary stage", body="b", marker="m"),
    ]
    assert [a.describe() for a in actions] == [
        "comment on #1: hello there",
        "update review comment on #1: body",
        "edit body of #1: record overdue notice",
        "label #1: + overdue, escalated",
        "label #1: - overdue",
        "close #1 as not_planned",
        "assign #1 to bob",
        "create issue for #12: Canary stage",
    ]
    assert Plan(tuple(actions)).writes == 8


def test_budget_keeps_whole_items_most_urgent_first() -> None:
    plan = (
        item_plan(30, Priority.P3, late=40)
        + item_plan(10, Priority.P1, late=2)
        + item_plan(20, Priority.P0, late=1)
        + item_plan(11, Priority.P1, late=9)
    )
    kept, deferred = trim_to_budget(plan, max_writes=7)
    # P0 first, then the P1 that is 9 days late; the rest does not fit whole.
    assert list(kept.by_issue()) == [20, 11]
    assert list(deferred.by_issue()) == [10, 30]
    assert kept.writes == 6 and deferred.writes == 6
    assert kept.notes == ("deferred 6 writes to the next run (budget 7)",)


def test_one_budget_shared_by_several_plans_most_urgent_first() -> None:
    """An organisation's run: repositories' plans share the run's budget by urgency, each
    within its own cap; trimming each plan to its share keeps exactly the shared items."""
    plans = {
        "acme/web": item_plan(1, Priority.P2, late=0) + item_plan(2, Priority.P1, late=3),
        "acme/api": item_plan(1, Priority.P0, late=1) + item_plan(2, Priority.P1, late=9),
        "acme/docs": item_plan(5, Priority.P0, late=0) + item_plan(6, Priority.P0, late=0),
    }
    shares = share_budget(plans, max_writes=12, caps={"acme/docs": 3})
    # P0 api#1 (3), docs#5 (3; docs' cap then stops docs#6), P1 api#2 9 days late (3),
    # P1 web#2 (3): the budget is spent, web#1 (P2) waits
    assert shares == {"acme/web": 3, "acme/api": 6, "acme/docs": 3}
    kept = {name: trim_to_budget(plan, shares[name])[0] for name, plan in plans.items()}
    assert list(kept["acme/web"].by_issue()) == [2]
    assert list(kept["acme/api"].by_issue()) == [1, 2]
    assert list(kept["acme/docs"].by_issue()) == [5]
    assert share_budget(plans, max_writes=2, caps={}) == dict.fromkeys(plans, 0)


def test_budget_that_fits_everything_defers_nothing() -> None:
    plan = item_plan(1, Priority.P2, late=0)
    kept, deferred = trim_to_budget(plan, max_writes=100)
    assert kept.actions == plan.actions and not deferred and not kept.notes


def test_dry_run_prints_grouped_by_item_and_writes_nothing() -> None:
    gh, log = FakeGitHub(), list[str]()
    plan = item_plan(1, Priority.P1, 0) + item_plan(2, Priority.P2, 0)
    result = apply(plan, gh, dry_run=True, log=log.append)
    assert gh.calls == [] and result.writes == 0
    assert log == [
        "#1",
        "  - comment on #1: reminder for 1",
        "  - label #1: + overdue",
        "  - edit body of #1: update state marker",
        "#2",
        "  - comment on #2: reminder for 2",
        "  - label #2: + overdue",
        "  - edit body of #2: update state marker",
    ]
    assert len(result.applied) == 6


def test_one_failing_item_is_reported_and_the_rest_continue() -> None:
    gh, log = FakeGitHub(), list[str]()
    gh.failing = {2}
    plan = (
        item_plan(1, Priority.P1, 0) + item_plan(2, Priority.P1, 0) + item_plan(3, Priority.P1, 0)
    )
    result = apply(plan, gh, dry_run=False, log=log.append)
    assert result.writes == 6
    assert [(f.issue, f.error) for f in result.failed] == [
        (2, "GitHubError: input: issue 2 was deleted Fix: see the message above")
    ]
    assert gh.issues[3].labels == ["overdue"] and gh.issues[3].body == "state"
    assert any("#2: failed to comment on #2" in line for line in log)


def test_a_bug_in_pmbot_stops_the_run_instead_of_passing_as_a_failed_item() -> None:
    class Broken(FakeGitHub):
        def add_labels(self, number: int, labels: Sequence[str]) -> None:
            raise AttributeError("'Broken' object has no attribute 'labels_for'")

    with pytest.raises(AttributeError):
        apply(item_plan(1, Priority.P1, 0), Broken(), dry_run=False, log=lambda _: None)


def test_each_new_sub_issue_is_an_item_of_its_own_for_the_budget() -> None:
    creates = tuple(
        CreateSubIssue(
            7, key=f"A{n}", title="t", body="b", marker=f"m{n}", urgency=urgency(p, 0, 7)
        )
        for n, p in ((1, Priority.P3), (2, Priority.P0), (3, Priority.P1))
    )
    plan = Plan((EnsureLabels(0, specs=(), urgency=FIRST), *creates))
    kept, deferred = trim_to_budget(plan, max_writes=4)
    assert [a.describe().split(" as ")[0] for a in kept.actions] == [
        "ensure labels exist: ",
        "create action item A2",
        "create action item A3",
    ]
    assert [a.item for a in deferred.actions] == [(7, "A1")]
    assert list(plan.by_issue()) == [0, 7]  # the dry run still shows them under #7


def test_stops_cleanly_below_the_rate_limit_floor() -> None:
    gh, log = FakeGitHub(), list[str]()
    left = iter([60, 55, 40])
    plan = (
        item_plan(1, Priority.P1, 0) + item_plan(2, Priority.P1, 0) + item_plan(3, Priority.P1, 0)
    )
    result = apply(plan, gh, dry_run=False, log=log.append, remaining=lambda: next(left), floor=50)
    assert result.stopped_at_floor and result.skipped == (3,)
    assert (result.writes, result.planned_writes) == (6, 9)
    assert set(gh.issues) == {1, 2}
    assert "below the floor of 50" in log[-1]


def test_apply_performs_each_kind_of_write() -> None:
    gh = FakeGitHub()
    gh.issues[5] = FakeIssue(labels=["overdue"])
    plan = Plan(
        (
            RemoveLabel(5, "overdue"),
            SetState(5, "closed", "not_planned"),
            SetAssignees(5, ("bob",)),
            UpsertComment(5, "audit", "<!-- pmbot:audit {} -->"),
            UpsertComment(5, "audit", '<!-- pmbot:audit {"v":2} -->'),
            CreateIssue(0, title="t", body="new", marker="m", labels=("action-item",)),
        )
    )
    result = apply(plan, gh, dry_run=False, log=lambda _: None)
    assert result.writes == 6 and not result.failed
    issue = gh.issues[5]
    assert (issue.labels, issue.state, issue.state_reason) == ([], "closed", "not_planned")
    assert issue.assignees == ["bob"] and len(issue.comments) == 1
    assert gh.issues[6].body == "new"


def test_the_real_adapter_has_every_writer_method_with_the_same_parameters() -> None:
    # mypy checks the types wherever a plan is applied with the adapter; this checks the
    # parameter names too (a keyword call to a renamed parameter would pass mypy's check of
    # the protocol but fail at run time).
    methods = [n for n, v in vars(Writer).items() if callable(v) and not n.startswith("_")]
    assert len(methods) == 15
    for name in methods:
        ours = list(inspect.signature(getattr(Writer, name)).parameters)
        assert ours == list(inspect.signature(getattr(GitHub, name)).parameters), name
