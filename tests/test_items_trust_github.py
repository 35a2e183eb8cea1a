"""Who can steer the sweep (issue 9 §5), over real HTTP against the sandbox.

The trust rule of `pmbot.flows.items`: pmbot's state is believed only in text pmbot wrote. A
hand-filed item (the Action item form) is followed only when its author's association is
allowed; its form answers come from the body with every marker in it ignored; its follow
state and history live in pmbot's own comments; owner commands work on it.

People act with their own tokens (`Sandbox(users=[LOGIN=TOKEN:ASSOCIATION])`). Submitting an
issue form is seeded (`seed_issue(user=...)`), since GitHub applies a form's labels even for
people who could not set them through the API; every later edit goes over HTTP as that person.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from github import Auth, Github

from pmbot.app.event import event
from pmbot.app.sweep import sweep
from pmbot.core import markers
from pmbot.github.client import GitHub
from pmbot.sandbox import Sandbox

OWNER_TOKEN = "sandbox-token"  # undeclared: acts as the repository owner, `acme`
ACTIONS_TOKEN = "actions-token"  # the workflow's GITHUB_TOKEN: writes as github-actions[bot]
TEAM = "acme/eng-leads"
FORGED_SNOOZE = '<!-- pmbot:follow {"snoozed_until":"2100-01-01"} -->'
NOW = datetime(2026, 3, 3, 6, tzinfo=UTC)
COMMENT_LIST = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"


def form(
    owner: str = "@octocat", priority: str = "P0", due: str = "2020-01-01", pm: str = "#1"
) -> str:
    """The Action item form as GitHub renders it into the issue body."""
    answers = [
        ("What", "Add a canary stage to the checkout deploy."),
        ("Owner", owner),
        ("Priority", priority),
        ("Due date", due),
        ("Type", "prevent"),
        ("Success criteria", "A bad deploy in staging is halted within 5 minutes."),
        ("Postmortem", pm),
        ("Contributing factor", "_No response_"),
    ]
    return "\n\n".join(f"### {label}\n\n{value}" for label, value in answers)


@dataclass
class Repo:
    sb: Sandbox
    tmp: Path
    token: str
    me: str  # who pmbot's writes are authored by with that token

    @property
    def env(self) -> dict[str, str]:
        return {
            "GITHUB_TOKEN": self.token,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": self.sb.base_url,
        }

    def file(self, login: str, body: str | None = None, **answers: str) -> int:
        """`login` submits the Action item form."""
        issue = self.sb.seed_issue(
            title="[Action item]: canary stage for checkout",
            body=body if body is not None else form(**answers),
            labels=["action-item"],
            user=login,
        )
        return issue.number

    def as_user(self, token: str) -> Any:
        github = Github(base_url=self.sb.base_url, auth=Auth.Token(token), retry=None)
        return github.get_repo(REPO)

    def sweep(self, now: datetime = NOW) -> tuple[int, int, int]:
        """(exit code, writes, reads) of one `pmbot sweep`."""
        self.sb.counters.reset()
        code = sweep(self.env, dry_run=False, now=now, config_path=None)
        return code, self.sb.counters.writes, int(self.sb.counters.by_method.get("GET", 0))

    def comment(self, number: int, text: str, login: str, now: datetime = NOW) -> int:
        """`login` comments; the issue_comment workflow runs `pmbot event`."""
        comment = self.sb.seed_comment(number, text, user=login)
        return self.deliver(number, comment.id, text, login, now)

    def deliver(self, number: int, cid: int, text: str, login: str, now: datetime = NOW) -> int:
        """GitHub delivers the issue_comment event (again, for a redelivery)."""
        payload = {
            "action": "created",
            "issue": {"number": number},
            "comment": {"id": cid, "body": text, "user": {"login": login}},
        }
        path = self.tmp / f"event-{cid}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        env = {**self.env, "GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": str(path)}
        return event(env, dry_run=False, now=now, config_path=None)

    def texts(self, number: int) -> list[str]:
        """What pmbot said on #number, oldest first."""
        found = sorted(self.sb.state.comments.values(), key=lambda c: c.id)
        return [c.body for c in found if c.issue == number and c.user == self.me]

    def steps(self, number: int) -> list[str]:
        notices = (markers.find(text, "reminder") for text in self.texts(number))
        return [n["step"] for n in notices if n is not None]


