"""The sweep's leadership digest on GitHub: read pmbot's digest issues, plan, apply (see
`pmbot.flows.digest` for what is decided and why)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from pmbot.app.session import Log
from pmbot.flows.digest import own_digests, plan_digests
from pmbot.flows.items import TrackedItem
from pmbot.flows.ladder import DIGEST_LABEL, Ladder
from pmbot.github.client import GitHub
from pmbot.plan import ApplyResult, CreateIssue, Plan, apply


def keep_digests(
    gh: GitHub,
    ladder: Ladder,
    items: Sequence[TrackedItem],
    now: datetime,
    *,
    dry_run: bool,
    log: Log,
    remaining: Callable[[], int | None] | None = None,
    floor: int = 0,
) -> ApplyResult:
    """One listing read (none when the ladder has no digested leadership rung), then the
    digest writes. After filing a digest it reads once more: a run racing this one may have
    filed the team's digest too, and the newer one is closed as a duplicate of the oldest."""
    if not (ladder.leadership_team and ladder.leadership_digest):
        return ApplyResult(dry_run=dry_run)
    plan = _plan(gh, ladder, items, now)
    result = apply(plan, gh, dry_run=dry_run, log=log, remaining=remaining, floor=floor)
    if dry_run or not any(isinstance(a, CreateIssue) for a in plan.actions):
        return result
    plan = _plan(gh, ladder, items, now)
    return result + apply(plan, gh, dry_run=False, log=log, remaining=remaining, floor=floor)


def _plan(gh: GitHub, ladder: Ladder, items: Sequence[TrackedItem], now: datetime) -> Plan:
    issues = gh.list_issues(labels=[DIGEST_LABEL], state="open")
    return plan_digests(items, now, ladder, own_digests(issues, gh.login()))
