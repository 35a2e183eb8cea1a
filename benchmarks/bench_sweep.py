"""Reads, writes, time and memory of `pmbot sweep` over N open action items, and a naive
baseline that fetches every item and its comments separately.

    python benchmarks/bench_sweep.py [--sizes 1000 10000] [--full-writes-max 1000]
                                     [--naive-max 10000] [--week-later]

The sandbox runs in a child process (seeded directly, no HTTP), so the sweep's seconds and
its peak memory (tracemalloc, measured in a separate identical run) are pmbot's alone. The
items are a realistic mix of ladder states, with the very markers intake and earlier sweeps
write. For each N the real `pmbot sweep` runs with the default write budget, and
(for N up to `--full-writes-max`) until every write is made: with the largest budget the
configuration accepts (`budget.max_writes_per_run` ≤ 1,000), one run after another at the same
`now`, summed, until a run writes nothing (that run is the "rerun").

`--week-later` measures instead the sweep a week after a first one: each N is swept at `now`
until every write is made, then again at `now` + 7 days until every write is made; the table
gives that second sweep's reads, writes and seconds (the backlog's weekly cost: repeats at
every rung, the leadership rung included), and its rerun.

Writes are not paced here: pacing exists for GitHub's secondary limits and would only sleep
against a local sandbox (the adapter's `pace` is switched off for 127.0.0.1; see
`unpaced_connect`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import multiprocessing as mp
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from pmbot.app import session
from pmbot.app.sweep import sweep
from pmbot.core.config import Config, default_config
from pmbot.core.model import Priority
from pmbot.flows.tracking import FollowState, ItemInfo, Step, with_markers
from pmbot.github.client import GitHub
from pmbot.github.models import GitHubSettings

REPO = "acme/web"
TOKEN = "sandbox-token"
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
TODAY = NOW.date()
TEAM = "acme/eng-leads"
BIG_BUDGET = 1_000  # the largest budget.max_writes_per_run the configuration accepts
# (kind, share of open items); closed items come on top, 5% of N
MIX = (
    ("not due", 40),
    ("due soon", 15),
    ("due today", 10),
    ("overdue 3d", 10),
    ("overdue 10d, escalated", 10),
    ("overdue 30d", 5),
    ("unowned", 10),
)


# --- the items ------------------------------------------------------------------------------


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, tzinfo=UTC)


def item(i: int, kind: str, priority: Priority, config: Config) -> dict[str, Any]:
    """One action-item issue (title, body with markers, labels, assignees) in state `kind`."""
    owner: str | None = f"dev{i % 50}"
    labels = [config.labels.action_item.name, config.priority_label(priority).name]
    overdue, escalated = config.labels.overdue.name, config.labels.escalated.name
    follow = FollowState()
    d = timedelta
    if kind == "not due":
        due = TODAY + d(days=30 + i % 60)
    elif kind == "due soon":
        due = TODAY + d(days=2)
    elif kind == "due today":
        due = TODAY
        follow = FollowState(Step.DUE_SOON, ((Step.DUE_SOON, _at(due - d(2))),), _at(due - d(2)))
    elif kind == "overdue 3d":
        due = TODAY - d(days=3)
        reached = ((Step.DUE_SOON, _at(due - d(3))), (Step.OVERDUE, _at(due)))
        follow = FollowState(Step.OVERDUE, reached, _at(due))
        labels.append(overdue)
    elif kind == "overdue 10d, escalated":
        due = TODAY - d(days=10)
        reached = ((Step.OVERDUE, _at(due)), (Step.COMMANDER, _at(due + d(7))))
        follow = FollowState(Step.COMMANDER, reached, _at(due + d(7)))
        labels += [overdue, escalated]
    elif kind == "overdue 30d":
        due = TODAY - d(days=30)
        reached = ((Step.OVERDUE, _at(due)), (Step.COMMANDER, _at(due + d(7))))
        follow = FollowState(Step.COMMANDER, reached, _at(TODAY - d(2)))
        labels += [overdue, escalated]
    elif kind in ("unowned", "closed"):
        due = TODAY + d(days=40) if kind == "unowned" else TODAY - d(days=5)
        owner = None if kind == "unowned" else owner
    else:
        raise ValueError(kind)
    if follow.reached:
        follow = FollowState(follow.step, follow.reached, follow.last, due)
    info = ItemInfo(
        pm=1 + i % 40,
        key=f"AI-{i % 25 + 1}",
        priority=priority,
        due=due,
        opened=due - timedelta(days=28),
        owner=owner,
        commander="carol",
        authors=("carol", "dave"),
        type="prevent",
    )
    text = (
        f"Action item **{info.key}** from the postmortem #{info.pm}.\n\n"
        f"**What:** fix the checkout path, part {i}\n**Owner:** {owner or 'nobody yet'}\n"
        f"**Priority:** {priority} · **Due:** {due.isoformat()}\n"
    )
    return {
        "title": f"[{info.key}] fix the checkout path, part {i}",
        "body": with_markers(text, info, follow if follow.reached else None),
        "labels": labels,
        "assignees": [owner] if owner else [],
        "state": "closed" if kind == "closed" else "open",
    }


def mix(n: int, seed: int = 5) -> list[tuple[str, Priority]]:
    """n open items' kinds (in the MIX shares, shuffled) and priorities, plus 5% closed."""
    rng = random.Random(seed)
    kinds = [k for k, share in MIX for _ in range(math.ceil(n * share / 100))][:n]
    kinds += ["closed"] * (n // 20)
    rng.shuffle(kinds)
    weights = (10, 30, 40, 20)  # P0 … P3
    return [(k, rng.choices(list(Priority), weights)[0]) for k in kinds]


# --- the sandbox, in its own process --------------------------------------------------------


def serve(conn: Connection, n: int, budget: int, digest: bool = True) -> None:
    """Child process: a seeded sandbox answering until told to stop."""
    from pmbot.sandbox import Sandbox

    config = default_config()
    with Sandbox(repo=REPO, rate_limit=10_000_000) as sb:
        for spec in config.all_labels():
            sb.seed_label(spec.name, spec.color, spec.description)
        sb.seed_file(
            ".github/pmbot.yml",
            f"escalation:\n  leadership_team: {TEAM}\n  leadership_digest: {str(digest).lower()}\n"
            f"budget:\n  max_writes_per_run: {budget}\n",
        )
        for i, (kind, priority) in enumerate(mix(n)):
            sb.seed_issue(**item(i, kind, priority, config))
        conn.send(sb.base_url)
        while True:
            command = conn.recv()
            if command == "stop":
                break
            if command == "reset":
                sb.counters.reset()
                conn.send(None)
            elif command == "counters":
                conn.send(sb.counters.snapshot())


@contextlib.contextmanager
def sandbox(
    n: int, budget: int, digest: bool = True
) -> Iterator[tuple[str, Callable[[], dict[str, Any]]]]:
    """(base URL, a function returning the counters since the last call) of a child sandbox."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=serve, args=(child, n, budget, digest), daemon=True)
    process.start()
    base_url = parent.recv()

    def counters() -> dict[str, Any]:
        parent.send("counters")
        snapshot: dict[str, Any] = parent.recv()
        parent.send("reset")
        parent.recv()
        return snapshot

    try:
        yield base_url, counters
    finally:
        parent.send("stop")
        process.join(timeout=10)


# --- runs -----------------------------------------------------------------------------------


def unpaced_connect(environ: Any, config: Config | None = None) -> GitHub:
    """`pmbot.app.session.connect`, without pacing writes when the API is on this machine."""
    gh = ORIGINAL_CONNECT(environ, config)
    if gh.settings.is_local:
        gh.http.pacer = None
    return gh


ORIGINAL_CONNECT = session.connect


NOTICE = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"  # every comment here is one


@dataclass
class Run:
    reads: int
    writes: int
    not_modified: int
    seconds: float
    peak_mib: float | None = None
    notices: int = 0

    @property
    def per_notice(self) -> str:
        """Writes per notice: what GitHub's 500 content-creating requests an hour buy."""
        return f"{self.writes / self.notices:.2f}" if self.notices else "–"


def sweep_once(
    base_url: str, counters: Callable[[], dict[str, Any]], memory: bool, now: datetime = NOW
) -> Run:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": base_url}
    counters()  # reset
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):  # one line per write: not for here
        code = sweep(env, dry_run=False, now=now, config_path=None)
    seconds = time.perf_counter() - start
    peak = None
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    if code != 0:
        raise SystemExit(f"the sweep failed (exit {code})")
    c = counters()
    reads = c["by_method"].get("GET", 0)
    notices = c["by_endpoint"].get(NOTICE, 0)
    return Run(reads, c["writes"], c["not_modified"], seconds, peak, notices)


