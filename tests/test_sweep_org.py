"""`pmbot sweep --org`: one sweep over an organisation's repositories, against the sandbox
over real HTTP. Items are seeded with the markers intake writes, in several repositories;
the clock moves past their due date and each configured repository gets its notices."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.org import CONFIG, OVERDUE, env, organisation, postmortem

from pmbot.app.sweep_org import sweep_org
from pmbot.cli import build_parser
from pmbot.core import markers
from pmbot.sandbox import Sandbox, State


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        for login in ("alice", "carol", "dave"):
            sandbox.seed_user(login, association="MEMBER", permission="write")
        yield sandbox


def notices(repo: State) -> list[tuple[int, str]]:
    out = []
    for c in sorted(repo.comments.values(), key=lambda c: c.id):
        found = markers.find(c.body, "reminder")
        if found is not None:
            out.append((c.issue, str(found["step"])))
    return out


def test_one_sweep_covers_every_configured_repository(sb: Sandbox, tmp_path: Path) -> None:
    web, api, docs = organisation(sb)
    code = sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None)
    assert code == 0
    assert sorted(notices(web)) == [(1, "overdue"), (2, "overdue"), (3, "overdue")]
    assert sorted(notices(api)) == [(1, "overdue"), (2, "overdue"), (3, "overdue")]
    assert "overdue" in api.issues[2].labels
    assert notices(docs) == [] and docs.issues[1].labels == ["action-item", "P1"]
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "sweep --org acme" in summary and "acme/docs: no .github/pmbot.yml" in summary


def test_a_rerun_at_the_same_time_writes_nothing(sb: Sandbox, tmp_path: Path) -> None:
    organisation(sb)
    sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None)
    writes = sb.counters.writes
    sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None)
    assert sb.counters.writes == writes


def test_a_dry_run_writes_nothing(sb: Sandbox, tmp_path: Path) -> None:
    web, _, _ = organisation(sb)
    sweep_org(env(sb, tmp_path), "acme", dry_run=True, now=OVERDUE, config_path=None)
    assert sb.counters.writes == 0 and notices(web) == []


def test_reads_do_not_grow_with_repositories_without_items(sb: Sandbox, tmp_path: Path) -> None:
    organisation(sb, empty_repos=40)  # 43 repositories, 7 items in 3 of them
    sweep_org(env(sb, tmp_path), "acme", dry_run=True, now=OVERDUE, config_path=None)
    reads = sb.counters.by_method["GET"]
    # one search page of items and one of open postmortems (none), who the token is, the
    # home repository's configuration, the rate limit at the start and the end, and per
    # repository with items one configuration read and, where it names a leadership team,
    # one listing of pmbot's leadership digest issues
    assert reads <= math.ceil(7 / 100) + 1 + 4 + 3 * 2, sb.counters.by_endpoint


def test_the_cli_takes_an_organisation() -> None:
    args = build_parser().parse_args(["sweep", "--org", "acme", "--dry-run"])
    assert args.org == "acme" and args.dry_run
    assert build_parser().parse_args(["sweep"]).org is None


BOARD_CONFIG = CONFIG + "project:\n  board: orgs/acme/1\n"


def board_values(sb: Sandbox) -> dict[str, dict[str, object]]:
    """The board as the sandbox holds it: 'repo#number' -> {field name: shown value}."""
    project = sb.org.projects[0]
    out = {}
    for item in project.items:
        repo, issue = sb.org.issue_by_id(item.issue_id) or (None, None)
        assert repo is not None and issue is not None
        shown = {}
        for f in project.fields:
            if f.id in item.values:
                option = f.option(item.values[f.id])
                shown[f.name] = option.name if option else item.values[f.id]
        out[f"{repo.name}#{issue.number}"] = shown
    return out


def test_the_board_keeps_every_item_in_step(sb: Sandbox, tmp_path: Path) -> None:
    web, _, _ = organisation(sb)
    web.seed_file(".github/pmbot.yml", BOARD_CONFIG)  # the home repository's settings
    sb.org.seed_project("Action items")
    sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None)
    shown = board_values(sb)
    assert sorted(shown) == ["api#1", "api#2", "api#3", "web#1", "web#2", "web#3"]  # not docs
    assert shown["api#2"] == {
        "Status": "Todo",
        "Priority": "P1",
        "Due date": "2026-03-02",
        "Postmortem": "acme/api#1",
    }
    # people move cards; pmbot leaves Status alone and a rerun writes nothing
    project = sb.org.projects[0]
    status = next(f for f in project.fields if f.name == "Status")
    in_progress = next(o.id for o in status.options if o.name == "In Progress")
    project.items[0].values[status.id] = in_progress
    writes = sb.counters.writes
    sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None)
    assert sb.counters.writes == writes
    assert project.items[0].values[status.id] == in_progress
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "project orgs/acme/1: 6 items added" in summary


def test_a_dry_run_leaves_the_board_alone(sb: Sandbox, tmp_path: Path) -> None:
    web, _, _ = organisation(sb)
    web.seed_file(".github/pmbot.yml", BOARD_CONFIG)
    sb.org.seed_project("Action items")
    sweep_org(env(sb, tmp_path), "acme", dry_run=True, now=OVERDUE, config_path=None)
    assert sb.counters.writes == 0 and sb.org.projects[0].items == []


def test_the_rate_limit_floor_holds_across_repositories(sb: Sandbox, tmp_path: Path) -> None:
    web, api, _ = organisation(sb)
    sb.rate.set_remaining(60)  # the default floor is 50: room for a few writes only
    code = sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None)
    assert code == 0
    written = len(notices(web)) + len(notices(api))
    assert 0 < written < 6
    assert sb.rate.remaining >= 50 - 4  # stopped at the floor (less one item's writes)
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "stopped at the rate-limit floor" in summary


# --- late postmortem documents ----------------------------------------------------------------

LATE = datetime(2026, 11, 20, 6, tzinfo=UTC)  # the example's SEV-2 (resolved 11-03) is late


def documents_late(sb: Sandbox) -> tuple[State, State, State]:
    """The organisation with a late SEV-2 postmortem in `api` (which has items) and in `ops`
    (which has none), and postmortems still within their deadline in `web` and `quiet`."""
    web, api, _ = organisation(sb)
    ops, quiet = sb.org.add_repo("ops"), sb.org.add_repo("quiet")
    for repo in (ops, quiet):
        repo.seed_file(".github/pmbot.yml", CONFIG)
    postmortem(api, "SEV-2")
    postmortem(ops, "SEV-2")
    for repo in (web, quiet):
        on_time = postmortem(repo, "SEV-2")
        issue = repo.issues[on_time]
        issue.body = (issue.body or "").replace("2026-11-03 16:10", "2026-11-19 16:10")
    return api, ops, quiet


def document_reminders(repo: State) -> list[int]:
    return [number for number, step in notices(repo) if step == "document"]


def traffic(log: Path) -> list[tuple[str, str]]:
    """(method, path) of every request the sandbox logged."""
    lines = log.read_text(encoding="utf-8").splitlines()
    return [(e["method"], e["path"]) for e in map(json.loads, lines)]


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    log = tmp_path / "traffic.jsonl"
    with Sandbox(repo="acme/web", log_path=log) as sandbox:
        for login in ("alice", "carol", "dave"):
            sandbox.seed_user(login, association="MEMBER", permission="write")
        yield sandbox, log


def test_late_documents_are_reminded_across_repositories(
    logged: tuple[Sandbox, Path], tmp_path: Path
) -> None:
    sb, log = logged
    api, ops, quiet = documents_late(sb)
    code = sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=LATE, config_path=None)
    assert code == 0
    assert document_reminders(api) == [4]  # its items' notices besides
    assert document_reminders(ops) == [1]  # no action items: visited for its postmortem
    assert document_reminders(sb.state) == [] and document_reminders(quiet) == []
    trees = sorted(p.split("/")[3] for m, p in traffic(log) if "/git/trees/" in p)
    assert trees == ["api", "ops"]  # the documents' tree read only where one is late
    assert not [p for _, p in traffic(log) if p.startswith("/repos/acme/quiet")]
    searches = [p for _, p in traffic(log) if p == "/search/issues"]
    assert len(searches) == 2  # the items, the open postmortems: one page each

    writes = sb.counters.writes
    sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=LATE, config_path=None)
    assert sb.counters.writes == writes  # a rerun writes nothing
    assert document_reminders(api) == [4] and document_reminders(ops) == [1]


def test_a_dry_run_reminds_no_late_document(sb: Sandbox, tmp_path: Path) -> None:
    api, ops, _ = documents_late(sb)
    sweep_org(env(sb, tmp_path), "acme", dry_run=True, now=LATE, config_path=None)
    assert sb.counters.writes == 0
    assert document_reminders(api) == [] and document_reminders(ops) == []


def test_the_board_search_finds_the_late_postmortems(sb: Sandbox, tmp_path: Path) -> None:
    """With a board, its search over every postmortem is the one that finds the late ones."""
    api, ops, _ = documents_late(sb)
    sb.state.seed_file(".github/pmbot.yml", BOARD_CONFIG)
    sb.org.seed_project("Action items")
    sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=LATE, config_path=None)
    assert sb.counters.by_endpoint["GET /search/issues"] == 2  # the items, all postmortems
    assert document_reminders(api) == [4] and document_reminders(ops) == [1]
