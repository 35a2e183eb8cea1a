"""Documents that stay true, against the sandbox over HTTP: intake publishes each item's
issue, due date and state; item events write no commit; the report job's refresh rewrites
every changed document and the index in one commit, and a rerun writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.intake import NOW, adapter, env, items, run, seed, with_item_rows

from pmbot.app.event import dispatch
from pmbot.app.report import report
from pmbot.core.config import default_config
from pmbot.github.client import GitHub
from pmbot.render.library import read_document_data, read_front_matter
from pmbot.sandbox import Sandbox

DOC = "docs/postmortems/2026/2026-11-03-checkout-failures-after-a-connection-pool-config-issue-1.md"
INDEX = "docs/postmortems/index.json"


def with_items(k: int) -> str:
    """The example with k plain action items, all owned by one person."""
    rows = [
        f"| Fix thing number {i} in the checkout path | @jchen | P{i % 4} | | prevent | "
        f"A drill shows thing {i} fixed | CF1 |"
        for i in range(k)
    ]
    return with_item_rows(rows)


def event_for(gh: GitHub, action: str, number: int) -> Callable[[], int]:
    payload = {"action": action, "issue": {"number": number, "labels": [{"name": "postmortem"}]}}
    return lambda: dispatch(gh, "issues", payload, now=NOW, config=default_config(), dry_run=False)


def on(sb: Sandbox, ref: str, path: str) -> str:
    git = sb.state.git
    text = git.read(git.commits[git.refs[ref]], path)
    assert text is not None, f"{path} is not on {ref}"
    return text.decode()


def main_commits(sb: Sandbox) -> int:
    git = sb.state.git
    count, sha = 0, git.refs["refs/heads/main"]
    while sha:
        count += 1
        parents = git.commits[sha].parents
        sha = parents[0] if parents else ""
    return count


def merge_the_pull_request(sb: Sandbox) -> None:
    gh = adapter(sb)
    (pull,) = [i for i in sb.state.issues.values() if i.pull]
    gh.http.call("PUT", f"{gh.repo}/pulls/{pull.number}/merge", body={})


def close(sb: Sandbox, number: int, when: Any) -> None:
    issue = sb.state.issues[number]
    issue.state, issue.state_reason, issue.closed_at = "closed", "completed", when


def weekly_report(sb: Sandbox, tmp_path: Path, days: int) -> None:
    report(env(sb, tmp_path), fmt="md", now=NOW + timedelta(days=days), post=True,
           config_path=None)  # fmt: skip


def test_the_first_document_links_every_item_with_its_due_date_and_state(
    sandbox: Sandbox,
) -> None:
    number = seed(sandbox, with_items(3))
    run(sandbox, number)
    branch = next(r for r in sandbox.state.git.refs if r.startswith("refs/heads/postmortem/"))
    doc = on(sandbox, branch, DOC)
    created = items(sandbox)
    for item in created:
        due = json.loads(item.body.split("<!-- pmbot:item ")[1].split(" -->")[0])["due"]
        assert f"| [#{item.number}](" in doc and f"/issues/{item.number}) |" in doc
        row = next(line for line in doc.splitlines() if f"[#{item.number}]" in line)
        assert f"| {due} | open |" in row  # the SLA's date: none was given in the form
    front = read_front_matter(doc)
    assert front is not None and set(front) == {
        "title", "date", "severity", "status", "services", "tags", "issue"
    }  # fmt: skip
    assert front["status"] == "In review"
    index = json.loads(on(sandbox, branch, INDEX))["documents"][0]
    assert [(i["issue"], i["state"]) for i in index["action_items"]] == [
        (i.number, "open") for i in created
    ]
    assert all(i["due"] for i in index["action_items"])
    assert index["progress"]["text"] == "0/3 done"


def test_item_events_leave_the_document_and_the_refresh_batches_them(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.state.clock = lambda: NOW  # filed, opened and merged on 2026-11-10
    number = seed(sandbox, with_items(2))
    run(sandbox, number)
    merge_the_pull_request(sandbox)
    first, second = items(sandbox)
    before = main_commits(sandbox)
    # An item closes: the summary follows at once, the document does not (no commit).
    close(sandbox, first.number, NOW + timedelta(days=3))
    assert event_for(adapter(sandbox), "closed", first.number)() == 0
    assert main_commits(sandbox) == before
    assert not [r for r in sandbox.state.git.refs if r.endswith("-2")]  # no second branch
    sandbox.counters.reset()
    run(sandbox, number)  # an edit of the issue that changes nothing in the form
    assert sandbox.counters.writes == 0

    weekly_report(sandbox, tmp_path, 7)
    assert main_commits(sandbox) == before + 1  # one commit for the whole refresh
    doc = on(sandbox, "refs/heads/main", DOC)
    assert "| done |" in doc and "| open |" in doc
    assert read_front_matter(doc) is not None
    assert "**Status:** Action items assigned since 2026-11-10 · action items 1/2 done" in doc
    record = json.loads(on(sandbox, "refs/heads/main", INDEX))["documents"][0]
    assert record["status"] == "Action items assigned"
    assert [s["stage"] for s in record["lifecycle"]] == [
        "In review", "Reviewed", "Action items assigned"
    ]  # fmt: skip
    assert record["progress"]["text"] == "1/2 done"
    assert "| Action items assigned | 1/2 done |" in on(
        sandbox, "refs/heads/main", "docs/postmortems/README.md"
    )

    sandbox.counters.reset()
    weekly_report(sandbox, tmp_path, 7)  # a rerun: nothing changed
    assert sandbox.counters.writes == 0

    close(sandbox, second.number, NOW + timedelta(days=9))
    weekly_report(sandbox, tmp_path, 14)
    assert main_commits(sandbox) == before + 2
    doc = on(sandbox, "refs/heads/main", DOC)
    assert "**Status:** Complete since 2026-11-19 · action items 2/2 done" in doc
    assert read_document_data(doc)["lifecycle"][-1] == {"stage": "Complete", "date": "2026-11-19"}


def test_the_refresh_leaves_a_document_whose_edit_waits_in_a_pull_request(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = seed(sandbox, with_items(2))
    run(sandbox, number)
    merge_the_pull_request(sandbox)
    on_main = on(sandbox, "refs/heads/main", DOC)
    issue = sandbox.state.issues[number]
    issue.body = (issue.body or "").replace("Config is code", "Configuration is code")
    run(sandbox, number)  # the edit goes to a pull request, not to main
    close(sandbox, items(sandbox)[0].number, NOW + timedelta(days=3))
    weekly_report(sandbox, tmp_path, 7)
    assert on(sandbox, "refs/heads/main", DOC) == on_main
    assert "differs from its issue" in capsys.readouterr().err


def test_agenda_over_http_and_in_the_weekly_report(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pmbot.app.report import agenda

    number = seed(sandbox, with_items(2))  # P0 (14 days) and P1 (28 days) from 2026-11-10
    run(sandbox, number)
    capsys.readouterr()
    assert agenda(env(sandbox, tmp_path), now=NOW + timedelta(days=10), config_path=None) == 0
    out = capsys.readouterr().out
    first, _second = items(sandbox)
    assert f"| #{first.number} Fix thing number 0 in the checkout path | `@jchen` | P0 |" in out
    assert "2026-11-24 (in 4 days)" in out
    assert f"- #{number} Checkout failures" in out and "document due 2026-11-10 — late" in out
    weekly_report(sandbox, tmp_path, 20)  # the P0 item is 6 days overdue by now
    text = capsys.readouterr().out
    assert "## Weekly review agenda — 2026-11-30" in text
    assert (
        f"  - #{first.number} Fix thing number 0 in the checkout path — P0, 6 days overdue" in text
    )
