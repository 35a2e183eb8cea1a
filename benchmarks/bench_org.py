"""An organisation at scale: R = 200 repositories, N = 10,000 open action items.

    python benchmarks/bench_org.py [--compare] [--quick]

Measures, with reads and writes counted by the sandbox, seconds and the client's peak memory:

1. `pmbot sweep --org` beside the naive way (`pmbot sweep` run in each repository), and the
   org sweep at R = 20 with the same N (its search side does not grow with R);
2. `pmbot report --org` beside `pmbot report` run in each repository;
3. `pmbot sweep --org --shard K/8` for K = 1…8 with the repositories listed
   (`org.repositories`), so that each shard names its own in `repo:` qualifiers, per shard
   and in total; with `--compare`, again without the list, each shard reading the
   organisation's query and dropping the other shards' items;
4. a Projects board of 1,000 items, first sync and rerun.

Every repository has pmbot (`.github/pmbot.yml`, budget.max_writes_per_run 1,000, so that one
run does every write and the approaches write the same) and one postmortem; the items are as
intake files them, 97% not due yet, 1% due soon, 1% due today, 1% three days overdue, plus
2,000 closed items. Each scenario starts from a freshly seeded sandbox in its own process
(the org report and the board share the org sweep's), and runs its client in another process
whose peak resident memory (`ru_maxrss`) is printed with, in brackets, the growth over that
process's own before the run (the interpreter and pmbot's imports). Writes are not paced and
the sandbox's search limit is lifted; a line says how long GitHub's 30 searches a minute would
add. `--quick` runs R = 20, N = 1,000 (a smoke run).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pmbot.core.config import default_config
from pmbot.core.model import Priority
from pmbot.flows.tracking import ItemInfo, with_markers

OWNER = "acme"
HOME = "acme/web"
TOKEN = "sandbox-token"
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
START = datetime(2025, 6, 1, tzinfo=UTC)
SEARCH_PER_MINUTE = 30  # GitHub's search limit for an authenticated token
SHARDS = 8
BOARD = 1_000
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "postmortem-issue.md"


@dataclass(frozen=True)
class Size:
    repos: int
    items: int


# --- the organisation, seeded in the sandbox's process -----------------------------------------


def names(repos: int) -> list[str]:
    return [HOME] + [f"{OWNER}/team{i:03d}" for i in range(1, repos)]


def item_issue(k: int) -> dict[str, Any]:
    """Open action item k as intake files it: 97% not due, then due soon, today, overdue."""
    config = default_config()
    kind = k // 7 % 100  # item k is in repository k mod R: every repository has some of each
    days = {0: 2, 1: 0, 2: -3}.get(kind, 30 + k % 60)  # due in `days` from NOW
    due = NOW.date() + timedelta(days=days)
    priority = list(Priority)[k % 4]
    info = ItemInfo(
        pm=1,
        key=f"AI-{k}",
        priority=priority,
        due=due,
        opened=due - timedelta(days=28),
        owner=f"dev{k % 50}",
        commander="carol",
        authors=("carol", "dave"),
        type="prevent",
    )
    text = f"Action item **AI-{k}** from the postmortem #1.\n\n**What:** fix part {k}\n"
    return {
        "title": f"[AI-{k}] fix part {k}",
        "body": with_markers(text, info, None),
        "labels": [config.labels.action_item.name, config.priority_label(priority).name],
        "assignees": [f"dev{k % 50}"],
        "created_at": START + timedelta(minutes=k // 4),  # bulk intakes: several a minute
    }


def postmortem_body() -> str:
    """The example postmortem, resolved the day before NOW (its document is not late)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    return text.replace("2026-11-03 16:10", (NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))


def seed(sb: Any, size: Size, listed: bool) -> list[str]:
    config = default_config()
    repos = [sb.state] + [sb.org.add_repo(n.split("/")[1]) for n in names(size.repos)[1:]]
    for spec in config.all_labels():
        for repo in repos:
            repo.seed_label(spec.name, spec.color, spec.description)
    settings = (
        "escalation:\n  leadership_team: acme/eng-leads\nbudget:\n  max_writes_per_run: 1000\n"
    )
    for repo in repos:
        repo.seed_file(".github/pmbot.yml", settings)
    if listed:
        listing = "".join(f"    - {n}\n" for n in names(size.repos))
        sb.state.seed_file(".github/pmbot.yml", settings + "org:\n  repositories:\n" + listing)
    body = postmortem_body()
    for repo in repos:
        repo.seed_issue(title="Checkout outage", body=body, labels=["postmortem"])
    for k in range(size.items):
        repos[k % size.repos].seed_issue(**item_issue(k))
    for k in range(size.items // 5):  # closed items: not read by the sweep
        when = START - timedelta(days=30) + timedelta(minutes=k)
        repos[k % size.repos].seed_issue(
            title="done", labels=["action-item"], state="closed", created_at=when
        )
    return names(size.repos)


def serve(conn: Connection, size: Size, listed: bool) -> None:
    """Child process: the seeded organisation, answering until told to stop."""
    from pmbot.sandbox import Sandbox

    with Sandbox(repo=HOME, rate_limit=10_000_000, search_rate_limit=10_000_000) as sb:
        repos = seed(sb, size, listed)
        sb.org.seed_project("Action items")
        conn.send((sb.base_url, repos))
        while conn.recv() != "stop":
            conn.send(sb.counters.snapshot())
            sb.counters.reset()


@contextlib.contextmanager
def sandbox(
    size: Size, listed: bool = False
) -> Iterator[tuple[str, list[str], Callable[[], dict[str, Any]]]]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=serve, args=(child, size, listed), daemon=True)
    process.start()
    base_url, repos = parent.recv()

    def counters() -> dict[str, Any]:
        parent.send("counters")
        snapshot: dict[str, Any] = parent.recv()
        return snapshot

    try:
        yield base_url, repos, counters
    finally:
        parent.send("stop")
        process.join(timeout=30)


