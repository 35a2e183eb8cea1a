"""The daily sweep and the owner commands against the sandbox, over real HTTP.

Every test drives the real entry points (`pmbot.app.sweep.sweep` and `pmbot.app.event.event`)
with the environment GitHub Actions sets. Action items are seeded with the very markers
intake writes (`tracking.with_markers` / `item_marker`), then the clock (`now`) moves and the
sandbox shows what pmbot wrote: comments, labels, markers, and the request counters.

The ladder (DESIGN.md): due soon → owner reminded; due date → overdue notice and `overdue`
label; +7 days → incident commander and authors; +21 days → the leadership team; each rung
once, repeats at the priority's cadence; unowned items → the commander at once.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import PLACEHOLDER_TOKEN, REPO

from pmbot.app.event import event
from pmbot.app.forms import postmortem_form
from pmbot.app.sweep import sweep
from pmbot.core import markers
from pmbot.core.config import default_config
from pmbot.core.model import Priority
from pmbot.core.reading import read_postmortem
from pmbot.flows.tracking import FollowState, ItemInfo, Step, item_marker, with_markers
from pmbot.github.client import GitHub
from pmbot.github.transport import Transport
from pmbot.render.document import document_path
from pmbot.sandbox import Sandbox

ME = "acme"  # any sandbox token acts as the repository owner: pmbot's own login
OWNER, COMMANDER, AUTHOR, MAINTAINER, OUTSIDER = "alice", "carol", "dave", "mia", "zed"
TEAM = "acme/eng-leads"
DUE = date(2026, 3, 2)  # a Monday; P1 reminders come 3 days ahead and repeat every 7 days
CONFIG = f"escalation:\n  leadership_team: {TEAM}\n"
CONFIG_PATH = ".github/pmbot.yml"
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
READ_CONSTANT = 8  # reads a sweep makes whatever the number of items (see the reads test)


def at(day: date, hour: int = 6) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def day(offset: int) -> datetime:
    """`offset` days after the due date, at 06:00 UTC (when the scheduled sweep runs)."""
    return at(DUE + timedelta(days=offset))


# --- the repository -----------------------------------------------------------------------


@dataclass
class Repo:
    """The sandbox repository one scenario runs in, with the people of one postmortem."""

    sb: Sandbox
    tmp: Path
    pm: int = 0

    @property
    def env(self) -> dict[str, str]:
        return {
            "GITHUB_TOKEN": PLACEHOLDER_TOKEN,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": self.sb.base_url,
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md"),
        }

    def configure(self, text: str) -> None:
        """`.github/pmbot.yml` on the default branch, where the sweep reads it."""
        self.sb.seed_file(CONFIG_PATH, text)

    def item(
        self,
        key: str = "AI-1",
        *,
        priority: str = "P1",
        due: date = DUE,
        owner: str | None = OWNER,
        follow: FollowState | None = None,
        labels: tuple[str, ...] = (),
        state: str = "open",
        body: str | None = None,
    ) -> int:
        """An action-item issue exactly as intake files it: visible text plus the markers."""
        info = ItemInfo(
            pm=self.pm,
            key=key,
            priority=Priority(priority),
            due=due,
            opened=due - timedelta(days=28),
            owner=owner,
            commander=COMMANDER,
            authors=(COMMANDER, AUTHOR),
            type="prevent",
        )
        text = f"Action item **{key}** from the postmortem #{self.pm}.\n\n**What:** fix {key}\n"
        config = default_config()
        names = (
            config.labels.action_item.name,
            config.priority_label(Priority(priority)).name,
            *labels,
        )
        issue = self.sb.seed_issue(
            title=f"[{key}] fix {key}",
            body=body if body is not None else with_markers(text, info, follow),
            labels=names,
            assignees=[owner] if owner else [],
            state=state,
        )
        return issue.number

    def sweep(self, now: datetime, *, dry_run: bool = False) -> int:
        return sweep(self.env, dry_run=dry_run, now=now, config_path=None)

    def comment(self, number: int, text: str, login: str, now: datetime) -> int:
        """`login` comments `text` on #number; the issue_comment workflow runs `pmbot event`."""
        comment = self.sb.seed_comment(number, text, user=login)
        payload = {
            "action": "created",
            "issue": {"number": number},
            "comment": {"id": comment.id, "body": text, "user": {"login": login}},
            "sender": {"login": login},
        }
        path = self.tmp / f"event-{comment.id}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        env = {**self.env, "GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": str(path)}
        return event(env, dry_run=False, now=now, config_path=None)

    # what the sandbox now holds

    def notices(self, number: int) -> list[dict[str, Any]]:
        """pmbot's reminder markers on #number, oldest first ({"item", "step", "at"})."""
        found = []
        for c in sorted(self.sb.state.comments.values(), key=lambda c: c.id):
            payload = markers.find(c.body, "reminder")
            if c.issue == number and c.user == ME and payload is not None:
                found.append(payload)
        return found

    def texts(self, number: int) -> list[str]:
        cs = sorted(self.sb.state.comments.values(), key=lambda c: c.id)
        return [c.body for c in cs if c.issue == number and c.user == ME]

    def steps(self, number: int) -> list[str]:
        return [n["step"] for n in self.notices(number)]

    def labels(self, number: int) -> set[str]:
        return set(self.sb.state.issues[number].labels)

    def follow(self, number: int) -> dict[str, Any]:
        """The item's follow state: the body's, or the newer one (higher `seq`) that pmbot's
        newest notice comment carries."""
        states = [markers.find(self.sb.state.issues[number].body, "follow") or {}]
        for c in sorted(self.sb.state.comments.values(), key=lambda c: c.id):
            if c.issue == number and c.user == ME and markers.has(c.body, "follow"):
                states.append(markers.find(c.body, "follow") or {})
        return max(states, key=lambda s: int(s.get("seq", 0)))  # a tie: the body's

    def marker(self, number: int, kind: str) -> dict[str, Any]:
        found = markers.find(self.sb.state.issues[number].body, kind)
        assert found is not None, f"#{number} has no {kind} marker"
        return found

    @property
    def writes(self) -> int:
        return self.sb.counters.writes

    @property
    def reads(self) -> int:
        return int(self.sb.counters.by_method.get("GET", 0))


