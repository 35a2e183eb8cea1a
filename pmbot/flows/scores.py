"""Peer-review scores, decided: `/pmbot score N [comment]` on a postmortem's issue.

    /pmbot score 4 clear timeline; the actions are specific

A score is a whole or half point from 1 to 5 (`3`, `3.5`; `4/5` reads as 4), given against
the rubric in `scoring.rubric`. Who may score: anyone whose association with the repository
is in `allowed_associations` (as for the postmortem itself), except the postmortem's authors
— the issue's author and the people in its Authors field — since peer review asks someone
who did not write it. Each reviewer's latest score counts.

The scores live in one comment pmbot keeps on the postmortem (marker `scores`), created
with the first score and then edited in place: a table, the average, the rubric, and the
ledger in its marker, which records the newest score comment taken (`last`), so a
re-delivered or re-run event changes nothing. Every command is answered once with a
comment carrying a `reply` marker that names it, as owner commands are; a refused one
changes nothing else. The postmortem gets the `labels.scored` label with its first score, so the
report reads comments only of postmortems that have scores.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pmbot.core import markers
from pmbot.core.config import Config
from pmbot.core.timestamps import iso, parse_iso
from pmbot.flows.ladder import quoted
from pmbot.flows.owner_commands import REPLY, Invalid, Pending, sanitize
from pmbot.github.models import CommentSnapshot
from pmbot.plan import Action, AddLabels, CreateComment, EnsureLabels, Plan, UpsertComment

SCORES = "scores"  # marker kind of pmbot's scores comment on a postmortem
MAX_NOTE = 140
MAX_CATCH_UP = 20
EXAMPLE = "`/pmbot score 4 clear timeline; the actions are specific`"
USAGE = "`/pmbot score N [comment]`, N a whole or half point from 1 to 5"


@dataclass(frozen=True)
class Score:
    by: str
    score: float
    at: datetime
    cid: int
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"by": self.by, "score": self.score, "at": iso(self.at)}
        data.update({"cid": self.cid, **({"note": self.note} if self.note else {})})
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Score:
        return cls(str(data["by"]), float(data["score"]), parse_iso(data["at"]),
                   int(data["cid"]), data.get("note") or None)  # fmt: skip


@dataclass(frozen=True)
class Ledger:
    """The latest score of each reviewer, and the newest command comment handled."""

    scores: tuple[Score, ...] = ()
    last: int = 0

    @property
    def average(self) -> float | None:
        return round(statistics.mean(s.score for s in self.scores), 2) if self.scores else None

    def values(self) -> list[float]:
        return [s.score for s in self.scores]

    def with_score(self, score: Score) -> Ledger:
        others = [s for s in self.scores if s.by.lower() != score.by.lower()]
        return Ledger((*others, score), max(self.last, score.cid))

    def to_json(self) -> dict[str, Any]:
        return {"scores": [s.to_json() for s in self.scores], "last": self.last}


def read_ledger(comments: Sequence[CommentSnapshot], bot_login: str) -> Ledger:
    """The ledger in pmbot's own scores comment (a marker anyone else wrote is not believed);
    an empty one when there is none or it does not read."""
    for comment in comments:
        if comment.author != bot_login:
            continue
        data = markers.find(comment.body, SCORES)
        if isinstance(data, dict):
            try:
                scores = tuple(Score.from_json(s) for s in data.get("scores") or ())
                return Ledger(scores, int(data.get("last") or 0))
            except (KeyError, TypeError, ValueError):
                return Ledger()
    return Ledger()


# --- parsing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Given:
    """A well-formed score."""

    score: float
    note: str | None


def parse_score(comment: str) -> Given | Invalid | None:
    """The first `/pmbot` line of a comment on a postmortem; None when there is none."""
    line = next(
        (ln.strip() for ln in comment.splitlines() if ln.strip().startswith("/pmbot")), None
    )
    if line is None:
        return None
    words = line[:600].split(maxsplit=3)
    verb = words[1].lower() if len(words) > 1 else ""
    if verb != "score":
        shown = f"`/pmbot {sanitize(verb, 20)}` " if verb else "That "
        return Invalid(
            f"{shown}is not a command for a postmortem: here I understand {USAGE}. "
            "Due dates, snoozes, owners and `wont-do` go on the action item's own issue."
        )
    raw = words[2] if len(words) > 2 else ""
    note = sanitize(words[3], MAX_NOTE) if len(words) > 3 else None
    if not raw:
        return Invalid(f"`/pmbot score` needs a score from 1 to 5. For example: {EXAMPLE}.")
    match = re.fullmatch(r"(\d+(?:[.,]\d+)?)(?:/5)?", raw)
    if match is None:
        return Invalid(
            f"`{sanitize(raw, 20)}` is not a score: write a whole or half point from 1 to 5, "
            f"e.g. {EXAMPLE}."
        )
    value = float(match.group(1).replace(",", "."))
    if not 1 <= value <= 5:
        return Invalid(f"`{sanitize(raw, 20)}` is outside the scale: scores go from 1 to 5.")
    if value * 2 != int(value * 2):
        return Invalid(f"`{sanitize(raw, 20)}`: scores are whole or half points (3, 3.5, 4).")
    return Given(value, note or None)


# --- deciding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scoring:
    """The postmortem being scored and what decides who may score it."""

    pm: int
    authors: Collection[str]  # the author and the Authors field, as logins
    labels: Collection[str]  # the postmortem issue's labels now
    now: datetime


def pending_scores(
    comments: Sequence[CommentSnapshot],
    ledger: Ledger,
    bot_login: str,
    trigger: Pending | None = None,
) -> list[Pending]:
    """The `/pmbot` comments newer than the last one handled (in the ledger, or answered with
    a reply), oldest first, the one that started this run among them."""
    answered = {ledger.last, *(s.cid for s in ledger.scores)}
    for comment in comments:
        reply = markers.find(comment.body, REPLY) if comment.author == bot_login else None
        if isinstance(reply, dict) and isinstance(reply.get("cid"), int):
            answered.add(reply["cid"])
    last = max(answered)
    found = {
        c.id: Pending(c.id, c.author, c.body)
        for c in comments
        if c.id > last and c.body.lstrip().startswith("/pmbot") and not markers.has_any(c.body)
    }
    if trigger is not None and trigger.comment_id > last:
        found.setdefault(trigger.comment_id, trigger)
    return [found[cid] for cid in sorted(found)][-MAX_CATCH_UP:]


def plan_scores(
    pending: Sequence[tuple[Pending, str]],
    ledger: Ledger,
    scoring: Scoring,
    config: Config,
) -> tuple[Plan, Ledger]:
    """The writes for these commands (each with its author's association), and the ledger
    after them: the scores comment rewritten once, the label with the first score, and a
    short answer to each command — thanks, or what to write instead."""
    answers: list[Action] = []
    before = ledger
    for command, association in pending:
        outcome = _decide(command, association, scoring, config)
        if isinstance(outcome, Given):
            score = Score(
                command.author, outcome.score, scoring.now, command.comment_id, outcome.note
            )
            ledger = ledger.with_score(score)
            answers.append(_answer(scoring, command, _thanks(command.author, score, ledger)))
        else:  # the answer's `reply` marker records it as handled: the ledger stays
            answers.append(_answer(scoring, command, outcome.message))
    if not answers:
        return Plan(), before
    label = config.labels.scored
    first = bool(ledger.scores) and label.name not in scoring.labels
    # The label is made to exist first (its own group in the plan, as intake does it).
    actions: list[Action] = [EnsureLabels(0, specs=(label,))] if first else []
    if ledger.scores != before.scores or ledger.last != before.last:
        actions.append(UpsertComment(scoring.pm, SCORES, scores_body(ledger, config)))
    actions += [AddLabels(scoring.pm, (label.name,))] if first else []
    return Plan((*actions, *answers)), ledger


def _decide(
    command: Pending, association: str, scoring: Scoring, config: Config
) -> Given | Invalid:
    given = parse_score(command.text)
    who = command.author.lower()
    if association.upper() not in config.allowed_associations:
        return Invalid(
            f"Sorry {quoted(command.author)}, only the repository's "
            f"{_people(config.allowed_associations)} score postmortems here. Your review is "
            "still welcome as a comment."
        )
    if who in {a.lower().lstrip("@") for a in scoring.authors}:
        return Invalid(
            f"Thanks {quoted(command.author)}, but authors do not score their own postmortem: "
            "peer review asks someone who did not write it. Could you ask a colleague to "
            "read it against the rubric below?\n\n" + rubric_list(config)
        )
    if isinstance(given, Invalid):
        return Invalid(f"{given.message}\n\nThe rubric:\n\n{rubric_list(config)}")
    return given or Invalid(f"I understand {USAGE}.")


def _people(associations: Sequence[str]) -> str:
    """OWNER, MEMBER, COLLABORATOR → "owners, members and collaborators"."""
    names = [f"{a.lower().replace('_', ' ')}s" for a in associations]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def _answer(scoring: Scoring, command: Pending, text: str) -> CreateComment:
    marker = markers.encode(REPLY, {"cid": command.comment_id, "at": iso(scoring.now)})
    return CreateComment(scoring.pm, f"{text}\n\n{marker}")


def _thanks(author: str, score: Score, ledger: Ledger) -> str:
    count = len(ledger.scores)
    reviewers = "reviewer" if count == 1 else "reviewers"
    return (
        f"Thanks {quoted(author)}: your score of {score.score:g} is recorded. This postmortem "
        f"now averages **{ledger.average:g} of 5** from {count} {reviewers}."
    )


def rubric_list(config: Config) -> str:
    return "\n".join(
        f"{n}. {markers.defuse_markers(line)}" for n, line in enumerate(config.scoring.rubric, 1)
    )


def scores_body(ledger: Ledger, config: Config) -> str:
    """pmbot's scores comment: the average, each reviewer's latest score, the rubric."""
    count = len(ledger.scores)
    head = (
        f"### Peer review · {ledger.average:g} of 5 from {count} "
        f"{'reviewer' if count == 1 else 'reviewers'}"
        if ledger.scores
        else "### Peer review · no scores yet"
    )
    lines = [head, ""]
    if ledger.scores:
        lines += ["| Reviewer | Score | Comment |", "|---|---|---|"]
        for s in sorted(ledger.scores, key=lambda s: s.cid):
            note = (s.note or "—").replace("|", "/")
            lines.append(f"| {quoted(s.by)} | {s.score:g} | {note} |")
        lines.append("")
    lines += [
        f"Score this postmortem with {USAGE} (each reviewer's latest score counts; its "
        "authors do not score their own), against this rubric:",
        "",
        rubric_list(config),
        "",
        markers.encode(SCORES, ledger.to_json()),
    ]
    return "\n".join(lines) + "\n"
