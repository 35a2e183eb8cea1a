"""`/pmbot score` over real HTTP: the event on a postmortem issue, the scores comment and its
label, answers once, and the report's quality score read from what pmbot recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.intake import NOW, adapter, env, example, run, seed

from pmbot.app.event import dispatch
from pmbot.app.report import report
from pmbot.core import markers
from pmbot.core.config import default_config
from pmbot.sandbox import Sandbox

COMMENTS = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"


def score(sb: Sandbox, number: int, text: str, login: str) -> int:
    """A comment on the postmortem and the event GitHub sends for it, dispatched."""
    made = sb.seed_comment(number, text, user=login)
    payload: dict[str, Any] = {
        "action": "created",
        "issue": {"number": number, "labels": [{"name": "postmortem"}]},
        "comment": {"id": made.id, "body": text, "user": {"login": login},
                    "author_association": sb.state.association(login)},
    }  # fmt: skip
    return dispatch(
        adapter(sb), "issue_comment", payload, now=NOW, config=default_config(), dry_run=False
    )


def pmbot_comments(sb: Sandbox, number: int, kind: str) -> list[str]:
    return [
        c.body
        for c in sorted(sb.state.comments.values(), key=lambda c: c.id)
        if c.issue == number and markers.has(c.body, kind) and c.user != "dkim"
    ]


@pytest.fixture
def postmortem(sandbox: Sandbox) -> int:
    number = seed(sandbox, example())  # filed by mrivera; Authors: mrivera, jchen
    sandbox.seed_user("spatel", association="MEMBER")
    run(sandbox, number)
    return number


def test_a_reviewer_scores_once_and_a_redelivered_event_changes_nothing(
    sandbox: Sandbox, postmortem: int
) -> None:
    sandbox.counters.reset()
    assert score(sandbox, postmortem, "/pmbot score 4 clear timeline", "dkim") == 0
    (ledger,) = pmbot_comments(sandbox, postmortem, "scores")
    assert ledger.startswith("### Peer review · 4 of 5 from 1 reviewer")
    data = markers.find(ledger, "scores")
    assert data is not None and [(s["by"], s["score"]) for s in data["scores"]] == [("dkim", 4.0)]
    assert "peer-reviewed" in sandbox.state.issues[postmortem].labels
    (thanks,) = pmbot_comments(sandbox, postmortem, "reply")
    assert thanks.startswith("Thanks `@dkim`: your score of 4 is recorded.")
    # the label (created first), the scores comment, the label added, the answer
    assert sandbox.counters.by_endpoint["POST /repos/{owner}/{repo}/labels"] == 1
    assert sandbox.counters.writes == 4
    sandbox.counters.reset()
    # the same comment's event, delivered again:
    comment_id = max(c.id for c in sandbox.state.comments.values() if c.user == "dkim")
    again: dict[str, Any] = {
        "action": "created",
        "issue": {"number": postmortem, "labels": [{"name": "postmortem"}]},
        "comment": {"id": comment_id, "body": "/pmbot score 4 clear timeline",
                    "user": {"login": "dkim"}, "author_association": "MEMBER"},
    }  # fmt: skip
    code = dispatch(
        adapter(sandbox), "issue_comment", again, now=NOW, config=default_config(), dry_run=False
    )
    assert code == 0 and sandbox.counters.writes == 0


def test_a_second_reviewer_and_a_changed_mind_edit_the_one_scores_comment(
    sandbox: Sandbox, postmortem: int
) -> None:
    score(sandbox, postmortem, "/pmbot score 4", "dkim")
    score(sandbox, postmortem, "/pmbot score 2 thin analysis", "spatel")
    sandbox.counters.reset()
    score(sandbox, postmortem, "/pmbot score 3", "spatel")
    (ledger,) = pmbot_comments(sandbox, postmortem, "scores")
    assert ledger.startswith("### Peer review · 3.5 of 5 from 2 reviewers")
    assert "| `@spatel` | 3 | — |" in ledger and "thin analysis" not in ledger
    assert sandbox.counters.writes == 2  # the comment edited in place, one answer


def test_bad_input_and_an_authors_own_score_are_answered_not_recorded(
    sandbox: Sandbox, postmortem: int
) -> None:
    score(sandbox, postmortem, "/pmbot score 7", "dkim")
    score(sandbox, postmortem, "/pmbot score 5", "jchen")  # an author
    score(sandbox, postmortem, "/pmbot score 5", "outsider")  # association NONE
    replies = pmbot_comments(sandbox, postmortem, "reply")
    assert len(replies) == 3
    assert "`7` is outside the scale: scores go from 1 to 5." in replies[0]
    assert "1. Timeline: complete" in replies[0]  # the rubric comes with the fix
    assert "authors do not score their own postmortem" in replies[1]
    assert replies[2].startswith("Sorry `@outsider`")
    assert pmbot_comments(sandbox, postmortem, "scores") == []  # nothing scored, nothing kept
    assert "peer-reviewed" not in sandbox.state.issues[postmortem].labels
    sandbox.counters.reset()  # each answered once: the next command's run answers only it
    score(sandbox, postmortem, "/pmbot score 4", "dkim")
    assert len(pmbot_comments(sandbox, postmortem, "reply")) == 4
    assert sandbox.counters.writes == 4  # label created, scores comment, label added, thanks


def test_the_report_averages_the_scores_reading_only_scored_postmortems(
    sandbox: Sandbox, postmortem: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = seed(sandbox, example().replace("Checkout failures", "Cart failures", 1))
    run(sandbox, other)
    score(sandbox, postmortem, "/pmbot score 4", "dkim")
    score(sandbox, postmortem, "/pmbot score 2.5", "spatel")
    capsys.readouterr()
    sandbox.counters.reset()
    assert report(env(sandbox, tmp_path), fmt="json", now=NOW, post=False, config_path=None) == 0
    data = json.loads(capsys.readouterr().out)
    quality = next(t for t in data["targets"] if t["id"] == "quality_score")
    assert quality["measured"] == 3.25 and quality["meets"] is False  # (4 + 2.5) / 2 < 3.5
    assert data["target_series"]["quality_scores"] == {
        str(postmortem): {"reviewers": 2, "average": 3.25}
    }
    # One comment read, for the one scored postmortem; the other is not read.
    assert sandbox.counters.by_endpoint[COMMENTS] == 1


def test_a_score_whose_run_an_edit_replaced_is_taken_by_the_intake_run(
    sandbox: Sandbox, postmortem: int
) -> None:
    """Intake and command runs of one postmortem share a concurrency group, where Actions
    keeps one pending run: an edit of the postmortem can replace a score's run."""
    sandbox.seed_comment(postmortem, "/pmbot score 4.5", user="dkim")  # its run never came
    edited = {"action": "edited", "issue": {"number": postmortem, "labels": ["postmortem"]}}
    config = default_config()
    assert dispatch(adapter(sandbox), "issues", edited, now=NOW, config=config, dry_run=False) == 0
    (ledger,) = pmbot_comments(sandbox, postmortem, "scores")
    assert ledger.startswith("### Peer review · 4.5 of 5 from 1 reviewer")
    sandbox.counters.reset()
    assert dispatch(adapter(sandbox), "issues", edited, now=NOW, config=config, dry_run=False) == 0
    assert sandbox.counters.writes == 0  # taken once
