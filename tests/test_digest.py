"""The leadership digest, decided (pure): which items it lists, its text, and the writes
that keep one issue per team. Over HTTP: test_digest_github."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from conftest import BOT, snapshot
from helpers.items import make_item

from pmbot.core import markers
from pmbot.core.config import Config, default_config
from pmbot.core.mentions import ZWSP
from pmbot.core.model import Priority
from pmbot.flows.digest import (
    MAX_BODY,
    DigestEntry,
    digest_entries,
    digest_marker,
    own_digests,
    plan_digests,
    render_digest,
)
from pmbot.flows.ladder import Ladder
from pmbot.flows.tracking import FollowState
from pmbot.github.models import IssueSnapshot
from pmbot.plan import CreateComment, CreateIssue, EditIssue, SetState

TEAM = "acme/eng-leads"
DUE = date(2026, 2, 2)
TODAY = DUE + timedelta(days=30)
NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 6, tzinfo=UTC)


def config(team: str | None = TEAM, *, digest: bool = True) -> Config:
    base = default_config()
    update = {"leadership_team": team, "leadership_digest": digest}
    return base.model_copy(update={"escalation": base.escalation.model_copy(update=update)})


def ladder(team: str | None = TEAM, *, digest: bool = True) -> Ladder:
    return Ladder.from_config(config(team, digest=digest))


def entry(number: int, days: int, **changes: object) -> DigestEntry:
    fields: dict[str, object] = {
        "number": number,
        "title": f"[AI-{number}] fix the checkout path",
        "owner": "alice",
        "priority": Priority.P1,
        "due": TODAY - timedelta(days=days),
        "days_overdue": days,
        "postmortem": 12,
    }
    fields.update(changes)
    return DigestEntry(**fields)


# --- which items ------------------------------------------------------------------------------


def test_it_lists_open_items_on_the_leadership_rung_most_overdue_first() -> None:
    items = [
        make_item(1, due=TODAY - timedelta(days=20)),  # the commander's rung still
        make_item(2, due=TODAY - timedelta(days=21)),  # the first day on leadership's
        make_item(3, due=TODAY - timedelta(days=40), priority=Priority.P2),
        make_item(4, due=TODAY - timedelta(days=40), priority=Priority.P0),
        make_item(5, due=TODAY - timedelta(days=90), state="closed"),  # done: not listed
        make_item(6, due=TODAY - timedelta(days=30), owner=None),
    ]
    listed = digest_entries(items, TODAY, ladder())
    assert [(e.number, e.days_overdue) for e in listed] == [(4, 40), (3, 40), (6, 30), (2, 21)]
    assert listed[2].owner is None and listed[0].postmortem == 12
    assert listed[0].due == TODAY - timedelta(days=40)


def test_no_leadership_team_lists_nothing() -> None:
    items = [make_item(1, due=TODAY - timedelta(days=90))]
    assert digest_entries(items, TODAY, ladder(None)) == ()


def test_a_snoozed_item_is_listed_with_its_snooze() -> None:
    until = NOW + timedelta(days=5)
    item = make_item(1, due=DUE, follow=FollowState(due=DUE, snoozed_until=until))
    (listed,) = digest_entries([item], TODAY, ladder())
    assert listed.snoozed_until == until.date()
    body = render_digest(TEAM, [listed], TODAY, 21)
    assert "| 30 (due 2026-02-02; snoozed until 2026-03-09) |" in body


# --- the text ---------------------------------------------------------------------------------


def test_the_digest_reads_as_a_table_mentioning_the_team_once() -> None:
    body = render_digest(TEAM, [entry(7, 40), entry(9, 25, owner=None)], TODAY, 21)
    assert body == (
        "@acme/eng-leads: the open action items overdue 21 days or more, the last rung of "
        "pmbot's escalation ladder. pmbot keeps this one issue up to date on every sweep "
        "instead of commenting on each item; owners, incident commanders and authors hear on "
        "the items themselves.\n"
        "\n"
        "**2 action items** at this rung on 2026-03-04, most overdue first. Each needs a "
        "decision, commented on the item: a new date with a reason "
        "(`/pmbot due YYYY-MM-DD <reason>`), another owner (`/pmbot owner @user`), or "
        "`/pmbot wont-do <reason>`.\n"
        "\n"
        "| Item | Title | Owner | Priority | Days overdue | Postmortem |\n"
        "|---|---|---|---|---:|---|\n"
        "| #7 | [AI-7] fix the checkout path | `@alice` | P1 | 40 (due 2026-01-23) | #12 |\n"
        "| #9 | [AI-9] fix the checkout path | nobody | P1 | 25 (due 2026-02-07) | #12 |\n"
        "\n"
        '<!-- pmbot:digest {"team":"acme/eng-leads"} -->\n'
    )


def test_a_users_title_pings_nobody_and_breaks_nothing() -> None:
    title = 'Fix @eve\'s #12 | <!-- pmbot:digest {"team": "x/y"} --> now'
    body = render_digest(TEAM, [entry(7, 40, title=title)], TODAY, 21)
    row = next(line for line in body.splitlines() if line.startswith("| #7 "))
    assert f"@{ZWSP}eve's #{ZWSP}12 \\| &lt;!-- pmbot:digest" in row
    assert len(re.split(r"(?<!\\)\|", row)) == 8  # still six cells
    assert markers.find(body, "digest") == {"team": TEAM}  # the imitation is text
    assert body.count("@acme/eng-leads") == 1


def test_a_long_title_is_cut() -> None:
    body = render_digest(TEAM, [entry(7, 40, title="x" * 300)], TODAY, 21)
    assert f"| {'x' * 79}… |" in body


def test_nothing_at_the_rung_and_a_team_no_longer_configured() -> None:
    empty = render_digest(TEAM, [], TODAY, 21)
    assert "Nothing is at this rung today" in empty and "|" not in empty
    assert "2026-03-04" not in empty  # no date: an empty digest is not rewritten each day
    old = render_digest("acme/old-leads", [], TODAY, 21, current=False)
    assert "`acme/old-leads` is no longer the leadership team" in old
    assert markers.find(old, "digest") == {"team": "acme/old-leads"}


def test_a_huge_backlog_fits_in_one_issue_body() -> None:
    entries = [entry(n, 500 - n % 400, title="t" * 80) for n in range(1, 3001)]
    body = render_digest(TEAM, entries, TODAY, 21)
    assert len(body) <= MAX_BODY < 65_536
    shown = sum(1 for line in body.splitlines() if line.startswith("| #"))
    assert 300 < shown < 3000
    assert f"…and {3000 - shown} more, less overdue" in body
    assert body.rstrip().endswith(digest_marker(TEAM))


# --- the writes -------------------------------------------------------------------------------


def digest_issue(number: int, body: str, **fields: object) -> IssueSnapshot:
    return snapshot(number, body, labels=("pmbot-digest",), **fields)


LATE = [make_item(101, due=TODAY - timedelta(days=30))]


def test_the_first_digest_is_filed_with_its_marker_and_label() -> None:
    (create,) = plan_digests(LATE, NOW, ladder(), {}).actions
    assert isinstance(create, CreateIssue)
    assert create.title == "Leadership digest: overdue action items (acme/eng-leads)"
    assert create.labels == ("pmbot-digest",) and create.marker == digest_marker(TEAM)
    assert create.marker in create.body and "| #101 |" in create.body


def test_no_issue_until_there_is_something_to_read() -> None:
    assert not plan_digests([make_item(101, due=TODAY)], NOW, ladder(), {})


def test_edited_only_when_its_text_changed() -> None:
    body = render_digest(TEAM, digest_entries(LATE, TODAY, ladder()), TODAY, 21)
    mine = own_digests([digest_issue(5, body)], BOT)
    assert not plan_digests(LATE, NOW, ladder(), mine)  # the same text: nothing to write
    (edit,) = plan_digests(LATE, NOW + timedelta(days=1), ladder(), mine).actions
    assert isinstance(edit, EditIssue) and edit.issue == 5 and edit.body is not None
    assert "| 31 (due" in edit.body
    (emptied,) = plan_digests([], NOW, ladder(), mine).actions  # the item was closed
    assert isinstance(emptied, EditIssue) and "Nothing is at this rung" in str(emptied.body)


def test_duplicates_a_race_left_are_closed_the_oldest_stays() -> None:
    body = render_digest(TEAM, digest_entries(LATE, TODAY, ladder()), TODAY, 21)
    issues = [digest_issue(9, body), digest_issue(5, body)]
    mine = own_digests(issues, BOT)
    comment, close = plan_digests(LATE, NOW, ladder(), mine).actions
    assert isinstance(comment, CreateComment) and comment.issue == 9
    assert comment.body.startswith("Duplicate of #5")
    assert isinstance(close, SetState) and close.issue == 9
    assert (close.state, close.state_reason) == ("closed", "duplicate")


def test_a_digest_marker_in_someone_elses_issue_is_not_trusted() -> None:
    forged = digest_issue(5, digest_marker(TEAM), author="mallory")
    closed = digest_issue(6, digest_marker(TEAM), state="closed")
    assert own_digests([forged, closed], BOT) == {}


def test_each_team_has_its_own_issue_and_an_old_teams_is_emptied() -> None:
    old = digest_issue(5, render_digest("acme/old-leads", [], TODAY, 21) + "x")
    mine = own_digests([old], BOT)
    create, edit = plan_digests(LATE, NOW, ladder(), mine).actions  # by team
    assert isinstance(edit, EditIssue) and edit.issue == 5
    assert "`acme/old-leads` is no longer the leadership team" in str(edit.body)
    assert isinstance(create, CreateIssue) and create.marker == digest_marker(TEAM)


def test_with_the_digest_off_nothing_is_filed_and_an_old_one_is_emptied() -> None:
    assert not plan_digests(LATE, NOW, ladder(digest=False), {})
    body = render_digest(TEAM, digest_entries(LATE, TODAY, ladder()), TODAY, 21)
    mine = own_digests([digest_issue(5, body)], BOT)
    (edit,) = plan_digests(LATE, NOW, ladder(digest=False), mine).actions
    assert isinstance(edit, EditIssue) and "no longer the leadership team" in str(edit.body)