def naive(base_url: str, counters: Callable[[], dict[str, Any]]) -> Run:
    """List the numbers, then GET each issue and GET its comments: 2N + pages reads."""
    settings = GitHubSettings(token=TOKEN, repository=REPO, api_url=base_url)
    gh = GitHub(settings, pace=False)
    counters()
    start = time.perf_counter()
    numbers = [i.number for i in gh.list_issues(labels=["action-item"], state="open")]
    for number in numbers:
        gh.get_issue(number)
        gh.list_comments(number)
    seconds = time.perf_counter() - start
    c = counters()
    return Run(c["by_method"].get("GET", 0), c["writes"], c["not_modified"], seconds)


@dataclass
class Row:
    label: str
    n: int
    budget: str
    run: Run
    rerun: Run | None


def until_done(
    url: str, counters: Callable[[], dict[str, Any]], n: int, now: datetime = NOW
) -> tuple[Run, Run, int]:
    """Sweeps at the same `now` with the largest budget until one writes nothing: (the runs
    that wrote, summed; the run that wrote nothing; how many runs wrote)."""
    runs: list[Run] = []
    while True:
        run = sweep_once(url, counters, memory=False, now=now)
        if run.writes == 0:
            break
        runs.append(run)
        if len(runs) > n:
            raise SystemExit("the sweeps never stopped writing")
    total = Run(
        sum(r.reads for r in runs),
        sum(r.writes for r in runs),
        sum(r.not_modified for r in runs),
        sum(r.seconds for r in runs),
        None,
        sum(r.notices for r in runs),
    )
    return total, run, len(runs)


