"""Issue events over HTTP: what each change records, paging, and the repository-wide list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from github import Auth, Github

from pmbot.sandbox import Sandbox

AUTH = {"Authorization": "token any-token"}


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web", users=["dana=dana-token:MEMBER"]) as sandbox:
        sandbox.seed_label("bug", color="d73a4a")
        yield sandbox


def client(sb: Sandbox, token: str = "any-token") -> Github:
    return Github(
        base_url=sb.base_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def add_labels(sb: Sandbox, number: int, *names: str, token: str = "any-token") -> None:
    # PyGithub's add_to_labels sends a bare list, which GitHub's published schema (a oneOf
    # whose branches overlap) cannot validate; the object form is unambiguous
    url = f"{sb.base_url}/repos/acme/web/issues/{number}/labels"
    answer = requests.post(url, json={"labels": list(names)}, headers=auth(token))
    assert answer.status_code == 200


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def events(sb: Sandbox, number: int) -> list[dict[str, Any]]:
    url = f"{sb.base_url}/repos/acme/web/issues/{number}/events"
    answer = requests.get(url, headers=AUTH, params={"per_page": 100})
    assert answer.status_code == 200
    found: list[dict[str, Any]] = answer.json()
    return found


def kinds(sb: Sandbox, number: int) -> list[tuple[str, str]]:
    """(event, detail) for each event of issue `number`, read over HTTP."""
    out = []
    for e in events(sb, number):
        detail = (
            e.get("label", {}).get("name")
            or e.get("assignee", {}).get("login")
            or (e.get("rename") and f"{e['rename']['from']} -> {e['rename']['to']}")
            or e.get("state_reason")
            or ""
        )
        out.append((e["event"], detail))
    return out


def test_every_change_records_its_event(sb: Sandbox) -> None:
    repo = client(sb).get_repo("acme/web")
    issue = repo.create_issue("Old title", labels=["bug"], assignees=["acme"])
    add_labels(sb, issue.number, "P1")
    issue.remove_from_labels("bug")
    issue.edit(labels=["P2"])
    issue.edit(title="New title", assignees=["dana"])
    issue.add_to_assignees("acme")
    issue.remove_from_assignees("acme")
    issue.edit(state="closed", state_reason="not_planned")
    issue.edit(state="open")
    issue.edit(title="New title", labels=["P2"])  # no change, no event
    assert kinds(sb, issue.number) == [
        ("labeled", "bug"),
        ("assigned", "acme"),
        ("labeled", "P1"),
        ("unlabeled", "bug"),
        ("unlabeled", "P1"),
        ("labeled", "P2"),
        ("renamed", "Old title -> New title"),
        ("unassigned", "acme"),
        ("assigned", "dana"),
        ("assigned", "acme"),
        ("unassigned", "acme"),
        ("closed", "not_planned"),
        ("reopened", "reopened"),
    ]


def test_events_carry_actor_label_colour_and_assigner(sb: Sandbox) -> None:
    sb.seed_issue(title="Item")
    add_labels(sb, 1, "bug", token="dana-token")
    client(sb, "dana-token").get_repo("acme/web").get_issue(1).add_to_assignees("dana")
    labeled, assigned = client(sb).get_repo("acme/web").get_issue(1).get_events()
    assert (labeled.event, labeled.actor.login, labeled.label.name) == ("labeled", "dana", "bug")
    assert (assigned.event, assigned.assignee.login) == ("assigned", "dana")
    raw_labeled, raw_assigned = events(sb, 1)
    assert raw_labeled["label"] == {"name": "bug", "color": "d73a4a"}
    assert raw_labeled["commit_id"] is None and raw_labeled["performed_via_github_app"] is None
    assert raw_assigned["assigner"]["login"] == "dana"
    # a later rename of the label leaves the event as it was
    client(sb).get_repo("acme/web").get_label("bug").edit("defect", "000000")
    assert kinds(sb, 1)[0] == ("labeled", "bug")


def test_events_page_with_link_headers(sb: Sandbox) -> None:
    repo = client(sb).get_repo("acme/web")
    issue = repo.create_issue("Item")
    for n in range(5):
        add_labels(sb, issue.number, f"l{n}")
    url = f"{sb.base_url}/repos/acme/web/issues/{issue.number}/events"
    first = requests.get(url, headers=AUTH, params={"per_page": 2})
    assert [e["label"]["name"] for e in first.json()] == ["l0", "l1"]
    assert set(first.links) == {"next", "last"} and "page=3" in first.links["last"]["url"]
    last = requests.get(first.links["last"]["url"], headers=AUTH)
    assert [e["label"]["name"] for e in last.json()] == ["l4"]
    assert [e.label.name for e in issue.get_events()] == [f"l{n}" for n in range(5)]
    missing = requests.get(f"{sb.base_url}/repos/acme/web/issues/99/events", headers=AUTH)
    assert missing.status_code == 404


def test_pull_requests_record_merged_and_closed(sb: Sandbox) -> None:
    repo = client(sb).get_repo("acme/web")
    sb.create_branch("topic")
    repo.create_file("a.md", "add", "text", branch="topic")
    pull = repo.create_pull(title="Add a", body="", head="topic", base="main")
    pull.edit(title="Add a.md")
    merged = pull.merge()
    logged = events(sb, pull.number)
    assert [e["event"] for e in logged] == ["renamed", "merged", "closed"]
    assert logged[1]["commit_id"] == merged.sha


def test_seeded_issues_start_with_no_events(sb: Sandbox) -> None:
    sb.seed_issue(title="Seeded", labels=["bug"])
    assert kinds(sb, 1) == []


def test_repository_events_newest_first_with_their_issue(tmp_path: Path) -> None:
    # GitHub serves these two routes; the trimmed OpenAPI description the contract check
    # uses does not list them, so this sandbox logs to its own file.
    with Sandbox(repo="acme/web", log_path=tmp_path / "own.jsonl") as sb:
        repo = client(sb).get_repo("acme/web")
        repo.create_issue("One", labels=["a"])
        repo.create_issue("Two").edit(state="closed")
        url = f"{sb.base_url}/repos/acme/web/issues/events"
        listed = requests.get(url, headers=AUTH).json()
        assert [(e["event"], e["issue"]["number"]) for e in listed] == [
            ("closed", 2),
            ("labeled", 1),
        ]
        one = requests.get(f"{url}/{listed[1]['id']}", headers=AUTH).json()
        assert one["label"]["name"] == "a" and one["issue"]["title"] == "One"
        assert requests.get(f"{url}/12345", headers=AUTH).status_code == 404
