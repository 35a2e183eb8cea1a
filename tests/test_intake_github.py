"""`pmbot intake` against the sandbox over real HTTP: what it creates, and its guarantees —
a rerun writes nothing, a run killed half-way resumes to the same state, racing runs create
nothing twice, requests stay about two per new item."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import PLACEHOLDER_TOKEN, REPO
from helpers.intake import (
    NOW,
    WRITES,
    adapter,
    env,
    example,
    items,
    run,
    seed,
    summaries,
    with_item_rows,
)

from pmbot.app.event import dispatch
from pmbot.app.intake import intake
from pmbot.core import markers
from pmbot.core.config import default_config, load_config
from pmbot.flows.publish import entries_from_index
from pmbot.github.client import GitHub
from pmbot.render.library import build_index
from pmbot.sandbox import Sandbox

with_items = with_item_rows


def rows(k: int) -> list[str]:
    return [
        f"| Fix thing number {i} in the checkout path | @jchen | P{i % 4} | | prevent | "
        f"A drill shows thing {i} fixed | CF1 |"
        for i in range(k)
    ]


def state_of(sb: Sandbox) -> dict[str, Any]:
    """What a run leaves behind, without ids or times: for comparing two runs."""
    issues = [
        (i.title, sorted(i.labels), sorted(i.assignees), i.parent, i.state, i.state_reason, i.body)
        for _, i in sorted(sb.state.issues.items())
        if i.pull is None
    ]
    comments = sorted((c.issue, c.body) for c in sb.state.comments.values())
    git = sb.state.git
    files = {}
    for ref, sha in sorted(git.refs.items()):
        commit = git.commits[sha]
        files[ref] = {p: git.read(commit, p) for p in sorted(commit.files)}
    pulls = [(i.title, i.body, i.pull.head) for i in sb.state.issues.values() if i.pull]
    return {"issues": issues, "comments": comments, "files": files, "pulls": pulls}


# --- what a first run does ------------------------------------------------------------------


def test_first_run_files_items_document_and_summary(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    result = run(sandbox, number)
    assert not result.failed and result.planned
    created = items(sandbox)
    assert len(created) == 7
    first = created[0]
    assert first.title.startswith("[P1] Add a canary stage")
    assert sorted(first.labels) == ["P1", "action-item", "sla:28d", "type:prevent"]
    assert first.assignees == ["jchen"] and first.parent == number
    info = markers.find(first.body, "item")
    assert info is not None and info["pm"] == number and info["due"] == "2026-12-15"
    assert "**Why:** addresses CF2" in (first.body or "")
    body = first.body or ""
    assert body.startswith(
        f"An action item of the postmortem #{number}: "
        "**Checkout failures after a connection-pool config push** · [the document]("
    )
    assert "from the postmortem #" not in body and "AI-1" not in body.split("<!--")[0]
    assert "**What:**" not in body  # the title says it all
    p0 = markers.find(created[1].body, "item")
    assert p0 is not None and p0["due"] == "2026-11-24"  # P0 SLA: 14 days from the run
    assert sandbox.state.issues[number].sub_issues == [i.number for i in created]
    (summary,) = summaries(sandbox, number)
    assert "79%" in summary and "#2" in summary and "pull request #" in summary
    assert "`@lnguyen` ⚠️ cannot be assigned here" in summary  # unassignable: flagged
    assert "`@acme/sre` ⚠️ a team" in summary
    pulls = [i for i in sandbox.state.issues.values() if i.pull]
    assert len(pulls) == 1 and pulls[0].pull is not None
    assert pulls[0].pull.head.startswith("postmortem/2026-11-03-checkout-failures")


def test_the_summary_reads_well_on_github(sandbox: Sandbox) -> None:
    """One line per kind of finding, naming its items; nothing the table already says; dates
    that do not wrap; titles cut at a word; overdue marked; one footer; no rule ids."""
    number = seed(sandbox, example())
    run(sandbox, number)
    (summary,) = summaries(sandbox, number)
    assert summary.startswith("## Postmortem summary · SEV-2\n")
    assert "Checkout failures after" not in summary.splitlines()[0]
    assert "(line " not in summary and "`action-item-" not in summary and "`blame-" not in summary
    assert "no due date" not in summary and "owned by a team" not in summary
    assert summary.count("_pmbot keeps this comment up to date") == 1
    # Reviewers learn how to score, once, just above the footer.
    hint = "**Reviewers:** score this postmortem with `/pmbot score N [comment]`, N a whole or "
    assert summary.count(hint) == 1
    assert summary.split(hint)[1].startswith("half point from 1 to 5.\n\n_pmbot keeps this")
    assert summary.count("_Warnings are worth") == 0
    vague = [ln for ln in summary.splitlines() if "success criteria:**" in ln]
    assert len(vague) == 1 and "`Improve monitoring`" in vague[0]
    assert (
        "| #3 | Reject connection pool sizes below 100 in the checkout config schema |" in summary
    )
    assert "2026\u201112\u201115" in summary  # a due date with non-breaking hyphens
    assert "AI-1" not in summary  # the table names items by their issue, not their key
    # The meeting and its attendance, without the names a comment would notify.
    assert "\n**Review meeting** 2026-11-10 · 4 of 5 responders attended (80%)\n" in summary
    assert "aokafor" not in summary
    cell = next(ln for ln in summary.splitlines() if ln.startswith("| #2 |")).split(" | ")[1]
    assert cell.endswith("…") and cell[:-1] in "Add a canary stage to config pushes for " + (
        "checkout-api that halts on a 1% error-rate rise"
    )
    assert len(cell) <= 80 and not cell[:-1].endswith(("-", " "))


def test_an_overdue_item_is_marked_in_the_summary(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    run(sandbox, number, now=datetime(2026, 11, 30, 9, tzinfo=UTC))  # the P0 item is late
    (summary,) = summaries(sandbox, number)
    row = next(ln for ln in summary.splitlines() if ln.startswith("| #3 |"))
    assert row.endswith("| 🔴 **overdue** |")
    assert "(0 of 7 done, 1 overdue)" in summary


def test_items_name_their_postmortem_as_the_workflows_concurrency_key(sandbox: Sandbox) -> None:
    """The workflows serialise a postmortem family on `issue.url` (intake) and
    `issue.parent_issue_url || issue.url` (items, commands): the two must be equal."""
    number = seed(sandbox, example())
    run(sandbox, number)
    http = requests.Session()
    http.headers["Authorization"] = f"token {PLACEHOLDER_TOKEN}"
    pm = http.get(f"{sandbox.base_url}/repos/{REPO}/issues/{number}").json()
    for item in items(sandbox):
        data = http.get(f"{sandbox.base_url}/repos/{REPO}/issues/{item.number}").json()
        assert data["parent_issue_url"] == pm["url"]


def test_rerun_on_unchanged_issue_makes_no_writes(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    sandbox.counters.reset()
    again = run(sandbox, number)
    assert again.planned == [] and sandbox.counters.writes == 0
    assert sandbox.counters.requests <= 12  # reads only, a small constant


def test_requests_are_about_two_per_new_item(sandbox: Sandbox) -> None:
    number = seed(sandbox, with_items(rows(10)))
    gh = adapter(sandbox)
    run(sandbox, number, gh=gh)
    stats = gh.stats
    labels = 1 + 4 + 4 + 1  # action-item, P0-P3, the SLA labels, type:prevent
    # 2 per item; labels once per repository; branch, 3 files, pull request; the comment.
    assert stats.writes <= 2 * 10 + labels + 5 + 1
    assert stats.reads <= 20


def test_dry_run_prints_the_plan_and_writes_nothing(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    lines: list[str] = []
    result = run(sandbox, number, dry_run=True, lines=lines)
    assert sandbox.counters.writes == 0 and not items(sandbox)
    text = "\n".join(lines)
    assert "create action item" in text and "pull request from postmortem/" in text
    assert "update summary comment" in text
    assert len(result.planned) >= 9


def test_the_write_budget_defers_whole_items_most_urgent_first(sandbox: Sandbox) -> None:
    number = seed(sandbox, with_items(list(reversed(rows(4)))))  # P3, P2, P1, P0 in the form
    for spec in default_config().all_labels():
        sandbox.seed_label(spec.name, spec.color, spec.description)
    config = load_config(text="budget:\n  max_writes_per_run: 5\n")
    first = run(sandbox, number, config=config)
    # Two items (2 writes each) fit; the next would not, so it and all after it wait.
    assert [i.title[:4] for i in items(sandbox)] == ["[P1]", "[P0]"]  # in form order
    assert all(i.parent == number for i in items(sandbox))
    assert first.deferred == 2 + 2 + 5 and not first.failed
    assert sandbox.counters.writes == 5  # and the summary says what is still to be created
    assert "to be created" in summaries(sandbox, number)[0]
    for _ in range(3):
        again = run(sandbox, number, config=config)
        assert sum(1 for line in again.planned if "create" in line or "edit" in line) <= 5
    assert sorted(i.title[:4] for i in items(sandbox)) == ["[P0]", "[P1]", "[P2]", "[P3]"]
    assert all(i.parent == number for i in items(sandbox))
    summary = summaries(sandbox, number)[0]
    assert "to be created" not in summary and "in pull request #" in summary
    sandbox.counters.reset()
    assert run(sandbox, number, config=config).planned == []
    assert sandbox.counters.writes == 0


def test_no_write_github_refuses_for_owners_it_cannot_assign(tmp_path: Path) -> None:
    log = tmp_path / "sandbox.jsonl"
    with Sandbox(repo=REPO, log_path=log) as sb:
        number = seed(sb, example())  # lnguyen owns a row and cannot be assigned here
        first = run(sb, number)
        assert not first.failed
        lnguyen = [i for i in items(sb) if "lnguyen" in i.body]
        assert len(lnguyen) == 1 and lnguyen[0].assignees == []
        people = [i for i in items(sb) if i not in lnguyen and "@acme/sre" not in i.body]
        assert len(people) == 5 and all(len(i.assignees) == 1 for i in people)
        assert any("`@lnguyen` ⚠️ cannot be assigned here" in s for s in summaries(sb, number))
        before = len(log.read_text(encoding="utf-8").splitlines())
        run(sb, number)  # a rerun asks nothing more: the items already record their owners
    exchanges = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    refused = [
        (e["method"], e["path"], e["status"])
        for e in exchanges
        if e["status"] >= 400 and e["method"] in WRITES
    ]
    assert refused == []  # (reads may answer 404: the branch not made yet, lnguyen's check)
    checks = [e["path"] for e in exchanges if "/assignees/" in e["path"]]
    # one read per distinct owner of a new item, none on the rerun
    assert sorted(p.rsplit("/", 1)[1] for p in checks) == [
        "dkim",
        "jchen",
        "lnguyen",
        "mrivera",
        "spatel",
    ]
    assert not [e for e in exchanges[before:] if "/assignees/" in e["path"]]


# --- edits ----------------------------------------------------------------------------------


def test_edited_row_updates_only_what_changed_and_records_the_due_date(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    body = example().replace("| @spatel | P2 | 2027-01-29 |", "| @spatel | P2 | 2027-02-12 |")
    body = body.replace("| AI-7 | Improve monitoring | @mrivera | P2 | | detect | | | |\n", "")
    sandbox.state.issues[number].body = body
    run(sandbox, number)
    moved = next(i for i in items(sandbox) if "one-approval" in i.title)
    info = markers.find(moved.body, "item")
    assert info is not None and info["due"] == "2027-02-12"
    assert info["history"][-1]["why"] == "edited in the postmortem form"
    notes = [c.body for c in sandbox.state.comments.values() if c.issue == moved.number]
    assert any("2027-01-29** to **2027-02-12**" in n for n in notes)
    gone = next(i for i in items(sandbox) if "Improve monitoring" in i.title)
    assert "action-item-removed" in gone.labels and gone.state == "open"  # never closed
    assert any("no longer in the postmortem" in c.body for c in sandbox.state.comments.values())
    sandbox.counters.reset()
    run(sandbox, number)
    assert sandbox.counters.writes == 0


def test_a_command_between_intakes_read_and_its_write_is_kept(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = itertools.count()
    sandbox.state.clock = lambda: NOW + timedelta(seconds=next(ticks))
    number = seed(sandbox, example())
    run(sandbox, number)
    canary = next(i for i in items(sandbox) if "canary stage" in i.title)
    # The form is edited (the row reworded) while the owner asks for more time on its item.
    edited = example().replace("that halts on a 1% error-rate rise", "that halts on any rise")
    sandbox.state.issues[number].body = edited
    listed = GitHub.list_sub_issues
    commanded: list[int] = []

    def list_then_command(gh: GitHub, parent: int) -> Any:
        found = listed(gh, parent)
        if not commanded:
            commanded.append(-1)  # once: the command's own run reads the items too
            text = "/pmbot due 2027-01-15 waiting on the vendor"
            cid = sandbox.seed_comment(canary.number, text, user="jchen").id
            payload = {
                "action": "created",
                "issue": {"number": canary.number},
                "comment": {"id": cid, "body": text, "user": {"login": "jchen"}},
            }
            commanded[0] = dispatch(
                adapter(sandbox), "issue_comment", payload, now=NOW, config=default_config(),
                dry_run=False, log=lambda _: None,
            )  # fmt: skip
        return found

    monkeypatch.setattr(GitHub, "list_sub_issues", list_then_command)
    assert not run(sandbox, number).failed and commanded == [0]
    info = markers.find(sandbox.state.issues[canary.number].body, "item")
    assert info is not None and info["due"] == "2027-01-15"  # the command's date is kept
    assert [c["cmd"] for c in info["history"]] == ["due"]
    assert sandbox.state.issues[canary.number].title.endswith("that halts on any rise")
    monkeypatch.setattr(GitHub, "list_sub_issues", listed)
    sandbox.counters.reset()
    run(sandbox, number)
    assert sandbox.counters.writes == 0


def test_reworded_row_keeps_its_issue(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    before = len(sandbox.state.issues)
    sandbox.state.issues[number].body = example().replace(
        "Show config pushes on the deploy dashboard", "Show config pushes on the deploys dashboard"
    )
    run(sandbox, number)
    assert len(sandbox.state.issues) == before
    assert any("deploys dashboard" in i.title for i in items(sandbox))


# --- interruptions and races ------------------------------------------------------------------


class Killed(BaseException):
    """The runner dying mid-run (not an Exception: nothing in pmbot may swallow it)."""


def killing(gh: GitHub, after: int) -> GitHub:
    """gh, but the process 'dies' right after its `after`-th write reached GitHub."""
    call = gh.http.call
    count = 0

    def dying(method: str, *args: Any, **kwargs: Any) -> Any:
        nonlocal count
        answer = call(method, *args, **kwargs)
        if method in WRITES:
            count += 1
            if count >= after:
                raise Killed
        return answer

    gh.http.call = dying  # type: ignore[method-assign]
    return gh


def uninterrupted_state() -> dict[str, Any]:
    with Sandbox(repo=REPO) as sb:
        number = seed(sb, example())
        run(sb, number)
        return state_of(sb)


@pytest.mark.parametrize("after", [1, 5, 14, 16, 21, 27, 30, 33])
def test_killed_run_resumes_to_the_same_state(sandbox: Sandbox, after: int) -> None:
    number = seed(sandbox, example())
    with pytest.raises(Killed):
        run(sandbox, number, gh=killing(adapter(sandbox), after))
    run(sandbox, number)
    assert state_of(sandbox) == uninterrupted_state()
    sandbox.counters.reset()
    run(sandbox, number)
    assert sandbox.counters.writes == 0


def test_lost_answer_on_create_does_not_duplicate(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    sandbox.faults.add("drop_after_write", method="POST", path_regex=r"/issues$", skip=2)
    run(sandbox, number)
    assert len(items(sandbox)) == 7
    assert state_of(sandbox) == uninterrupted_state()


def test_racing_runs_create_nothing_twice(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    sandbox.faults.add("latency", method="GET", times=None, seconds=0.01)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def one() -> None:
        gh = adapter(sandbox)
        barrier.wait()
        try:
            run(sandbox, number, gh=gh)
        except BaseException as exc:  # noqa: BLE001 — asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    sandbox.faults.clear()
    run(sandbox, number)  # a later edit event converges whatever the race left
    live = [i for i in items(sandbox) if i.state == "open"]
    keys = [markers.find(i.body, "item")["pm"] for i in live]  # type: ignore[index]
    assert len(live) == 7 and keys == [number] * 7
    dups = [i for i in items(sandbox) if i.state_reason == "duplicate"]
    assert all(i.state == "closed" for i in dups)
    assert len(summaries(sandbox, number)) == 1
    assert len([i for i in sandbox.state.issues.values() if i.pull]) == 1


# --- refusals and caps --------------------------------------------------------------------------


def test_disallowed_author_gets_one_polite_comment_and_nothing_else(sandbox: Sandbox) -> None:
    number = seed(sandbox, example(), association="NONE")
    run(sandbox, number)
    comments = [c for c in sandbox.state.comments.values() if c.issue == number]
    assert len(comments) == 1 and "Thank you" in comments[0].body
    assert not items(sandbox) and sandbox.state.issues[number].labels == ["postmortem"]
    assert len(sandbox.state.git.refs) == 1
    sandbox.counters.reset()
    run(sandbox, number)
    assert sandbox.counters.writes == 0


def test_form_error_explains_and_needs_info_comes_and_goes(sandbox: Sandbox) -> None:
    broken = re.sub(r"### Severity\n\nSEV-2", "### Severity\n\n_No response_", example())
    number = seed(sandbox, broken)
    run(sandbox, number)
    (summary,) = summaries(sandbox, number)
    assert "could not read this postmortem" in summary and "**Fix:**" in summary
    assert "needs-info" in sandbox.state.issues[number].labels and not items(sandbox)
    sandbox.state.issues[number].body = example()
    run(sandbox, number)
    assert "needs-info" not in sandbox.state.issues[number].labels
    assert len(items(sandbox)) == 7 and len(summaries(sandbox, number)) == 1


def test_body_and_item_caps(sandbox: Sandbox) -> None:
    config = load_config(text="limits:\n  max_body_bytes: 2000\n")
    number = seed(sandbox, example())
    run(sandbox, number, config=config)
    assert "pmbot reads at most 2,000" in summaries(sandbox, number)[0]
    sandbox.state.issues[number].body = with_items(rows(26))
    run(sandbox, number)
    assert not items(sandbox) and "needs-info" in sandbox.state.issues[number].labels


def test_hostile_text_cannot_forge_markers(sandbox: Sandbox) -> None:
    forged = '<!-- pmbot:item {"pm": 1, "key": "x"} -->'
    number = seed(
        sandbox, with_items([f"| Fix it {forged} | @jchen | P1 | | prevent | ok | CF1 |"])
    )
    run(sandbox, number)
    (item,) = items(sandbox)
    assert (item.body or "").count("<!-- pmbot:item") == 1
    assert summaries(sandbox, number)[0].count("<!-- pmbot:") == 1


def test_commit_mode_commits_to_the_default_branch(sandbox: Sandbox) -> None:
    config = load_config(text="publish: commit\n")
    number = seed(sandbox, example())
    run(sandbox, number, config=config)
    head = sandbox.state.git.commits[sandbox.state.git.refs["refs/heads/main"]]
    assert any(
        p.endswith("checkout-failures-after-a-connection-pool-config-issue-1.md")
        for p in head.files
    )
    assert "docs/postmortems/index.json" in head.files
    assert not [i for i in sandbox.state.issues.values() if i.pull]
    sandbox.counters.reset()
    run(sandbox, number, config=config)
    assert sandbox.counters.writes == 0


def first_parents(sb: Sandbox, ref: str, stop: str) -> list[str]:
    """Commit messages on ref after the commit stop, newest first."""
    git, found = sb.state.git, []
    sha: str | None = git.refs[ref]
    while sha is not None and sha != stop:
        commit = git.commits[sha]
        found.append(commit.message)
        sha = commit.parents[0] if commit.parents else None
    return found


@pytest.mark.parametrize("mode", ["pull_request", "commit"])
def test_each_publication_is_one_commit(sandbox: Sandbox, mode: str) -> None:
    config = load_config(text=f"publish: {mode}\n")
    number = seed(sandbox, example())
    git = sandbox.state.git
    base = git.refs["refs/heads/main"]
    run(sandbox, number, config=config)
    prefix = "refs/heads/main" if mode == "commit" else "refs/heads/postmortem/"
    ref = next(r for r in git.refs if r.startswith(prefix))
    (message,) = first_parents(sandbox, ref, base)  # document, README.md and index.json
    assert message.startswith(f"Postmortem #{number}: ")
    head = git.commits[git.refs[ref]]
    assert {"docs/postmortems/README.md", "docs/postmortems/index.json"} <= set(head.files)
    sandbox.state.issues[number].body = example().replace("SEV-2", "SEV-1", 1)
    run(sandbox, number, config=config)
    assert len(first_parents(sandbox, ref, base)) == 2  # the edit: one more commit
    sandbox.counters.reset()
    run(sandbox, number, config=config)
    assert sandbox.counters.writes == 0 and len(first_parents(sandbox, ref, base)) == 2


def test_lost_answer_on_publishing_commits_once(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    base = sandbox.state.git.refs["refs/heads/main"]
    sandbox.faults.add("drop_after_write", method="PATCH", path_regex=r"/git/refs/")
    run(sandbox, number)
    ref = next(r for r in sandbox.state.git.refs if r.startswith("refs/heads/postmortem/"))
    assert len(first_parents(sandbox, ref, base)) == 1
    assert state_of(sandbox) == uninterrupted_state()


def test_index_keeps_documents_already_in_the_library(sandbox: Sandbox) -> None:
    old = "---\ntitle: Old outage\ndate: 2026-10-01\nseverity: SEV-3\n"
    old += "services: [checkout-api]\n---\n# Old\n"
    sandbox.seed_file("docs/postmortems/2026/2026-10-01-old-outage.md", old)
    number = seed(sandbox, example())
    run(sandbox, number)
    git = sandbox.state.git
    branch = next(r for r in git.refs if r.startswith("refs/heads/postmortem/"))
    index = git.read(git.commits[git.refs[branch]], "docs/postmortems/index.json")
    assert index is not None and b"2026-10-01-old-outage.md" in index and b"Checkout" in index


# --- the command and events ---------------------------------------------------------------------


def test_intake_command_reports_requests(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = seed(sandbox, example())
    code = intake(env(sandbox, tmp_path), issue=number, dry_run=False, now=NOW, config_path=None)
    assert code == 0
    assert re.search(r"pmbot intake #1: \d+ GitHub requests", capsys.readouterr().err)
    assert "GitHub requests" in (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert PLACEHOLDER_TOKEN not in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_deferred_intake_writes_are_said_in_the_step_summary(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = seed(sandbox, with_items(rows(4)))
    sandbox.seed_file(".github/pmbot.yml", "budget:\n  max_writes_per_run: 4\n")
    code = intake(env(sandbox, tmp_path), issue=number, dry_run=False, now=NOW, config_path=None)
    assert code == 0  # deferring is not failing: the next run picks the rest up
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert f"#{number}: deferred " in summary and "budget.max_writes_per_run" in summary
    assert "deferred" in capsys.readouterr().err


def close(sb: Sandbox, number: int, state: str = "closed") -> None:
    issue = sb.state.issues[number]
    issue.state, issue.state_reason = state, "completed" if state == "closed" else "reopened"


def event_for(gh: GitHub, name: str, action: str, number: int) -> Callable[[], int]:
    payload = {"action": action, "issue": {"number": number, "labels": [{"name": "postmortem"}]}}
    return lambda: dispatch(gh, name, payload, now=NOW, config=default_config(), dry_run=False)


def test_closing_the_last_item_completes_the_postmortem(sandbox: Sandbox) -> None:
    number = seed(sandbox, with_items(rows(2)))
    run(sandbox, number)
    first, second = items(sandbox)
    close(sandbox, first.number)
    assert event_for(adapter(sandbox), "issues", "closed", first.number)() == 0
    assert "(1 of 2 done)" in summaries(sandbox, number)[0]
    assert "postmortem-complete" not in sandbox.state.issues[number].labels
    close(sandbox, second.number)
    event_for(adapter(sandbox), "issues", "closed", second.number)()
    assert "postmortem-complete" in sandbox.state.issues[number].labels
    close(sandbox, second.number, "open")
    event_for(adapter(sandbox), "issues", "reopened", second.number)()
    assert "postmortem-complete" not in sandbox.state.issues[number].labels


def test_edit_event_runs_intake_and_other_events_do_nothing(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    assert event_for(adapter(sandbox), "issues", "edited", number)() == 0
    assert len(items(sandbox)) == 7
    sandbox.counters.reset()
    payload = {"action": "labeled", "label": {"name": "bug"}, "issue": {"number": number}}
    dispatch(adapter(sandbox), "issues", payload, now=NOW, config=default_config(), dry_run=False)
    assert sandbox.counters.writes == 0


def test_after_the_pull_request_merges_intake_links_the_document_on_main(
    sandbox: Sandbox,
) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    git = sandbox.state.git
    branch = next(r for r in git.refs if r.startswith("refs/heads/postmortem/"))
    head = git.commits[git.refs[branch]]
    docs = {p: git.read(head, p) or b"" for p in head.files if p.startswith("docs/")}
    sandbox.seed_files(dict(docs.items()))  # what merging the pull request does to main
    (pull,) = [i for i in sandbox.state.issues.values() if i.pull]
    pull.state = "closed"
    result = run(sandbox, number)
    assert not result.failed
    assert "on `main`" in summaries(sandbox, number)[0]
    sandbox.counters.reset()
    run(sandbox, number)
    assert sandbox.counters.writes == 0


def _merge(sb: Sandbox, branch: str) -> None:
    """What merging the pull request from `branch` does to main (and to the pull)."""
    git = sb.state.git
    head = git.commits[git.refs[f"refs/heads/{branch}"]]
    sb.seed_files({p: git.read(head, p) or b"" for p in head.files if p.startswith("docs/")})
    for pull in (i for i in sb.state.issues.values() if i.pull):
        if pull.pull is not None and pull.pull.head == branch:
            pull.state = "closed"


def test_same_title_and_date_get_their_own_document_and_branch(sandbox: Sandbox) -> None:
    first = seed(sandbox, example())
    second = sandbox.seed_issue(
        title="Postmortem", body=example(), labels=["postmortem"], user="mrivera"
    ).number
    run(sandbox, first)
    run(sandbox, second)
    git = sandbox.state.git
    branches = sorted(r for r in git.refs if r.startswith("refs/heads/postmortem/"))
    stem = "postmortem/2026-11-03-checkout-failures-after-a-connection-pool-config"
    assert branches == [f"refs/heads/{stem}-issue-{first}", f"refs/heads/{stem}-issue-{second}"]
    pulls = sorted(i.pull.head for i in sandbox.state.issues.values() if i.pull)
    assert pulls == [b.removeprefix("refs/heads/") for b in branches]
    for number in (first, second):
        assert f"-issue-{number}.md` in pull request #" in summaries(sandbox, number)[0]
    _merge(sandbox, pulls[0])
    _merge(sandbox, pulls[1])  # its index was built before the first merged: a rerun fixes it
    run(sandbox, first)
    run(sandbox, second)
    for pull in (i for i in sandbox.state.issues.values() if i.pull and i.state == "open"):
        _merge(sandbox, pull.pull.head)
    main = git.commits[git.refs["refs/heads/main"]]
    index = json.loads(git.read(main, "docs/postmortems/index.json") or b"{}")
    assert sorted(d["issue"] for d in index["documents"]) == [first, second]
    for number in (first, second):
        doc = git.read(main, next(p for p in main.files if p.endswith(f"-issue-{number}.md")))
        assert f"issue: {number}\n" in (doc or b"").decode()


def test_a_document_published_before_paths_carried_the_issue_keeps_its_path(
    sandbox: Sandbox,
) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    git = sandbox.state.git
    (branch,) = [r for r in git.refs if r.startswith("refs/heads/postmortem/")]
    head = git.commits[git.refs[branch]]
    # As an older pmbot published it: the same document at the name without the issue.
    legacy = (
        "docs/postmortems/2026/2026-11-03-checkout-failures-after-a-connection-pool-config-push.md"
    )
    files = {p: git.read(head, p) or b"" for p in head.files if p.startswith("docs/")}
    doc = next(p for p in files if p.endswith(f"-issue-{number}.md"))
    files[legacy] = files.pop(doc)
    entries = entries_from_index(files["docs/postmortems/index.json"].decode())
    moved = [replace(e, path=legacy.removeprefix("docs/postmortems/")) for e in entries]
    readme, index = build_index(moved)
    files["docs/postmortems/README.md"], files["docs/postmortems/index.json"] = readme, index
    sandbox.state.issues = {n: i for n, i in sandbox.state.issues.items() if not i.pull}
    del git.refs[branch]
    sandbox.seed_files(files)
    sandbox.counters.reset()
    run(sandbox, number)
    # the summary now links the document on main, and so does each item's body (7 items)
    assert sandbox.counters.writes == 1 + 7
    assert not any(r.startswith("refs/heads/postmortem/") for r in git.refs)
    assert f"[`{legacy}`]" in summaries(sandbox, number)[0]
    assert all(f"/blob/main/{legacy})" in (i.body or "") for i in items(sandbox))


def test_a_template_in_the_repository_renders_the_document(sandbox: Sandbox) -> None:
    sandbox.seed_file(".github/postmortem.md.j2", "# {{ title }} ({{ severity }})\n")
    config = load_config(text="templates:\n  document: .github/postmortem.md.j2\n")
    number = seed(sandbox, example())
    run(sandbox, number, config=config)
    git = sandbox.state.git
    branch = next(r for r in git.refs if r.startswith("refs/heads/postmortem/"))
    head = git.commits[git.refs[branch]]
    (doc,) = [p for p in head.files if p.endswith("config-issue-1.md")]
    text = git.read(head, doc)
    shown, _, marker = text.decode().partition("\n\n<!-- pmbot:document ")
    assert shown == "# Checkout failures after a connection-pool config push (SEV-2)"
    assert marker  # the library's marker is appended whatever the template
