"""`pmbot sweep`: the daily follow-up of every open action item and late postmortem."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pmbot.app.board import repository_board
from pmbot.app.digest import keep_digests
from pmbot.app.forms import action_item_form
from pmbot.app.intake import parse
from pmbot.app.native import NativeReader
from pmbot.app.session import Log, session, stderr_log
from pmbot.core import markers
from pmbot.core.config import Config
from pmbot.core.model import Postmortem, utc
from pmbot.core.reading import Intake
from pmbot.flows import intake as planner
from pmbot.flows.items import (
    ItemsRead,
    TrackedItem,
    has_note,
    may_hold_newer_state,
    plan_not_followed,
    read_items,
    with_comments,
)
from pmbot.flows.ladder import (
    PM_FOLLOW,
    Ladder,
    PostmortemFollow,
    plan_item,
    plan_postmortem_reminders,
    plan_sweep,
    read_pm_follow,
    target_step,
)
from pmbot.flows.native import plan_native
from pmbot.flows.tracking import FOLLOW, Step
from pmbot.github.client import GitHub
from pmbot.github.models import CommentSnapshot, IssueSnapshot
from pmbot.plan import (
    Action,
    ApplyResult,
    CreateComment,
    ItemKey,
    Plan,
    Refresh,
    UpdateBody,
    apply,
    trim_to_budget,
)
from pmbot.render.document import document_path


def tracked_items(
    gh: GitHub,
    config: Config,
    state: str,
    log: Log,
    needs_state: Callable[[TrackedItem], bool] = lambda _: False,
) -> ItemsRead:
    """Every action item under the trust rule of `pmbot.flows.items`: one read per 100; for
    the items `needs_state` names (the sweep's: the ladder may act on it today) whose comments
    may hold a newer state, pmbot's comments too (see `track`). Unreadable items are reported
    and skipped."""
    issues = gh.list_issues(labels=[config.labels.action_item.name], state=state)
    return track(gh, issues, config, log, needs_state)


def track(
    gh: GitHub,
    issues: Sequence[IssueSnapshot],
    config: Config,
    log: Log,
    needs_state: Callable[[TrackedItem], bool] = lambda _: False,
) -> ItemsRead:
    """`tracked_items` over issues already read (a listing, or an organisation's search).

    Comments are read only for an item that `needs_state` and `may_hold_newer_state`: a
    hand-filed one's own comments (one read each: its history is there too); for pmbot's own
    items, the repository's comments newest first until each one's newest notice is found
    (one read per hundred comments, see `newest_notices`)."""
    me = gh.login()  # after the read, which may be what tells who pmbot is
    found = read_items(issues, bot_login=me, config=config, form=action_item_form())

    def needs_comments(item: TrackedItem) -> bool:
        return may_hold_newer_state(item) and needs_state(item)

    # The repository's newest comments are read at most as many pages as the items took.
    pages = max(2, math.ceil(len(issues) / 100))
    comments = _comments_of(gh, [i for i in found.items if needs_comments(i)], {}, pages)
    if gh.login() != me:
        # An App token with only hand-filed items listed: pmbot's own comments on them were
        # the first text of its own this run read, so read the items again as that login.
        me = gh.login()
        found = read_items(issues, bot_login=me, config=config, form=action_item_form())
        wanted = [i for i in found.items if needs_comments(i)]
        comments = _comments_of(gh, wanted, comments, pages)
    for problem in found.problems:
        log(f"pmbot: skipping {problem.render()}")
    items = tuple(
        with_comments(i, comments[i.number], me) if i.number in comments else i for i in found.items
    )
    return replace(found, items=items)


def _comments_of(
    gh: GitHub,
    items: Sequence[TrackedItem],
    known: dict[int, Sequence[CommentSnapshot]],
    max_pages: int,
) -> dict[int, Sequence[CommentSnapshot]]:
    """The comments that hold these items' state, beside those `known` already."""
    comments = dict(known)
    for item in items:
        if item.hand_filed and item.number not in comments:
            comments[item.number] = gh.list_comments(item.number)
    own = [i for i in items if not i.hand_filed and i.number not in comments]
    comments.update(newest_notices(gh, own, max_pages))
    return comments


def newest_notices(
    gh: GitHub, items: Sequence[TrackedItem], max_pages: int
) -> dict[int, Sequence[CommentSnapshot]]:
    """For each of pmbot's own items, its comments from the newest back to pmbot's newest one
    carrying a follow state, or to the last one its body's state accounts for, whichever comes
    first: what `with_comments` needs. The repository's comments are read newest first, one
    read per hundred, `max_pages` of them; past that, a page more only while fewer pages were
    added than items remain unsettled (each of which would otherwise cost a read: so the
    pages added never cost more than twice what reading those items would have); an item
    still unsettled then has its own comments read (one read each)."""
    newer = {i.number: (i.comments or 0) - i.follow.accounted for i in items}
    seen: dict[int, list[CommentSnapshot]] = {n: [] for n in newer}
    open_ = {n for n, count in newer.items() if count > 0}
    if open_:
        me = gh.login()
        for pages, page in enumerate(gh.newest_comments(), start=1):
            for comment in page:
                if comment.issue not in open_:
                    continue
                seen[comment.issue].append(comment)
                mine = comment.author == me and markers.has(comment.body, FOLLOW)
                if mine or len(seen[comment.issue]) >= newer[comment.issue]:
                    open_.discard(comment.issue)
            if not open_ or (pages >= max_pages and pages - max_pages >= len(open_)):
                break
    for number in open_:
        seen[number] = gh.list_comments(number)
    return {number: tuple(found) for number, found in seen.items()}


def not_followed_plan(gh: GitHub, found: ItemsRead, config: Config) -> Plan:
    """The note for hand-filed items pmbot does not follow; comments are read only for one
    not yet labelled that has comments (a run stopped between the note and the label)."""
    label, me = config.labels.not_followed.name, gh.login()
    noted = [
        i.number
        for i in found.not_followed
        if i.state == "open" and label not in i.labels and i.comments
        and has_note(gh.list_comments(i.number), me)
    ]  # fmt: skip
    return plan_not_followed(found.not_followed, noted, found.items, config)


def _own_comment(gh: GitHub, number: int, kind: str) -> str | None:
    comments = gh.list_comments(number)
    me = gh.login()
    return next((c.body for c in comments if c.author == me and markers.has(c.body, kind)), None)


def past_deadline(
    issues: Iterable[IssueSnapshot], config: Config, now: datetime
) -> list[tuple[IssueSnapshot, Postmortem]]:
    """The open SEV-1/2 postmortems among `issues` past their document deadline, judged from
    their bodies alone (no read): whether the document is published is not known yet."""
    from pmbot.core.figures import postmortem_due

    business = {str(s): n for s, n in config.severity_due_business_days.items()}
    late = []
    for issue in issues:
        if issue.state != "open":
            continue
        result = parse(issue, config) if planner.allowed(issue, config) else None
        pm = result.postmortem if isinstance(result, Intake) else None
        if pm is None or pm.resolved is None:
            continue
        due = postmortem_due(pm.resolved.date(), pm.severity, business)
        if due is None or now.date() <= due:
            continue
        late.append((issue, pm))
    return late


def late_postmortems(
    gh: GitHub, config: Config, now: datetime, issues: Iterable[IssueSnapshot] | None = None
) -> list[PostmortemFollow]:
    """Open SEV-1/2 postmortems past their document deadline with no document on the
    default branch: one tree read, then one comment read per late postmortem only. The
    repository's open postmortems are listed unless `issues` gives them (an organisation's
    search found them)."""
    published = {path for path, _ in gh.list_tree(config.docs_dir)}
    if issues is None:
        issues = gh.list_issues(labels=[config.postmortem_label], state="open")
    late = []
    for issue, pm in past_deadline(issues, config, now):
        assert pm.resolved is not None  # past_deadline keeps only resolved ones
        # Its own path, or the one documents had before paths carried the issue number.
        paths = {document_path(pm, config.docs_dir, legacy=old).as_posix() for old in (False, True)}
        if paths & published:
            continue
        last, count = read_pm_follow(_own_comment(gh, issue.number, PM_FOLLOW))
        follow = PostmortemFollow(
            issue.number, pm.severity, pm.resolved.date(), pm.incident_commander, pm.authors,
            last, count,
        )  # fmt: skip
        late.append(follow)
    return late


def sweep(
    environ: Mapping[str, str], *, dry_run: bool, now: datetime, config_path: Path | None
) -> int:
    """`pmbot sweep`: reminders, overdue notices and escalations over open action items, and
    reminders for postmortem documents past their deadline."""
    notes: list[str] = []
    what = f"sweep{' (dry run)' if dry_run else ''}"
    with session(environ, config_path, what, notes) as (gh, config):
        try:
            remaining = _remaining(gh, gh.log_rate_limit("start"))
            planned = plan_repository(gh, config, now)
            planned = with_native_plan(planned, NativeReader(gh), config, gh, notes)
            budget = config.budget.max_writes_per_run
            result, _ = apply_repository(
                gh, config, planned, budget, now, dry_run, remaining, notes
            )
            notes += repository_board(gh, config, planned.found.items, dry_run)
        finally:
            gh.log_rate_limit("end")
            for note in notes:
                stderr_log(f"pmbot sweep: {note}")
    return 1 if result.failed else 0


def sweep_repository(
    gh: GitHub,
    config: Config,
    now: datetime,
    dry_run: bool,
    remaining: Callable[[], int | None],
    notes: list[str],
    issues: Sequence[IssueSnapshot] | None = None,
    log: Log = stderr_log,
) -> ApplyResult:
    """One repository's sweep: its open action items (`issues` when already read, as an
    organisation's search does), the ladder, the not-followed notes and, for a repository
    swept on its own, late postmortem documents; trimmed to the budget and applied."""
    planned = plan_repository(gh, config, now, issues, log)
    budget = config.budget.max_writes_per_run
    result, _ = apply_repository(gh, config, planned, budget, now, dry_run, remaining, notes, log)
    return result


@dataclass(frozen=True)
class RepositoryPlan:
    """A repository's sweep as planned, before the budget: its items as read and the plan."""

    found: ItemsRead
    plan: Plan


def plan_repository(
    gh: GitHub,
    config: Config,
    now: datetime,
    issues: Sequence[IssueSnapshot] | None = None,
    log: Log = stderr_log,
    postmortems: Iterable[IssueSnapshot] | None = None,
) -> RepositoryPlan:
    """The reads and the plan of `sweep_repository` (an organisation's sweep plans every
    repository first, then shares one run's budget between them). Late postmortem documents
    are planned for a repository swept on its own (its postmortems listed), or from
    `postmortems` when given (an organisation's search found them)."""
    ladder, today = Ladder.from_config(config), utc(now).date()

    def needs_state(item: TrackedItem) -> bool:
        """Whether the ladder may act on the item today: for pmbot's own item, judged from
        its body's state (a newer state in a comment never makes it act when that did not)."""
        if item.hand_filed:
            return target_step(item, today, ladder) is not Step.NONE
        return item.is_open and bool(plan_item(item, utc(now), ladder))

    if issues is None:
        found = tracked_items(gh, config, "open", log, needs_state)
    else:
        found = track(gh, issues, config, log, needs_state)
    plan = plan_sweep(found.items, now, config)
    plan += not_followed_plan(gh, found, config)
    if issues is None or postmortems is not None:
        late = late_postmortems(gh, config, now, postmortems)
        plan += plan_postmortem_reminders(late, now, config)
    return RepositoryPlan(found, plan)


def with_native_plan(
    planned: RepositoryPlan, reader: NativeReader, config: Config, gh: GitHub, notes: list[str]
) -> RepositoryPlan:
    """The repository's plan with its open items' issue type and fields kept in step
    (`issues`), and what the owner lacks of them in `notes`."""
    native = reader.native(config, gh.settings.owner)
    notes += [p for p in native.problems if p not in notes]
    if not native.active:
        return planned
    return replace(planned, plan=planned.plan + plan_native(planned.found.items, native))


def apply_repository(
    gh: GitHub,
    config: Config,
    planned: RepositoryPlan,
    max_writes: int,
    now: datetime,
    dry_run: bool,
    remaining: Callable[[], int | None],
    notes: list[str],
    log: Log = stderr_log,
) -> tuple[ApplyResult, Plan]:
    """The leadership digest kept (a write per team at most, outside `max_writes`: the one
    write the team reads is never deferred), then the planned sweep trimmed to `max_writes`,
    most urgent first, and applied; what was done and what was deferred to the next run."""
    floor = config.budget.rate_limit_floor
    ladder, items = Ladder.from_config(config), planned.found.items
    digest = keep_digests(
        gh, ladder, items, now, dry_run=dry_run, log=log, remaining=remaining, floor=floor
    )
    kept, deferred = trim_to_budget(planned.plan, max_writes)
    refresh = replan_if_changed(gh, items, now, config, log)
    result = apply(
        kept, gh, dry_run=dry_run, log=log, remaining=remaining, floor=floor, refresh=refresh
    )
    notes += _sweep_notes(result, deferred)
    return digest + result, deferred


def replan_if_changed(
    gh: GitHub, items: Sequence[TrackedItem], now: datetime, config: Config, log: Log
) -> Refresh:
    """Right before the sweep rewrites an item's body: if the item changed since the list
    was read (a `/pmbot due` command in between, say), plan it again from what it holds now,
    so the sweep never writes back a body older than the command's. The check is a
    conditional request: "not modified" is a 304, which costs no rate limit."""
    listed = {i.number: i for i in items}

    def refresh(key: ItemKey, actions: tuple[Action, ...]) -> tuple[Action, ...]:
        item = listed.get(key[0])
        if item is None or item.updated_at is None:
            return actions
        if not any(_records_state(item, a) for a in actions):
            return actions
        fresh = gh.issue_if_changed(item.number, item.updated_at)
        if fresh is None:
            return actions
        log(f"#{item.number} changed since the sweep read it; planning it again")
        me = gh.login()
        found = read_items([fresh], bot_login=me, config=config, form=action_item_form())
        again = list(found.items)
        if not again or again[0].state != "open":
            return ()
        if may_hold_newer_state(again[0]):  # its state may be in pmbot's comments
            again = [with_comments(again[0], gh.list_comments(item.number), me)]
        return plan_sweep(again, now, config).by_item().get(key, ())

    return refresh


def _records_state(item: TrackedItem, action: Action) -> bool:
    """Whether the write records the item's follow state: its body (with its labels), or the
    notice that carries it."""
    if isinstance(action, UpdateBody):
        return True
    return isinstance(action, CreateComment) and markers.has(action.body, FOLLOW)


def _remaining(gh: GitHub, start: Any) -> Callable[[], int | None]:
    """Requests left in the rate-limit window, counted from the start without asking again."""
    if start is None:
        return lambda: None
    used = gh.stats.rate_limited_requests
    return lambda: int(start.remaining) - (gh.stats.rate_limited_requests - used)


def _sweep_notes(result: ApplyResult, deferred: Plan) -> list[str]:
    notes = []
    if deferred:
        notes.append(
            f"deferred {deferred.writes} writes for {len(deferred.by_issue())} items to the "
            "next run (budget.max_writes_per_run); the most urgent went first"
        )
    if result.stopped_at_floor:
        notes.append(
            f"stopped at the rate-limit floor; {len(result.skipped)} items wait for the next run"
        )
    if result.failed:
        notes.append(f"{len(result.failed)} items failed and will be retried next run")
    return notes


# --- report ---------------------------------------------------------------------------------
