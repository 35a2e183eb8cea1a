"""The Projects board of `project.board` kept in step by the sweep, over real HTTP: the
items' fields (Severity from their postmortem), Done when an item is closed, Todo when it is
reopened, a rerun writing nothing — for `pmbot sweep --org` and for one repository's
`pmbot sweep`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.org import CONFIG, OVERDUE, env, item, postmortem

from pmbot.app.sweep import sweep
from pmbot.app.sweep_org import sweep_org
from pmbot.sandbox import Sandbox, State
from pmbot.sandbox.org import ProjectItem

BOARD_CONFIG = CONFIG + "project:\n  board: orgs/acme/1\n"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        for login in ("alice", "carol", "dave"):
            sandbox.seed_user(login, association="MEMBER", permission="write")
        sandbox.org.seed_project("Action items")
        yield sandbox


def board(sb: Sandbox) -> dict[str, dict[str, object]]:
    """The board as the sandbox holds it: 'repo#number' -> {field name: shown value}."""
    project = sb.org.projects[0]
    out = {}
    for entry in project.items:
        repo, issue = sb.org.issue_by_id(entry.issue_id) or (None, None)
        assert repo is not None and issue is not None
        shown = {}
        for f in project.fields:
            if f.id in entry.values:
                option = f.option(entry.values[f.id])
                shown[f.name] = option.name if option else entry.values[f.id]
        out[f"{repo.name}#{issue.number}"] = shown
    return out


def two_teams(sb: Sandbox) -> tuple[State, State]:
    """web: a SEV-1 postmortem (#1) with items #2 and #3; api: a SEV-3 one (#1), item #2."""
    web, api = sb.state, sb.org.add_repo("api")
    web.seed_file(".github/pmbot.yml", BOARD_CONFIG)
    api.seed_file(".github/pmbot.yml", CONFIG)
    item(web, 1, pm=postmortem(web, "SEV-1"))
    item(web, 2, pm=1)
    item(api, 1, pm=postmortem(api, "SEV-3"))
    return web, api


def set_state(repo: State, number: int, state: str) -> None:
    with repo.lock:
        issue = repo.issues[number]
        issue.state = state
        issue.state_reason = "completed" if state == "closed" else "reopened"
        issue.closed_at = repo.now() if state == "closed" else None
        issue.updated_at = repo.now()


def run_org(sb: Sandbox, tmp: Path) -> int:
    return sweep_org(env(sb, tmp), "acme", dry_run=False, now=OVERDUE, config_path=None)


def test_items_of_two_teams_show_their_postmortems_severity(sb: Sandbox, tmp_path: Path) -> None:
    two_teams(sb)
    assert run_org(sb, tmp_path) == 0
    shown = board(sb)
    assert sorted(shown) == ["api#2", "web#2", "web#3"]  # postmortems are not action items
    assert shown["web#3"] == {
        "Status": "Todo",
        "Priority": "P1",
        "Due date": "2026-03-02",
        "Severity": "SEV-1",
        "Postmortem": "acme/web#1",
    }
    assert shown["api#2"]["Severity"] == "SEV-3"
    fields = [f.name for f in sb.org.projects[0].fields]
    assert fields.count("Severity") == 1 and fields.count("Priority") == 1


def test_a_closed_item_is_done_and_a_reopened_one_todo_again(sb: Sandbox, tmp_path: Path) -> None:
    web, _ = two_teams(sb)
    run_org(sb, tmp_path)
    set_state(web, 2, "closed")  # the sweep's search no longer finds it
    run_org(sb, tmp_path)
    assert board(sb)["web#2"]["Status"] == "Done"
    assert board(sb)["web#3"]["Status"] == "Todo"
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "1 closed → Done" in summary
    writes = sb.counters.writes
    run_org(sb, tmp_path)
    assert sb.counters.writes == writes  # a rerun writes nothing
    set_state(web, 2, "open")
    run_org(sb, tmp_path)
    assert board(sb)["web#2"]["Status"] == "Todo"
    assert len(sb.org.projects[0].items) == 3  # joining again adds no second card
    writes = sb.counters.writes
    run_org(sb, tmp_path)
    assert sb.counters.writes == writes


def test_done_cards_are_not_read_again(sb: Sandbox, tmp_path: Path) -> None:
    web, _ = two_teams(sb)
    run_org(sb, tmp_path)
    project = sb.org.projects[0]
    status = next(f for f in project.fields if f.name == "Status")
    done = next(o.id for o in status.options if o.name == "Done")
    for n in range(3, 153):  # 150 items closed long ago, their cards Done
        number = item(web, n, pm=1)
        set_state(web, number, "closed")
        with web.lock:
            project.items.append(
                ProjectItem(
                    id=sb.org.next_id(), repo="web", issue_id=web.issues[number].id,
                    content_type="Issue", creator="acme", created_at=web.now(),
                    updated_at=web.now(), values={status.id: done},
                )
            )  # fmt: skip
    before = sb.counters.by_endpoint.copy()
    writes = sb.counters.writes
    run_org(sb, tmp_path)
    listing = "GET /orgs/{org}/projectsV2/{project_number}/items"
    # 153 cards, 3 not Done: the board's listing is one page, not two, and nothing to write
    assert sb.counters.by_endpoint[listing] - before[listing] == 1, sb.counters.by_endpoint
    assert sb.counters.writes == writes


def test_a_human_status_on_an_open_item_is_kept(sb: Sandbox, tmp_path: Path) -> None:
    two_teams(sb)
    run_org(sb, tmp_path)
    project = sb.org.projects[0]
    status = next(f for f in project.fields if f.name == "Status")
    progress = next(o.id for o in status.options if o.name == "In Progress")
    project.items[0].values[status.id] = progress
    writes = sb.counters.writes
    run_org(sb, tmp_path)
    assert sb.counters.writes == writes and project.items[0].values[status.id] == progress


def test_one_repositorys_sweep_keeps_its_items_on_the_board(sb: Sandbox, tmp_path: Path) -> None:
    web, api = two_teams(sb)
    api.seed_file(".github/pmbot.yml", BOARD_CONFIG)
    environ = env(sb, tmp_path)
    assert sweep(environ, dry_run=False, now=OVERDUE, config_path=None) == 0
    shown = board(sb)
    assert sorted(shown) == ["web#2", "web#3"]  # this repository's only
    assert shown["web#2"]["Severity"] == "SEV-1" and shown["web#2"]["Status"] == "Todo"
    set_state(web, 3, "closed")
    sweep(environ, dry_run=False, now=OVERDUE, config_path=None)
    assert board(sb)["web#3"]["Status"] == "Done"
    writes = sb.counters.writes
    sweep(environ, dry_run=False, now=OVERDUE, config_path=None)
    assert sb.counters.writes == writes
    dry = sb.counters.writes
    sweep({**environ, "GITHUB_REPOSITORY": "acme/api"}, dry_run=True, now=OVERDUE, config_path=None)
    assert sb.counters.writes == dry and sorted(board(sb)) == ["web#2", "web#3"]
