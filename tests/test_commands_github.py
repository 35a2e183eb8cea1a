"""The GitHub glue for the follow-through commands: owner commands by event, sweep, report."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.intake import NOW, adapter, env, example, items, run, seed, summaries

from pmbot.app.event import dispatch, event
from pmbot.app.report import report
from pmbot.app.sweep import sweep
from pmbot.core import markers
from pmbot.core.config import default_config, load_config
from pmbot.errors import PmbotError
from pmbot.sandbox import Sandbox


def comment_event(sb: Sandbox, number: int, text: str, login: str) -> dict[str, Any]:
    comment = sb.seed_comment(number, text, user=login)
    return {
        "action": "created",
        "issue": {"number": number},
        "comment": {"id": comment.id, "body": text, "user": {"login": login}},
    }


def test_a_command_whose_run_an_intake_run_replaced_is_carried_out_by_it(
    sandbox: Sandbox,
) -> None:
    """Intake, item and command runs of one postmortem share a concurrency group, where
    Actions keeps one pending run: an edit of the postmortem can replace a command's run."""
    number = seed(sandbox, example())
    run(sandbox, number)
    item = items(sandbox)[0]  # owned by jchen
    lost = sandbox.seed_comment(item.number, "/pmbot due 2027-01-31 vendor fix late", user="jchen")
    payload = {"action": "edited", "issue": {"number": number, "labels": [{"name": "postmortem"}]}}
    code = dispatch(
        adapter(sandbox), "issues", payload, now=NOW, config=default_config(), dry_run=False
    )
    assert code == 0
    info = markers.find(sandbox.state.issues[item.number].body, "item")
    assert info is not None and info["due"] == "2027-01-31"
    assert [(c["cmd"], c["cid"]) for c in info["history"]] == [("due", lost.id)]
    sandbox.counters.reset()  # carried out once: the next run has nothing to catch up
    dispatch(adapter(sandbox), "issues", payload, now=NOW, config=default_config(), dry_run=False)
    assert sandbox.counters.writes == 0


