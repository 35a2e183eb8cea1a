"""`Depends on` over HTTP: intake marks each item's issue blocked by the issue of the item it
names (a GitHub issue dependency, by the blocker's id), reads what exists first so a rerun
writes nothing, prints it in a dry run without writing, and never removes a link."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from helpers.intake import adapter, example, items, run, seed, with_item_table

from pmbot.core.config import load_config
from pmbot.github.client import GitHub
from pmbot.sandbox import Sandbox

BLOCKED_BY = "/dependencies/blocked_by"
SLUG = "checkout-failures-after-a-connection-pool-config"


class Logged(Sandbox):
    """A sandbox whose exchanges the test reads back (from PMBOT_SANDBOX_LOG when set, so a
    contract check sees them too)."""

    log_file: Path
    start: int

    @property
    def log(self) -> list[dict[str, Any]]:
        lines = self.log_file.read_text(encoding="utf-8").splitlines()[self.start :]
        return [json.loads(line) for line in lines]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Logged]:
    path = Path(os.environ.get("PMBOT_SANDBOX_LOG") or tmp_path / "sandbox.jsonl")
    start = len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0
    with Logged(repo=REPO, log_path=path) as sb:
        sb.log_file, sb.start = path, start
        yield sb


def item_titled(sb: Sandbox, words: str) -> Any:
    return next(i for i in items(sb) if words in i.title)


def dependency_writes(sb: Logged) -> list[dict[str, Any]]:
    return [e for e in sb.log if e["method"] != "GET" and BLOCKED_BY in e["path"]]


def test_a_depends_on_becomes_an_issue_dependency_and_a_rerun_writes_nothing(
    sandbox: Logged,
) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    canary = item_titled(sandbox, "canary stage")  # AI-1
    dashboard = item_titled(sandbox, "deploy dashboard")  # AI-4, which depends on AI-1
    assert dashboard.blocked_by == [canary.id] and canary.blocking == [dashboard.id]
    assert [i.number for i in items(sandbox) if i.blocked_by] == [dashboard.number]
    # GitHub said nothing blocks the new issues (issue_dependencies_summary): no read first.
    assert [e["method"] for e in sandbox.log if BLOCKED_BY in e["path"]] == ["POST"]
    (post,) = dependency_writes(sandbox)
    assert post["path"] == f"/repos/acme/web/issues/{dashboard.number}{BLOCKED_BY}"
    # The blocking issue's id, not its number: they differ in the sandbox as on GitHub.
    assert post["request_body"] == {"issue_id": canary.id} and canary.id != canary.number
    assert post["status"] == 201
    sandbox.counters.reset()
    before = len(sandbox.log)
    run(sandbox, number)
    assert sandbox.counters.writes == 0
    reads = [e["path"] for e in sandbox.log[before:] if BLOCKED_BY in e["path"]]
    assert reads == [f"/repos/acme/web/issues/{dashboard.number}{BLOCKED_BY}"]  # read, not written


def test_the_document_links_the_blocking_item(sandbox: Logged) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    canary = item_titled(sandbox, "canary stage")
    git = sandbox.state.git
    branch = next(r for r in git.refs if r.startswith("refs/heads/postmortem/"))
    path = f"docs/postmortems/2026/2026-11-03-{SLUG}-issue-1.md"
    found = git.read(git.commits[git.refs[branch]], path)
    assert found is not None
    doc = found.decode()
    row = next(line for line in doc.splitlines() if "Show config pushes" in line)
    assert f"blocked by [#{canary.number}](" in row


def test_a_dry_run_writes_nothing_and_says_what_it_would_link(sandbox: Logged) -> None:
    number = seed(sandbox, example())
    lines: list[str] = []
    run(sandbox, number, dry_run=True, lines=lines)
    assert sandbox.counters.writes == 0
    assert "AI-4 will be marked blocked by AI-1 once both have an issue." in lines
    run(sandbox, number)
    canary, dashboard = item_titled(sandbox, "canary"), item_titled(sandbox, "deploy dashboard")
    dashboard.blocked_by.clear()  # the link is gone (removed by hand, say)
    canary.blocking.clear()
    sandbox.counters.reset()
    lines.clear()
    run(sandbox, number, dry_run=True, lines=lines)
    assert sandbox.counters.writes == 0 and dashboard.blocked_by == []
    assert f"  - mark #{dashboard.number} blocked by #{canary.number} (AI-4 depends on AI-1)" in (
        lines
    )
    run(sandbox, number)
    assert dashboard.blocked_by == [canary.id]


def test_a_link_made_by_hand_stays(sandbox: Logged) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    dashboard = item_titled(sandbox, "deploy dashboard")
    alert = item_titled(sandbox, "pool saturation")
    dashboard.blocked_by.append(alert.id)  # a person adds a dependency the form does not name
    alert.blocking.append(dashboard.id)
    sandbox.counters.reset()
    run(sandbox, number)
    assert sandbox.counters.writes == 0
    assert dashboard.blocked_by == [item_titled(sandbox, "canary stage").id, alert.id]
    assert not [e for e in sandbox.log if e["method"] == "DELETE"]


def test_wrong_keys_are_findings_and_link_nothing(sandbox: Logged) -> None:
    body = with_item_table(
        "| ID | What | Owner | Priority | Type | Success | Addresses | Depends on |\n"
        "|---|---|---|---|---|---|---|---|\n"
        "| AI-1 | Add a canary stage | @jchen | P1 | prevent | Canary halts | CF1 | AI-2, AI-9 |\n"
        "| AI-2 | Show config pushes | @jchen | P2 | detect | On the dashboard | CF2 | AI-1 |\n"
    )
    number = seed(sandbox, body)
    outcome = run(sandbox, number)
    assert outcome.failed == [] and not outcome.form_error
    assert dependency_writes(sandbox) == []
    summary = next(c.body for c in sandbox.state.comments.values() if c.issue == number)
    assert "Depends on names AI-9, which is no action item" in summary
    assert "wait for each other in a circle: AI-1 → AI-2 → AI-1" in summary


def test_the_write_budget_counts_a_link(sandbox: Logged) -> None:
    """Seven new items take 14 writes: with a budget of 14 the link waits for the next run."""
    number = seed(sandbox, example())
    config = load_config(text="budget:\n  max_writes_per_run: 14\n")
    outcome = run(sandbox, number, config=config)
    assert len(items(sandbox)) == 7 and dependency_writes(sandbox) == []
    assert outcome.deferred >= 1
    dashboard = item_titled(sandbox, "deploy dashboard")
    run(sandbox, number, config=config)
    assert dashboard.blocked_by == [item_titled(sandbox, "canary stage").id]


def test_a_lost_answer_is_checked_not_repeated(sandbox: Logged) -> None:
    """The connection drops after GitHub applied the link: the adapter finds it and does not
    ask again (a second POST would be a write GitHub refuses)."""
    sandbox.faults.add("drop_after_write", method="POST", path_regex=r"/dependencies/blocked_by$")
    number = seed(sandbox, example())
    outcome = run(sandbox, number)
    assert outcome.failed == []
    dashboard = item_titled(sandbox, "deploy dashboard")
    assert dashboard.blocked_by == [item_titled(sandbox, "canary stage").id]
    assert len(dependency_writes(sandbox)) == 1


def test_a_server_without_issue_dependencies_keeps_them_in_the_document(
    sandbox: Logged, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitHub Enterprise Server before issue dependencies answers 404: nothing is written,
    nothing fails, and the document still says which item waits for which."""
    assert adapter(sandbox).list_blocked_by(999) is None  # the adapter's reading of a 404
    number = seed(sandbox, example())
    run(sandbox, number)
    dashboard = item_titled(sandbox, "deploy dashboard")
    dashboard.blocked_by.clear()
    item_titled(sandbox, "canary stage").blocking.clear()
    dashboard.blocked_by.append(-1)  # so GitHub's summary says "blocked": pmbot must read
    monkeypatch.setattr(GitHub, "list_blocked_by", lambda self, number: None)
    lines: list[str] = []
    outcome = run(sandbox, number, lines=lines)
    assert outcome.failed == [] and dependency_writes(sandbox)[1:] == []
    assert any("no issue dependencies" in line for line in lines)
