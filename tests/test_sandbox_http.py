"""The sandbox over raw HTTP: pagination, ETags, rate limits, errors, faults, log, counters."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests

from pmbot.sandbox import Sandbox


@pytest.fixture
def sb(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web", log_path=tmp_path / "exchanges.jsonl") as sandbox:
        yield sandbox


@pytest.fixture
def http() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = "token any-token"
    return session


def api(sb: Sandbox, path: str = "") -> str:
    return f"{sb.base_url}/repos/acme/web{path}"


def test_link_pagination(sb: Sandbox, http: requests.Session) -> None:
    sb.seed_issues(75)
    first = http.get(api(sb, "/issues"))
    assert len(first.json()) == 30  # GitHub's default page size
    assert set(first.links) == {"next", "last"}
    assert "page=3" in first.links["last"]["url"]
    third = http.get(first.links["last"]["url"])
    assert len(third.json()) == 15 and set(third.links) == {"first", "prev"}
    capped = http.get(api(sb, "/issues"), params={"per_page": 500})
    assert len(capped.json()) == 75 and "next" not in capped.links
    many = http.get(api(sb, "/issues"), params={"per_page": 100})
    assert len(many.json()) == 75


def test_etag_answers_304_for_free_until_the_resource_changes(
    sb: Sandbox, http: requests.Session
) -> None:
    sb.seed_issue(title="before")
    first = http.get(api(sb, "/issues/1"))
    etag = first.headers["ETag"]
    remaining = int(first.headers["x-ratelimit-remaining"])
    again = http.get(api(sb, "/issues/1"), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["x-ratelimit-remaining"]) == remaining  # 304s are free
    http.patch(api(sb, "/issues/1"), json={"title": "after"})
    changed = http.get(api(sb, "/issues/1"), headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["title"] == "after"
    assert sb.counters.not_modified == 1


def test_last_modified_answers_if_modified_since_with_a_free_304(
    sb: Sandbox, http: requests.Session
) -> None:
    ticks = itertools.count()
    sb.state.clock = lambda: datetime(2026, 3, 2, 6, 0, tzinfo=UTC) + timedelta(seconds=next(ticks))
    sb.seed_issue(title="before")
    first = http.get(api(sb, "/issues/1"))
    stamp = first.headers["Last-Modified"]
    assert parsedate_to_datetime(stamp) == datetime.fromisoformat(first.json()["updated_at"])
    remaining = int(first.headers["x-ratelimit-remaining"])
    again = http.get(api(sb, "/issues/1"), headers={"If-Modified-Since": stamp})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["x-ratelimit-remaining"]) == remaining
    http.patch(api(sb, "/issues/1"), json={"title": "after"})
    changed = http.get(api(sb, "/issues/1"), headers={"If-Modified-Since": stamp})
    assert changed.status_code == 200 and changed.json()["title"] == "after"
    assert changed.headers["Last-Modified"] != stamp
    # If-None-Match wins over If-Modified-Since, as on GitHub
    both = {"If-None-Match": '"other"', "If-Modified-Since": changed.headers["Last-Modified"]}
    assert http.get(api(sb, "/issues/1"), headers=both).status_code == 200


def test_rate_limit_headers_and_endpoint(sb: Sandbox, http: requests.Session) -> None:
    answer = http.get(api(sb))
    for name in ("limit", "remaining", "reset", "used", "resource"):
        assert f"x-ratelimit-{name}" in answer.headers
    assert answer.headers["x-ratelimit-resource"] == "core"
    assert int(answer.headers["x-ratelimit-used"]) == 1
    overview = http.get(f"{sb.base_url}/rate_limit").json()
    assert overview["resources"]["core"]["used"] == 1  # /rate_limit itself is not counted
    assert overview["rate"] == overview["resources"]["core"]


def test_exhausted_primary_rate_limit(sb: Sandbox, http: requests.Session) -> None:
    sb.rate.set_remaining(0, reset_in=120)
    refused = http.get(api(sb, "/issues"))
    assert refused.status_code == 403
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.headers["x-ratelimit-reset"]) >= int(time.time()) + 100
    assert refused.json()["message"].startswith("API rate limit exceeded")


def test_errors_use_githubs_format(sb: Sandbox, http: requests.Session) -> None:
    missing = http.get(api(sb, "/issues/42"))
    assert missing.status_code == 404
    assert set(missing.json()) == {"message", "documentation_url", "status"}
    assert missing.json()["status"] == "404"
    assert http.get(f"{sb.base_url}/repos/acme/other").status_code == 404
    broken = http.post(api(sb, "/issues"), data="{not json")
    assert broken.status_code == 400


def test_422_for_assignees_and_labels(sb: Sandbox, http: requests.Session) -> None:
    sb.seed_user("eve", permission="read", assignable=False)
    for body in (
        {"title": "x", "assignees": ["eve"]},
        {"title": "x", "assignees": ["nobody"]},
        {"title": "x", "labels": "bug"},
        {"title": "x", "labels": [""]},
        {"title": "x", "labels": [7]},
        {"body": "no title"},
    ):
        assert http.post(api(sb, "/issues"), json=body).status_code == 422, body
    assert sb.state.issues == {}
    assert http.get(api(sb, "/assignees/eve")).status_code == 404
    assert http.get(api(sb, "/assignees/acme")).status_code == 204


def test_sub_issue_endpoints_use_ids(sb: Sandbox, http: requests.Session) -> None:
    parent, child = sb.seed_issue(title="parent"), sb.seed_issue(title="child")
    added = http.post(api(sb, "/issues/1/sub_issues"), json={"sub_issue_id": child.id})
    assert added.status_code == 201 and added.json()["number"] == 2
    assert http.get(api(sb, "/issues/2/parent")).json()["id"] == parent.id
    assert http.get(api(sb, "/issues/1/parent")).status_code == 404
    wrong = http.delete(api(sb, "/issues/1/sub_issue"), json={"sub_issue_id": child.number})
    assert wrong.status_code == 404
    assert http.delete(api(sb, "/issues/1/sub_issue"), json={"sub_issue_id": child.id}).ok


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("secondary_rate_limit", 403),
        ("too_many_requests", 429),
        ("server_error", 500),
        ("bad_gateway", 502),
        ("503", 503),
    ],
)
def test_refusal_faults(sb: Sandbox, http: requests.Session, kind: str, status: int) -> None:
    sb.faults.add(kind, method="POST", path_regex=r"/issues$", retry_after=7)
    refused = http.post(api(sb, "/issues"), json={"title": "x"})
    assert refused.status_code == status
    if status in (403, 429):
        assert refused.headers["Retry-After"] == "7"
        assert refused.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert sb.state.issues == {}  # nothing applied
    assert http.post(api(sb, "/issues"), json={"title": "x"}).status_code == 201  # times=1


def test_faults_match_method_path_and_skip(sb: Sandbox, http: requests.Session) -> None:
    sb.faults.add("500", method="GET", path_regex=r"/issues/\d+$", skip=1, times=None)
    sb.seed_issue()
    assert http.get(api(sb, "/issues")).status_code == 200  # path does not match
    assert http.get(api(sb, "/issues/1")).status_code == 200  # skipped once
    assert http.get(api(sb, "/issues/1")).status_code == 500
    assert http.get(api(sb, "/issues/1")).status_code == 500  # times=None: every time
    sb.faults.clear()
    assert http.get(api(sb, "/issues/1")).status_code == 200


def test_latency_fault(sb: Sandbox, http: requests.Session) -> None:
    sb.faults.add("latency", seconds=0.2)
    start = time.perf_counter()
    assert http.get(api(sb)).status_code == 200
    assert time.perf_counter() - start >= 0.2


def test_connection_dropped_after_the_write_was_applied(
    sb: Sandbox, http: requests.Session
) -> None:
    sb.faults.add("drop_after_write", method="POST", path_regex=r"/issues$")
    with pytest.raises(requests.ConnectionError):
        http.post(api(sb, "/issues"), json={"title": "applied, never confirmed"})
    assert [i.title for i in sb.state.issues.values()] == ["applied, never confirmed"]
    assert sb.counters.writes == 1
    assert http.get(api(sb, "/issues/1")).status_code == 200  # the server lives on


def test_log_has_one_json_line_per_exchange(
    sb: Sandbox, http: requests.Session, tmp_path: Path
) -> None:
    http.post(api(sb, "/issues"), json={"title": "x"})
    http.get(api(sb, "/issues"), params={"state": "all", "per_page": "5"})
    http.get(api(sb, "/issues/9"))
    lines = (tmp_path / "exchanges.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(entries) == 3
    keys = {"method", "path", "query", "request_body", "status", "response_body"}
    assert all(keys <= set(e) for e in entries)
    assert entries[0]["request_body"] == {"title": "x"} and entries[0]["status"] == 201
    assert entries[1]["path"] == "/repos/acme/web/issues"
    assert entries[1]["query"] == {"state": "all", "per_page": "5"}
    assert entries[2]["status"] == 404 and entries[2]["response_body"]["message"] == "Not Found"


def test_counters_and_reset(sb: Sandbox, http: requests.Session) -> None:
    http.post(api(sb, "/issues"), json={"title": "x"})
    http.get(api(sb, "/issues"))
    http.get(api(sb, "/issues/5"))
    snap = sb.counters.snapshot()
    assert snap["by_method"] == {"POST": 1, "GET": 2} and snap["writes"] == 1
    assert sb.counters.by_endpoint["GET /repos/{owner}/{repo}/issues"] == 1
    assert sb.counters.by_status[404] == 1
    sb.counters.reset()
    assert sb.counters.requests == 0 and sb.counters.writes == 0


def test_repositories_id_paths_from_link_headers(sb: Sandbox, http: requests.Session) -> None:
    sb.seed_issue(title="via id")
    answer = http.get(f"{sb.base_url}/repositories/{sb.state.repo_id}/issues/1")
    assert answer.json()["title"] == "via id"


def test_racing_clients_get_distinct_numbers(sb: Sandbox) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create(n: int) -> int:
        answer = requests.post(api(sb, "/issues"), json={"title": f"t{n}"}, timeout=10)
        return int(answer.json()["number"])

    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(create, range(40)))
    assert sorted(numbers) == list(range(1, 41))


def test_opt_in_secondary_limit_on_writes(sb: Sandbox, http: requests.Session) -> None:
    sb.content_limits.per_minute = 2
    assert http.post(api(sb, "/issues"), json={"title": "1"}).status_code == 201
    assert http.post(api(sb, "/issues"), json={"title": "2"}).status_code == 201
    refused = http.post(api(sb, "/issues"), json={"title": "3"})
    assert refused.status_code == 403 and 0 < int(refused.headers["Retry-After"]) <= 61
    assert http.get(api(sb, "/issues")).status_code == 200  # reads are not limited
    assert len(sb.state.issues) == 2


def test_locked_issue_refuses_comments_from_outsiders(sb: Sandbox, http: requests.Session) -> None:
    sb.seed_user("mallory", association="NONE", permission="read", token="mallory-token")
    sb.seed_issue()
    assert http.put(api(sb, "/issues/1/lock"), json={"lock_reason": "resolved"}).status_code == 204
    assert http.get(api(sb, "/issues/1")).json()["active_lock_reason"] == "resolved"
    outsider = {"Authorization": "token mallory-token"}
    refused = requests.post(
        api(sb, "/issues/1/comments"), json={"body": "hi"}, headers=outsider, timeout=5
    )
    assert refused.status_code == 403
    assert http.post(api(sb, "/issues/1/comments"), json={"body": "owner"}).status_code == 201


def test_enterprise_style_api_prefix(sb: Sandbox, http: requests.Session) -> None:
    assert http.get(f"{sb.base_url}/api/v3/repos/acme/web").json()["full_name"] == "acme/web"


def test_an_unknown_login_in_a_seed_is_a_stranger(sb: Sandbox, http: requests.Session) -> None:
    sb.seed_issue(user="drive-by")
    issue = http.get(api(sb, "/issues/1")).json()
    assert issue["user"]["login"] == "drive-by" and issue["author_association"] == "NONE"
    assert http.get(f"{sb.base_url}/users/drive-by").status_code == 200
    assert http.get(f"{sb.base_url}/users/nobody").status_code == 404


def test_counters_group_refused_requests_by_endpoint(sb: Sandbox, http: requests.Session) -> None:
    sb.faults.add("secondary_rate_limit", method="POST")
    http.post(api(sb, "/issues"), json={"title": "x"})
    http.post(api(sb, "/issues"), json={"title": "x"})
    assert sb.counters.by_endpoint == {"POST /repos/{owner}/{repo}/issues": 2}
    assert sb.counters.writes == 1 and sb.counters.by_status == {403: 1, 201: 1}


def test_an_injected_clock_stamps_what_the_sandbox_creates() -> None:
    from datetime import UTC, datetime

    fixed = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with Sandbox(repo="acme/web", clock=lambda: fixed) as sb:
        answer = requests.post(api(sb, "/issues"), json={"title": "x"}, timeout=5)
        assert answer.json()["created_at"] == "2026-03-01T12:00:00Z"
        assert answer.headers["X-GitHub-Request-Id"]
