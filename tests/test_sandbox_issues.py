"""The sandbox through PyGithub: issues, labels, comments, assignees, sub-issues, users."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from github import Auth, Github, GithubException
from github.Repository import Repository

from pmbot.sandbox import Sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        yield sandbox


def client(sb: Sandbox, token: str = "any-token") -> Github:
    # no pacing and no retries: the tests want each request exactly once, at once
    return Github(
        base_url=sb.base_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


@pytest.fixture
def repo(sb: Sandbox) -> Repository:
    return client(sb).get_repo("acme/web")


def test_create_get_and_update_an_issue(sb: Sandbox, repo: Repository) -> None:
    sb.seed_user("alice", association="MEMBER")
    issue = repo.create_issue("SEV-2: checkout down", body="## Summary", labels=["postmortem"])
    assert issue.number == 1 and issue.id != issue.number
    assert issue.author_association == "OWNER" and issue.user.login == "acme"
    assert [lbl.name for lbl in issue.labels] == ["postmortem"]  # created on the fly
    issue.edit(title="SEV-1: checkout down", assignees=["alice"], labels=["postmortem", "sev-1"])
    again = repo.get_issue(1)
    assert again.title == "SEV-1: checkout down"
    assert [a.login for a in again.assignees] == ["alice"]
    assert {lbl.name for lbl in again.labels} == {"postmortem", "sev-1"}


def test_closing_records_the_state_reason(repo: Repository) -> None:
    issue = repo.create_issue("Add a canary")
    issue.edit(state="closed", state_reason="not_planned")
    closed = repo.get_issue(issue.number)
    assert (closed.state, closed.state_reason) == ("closed", "not_planned")
    assert closed.closed_at is not None
    assert closed.closed_by is not None and closed.closed_by.login == "acme"
    closed.edit(state="open")
    assert repo.get_issue(issue.number).state_reason == "reopened"


def test_listing_filters_by_state_labels_and_since(sb: Sandbox, repo: Repository) -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    sb.seed_issue(title="old item", labels=["action-item"], created_at=old)
    sb.seed_issue(title="new item", labels=["action-item", "P1"])
    sb.seed_issue(title="closed item", labels=["action-item"], state="closed")
    sb.seed_issue(title="unrelated")
    titles = [i.title for i in repo.get_issues(labels=["action-item"])]
    assert titles == ["new item", "old item"]  # newest first by default
    both = repo.get_issues(state="all", labels=["action-item", "P1"])
    assert [i.title for i in both] == ["new item"]
    recent = repo.get_issues(since=old + timedelta(days=1), direction="asc")
    assert [i.title for i in recent] == ["new item", "unrelated"]


def test_comments_round_trip(sb: Sandbox, repo: Repository) -> None:
    issue = repo.create_issue("Postmortem")
    first = issue.create_comment("<!-- pmbot:review -->\nfirst")
    first.edit("<!-- pmbot:review -->\nedited")
    issue.create_comment("to delete").delete()
    assert [c.body for c in issue.get_comments()] == ["<!-- pmbot:review -->\nedited"]
    assert issue.get_comment(first.id).author_association == "OWNER"
    assert repo.get_issue(issue.number).comments == 1
    assert [c.id for c in repo.get_issues_comments()] == [first.id]


def test_labels_on_the_repository_and_on_issues(repo: Repository) -> None:
    repo.create_label("overdue", "d73a4a", "Past its due date")
    with pytest.raises(GithubException) as exists:
        repo.create_label("Overdue", "d73a4a")
    assert exists.value.status == 422
    label = repo.get_label("overdue")
    label.edit("overdue", "b60205", "Late")
    assert repo.get_label("overdue").color == "b60205"
    issue = repo.create_issue("item")
    issue.add_to_labels("overdue", "P1")  # PyGithub sends a bare list; GitHub accepts it
    issue.remove_from_labels("P1")
    assert [lbl.name for lbl in issue.get_labels()] == ["overdue"]
    issue.set_labels("P2")
    assert [lbl.name for lbl in repo.get_issue(issue.number).labels] == ["P2"]


def test_sub_issues_take_the_issue_id_not_its_number(repo: Repository) -> None:
    parent = repo.create_issue("Postmortem")
    child = repo.create_issue("Action item")
    with pytest.raises(GithubException) as by_number:
        parent.add_sub_issue(child.number)
    assert by_number.value.status == 422
    parent.add_sub_issue(child.id)
    assert [s.number for s in parent.get_sub_issues()] == [child.number]
    summary = repo.get_issue(parent.number).sub_issues_summary
    assert (summary.total, summary.completed) == (1, 0)
    other = repo.create_issue("Another postmortem")
    with pytest.raises(GithubException) as taken:
        other.add_sub_issue(child.id)  # already has a parent
    assert taken.value.status == 422
    parent.remove_sub_issue(child.id)
    assert list(parent.get_sub_issues()) == []


def test_invalid_assignees_are_refused_on_create(sb: Sandbox, repo: Repository) -> None:
    sb.seed_user("eve", association="NONE", permission="read", assignable=False)
    with pytest.raises(GithubException) as refused:
        repo.create_issue("item", assignees=["eve"])
    assert refused.value.status == 422
    assert refused.value.data["errors"][0]["field"] == "assignees"
    assert not repo.has_in_assignees("eve") and repo.has_in_assignees("acme")
    issue = repo.create_issue("item")
    issue.add_to_assignees("eve", "acme")  # this endpoint ignores who cannot be assigned
    assert [a.login for a in repo.get_issue(issue.number).assignees] == ["acme"]


def test_a_seeded_token_acts_as_its_user(sb: Sandbox) -> None:
    sb.seed_user("mallory", association="NONE", permission="read", token="mallory-token")
    gh = client(sb, "mallory-token")
    assert gh.get_user().login == "mallory"
    issue = gh.get_repo("acme/web").create_issue("hi", labels=["postmortem"])
    assert issue.author_association == "NONE"
    assert issue.labels == []  # dropped silently: no push access
    perm = client(sb).get_repo("acme/web").get_collaborator_permission("mallory")
    assert perm == "read"


def test_users_and_search(sb: Sandbox, repo: Repository) -> None:
    sb.seed_user("alice", association="MEMBER", permission="maintain")
    gh = client(sb)
    assert gh.get_user("alice").login == "alice"
    assert repo.get_collaborator_permission("alice") == "write"  # legacy name for maintain
    sb.seed_issue(title="Checkout down", labels=["postmortem"])
    sb.seed_issue(title="Login slow", labels=["postmortem"], state="closed")
    found = gh.search_issues("repo:acme/web is:issue is:open label:postmortem checkout")
    assert [i.title for i in found] == ["Checkout down"]


def test_search_pages_through_link_headers(sb: Sandbox) -> None:
    sb.seed_issues(130, labels=["action-item"])
    found = client(sb).search_issues("repo:acme/web label:action-item")
    assert found.totalCount == 130
    assert len({i.number for i in found}) == 130
