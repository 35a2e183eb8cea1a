"""A notice costs one write, and each is said exactly once (issue 10 §8), over real HTTP.

A notice is its comment alone, carrying the follow state it leads to; a notice whose labels
change is recorded in the body with them (one PATCH) before it is posted. The fixture below
has every kind of write the ladder makes: a notice alone, a notice recorded with its labels
and then posted, and a label change without a notice (the body catching up in the same PATCH).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import REPO
from test_sweep_github import (
    DUE,
    OWNER,
    READ_CONSTANT,
    WRITE_METHODS,
    Repo,
    at,
    day,
    make_repo,
    sweep_counted,
    ticking,
)

from pmbot.flows.tracking import FollowState, Step
from pmbot.github.client import GitHub
from pmbot.github.transport import Transport
from pmbot.sandbox import Sandbox

COMMENTS_PAGE = "GET /repos/{owner}/{repo}/issues/comments"
ONE_ISSUES_COMMENTS = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"


def d(n: int) -> timedelta:
    return timedelta(days=n)


def mix(repo: Repo) -> dict[str, int]:
    """One item of each kind the sweep meets at day(0), by name."""
    late30, late3, moved = DUE - d(30), DUE - d(3), DUE - d(10)
    commander = FollowState(
        Step.COMMANDER,
        ((Step.OVERDUE, at(late30)), (Step.COMMANDER, at(late30 + d(7)))),
        at(DUE - d(2)),
        late30,
    )
    overdue = FollowState(Step.OVERDUE, ((Step.OVERDUE, at(late3)),), at(late3), late3)
    climbed = FollowState(Step.COMMANDER, ((Step.COMMANDER, at(moved + d(7))),), None, moved)
    late_labels = ("overdue", "escalated")
    return {
        # notices alone (1 write each)
        "soon": repo.item("AI-1", due=DUE + d(2)),
        "unowned": repo.item("AI-2", owner=None, due=DUE + d(60)),
        "leadership": repo.item("AI-3", due=late30, follow=commander, labels=late_labels),
        "repeat": repo.item("AI-4", priority="P0", due=late3, follow=overdue, labels=("overdue",)),
        # notices whose labels change: recorded with them, then posted (2 writes each)
        "today": repo.item("AI-5", due=DUE),
        "escalates": repo.item("AI-6", due=DUE - d(8)),
        # a later due date: the labels come off, no notice (1 write)
        "moved": repo.item("AI-7", due=DUE + d(30), follow=climbed, labels=late_labels),
    }


NOTICES = {
    "soon": ["due_soon"],
    "unowned": ["unowned"],
    "leadership": ["leadership"],
    "repeat": ["overdue"],
    "today": ["overdue"],
    "escalates": ["commander"],
    "moved": [],
}
WRITES = 6 + 2 + 1  # six notices, two of them recorded with their labels, one label change


@pytest.fixture
def repo(sandbox: Sandbox, tmp_path: Path) -> Iterator[Repo]:
    yield make_repo(sandbox, tmp_path)


def outcome(repo: Repo, items: dict[str, int]) -> dict[str, Any]:
    """What people see: each item's comments (text and all) and labels, and its state."""
    return {
        name: (repo.texts(n), sorted(repo.labels(n)), repo.follow(n)) for name, n in items.items()
    }


def test_a_notice_costs_one_write_unless_its_labels_change(repo: Repo) -> None:
    items = mix(repo)
    code, writes, _ = sweep_counted(repo, day(0))
    assert code == 0
    assert {name: repo.steps(n) for name, n in items.items()} == NOTICES
    notices = sum(len(steps) for steps in NOTICES.values())
    by_endpoint = repo.sb.counters.by_endpoint
    assert by_endpoint["POST /repos/{owner}/{repo}/issues/{issue_number}/comments"] == notices
    assert by_endpoint["PATCH /repos/{owner}/{repo}/issues/{issue_number}"] == 3  # no more
    assert writes == WRITES == notices + 3  # was 2 per notice, plus a request per label change
    # the notices alone did not touch the body: their comment carries the state
    for name in ("soon", "unowned", "leadership", "repeat"):
        assert "pending" not in repo.follow(items[name])
        assert repo.follow(items[name])["last"] == "2026-03-02T06:00:00Z"
    assert {"overdue", "escalated"} <= repo.labels(items["escalates"])
    assert not {"overdue", "escalated"} & repo.labels(items["moved"])
    assert sweep_counted(repo, day(0))[1] == 0  # a rerun writes nothing …
    assert sweep_counted(repo, day(1))[1] == 0  # … nor does the next day's sweep