def make_repo(sb: Sandbox, tmp: Path, config: str | None = CONFIG) -> Repo:
    for login, permission in (
        (OWNER, "write"),
        (COMMANDER, "write"),
        (AUTHOR, "write"),
        (MAINTAINER, "maintain"),
    ):
        sb.seed_user(login, association="MEMBER", permission=permission)
    sb.seed_user(OUTSIDER, association="NONE", permission="read")
    sb.seed_file("README.md", "# web\n")
    if config is not None:
        sb.seed_file(CONFIG_PATH, config)
    pm = sb.seed_issue(title="Postmortem: checkout outage", body="…", labels=["postmortem"])
    return Repo(sb, tmp, pm.number)


@pytest.fixture
def repo(sandbox: Sandbox, tmp_path: Path) -> Iterator[Repo]:
    yield make_repo(sandbox, tmp_path)


def sweep_counted(repo: Repo, now: datetime, **kw: Any) -> tuple[int, int, int]:
    """(exit code, writes, reads) of one sweep."""
    repo.sb.counters.reset()
    code = repo.sweep(now, **kw)
    return code, repo.writes, repo.reads


# --- (a)–(d): the ladder, rung by rung ------------------------------------------------------


def test_due_soon_the_owner_is_reminded_once(repo: Repo) -> None:
    number = repo.item()
    assert sweep_counted(repo, day(-4))[1] == 0  # P1: reminders start 3 days ahead
    code, writes, _ = sweep_counted(repo, day(-3))
    assert code == 0
    assert repo.steps(number) == ["due_soon"]
    text = repo.texts(number)[0]
    assert text.startswith(f"@{OWNER}, a friendly reminder") and "in 3 days" in text
    assert "/pmbot due YYYY-MM-DD" in text  # says what to do: close it, or ask for more time
    assert writes == 1  # the comment, which carries the follow state it leads to
    assert repo.follow(number)["step"] == "due_soon"
    assert "overdue" not in repo.labels(number)
    for later in (day(-3) + timedelta(hours=5), day(-2), day(-1)):
        assert sweep_counted(repo, later)[1] == 0  # once: no second reminder before the date
    assert repo.steps(number) == ["due_soon"]


def test_on_the_due_date_the_owner_is_told_and_the_item_labelled_overdue(repo: Repo) -> None:
    number = repo.item()
    repo.sweep(day(-3))
    code, writes, _ = sweep_counted(repo, day(0))
    assert code == 0
    assert repo.steps(number) == ["due_soon", "overdue"]
    text = repo.texts(number)[-1]
    assert text.startswith(f"@{OWNER}, ") and "reached its due date today" in text
    assert "No blame" in text and "/pmbot wont-do" in text
    assert "overdue" in repo.labels(number) and "escalated" not in repo.labels(number)
    assert writes == 2  # the follow marker with the label (one request), the comment
    for later in range(1, 7):
        assert sweep_counted(repo, day(later))[1] == 0  # once; the next rung is a week away


def test_a_week_overdue_the_commander_and_authors_are_asked(repo: Repo) -> None:
    number = repo.item()
    repo.sweep(day(0))
    repo.sweep(day(7))
    assert repo.steps(number) == ["overdue", "commander"]
    text = repo.texts(number)[-1]
    assert text.startswith(f"@{COMMANDER} @{AUTHOR}, ")  # commander and authors, each once
    assert f"`@{OWNER}`" in text  # the owner is named, not pinged again
    assert "overdue since **2026-03-02** (7 days)" in text
    assert "was first reminded on 2026-03-02" in text
    assert {"overdue", "escalated"} <= repo.labels(number)
    assert sweep_counted(repo, day(7))[1] == 0
    assert sweep_counted(repo, day(13))[1] == 0


def test_three_weeks_overdue_the_leadership_team_is_asked(repo: Repo) -> None:
    """With the digest (the default): the item is listed in the team's digest issue, and the
    item's owner hears once, on the item, that it is."""
    number = repo.item()
    repo.sweep(day(0))
    repo.sweep(day(7))
    repo.sweep(day(21))
    assert repo.steps(number) == ["overdue", "commander", "leadership"]
    text = repo.texts(number)[-1]
    assert text.startswith(f"@{OWNER}, ") and "needs a decision" in text
    assert f"leadership digest for `{TEAM}`" in text
    (digest,) = [i for i in repo.sb.state.issues.values() if "pmbot-digest" in i.labels]
    assert (
        digest.body.startswith(f"@{TEAM}: ")
        and f"| #{number} | [AI-1] fix AI-1 | `@{OWNER}` | P1 | 21 (due 2026-03-02) |"
        in digest.body
    )
    assert sweep_counted(repo, day(21))[1] == 0


