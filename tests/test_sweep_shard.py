"""`pmbot sweep --org OWNER --shard K/N --results FILE`: an organisation's sweep split across a
job matrix, against the sandbox over real HTTP. Each repository is in exactly one shard; a
shard reads and writes only its own; the shards together do what one run does; each shard
keeps its own write budget; the results file says what the shard did."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.org import CONFIG, OVERDUE, env, item

from pmbot.app.report_org import report_org
from pmbot.app.sweep_org import sweep_org
from pmbot.app.sweep_results import SCHEMA, gather, read_results
from pmbot.cli import main
from pmbot.core import markers
from pmbot.core.model import Priority
from pmbot.errors import PmbotError
from pmbot.flows.shard import (
    MAX_QUERY,
    ROOM,
    Shard,
    repository_queries,
    search_plan,
    shard_of,
)
from pmbot.github.models import GitHubSettings
from pmbot.github.org import GitHubOrg
from pmbot.sandbox import Sandbox, State

TEAMS = [f"team{i:02d}" for i in range(11)]  # with acme/web: 12 repositories
APP_TOKEN = "ghs_shardtest"


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.jsonl"


@pytest.fixture
def sb(log: Path) -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web", log_path=log) as sandbox:
        for login in ("alice", "carol", "dave"):
            sandbox.seed_user(login, association="MEMBER", permission="write")
        yield sandbox


def fleet(sb: Sandbox, user: str | None = None) -> dict[str, State]:
    """acme/web and eleven more repositories, each with pmbot and two overdue items."""
    repos = {"acme/web": sb.state}
    repos |= {f"acme/{name}": sb.org.add_repo(name) for name in TEAMS}
    for repo in repos.values():
        repo.seed_file(".github/pmbot.yml", CONFIG)
        item(repo, 1, user=user)
        item(repo, 2, user=user)
    return repos


def noticed(repos: dict[str, State]) -> set[str]:
    """The repositories where a pmbot notice was written."""
    return {
        name
        for name, repo in repos.items()
        if any(markers.find(c.body, "reminder") for c in repo.comments.values())
    }


def exchanges(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def touched(log: Path, since: int = 0, writes_only: bool = False) -> set[str]:
    """The repositories the requests in the log (from exchange `since` on) named
    (`/repos/OWNER/NAME/...`)."""
    out = set()
    for x in exchanges(log)[since:]:
        if writes_only and x["method"] == "GET":
            continue
        parts = x["path"].split("/")
        if len(parts) > 3 and parts[1] == "repos":
            out.add(f"{parts[2]}/{parts[3]}".lower())
    return out


# ---- membership --------------------------------------------------------------------------------


def test_every_repository_is_in_exactly_one_shard() -> None:
    names = [f"acme/service-{i}" for i in range(1000)]
    for count in (1, 2, 3, 8, 16):
        shards = [Shard(k, count) for k in range(1, count + 1)]
        for name in names:
            assert sum(s.holds(name) for s in shards) == 1, (name, count)
    sizes = Counter(shard_of(name, 8) for name in names)
    assert set(sizes) == set(range(1, 9))
    assert max(sizes.values()) < 1.3 * min(sizes.values())  # a hash spreads them evenly


def test_membership_is_stable_and_ignores_case() -> None:
    # Fixed values: a shard must not move between runs, machines or Python versions
    # (Python's hash() of a str changes with every process; sha256 does not).
    assert [shard_of("acme/web", 8), shard_of("acme/api", 8), shard_of("acme/docs", 8)] == [
        shard_of("ACME/Web", 8),
        shard_of("Acme/API", 8),
        shard_of("acme/DOCS", 8),
    ]
    # as `printf acme/team00 | sha256sum` read as a number, modulo 3, plus 1
    assert [shard_of(f"acme/team{i:02d}", 3) for i in range(6)] == [1, 1, 1, 3, 3, 1]
    assert shard_of("acme/web", 1) == 1


@pytest.mark.parametrize("text", ["0/8", "9/8", "3", "a/b", "1/0", "-1/4", "2/300", ""])
def test_bad_shard_values_say_what_to_give(text: str) -> None:
    with pytest.raises(PmbotError) as caught:
        Shard.parse(text)
    assert caught.value.problems[0].field == "--shard"
    assert "K/N" in caught.value.problems[0].fix


def test_good_shard_values() -> None:
    assert Shard.parse("3/8") == Shard(3, 8)
    assert Shard.parse(" 1 / 1 ") == Shard(1, 1)
    assert str(Shard.parse("8/8")) == "8/8"


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["sweep", "--org", "acme", "--shard", "9/8"], "--shard"),
        (["sweep", "--org", "acme", "--shard", "x"], "--shard"),
        (["sweep", "--shard", "1/2"], "--shard"),
        (["sweep", "--results", "out.json"], "--results"),
        (["report", "--sweep-results", "results"], "--sweep-results"),
    ],
)
def test_the_cli_refuses_bad_shard_arguments(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(str(exit_.code))
    assert code == 2
    err = capsys.readouterr().err
    assert flag in err and "Traceback" not in err
    assert "Fix:" in err or "needs --org" in err


# ---- search by name -----------------------------------------------------------------------------


def test_repository_queries_stay_within_searchs_length() -> None:
    base = 'is:issue is:open label:"action-item"'
    names = [f"acme/a-rather-long-service-name-{i:03d}" for i in range(40)]
    queries = repository_queries(base, reversed(names))
    # room is left for the creation-date slice the adapter adds past 1,000 results
    assert all(len(q + " created:>=2026-01-01T00:00:00Z") <= MAX_QUERY for q in queries)
    named = [t[len("repo:") :] for q in queries for t in q.split() if t.startswith("repo:")]
    assert named == names  # each exactly once, sorted
    per_query = (ROOM - len(base)) // len(" repo:" + names[0])
    assert len(queries) == -(-len(names) // per_query)
    assert repository_queries(base, []) == []
    with pytest.raises(PmbotError, match="too long to search by name"):
        repository_queries(base, ["acme/" + "x" * 250])


def test_the_shard_reads_the_cheaper_way() -> None:
    base = 'is:issue is:open label:"action-item"'
    org_query = f"{base} org:acme"
    names = [f"acme/team{i:03d}" for i in range(200)]
    shard = Shard(1, 8)
    mine = [n for n in names if shard.holds(n)]
    per_query = (ROOM - len(base)) // len(" repo:acme/team000")  # 10
    # many items: naming the shard's ~25 repositories (3 queries) beats reading all 10,000
    many = search_plan(org_query, base, 10_000, shard, names)
    assert many.mode == "repositories"
    assert len(many.queries) == -(-len(mine) // per_query)
    assert many.expected_pages == len(many.queries) + 13 and many.other_pages == 100
    # few items: the organisation's one page is cheaper than three queries
    few = search_plan(org_query, base, 40, shard, names)
    assert few.mode == "organisation" and few.queries == (org_query,)
    # without the list of repositories, only the organisation's query is possible
    unknown = search_plan(org_query, base, 10_000, shard, None)
    assert unknown.mode == "organisation"


# ---- over HTTP ----------------------------------------------------------------------------------


def test_a_query_by_name_past_1000_results_stays_within_256_characters(
    sb: Sandbox, log: Path
) -> None:
    """The fullest query by name, sliced by creation date past 1,000 results: the sandbox
    refuses a query longer than 256 characters, as GitHub does."""
    names = [f"acme/payments-service-{i:02d}" for i in range(20)]
    repos = [sb.org.add_repo(n.split("/")[1]) for n in names]
    base = 'is:issue is:open label:"action-item"'
    query = repository_queries(base, names)[0]
    assert len(query) > ROOM - len(" repo:acme/payments-service-00")  # as full as it gets
    held = [n for n in names if f"repo:{n} " in query + " "]
    for k in range(1_050):  # four a minute, in the repositories the query names
        repos[k % len(held)].seed_issue(
            title=f"item {k}", labels=["action-item"],
            created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=k // 4),
        )  # fmt: skip
    settings = GitHubSettings(token="sandbox-token", repository="acme/web", api_url=sb.base_url)
    found = GitHubOrg(settings, pace=False).search_issues(query)
    assert len(found) == 1_050
    asked = [x["query"]["q"] for x in exchanges(log) if x["path"] == "/search/issues"]
    asked = [q[0] if isinstance(q, list) else q for q in asked]
    assert any("created:>=" in q for q in asked)  # it was sliced
    assert max(len(q) for q in asked) <= MAX_QUERY


def test_the_shards_together_sweep_every_repository_once(
    sb: Sandbox, log: Path, tmp_path: Path
) -> None:
    repos = fleet(sb)
    count = 3
    seen: set[str] = set()
    for k in range(1, count + 1):
        shard = Shard(k, count)
        since = len(exchanges(log))
        before = noticed(repos)
        code = sweep_org(
            env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None, shard=shard
        )
        assert code == 0
        mine = {name for name in repos if shard.holds(name)}
        assert mine, "every shard of this fleet holds some repository"
        assert noticed(repos) - before == mine  # its own repositories, all of them
        assert touched(log, since, writes_only=True) == mine  # wrote nowhere else
        # it read only its own (and the home repository's configuration)
        assert touched(log, since) <= mine | {"acme/web"}
        assert not seen & mine
        seen |= mine
    assert seen == set(repos) == noticed(repos)
    # a second round of every shard writes nothing
    writes = sb.counters.writes
    for k in range(1, count + 1):
        sweep_org(
            env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None,
            shard=Shard(k, count),
        )  # fmt: skip
    assert sb.counters.writes == writes


def test_the_shards_write_what_one_run_writes(tmp_path: Path) -> None:
    def run(shards: int) -> dict[str, list[tuple[int, str]]]:
        with Sandbox(repo="acme/web") as sb:
            for login in ("alice", "carol", "dave"):
                sb.seed_user(login, association="MEMBER", permission="write")
            repos = fleet(sb)
            for k in range(1, shards + 1):
                shard = None if shards == 1 else Shard(k, shards)
                sweep_org(
                    env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None,
                    shard=shard,
                )  # fmt: skip
            return {
                name: sorted((c.issue, c.body) for c in repo.comments.values())
                for name, repo in repos.items()
            }

    assert run(4) == run(1)


def test_a_shard_keeps_its_own_write_budget_most_urgent_first(sb: Sandbox, tmp_path: Path) -> None:
    web, api = sb.state, sb.org.add_repo("api")
    # the run's budget is GITHUB_REPOSITORY's: 2 writes a run (an overdue notice is 2:
    # the item's state with its label, one request; the comment)
    web.seed_file(".github/pmbot.yml", CONFIG + "budget:\n  max_writes_per_run: 2\n")
    api.seed_file(".github/pmbot.yml", CONFIG)
    item(web, 1, priority=Priority.P2)
    item(api, 1, priority=Priority.P0)  # another repository's, and more urgent
    results = tmp_path / "results.json"
    sweep_org(
        env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None,
        shard=Shard(1, 1), results=results,
    )  # fmt: skip
    data = json.loads(results.read_text(encoding="utf-8"))
    rows = {r["repository"]: r for r in data["repositories"]}
    assert rows["acme/api"]["writes"] == 2 and rows["acme/api"]["deferred_writes"] == 0
    assert rows["acme/web"]["writes"] == 0 and rows["acme/web"]["deferred_writes"] == 2
    assert data["totals"]["writes"] == 2 == sb.counters.writes
    assert any(markers.find(c.body, "reminder") for c in api.comments.values())
    assert not web.comments
    # the next run does what was deferred
    sweep_org(
        env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None,
        shard=Shard(1, 1),
    )  # fmt: skip
    assert any(markers.find(c.body, "reminder") for c in web.comments.values())


def test_the_results_file(sb: Sandbox, tmp_path: Path) -> None:
    repos = fleet(sb)
    sb.org.add_repo("nopmbot")
    item(sb.org.repo("acme", "nopmbot"), 1)  # type: ignore[arg-type]
    files = []
    for k in (1, 2):
        path = tmp_path / "results" / f"shard-{k}.json"
        files.append(path)
        sweep_org(
            env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None,
            shard=Shard(k, 2), results=path,
        )  # fmt: skip
    gathered = read_results(reversed(files))
    assert [d["shard"] for d in gathered] == ["1/2", "2/2"]
    for data, k in zip(gathered, (1, 2), strict=True):
        assert data["schema"] == SCHEMA and data["org"] == "acme"
        assert data["complete"] is True and data["exit_code"] == 0 and data["dry_run"] is False
        assert data["now"] == "2026-03-03T06:00:00Z"
        names = [r["repository"] for r in data["repositories"]]
        assert names == sorted(names, key=str.lower)
        assert all(Shard(k, 2).holds(n) for n in names)
        swept = [r for r in data["repositories"] if r["status"] == "swept"]
        assert data["totals"]["items"] == 2 * len(swept)
        assert data["totals"]["writes"] == sum(r["writes"] for r in swept) > 0
        assert data["requests"]["writes"] >= data["totals"]["writes"]
    every = {r["repository"] for d in gathered for r in d["repositories"]}
    assert every == set(repos) | {"acme/nopmbot"}
    (missing,) = [r for d in gathered for r in d["repositories"] if r["status"] != "swept"]
    assert missing["repository"] == "acme/nopmbot" and missing["status"] == "not installed"
    assert sum(d["totals"]["writes"] for d in gathered) == sb.counters.writes


def test_results_files_that_are_not_say_so(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"schema": "something else"}', encoding="utf-8")
    with pytest.raises(PmbotError, match="not a sweep results file"):
        read_results([bad])
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(PmbotError, match="cannot be read as JSON"):
        read_results([bad])


def test_an_app_installation_shard_searches_its_repositories_by_name(
    sb: Sandbox, log: Path, tmp_path: Path
) -> None:
    bot = sb.org.install_app("pmbot", APP_TOKEN)
    repos = fleet(sb, user=bot)
    for repo in repos.values():  # enough items that naming the repositories pays
        for n in range(3, 40):
            item(repo, n, user=bot)
    shard = Shard(2, 3)
    environ = env(sb, tmp_path) | {"GITHUB_TOKEN": APP_TOKEN, "PMBOT_BOT_LOGIN": bot}
    results = tmp_path / "r.json"
    sweep_org(
        environ, "acme", dry_run=True, now=OVERDUE, config_path=None, shard=shard,
        results=results,
    )  # fmt: skip
    searches = [x for x in exchanges(log) if x["path"] == "/search/issues"]
    queries = [x["query"]["q"] for x in searches]
    queries = [q[0] if isinstance(q, list) else q for q in queries]
    # one count of the organisation's items, then the shard's repositories by name
    assert queries[0].endswith("org:acme")
    named = {t[len("repo:") :] for q in queries[1:] for t in q.split() if t.startswith("repo:")}
    assert named == {name for name in repos if shard.holds(name)}
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["search"]["mode"] == "repositories"
    assert data["totals"]["items"] == 39 * len(named)
    # fewer search pages than the organisation's query would read (12 x 39 items)
    assert len(searches) < -(-len(repos) * 39 // 100)


def test_the_report_job_gathers_the_shards_results(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet(sb)
    folder = tmp_path / "pmbot-results"
    environ = env(sb, tmp_path)

    def report() -> int:
        return report_org(
            environ, "acme", fmt="md", now=OVERDUE, post=False, config_path=None,
            sweep_results=folder,
        )  # fmt: skip

    for k in (1, 3):  # shard 2 of 3 "failed" before writing its results
        sweep_org(
            environ, "acme", dry_run=False, now=OVERDUE, config_path=None,
            shard=Shard(k, 3), results=folder / f"shard-{k}.json",
        )  # fmt: skip
    assert report() == 1
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "sweep shard 2/3: no results (the job stopped early)" in summary
    assert "sweep shard 1/3: " in summary and "(complete)" in summary
    sweep_org(
        environ, "acme", dry_run=False, now=OVERDUE, config_path=None,
        shard=Shard(2, 3), results=folder / "shard-2.json",
    )  # fmt: skip
    (tmp_path / "summary.md").unlink()
    assert report() == 0
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    lines = [ln for ln in summary.splitlines() if "sweep shard" in ln]
    assert [ln.split(":")[0] for ln in lines] == [f"- sweep shard {k}/3" for k in (1, 2, 3)]
    assert sum(int(ln.split(", ")[1].split()[0]) for ln in lines) == 2 * (len(TEAMS) + 1)
    capsys.readouterr()


def test_gathering_nothing_is_not_success(tmp_path: Path) -> None:
    lines, ok = gather(read_results([]))
    assert not ok and lines == ["sweep: no results were found to gather"]


def test_a_run_stopped_by_an_error_still_writes_its_results(sb: Sandbox, tmp_path: Path) -> None:
    fleet(sb)
    sb.org.incomplete_searches = 10  # every search times out: nothing may be decided
    results = tmp_path / "results.json"
    with pytest.raises(PmbotError, match="incomplete"):
        sweep_org(
            env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None,
            shard=Shard(1, 2), results=results,
        )  # fmt: skip
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["complete"] is False and data["exit_code"] is None
    assert data["shard"] == "1/2" and data["repositories"] == []
    assert sb.counters.writes == 0
    lines, ok = gather(read_results([results]))
    assert not ok and "(stopped before the end)" in lines[0]
    assert lines[1:] == ["sweep shard 2/2: no results (the job stopped early)"]
