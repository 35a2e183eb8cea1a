"""The sandbox's organisation over HTTP: several repositories, the App installation's
repositories, issue types and issue fields with their values."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from github import Auth, Github

from pmbot.sandbox import Sandbox

APP_TOKEN = "ghs_sandboxinstallation"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        yield sandbox


def session(token: str = "any-token") -> requests.Session:
    http = requests.Session()
    http.headers["Authorization"] = f"token {token}"
    return http


@pytest.fixture
def http() -> requests.Session:
    return session()


# -- several repositories -------------------------------------------------------------------


def test_repositories_of_one_organisation(sb: Sandbox, http: requests.Session) -> None:
    api = sb.org.add_repo("api")
    sb.seed_user("dana", association="MEMBER")
    sb.seed_issue(title="web 1")
    created = http.post(f"{sb.base_url}/repos/acme/api/issues", json={"title": "api 1"})
    assert created.status_code == 201 and created.json()["number"] == 1  # numbers per repo
    assert created.json()["repository_url"].endswith("/repos/acme/api")
    assert api.issues[1].id != sb.state.issues[1].id  # ids are unique across the org
    repo = http.get(f"{sb.base_url}/repos/acme/api").json()
    assert repo["full_name"] == "acme/api" and repo["id"] != sb.state.repo_id
    assert http.get(f"{sb.base_url}/repos/acme/nope").status_code == 404
    assert http.get(f"{sb.base_url}/repos/other/api").status_code == 404
    # users are the organisation's: assignable in every repository
    assigned = http.patch(f"{sb.base_url}/repos/acme/api/issues/1", json={"assignees": ["dana"]})
    assert assigned.json()["assignees"][0]["login"] == "dana"
    with pytest.raises(ValueError, match="exists already"):
        sb.org.add_repo("API")


def test_link_headers_by_repository_id_reach_the_right_repository(sb: Sandbox) -> None:
    api = sb.org.add_repo("api")
    api.seed_issues(40)
    path = f"{sb.base_url}/repositories/{api.repo_id}/issues"
    answer = session().get(path, params={"per_page": 30, "page": 2})
    assert [i["repository_url"].rsplit("/", 1)[1] for i in answer.json()] == ["api"] * 10


def test_pygithub_works_in_every_repository(sb: Sandbox) -> None:
    sb.org.add_repo("api")
    gh = Github(base_url=sb.base_url, auth=Auth.Token("any"), retry=None)
    issue = gh.get_repo("acme/api").create_issue("In api", labels=["action-item"])
    assert issue.repository.full_name == "acme/api"
    assert [i.title for i in gh.get_repo("acme/web").get_issues()] == []


# -- the App installation -------------------------------------------------------------------


def test_installation_repositories(sb: Sandbox) -> None:
    for name in ("api", "docs", "infra"):
        sb.org.add_repo(name)
    bot = sb.org.install_app("pmbot", APP_TOKEN)
    assert bot == "pmbot[bot]"
    answer = session(APP_TOKEN).get(f"{sb.base_url}/installation/repositories")
    assert answer.status_code == 200
    body = answer.json()
    assert body["total_count"] == 4 and body["repository_selection"] == "all"
    assert [r["full_name"] for r in body["repositories"]] == [
        "acme/web",
        "acme/api",
        "acme/docs",
        "acme/infra",
    ]
    paged = session(APP_TOKEN).get(
        f"{sb.base_url}/installation/repositories", params={"per_page": 3}
    )
    assert len(paged.json()["repositories"]) == 3 and "next" in paged.links


def test_an_installation_on_selected_repositories(sb: Sandbox) -> None:
    sb.org.add_repo("api")
    sb.org.add_repo("secret")
    sb.org.install_app("pmbot", APP_TOKEN, repos=["web", "api"])
    app = session(APP_TOKEN)
    body = app.get(f"{sb.base_url}/installation/repositories").json()
    assert body["repository_selection"] == "selected"
    assert [r["name"] for r in body["repositories"]] == ["web", "api"]
    # search reaches only what the installation reaches
    sb.org.repos["secret"].seed_issue(title="hidden", labels=["action-item"])
    found = app.get(f"{sb.base_url}/search/issues", params={"q": "org:acme label:action-item"})
    assert found.json()["total_count"] == 0
    refused = app.get(f"{sb.base_url}/search/issues", params={"q": "repo:acme/secret"})
    assert refused.status_code == 422


def test_installation_repositories_needs_an_installation_token(
    sb: Sandbox, http: requests.Session
) -> None:
    answer = http.get(f"{sb.base_url}/installation/repositories")
    assert answer.status_code == 403
    assert "installation access token" in answer.json()["message"]
    with pytest.raises(ValueError, match="no repository"):
        sb.org.install_app("pmbot", APP_TOKEN, repos=["missing"])


# -- issue types ----------------------------------------------------------------------------


def test_issue_types_list_create_and_set(sb: Sandbox, http: requests.Session) -> None:
    sb.org.seed_issue_type("Bug", "Something is wrong", "red")
    sb.org.seed_issue_type("Epic", is_enabled=False)
    made = http.post(
        f"{sb.base_url}/orgs/acme/issue-types",
        json={"name": "Task", "is_enabled": True, "color": "blue"},
    )
    assert made.status_code == 200 and made.json()["name"] == "Task"
    names = [t["name"] for t in http.get(f"{sb.base_url}/orgs/acme/issue-types").json()]
    assert names == ["Bug", "Epic", "Task"]
    enabled = http.get(f"{sb.base_url}/repos/acme/web/issue-types").json()
    assert [t["name"] for t in enabled] == ["Bug", "Task"]
    issue = http.post(
        f"{sb.base_url}/repos/acme/web/issues", json={"title": "Fix it", "type": "task"}
    ).json()
    assert issue["type"]["name"] == "Task"
    changed = http.patch(f"{sb.base_url}/repos/acme/web/issues/1", json={"type": "Bug"})
    assert changed.json()["type"]["name"] == "Bug"
    cleared = http.patch(f"{sb.base_url}/repos/acme/web/issues/1", json={"type": None})
    assert cleared.json()["type"] is None


def test_issue_type_errors(sb: Sandbox, http: requests.Session) -> None:
    sb.org.seed_issue_type("Task")
    unknown = http.post(f"{sb.base_url}/repos/acme/web/issues", json={"title": "x", "type": "Nope"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "type"
    assert sb.state.issues == {}  # nothing was created
    twice = http.post(
        f"{sb.base_url}/orgs/acme/issue-types", json={"name": "task", "is_enabled": True}
    )
    assert twice.status_code == 422 and twice.json()["errors"] == ["Name has already been taken"]
    assert http.get(f"{sb.base_url}/orgs/other/issue-types").status_code == 404
    sb.seed_user("eve", permission="write", token="eve-token")
    member = session("eve-token").post(
        f"{sb.base_url}/orgs/acme/issue-types", json={"name": "Spike", "is_enabled": True}
    )
    assert member.status_code == 404  # only organisation administrators


def test_issues_have_no_type_key_without_issue_types(sb: Sandbox, http: requests.Session) -> None:
    sb.seed_issue(title="plain")
    body = http.get(f"{sb.base_url}/repos/acme/web/issues/1").json()
    assert "type" not in body and "issue_field_values" not in body


def test_a_reader_cannot_set_a_type(sb: Sandbox) -> None:
    sb.org.seed_issue_type("Task")
    sb.seed_user("rita", association="NONE", permission="read", token="rita-token")
    made = session("rita-token").post(
        f"{sb.base_url}/repos/acme/web/issues", json={"title": "x", "type": "Task"}
    )
    assert made.status_code == 201 and made.json()["type"] is None  # silently dropped


# -- issue fields ---------------------------------------------------------------------------


def test_issue_fields_list_and_create(sb: Sandbox, http: requests.Session) -> None:
    sb.org.seed_issue_field("Priority", "single_select", ["P0", "P1", "P2", "P3"])
    made = http.post(
        f"{sb.base_url}/orgs/acme/issue-fields", json={"name": "Due date", "data_type": "date"}
    )
    assert made.status_code == 200 and made.json()["data_type"] == "date"
    fields = http.get(f"{sb.base_url}/orgs/acme/issue-fields").json()
    assert [f["name"] for f in fields] == ["Priority", "Due date"]
    assert [o["name"] for o in fields[0]["options"]] == ["P0", "P1", "P2", "P3"]
    select = http.post(
        f"{sb.base_url}/orgs/acme/issue-fields",
        json={
            "name": "Team",
            "data_type": "single_select",
            "options": [{"name": "Web", "color": "blue", "priority": 1}],
        },
    )
    assert select.json()["options"][0]["name"] == "Web"
    no_options = http.post(
        f"{sb.base_url}/orgs/acme/issue-fields", json={"name": "X", "data_type": "single_select"}
    )
    assert no_options.status_code == 422


def test_issue_field_values(sb: Sandbox, http: requests.Session) -> None:
    priority = sb.org.seed_issue_field("Priority", "single_select", ["P0", "P1"])
    due = sb.org.seed_issue_field("Due date", "date")
    points = sb.org.seed_issue_field("Points", "number")
    sb.seed_issue(title="item")
    url = f"{sb.base_url}/repos/acme/web/issues/1/issue-field-values"
    added = http.post(url, json={"issue_field_values": [{"field_id": priority.id, "value": "P1"}]})
    assert added.status_code == 200
    assert added.json()[0]["single_select_option"]["name"] == "P1"
    more = http.post(
        url,
        json={
            "issue_field_values": [
                {"field_id": due.id, "value": "2026-03-01"},
                {"field_id": points.id, "value": 3},
            ]
        },
    )
    assert {v["issue_field_name"]: v["value"] for v in more.json()} == {
        "Priority": "P1",
        "Due date": "2026-03-01",
        "Points": 3,
    }
    listed = http.get(url).json()
    assert len(listed) == 3
    issue = http.get(f"{sb.base_url}/repos/acme/web/issues/1").json()
    assert len(issue["issue_field_values"]) == 3
    replaced = http.put(
        url, json={"issue_field_values": [{"field_id": due.id, "value": "2026-04-01"}]}
    )
    assert [v["value"] for v in replaced.json()] == ["2026-04-01"]
    assert http.delete(f"{url}/{due.id}").status_code == 204
    assert http.delete(f"{url}/{due.id}").status_code == 404  # no value left to delete
    assert http.get(url).json() == []


def test_issue_field_value_errors_name_the_field(sb: Sandbox, http: requests.Session) -> None:
    priority = sb.org.seed_issue_field("Priority", "single_select", ["P0", "P1"])
    due = sb.org.seed_issue_field("Due date", "date")
    sb.seed_issue(title="item")
    url = f"{sb.base_url}/repos/acme/web/issues/1/issue-field-values"
    cases = [
        ({"field_id": priority.id, "value": "P9"}, "Priority: 'P9' is not one of its options"),
        ({"field_id": due.id, "value": "next week"}, "Due date: 'next week' is not an ISO"),
        ({"field_id": due.id, "value": 5}, "Due date: a date field takes a string"),
    ]
    for entry, message in cases:
        answer = http.post(url, json={"issue_field_values": [entry]})
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["message"].startswith(message)
    unknown = http.post(url, json={"issue_field_values": [{"field_id": 1, "value": "x"}]})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "field_id"
    assert sb.state.issues[1].field_values == {}


def test_field_values_on_create_and_update(sb: Sandbox, http: requests.Session) -> None:
    priority = sb.org.seed_issue_field("Priority", "single_select", ["P0", "P1"])
    created = http.post(
        f"{sb.base_url}/repos/acme/web/issues",
        json={"title": "x", "issue_field_values": [{"field_id": priority.id, "value": "P0"}]},
    ).json()
    assert created["issue_field_values"][0]["value"] == "P0"
    updated = http.patch(
        f"{sb.base_url}/repos/acme/web/issues/1",
        json={"issue_field_values": [{"field_id": priority.id, "value": "P1"}]},
    ).json()
    assert updated["issue_field_values"][0]["value"] == "P1"


def test_only_writers_set_field_values(sb: Sandbox) -> None:
    priority = sb.org.seed_issue_field("Priority", "single_select", ["P0"])
    sb.seed_issue(title="item")
    sb.seed_user("rita", association="NONE", permission="read", token="rita-token")
    answer = session("rita-token").post(
        f"{sb.base_url}/repos/acme/web/issues/1/issue-field-values",
        json={"issue_field_values": [{"field_id": priority.id, "value": "P0"}]},
    )
    assert answer.status_code == 403


def test_the_cli_serves_several_repositories() -> None:
    cmd = [sys.executable, "-m", "pmbot", "sandbox", "--repo", "acme/web", "--repo", "acme/api"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            base = proc.stdout.readline().strip()
            assert session().get(f"{base}/repos/acme/api").json()["full_name"] == "acme/api"
            assert session().get(f"{base}/repos/acme/web").status_code == 200
        finally:
            proc.terminate()
    for repos in (["acme/web", "other/api"], ["acme/web", "acme/web"]):
        args = [a for r in repos for a in ("--repo", r)]
        refused = subprocess.run(
            [sys.executable, "-m", "pmbot", "sandbox", *args], capture_output=True, text=True
        )
        assert refused.returncode == 2 and "each --repo once" in refused.stderr
