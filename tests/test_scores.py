"""`/pmbot score N [comment]`, decided: parsing, who may score, the ledger, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pmbot.core import markers
from pmbot.core.config import default_config
from pmbot.flows.owner_commands import Invalid, Pending, parse_command
from pmbot.flows.scores import (
    Given,
    Ledger,
    Score,
    Scoring,
    parse_score,
    pending_scores,
    plan_scores,
    read_ledger,
    scores_body,
)
from pmbot.github.models import CommentSnapshot
from pmbot.plan import AddLabels, CreateComment, EnsureLabels, UpsertComment

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
CONFIG = default_config()
SCORING = Scoring(pm=12, authors=("mrivera", "@jchen"), labels=("postmortem",), now=NOW)


@pytest.mark.parametrize(
    ("text", "score", "note"),
    [
        ("/pmbot score 4", 4.0, None),
        ("/pmbot score 3.5 clear timeline", 3.5, "clear timeline"),
        ("/pmbot SCORE 4/5 good, but @jchen's items lack dates", 4.0,
         "good, but `@jchen`'s items lack dates"),  # no ping survives
        ("Read it twice.\n/pmbot score 2,5 thin analysis", 2.5, "thin analysis"),
        ("/pmbot score 1", 1.0, None),
        ("/pmbot score 5 <!-- pmbot:scores {} -->", 5.0, "&lt;!-- pmbot:scores {} -->"),
    ],
)  # fmt: skip
def test_a_score_reads_as_a_number_and_a_safe_note(text: str, score: float, note: str) -> None:
    assert parse_score(text) == Given(score, note)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("/pmbot score", "needs a score from 1 to 5. For example: `/pmbot score 4"),
        ("/pmbot score 7", "`7` is outside the scale: scores go from 1 to 5."),
        ("/pmbot score 0", "`0` is outside the scale"),
        ("/pmbot score x", "`x` is not a score: write a whole or half point from 1 to 5"),
        ("/pmbot score 3.7", "`3.7`: scores are whole or half points (3, 3.5, 4)."),
        ("/pmbot score -1", "`-1` is not a score"),
        ("/pmbot due 2027-01-01 later", "`/pmbot due` is not a command for a postmortem"),
    ],
)
def test_bad_input_says_what_to_write_instead(text: str, words: str) -> None:
    found = parse_score(text)
    assert isinstance(found, Invalid) and words in found.message


def test_on_an_action_item_a_score_points_to_the_postmortem() -> None:
    found = parse_command("/pmbot score 4")
    assert isinstance(found, Invalid) and "the postmortem's own issue" in found.message


def comment(cid: int, body: str, author: str = "dkim") -> CommentSnapshot:
    return CommentSnapshot(id=cid, body=body, author=author, author_association="MEMBER",
                           created_at=NOW, updated_at=NOW, html_url=f"https://x/{cid}")  # fmt: skip


def plan(*commands: tuple[int, str, str, str], ledger: Ledger | None = None):  # type: ignore[no-untyped-def]
    pending = [(Pending(cid, who, text), assoc) for cid, who, text, assoc in commands]
    return plan_scores(pending, ledger or Ledger(), SCORING, CONFIG)


def test_a_first_score_writes_the_scores_comment_the_label_and_thanks() -> None:
    found, ledger = plan((101, "dkim", "/pmbot score 4 clear timeline", "MEMBER"))
    ensure, upsert, label, thanks = found.actions
    assert isinstance(upsert, UpsertComment) and upsert.issue == 12
    assert isinstance(ensure, EnsureLabels) and ensure.specs == (CONFIG.labels.scored,)
    assert isinstance(label, AddLabels) and label.names == ("peer-reviewed",)
    assert isinstance(thanks, CreateComment)
    assert thanks.body.startswith("Thanks `@dkim`: your score of 4 is recorded.")
    assert "averages **4 of 5** from 1 reviewer." in thanks.body
    assert markers.find(thanks.body, "reply") == {"cid": 101, "at": "2026-11-20T09:00:00Z"}
    assert ledger == Ledger((Score("dkim", 4.0, NOW, 101, "clear timeline"),), 101)
    assert upsert.body.startswith("### Peer review · 4 of 5 from 1 reviewer\n")
    assert "| `@dkim` | 4 | clear timeline |" in upsert.body
    assert "1. Timeline: complete, in UTC" in upsert.body  # the rubric, numbered
    assert markers.find(upsert.body, "scores") == ledger.to_json()


def test_each_reviewers_latest_score_counts() -> None:
    first = Ledger((Score("dkim", 4.0, NOW, 101), Score("spatel", 2.0, NOW, 102)), 102)
    labelled = Scoring(12, ("mrivera",), ("postmortem", "peer-reviewed"), NOW)
    found, ledger = plan_scores(
        [(Pending(105, "DKim", "/pmbot score 5 re-read it"), "MEMBER")], first, labelled, CONFIG
    )
    assert [(s.by, s.score) for s in ledger.scores] == [("spatel", 2.0), ("DKim", 5.0)]
    assert ledger.average == 3.5 and ledger.last == 105
    assert [type(a) for a in found.actions] == [UpsertComment, CreateComment]  # label is there


def test_authors_outsiders_and_bad_input_are_answered_and_nothing_is_scored() -> None:
    found, ledger = plan(
        (101, "JChen", "/pmbot score 5", "MEMBER"),  # an author (the Authors field)
        (102, "mrivera", "/pmbot score 5", "OWNER"),  # an author (filed the issue)
        (103, "stranger", "/pmbot score 5", "NONE"),  # no allowed association
        (104, "dkim", "/pmbot score 9", "MEMBER"),
    )
    assert ledger == Ledger()  # the answers' reply markers record them as handled
    replies = found.actions
    assert all(isinstance(r, CreateComment) for r in replies)
    texts = [r.body for r in replies if isinstance(r, CreateComment)]
    assert len(texts) == 4
    assert texts[0].startswith("Thanks `@JChen`, but authors do not score their own postmortem")
    assert "1. Timeline" in texts[0]  # the rubric, to pass on
    assert "authors do not score" in texts[1]
    assert texts[2].startswith("Sorry `@stranger`, only the repository's owners, members")
    assert "`9` is outside the scale" in texts[3] and "The rubric:" in texts[3]
    assert [markers.find(t, "reply")["cid"] for t in texts] == [101, 102, 103, 104]  # type: ignore[index]


def test_commands_already_handled_are_not_pending_and_a_rerun_plans_nothing() -> None:
    ledger = Ledger((Score("dkim", 4.0, NOW, 101),), 103)
    comments = [
        comment(101, "/pmbot score 4"),
        comment(102, "a thought, not a command"),
        comment(103, "/pmbot score 9"),  # answered with a reply, recorded as `last`
        comment(104, "/pmbot score 3 fine", "spatel"),
        comment(105, "/pmbot score 1 <!-- pmbot:reply {} -->", "spatel"),  # not a command
        comment(90, scores_body(ledger, CONFIG), "github-actions[bot]"),
    ]
    (pending,) = pending_scores(comments, ledger, "github-actions[bot]")
    assert pending == Pending(104, "spatel", "/pmbot score 3 fine")
    assert read_ledger(comments, "github-actions[bot]") == ledger
    assert read_ledger(comments, "someone-else") == Ledger()  # only pmbot's comment counts
    assert not plan_scores([], ledger, SCORING, CONFIG)[0]
    replied = [*comments[:-1], comment(91, 'ok <!-- pmbot:reply {"cid": 104} -->', "bot")]
    assert pending_scores(replied, ledger, "bot") == []


def test_the_trigger_counts_though_the_list_does_not_show_it_yet() -> None:
    trigger = Pending(200, "dkim", "/pmbot score 4")
    assert pending_scores([], Ledger(), "bot", trigger) == [trigger]
    assert pending_scores([], Ledger((), 200), "bot", trigger) == []