def test_three_weeks_overdue_without_the_digest_the_team_is_asked_on_the_item(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    repo = make_repo(sandbox, tmp_path, config=CONFIG + "  leadership_digest: false\n")
    number = repo.item()
    for offset in (0, 7, 21):
        repo.sweep(day(offset))
    assert repo.steps(number) == ["overdue", "commander", "leadership"]
    text = repo.texts(number)[-1]
    assert text.startswith(f"@{TEAM}, ") and "needs a decision" in text
    assert not [i for i in repo.sb.state.issues.values() if "pmbot-digest" in i.labels]
    assert sweep_counted(repo, day(21))[1] == 0


def test_the_whole_ladder_each_rung_once_repeats_at_the_cadence(repo: Repo) -> None:
    """A P1 item nobody acts on for a month. test_sweep walks the ladder day by day in pure
    code; over HTTP the sweep runs on each day a rung changes, and on the day after, when the
    state read back from GitHub must keep it from repeating. The digest is off here: the
    leadership rung is a comment on the item, repeated like the others."""
    repo.configure(CONFIG + "  leadership_digest: false\n")
    number = repo.item()
    posted: dict[int, list[str]] = {}
    for offset in (-3, -2, 0, 1, 7, 8, 14, 15, 21, 22, 28, 29):
        before = len(repo.notices(number))
        assert repo.sweep(day(offset)) == 0
        new = repo.notices(number)[before:]
        if new:
            posted[offset] = [n["step"] for n in new]
    assert posted == {
        -3: ["due_soon"],
        0: ["overdue"],
        7: ["commander"],
        14: ["commander"],  # still on the commander rung: repeated after 7 days (P1)
        21: ["leadership"],
        28: ["leadership"],
    }
    repeat = [t for t in repo.texts(number) if t.startswith("Reminder: ")]
    assert len(repeat) == 2  # the repeats say so
    follow = repo.follow(number)
    assert set(follow["at"]) == {"due_soon", "overdue", "commander", "leadership"}
    assert follow["last"] == "2026-03-30T06:00:00Z"


def test_a_p0_repeats_every_two_days_a_p3_every_two_weeks(repo: Repo) -> None:
    p0 = repo.item("AI-1", priority="P0")
    p3 = repo.item("AI-2", priority="P3")
    for offset in range(0, 7):  # a week on the overdue rung
        repo.sweep(day(offset))
    p0_days = [n["at"][:10] for n in repo.notices(p0)]
    assert p0_days == ["2026-03-02", "2026-03-04", "2026-03-06", "2026-03-08"]
    assert [n["at"][:10] for n in repo.notices(p3)] == ["2026-03-02"]


def test_without_a_leadership_team_the_commander_rung_is_the_last(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    repo = make_repo(sandbox, tmp_path, config=None)  # the defaults: no leadership team
    number = repo.item()
    for offset in (0, 7, 21, 22):
        repo.sweep(day(offset))
    assert repo.steps(number) == ["overdue", "commander", "commander"]
    assert not any(TEAM in t for t in repo.texts(number))


# --- (e): unowned -----------------------------------------------------------------------------


def test_an_unowned_item_goes_to_the_commander_at_once(repo: Repo) -> None:
    number = repo.item(owner=None, due=DUE + timedelta(days=60))  # far from due
    code, writes, _ = sweep_counted(repo, day(0))
    assert code == 0 and writes == 1  # the notice carries the state
    assert repo.steps(number) == ["unowned"]
    text = repo.texts(number)[0]
    assert text.startswith(f"@{COMMANDER}, ") and "has no owner yet" in text
    assert "/pmbot owner @user" in text
    assert sweep_counted(repo, day(1))[1] == 0  # once
    assert "overdue" not in repo.labels(number)


# --- (f): a rerun at the same now -------------------------------------------------------------


def test_a_rerun_at_the_same_now_writes_nothing(repo: Repo) -> None:
    mix = [
        repo.item("AI-1", due=DUE + timedelta(days=30)),  # not due
        repo.item("AI-2", due=DUE + timedelta(days=2)),  # due soon
        repo.item("AI-3", due=DUE),  # due today
        repo.item("AI-4", due=DUE - timedelta(days=10)),  # escalates at once
        repo.item("AI-5", due=DUE - timedelta(days=30)),  # leadership at once
        repo.item("AI-6", owner=None),  # unowned (and due)
        repo.item("AI-7", due=DUE - timedelta(days=3), state="closed"),  # closed: left alone
    ]
    code, writes, _ = sweep_counted(repo, day(0))
    assert code == 0 and writes > 0
    assert [len(repo.notices(n)) for n in mix] == [0, 1, 1, 1, 1, 1, 0]
    state = {n: (repo.sb.state.issues[n].body, repo.labels(n)) for n in mix}
    code, writes, _ = sweep_counted(repo, day(0))
    assert (code, writes) == (0, 0)
    assert not any(m in WRITE_METHODS for m in repo.sb.counters.by_method)
    assert {n: (repo.sb.state.issues[n].body, repo.labels(n)) for n in mix} == state
    code, writes, _ = sweep_counted(repo, day(0) + timedelta(hours=3))  # same day, later
    assert (code, writes) == (0, 0)


# --- (g): the write budget ----------------------------------------------------------------


def test_a_write_budget_defers_the_rest_most_urgent_first_and_the_next_run_picks_it_up(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every item is new to its rung today: a late one's notice is recorded with its label (one
    # request) and posted, 2 writes; the one due soon is its notice alone, 1 write.
    p3_late = repo.item("AI-1", priority="P3", due=DUE - timedelta(days=2))  # 2 writes
    p0_late_2 = repo.item("AI-2", priority="P0", due=DUE - timedelta(days=2))  # 2
    p0_late_5 = repo.item("AI-3", priority="P0", due=DUE - timedelta(days=5))  # 2
    p1_late_1 = repo.item("AI-4", priority="P1", due=DUE - timedelta(days=1))  # 2
    p2_soon = repo.item("AI-5", priority="P2", due=DUE + timedelta(days=3))  # 1
    repo.configure(f"{CONFIG}budget:\n  max_writes_per_run: 5\n")
    code, writes, _ = sweep_counted(repo, day(0))
    assert code == 0
    assert writes == 4  # whole items only: the third (2 writes) does not fit in the last 1
    done = [n for n in (p3_late, p0_late_2, p0_late_5, p1_late_1, p2_soon) if repo.notices(n)]
    assert done == [p0_late_2, p0_late_5]  # P0 first, and of those the most overdue first
    err = capsys.readouterr().err
    assert "deferred 5 writes" in err and "next run" in err  # and said so
    # the next run (the same day: nothing about the items changed) picks up the rest
    repo.configure(f"{CONFIG}budget:\n  max_writes_per_run: 4\n")
    code, writes, _ = sweep_counted(repo, day(0))
    assert code == 0 and writes == 3  # P1 (2) and P2 (1); the P3 (2) would not fit in 1
    assert repo.notices(p1_late_1) and repo.notices(p2_soon) and not repo.notices(p3_late)
    code, writes, _ = sweep_counted(repo, day(0))
    assert writes == 2 and repo.notices(p3_late)
    assert sweep_counted(repo, day(0))[1] == 0
    for number in (p3_late, p0_late_2, p0_late_5, p1_late_1, p2_soon):
        assert len(repo.notices(number)) == 1  # nothing announced twice along the way


def test_deferred_writes_are_said_in_the_step_summary(repo: Repo) -> None:
    for i in range(3):
        repo.item(f"AI-{i}", due=DUE - timedelta(days=1))
    repo.configure(f"{CONFIG}budget:\n  max_writes_per_run: 3\n")
    repo.sweep(day(0))
    summary = (repo.tmp / "summary.md").read_text(encoding="utf-8")
    assert "deferred 4 writes" in summary  # each item: its label and record, its notice


def test_below_the_rate_limit_floor_the_sweep_stops_cleanly(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    number = repo.item(due=DUE - timedelta(days=1))
    repo.sb.rate.set_remaining(20, reset_in=3600)  # the default floor is 50
    code, writes, _ = sweep_counted(repo, day(0))
    assert code == 0
    assert writes == 0 and not repo.notices(number)
    assert "stopped at the rate-limit floor" in capsys.readouterr().err  # and said so
    repo.sb.rate.set_remaining(5000)
    assert repo.sweep(day(0)) == 0  # the next run, with the limit reset, does it
    assert repo.steps(number) == ["overdue"]


# --- (h): a fault mid-sweep -------------------------------------------------------------------


def test_a_dropped_answer_on_one_comment_does_not_stop_the_sweep_or_duplicate_it(
    repo: Repo,
) -> None:
    numbers = [repo.item(f"AI-{i}", due=DUE - timedelta(days=1)) for i in range(4)]
    victim = numbers[1]
    # The comment lands, then the connection drops before the answer: pmbot cannot know.
    repo.sb.faults.add("drop_after_write", "POST", rf"/issues/{victim}/comments$")
    assert repo.sweep(day(0)) == 0
    assert [len(repo.notices(n)) for n in numbers] == [1, 1, 1, 1]  # found, not posted twice
    assert all(repo.follow(n)["step"] == "overdue" for n in numbers)
    assert sweep_counted(repo, day(0))[1] == 0


def test_a_502_on_one_items_comment_fails_that_item_only_and_the_next_run_finishes_it(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = [repo.item(f"AI-{i}", due=DUE - timedelta(days=1)) for i in range(4)]
    victim = numbers[2]
    repo.sb.faults.add("bad_gateway", "POST", rf"/issues/{victim}/comments$", times=2)
    assert repo.sweep(day(0)) == 1  # a failed item makes the run fail visibly
    assert f"#{victim}: failed to comment" in capsys.readouterr().err
    assert [len(repo.notices(n)) for n in numbers] == [1, 1, 0, 1]  # the rest went ahead
    assert "overdue" in repo.labels(victim)  # recorded, with its label, before it was posted
    assert repo.follow(victim)["pending"]["step"] == "overdue"
    assert repo.sweep(day(0)) == 0  # the next run posts the recorded notice
    assert [len(repo.notices(n)) for n in numbers] == [1, 1, 1, 1]
    assert "overdue" in repo.labels(victim)
    assert sweep_counted(repo, day(0))[1] == 0


def test_a_failed_state_update_after_the_notice_does_not_duplicate_the_notice(
    repo: Repo,
) -> None:
    """The follow marker records each notice (with the comment count) before it is posted:
    whichever write of an item fails, the owner hears the notice exactly once."""
    numbers = [repo.item(f"AI-{i}", due=DUE - timedelta(days=1)) for i in range(4)]
    refused, dropped, unlabelled, _fine = numbers
    # Every attempt to record the notice is refused (Retry-After: 0, so the adapter's
    # bounded waits cost no time) until the adapter gives up: nothing is said yet.
    repo.sb.faults.add(
        "secondary_rate_limit", "PATCH", rf"/issues/{refused}$", times=6, retry_after=0
    )
    # The notice lands but its answer is lost: pmbot cannot know it was posted.
    repo.sb.faults.add("drop_after_write", "POST", rf"/issues/{dropped}/comments$")
    # The notice lands, then the label after it fails.
    repo.sb.faults.add("bad_gateway", "POST", rf"/issues/{unlabelled}/labels$")
    assert repo.sweep(day(0)) == 1
    assert [len(repo.notices(n)) for n in numbers] == [0, 1, 1, 1]
    assert repo.sweep(day(0)) == 0  # the next run finishes every item …
    assert all(repo.follow(n)["step"] == "overdue" for n in numbers)
    assert all("overdue" in repo.labels(n) for n in numbers)
    assert [len(repo.notices(n)) for n in numbers] == [1, 1, 1, 1]  # … telling nobody twice
    assert sweep_counted(repo, day(0))[1] == 0
    assert sweep_counted(repo, day(1))[1] == 0


# --- (i): one bad item -------------------------------------------------------------------------


def test_an_item_with_an_unreadable_marker_is_reported_and_skipped(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    good = repo.item("AI-1", due=DUE - timedelta(days=1))
    garbled = '<!-- pmbot:item {"pm": 1, "key": "AI-2", "priority": "P9"} -->'
    bad = repo.item("AI-2", due=DUE - timedelta(days=1), body=f"Fix it.\n\n{garbled}\n")
    missing = repo.item("AI-3", body="Someone deleted the marker while editing.\n")
    also_good = repo.item("AI-4", due=DUE - timedelta(days=1))
    assert repo.sweep(day(0)) == 0  # one bad item never stops the sweep
    err = capsys.readouterr().err
    assert f"skipping issue #{bad}" in err and "malformed pmbot marker" in err
    assert f"skipping issue #{missing}" in err and "no readable pmbot:item marker" in err
    assert repo.notices(good) and repo.notices(also_good)
    assert not repo.texts(bad) and not repo.texts(missing)
    assert repo.sb.state.issues[bad].body == f"Fix it.\n\n{garbled}\n"  # left untouched


def test_items_pmbot_did_not_write_are_not_followed(repo: Repo) -> None:
    """Anyone can paste a marker into an issue of theirs: only pmbot's own issues count."""
    info = ItemInfo(pm=repo.pm, key="AI-9", priority=Priority.P0, due=DUE, opened=DUE)
    forged = repo.sb.seed_issue(
        title="forged",
        body=f"hi\n\n{item_marker(info)}\n",
        labels=["action-item"],
        user=OUTSIDER,
    )
    assert repo.sweep(day(10)) == 0
    [note] = repo.texts(forged.number)  # no reminder: one note that pmbot does not follow it
    assert note.startswith(f"Thank you for filing this, @{OUTSIDER}.")
    assert not repo.notices(forged.number)


# --- (j): dry run ------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_prints_each_planned_write_grouped_by_item(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    soon = repo.item("AI-1", due=DUE + timedelta(days=2))
    late = repo.item("AI-2", due=DUE - timedelta(days=8))
    before = {n: i.body for n, i in repo.sb.state.issues.items()}
    code, writes, _ = sweep_counted(repo, day(0), dry_run=True)
    assert (code, writes) == (0, 0)
    assert not any(m in WRITE_METHODS for m in repo.sb.counters.by_method)
    assert {n: i.body for n, i in repo.sb.state.issues.items()} == before
    lines = capsys.readouterr().err.splitlines()
    assert "(dry run)" in lines[-1]
    start = lines.index(f"#{soon}")  # a notice alone carries its state
    assert lines[start + 1].startswith(f"  - comment on #{soon}: @{OWNER}, a friendly reminder")
    start = lines.index(f"#{late}")  # one whose labels change is recorded with them, then posted
    assert lines[start + 1] == (
        f"  - edit body and labels of #{late}: record commander notice; labels + overdue, escalated"
    )
    assert lines[start + 2].startswith(f"  - comment on #{late}: @{COMMANDER} @{AUTHOR},")
    # what the dry run printed is what the real run then does
    code, writes, _ = sweep_counted(repo, day(0))
    assert writes == 1 + 2


# --- (l): reads -------------------------------------------------------------------------------


def test_reads_stay_within_one_per_hundred_items_plus_a_constant(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    repo = make_repo(sandbox, tmp_path)
    n = 250
    for i in range(n):
        # mostly quiet items, a few that need a notice today: reads must not grow with writes
        due = DUE + timedelta(days=40) if i % 50 else DUE - timedelta(days=1)
        repo.item(f"AI-{i}", due=due, priority=("P0", "P1", "P2", "P3")[i % 4])
    code, writes, reads = sweep_counted(repo, day(0))
    assert code == 0 and writes == 5 * 2
    by_endpoint = dict(repo.sb.counters.by_endpoint)
    assert by_endpoint["GET /repos/{owner}/{repo}/issues"] == math.ceil(n / 100) + 2  # + the
    # postmortems (for late documents) and pmbot's leadership digest issues (a leadership team
    # is configured); the constant: /user, the config file, the rate limit
    # at start and end, the repository and its tree (published documents). Before each item
    # it writes, a conditional read that it did not change meanwhile: a 304, free.
    assert repo.sb.counters.not_modified == 5
    assert reads - 5 <= math.ceil(n / 100) + READ_CONSTANT, by_endpoint
    code, writes, reads = sweep_counted(repo, day(0))
    assert writes == 0 and reads <= math.ceil(n / 100) + READ_CONSTANT


# --- (k): owner commands, by issue_comment event ---------------------------------------------


def test_due_moves_the_date_records_who_when_why_and_restarts_the_ladder(repo: Repo) -> None:
    number = repo.item(due=DUE)
    repo.sweep(day(0))
    repo.sweep(day(7))
    assert {"overdue", "escalated"} <= repo.labels(number)
    code = repo.comment(number, "/pmbot due 2026-04-15 waiting on the vendor's fix", OWNER, day(8))
    assert code == 0
    info = repo.marker(number, "item")
    assert info["due"] == "2026-04-15"
    (change,) = info["history"]
    assert change["by"] == OWNER and change["cmd"] == "due"
    assert change["from"] == "2026-03-02" and change["to"] == "2026-04-15"
    assert change["why"] == "waiting on the vendor's fix" and change["at"] == "2026-03-10T06:00:00Z"
    audit = repo.texts(number)[-1]
    assert "**Due date moved** from 2026-03-02 to 2026-04-15" in audit
    assert f"`@{OWNER}`" in audit and "> Reason: waiting on the vendor's fix" in audit
    assert not {"overdue", "escalated"} & repo.labels(number)
    before = len(repo.notices(number))
    for offset in range(9, 44):  # quiet until the new date comes near (P1: 3 days ahead)
        repo.sweep(day(offset))
    assert [n["step"] for n in repo.notices(number)[before:]] == ["due_soon"]


def ticking(sb: Sandbox, start: datetime) -> None:
    """The sandbox's clock moves a second per reading, so each change has its own second
    (HTTP dates, and so If-Modified-Since, have whole seconds)."""
    ticks = itertools.count()
    sb.state.clock = lambda: start + timedelta(seconds=next(ticks))


def test_a_command_between_the_sweeps_read_and_its_write_is_kept(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticking(repo.sb, day(0) - timedelta(hours=1))
    number = repo.item(due=DUE)
    listed = GitHub.list_issues
    commanded: list[int] = []

    def list_then_command(gh: GitHub, *args: Any, **kw: Any) -> Any:
        found = listed(gh, *args, **kw)
        if not commanded and "action-item" in (kw.get("labels") or ()):
            commanded.append(-1)  # once: the command's own run lists items too
            # The owner moves the due date after the sweep read the items, before it writes.
            text = "/pmbot due 2026-04-15 vendor fix"
            commanded[0] = repo.comment(number, text, OWNER, day(0))
        return found

    monkeypatch.setattr(GitHub, "list_issues", list_then_command)
    assert repo.sweep(day(0)) == 0 and commanded == [0]
    info = repo.marker(number, "item")
    assert info["due"] == "2026-04-15"  # the command's date and history are kept
    assert [c["cmd"] for c in info["history"]] == ["due"]
    assert "overdue" not in repo.labels(number) and repo.steps(number) == []
    assert "**Due date moved** from 2026-03-02 to 2026-04-15" in repo.texts(number)[-1]
    monkeypatch.setattr(GitHub, "list_issues", listed)
    repo.sb.counters.reset()
    assert repo.sweep(day(0)) == 0 and repo.writes == 0


def test_the_sweeps_check_before_writing_is_free_when_nothing_changed(repo: Repo) -> None:
    ticking(repo.sb, day(0) - timedelta(hours=1))
    numbers = [repo.item(key=f"AI-{n}", due=DUE) for n in range(3)]
    repo.sb.counters.reset()
    assert repo.sweep(day(0)) == 0
    assert all("overdue" in repo.labels(n) for n in numbers)
    # one conditional read per item written, each answered 304 (no rate limit spent)
    assert repo.sb.counters.not_modified == 3


def test_snooze_pauses_reminders_keeps_the_due_date_and_they_resume_after(repo: Repo) -> None:
    number = repo.item(due=DUE)
    repo.sweep(day(0))
    assert repo.comment(number, "/pmbot snooze 10d on call this week", OWNER, day(1)) == 0
    assert repo.marker(number, "item")["due"] == "2026-03-02"
    assert repo.marker(number, "follow")["snoozed_until"] == "2026-03-13T06:00:00Z"
    assert "**Reminders snoozed** for 10 days" in repo.texts(number)[-1]
    before = len(repo.notices(number))
    for offset in range(2, 11):
        repo.sweep(day(offset))
    assert len(repo.notices(number)) == before  # quiet, though the commander rung came due
    repo.sweep(day(11))
    assert [n["step"] for n in repo.notices(number)[before:]] == ["commander"]


def test_owner_hands_the_item_over_and_the_new_owner_is_reminded(repo: Repo) -> None:
    number = repo.item(due=DUE)
    code = repo.comment(number, "/pmbot owner @dave moving to payments", COMMANDER, day(-10))
    assert code == 0
    assert repo.marker(number, "item")["owner"] == AUTHOR
    assert repo.sb.state.issues[number].assignees == [AUTHOR]
    assert f"**Owner changed** from `@{OWNER}` to @{AUTHOR}" in repo.texts(number)[-1]
    repo.sweep(day(-3))
    assert repo.texts(number)[-1].startswith(f"@{AUTHOR}, a friendly reminder")


def test_a_command_whose_run_was_cancelled_is_carried_out_by_the_next_run(repo: Repo) -> None:
    number = repo.item(due=DUE)
    # Actions cancelled the pending run for this comment (a third comment came during a run):
    # the comment exists, no run ever handled it.
    lost = repo.sb.seed_comment(number, "/pmbot due 2026-04-15 vendor fix", user=OWNER)
    usage = repo.sb.seed_comment(number, "/pmbot frobnicate", user=OWNER)  # cancelled too
    assert repo.comment(number, "/pmbot owner @dave moving to payments", OWNER, day(-10)) == 0
    info = repo.marker(number, "item")
    assert [(c["cmd"], c["cid"]) for c in info["history"]] == [
        ("due", lost.id),
        ("owner", max(c.id for c in repo.sb.state.comments.values() if c.user == OWNER)),
    ]
    assert info["due"] == "2026-04-15" and info["owner"] == AUTHOR
    texts = repo.texts(number)
    assert len(texts) == 3  # each command carried out or answered, in order, once
    assert "**Due date moved**" in texts[0] and "**Owner changed**" in texts[2]
    assert markers.find(texts[1], "reply") == {"cid": usage.id, "at": "2026-02-20T06:00:00Z"}
    # the next command is answered on its own: the earlier ones are not carried out again
    assert repo.comment(number, "/pmbot owner @dave moving to payments", COMMANDER, day(-9)) == 0
    assert len(repo.texts(number)) == 4 and "already owns" in repo.texts(number)[-1]


def test_wont_do_closes_as_not_planned_and_the_sweep_leaves_it_alone(repo: Repo) -> None:
    number = repo.item(due=DUE)
    text = "/pmbot wont-do superseded by the queue migration"
    assert repo.comment(number, text, OWNER, day(1)) == 0
    issue = repo.sb.state.issues[number]
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    assert "wont-do" in repo.labels(number)  # counted apart in the report
    audit = repo.texts(number)[-1]
    assert "**Closed as not planned**" in audit
    assert "> Reason: superseded by the queue migration" in audit
    (change,) = repo.marker(number, "item")["history"]
    assert (change["by"], change["cmd"]) == (OWNER, "wont-do")
    assert sweep_counted(repo, day(30))[1] == 0


def test_the_incident_commander_may_use_the_commands(repo: Repo) -> None:
    number = repo.item(due=DUE)
    assert repo.comment(number, "/pmbot due 2026-03-20 agreed with alice", COMMANDER, day(1)) == 0
    assert repo.marker(number, "item")["due"] == "2026-03-20"


def test_a_repository_maintainer_may_use_the_commands(repo: Repo) -> None:
    number = repo.item(due=DUE)
    assert repo.comment(number, "/pmbot wont-do dropped in planning", MAINTAINER, day(1)) == 0
    assert repo.sb.state.issues[number].state == "closed"


def test_a_command_from_someone_else_is_explained_and_changes_nothing(repo: Repo) -> None:
    number = repo.item(due=DUE)
    body = repo.sb.state.issues[number].body
    assert repo.comment(number, "/pmbot wont-do not needed", OUTSIDER, day(1)) == 0
    issue = repo.sb.state.issues[number]
    assert issue.state == "open" and issue.body == body
    reply = repo.texts(number)[-1]
    assert reply.startswith(f"Sorry `@{OUTSIDER}`, only this item's owner (`@{OWNER}`)")
    assert f"commander (`@{COMMANDER}`)" in reply  # named, not pinged


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/pmbot due 2026-04-15", "`/pmbot due` needs a reason"),
        ("/pmbot snooze 7d", "`/pmbot snooze` needs a reason"),
        ("/pmbot wont-do", "`/pmbot wont-do` needs a reason"),
        ("/pmbot due soon please", "`/pmbot due` needs a date written YYYY-MM-DD"),
        ("/pmbot frobnicate now", "`frobnicate` is not a command I know"),
    ],
)
def test_a_command_without_a_reason_is_explained_and_changes_nothing(
    repo: Repo, text: str, expected: str
) -> None:
    number = repo.item(due=DUE)
    body = repo.sb.state.issues[number].body
    assert repo.comment(number, text, OWNER, day(1)) == 0
    assert repo.sb.state.issues[number].body == body
    assert expected in repo.texts(number)[-1]


def test_a_redelivered_command_changes_nothing_the_second_time(repo: Repo) -> None:
    number = repo.item(due=DUE)
    repo.comment(number, "/pmbot snooze 5d at a conference", OWNER, day(1))
    comment = max(c.id for c in repo.sb.state.comments.values() if c.user == OWNER)
    payload = {
        "action": "created",
        "issue": {"number": number},
        "comment": {
            "id": comment,
            "body": "/pmbot snooze 5d at a conference",
            "user": {"login": OWNER},
        },
    }
    path = repo.tmp / "again.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    env = {**repo.env, "GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": str(path)}
    repo.sb.counters.reset()
    assert event(env, dry_run=False, now=day(1), config_path=None) == 0
    assert repo.writes == 0


def test_step_summary_counts_the_sweeps_requests(repo: Repo) -> None:
    repo.item(due=DUE - timedelta(days=1))
    repo.sweep(day(0))
    summary = (repo.tmp / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("- pmbot sweep: ")


def test_follow_state_is_only_in_github(repo: Repo) -> None:
    """Any run can resume another's work: a sweep with a brand-new adapter, fresh process
    state, sees the follow marker the last run wrote and does not repeat it."""
    number = repo.item(due=DUE, follow=FollowState(step=Step.OVERDUE, due=DUE, last=day(0)))
    repo.sweep(day(3))
    assert repo.notices(number) == []  # overdue was announced (by another run) 3 days ago
    assert "overdue" in repo.labels(number)  # the label follows the state


# --- late postmortem documents --------------------------------------------------------------


def test_a_late_document_is_reminded_until_it_is_on_the_default_branch(repo: Repo) -> None:
    """Whether the document is published is read from the default branch's tree: a SEV-2
    resolved on 2026-11-03 is due five business days later; its commander and authors are
    reminded at the cadence until the document lands, then never again."""
    body = (Path(__file__).resolve().parents[1] / "examples" / "postmortem-issue.md").read_text(
        encoding="utf-8"
    )
    issue = repo.sb.seed_issue(title="Postmortem: checkout", body=body, labels=["postmortem"])
    number = issue.number

    def reminders() -> int:
        return sum(n.get("step") == "document" for n in repo.notices(number))

    first = at(date(2026, 11, 20))
    assert repo.sweep(first) == 0 and reminders() == 1
    assert repo.sweep(first + timedelta(days=14)) == 0 and reminders() == 2  # the cadence
    form = postmortem_form()
    pm = read_postmortem(body, default_config(), form=form, issue_number=number).postmortem
    repo.sb.seed_file(document_path(pm).as_posix(), "# the document\n")
    assert repo.sweep(first + timedelta(days=60)) == 0 and reminders() == 2


# --- (m): a notice costs one write, each said exactly once (issue 10 §8) -----------------------
#
# A notice is its comment alone, carrying the follow state it leads to; a notice whose labels
# change is recorded in the body with them (one PATCH) before it is posted. The fixture `mix`
# has every kind of write the ladder makes: a notice alone, a notice recorded with its labels
# and then posted, and a label change without a notice (the body catching up in that PATCH).

COMMENTS_PAGE = "GET /repos/{owner}/{repo}/issues/comments"
ONE_ISSUES_COMMENTS = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"


def d(n: int) -> timedelta:
    return timedelta(days=n)


def mix(repo: Repo) -> dict[str, int]:
    """One item of each kind the sweep meets at day(0), by name. The leadership rung is a
    comment on its item here (the digest, one more write a day, has its own tests)."""
    repo.configure(CONFIG + "  leadership_digest: false\n")
    late30, late3, moved = DUE - d(30), DUE - d(3), DUE - d(10)
    commander = FollowState(
        Step.COMMANDER,
        ((Step.OVERDUE, at(late30)), (Step.COMMANDER, at(late30 + d(7)))),
        at(DUE - d(2)),
        late30,
    )
    overdue = FollowState(Step.OVERDUE, ((Step.OVERDUE, at(late3)),), at(late3), late3)
    climbed = FollowState(Step.COMMANDER, ((Step.COMMANDER, at(moved + d(7))),), None, moved)
    late_labels = ("overdue", "escalated")
    return {
        # notices alone (1 write each)
        "soon": repo.item("AI-1", due=DUE + d(2)),
        "unowned": repo.item("AI-2", owner=None, due=DUE + d(60)),
        "leadership": repo.item("AI-3", due=late30, follow=commander, labels=late_labels),
        "repeat": repo.item("AI-4", priority="P0", due=late3, follow=overdue, labels=("overdue",)),
        # notices whose labels change: recorded with them, then posted (2 writes each)
        "today": repo.item("AI-5", due=DUE),
        "escalates": repo.item("AI-6", due=DUE - d(8)),
        # a later due date: the labels come off, no notice (1 write)
        "moved": repo.item("AI-7", due=DUE + d(30), follow=climbed, labels=late_labels),
    }


NOTICES = {
    "soon": ["due_soon"],
    "unowned": ["unowned"],
    "leadership": ["leadership"],
    "repeat": ["overdue"],
    "today": ["overdue"],
    "escalates": ["commander"],
    "moved": [],
}
WRITES = 6 + 2 + 1  # six notices, two of them recorded with their labels, one label change


def outcome(repo: Repo, items: dict[str, int]) -> dict[str, Any]:
    """What people see: each item's comments (text and all) and labels, and its state."""
    return {
        name: (repo.texts(n), sorted(repo.labels(n)), repo.follow(n)) for name, n in items.items()
    }


def test_a_notice_costs_one_write_unless_its_labels_change(repo: Repo) -> None:
    items = mix(repo)
    code, writes, _ = sweep_counted(repo, day(0))
    assert code == 0
    assert {name: repo.steps(n) for name, n in items.items()} == NOTICES
    notices = sum(len(steps) for steps in NOTICES.values())
    by_endpoint = repo.sb.counters.by_endpoint
    assert by_endpoint["POST /repos/{owner}/{repo}/issues/{issue_number}/comments"] == notices
    assert by_endpoint["PATCH /repos/{owner}/{repo}/issues/{issue_number}"] == 3  # no more
    assert writes == WRITES == notices + 3  # was 2 per notice, plus a request per label change
    # the notices alone did not touch the body: their comment carries the state
    for name in ("soon", "unowned", "leadership", "repeat"):
        assert "pending" not in repo.follow(items[name])
        assert repo.follow(items[name])["last"] == "2026-03-02T06:00:00Z"
    assert {"overdue", "escalated"} <= repo.labels(items["escalates"])
    assert not {"overdue", "escalated"} & repo.labels(items["moved"])
    assert sweep_counted(repo, day(0))[1] == 0  # a rerun writes nothing …
    assert sweep_counted(repo, day(1))[1] == 0  # … nor does the next day's sweep


def test_a_rerun_finds_the_state_in_one_page_of_the_repositorys_comments(repo: Repo) -> None:
    items = mix(repo)
    repo.sweep(day(0))
    bodies = {n: repo.sb.state.issues[n].body for n in items.values()}
    code, writes, reads = sweep_counted(repo, day(1))
    assert (code, writes) == (0, 0)
    by_endpoint = repo.sb.counters.by_endpoint
    assert by_endpoint[COMMENTS_PAGE] == 1  # newest first: each item's newest notice is there
    assert ONE_ISSUES_COMMENTS not in by_endpoint  # not one read per item
    assert reads <= 1 + READ_CONSTANT + 1  # the items, the constant, that page
    assert {n: repo.sb.state.issues[n].body for n in items.values()} == bodies


class Killed(BaseException):
    """The runner dying mid-run (not an Exception: nothing in pmbot may swallow it)."""


def kill_after(monkeypatch: pytest.MonkeyPatch, writes: int) -> None:
    """Every adapter dies right after its `writes`-th write reached GitHub (answer and all)."""
    real = Transport.call
    count = itertools.count(1)

    def dying(self: Transport, method: str, *args: Any, **kwargs: Any) -> Any:
        answer = real(self, method, *args, **kwargs)
        if method in WRITE_METHODS and next(count) == writes:
            raise Killed
        return answer

    monkeypatch.setattr(Transport, "call", dying)


def uninterrupted(tmp_path: Path) -> dict[str, Any]:
    tmp_path.mkdir()
    with Sandbox(repo=REPO) as sb:
        repo = make_repo(sb, tmp_path)
        items = mix(repo)
        assert repo.sweep(day(0)) == 0
        return outcome(repo, items)


@pytest.mark.parametrize("after", range(1, WRITES + 1))
def test_a_run_killed_after_any_write_and_rerun_says_each_notice_once(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    items = mix(repo)
    with monkeypatch.context() as patch:
        kill_after(patch, after)
        with pytest.raises(Killed):
            repo.sweep(day(0))
    assert repo.sweep(day(0)) == 0
    assert {name: repo.steps(n) for name, n in items.items()} == NOTICES  # each one, once
    assert outcome(repo, items) == uninterrupted(tmp_path / "clean")
    assert sweep_counted(repo, day(0))[1] == 0
    assert sweep_counted(repo, day(1))[1] == 0


def test_a_label_a_person_adds_between_the_read_and_the_write_is_kept(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Setting labels in the body's PATCH replaces the whole set: the sweep merges it from
    the labels it read, and the conditional read before the write sees a change since."""
    ticking(repo.sb, day(0) - timedelta(hours=1))
    number = repo.item(due=DUE)
    repo.sb.state.seed_user("mia", association="MEMBER", permission="maintain", token="mia-t")
    listed = GitHub.list_issues
    added: list[int] = []

    def list_then_label(gh: GitHub, *args: Any, **kw: Any) -> Any:
        found = listed(gh, *args, **kw)
        if not added and "action-item" in (kw.get("labels") or ()):
            url = f"{repo.sb.base_url}/repos/{REPO}/issues/{number}/labels"
            answer = requests.post(
                url, json={"labels": ["customer-facing"]}, timeout=10,
                headers={"Authorization": "token mia-t"},
            )  # fmt: skip
            added.append(answer.status_code)
        return found

    monkeypatch.setattr(GitHub, "list_issues", list_then_label)
    assert repo.sweep(day(0)) == 0 and added == [200]
    assert repo.labels(number) == {"action-item", "P1", "customer-facing", "overdue"}
    assert repo.steps(number) == ["overdue"]  # planned again from what it holds: said once
    monkeypatch.setattr(GitHub, "list_issues", listed)
    assert sweep_counted(repo, day(0))[1] == 0
    assert OWNER in repo.texts(number)[0]


def test_a_command_keeps_the_state_a_notice_comment_carries(repo: Repo) -> None:
    """The due-soon notice is its comment alone (the body still holds the older state); a
    snooze read from the body alone would lose it. The command reads the item's comments
    anyway: it records its change on top of the notice's state, with the next `seq`."""
    number = repo.item(due=DUE)
    repo.sweep(day(-3))
    assert repo.follow(number)["step"] == "due_soon"
    assert not markers.has(repo.sb.state.issues[number].body, "follow")  # not in the body
    assert repo.comment(number, "/pmbot snooze 5d at a conference", OWNER, day(-2)) == 0
    body = repo.marker(number, "follow")
    assert body["step"] == "due_soon" and body["at"] == {"due_soon": "2026-02-27T06:00:00Z"}
    assert body["snoozed_until"] == "2026-03-05T06:00:00Z" and body["seq"] == 2
    assert repo.follow(number) == body
    for offset in (-1, 0, 1, 2):
        repo.sweep(day(offset))
    assert repo.steps(number) == ["due_soon"]  # snoozed: not a word (the label is a fact)
    assert "overdue" in repo.labels(number)
    repo.sweep(day(3))
    assert repo.steps(number) == ["due_soon", "overdue"]
    assert repo.follow(number)["seq"] == 3
