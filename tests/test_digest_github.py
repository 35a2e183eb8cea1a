"""The leadership digest against the sandbox, over real HTTP: `pmbot sweep` keeps one issue
per leadership team, found again by its marker, edited in place only when its text changed,
never filed twice — not after a lost answer, a run that died half-way, or two runs at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import pytest
from helpers.org import env

from pmbot.app.sweep import sweep
from pmbot.app.sweep_org import sweep_org
from pmbot.core import markers
from pmbot.core.config import default_config
from pmbot.core.model import Priority
from pmbot.flows.tracking import FollowState, ItemInfo, Step, with_markers
from pmbot.sandbox import Sandbox, State
from pmbot.sandbox.state import Issue

ME = "acme"  # the sandbox token acts as the repository owner: pmbot's login
TEAM = "acme/eng-leads"
CONFIG = f"escalation:\n  leadership_team: {TEAM}\n"
DUE = date(2026, 3, 2)


def at(offset: int) -> datetime:
    """`offset` days after DUE, at 06:00 UTC."""
    day = DUE + timedelta(days=offset)
    return datetime(day.year, day.month, day.day, 6, tzinfo=UTC)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        for login in ("alice", "bob", "carol", "dave"):
            sandbox.seed_user(login, association="MEMBER", permission="write")
        sandbox.seed_file(".github/pmbot.yml", CONFIG)
        yield sandbox


def item(repo: State, n: int, due: date, *, owner: str = "alice", recorded: bool = False) -> int:
    """An action item as intake files it; `recorded`: the sweep already announced the
    leadership rung on it (so the sweep's only writes are the digest's)."""
    info = ItemInfo(
        pm=1, key=f"AI-{n}", priority=Priority.P1, due=due, opened=due - timedelta(days=28),
        owner=owner, commander="carol", authors=("carol", "dave"), type="prevent",
    )  # fmt: skip
    follow = None
    if recorded:
        reached = ((Step.OVERDUE, at(0)), (Step.COMMANDER, at(7)), (Step.LEADERSHIP, at(21)))
        follow = FollowState(Step.LEADERSHIP, reached, at(21), due)
    labels = (default_config().labels.action_item.name, "P1")
    text = f"Action item **AI-{n}** from the postmortem #1.\n\n**What:** fix {n}\n"
    issue = repo.seed_issue(
        title=f"[AI-{n}] fix {n}", body=with_markers(text, info, follow), labels=labels,
        assignees=[owner],
    )  # fmt: skip
    return issue.number


def digests(repo: State, state: str = "open") -> list[Issue]:
    found = [i for i in repo.issues.values() if "pmbot-digest" in i.labels and i.state == state]
    return sorted(found, key=lambda i: i.number)


def listed(digest: Issue) -> list[int]:
    """The item numbers in the digest's table, in order."""
    rows = [line for line in digest.body.splitlines() if line.startswith("| #")]
    return [int(row.split(" | ")[0].removeprefix("| #")) for row in rows]


def run(sb: Sandbox, tmp: Path, now: datetime) -> tuple[int, int]:
    """(exit code, writes) of one `pmbot sweep`."""
    sb.counters.reset()
    code = sweep(env(sb, tmp), dry_run=False, now=now, config_path=None)
    return code, sb.counters.writes


def test_filed_once_edited_in_place_a_rerun_writes_nothing(sb: Sandbox, tmp_path: Path) -> None:
    late = item(sb.state, 1, DUE - timedelta(days=30))
    later = item(sb.state, 2, DUE - timedelta(days=40), owner="bob")
    item(sb.state, 3, DUE - timedelta(days=5))  # overdue, on the owner's rung: not listed
    assert run(sb, tmp_path, at(0))[0] == 0
    (digest,) = digests(sb.state)
    assert digest.user == ME and digest.title == f"Leadership digest: overdue action items ({TEAM})"
    assert markers.find(digest.body, "digest") == {"team": TEAM}
    assert digest.body.startswith(f"@{TEAM}: ") and digest.body.count("@acme/") == 1
    assert listed(digest) == [later, late]  # most overdue first
    assert "| `@bob` | P1 | 40 (due 2026-01-21) | #1 |" in digest.body
    # each listed item heard once, on the item, that it is listed; the team was not pinged there
    for number in (late, later):
        (notice,) = [c.body for c in sb.state.comments.values() if c.issue == number]
        assert "listed in the leadership digest" in notice and f"@{TEAM}" not in notice

    assert run(sb, tmp_path, at(0)) == (0, 0)  # a rerun at the same now writes nothing

    code, writes = run(sb, tmp_path, at(1))  # a day later: one edit, the same issue
    assert (code, writes) == (0, 1)
    assert [d.number for d in digests(sb.state)] == [digest.number]
    assert "| 41 (due 2026-01-21) |" in digests(sb.state)[0].body
    assert run(sb, tmp_path, at(1)) == (0, 0)
    assert not [c for c in sb.state.comments.values() if c.issue == digest.number]