def measure_every_write(n: int) -> tuple[Run, Run, int]:
    """Every write at `now` (see `until_done`), and the peak memory of a first run."""
    with sandbox(n, BIG_BUDGET) as (url, counters):
        total, rerun, runs = until_done(url, counters, n)
    with sandbox(n, BIG_BUDGET) as (url, counters):
        total.peak_mib = sweep_once(url, counters, memory=True).peak_mib
    return total, rerun, runs


WEEK_LATER = NOW + timedelta(days=7)


def measure_week_later(n: int, digest: bool) -> tuple[Run, Run, int]:
    """Every write at `now`, then every write a week later: that second sweep (summed over
    its runs), its rerun, and how many runs it took."""
    with sandbox(n, BIG_BUDGET, digest) as (url, counters):
        until_done(url, counters, n)
        return until_done(url, counters, n, now=WEEK_LATER)


def week_later(sizes: list[int]) -> int:
    """`--week-later`: the table of the sweep a week after the first, with the leadership
    rung as a comment per item (`escalation.leadership_digest: false`) and as the digest."""
    rows = []
    for n in sizes:
        for digest in (False, True):
            run, rerun, runs = measure_week_later(n, digest)
            label = f"every write ({runs} run{'s' if runs != 1 else ''} of ≤ {BIG_BUDGET:,})"
            rung = "leadership digest" if digest else "a comment per item at leadership"
            rows.append(Row(f"pmbot sweep, a week later, {rung}", n, label, run, rerun))
            print(f"N={n:,} {rung}: {run} rerun: {rerun}", file=sys.stderr, flush=True)
            if rerun.writes:
                raise SystemExit(f"the rerun at the same now wrote {rerun.writes} times")
    print()
    print(table(rows))
    print()
    print(
        f"The same mix as the default table, swept at {NOW.date()} until every write was made, "
        f"then at {WEEK_LATER.date()} (this table) until every write was made. Writes "
        "unpaced (local sandbox)."
    )
    return 0