# --- the client, in its own process -------------------------------------------------------------


def environ(base_url: str, repository: str = HOME) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": repository, "GITHUB_API_URL": base_url}


def unpaced() -> None:
    """No write pacing against the sandbox on this machine (it would only sleep)."""
    from pmbot.app import report_org, session, sweep_org

    connect, adapters = session.connect, sweep_org.org_adapters

    def local_connect(env: Any, config: Any = None) -> Any:
        gh = connect(env, config)
        gh.http.pacer = None
        return gh

    def local_adapters(env: Any, org: str) -> Any:
        finder, home = adapters(env, org)
        finder.http.pacer = home.http.pacer = None
        return finder, home

    session.connect = local_connect  # type: ignore[assignment]
    sweep_org.org_adapters = local_adapters  # type: ignore[assignment]
    report_org.org_adapters = local_adapters  # type: ignore[assignment]


def org_sweep(base_url: str, _: list[str], shard: str | None) -> str:
    from pmbot.app.sweep_org import sweep_org
    from pmbot.flows.shard import Shard

    part = None if shard is None else Shard.parse(shard)
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results.json"
        sweep_org(
            environ(base_url), OWNER, dry_run=False, now=NOW, config_path=None, shard=part,
            results=results,
        )  # fmt: skip
        return results.read_text(encoding="utf-8")


def naive_sweep(base_url: str, repos: list[str], _: str | None) -> str:
    from pmbot.app.sweep import sweep

    for name in repos:
        sweep(environ(base_url, name), dry_run=False, now=NOW, config_path=None)
    return ""


def org_report(base_url: str, _: list[str], __: str | None) -> str:
    from pmbot.app.report_org import report_org

    report_org(environ(base_url), OWNER, fmt="json", now=NOW, post=False, config_path=None)
    return ""


def naive_report(base_url: str, repos: list[str], _: str | None) -> str:
    from pmbot.app.report import report

    for name in repos:
        report(environ(base_url, name), fmt="json", now=NOW, post=False, config_path=None)
    return ""


def search_only(base_url: str, _: list[str], __: str | None) -> str:
    from pmbot.github.models import GitHubSettings
    from pmbot.github.org import GitHubOrg

    settings = GitHubSettings(token=TOKEN, repository=HOME, api_url=base_url)
    query = f'is:issue is:open label:"action-item" org:{OWNER}'
    return str(len(GitHubOrg(settings, pace=False).search_issues(query)))


def list_each(base_url: str, repos: list[str], _: str | None) -> str:
    from pmbot.github.client import GitHub
    from pmbot.github.models import GitHubSettings

    found = 0
    for name in repos:
        settings = GitHubSettings(token=TOKEN, repository=name, api_url=base_url)
        found += len(GitHub(settings, pace=False).list_issues(labels=["action-item"]))
    return str(found)