def test_an_item_closed_or_given_a_new_date_leaves_the_digest(sb: Sandbox, tmp_path: Path) -> None:
    first = item(sb.state, 1, DUE - timedelta(days=30), recorded=True)
    second = item(sb.state, 2, DUE - timedelta(days=25), recorded=True)
    run(sb, tmp_path, at(0))
    (digest,) = digests(sb.state)
    assert listed(digest) == [first, second]
    sb.state.issues[first].state = "closed"  # done
    assert run(sb, tmp_path, at(1)) == (0, 1)
    assert listed(digests(sb.state)[0]) == [second]
    issue = sb.state.issues[second]  # a new date, as `/pmbot due` records it
    issue.body = issue.body.replace('"due":"2026-02-05"', '"due":"2026-04-30"')
    assert run(sb, tmp_path, at(2))[0] == 0
    (digest,) = digests(sb.state)  # kept, not closed: it is the team's place to look
    assert listed(digest) == [] and "Nothing is at this rung today" in digest.body
    assert run(sb, tmp_path, at(3)) == (0, 0)  # an empty digest is not rewritten each day


def test_two_leadership_teams_two_issues(sb: Sandbox, tmp_path: Path) -> None:
    """Each repository names its own leadership team (`sweep --org`): one digest each, each
    listing its own items; and when a repository's team changes, the new team gets its own
    issue and the old team's is emptied, not closed or deleted."""
    web = sb.state
    api = sb.org.add_repo("api")
    api.seed_file(".github/pmbot.yml", "escalation:\n  leadership_team: acme/api-leads\n")
    in_web = item(web, 1, DUE - timedelta(days=30), recorded=True)
    in_api = item(api, 1, DUE - timedelta(days=30), recorded=True)
    assert sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=at(0), config_path=None) == 0
    (web_digest,) = digests(web)
    (api_digest,) = digests(api)
    assert markers.find(web_digest.body, "digest") == {"team": TEAM}
    assert markers.find(api_digest.body, "digest") == {"team": "acme/api-leads"}
    assert listed(web_digest) == [in_web] and listed(api_digest) == [in_api]
    assert "@acme/api-leads" not in web_digest.body and f"@{TEAM}" not in api_digest.body

    web.seed_file(".github/pmbot.yml", "escalation:\n  leadership_team: acme/cto-staff\n")
    assert run(sb, tmp_path, at(1)) == (0, 2)  # the new team's issue, the old one's edit
    old, new = digests(web)
    assert old.number == web_digest.number and listed(old) == []
    assert f"`{TEAM}` is no longer the leadership team" in old.body
    assert markers.find(new.body, "digest") == {"team": "acme/cto-staff"}
    assert listed(new) == [in_web]
    assert run(sb, tmp_path, at(1)) == (0, 0)


def test_a_lost_answer_does_not_file_it_twice(sb: Sandbox, tmp_path: Path) -> None:
    item(sb.state, 1, DUE - timedelta(days=30), recorded=True)
    sb.faults.add("drop_after_write", "POST", r"/repos/acme/web/issues$", times=1)
    assert run(sb, tmp_path, at(0))[0] == 0  # filed, the answer lost, found by its marker
    assert len(digests(sb.state)) == 1
    assert run(sb, tmp_path, at(0)) == (0, 0)


class Killed(BaseException):
    """The run's process ends here (as a cancelled or killed job does)."""


def test_a_run_killed_half_way_is_retried_without_a_duplicate(
    sb: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = [item(sb.state, n, DUE - timedelta(days=30)) for n in range(1, 4)]

    def killed(*args: object, **kwargs: object) -> NoReturn:
        raise Killed

    with monkeypatch.context() as patch:  # killed after filing the digest, before the items
        patch.setattr("pmbot.app.sweep.apply", killed)
        with pytest.raises(Killed):
            run(sb, tmp_path, at(0))
    assert len(digests(sb.state)) == 1 and not sb.state.comments
    assert run(sb, tmp_path, at(0))[0] == 0  # the retry
    (digest,) = digests(sb.state)
    assert sorted(listed(digest)) == numbers
    for number in numbers:  # and each item heard once
        notices = [c for c in sb.state.comments.values() if c.issue == number]
        assert len(notices) == 1
    assert run(sb, tmp_path, at(0)) == (0, 0)


def test_two_runs_at_once_leave_one_digest(sb: Sandbox, tmp_path: Path) -> None:
    """Both runs find no digest and each files one (the create is slowed down so that they
    do overlap); each then reads again, and the newer is closed as a duplicate of the older."""
    item(sb.state, 1, DUE - timedelta(days=30), recorded=True)
    sb.faults.add("latency", "POST", r"/repos/acme/web/issues$", times=2, seconds=1.0)
    codes: list[int] = []

    def one_run(name: str) -> None:
        (tmp_path / name).mkdir()
        codes.append(sweep(env(sb, tmp_path / name), dry_run=False, now=at(0), config_path=None))

    threads = [threading.Thread(target=one_run, args=(f"run{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert codes == [0, 0]
    (kept,) = digests(sb.state)
    (duplicate,) = digests(sb.state, "closed")  # both were filed: the race did happen
    assert kept.number < duplicate.number and duplicate.state_reason == "duplicate"
    note = [c.body for c in sb.state.comments.values() if c.issue == duplicate.number]
    assert note and all(n.startswith(f"Duplicate of #{kept.number}") for n in note)
    assert run(sb, tmp_path, at(0)) == (0, 0)


def test_a_dry_run_files_nothing(sb: Sandbox, tmp_path: Path) -> None:
    item(sb.state, 1, DUE - timedelta(days=30))
    sb.counters.reset()
    assert sweep(env(sb, tmp_path), dry_run=True, now=at(0), config_path=None) == 0
    assert sb.counters.writes == 0 and digests(sb.state) == []
