"""The adapter for an organisation against the sandbox over HTTP: search past 1,000 results
in creation-date slices, search's rate limit, incomplete results, the installation's
repositories, issue types and issue field values, and a Projects board kept in step."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import FakeTime, settings_for

from pmbot.errors import GitHubError
from pmbot.github.models import BoardItem, ProjectFieldSpec, ProjectRef
from pmbot.github.org import GitHubOrg, SearchError
from pmbot.github.projects import ProjectBoard
from pmbot.sandbox import Sandbox

START = datetime(2026, 1, 1, tzinfo=UTC)
QUERY = "is:issue is:open label:action-item org:acme"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web", search_rate_limit=1000) as sandbox:
        yield sandbox


def adapter(sb: Sandbox, fake: FakeTime | None = None, token: str | None = None) -> GitHubOrg:
    fake = fake or FakeTime()
    settings = settings_for(sb) if token is None else settings_for(sb, token=token)
    return GitHubOrg(settings, pace=False, sleep=fake.sleep, clock=fake.time)


def seed_org(sb: Sandbox, per_repo: int, repos: tuple[str, ...] = ("web", "api", "infra")) -> int:
    """Open action items spread over `repos`, several created in the same second (as a
    bulk intake does), plus closed items and other issues that must not be found."""
    states = {name: sb.org.repos.get(name) or sb.org.add_repo(name) for name in repos}
    n = 0
    for k in range(per_repo):
        for name, state in states.items():
            when = START + timedelta(minutes=k // 3)  # three issues share each minute
            state.seed_issue(title=f"{name} {k}", labels=["action-item"], created_at=when)
            n += 1
        if k % 10 == 0:
            states[repos[0]].seed_issue(title="done", labels=["action-item"], state="closed")
            states[repos[-1]].seed_issue(title="postmortem", labels=["postmortem"])
    return n


def search_reads(sb: Sandbox) -> int:
    return sb.counters.by_endpoint["GET /search/issues"]


# ---- search past 1,000 results --------------------------------------------------------------


def test_search_reads_every_match_past_the_thousand_cap(sb: Sandbox) -> None:
    n = seed_org(sb, 800)  # 2,400 open action items in three repositories
    found = adapter(sb).search_issues(QUERY)
    assert len(found) == n == 2400
    assert len({i.issue.id for i in found}) == n  # each once, overlaps dropped
    assert {i.repository for i in found} == {"acme/web", "acme/api", "acme/infra"}
    assert all(i.issue.state == "open" and "action-item" in i.issue.labels for i in found)
    assert [i.issue.created_at for i in found] == sorted(i.issue.created_at for i in found)
    assert sb.counters.by_status[422] == 0  # never asked past the cap
    reads = search_reads(sb)
    assert reads <= math.ceil(n / 100) + 3, reads  # ⌈N/100⌉ + a small constant


def test_search_under_the_cap_is_one_slice(sb: Sandbox) -> None:
    n = seed_org(sb, 300)  # 900 items: ten pages, no slicing
    assert len(adapter(sb).search_issues(QUERY)) == n
    assert search_reads(sb) == math.ceil(n / 100)


def test_reads_do_not_depend_on_the_number_of_repositories(sb: Sandbox) -> None:
    names = tuple(f"team{i}" for i in range(40))
    n = seed_org(sb, 30, repos=names)  # 1,200 items in 40 repositories
    assert len(adapter(sb).search_issues(QUERY)) == n
    assert search_reads(sb) <= math.ceil(n / 100) + 2


def test_search_keeps_its_rate_limit_without_being_refused() -> None:
    with Sandbox(repo="acme/web", search_rate_limit=5) as sb:
        n = seed_org(sb, 400)  # 1,200 items: at least 13 pages, more than 5 a minute
        fake = FakeTime(start=time.time())

        def minute_passes(seconds: float) -> None:
            # the window the client waited for passes, on the client's clock
            fake.sleep(seconds)
            sb.search_rate.set_remaining(5, reset_in=int(fake.now - time.time()) + 60)

        gh = GitHubOrg(settings_for(sb), pace=False, sleep=minute_passes, clock=fake.time)
        found = gh.search_issues(QUERY)
        assert len(found) == n
        assert sb.counters.by_status[403] == 0  # waited before, never refused
        assert len(fake.sleeps) >= search_reads(sb) // 5 - 1
        assert all(s <= 62 for s in fake.sleeps)  # waits for the reset, not longer


def test_search_refused_for_its_limit_waits_and_resumes() -> None:
    with Sandbox(repo="acme/web", search_rate_limit=30) as sb:
        n = seed_org(sb, 50)
        sb.search_rate.set_remaining(0, reset_in=30)  # someone else used the minute up
        fake = FakeTime(start=time.time())

        def minute_passes(seconds: float) -> None:
            fake.sleep(seconds)
            sb.search_rate.set_remaining(30, reset_in=int(fake.now - time.time()) + 60)

        gh = GitHubOrg(settings_for(sb), pace=False, sleep=minute_passes, clock=fake.time)
        assert len(gh.search_issues(QUERY)) == n
        assert sb.counters.by_status[403] == 1 and len(fake.sleeps) == 1


def test_incomplete_results_are_asked_again_not_trusted(sb: Sandbox) -> None:
    n = seed_org(sb, 100)
    sb.org.incomplete_searches = 1
    gh = adapter(sb)
    assert len(gh.search_issues(QUERY)) == n
    assert search_reads(sb) == math.ceil(n / 100) + 1


def test_search_that_stays_incomplete_is_an_error(sb: Sandbox) -> None:
    seed_org(sb, 10)
    sb.org.incomplete_searches = 10
    with pytest.raises(SearchError, match="incomplete 3 times"):
        adapter(sb).search_issues(QUERY)


# ---- the installation's repositories ----------------------------------------------------------


def test_installation_repositories(sb: Sandbox) -> None:
    for i in range(120):
        sb.org.add_repo(f"team{i:03d}")
    sb.org.install_app("pmbot", "ghs_orgadapter")
    names = adapter(sb, token="ghs_orgadapter").installation_repositories()
    assert len(names) == 121 and names[0] == "acme/web" and names[-1] == "acme/team119"
    assert sb.counters.by_endpoint["GET /installation/repositories"] == 2  # pages of 100


# ---- issue types and issue fields -------------------------------------------------------------


def test_issue_type_set_once_then_left_alone(sb: Sandbox) -> None:
    sb.org.seed_issue_type("Task")
    sb.org.seed_issue_type("Bug")
    sb.org.seed_issue_type("Epic", is_enabled=False)
    sb.seed_issue(title="item", labels=["action-item"])
    gh = adapter(sb)
    assert gh.issue_types() == ("Task", "Bug")
    (item,) = gh.search_issues(QUERY)
    assert item.issue_type is None
    assert gh.set_issue_type(item, "Task") is True
    (again,) = gh.search_issues(QUERY)
    assert again.issue_type == "Task"
    writes = sb.counters.writes
    assert gh.set_issue_type(again, "Task") is False
    assert sb.counters.writes == writes


def test_issue_field_values_only_changes_are_written(sb: Sandbox) -> None:
    sb.org.seed_issue_field("Priority", "single_select", ["P0", "P1", "P2", "P3"])
    sb.org.seed_issue_field("Due date", "date")
    sb.seed_issue(title="item", labels=["action-item"])
    gh = adapter(sb)
    fields = gh.issue_fields()
    assert fields["Priority"].options == ("P0", "P1", "P2", "P3")
    (item,) = gh.search_issues(QUERY)
    wanted = {"Priority": "P1", "Due date": "2026-03-01"}
    assert gh.set_field_values(item, wanted, fields) == ("Due date", "Priority")
    (again,) = gh.search_issues(QUERY)
    assert dict(again.field_values) == wanted
    writes = sb.counters.writes
    assert gh.set_field_values(again, wanted, fields) == ()  # a rerun writes nothing
    assert sb.counters.writes == writes
    moved = gh.set_field_values(again, {**wanted, "Due date": "2026-04-01"}, fields)
    assert moved == ("Due date",)
    assert sb.state.issues[1].field_values[fields["Due date"].id] == "2026-04-01"
    writes = sb.counters.writes
    with pytest.raises(GitHubError, match="has no such issue field") as unknown:
        gh.set_field_values(again, {"Severity": "SEV-2"}, fields)
    assert "'Severity'" in str(unknown.value)
    with pytest.raises(GitHubError, match="'P9' is not one of its options"):
        gh.set_field_values(again, {"Priority": "P9"}, fields)
    with pytest.raises(GitHubError, match="is not a date"):
        gh.set_field_values(again, {"Due date": "next week"}, fields)
    assert sb.counters.writes == writes  # checked first: nothing GitHub would refuse was sent


def test_no_issue_types_or_fields_is_empty_not_an_error(sb: Sandbox) -> None:
    gh = adapter(sb)
    assert gh.issue_types() == () and gh.issue_fields() == {}


# ---- a Projects board -------------------------------------------------------------------------

SPECS = (
    ProjectFieldSpec(name="Priority", data_type="single_select", options=("P0", "P1", "P2", "P3")),
    ProjectFieldSpec(name="Due date", data_type="date"),
    ProjectFieldSpec(name="Status", data_type="single_select", options=("Todo", "Done")),
    ProjectFieldSpec(
        name="Severity", data_type="single_select", options=("SEV-1", "SEV-2", "SEV-3")
    ),
    ProjectFieldSpec(name="Postmortem", data_type="text"),
)


def board_items(sb: Sandbox, due: str = "2026-03-01") -> list[BoardItem]:
    api = sb.org.repos.get("api") or sb.org.add_repo("api")
    issues = [sb.seed_issue(title="web item"), api.seed_issue(title="api item")]
    return [
        BoardItem(
            issue_id=issue.id,
            values=(
                ("Priority", "P1"),
                ("Due date", due),
                ("Status", "Todo"),
                ("Severity", "SEV-2"),
                ("Postmortem", "acme/web#1"),
            ),
        )
        for issue in issues
    ]


def test_board_sync_creates_fields_adds_items_and_a_rerun_writes_nothing(sb: Sandbox) -> None:
    sb.org.seed_project("Action items")
    items = board_items(sb)
    board = ProjectBoard(adapter(sb), ProjectRef(owner="acme", number=1))
    first = board.sync(SPECS, items)
    assert first.fields_created == ("Priority", "Due date", "Severity", "Postmortem")
    assert (first.items_added, first.items_updated, first.values_written) == (2, 2, 10)
    assert first.problems == ()
    project = sb.org.projects[0]
    due = next(f for f in project.fields if f.name == "Due date")
    assert [i.values[due.id] for i in project.items] == ["2026-03-01", "2026-03-01"]
    writes = sb.counters.writes
    second = ProjectBoard(adapter(sb), ProjectRef(owner="acme", number=1)).sync(SPECS, items)
    assert second.writes == 0 and second.values_written == 0
    assert sb.counters.writes == writes  # the rerun wrote nothing
    assert len(project.items) == 2 and len(project.fields) == 14


def test_board_sync_writes_only_the_changed_value(sb: Sandbox) -> None:
    sb.org.seed_project("Action items")
    items = board_items(sb)
    board = ProjectBoard(adapter(sb), ProjectRef(owner="acme", number=1))
    board.sync(SPECS, items)
    moved = [items[0].model_copy(update={"values": (("Due date", "2026-04-15"),)}), items[1]]
    sb.counters.reset()
    result = board.sync(SPECS, moved)
    assert (result.items_updated, result.values_written) == (1, 1)
    assert sb.counters.writes == 1
    assert (
        sb.counters.by_endpoint["PATCH /orgs/{org}/projectsV2/{project_number}/items/{item_id}"]
        == 1
    )


def test_board_option_missing_is_reported_not_invented(sb: Sandbox) -> None:
    sb.org.seed_project("Action items", fields={"Priority": ["P0", "P1"]})
    (item, _) = board_items(sb)
    odd = item.model_copy(update={"values": (("Priority", "P3"), ("Due date", "2026-03-01"))})
    result = ProjectBoard(adapter(sb), ProjectRef(owner="acme", number=1)).sync(SPECS, [odd])
    assert result.problems and "no option 'P3'" in result.problems[0]
    assert result.values_written == 1  # the due date still went in


def test_a_user_board(sb: Sandbox) -> None:
    sb.seed_user("dana")
    sb.org.seed_project("Mine", owner="dana")
    items = board_items(sb)
    ref = ProjectRef(owner="dana", number=1, owner_is_org=False)
    assert ProjectBoard(adapter(sb), ref).sync(SPECS[:2], items).items_added == 2


def test_a_board_that_is_not_there_says_which(sb: Sandbox) -> None:
    board = ProjectBoard(adapter(sb), ProjectRef(owner="acme", number=7))
    with pytest.raises(GitHubError, match="the organisation acme has no project #7"):
        board.sync(SPECS, [])