def board_sync(base_url: str, _: list[str], __: str | None) -> str:
    """The first BOARD open items kept on a Projects board (two fields)."""
    from pmbot.github.models import BoardItem, GitHubSettings, ProjectFieldSpec, ProjectRef
    from pmbot.github.org import GitHubOrg
    from pmbot.github.projects import ProjectBoard

    settings = GitHubSettings(token=TOKEN, repository=HOME, api_url=base_url)
    finder = GitHubOrg(settings, pace=False)
    first = (START + timedelta(minutes=BOARD // 4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = f'is:issue is:open label:"action-item" org:{OWNER} created:<{first}'
    found = finder.search_issues(query)  # items are created four a minute from START
    specs = (
        ProjectFieldSpec(name="Priority", data_type="single_select", options=("P0", "P1")),
        ProjectFieldSpec(name="Due date", data_type="date"),
    )
    values = (("Priority", "P1"), ("Due date", "2026-06-01"))
    items = [BoardItem(issue_id=i.issue.id, values=values) for i in found]
    done = ProjectBoard(finder, ProjectRef(owner=OWNER, number=1)).sync(specs, items)
    return (
        f"{len(done.fields_created)} fields created, {done.items_added} added, "
        f"{done.items_updated} updated"
    )


Scenario = Callable[[str, list[str], str | None], str]


def client(conn: Connection, scenario: Scenario, base_url: str, repos: list[str], arg: Any) -> None:
    """Child process: one scenario, timed, with its peak memory."""
    unpaced()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sink = io.StringIO()
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            out = scenario(base_url, repos, arg)
    except BaseException as error:  # the parent says what failed, and stops
        conn.send(f"{type(error).__name__}: {error}\n{sink.getvalue()[-2000:]}")
        raise
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send((seconds, before / 1024, peak / 1024, out))


@dataclass(frozen=True)
class Measured:
    reads: int
    writes: int
    searches: int
    seconds: float
    base_mib: float
    peak_mib: float
    out: str

    def line(self, label: str, note: str = "") -> str:
        waits = max(0, math.ceil(self.searches / SEARCH_PER_MINUTE) - 1)
        limit = f"; search limit adds {waits} min" if waits else ""
        return (
            f"{label:<44} {self.reads:>6} reads {self.writes:>6} writes {self.searches:>5} "
            f"searches {self.seconds:>6.1f}s  peak {self.peak_mib:6.1f} MiB "
            f"(+{self.peak_mib - self.base_mib:5.1f}){limit}{note}"
        )


def measure(
    scenario: Scenario,
    base_url: str,
    repos: list[str],
    counters: Callable[[], dict[str, Any]],
    arg: Any = None,
) -> Measured:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    counters()
    process = ctx.Process(target=client, args=(child, scenario, base_url, repos, arg))
    process.start()
    answer = parent.recv()
    process.join(timeout=30)
    if isinstance(answer, str):
        raise SystemExit(f"bench_org: {scenario.__name__} failed: {answer}")
    seconds, base, peak, out = answer
    seen = counters()
    reads = seen["by_method"].get("GET", 0)
    searches = seen["by_endpoint"].get("GET /search/issues", 0)
    return Measured(reads, seen["writes"], searches, seconds, base, peak, out)


# --- the runs ----------------------------------------------------------------------------------


def shards(size: Size, listed: bool) -> list[str]:
    import json

    lines = []
    total_reads = total_writes = total_searches = 0
    total_seconds = 0.0
    with sandbox(size, listed) as (base_url, repos, counters):
        for k in range(1, SHARDS + 1):
            m = measure(org_sweep, base_url, repos, counters, f"{k}/{SHARDS}")
            data = json.loads(m.out)
            mode = data["search"]["mode"]
            swept = data["totals"]["repositories"]
            lines.append(m.line(f"  shard {k}/{SHARDS} ({swept:>3} repos, by {mode})", ""))
            total_reads += m.reads
            total_writes += m.writes
            total_searches += m.searches
            total_seconds += m.seconds
    how = "repositories listed" if listed else "organisation's query"
    lines.insert(0, f"sweep --org --shard K/{SHARDS}, {how}:")
    lines.append(
        f"  {'all shards':<42} {total_reads:>6} reads {total_writes:>6} writes "
        f"{total_searches:>5} searches {total_seconds:>6.1f}s"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="R = 20, N = 1,000")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also the 8 shards each reading the organisation's query (the way a shard "
        "reads without a repository list; about 100 s more)",
    )
    args = parser.parse_args()
    big = Size(20, 1_000) if args.quick else Size(200, 10_000)
    small = Size(max(2, big.repos // 10), big.items)
    print(f"R = {big.repos} repositories, N = {big.items} open action items")
    started = time.perf_counter()

    with sandbox(big) as (base_url, repos, counters):
        m = measure(org_sweep, base_url, repos, counters)
        print(m.line(f"sweep --org (R={big.repos})"))
        m = measure(org_report, base_url, repos, counters)
        print(m.line(f"report --org (R={big.repos})"))
        for run in ("first", "rerun"):
            m = measure(board_sync, base_url, repos, counters)
            print(m.line(f"Projects board, {BOARD} items, {run}", f" ({m.out})"))
    with sandbox(small) as (base_url, repos, counters):
        m = measure(org_sweep, base_url, repos, counters)
        print(m.line(f"sweep --org (R={small.repos}, same N)"))
    with sandbox(big) as (base_url, repos, counters):
        m = measure(naive_sweep, base_url, repos, counters)
        print(m.line(f"sweep in each repository (R={big.repos})"))
        m = measure(naive_report, base_url, repos, counters)
        print(m.line(f"report in each repository (R={big.repos})"))
    for listed in (True, False) if args.compare else (True,):
        print("\n".join(shards(big, listed)))
    print(f"bench_org: {time.perf_counter() - started:.0f}s in all")


if __name__ == "__main__":
    sys.exit(main())
