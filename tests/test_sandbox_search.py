"""The sandbox's issue search over HTTP: qualifiers, date ranges, sorting, paging, the
1,000-result cap, incomplete results and search's own rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from github import Auth, Github

from pmbot.sandbox import Sandbox

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        yield sandbox


@pytest.fixture
def http() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = "token any-token"
    return session


def search(sb: Sandbox, http: requests.Session, q: str, **params: object) -> requests.Response:
    return http.get(f"{sb.base_url}/search/issues", params={"q": q, **params})


def numbers(answer: requests.Response) -> list[int]:
    return [item["number"] for item in answer.json()["items"]]


def seed_daily(sb: Sandbox, n: int, labels: tuple[str, ...] = ("action-item",)) -> None:
    """n issues, one created each day from 2026-01-01 (issue k on day k-1)."""
    for k in range(n):
        sb.seed_issue(title=f"Item {k + 1}", labels=labels, created_at=START + timedelta(days=k))


def test_qualifiers_narrow_the_results(sb: Sandbox, http: requests.Session) -> None:
    sb.seed_user("dana")
    sb.seed_issue(title="Open item", labels=["action-item"], assignees=["dana"])
    sb.seed_issue(title="Closed item", labels=["action-item"], state="closed")
    sb.seed_issue(title="Postmortem", labels=["postmortem"], user="dana")
    base = "org:acme is:issue"
    assert numbers(search(sb, http, f"{base} is:open label:action-item")) == [1]
    assert numbers(search(sb, http, f"{base} is:closed label:action-item")) == [2]
    assert sorted(numbers(search(sb, http, f"{base} label:action-item,postmortem"))) == [1, 2, 3]
    assert numbers(search(sb, http, f"{base} -label:action-item")) == [3]
    assert numbers(search(sb, http, f"{base} author:dana")) == [3]
    assert numbers(search(sb, http, f"{base} assignee:dana")) == [1]
    assert numbers(search(sb, http, "repo:acme/web is:issue postmortem")) == [3]


def test_created_ranges_as_github_reads_them(sb: Sandbox, http: requests.Session) -> None:
    seed_daily(sb, 40)  # issue k created on 2026-01-(k)
    q = "repo:acme/web is:issue"
    both_ends = search(sb, http, f"{q} created:2026-01-05..2026-01-07")
    assert sorted(numbers(both_ends)) == [5, 6, 7]  # both days inclusive
    assert sorted(numbers(search(sb, http, f"{q} created:<2026-01-03"))) == [1, 2]
    assert sorted(numbers(search(sb, http, f"{q} created:<=2026-01-03"))) == [1, 2, 3]
    assert len(numbers(search(sb, http, f"{q} created:>=2026-02-08", per_page=100))) == 2
    assert len(numbers(search(sb, http, f"{q} created:>2026-02-08", per_page=100))) == 1
    assert numbers(search(sb, http, f"{q} created:2026-01-10")) == [10]
    instant = search(sb, http, f"{q} created:>=2026-01-09T00:00:01Z created:<2026-01-11")
    assert numbers(instant) == [10]
    assert numbers(search(sb, http, f"{q} created:*..2026-01-01")) == [1]


def test_a_date_it_cannot_read_is_refused_naming_it(sb: Sandbox, http: requests.Session) -> None:
    answer = search(sb, http, "repo:acme/web created:>last-week")
    assert answer.status_code == 422
    assert "'last-week'" in answer.json()["errors"][0]["message"]


def test_a_query_longer_than_256_characters_is_refused(sb: Sandbox, http: requests.Session) -> None:
    names = " ".join(["repo:acme/web"] * 16) + " label:"
    fits = names + "x" * (256 - len(names))
    assert len(fits) == 256 and search(sb, http, fits).status_code == 200
    answer = search(sb, http, fits + "x")
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "message": "The search is longer than 256 characters.",
            "resource": "Search",
            "field": "q",
            "code": "invalid",
        }
    ]


def test_unknown_repository_or_owner_is_refused(sb: Sandbox, http: requests.Session) -> None:
    for q in ("repo:acme/nope is:issue", "org:someone-else is:issue"):
        answer = search(sb, http, q)
        assert answer.status_code == 422
        assert "cannot be searched" in answer.json()["errors"][0]["message"]


def test_sort_created_with_order(sb: Sandbox, http: requests.Session) -> None:
    seed_daily(sb, 5)
    sb.state.issues[2].created_at = START + timedelta(days=30)  # the newest now
    q = "repo:acme/web is:issue"
    assert numbers(search(sb, http, q, sort="created", order="asc")) == [1, 3, 4, 5, 2]
    assert numbers(search(sb, http, q, sort="created", order="desc")) == [2, 5, 4, 3, 1]
    assert numbers(search(sb, http, q, sort="created")) == [2, 5, 4, 3, 1]  # desc by default


def test_pages_of_a_hundred_with_link_headers(sb: Sandbox, http: requests.Session) -> None:
    seed_daily(sb, 250)
    q = "org:acme is:issue is:open label:action-item"
    first = search(sb, http, q, per_page=100, sort="created", order="asc")
    assert first.json()["total_count"] == 250 and len(numbers(first)) == 100
    assert set(first.links) == {"next", "last"} and "page=3" in first.links["last"]["url"]
    seen = numbers(first)
    url = first.links["next"]["url"]
    while url:
        page = http.get(url)
        seen += numbers(page)
        url = page.links.get("next", {}).get("url")
    assert seen == list(range(1, 251))


def test_only_the_first_thousand_results_are_reachable(sb: Sandbox, http: requests.Session) -> None:
    seed_daily(sb, 1050)
    q = "repo:acme/web is:issue"
    page10 = search(sb, http, q, per_page=100, page=10, sort="created", order="asc")
    assert page10.status_code == 200
    assert page10.json()["total_count"] == 1050  # every match is counted ...
    assert numbers(page10)[-1] == 1000
    assert "next" not in page10.links  # ... but the links stop at the 1,000th
    beyond = search(sb, http, q, per_page=100, page=11)
    assert beyond.status_code == 422
    assert beyond.json()["message"] == "Only the first 1000 search results are available"
    at30 = search(sb, http, q, page=34)  # results 991-1020 start inside the cap
    assert at30.status_code == 200 and len(numbers(at30)) == 10


def test_incomplete_results_when_the_search_times_out(sb: Sandbox, http: requests.Session) -> None:
    seed_daily(sb, 30)
    sb.org.incomplete_searches = 1
    q = "repo:acme/web is:issue"
    partial = search(sb, http, q, per_page=100).json()
    assert partial["incomplete_results"] is True and len(partial["items"]) < 30
    complete = search(sb, http, q, per_page=100).json()
    assert complete["incomplete_results"] is False and len(complete["items"]) == 30


def test_search_has_its_own_rate_limit(http: requests.Session) -> None:
    with Sandbox(repo="acme/web", search_rate_limit=30) as sb:
        sb.seed_issue(title="one")
        for _ in range(30):
            ok = search(sb, http, "repo:acme/web")
            assert ok.status_code == 200 and ok.headers["x-ratelimit-resource"] == "search"
        assert ok.headers["x-ratelimit-limit"] == "30"
        assert ok.headers["x-ratelimit-remaining"] == "0"
        refused = search(sb, http, "repo:acme/web")
        assert refused.status_code == 403
        assert refused.json()["message"].startswith("API rate limit exceeded")
        assert refused.headers["x-ratelimit-resource"] == "search"
        assert int(refused.headers["x-ratelimit-reset"]) > 0
        core = http.get(f"{sb.base_url}/repos/acme/web/issues/1")
        assert core.status_code == 200 and core.headers["x-ratelimit-resource"] == "core"
        overview = http.get(f"{sb.base_url}/rate_limit").json()["resources"]
        assert overview["search"] == {**overview["search"], "limit": 30, "used": 30}
        assert overview["search"]["remaining"] == 0 and overview["core"]["used"] == 1


def test_search_spans_the_organisations_repositories(sb: Sandbox, http: requests.Session) -> None:
    api = sb.org.add_repo("api")
    sb.seed_issue(title="web item", labels=["action-item"])
    api.seed_issue(title="api item", labels=["action-item"])
    found = search(sb, http, "org:acme is:issue label:action-item").json()["items"]
    assert sorted(i["repository_url"].rsplit("/", 1)[1] for i in found) == ["api", "web"]
    only_api = search(sb, http, "repo:acme/api label:action-item").json()["items"]
    assert [i["title"] for i in only_api] == ["api item"]


def test_pygithub_reads_search_pages(sb: Sandbox) -> None:
    seed_daily(sb, 130)
    gh = Github(base_url=sb.base_url, auth=Auth.Token("any"), per_page=100, retry=None)
    found = gh.search_issues("org:acme is:issue label:action-item", sort="created", order="asc")
    assert found.totalCount == 130
    assert [i.number for i in found] == list(range(1, 131))
