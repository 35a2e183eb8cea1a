"""Planning the daily sweep over 1,000 and 10,000 action items (no network).

A realistic mix relative to `now`: not yet due, due soon, overdue, escalated (some due a
repeat), and closed. Reports seconds to read the markers and to plan, the planned writes,
and the writes a second plan at the same `now` would make after the first was applied (0).

    python benchmarks/bench_sweep_plan.py
"""

from __future__ import annotations

import random
import time
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pmbot.app.forms import action_item_form
from pmbot.core.config import default_config
from pmbot.core.model import Priority
from pmbot.flows.items import TrackedItem, read_items
from pmbot.flows.ladder import plan_sweep
from pmbot.flows.tracking import FollowState, ItemInfo, Step, item_marker, with_markers
from pmbot.github.models import IssueSnapshot
from pmbot.plan import apply, trim_to_budget

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
TODAY = NOW.date()


class Store:
    """Issues in memory; the writes a plan makes land here."""

    def __init__(self) -> None:
        self.issues: dict[int, dict[str, Any]] = {}
        self.writes = 0

    def _issue(self, number: int) -> dict[str, Any]:
        self.writes += 1
        return self.issues[number]

    def create_comment(self, number: int, body: str) -> None:
        issue = self._issue(number)
        issue["comments"] = issue.get("comments", 0) + 1  # GitHub's count, as the list gives it

    def upsert_comment(self, number: int, marker_kind: str, body: str) -> None:
        self._issue(number)

    def update_issue(self, number: int, **changes: Any) -> None:
        self._issue(number).update(changes)

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        have = self._issue(number)["labels"]
        have += [n for n in labels if n not in have]

    def remove_label(self, number: int, name: str) -> None:
        self._issue(number)["labels"].remove(name)

    def set_assignees(self, number: int, logins: Sequence[str]) -> None:
        self._issue(number)["assignees"] = list(logins)

    def create_issue(self, title: str, body: str, *args: Any, marker: str) -> None:
        self.writes += 1


def _follow(step: Step, due: date, last_days_ago: int) -> FollowState:
    last = NOW - timedelta(days=last_days_ago)
    return FollowState(step=step, reached=((step, last),), last=last, due=due)


def _issue(number: int, rng: random.Random) -> dict[str, Any]:
    kind = rng.choices(
        ["not_due", "due_soon", "overdue", "escalated", "closed"], [40, 15, 20, 15, 10]
    )[0]
    labels = ["action-item"]
    follow: FollowState | None = None
    if kind == "not_due":
        due = TODAY + timedelta(days=rng.randint(10, 90))
    elif kind == "due_soon":
        due = TODAY + timedelta(days=rng.randint(0, 3))
        follow = _follow(Step.DUE_SOON, due, 1) if rng.random() < 0.5 else None
    elif kind == "overdue":
        due = TODAY - timedelta(days=rng.randint(1, 6))
        if rng.random() < 0.6:
            follow, labels = _follow(Step.OVERDUE, due, rng.randint(0, 8)), [*labels, "overdue"]
    else:
        due = TODAY - timedelta(days=rng.randint(8, 40))
        follow = _follow(Step.COMMANDER, due, rng.randint(0, 14))
        labels += ["overdue", "escalated"]
    owner = None if rng.random() < 0.05 else f"user{rng.randint(1, 200)}"
    info = ItemInfo(
        pm=rng.randint(1, 300),
        key=f"AI-{number}",
        priority=rng.choice(list(Priority)),
        due=due,
        opened=due - timedelta(days=28),
        owner=owner,
        commander=f"ic{rng.randint(1, 20)}",
        authors=(f"author{rng.randint(1, 50)}",),
        type="prevent",
    )
    body = "Make the deploy pipeline stop on a failed canary.\n\n" + item_marker(info)
    if follow is not None:
        body = with_markers(body, follow=follow)
    state = "closed" if kind == "closed" else "open"
    return {"title": f"Action item {number}", "body": body, "labels": labels, "state": state}


BOT = "pmbot[bot]"


def _snapshots(store: Store) -> list[IssueSnapshot]:
    """The issues as the adapter hands them over (built before the clock starts)."""
    return [
        IssueSnapshot(
            id=n,
            number=n,
            title=i["title"],
            body=i["body"],
            state=i["state"],
            state_reason=None,
            labels=tuple(i["labels"]),
            assignees=(),
            author=BOT,
            author_association="NONE",
            created_at=NOW,
            updated_at=NOW,
            closed_at=None,
            html_url="",
            is_pull_request=False,
            comments=i.get("comments", 0),
        )
        for n, i in store.issues.items()
    ]


def _read(snapshots: list[IssueSnapshot]) -> list[TrackedItem]:
    return list(
        read_items(snapshots, bot_login=BOT, config=default_config(), form=action_item_form()).items
    )


def bench(n: int) -> dict[str, float | int]:
    rng = random.Random(n)
    store = Store()
    store.issues = {k: _issue(k, rng) for k in range(1, n + 1)}
    config = default_config()
    snapshots = _snapshots(store)
    start = time.perf_counter()
    items = _read(snapshots)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    plan = plan_sweep(items, NOW, config)
    plan_s = time.perf_counter() - start
    kept, deferred = trim_to_budget(plan, config.budget.max_writes_per_run)
    tracemalloc.start()  # a second, traced pass: tracing slows the timed one down
    plan_sweep(_read(_snapshots(store)), NOW, config)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    apply(plan, store, dry_run=False, log=lambda _: None)  # everything, as repeated runs would
    rerun = plan_sweep(_read(_snapshots(store)), NOW, config)
    return {
        "items": n,
        "read_s": read_s,
        "plan_s": plan_s,
        "planned_writes": plan.writes,
        "items_changed": len(plan.by_issue()),
        "kept_in_budget": kept.writes,
        "deferred": deferred.writes,
        "peak_mib": peak / 2**20,
        "rerun_writes": rerun.writes,
    }


def main() -> None:
    header = (
        "| items | read markers (s) | plan (s) | planned writes | items changed | "
        "within budget | deferred | peak MiB | rerun writes |"
    )
    print(header)
    print("|" + "---:|" * 9)
    for n in (1_000, 10_000):
        r = bench(n)
        print(
            f"| {r['items']:,} | {r['read_s']:.3f} | {r['plan_s']:.3f} | {r['planned_writes']:,} "
            f"| {r['items_changed']:,} | {r['kept_in_budget']:,} | {r['deferred']:,} "
            f"| {r['peak_mib']:.1f} | {r['rerun_writes']} |"
        )
        assert r["rerun_writes"] == 0, "a second sweep at the same now must write nothing"


if __name__ == "__main__":
    main()