@pytest.fixture(params=["owner-token", "actions-token"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Repo]:
    with Sandbox(
        repo=REPO,
        users=["mallory=mallory-token:NONE", "dana=dana-token:MEMBER"],
        actions_token=ACTIONS_TOKEN,
    ) as sb:
        for login in ("octocat", "carol"):
            sb.seed_user(login, association="MEMBER", permission="write")
        sb.seed_file(".github/pmbot.yml", f"escalation:\n  leadership_team: {TEAM}\n")
        sb.seed_issue(title="Postmortem: checkout outage", body="…", labels=["postmortem"])
        if request.param == "owner-token":
            yield Repo(sb, tmp_path, OWNER_TOKEN, "acme")
        else:
            yield Repo(sb, tmp_path, ACTIONS_TOKEN, "github-actions[bot]")


# --- an outsider's item -----------------------------------------------------------------------


def test_an_outsiders_item_pings_nobody_and_gets_one_polite_note(repo: Repo) -> None:
    """Issue 9 §5: before, the first sweep pinged leadership and said the commander and
    authors "have been asked"; they never were."""
    number = repo.file("mallory")
    code, writes, _ = repo.sweep()
    assert code == 0
    [note] = repo.texts(number)
    assert note.startswith("Thank you for filing this, @mallory.")
    assert "owner, member, collaborator" in note and "will not remind anyone" in note
    assert f"@{TEAM}" not in note and "have been asked" not in note
    assert not repo.steps(number)
    assert "not-followed" in repo.sb.state.issues[number].labels
    assert writes == 2  # the note and the label that says it was given
    # once: neither a rerun nor a later day writes or reads anything more for it
    assert repo.sweep()[1] == 0
    assert repo.sweep(NOW + timedelta(days=30))[1] == 0
    assert len(repo.texts(number)) == 1


def test_a_note_given_by_a_run_that_stopped_before_labelling_is_not_repeated(
    repo: Repo,
) -> None:
    number = repo.file("mallory")
    repo.sb.faults.add("bad_gateway", "POST", rf"/issues/{number}/labels$", times=4)
    assert repo.sweep()[0] == 1  # the label failed; the note is out
    assert repo.sweep()[0] == 0
    assert len(repo.texts(number)) == 1  # found by reading the comments, not posted again
    assert "not-followed" in repo.sb.state.issues[number].labels


def test_an_outsiders_forged_state_and_commands_change_nothing(repo: Repo) -> None:
    number = repo.file("mallory")
    issue = repo.as_user("mallory-token").get_issue(number)
    issue.edit(body=f"{issue.body}\n\n{FORGED_SNOOZE}\n")  # an author may edit their issue
    repo.sweep()
    assert repo.comment(number, "/pmbot snooze 30d busy", "mallory") == 0
    assert repo.comment(number, "/pmbot due 2027-01-01 later", "octocat") == 0
    assert len(repo.texts(number)) == 1  # only the note: pmbot does not follow this item
    assert repo.sb.state.issues[number].state == "open"


def test_an_item_becomes_followed_when_its_author_is_given_a_role(repo: Repo) -> None:
    number = repo.file("mallory")
    repo.sweep()
    repo.sb.seed_user("mallory", association="COLLABORATOR", permission="write")
    repo.sweep()
    assert "not-followed" not in repo.sb.state.issues[number].labels
    assert repo.steps(number) == ["leadership"]


# --- a member's hand-filed item -----------------------------------------------------------------


def test_a_forged_follow_marker_in_a_hand_filed_body_is_ignored(repo: Repo) -> None:
    """Before, this marker in the body silenced the item forever."""
    number = repo.file("dana", due="2026-03-02", priority="P1")
    issue = repo.as_user("dana-token").get_issue(number)
    issue.edit(body=f"{issue.body}\n\n{FORGED_SNOOZE}\n")
    code, writes, _ = repo.sweep()
    assert code == 0
    assert repo.steps(number) == ["overdue"]
    [notice] = repo.texts(number)
    assert notice.startswith("@octocat, this P1 action item from postmortem #1")
    state = markers.find(notice, "follow")  # the notice carries the state: no body edit
    assert state is not None and state["step"] == "overdue"
    assert repo.sb.state.issues[number].body.endswith(f"{FORGED_SNOOZE}\n")  # left as written
    assert writes == 2  # the notice (with its state) and the `overdue` label
    assert repo.sweep()[1] == 0  # a rerun at the same `now` writes nothing


def test_a_hand_filed_items_state_is_only_read_from_pmbots_comments(repo: Repo) -> None:
    number = repo.file("dana", due="2026-03-02", priority="P1")
    repo.sb.seed_comment(number, f"me too\n{FORGED_SNOOZE}", user="dana")
    repo.sweep()
    assert repo.steps(number) == ["overdue"]


def test_owner_commands_work_on_a_followed_hand_filed_item(repo: Repo) -> None:
    number = repo.file("dana", due="2026-03-02", priority="P1")
    repo.sweep()
    assert repo.comment(number, "/pmbot snooze 7d on call this week", "octocat") == 0
    reply = repo.texts(number)[-1]
    assert reply.startswith("**Reminders snoozed** for 7 days, until 2026-03-10")
    assert repo.sweep(NOW + timedelta(days=6))[1] == 0  # snoozed: no repeat on day 7
    # re-delivered webhook: the audit comment's history says it was done
    comment_id = max(c.id for c in repo.sb.state.comments.values() if c.user == "octocat")
    audit = markers.find(reply, "audit")
    assert audit is not None and audit["cid"] == comment_id
    before = len(repo.texts(number))
    assert repo.deliver(number, comment_id, "/pmbot snooze 7d on call this week", "octocat") == 0
    assert len(repo.texts(number)) == before  # redelivered: the audit comment says it is done

    assert repo.comment(number, "/pmbot due 2026-04-15 waiting on the vendor", "octocat") == 0
    body = repo.sb.state.issues[number].body
    assert "### Due date\n\n2026-04-15\n" in body  # the form says the new date
    assert "2026-03-02" not in body
    assert "overdue" not in repo.sb.state.issues[number].labels
    assert repo.texts(number)[-1].startswith("**Due date moved** from 2026-03-02 to 2026-04-15")
    assert repo.sweep(NOW + timedelta(days=8))[1] == 0  # nothing due until 2026-04-12
    repo.sweep(datetime(2026, 4, 12, 6, tzinfo=UTC))
    assert repo.steps(number) == ["overdue", "due_soon"]  # the ladder started again

    assert repo.comment(number, "/pmbot wont-do superseded by the queue migration", "carol") == 0
    assert "only this item's owner" in repo.texts(number)[-1]  # carol is neither
    assert repo.comment(number, "/pmbot wont-do superseded by the queue", "octocat") == 0
    issue = repo.sb.state.issues[number]
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")


def test_the_sweep_reads_comments_only_of_hand_filed_items_it_may_act_on(repo: Repo) -> None:
    far = [repo.file("dana", due="2026-12-01", priority="P3") for _ in range(3)]
    for number in far:
        repo.sb.seed_comment(number, "a human comment", user="dana")
    repo.file("dana", due="2026-03-02", priority="P1")  # late: the ladder acts on it
    _, writes, _ = repo.sweep()
    assert writes == 2
    _, writes, _ = repo.sweep()
    assert writes == 0  # a rerun at the same `now` writes nothing …
    # … and reads the comments of the late item only (its notice holds its state); the far
    # items have comments too, but nothing to decide today
    assert repo.sb.counters.by_endpoint[COMMENT_LIST] == 1


def test_first_sweep_of_a_long_late_hand_filed_item_claims_nothing_untrue(repo: Repo) -> None:
    number = repo.file("dana")  # P0, due 2020-01-01: years late when first seen
    repo.sweep()
    [notice] = repo.texts(number)
    assert "have been asked" not in notice
    # the owner and the filer hear it on the item, not "before"; the team reads the digest
    assert notice.startswith("@octocat @dana, ") and f"@{TEAM}" not in notice
    assert "first time pmbot escalates it" in notice
    assert f"listed in the leadership digest for `{TEAM}`" in notice


def test_a_command_reads_a_hand_filed_items_comments_once(repo: Repo) -> None:
    number = repo.file("dana", due="2026-03-02", priority="P1")
    repo.sweep()  # the notice: now the item has a comment holding its state
    repo.sb.counters.reset()
    assert repo.comment(number, "/pmbot snooze 7d on call this week", "octocat") == 0
    assert repo.sb.counters.by_endpoint[COMMENT_LIST] == 1  # state and pending commands


def test_a_lost_command_is_caught_up_from_the_state_the_one_before_left(repo: Repo) -> None:
    """Actions cancelled the run of the snooze; the next command's run carries it out first,
    and plans the second from the state the snooze left (in its audit comment)."""
    number = repo.file("dana", due="2026-03-02", priority="P1")
    repo.sweep()
    repo.sb.seed_comment(number, "/pmbot snooze 7d on call this week", user="octocat")
    assert repo.comment(number, "/pmbot owner @carol handing over", "octocat") == 0
    snoozed, handed = repo.texts(number)[-2:]
    assert snoozed.startswith("**Reminders snoozed**") and handed.startswith("**Owner changed**")
    state = markers.find(handed, "follow")
    assert state is not None and state["snoozed_until"] == "2026-03-10T06:00:00Z"
    assert "### Owner\n\n@carol\n" in repo.sb.state.issues[number].body


def test_a_command_between_the_sweeps_read_and_its_notice_is_kept(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hand-filed item's state is its newest pmbot comment: a notice planned before a
    snooze and posted after it would bury the snooze. The sweep checks first (a conditional
    read, free when nothing changed) and plans the item again."""
    ticks = itertools.count()
    repo.sb.state.clock = lambda: NOW - timedelta(hours=1) + timedelta(seconds=next(ticks))
    number = repo.file("dana", due="2026-03-02", priority="P1")
    listed, commanded = GitHub.list_issues, []

    def list_then_command(gh: GitHub, *args: Any, **kw: Any) -> Any:
        found = listed(gh, *args, **kw)
        if not commanded and "action-item" in (kw.get("labels") or ()):
            commanded.append(repo.comment(number, "/pmbot snooze 7d on call", "octocat"))
        return found

    monkeypatch.setattr(GitHub, "list_issues", list_then_command)
    assert repo.sweep()[0] == 0 and commanded == [0]
    assert not repo.steps(number)  # no notice: the item is snoozed
    state = markers.find(repo.texts(number)[-1], "follow")
    assert state is not None and state["snoozed_until"] == "2026-03-10T06:00:00Z"
    monkeypatch.setattr(GitHub, "list_issues", listed)
    assert repo.sweep()[1] == 0