def measure(n: int, budget: int) -> tuple[Run, Run]:
    """The sweep and its rerun at the same now; then the same sweep again on a fresh
    sandbox under tracemalloc (which slows Python down), for the peak memory."""
    with sandbox(n, budget) as (url, counters):
        first = sweep_once(url, counters, memory=False)
        rerun = sweep_once(url, counters, memory=False)
    with sandbox(n, budget) as (url, counters):
        first.peak_mib = sweep_once(url, counters, memory=True).peak_mib
    return first, rerun


def table(rows: list[Row]) -> str:
    head = (
        "| approach | N open items | write budget | reads | ⌈N/100⌉ | writes | notices "
        "| writes/notice | 304s | seconds | peak MiB | rerun writes | rerun reads |"
    )
    lines = [head, "|" + "---|" * 13]
    for r in rows:
        peak = f"{r.run.peak_mib:.1f}" if r.run.peak_mib is not None else "–"
        rerun_w = str(r.rerun.writes) if r.rerun else "–"
        rerun_r = str(r.rerun.reads) if r.rerun else "–"
        lines.append(
            f"| {r.label} | {r.n:,} | {r.budget} | {r.run.reads:,} | {math.ceil(r.n / 100)} "
            f"| {r.run.writes:,} | {r.run.notices:,} | {r.run.per_notice} "
            f"| {r.run.not_modified} | {r.run.seconds:.2f} | {peak} "
            f"| {rerun_w} | {rerun_r} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--full-writes-max", type=int, default=10000)
    parser.add_argument("--naive-max", type=int, default=10000)
    parser.add_argument(
        "--week-later", action="store_true", help="the sweep a week after a first one"
    )
    args = parser.parse_args(argv)
    session.connect = unpaced_connect
    if args.week_later:
        return week_later(args.sizes)
    default_budget = default_config().budget.max_writes_per_run
    rows: list[Row] = []
    started = time.perf_counter()
    for n in args.sizes:
        if n <= args.full_writes_max:
            run, rerun, runs = measure_every_write(n)
            label = f"every write ({runs} run{'s' if runs != 1 else ''} of ≤ {BIG_BUDGET:,})"
            rows.append(Row("pmbot sweep", n, label, run, rerun))
            print(
                f"N={n:,} every write: {run} ({run.per_notice} writes/notice) rerun: {rerun}",
                file=sys.stderr,
                flush=True,
            )
            if rerun.writes:
                raise SystemExit(f"the rerun at the same now wrote {rerun.writes} times")
        else:
            print(
                f"N={n:,}: the every-write variant runs only up to --full-writes-max "
                f"{args.full_writes_max:,}; the default budget shows the read cost here",
                file=sys.stderr,
            )
        run, rerun = measure(n, default_budget)
        rows.append(Row("pmbot sweep", n, f"{default_budget} (default)", run, rerun))
        print(
            f"N={n:,} default budget: {run} ({run.per_notice} writes/notice) rerun: {rerun}",
            file=sys.stderr,
            flush=True,
        )
        if n <= args.naive_max:
            with sandbox(n, default_budget) as (url, counters):
                base = naive(url, counters)
            rows.append(
                Row("naive: list, then GET each issue and its comments", n, "–", base, None)
            )
            print(f"N={n:,} naive: {base}", file=sys.stderr, flush=True)
    print()
    print(table(rows))
    print()
    print(
        f"Mix of open items: {', '.join(f'{k} {s}%' for k, s in MIX)}; plus 5% closed (not "
        f"listed by the sweep). P0/P1/P2/P3 10/30/40/20%. Leadership team configured. "
        f"'rerun' is a second sweep at the same now: with every write made it writes nothing; "
        f"under the default budget it picks up the next {default_budget} deferred writes. "
        f"Peak memory by tracemalloc in a separate identical run. Writes unpaced (local "
        f"sandbox). Total {time.perf_counter() - started:.0f}s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