def test_a_rerun_finds_the_state_in_one_page_of_the_repositorys_comments(repo: Repo) -> None:
    items = mix(repo)
    repo.sweep(day(0))
    bodies = {n: repo.sb.state.issues[n].body for n in items.values()}
    code, writes, reads = sweep_counted(repo, day(1))
    assert (code, writes) == (0, 0)
    by_endpoint = repo.sb.counters.by_endpoint
    assert by_endpoint[COMMENTS_PAGE] == 1  # newest first: each item's newest notice is there
    assert ONE_ISSUES_COMMENTS not in by_endpoint  # not one read per item
    assert reads <= 1 + READ_CONSTANT + 1  # the items, the constant, that page
    assert {n: repo.sb.state.issues[n].body for n in items.values()} == bodies


class Killed(BaseException):
    """The runner dying mid-run (not an Exception: nothing in pmbot may swallow it)."""


def kill_after(monkeypatch: pytest.MonkeyPatch, writes: int) -> None:
    """Every adapter dies right after its `writes`-th write reached GitHub (answer and all)."""
    real = Transport.call
    count = itertools.count(1)

    def dying(self: Transport, method: str, *args: Any, **kwargs: Any) -> Any:
        answer = real(self, method, *args, **kwargs)
        if method in WRITE_METHODS and next(count) == writes:
            raise Killed
        return answer

    monkeypatch.setattr(Transport, "call", dying)


def uninterrupted(tmp_path: Path) -> dict[str, Any]:
    tmp_path.mkdir()
    with Sandbox(repo=REPO) as sb:
        repo = make_repo(sb, tmp_path)
        items = mix(repo)
        assert repo.sweep(day(0)) == 0
        return outcome(repo, items)


@pytest.mark.parametrize("after", range(1, WRITES + 1))
def test_a_run_killed_after_any_write_and_rerun_says_each_notice_once(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    items = mix(repo)
    with monkeypatch.context() as patch:
        kill_after(patch, after)
        with pytest.raises(Killed):
            repo.sweep(day(0))
    assert repo.sweep(day(0)) == 0
    assert {name: repo.steps(n) for name, n in items.items()} == NOTICES  # each one, once
    assert outcome(repo, items) == uninterrupted(tmp_path / "clean")
    assert sweep_counted(repo, day(0))[1] == 0
    assert sweep_counted(repo, day(1))[1] == 0


def test_a_label_a_person_adds_between_the_read_and_the_write_is_kept(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Setting labels in the body's PATCH replaces the whole set: the sweep merges it from
    the labels it read, and the conditional read before the write sees a change since."""
    ticking(repo.sb, day(0) - timedelta(hours=1))
    number = repo.item(due=DUE)
    repo.sb.state.seed_user("mia", association="MEMBER", permission="maintain", token="mia-t")
    listed = GitHub.list_issues
    added: list[int] = []

    def list_then_label(gh: GitHub, *args: Any, **kw: Any) -> Any:
        found = listed(gh, *args, **kw)
        if not added and "action-item" in (kw.get("labels") or ()):
            url = f"{repo.sb.base_url}/repos/{REPO}/issues/{number}/labels"
            answer = requests.post(
                url, json={"labels": ["customer-facing"]}, timeout=10,
                headers={"Authorization": "token mia-t"},
            )  # fmt: skip
            added.append(answer.status_code)
        return found

    monkeypatch.setattr(GitHub, "list_issues", list_then_label)
    assert repo.sweep(day(0)) == 0 and added == [200]
    assert repo.labels(number) == {"action-item", "P1", "customer-facing", "overdue"}
    assert repo.steps(number) == ["overdue"]  # planned again from what it holds: said once
    monkeypatch.setattr(GitHub, "list_issues", listed)
    assert sweep_counted(repo, day(0))[1] == 0
    assert OWNER in repo.texts(number)[0]
