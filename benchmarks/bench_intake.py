"""Requests and time of `pmbot intake` against the sandbox, for K action items.

    python benchmarks/bench_intake.py [--items 1 10 25] [--library 50]

For each K: a first run on a fresh repository (whose labels already exist, as after any
earlier postmortem, and whose library holds `--library` documents) and a rerun on the
unchanged issue. Requests are counted by the adapter (what pmbot sent) and by the sandbox
(what GitHub would have answered); the rerun must write nothing.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from pmbot.app.intake import run_intake
from pmbot.core.config import default_config
from pmbot.github.client import GitHub
from pmbot.github.models import GitHubSettings
from pmbot.render import library
from pmbot.sandbox import Sandbox

EXAMPLE = Path(__file__).parents[1] / "examples" / "postmortem-issue.md"
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
HEAD = "| What | Owner | Priority | Due | Type | Success | Addresses |\n" + "|---" * 7 + "|\n"


def body(k: int) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    rows = [
        f"| Fix thing number {i} in the checkout path | @jchen | P{i % 4} | | prevent | "
        f"A drill shows thing {i} fixed | CF{i % 4 + 1} |"
        for i in range(k)
    ]
    start = text.index("### Action items\n\n") + len("### Action items\n\n")
    return text[:start] + HEAD + "\n".join(rows) + text[text.index("\n\n### Lessons learned") :]


def documents(n: int) -> dict[str, str]:
    """n earlier documents and the index an earlier pmbot run left with them."""
    docs = {}
    for i in range(n):
        day = f"2026-{i % 9 + 1:02d}-{i % 27 + 1:02d}"
        docs[f"docs/postmortems/2026/{day}-old-incident-{i}.md"] = (
            f"---\ntitle: Old incident {i}\ndate: {day}\nseverity: SEV-3\n"
            f"services: [svc-{i % 7}]\n---\n# Old incident {i}\n"
        )
    entries = library.entries_from_texts(docs.items(), docs_dir="docs/postmortems")
    readme, index = library.build_index(entries)
    return {**docs, "docs/postmortems/README.md": readme, "docs/postmortems/index.json": index}


def seeded(sb: Sandbox, k: int, docs: int) -> int:
    sb.seed_user("mrivera", association="MEMBER")
    sb.seed_user("jchen", association="MEMBER")
    for spec in default_config().all_labels():
        sb.seed_label(spec.name, spec.color, spec.description)
    sb.seed_files({"README.md": "# web\n", **documents(docs)})
    return sb.seed_issue(title="PM", body=body(k), labels=["postmortem"], user="mrivera").number


def measure(sb: Sandbox, number: int) -> tuple[int, int, int, float]:
    gh = GitHub(
        GitHubSettings(token="bench", repository="acme/web", api_url=sb.base_url), pace=False
    )
    sb.counters.reset()
    start = time.perf_counter()
    run = run_intake(
        gh, number, now=NOW, config=default_config(), dry_run=False, log=lambda _: None
    )
    seconds = time.perf_counter() - start
    assert not run.failed, run.failed
    stats = gh.stats
    assert sb.counters.writes == stats.writes
    return stats.reads, stats.writes, stats.requests, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[1, 10, 25])
    parser.add_argument("--library", type=int, default=50, help="documents already in the repo")
    args = parser.parse_args()
    print(f"library: {args.library} documents already indexed; labels already exist")
    print(f"{'K':>3} {'run':<6} {'reads':>5} {'writes':>6} {'total':>5} {'seconds':>8}")
    for k in args.items:
        with Sandbox(repo="acme/web") as sb:
            number = seeded(sb, k, args.library)
            first = measure(sb, number)
            rerun = measure(sb, number)
        for name, (reads, writes, total, seconds) in (("first", first), ("rerun", rerun)):
            print(f"{k:>3} {name:<6} {reads:>5} {writes:>6} {total:>5} {seconds:>8.3f}")
        assert rerun[1] == 0, "a rerun on an unchanged issue must not write"


if __name__ == "__main__":
    main()
