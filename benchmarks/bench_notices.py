"""Writes per notice, and the reads they cost, over D daily sweeps of `bench_sweep`'s backlog.

    python benchmarks/bench_notices.py [--n 1000] [--days 15]

The backlog of `bench_sweep` (the same mix of ladder states, seeded the same way), swept once a
day at 06:00 UTC for `--days` days with every write made (runs of up to 1,000 writes until one
writes nothing). Each day: the notices posted, the writes, writes per notice, and the reads
that count against the rate limit (304s are free) with the pages of the repository's
comments and the per-item comment reads among them. Writes are not paced (local sandbox).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import bench_sweep as base

from pmbot.app import session
from pmbot.app.sweep import sweep

PAGES = "GET /repos/{owner}/{repo}/issues/comments"
PER_ITEM = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"


@dataclass
class Day:
    notices: int = 0
    writes: int = 0
    counted_reads: int = 0
    pages: int = 0
    per_item: int = 0

    def add(self, c: dict[str, Any]) -> None:
        by = c["by_endpoint"]
        self.notices += by.get(base.NOTICE, 0)
        self.writes += c["writes"]
        self.counted_reads += c["by_method"].get("GET", 0) - c["not_modified"]
        self.pages += by.get(PAGES, 0)
        self.per_item += by.get(PER_ITEM, 0)

    def row(self, label: str) -> str:
        per = f"{self.writes / self.notices:.2f}" if self.notices else "–"
        return (
            f"| {label} | {self.notices:,} | {self.writes:,} | {per} | {self.counted_reads:,} "
            f"| {self.pages} | {self.per_item} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--days", type=int, default=15)
    args = parser.parse_args(argv)
    session.connect = base.unpaced_connect
    total = Day()
    lines = [
        "| day | notices | writes | writes per notice | counted reads | comment pages "
        "| per-item comment reads |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    with base.sandbox(args.n, base.BIG_BUDGET) as (url, counters):
        env = {"GITHUB_TOKEN": base.TOKEN, "GITHUB_REPOSITORY": base.REPO, "GITHUB_API_URL": url}
        for offset in range(args.days):
            day = Day()
            now = base.NOW + timedelta(days=offset)
            counters()
            for _ in range(args.n):
                with contextlib.redirect_stderr(io.StringIO()):
                    if sweep(env, dry_run=False, now=now, config_path=None) != 0:
                        raise SystemExit(f"the sweep on day {offset} failed")
                c = counters()
                day.add(c)
                if c["writes"] == 0:
                    break
            for name in ("notices", "writes", "counted_reads", "pages", "per_item"):
                setattr(total, name, getattr(total, name) + getattr(day, name))
            lines.append(day.row(str(offset)))
            print(lines[-1], file=sys.stderr, flush=True)
    lines.append(total.row(f"**{args.days} days**"))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
