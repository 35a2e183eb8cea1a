"""`pmbot sweep --org OWNER --results FILE`: what one run (or one shard) of the organisation's
sweep did, as a JSON file a later job can gather (the report job after a job matrix).

The schema (`"schema": "pmbot-sweep-results/1"`), documented in the README:

    {"schema": "pmbot-sweep-results/1", "org": "acme", "shard": "3/8" | null,
     "now": ISO, "dry_run": bool, "complete": bool, "exit_code": 0 | 1 | null,
     "search": {"mode": "organisation" | "repositories", "queries": int},
     "requests": {"requests": int, "reads": int, "writes": int},
     "repositories": [{"repository": "acme/web", "status": "swept" | "not installed",
                       "items": int, "writes": int, "planned_writes": int,
                       "deferred_writes": int, "failed": [issue numbers]}],
     "totals": {"repositories": int, "items": int, "writes": int, "planned_writes": int,
                "deferred_writes": int, "failed": int}}

`complete` is false when the run stopped before the end (an error); what it did so far is
still written. `writes` counts the writes made (planned ones in a dry run).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pmbot.errors import PmbotError, Problem
from pmbot.github.models import RequestStats

SCHEMA = "pmbot-sweep-results/1"
SWEPT = "swept"
NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class RepositoryResult:
    repository: str
    status: str
    items: int = 0
    writes: int = 0
    planned_writes: int = 0
    deferred_writes: int = 0
    failed: tuple[int, ...] = ()


@dataclass
class SweepResults:
    """Filled in as the run goes, written once at its end (however it ends)."""

    org: str
    shard: str | None
    now: str
    dry_run: bool
    search_mode: str = "organisation"
    queries: int = 0
    repositories: list[RepositoryResult] = field(default_factory=list)
    complete: bool = False
    exit_code: int | None = None

    def to_json(self, stats: RequestStats) -> dict[str, Any]:
        rows = sorted(self.repositories, key=lambda r: r.repository.lower())
        swept = [r for r in rows if r.status == SWEPT]
        return {
            "schema": SCHEMA,
            "org": self.org,
            "shard": self.shard,
            "now": self.now,
            "dry_run": self.dry_run,
            "complete": self.complete,
            "exit_code": self.exit_code,
            "search": {"mode": self.search_mode, "queries": self.queries},
            "requests": {"requests": stats.requests, "reads": stats.reads, "writes": stats.writes},
            "repositories": [{**asdict(r), "failed": list(r.failed)} for r in rows],
            "totals": {
                "repositories": len(swept),
                "items": sum(r.items for r in swept),
                "writes": sum(r.writes for r in swept),
                "planned_writes": sum(r.planned_writes for r in swept),
                "deferred_writes": sum(r.deferred_writes for r in swept),
                "failed": sum(len(r.failed) for r in swept),
            },
        }

    def write(self, path: Path, stats: RequestStats) -> None:
        """Write the file whole or not at all (a temporary file renamed over it)."""
        text = json.dumps(self.to_json(stats), indent=2, sort_keys=False) + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)


def read_results(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Results files as written by `--results`, checked for the schema (a user error
    naming the file otherwise), in shard order."""
    found = []
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise _bad(path, f"cannot be read as JSON ({error})") from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise _bad(path, f'is not a sweep results file ("schema": "{SCHEMA}")')
        found.append(data)
    return sorted(found, key=lambda d: _shard_key(d.get("shard")))


def _shard_key(shard: object) -> tuple[int, int]:
    if isinstance(shard, str) and "/" in shard:
        k, _, n = shard.partition("/")
        if k.isdigit() and n.isdigit():
            return int(n), int(k)
    return 0, 0


def _bad(path: Path, message: str) -> PmbotError:
    return PmbotError(
        [
            Problem(
                field=str(path),
                message=f"{message}.",
                fix="give the files `pmbot sweep --org OWNER --results FILE` wrote.",
            )
        ]
    )


def gather(found: list[dict[str, Any]]) -> tuple[list[str], bool]:
    """One line per shard's results, and a line per shard that left none; whether every
    shard finished without failures (the report job's exit code says so)."""
    lines: list[str] = []
    ok = bool(found)
    counts = {_shard_key(d.get("shard"))[0] for d in found}
    for data in found:
        totals = data.get("totals") or {}
        where = f"shard {data['shard']}" if data.get("shard") else "the whole organisation"
        state = "complete" if data.get("complete") else "stopped before the end"
        lines.append(
            f"sweep {where}: {totals.get('repositories', 0)} repositories, "
            f"{totals.get('items', 0)} items, {totals.get('writes', 0)} writes, "
            f"{totals.get('deferred_writes', 0)} deferred, {totals.get('failed', 0)} failed "
            f"({state})"
        )
        ok = ok and bool(data.get("complete")) and data.get("exit_code") == 0
    have = {_shard_key(d.get("shard")) for d in found}
    for count in sorted(c for c in counts if c):
        for index in range(1, count + 1):
            if (count, index) not in have:
                lines.append(f"sweep shard {index}/{count}: no results (the job stopped early)")
                ok = False
    if not found:
        lines.append("sweep: no results were found to gather")
    return lines, ok
