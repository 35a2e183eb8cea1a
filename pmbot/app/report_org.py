"""`pmbot report --org OWNER`: the program report across every repository of an organisation
that has pmbot installed (a `.github/pmbot.yml`), with a breakdown by repository (a team's).

Postmortems and action items are read through search (`is:issue label:… org:OWNER`, 100 a
page, sliced by creation date past search's 1,000 results), so those reads are ⌈N/100⌉ + c
for N issues however many repositories the organisation has. Each repository that holds
any is then read once for its configuration and, where it holds postmortems, up to
PUBLISHED_PAGES list reads to date its documents (as `pmbot report` does). `--post` updates
one report issue in `org.central_repository` and the central library index there
(app/central_index.py), through the plan (a dry run prints it).

The program targets (flows/targets.py) are measured over every postmortem and item of the
organisation against the goals of the home configuration (GITHUB_REPOSITORY's, as the
breakdown's on-time target): `report`, `similar.window_days`. Each repository's own
configuration only reads its issues (the form, its labels: which items count as fixed).
A service is its repository's (`OWNER/NAME:service`) for repeat incidents, recurrence
and the time between incidents. The quality score reads one comment per postmortem labelled
`labels.scored` (as `pmbot report` does), the ORG_SCORE_READS most recent at most: past
that, the score says it is over those.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from pmbot.app.central_index import check_central, keep_central_index
from pmbot.app.intake import parse
from pmbot.app.report import published_dates
from pmbot.app.session import repo_config, report_stats, stderr_log
from pmbot.app.sweep import track
from pmbot.app.sweep_org import (
    _prefixed,
    _total,
    installed_config,
    org_adapters,
    repository_adapter,
)
from pmbot.app.sweep_results import gather, read_results
from pmbot.core.config import CONFIG_PATH, Config
from pmbot.core.reading import Intake
from pmbot.errors import PmbotError, Problem
from pmbot.flows.items import TrackedItem
from pmbot.flows.org_scope import decide_scope, within
from pmbot.flows.report import PostmortemRecord, compute_report
from pmbot.flows.report_post import REPORT_LABEL, own_reports, plan_report_post
from pmbot.flows.scores import read_ledger
from pmbot.flows.targets import ProgramTargets, compute_targets, fixed_on, with_targets
from pmbot.github.base import RepoBase
from pmbot.github.client import GitHub
from pmbot.github.models import IssueSnapshot
from pmbot.plan import apply
from pmbot.render.report import Format, PostmortemRef, Report, render_org_report

# Peer-review scores are one comment read per scored postmortem: across an organisation,
# at most this many (the most recent incidents first), so the report's cost stays bounded.
ORG_SCORE_READS = 50


def report_org(
    environ: Mapping[str, str],
    org: str,
    *,
    fmt: Format,
    now: datetime,
    post: bool,
    config_path: Path | None,
    dry_run: bool = False,
    sweep_results: Path | None = None,
) -> int:
    """The organisation's report on stdout; `--post` also keeps the report issue of
    `org.central_repository` (GITHUB_REPOSITORY's configuration) up to date. With
    `sweep_results` (a folder of `sweep --org --results` files, one per shard), the run's
    summary also says what each shard did, and the exit code is 1 when one is missing,
    stopped early or failed items."""
    gathered = read_results(sorted(sweep_results.glob("*.json"))) if sweep_results else None
    finder, home = org_adapters(environ, org)
    adapters: list[RepoBase] = [finder, home]
    notes: list[str] = []
    code = 0
    try:
        central = repo_config(home, config_path)
        target = central.org.central_repository
        if post and target is None:
            raise PmbotError(
                [
                    Problem(
                        field=f"org.central_repository in {CONFIG_PATH} of "
                        f"{home.settings.repository}",
                        message="report --org --post needs it and it is not set.",
                        fix="add `org:` / `  central_repository: OWNER/NAME` (the repository "
                        "that holds the program report and the central library index).",
                    )
                ]
            )
        pm_label = central.postmortem_label
        ai_label = central.labels.action_item.name
        scope, scope_notes = decide_scope(
            org, central.org.repositories, finder.reachable_repositories()
        )
        notes += scope_notes
        found: dict[str, dict[str, list[IssueSnapshot]]] = defaultdict(lambda: defaultdict(list))
        for kind, label in (("postmortems", pm_label), ("items", ai_label)):
            hits, outside = within(
                finder.search_issues(f'is:issue label:"{label}" org:{org}'), scope
            )
            notes += [f"{kind}: {note}" for note in outside]
            for hit in hits:
                found[hit.repository][kind].append(hit.issue)
        records: list[PostmortemRecord] = []
        items: list[TrackedItem] = []
        by_repository: dict[str, Report] = {}
        installed: list[tuple[GitHub, Config]] = []
        fixed: dict[PostmortemRef, date] = {}
        scored: list[tuple[PostmortemRecord, GitHub]] = []
        for repository in sorted(found):
            gh = repository_adapter(home, finder, repository, adapters)
            config = installed_config(gh, config_path, notes)
            if config is None:
                continue
            installed.append((gh, config))
            mine: list[PostmortemRecord] = []
            postmortems = found[repository]["postmortems"]
            published = published_dates(gh, config) if postmortems else None
            for issue in postmortems:
                result = parse(issue, config)
                if isinstance(result, Intake) and published is not None:
                    day = published(result.postmortem, issue.number)
                    record = PostmortemRecord.from_postmortem(
                        result.postmortem, issue.number, day, repository
                    )
                    mine.append(record)
                    if config.labels.scored.name in issue.labels:
                        scored.append((record, gh))
            tracked = track(gh, found[repository]["items"], config, _prefixed(repository)).items
            fixed |= {PostmortemRef(repository, n): d for n, d in fixed_on(tracked, config).items()}
            by_repository[repository] = compute_report(mine, tracked, now, config)
            records += mine
            items += tracked
        notes.append(
            f"{len(records)} postmortems and {len(items)} action items "
            f"in {len(by_repository)} repositories with pmbot"
        )
        overall = compute_report(records, items, now, central)
        targets = _targets(records, overall, now, central, fixed, scored)
        text = with_targets(render_org_report(overall, by_repository, fmt), fmt, targets)
        sys.stdout.write(text)
        if post and target is not None:
            body = (
                with_targets(render_org_report(overall, by_repository, "md"), "md", targets)
                if fmt != "md"
                else text
            )
            gh = repository_adapter(home, finder, target, adapters)
            check_central(gh, home.settings.repository)
            mine_reports = own_reports(
                gh.list_issues(labels=[REPORT_LABEL], state="open"), gh.login()
            )
            plan = plan_report_post(body, mine_reports)
            done = apply(plan, gh, dry_run=dry_run, log=stderr_log)
            notes.append(f"report issue in {target}: {len(plan.actions)} writes planned")
            kept, more = keep_central_index(
                gh, installed, central, owner=org, dry_run=dry_run, log=stderr_log
            )
            notes += more
            code = 1 if done.failed or kept.failed else 0
        if gathered is not None:
            lines, complete = gather(gathered)
            notes += lines
            code = code or (0 if complete else 1)
    finally:
        what = f"report --org {org}{' (dry run)' if dry_run else ''}"
        report_stats(_total(adapters), environ, what, notes=notes)
        for note in notes:
            stderr_log(f"pmbot {what}: {note}")
    return code


def _targets(
    records: list[PostmortemRecord],
    overall: Report,
    now: datetime,
    central: Config,
    fixed: Mapping[PostmortemRef, date],
    scored: list[tuple[PostmortemRecord, GitHub]],
) -> ProgramTargets:
    """The program targets across the organisation, with the home configuration's goals;
    the scores of the ORG_SCORE_READS most recently dated scored postmortems."""
    scored.sort(key=lambda s: (s[0].day or date.min, s[0].repository, s[0].number), reverse=True)
    read = scored[:ORG_SCORE_READS]
    scores = {
        record.ref: read_ledger(gh.list_comments(record.number), gh.login()).values()
        for record, gh in read
    }
    found = compute_targets(records, overall, now, central, scores=scores, fixed=fixed)
    if len(scored) <= ORG_SCORE_READS:
        return found
    note = f"; the {len(read)} most recent of {len(scored)} scored postmortems"
    return replace(
        found,
        targets=tuple(
            replace(t, shown=t.shown + note) if t.id == "quality_score" else t
            for t in found.targets
        ),
    )
