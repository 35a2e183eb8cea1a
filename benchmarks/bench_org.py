"""Reads for an organisation: R = 200 repositories, N = 10,000 open action items.

Finds every open action item through search (sliced by creation date past 1,000 results)
and, beside it, the naive way (listing each repository), with requests, seconds and peak
memory; then keeps 1,000 of the items on a Projects board and reruns the sync, which must
write nothing. Run: `make bench` or `.venv/bin/python benchmarks/bench_org.py`.

The sandbox runs in a child process (seeded directly, no HTTP), so seconds and peak memory
(tracemalloc, in a second identical run) are the client's alone. The sandbox's search limit
is lifted; the line for search says how long GitHub's 30 searches a minute would add.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from pmbot.github.client import GitHub
from pmbot.github.models import BoardItem, GitHubSettings, ProjectFieldSpec, ProjectRef
from pmbot.github.org import GitHubOrg
from pmbot.github.projects import ProjectBoard

REPOS = 200
ITEMS = 10_000
BOARD = 1_000
SEARCH_PER_MINUTE = 30  # GitHub's search limit for an authenticated token
QUERY = "is:issue is:open label:action-item org:acme"
START = datetime(2026, 1, 1, tzinfo=UTC)
TOKEN = "sandbox-token"
SPECS = (
    ProjectFieldSpec(name="Priority", data_type="single_select", options=("P0", "P1")),
    ProjectFieldSpec(name="Due date", data_type="date"),
)


def serve(conn: Connection) -> None:
    """Child process: the organisation, seeded directly, answering until told to stop."""
    from pmbot.sandbox import Sandbox

    with Sandbox(repo="acme/web", rate_limit=10_000_000, search_rate_limit=10_000_000) as sb:
        repos = [sb.state] + [sb.org.add_repo(f"team{i:03d}") for i in range(1, REPOS)]
        for k in range(ITEMS):
            when = START + timedelta(minutes=k // 4)  # bulk intakes: several items a minute
            repos[k % REPOS].seed_issue(
                title=f"Item {k}", labels=["action-item", "P1"], created_at=when
            )
        for k in range(ITEMS // 5):  # closed items and postmortems that must not be read
            repos[k % REPOS].seed_issue(title="done", labels=["action-item"], state="closed")
            if k % 10 == 0:
                repos[k % REPOS].seed_issue(title="SEV-2", labels=["postmortem"])
        sb.org.seed_project("Action items")
        conn.send((sb.base_url, sorted(sb.org.repos)))
        while conn.recv() != "stop":
            conn.send(sb.counters.snapshot())
            sb.counters.reset()


@contextlib.contextmanager
def sandbox() -> Iterator[tuple[str, list[str], Callable[[], dict[str, Any]]]]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=serve, args=(child,), daemon=True)
    process.start()
    base_url, names = parent.recv()

    def counters() -> dict[str, Any]:
        parent.send("counters")
        snapshot: dict[str, Any] = parent.recv()
        return snapshot

    try:
        yield base_url, names, counters
    finally:
        parent.send("stop")
        process.join(timeout=10)


def timed(fn: Callable[[], Any], memory: bool) -> tuple[Any, float, float | None]:
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    peak = None
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result, seconds, peak


def twice(
    fn: Callable[[], Any], counters: Callable[[], dict[str, Any]]
) -> tuple[Any, dict[str, Any], float, float]:
    """Result, the sandbox's counters and the seconds of a plain run; the peak of a traced one."""
    counters()
    result, seconds, _ = timed(fn, memory=False)
    seen = counters()
    _, _, peak = timed(fn, memory=True)
    counters()
    return result, seen, seconds, peak or 0.0


def main() -> None:
    with sandbox() as (base_url, names, counters):
        settings = GitHubSettings(token=TOKEN, repository="acme/web", api_url=base_url)

        found, seen, seconds, peak = twice(
            lambda: GitHubOrg(settings, pace=False).search_issues(QUERY), counters
        )
        assert len(found) == ITEMS
        reads = seen["by_method"]["GET"]
        waits = max(0, math.ceil(reads / SEARCH_PER_MINUTE) - 1)
        print(f"org search     R={REPOS} N={ITEMS}: {reads} reads (ceil(N/100) = "
              f"{math.ceil(ITEMS / 100)}), 0 writes, {seconds:.1f}s, peak {peak:.1f} MiB; "
              f"GitHub's 30 searches a minute add {waits} min of waiting")  # fmt: skip

        def per_repository() -> list[Any]:
            items: list[Any] = []
            for name in names:
                repo = GitHubSettings(token=TOKEN, repository=f"acme/{name}", api_url=base_url)
                items += GitHub(repo, pace=False).list_issues(labels=["action-item"])
            return items

        listed, seen, seconds, peak = twice(per_repository, counters)
        assert len(listed) == ITEMS
        reads = seen["by_method"]["GET"]
        print(f"per repository R={REPOS} N={ITEMS}: {reads} reads (at least R), 0 writes, "
              f"{seconds:.1f}s, peak {peak:.1f} MiB")  # fmt: skip

        items = [
            BoardItem(issue_id=i.issue.id, values=(("Priority", "P1"), ("Due date", "2026-06-01")))
            for i in found[:BOARD]
        ]
        for run in ("first", "rerun"):
            counters()
            board = ProjectBoard(
                GitHubOrg(settings, pace=False), ProjectRef(owner="acme", number=1)
            )
            result, seconds, _ = timed(lambda b=board: b.sync(SPECS, items), memory=False)
            seen = counters()
            print(f"board {run:5s} {BOARD} items: {seen['by_method'].get('GET', 0)} reads, "
                  f"{seen['writes']} writes ({len(result.fields_created)} fields created, "
                  f"{result.items_added} added, {result.items_updated} updated), "
                  f"{seconds:.1f}s")  # fmt: skip


if __name__ == "__main__":
    main()
