"""The escalation ladder, rung by rung, as the clock moves (DESIGN.md, issue 5)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from conftest import BOT, tracked
from helpers.fake_github import FakeGitHub, FakeIssue, comment_snapshots
from helpers.items import make_item

from pmbot.app.sweep import newest_notices
from pmbot.core import markers
from pmbot.core.config import Config, default_config
from pmbot.core.model import Priority, Severity
from pmbot.errors import GitHubError
from pmbot.flows.items import TrackedItem, with_comments
from pmbot.flows.ladder import (
    PostmortemFollow,
    plan_postmortem_reminders,
    plan_sweep,
    read_pm_follow,
)
from pmbot.flows.tracking import Change, FollowState, ItemInfo, Pending, Step, item_marker
from pmbot.github.models import CommentSnapshot
from pmbot.plan import Plan, apply, trim_to_budget

# A P1 item due Monday 2026-02-02; P1 reminders come 3 days ahead and repeat every 7 days.
DUE = date(2026, 2, 2)


def at(day: date, hour: int = 6) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def with_leadership(team: str | None = "acme/eng-leads", *, digest: bool = True) -> Config:
    """A leadership team; `digest`: its rung is the digest issue (the default) or a comment
    on each item."""
    config = default_config()
    update = {"leadership_team": team, "leadership_digest": digest}
    escalation = config.escalation.model_copy(update=update)
    return config.model_copy(update={"escalation": escalation})


def read_back(number: int, issue: FakeIssue) -> TrackedItem:
    item = tracked(
        number,
        issue.body,
        labels=issue.labels,
        state=issue.state,
        comments=len(issue.comments),  # GitHub's count, as the issue list reports it
    )
    return with_comments(item, comment_snapshots(issue, BOT), BOT)


class Repo:
    """One action-item issue in a fake GitHub; each sweep plans from it and applies."""

    def __init__(self, item: TrackedItem, config: Config | None = None) -> None:
        self.gh = FakeGitHub()
        self.number = item.number
        self.gh.issues[item.number] = FakeIssue(body=item.body, labels=list(item.labels))
        self.config = config or with_leadership()

    def item(self) -> TrackedItem:
        """The item as the sweep reads it: its body, and the state pmbot's newest notice
        comment carries when that is newer."""
        return read_back(self.number, self.gh.issues[self.number])

    def sweep(self, now: datetime) -> Plan:
        plan = plan_sweep([self.item()], now, self.config)
        apply(plan, self.gh, dry_run=False, log=lambda _: None)
        return plan

    @property
    def comments(self) -> list[str]:
        return self.gh.issues[self.number].comments

    @property
    def labels(self) -> list[str]:
        return self.gh.issues[self.number].labels


def test_the_whole_ladder_each_rung_once_with_repeats_at_the_cadence() -> None:
    """With the digest off, the leadership rung is a comment on the item, repeated."""
    repo = Repo(make_item(due=DUE), config=with_leadership(digest=False))
    days = {offset: repo.sweep(at(DUE + timedelta(days=offset))) for offset in range(-14, 36)}
    noticed = {offset: plan for offset, plan in days.items() if plan}
    # due soon (3 days ahead), overdue (on the day), commander (+7), its repeat (+14),
    # leadership (+21), its repeats (+28, +35). Nothing on any other day.
    assert sorted(noticed) == [-3, 0, 7, 14, 21, 28, 35]
    steps = [markers.find(c, "reminder")["step"] for c in repo.comments]  # type: ignore[index]
    assert steps == ["due_soon", "overdue", "commander", "commander"] + ["leadership"] * 3
    due_soon, overdue, commander, again, leadership = repo.comments[:5]
    assert due_soon.startswith("@alice, a friendly reminder: this P1 action item from postmortem")
    assert "due in 3 days (**2026-02-02**)" in due_soon
    assert "/pmbot due YYYY-MM-DD <reason>" in due_soon and "/pmbot snooze 7d" in due_soon
    assert overdue.startswith("@alice, this P1 action item from postmortem #12 reached its due")
    # the owner's options as a three-item list, not one sentence of code spans
    options = [ln for ln in overdue.splitlines() if ln.startswith("- **")]
    assert options == [
        "- **Done?** Close this issue.",
        "- **Needs more time?** Comment `/pmbot due YYYY-MM-DD <reason>` or "
        "`/pmbot snooze 7d <reason>`.",
        "- **Will not be done?** Comment `/pmbot wont-do <reason>`.",
    ]
    assert "was due on **2026-02-02** and is now 3 days overdue" in late_notice()
    assert commander.startswith("@carol @dave @erin, this P1 action item")
    assert "its owner `@alice` was first reminded on 2026-01-30" in commander
    assert "\n- **Find another owner:** `/pmbot owner @user`\n" in commander
    assert again.startswith("Reminder: @carol @dave @erin")
    assert leadership.startswith("@acme/eng-leads, this P1 action item")
    assert "its owner is `@alice`" in leadership  # named, not pinged
    assert repo.labels == ["action-item", "P1", "overdue", "escalated"]


def test_with_the_digest_the_leadership_rung_is_told_once_on_the_item() -> None:
    """The digest (the default) lists the item for the team; the item itself hears once that
    it is listed there, addressed to its owner, and the rung does not repeat on it."""
    repo = Repo(make_item(due=DUE))
    days = {offset: repo.sweep(at(DUE + timedelta(days=offset))) for offset in range(-14, 50)}
    noticed = {offset: plan for offset, plan in days.items() if plan}
    assert sorted(noticed) == [-3, 0, 7, 14, 21]
    steps = [markers.find(c, "reminder")["step"] for c in repo.comments]  # type: ignore[index]
    assert steps == ["due_soon", "overdue", "commander", "commander", "leadership"]
    leadership = repo.comments[-1]
    assert leadership.startswith("@alice, this P1 action item from postmortem #12 has been")
    assert "listed in the leadership digest for `acme/eng-leads`" in leadership
    assert "@acme" not in leadership and "@carol" not in leadership  # asked before: not again
    assert "/pmbot wont-do <reason>" in leadership
    follow = markers.find(leadership, "follow")  # the notice carries the item's state
    assert follow is not None and follow["step"] == "leadership"  # recorded: exactly once
    assert repo.labels == ["action-item", "P1", "overdue", "escalated"]


def test_with_the_digest_an_item_first_seen_that_late_tells_its_commander_too() -> None:
    repo = Repo(make_item(due=DUE))
    repo.sweep(at(DUE + timedelta(days=30)))
    (notice,) = repo.comments
    assert notice.startswith("@alice @carol @dave @erin, this P1 action item")
    assert "the incident commander and authors hear it now too" in notice
    assert "@acme/eng-leads" not in notice  # the team reads the digest


def late_notice() -> str:
    """The overdue notice of an item pmbot first sees three days late."""
    repo = Repo(make_item(due=DUE))
    repo.sweep(at(DUE + timedelta(days=3)))
    return repo.comments[0]


def test_overdue_step_writes_comment_label_and_state() -> None:
    repo = Repo(make_item(due=DUE))
    plan = repo.sweep(at(DUE))
    assert [a.describe().split(":")[0] for a in plan.actions] == [
        "edit body and labels of #101",  # recorded first, with the label (one request) …
        "comment on #101",  # … then posted
    ]
    assert plan.writes == 2
    follow = repo.item().follow
    assert follow.step == "overdue" and follow.last == at(DUE) and follow.due == DUE
    assert follow.pending == Pending(Step.OVERDUE, at(DUE), comments=0)


class FailingComments(FakeGitHub):
    """A fake GitHub whose next `fail` comment posts fail (the body PATCH before them lands)."""

    def __init__(self, fail: int) -> None:
        super().__init__()
        self.fail = fail

    def create_comment(self, number: int, body: str) -> None:
        if self.fail:
            self.fail -= 1
            raise GitHubError("502 Bad Gateway")
        super().create_comment(number, body)


def test_a_recorded_notice_whose_comment_failed_is_posted_again_once() -> None:
    repo = Repo(make_item(due=DUE))
    repo.gh = FailingComments(fail=1)
    repo.gh.issues[repo.number] = FakeIssue(body=make_item(due=DUE).body, labels=["P1"])
    repo.sweep(at(DUE))
    assert not repo.comments and repo.labels == ["P1", "overdue"]  # stopped at the comment
    assert repo.item().follow.pending == Pending(Step.OVERDUE, at(DUE), comments=0)
    later = at(DUE, hour=9)
    plan = repo.sweep(later)
    assert [a.describe().split(":")[0] for a in plan.actions] == [
        "comment on #101",  # the same notice, alone: the marker already records it
    ]
    [notice] = repo.comments
    assert markers.find(notice, "reminder") == {
        "item": 101,
        "step": "overdue",
        "at": "2026-02-02T06:00:00Z",  # the recorded notice, not a new one
    }
    assert notice.startswith("@alice, this P1 action item")  # not a "Reminder:"
    assert not repo.sweep(later)  # the comment count grew: it landed, nothing more to say
    assert not repo.sweep(at(DUE + timedelta(days=6)))
    assert len(repo.comments) == 1


def test_a_failed_record_posts_nothing_and_the_next_run_gives_the_notice_once() -> None:
    repo = Repo(make_item(due=DUE))
    repo.gh.failing.add(repo.number)
    repo.sweep(at(DUE))
    assert repo.gh.calls == [("write", repo.number)]  # the body PATCH failed: nothing posted
    repo.gh.failing.clear()
    repo.sweep(at(DUE))
    assert len(repo.comments) == 1 and repo.item().follow.step is Step.OVERDUE
    assert not repo.sweep(at(DUE))


def test_a_landed_pending_notice_is_kept_until_the_next_notice_replaces_it() -> None:
    repo = Repo(make_item(due=DUE))
    repo.sweep(at(DUE))
    body = repo.gh.issues[repo.number].body
    assert not repo.sweep(at(DUE + timedelta(days=1)))  # a landed pending costs no write
    assert repo.gh.issues[repo.number].body == body
    repo.sweep(at(DUE + timedelta(days=7)))
    pending = repo.item().follow.pending
    assert pending == Pending(Step.COMMANDER, at(DUE + timedelta(days=7)), comments=1)


def test_a_lost_notice_that_no_longer_applies_is_not_posted_again() -> None:
    lost = Pending(Step.UNOWNED, at(DUE - timedelta(days=20)), comments=0)
    follow = FollowState(
        step=Step.UNOWNED, reached=((Step.UNOWNED, lost.at),), last=lost.at, due=DUE, pending=lost
    )
    unowned = make_item(due=DUE, owner=None, follow=follow)
    owned = make_item(due=DUE, follow=follow)  # an owner was found meanwhile
    now = at(DUE - timedelta(days=19))
    assert [a.describe().split(":")[0] for a in plan_item_of(unowned, now)] == ["comment on #101"]
    assert not plan_item_of(owned, now)
    snoozed = make_item(due=DUE, owner=None, follow=replace(follow, snoozed_until=at(DUE)))
    assert not plan_item_of(snoozed, now)


def plan_item_of(item: TrackedItem, now: datetime) -> list[object]:
    return list(plan_sweep([replace(item, comments=0)], now, with_leadership()).actions)


def test_a_second_sweep_at_the_same_now_plans_nothing() -> None:
    for offset in (-3, 0, 7, 21, 40):
        repo = Repo(make_item(due=DUE))
        now = at(DUE + timedelta(days=offset), hour=10)
        assert repo.sweep(now)
        assert not repo.sweep(now)
        assert not repo.sweep(now + timedelta(hours=3))


def test_an_item_first_seen_late_jumps_to_its_rung_with_one_notice() -> None:
    repo = Repo(make_item(due=DUE))
    plan = repo.sweep(at(DUE + timedelta(days=10)))
    assert len(repo.comments) == 1 and "@carol @dave @erin" in repo.comments[0]
    assert "its owner `@alice` has not been reminded before" in repo.comments[0]
    assert repo.labels[-2:] == ["overdue", "escalated"]
    assert plan.writes == 2  # the body with both labels (one request), the comment


def test_unowned_items_go_straight_to_the_incident_commander() -> None:
    repo = Repo(make_item(due=DUE, owner=None))
    repo.sweep(at(DUE - timedelta(days=20)))
    assert repo.comments[0].startswith("@carol, this P1 action item from postmortem #12 has no")
    assert "`/pmbot owner @user`" in repo.comments[0]
    assert not repo.sweep(at(DUE - timedelta(days=19)))
    repo.sweep(at(DUE - timedelta(days=3)))
    assert repo.comments[1].startswith("@carol, a friendly reminder")


def test_unowned_without_a_commander_reaches_the_authors() -> None:
    repo = Repo(make_item(due=DUE, owner=None, commander=None))
    repo.sweep(at(DUE))
    assert repo.comments[0].startswith("@dave @erin, this P1 action item")


def test_without_a_leadership_team_the_commander_rung_is_the_last() -> None:
    repo = Repo(make_item(due=DUE), config=with_leadership(None))
    for offset in range(0, 36):
        repo.sweep(at(DUE + timedelta(days=offset)))
    steps = [markers.find(c, "reminder")["step"] for c in repo.comments]  # type: ignore[index]
    assert steps == ["overdue"] + ["commander"] * 5  # days 7, 14, 21, 28, 35


def test_p0_repeats_faster_than_p3() -> None:
    fast, slow = (
        Repo(make_item(due=DUE, priority=Priority.P0)),
        Repo(make_item(due=DUE, priority=Priority.P3)),
    )
    for offset in range(0, 7):
        fast.sweep(at(DUE + timedelta(days=offset)))
        slow.sweep(at(DUE + timedelta(days=offset)))
    assert len(fast.comments) == 4  # overdue on day 0, repeats on days 2, 4 and 6
    assert len(slow.comments) == 1


def test_a_later_due_date_restarts_the_ladder_and_clears_the_labels() -> None:
    repo = Repo(make_item(due=DUE))
    repo.sweep(at(DUE + timedelta(days=8)))
    assert repo.labels[-2:] == ["overdue", "escalated"]
    # An owner command moved the due date: the item marker changes, the follow marker not yet.
    issue = repo.gh.issues[repo.number]
    info = ItemInfo.from_json(markers.find(issue.body, "item") or {})
    issue.body = markers.replace(issue.body, "item", replace(info, due=date(2026, 3, 20)).to_json())
    plan = repo.sweep(at(DUE + timedelta(days=9)))
    assert [a.describe() for a in plan.actions] == [
        "edit body and labels of #101: labels - overdue, escalated",  # one request
    ]
    assert not repo.sweep(at(DUE + timedelta(days=10)))
    repo.sweep(at(date(2026, 3, 17)))
    assert repo.comments[-1].startswith("@alice, a friendly reminder")


def test_a_snoozed_item_stays_quiet_until_the_snooze_ends() -> None:
    follow = FollowState(due=DUE, snoozed_until=at(DUE + timedelta(days=5)))
    repo = Repo(make_item(due=DUE, follow=follow))
    plan = repo.sweep(at(DUE + timedelta(days=1)))
    assert [a.describe() for a in plan.actions] == [
        "edit body and labels of #101: labels + overdue"  # a fact, not a nag
    ]
    assert not repo.comments
    repo.sweep(at(DUE + timedelta(days=5)))
    assert len(repo.comments) == 1


def test_the_notice_on_the_day_a_snooze_ends_says_so_with_who_and_why() -> None:
    until = at(DUE + timedelta(days=21))
    snooze = Change(at(DUE + timedelta(days=7)), "alice", "snooze", "waiting for the vendor", None)
    follow = FollowState(due=DUE, snoozed_until=until)
    config = with_leadership(digest=False)
    repo = Repo(make_item(due=DUE, follow=follow, history=(snooze,)), config=config)
    repo.sweep(until)
    (notice,) = repo.comments
    assert notice.startswith("@acme/eng-leads") and "its owner is `@alice`" in notice
    assert "The snooze by `@alice` (“waiting for the vendor”) ended today." in notice
    repo.sweep(until + timedelta(days=7))  # the next notice: the snooze is old news
    assert "snooze" not in repo.comments[-1].split("<!--")[0]


def test_closed_items_are_left_alone_labels_included() -> None:
    item = make_item(due=DUE, labels=("overdue",), state="closed")
    assert not plan_sweep([item], at(DUE + timedelta(days=30)), with_leadership())


def test_hostile_logins_in_the_marker_ping_nobody() -> None:
    body = item_marker(
        ItemInfo(pm=1, key="k", priority=Priority.P2, due=DUE, opened=DUE, owner="x` @everyone")
    )
    item = replace(tracked(5, body), comments=None)
    plan = plan_sweep([item], at(DUE), default_config())
    comment = plan.actions[1].describe()  # after the body edit that records it
    assert comment.startswith("comment on #5: `x @everyone`, this P2")


def test_many_items_one_plan_only_changed_items_write() -> None:
    items = [
        make_item(1, due=DUE + timedelta(days=30)),  # not due
        make_item(2, due=DUE + timedelta(days=2)),  # due soon
        make_item(3, due=DUE),  # overdue today
        make_item(4, due=DUE, state="closed"),
    ]
    plan = plan_sweep(items, at(DUE), with_leadership())
    assert sorted(plan.by_issue()) == [2, 3]


# --- postmortem documents ---------------------------------------------------------------

RESOLVED = date(2026, 2, 2)  # a Monday: 5 business days later is Monday 2026-02-09


def pm(**changes: object) -> PostmortemFollow:
    base = PostmortemFollow(
        issue=12,
        severity=Severity.SEV1,
        resolved=RESOLVED,
        commander="carol",
        authors=("dave",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_late_sev1_document_reminds_commander_and_authors() -> None:
    config = default_config()
    assert not plan_postmortem_reminders([pm()], at(date(2026, 2, 9)), config)
    plan = plan_postmortem_reminders([pm()], at(date(2026, 2, 10)), config)
    comment, _state = plan.actions
    assert comment.describe().startswith("comment on #12: @carol @dave, the SEV-1 postmortem")
    gh = FakeGitHub()
    apply(plan, gh, dry_run=False, log=lambda _: None)
    last, count = read_pm_follow(gh.issues[12].comments[-1])
    assert (last, count) == (at(date(2026, 2, 10)), 1)


def test_document_reminders_repeat_at_the_cadence_for_sev1_and_sev2_only() -> None:
    """(Stopping once the document is on the default branch is the sweep's read; see
    test_sweep_github's late-document test.)"""
    config = default_config()
    reminded = pm(last_reminder=at(date(2026, 2, 10)), reminders=1)
    assert not plan_postmortem_reminders([reminded], at(date(2026, 2, 11)), config)
    assert plan_postmortem_reminders([reminded], at(date(2026, 2, 12)), config)  # P0 cadence: 2d
    sev3 = pm(severity=Severity.SEV3)
    assert not plan_postmortem_reminders([sev3], at(date(2026, 3, 1)), config)


# --- budget and dry run over a whole sweep ------------------------------------------------


def repo_of(items: list[TrackedItem]) -> FakeGitHub:
    gh = FakeGitHub()
    for i in items:
        gh.issues[i.number] = FakeIssue(body=i.body, labels=list(i.labels))
    return gh


def reread(gh: FakeGitHub) -> list[TrackedItem]:
    # comments=None as in make_item's items: the plans compare equal
    return [replace(read_back(n, i), comments=None) for n, i in gh.issues.items()]


def test_what_does_not_fit_the_budget_waits_most_urgent_first_and_runs_next_time() -> None:
    items = [
        make_item(1, due=DUE - timedelta(days=3), priority=Priority.P3),  # P3, 3 days late
        make_item(2, due=DUE - timedelta(days=1), priority=Priority.P0),  # P0, 1 day late
        make_item(3, due=DUE - timedelta(days=5), priority=Priority.P1),  # P1, 5 days late
        make_item(4, due=DUE - timedelta(days=2), priority=Priority.P1),  # P1, 2 days late
    ]
    gh, now = repo_of(items), at(DUE)
    kept, deferred = trim_to_budget(plan_sweep(items, now, default_config()), max_writes=4)
    assert list(kept.by_issue()) == [2, 3]
    assert list(deferred.by_issue()) == [4, 1]
    apply(kept, gh, dry_run=False, log=lambda _: None)
    # The next run (same day) plans exactly what was deferred, and then nothing.
    second = plan_sweep(reread(gh), now, default_config())
    assert set(second.actions) == set(deferred.actions)
    apply(second, gh, dry_run=False, log=lambda _: None)
    assert not plan_sweep(reread(gh), now, default_config())


def test_a_dry_run_sweep_writes_nothing_and_changes_nothing() -> None:
    items = [make_item(1, due=DUE), make_item(2, due=DUE + timedelta(days=2))]
    gh, log = repo_of(items), list[str]()
    plan = plan_sweep(items, at(DUE), default_config())
    result = apply(plan, gh, dry_run=True, log=log.append)
    assert gh.calls == [] and result.writes == 0
    assert log[0] == "#1" and log[3] == "#2"  # #1: body and labels, comment
    assert plan_sweep(reread(gh), at(DUE), default_config()) == plan


# --- reading back the state notices carry -----------------------------------------------------


class CommentPages:
    """The repository's comments newest first, 100 a page, and each issue's own; counts reads."""

    def __init__(self, comments: list[tuple[int, str]]) -> None:  # (issue, author), oldest first
        at = datetime(2026, 1, 1, tzinfo=UTC)
        fields = {"author_association": "MEMBER", "created_at": at, "updated_at": at}
        self.comments = [
            CommentSnapshot(
                id=n,
                issue=issue,
                body=FOLLOW_BODY if author == BOT else "thanks",
                author=author,
                html_url="",
                **fields,
            )
            for n, (issue, author) in enumerate(comments, start=1)
        ]
        self.pages = self.per_item = 0

    def login(self) -> str:
        return BOT

    def newest_comments(self) -> Iterator[list[CommentSnapshot]]:
        newest = self.comments[::-1]
        for start in range(0, len(newest), 100):
            self.pages += 1
            yield newest[start : start + 100]

    def list_comments(self, number: int) -> list[CommentSnapshot]:
        self.per_item += 1
        return [c for c in self.comments if c.issue == number]


FOLLOW_BODY = 'Reminder.\n<!-- pmbot:follow {"seq": 1, "step": "overdue"} -->'


def stale(number: int) -> TrackedItem:
    """pmbot's item with one comment its body's state does not account for."""
    return replace(make_item(number), comments=1)


def test_an_items_newest_notice_is_found_in_the_repositorys_newest_comments() -> None:
    # 250 items noticed (pmbot's comments), then 150 comments by people elsewhere
    gh = CommentPages([(n, BOT) for n in range(1, 251)] + [(999, "zed")] * 150)
    items = [stale(n) for n in (250, 120, 3, 4, 5, 6)]
    found = newest_notices(gh, items, max_pages=2)  # type: ignore[arg-type]
    assert {n: [c.id for c in cs] for n, cs in found.items()} == {
        250: [250],
        120: [120],
        3: [3],
        4: [4],
        5: [5],
        6: [6],
    }
    # two pages, then more while more items remain than pages were added: 4 pages in all,
    # not a read per item
    assert (gh.pages, gh.per_item) == (4, 0)


def test_past_the_pages_an_item_or_two_left_are_read_on_their_own() -> None:
    gh = CommentPages([(1, BOT)] + [(999, "zed")] * 1_000)  # item 1's notice is 1,000 back
    found = newest_notices(gh, [stale(1)], max_pages=2)  # type: ignore[arg-type]
    assert [c.id for c in found[1]] == [1]
    assert (gh.pages, gh.per_item) == (3, 1)  # one page more (1 item left), then its own read