def test_owner_command_moves_the_due_date_and_intake_keeps_it(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    item = items(sandbox)[0]  # owned by jchen
    payload = comment_event(sandbox, item.number, "/pmbot due 2027-01-31 vendor fix late", "jchen")
    config = default_config()
    code = dispatch(
        adapter(sandbox), "issue_comment", payload, now=NOW, config=config, dry_run=False
    )
    assert code == 0
    info = markers.find(sandbox.state.issues[item.number].body, "item")
    assert info is not None and info["due"] == "2027-01-31"
    assert "2027\u201101\u201131" in summaries(sandbox, number)[0]  # non-breaking hyphens
    sandbox.counters.reset()
    run(sandbox, number)  # the form did not change: the command's date stays
    assert sandbox.counters.writes == 0
    info = markers.find(sandbox.state.issues[item.number].body, "item")
    assert info is not None and info["due"] == "2027-01-31"
    again = dispatch(
        adapter(sandbox), "issue_comment", payload, now=NOW, config=config, dry_run=False
    )
    assert again == 0 and sandbox.counters.writes == 0  # a redelivered webhook changes nothing


def test_command_from_someone_else_is_explained_not_applied(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    item = items(sandbox)[0]
    payload = comment_event(sandbox, item.number, "/pmbot wont-do meh", "outsider")
    dispatch(
        adapter(sandbox), "issue_comment", payload, now=NOW, config=default_config(), dry_run=False
    )
    assert sandbox.state.issues[item.number].state == "open"


def test_event_reads_the_event_file(sandbox: Sandbox, tmp_path: Path) -> None:
    number = seed(sandbox, example())
    path = tmp_path / "event.json"
    path.write_text(
        json.dumps({"action": "opened", "issue": {"number": number, "labels": ["postmortem"]}}),
        encoding="utf-8",
    )
    environ = env(sandbox, tmp_path, GITHUB_EVENT_NAME="issues", GITHUB_EVENT_PATH=str(path))
    assert event(environ, dry_run=False, now=NOW, config_path=None) == 0
    assert len(items(sandbox)) == 7
    with pytest.raises(PmbotError, match="GITHUB_EVENT_NAME"):
        event(env(sandbox, tmp_path), dry_run=False, now=NOW, config_path=None)


def test_sweep_over_intake_items_then_rerun_writes_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    later = NOW + timedelta(days=20)  # the P0 item (due 2026-11-24) is overdue
    assert sweep(env(sandbox, tmp_path), dry_run=False, now=later, config_path=None) == 0
    p0 = next(i for i in items(sandbox) if i.title.startswith("[P0]"))
    assert "overdue" in p0.labels
    pm_notes = [c.body for c in sandbox.state.comments.values() if c.issue == number]
    assert any("postmortem document for this incident was due" in n for n in pm_notes)
    sandbox.counters.reset()
    sweep(env(sandbox, tmp_path), dry_run=False, now=later, config_path=None)
    assert sandbox.counters.writes == 0


def test_report_prints_and_posts_one_issue(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    assert report(env(sandbox, tmp_path), fmt="json", now=NOW, post=True, config_path=None) == 0
    assert json.loads(capsys.readouterr().out)
    report(env(sandbox, tmp_path), fmt="md", now=NOW, post=True, config_path=None)
    posted = [i for i in sandbox.state.issues.values() if "pmbot-report" in i.labels]
    assert len(posted) == 1


def test_report_post_dry_run_prints_the_plan_and_writes_nothing(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    capsys.readouterr()
    sandbox.counters.reset()
    code = report(
        env(sandbox, tmp_path), fmt="json", now=NOW, post=True, config_path=None, dry_run=True
    )
    out, err = capsys.readouterr()
    assert code == 0 and sandbox.counters.writes == 0
    assert json.loads(out)  # stdout stays the report alone
    assert "create issue: pmbot report" in err
    report(env(sandbox, tmp_path), fmt="md", now=NOW, post=True, config_path=None)
    later = NOW + timedelta(days=20)
    report(env(sandbox, tmp_path), fmt="md", now=later, post=True, config_path=None, dry_run=True)
    assert "edit body of #" in capsys.readouterr().err
    sandbox.counters.reset()
    report(env(sandbox, tmp_path), fmt="md", now=later, post=True, config_path=None)
    assert sandbox.counters.writes == 1  # the one report issue, edited in place
    assert len([i for i in sandbox.state.issues.values() if "pmbot-report" in i.labels]) == 1


@pytest.mark.parametrize("text", ["/pmbot wont-do meh", "/pmbot frobnicate"])
def test_a_refused_command_only_replies_and_skips_intake(sandbox: Sandbox, text: str) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    item = items(sandbox)[0]
    author = "outsider" if "wont-do" in text else "jchen"  # a denial, then a usage reply
    payload = comment_event(sandbox, item.number, text, author)
    pm_before = sandbox.state.issues[number].body
    sandbox.counters.reset()
    code = dispatch(
        adapter(sandbox), "issue_comment", payload, now=NOW, config=default_config(), dry_run=False
    )
    assert code == 0
    assert sandbox.counters.writes == 1  # the reply, nothing else
    # the item, the login, its comments (commands a cancelled run left), the permission
    assert dict(sandbox.counters.by_method) == {"GET": 4, "POST": 1}
    assert sandbox.state.issues[number].body == pm_before
    assert sandbox.state.issues[item.number].state == "open"


def test_owner_command_for_someone_github_cannot_assign_changes_nothing(
    sandbox: Sandbox,
) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    sandbox.seed_user("guest", association="NONE", permission="read", assignable=False)
    item = items(sandbox)[0]  # owned by jchen
    body_before = sandbox.state.issues[item.number].body
    payload = comment_event(sandbox, item.number, "/pmbot owner @guest over to you", "jchen")
    sandbox.counters.reset()
    code = dispatch(
        adapter(sandbox), "issue_comment", payload, now=NOW, config=default_config(), dry_run=False
    )
    assert code == 0
    after = sandbox.state.issues[item.number]
    assert after.body == body_before and after.assignees == ["jchen"]
    assert sandbox.counters.writes == 1
    reply = max(sandbox.state.comments.values(), key=lambda c: c.id).body
    assert "I did not change the owner" in reply and "`@guest`" in reply
    assert "Owner changed" not in reply


def ttp(capsys: pytest.CaptureFixture[str]) -> tuple[int, int, Any]:
    got = json.loads(capsys.readouterr().out)["time_to_postmortem"]
    return got["on_time"], got["late"], got["median_days"]


def test_report_counts_a_document_merged_by_its_due_date_as_on_time(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = seed(sandbox, example())  # SEV-2 resolved Tue 2026-11-03: due 2026-11-10
    run(sandbox, number)
    later = NOW + timedelta(days=30)
    report(env(sandbox, tmp_path), fmt="json", now=later, post=False, config_path=None)
    assert ttp(capsys) == (0, 1, None)  # the pull request is still open: late
    sandbox.state.clock = lambda: NOW  # merged on the due day
    gh = adapter(sandbox)
    (pull,) = [i for i in sandbox.state.issues.values() if i.pull]
    gh.http.call("PUT", f"{gh.repo}/pulls/{pull.number}/merge", body={})
    sandbox.counters.reset()
    report(env(sandbox, tmp_path), fmt="json", now=later, post=False, config_path=None)
    assert ttp(capsys) == (1, 0, 7)
    pulls = {k: n for k, n in sandbox.counters.by_endpoint.items() if k.endswith("/pulls")}
    assert pulls == {"GET /repos/{owner}/{repo}/pulls": 1}  # one list page, not one per doc


def test_report_dates_committed_documents_by_pmbots_first_commit(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "pmbot.yml"
    config_file.write_text("publish: commit\n", encoding="utf-8")
    sandbox.state.clock = lambda: NOW - timedelta(days=2)  # committed on 2026-11-08
    number = seed(sandbox, example())
    run(sandbox, number, config=load_config(config_file))
    later = NOW + timedelta(days=30)
    report(env(sandbox, tmp_path), fmt="json", now=later, post=False, config_path=config_file)
    assert ttp(capsys) == (1, 0, 5)
