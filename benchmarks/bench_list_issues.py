"""List 10,000 open action items through the GitHub adapter, then again with conditional requests.

The sweep's budget is one read per hundred open items, and a repeat listing should cost no
rate limit at all (every page a 304). Run: `make bench` or
`.venv/bin/python benchmarks/bench_list_issues.py`.
"""

from __future__ import annotations

import time

from pmbot.core import markers
from pmbot.github.client import GitHub
from pmbot.github.models import GitHubSettings
from pmbot.sandbox import Sandbox

ITEMS = 10_000


def _body(i: int) -> str:
    marker = markers.encode(
        "item", {"pm": 1 + i // 25, "key": f"AI-{i % 25 + 1}", "due": "2026-12-01"}
    )
    return f"**What:** action item {i}\n\n**Success criteria:** it is done.\n\n{marker}\n"


def main() -> None:
    with Sandbox(repo="acme/web") as sb:
        started = time.perf_counter()
        sb.seed_issues(ITEMS, labels=["action-item", "P1"], body_fn=_body)  # direct: no HTTP
        print(f"seeded {ITEMS} open action items in {time.perf_counter() - started:.2f}s")
        settings = GitHubSettings(token="sandbox-token", repository="acme/web", api_url=sb.base_url)
        gh = GitHub(settings, pace=False)

        started = time.perf_counter()
        items = gh.list_issues(labels=["action-item"])
        first, seconds = gh.stats, time.perf_counter() - started
        assert len(items) == ITEMS
        print(f"first listing:  {len(items)} items, {first.requests} requests, {seconds:.2f}s")

        started = time.perf_counter()
        again = gh.list_issues(labels=["action-item"])
        seconds = time.perf_counter() - started
        stats = gh.stats
        requests = stats.requests - first.requests
        not_modified = stats.not_modified - first.not_modified
        assert again == items
        print(
            f"second listing: {len(again)} items, {requests} requests, "
            f"{not_modified} of them 304 (free), {seconds:.2f}s"
        )
        print(f"sandbox saw {sb.counters.requests} requests; adapter counted {stats.requests}")


if __name__ == "__main__":
    main()
