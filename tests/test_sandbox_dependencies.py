"""Issue dependencies over HTTP: blocked_by (list, add by id, remove) and blocking."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pmbot.sandbox import Sandbox

AUTH = {"Authorization": "token any-token"}


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web", users=["mallory=mallory-token:NONE"]) as sandbox:
        for n in range(1, 4):
            sandbox.seed_issue(title=f"Item {n}")
        yield sandbox


def url(sb: Sandbox, number: int, tail: str = "blocked_by", repo: str = "web") -> str:
    return f"{sb.base_url}/repos/acme/{repo}/issues/{number}/dependencies/{tail}"


def block(sb: Sandbox, number: int, blocker_id: int, token: str = "any-token") -> requests.Response:
    headers = {"Authorization": f"token {token}"}
    return requests.post(url(sb, number), json={"issue_id": blocker_id}, headers=headers)


def listed(sb: Sandbox, number: int, tail: str = "blocked_by") -> list[int]:
    answer = requests.get(url(sb, number, tail), headers=AUTH)
    assert answer.status_code == 200
    return [i["number"] for i in answer.json()]


def summary(sb: Sandbox, number: int) -> dict[str, Any]:
    issue = requests.get(f"{sb.base_url}/repos/acme/web/issues/{number}", headers=AUTH).json()
    found: dict[str, Any] = issue["issue_dependencies_summary"]
    return found


def test_a_dependency_is_added_by_the_blocking_issues_id(sb: Sandbox) -> None:
    blocker = sb.state.issues[2]
    added = block(sb, 1, blocker.id)
    assert added.status_code == 201
    assert added.json()["number"] == 2  # the blocking issue, as GitHub's example shows
    assert added.headers["Location"].endswith("/issues/1/dependencies/blocked_by")
    assert listed(sb, 1) == [2] and listed(sb, 2, "blocking") == [1]
    assert listed(sb, 2) == [] and listed(sb, 1, "blocking") == []
    assert summary(sb, 1) == {
        "blocked_by": 1,
        "blocking": 0,
        "total_blocked_by": 1,
        "total_blocking": 0,
    }
    requests.patch(f"{sb.base_url}/repos/acme/web/issues/2", json={"state": "closed"}, headers=AUTH)
    assert summary(sb, 1)["blocked_by"] == 0 and summary(sb, 1)["total_blocked_by"] == 1
    assert summary(sb, 2)["total_blocking"] == 1


def test_the_number_is_not_the_id(sb: Sandbox) -> None:
    assert block(sb, 1, 2).status_code == 404
    assert listed(sb, 1) == []


def test_self_links_and_duplicates_are_refused(sb: Sandbox) -> None:
    own = block(sb, 1, sb.state.issues[1].id)
    assert own.status_code == 422 and own.json()["message"] == "Validation Failed"
    assert own.json()["errors"][0]["field"] == "issue_id"
    assert block(sb, 1, sb.state.issues[2].id).status_code == 201
    again = block(sb, 1, sb.state.issues[2].id)
    assert again.status_code == 422
    assert listed(sb, 1) == [2] and listed(sb, 2, "blocking") == [1]


def test_removing_a_dependency(sb: Sandbox) -> None:
    blocker = sb.state.issues[3]
    block(sb, 1, blocker.id)
    gone = requests.delete(f"{url(sb, 1)}/{blocker.id}", headers=AUTH)
    assert gone.status_code == 200 and gone.json()["number"] == 3
    assert listed(sb, 1) == [] and listed(sb, 3, "blocking") == []
    assert requests.delete(f"{url(sb, 1)}/{blocker.id}", headers=AUTH).status_code == 404
    assert requests.delete(f"{url(sb, 1)}/3", headers=AUTH).status_code == 404


def test_readers_cannot_link(sb: Sandbox) -> None:
    refused = block(sb, 1, sb.state.issues[2].id, token="mallory-token")
    assert refused.status_code == 403
    assert listed(sb, 1) == []
    assert requests.get(url(sb, 9), headers=AUTH).status_code == 404


def test_dependencies_cross_repositories_an_installation_reaches(sb: Sandbox) -> None:
    api = sb.org.add_repo("api")
    other = api.seed_issue(title="API item")
    assert block(sb, 1, other.id).status_code == 201
    assert listed(sb, 1) == [1]  # issue 1 of acme/api
    blocking = requests.get(url(sb, 1, "blocking", repo="api"), headers=AUTH).json()
    assert [(i["number"], i["repository_url"].rsplit("/", 1)[1]) for i in blocking] == [(1, "web")]
    sb.org.install_app("acme-pmbot", "ghs_web_only", repos=["web"])
    unreachable = block(sb, 2, other.id, token="ghs_web_only")
    assert unreachable.status_code == 404


def test_at_most_fifty_per_relationship_and_pages(sb: Sandbox) -> None:
    blockers = sb.seed_issues(51)
    for b in blockers[:50]:
        assert block(sb, 1, b.id).status_code == 201
    assert block(sb, 1, blockers[50].id).status_code == 422
    first = requests.get(url(sb, 1), headers=AUTH)
    assert len(first.json()) == 30 and "next" in first.links
    assert len(requests.get(first.links["next"]["url"], headers=AUTH).json()) == 20


def test_malformed_bodies_are_refused(tmp_path: Path) -> None:
    # deliberately invalid requests: logged apart from the traffic checked against the schema
    with Sandbox(repo="acme/web", log_path=tmp_path / "invalid.jsonl") as sb:
        sb.seed_issue(title="Item")
        for body in ({}, {"issue_id": "2"}, {"issue_id": None}):
            answer = requests.post(url(sb, 1), json=body, headers=AUTH)
            assert answer.status_code == 422, body
        assert sb.state.issues[1].blocked_by == []
