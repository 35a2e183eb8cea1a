"""`pmbot sweep --org OWNER`: the daily sweep over every repository of an organisation that
has pmbot installed (a `.github/pmbot.yml`), within the run's scope (flows/org_scope.py:
org.repositories, else an App installation's repositories, else what search finds).

The open action items of all repositories are read through search, 100 a page (sliced by
creation date past search's 1,000 results), so the reads for N items are ⌈N/100⌉ + c however
many repositories the organisation has; then only the repositories that hold items are
visited: their configuration (one read each), the comments the ladder needs, the writes.
Late postmortem documents are found the same way: one search over the open postmortems (or
the board's, which reads them all), and only a repository holding one past its document
deadline (judged from the issue's body) has its documents' tree and pmbot's reminder state
read, as `pmbot sweep` does; a repository without late postmortems costs nothing more.
Writes are paced once for the token, across repositories, as GitHub limits them, and the
run's write budget is shared by its repositories, most urgent item first.

`--shard K/N` sweeps one shard of the repositories (pmbot.flows.shard), for a job matrix:
each shard is a run with its own budget, and `--results FILE` records what it did
(app/sweep_results.py) for a job that gathers the shards'.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from pmbot.app.board import keep_board, severities
from pmbot.app.native import NativeReader
from pmbot.app.session import Log, repo_config, report_stats, stderr_log
from pmbot.app.sweep import (
    RepositoryPlan,
    apply_repository,
    past_deadline,
    plan_repository,
    with_native_plan,
)
from pmbot.app.sweep_results import NOT_INSTALLED, SWEPT, RepositoryResult, SweepResults
from pmbot.core.config import CONFIG_PATH, Config, load_config
from pmbot.core.model import Severity
from pmbot.core.timestamps import iso
from pmbot.errors import PmbotError
from pmbot.flows.board import board_item
from pmbot.flows.items import TrackedItem
from pmbot.flows.org_scope import Scope, decide_scope, within
from pmbot.flows.shard import Shard, search_plan
from pmbot.github.base import RepoBase
from pmbot.github.client import GitHub
from pmbot.github.models import (
    GitHubSettings,
    IssueSnapshot,
    OrgIssue,
    RateLimit,
    RequestStats,
)
from pmbot.github.org import GitHubOrg
from pmbot.plan import ApplyResult, Plan, share_budget


def org_adapters(environ: Mapping[str, str], org: str) -> tuple[GitHubOrg, GitHub]:
    """The organisation's search adapter and GITHUB_REPOSITORY's (where the organisation's
    settings live), sharing one token's identity and pacing."""
    settings = GitHubSettings.from_env(environ)
    finder = GitHubOrg(settings, org=org)
    home = GitHub(settings)
    home.same_token_as(finder)
    return finder, home


def sweep_org(
    environ: Mapping[str, str],
    org: str,
    *,
    dry_run: bool,
    now: datetime,
    config_path: Path | None,
    shard: Shard | None = None,
    results: Path | None = None,
) -> int:
    """Sweep every repository of `org` holding open action items and a pmbot configuration
    (`--config`, when given, stands in for a repository's own); with `shard`, only the
    repositories of that shard. One run's budget.max_writes_per_run (GITHUB_REPOSITORY's)
    is shared by all its repositories, most urgent first; `results` gets what was done."""
    finder, home = org_adapters(environ, org)
    adapters: list[RepoBase] = [finder, home]
    notes: list[str] = []
    record = SweepResults(org, None if shard is None else str(shard), iso(now), dry_run)
    failed = 0
    try:
        remaining = _remaining(adapters, home.log_rate_limit("start"))
        central = repo_config(home, config_path)
        label = central.labels.action_item.name
        scope, scope_notes = decide_scope(
            org, central.org.repositories, finder.reachable_repositories()
        )
        notes += scope_notes
        found, outside = within(_find(finder, org, label, shard, scope, record, notes), scope)
        notes += outside
        by_repository: dict[str, list[IssueSnapshot]] = defaultdict(list)
        for hit in found:
            by_repository[hit.repository].append(hit.issue)
        where = "" if shard is None else f" (shard {shard})"
        notes.append(f"{len(found)} open action items in {len(by_repository)} repositories{where}")
        postmortems = _postmortems(finder, org, central, dry_run)
        open_pms = _open_postmortems(postmortems, shard, scope)
        # A repository without items is visited only for a postmortem past its deadline (by
        # the home configuration's deadlines first: its own are read only then).
        late_only = {r for r, pms in open_pms.items() if past_deadline(pms, central, now)}
        late_only -= set(by_repository)
        planned: dict[str, tuple[GitHub, Config, RepositoryPlan]] = {}
        native = NativeReader(finder)
        followed: list[tuple[str, TrackedItem]] = []
        for repository in sorted(set(by_repository) | late_only):
            gh = repository_adapter(home, finder, repository, adapters)
            config = installed_config(gh, config_path, notes)
            if config is None:
                record.repositories.append(RepositoryResult(repository, NOT_INSTALLED))
                continue
            issues = by_repository.get(repository, [])
            log = _prefixed(repository)
            label_of = config.postmortem_label
            own = [pm for pm in open_pms.get(repository, []) if label_of in pm.labels]
            late = own if past_deadline(own, config, now) else None
            repo_plan = plan_repository(gh, config, now, issues, log, late)
            said: list[str] = []
            repo_plan = with_native_plan(repo_plan, native, config, gh, said)
            notes += [f"{repository}: {note}" for note in said]
            planned[repository] = (gh, config, repo_plan)
            followed += [(repository, item) for item in planned[repository][2].found.items]
        shares = share_budget(
            {name: p.plan for name, (_, _, p) in planned.items()},
            central.budget.max_writes_per_run,
            {name: c.budget.max_writes_per_run for name, (_, c, _) in planned.items()},
        )
        for repository, (gh, config, plan) in planned.items():
            repo_notes: list[str] = []
            result, deferred = apply_repository(
                gh, config, plan, shares[repository], now, dry_run, remaining, repo_notes,
                _prefixed(repository),
            )  # fmt: skip
            notes += [f"{repository}: {note}" for note in repo_notes]
            failed += len(result.failed)
            record.repositories.append(_result(repository, plan, result, deferred))
        notes += _board(finder, central, followed, postmortems, dry_run)
        record.complete = True
        record.exit_code = 1 if failed else 0
    finally:
        home.log_rate_limit("end")
        what = f"sweep --org {org}{'' if shard is None else f' --shard {shard}'}"
        what += " (dry run)" if dry_run else ""
        report_stats(_total(adapters), environ, what, notes=notes)
        for note in notes:
            stderr_log(f"pmbot {what}: {note}")
        if results is not None:
            record.write(results, _total(adapters))
    return 1 if failed else 0


def _find(
    finder: GitHubOrg,
    org: str,
    label: str,
    shard: Shard | None,
    scope: Scope,
    record: SweepResults,
    notes: list[str],
) -> list[OrgIssue]:
    """The open action items of the run's repositories, through search: the organisation's
    query, or for a shard whichever of that and its own repositories by name reads fewer
    pages (see pmbot.flows.shard)."""
    base = f'is:issue is:open label:"{label}"'
    org_query = f"{base} org:{org}"
    if shard is None:
        record.queries = 1
        return finder.search_issues(org_query)
    repositories = None if scope.repositories is None else list(scope.repositories)
    total = finder.search_count(org_query) if repositories is not None else 0
    plan = search_plan(org_query, base, total, shard, repositories)
    record.search_mode, record.queries = plan.mode, len(plan.queries)
    notes.append(
        f"shard {shard}: searched by {plan.mode} ({len(plan.queries)} queries, about "
        f"{plan.expected_pages} pages; the other way about {plan.other_pages})"
    )
    hits = [hit for query in plan.queries for hit in finder.search_issues(query)]
    return [hit for hit in hits if shard.holds(hit.repository)]


def _postmortems(finder: GitHubOrg, org: str, central: Config, dry_run: bool) -> list[OrgIssue]:
    """The organisation's postmortems, one search (100 a page): every one when the board
    needs their severities (an open item's postmortem may be closed), else the open ones."""
    query = f'is:issue label:"{central.postmortem_label}" org:{org}'
    if central.project.board is not None and not dry_run:
        return finder.search_issues(query)
    return finder.search_issues(f"is:open {query}")


def _open_postmortems(
    postmortems: list[OrgIssue], shard: Shard | None, scope: Scope
) -> dict[str, list[IssueSnapshot]]:
    """The open postmortems of the run's repositories (its shard's, within its scope), by
    repository."""
    hits = [hit for hit in postmortems if hit.issue.state == "open"]
    if shard is not None:
        hits = [hit for hit in hits if shard.holds(hit.repository)]
    kept, _ = within(hits, scope)  # the items' search already named what is outside
    found: dict[str, list[IssueSnapshot]] = defaultdict(list)
    for hit in kept:
        found[hit.repository].append(hit.issue)
    return found


def _result(
    repository: str, planned: RepositoryPlan, result: ApplyResult, deferred: Plan
) -> RepositoryResult:
    return RepositoryResult(
        repository,
        SWEPT,
        items=len(planned.found.items),
        writes=result.planned_writes if result.dry_run else result.writes,
        planned_writes=planned.plan.writes,
        deferred_writes=deferred.writes,
        failed=tuple(sorted(f.issue for f in result.failed)),
    )


def _remaining(adapters: list[RepoBase], start: RateLimit | None) -> Callable[[], int | None]:
    """Core requests left in the window, counted across every adapter of the token from the
    start without asking again (None where GitHub has no rate limit, as GHES may not)."""
    if start is None:
        return lambda: None
    used = _total(adapters).rate_limited_requests
    return lambda: start.remaining - (_total(adapters).rate_limited_requests - used)


def _board(
    finder: GitHubOrg,
    central: Config,
    followed: list[tuple[str, TrackedItem]],
    hits: list[OrgIssue],
    dry_run: bool,
) -> list[str]:
    """The organisation's items on the board of `project.board`, each with its postmortem's
    severity (from `hits`, the organisation's postmortems, see `_postmortems`)."""
    board = central.project.board
    if board is None:
        return []
    if dry_run:
        return keep_board(finder, board, [], central, dry_run, count=len(followed))
    severity: dict[tuple[str, int], Severity] = {}
    for repository in {hit.repository for hit in hits}:
        found = severities(hit.issue for hit in hits if hit.repository == repository)
        severity.update({(repository, n): s for n, s in found.items()})
    items = [
        board_item(item, repository, severity.get((repository, item.info.pm)))
        for repository, item in followed
    ]
    return keep_board(finder, board, items, central, dry_run)


def _prefixed(repository: str) -> Log:
    """Log lines that say which repository they are about (issue numbers repeat)."""
    return lambda line: stderr_log(f"{repository}: {line}")


def repository_adapter(
    home: GitHub, finder: GitHubOrg, repository: str, adapters: list[RepoBase]
) -> GitHub:
    """An adapter for one of the organisation's repositories, sharing the run's token identity
    and pacing, and counted with the run's other adapters."""
    gh = GitHub(replace(home.settings, repository=repository))
    gh.same_token_as(finder)
    adapters.append(gh)
    return gh


def installed_config(gh: GitHub, config_path: Path | None, notes: list[str]) -> Config | None:
    """The repository's configuration, or None (and a note) where pmbot is not installed."""
    config = _config(gh, config_path)
    if config is None:
        notes.append(f"{gh.settings.repository}: no {CONFIG_PATH}, pmbot is not installed; skipped")
    return config


def _config(gh: GitHub, config_path: Path | None) -> Config | None:
    """The repository's configuration; None where pmbot is not installed."""
    if config_path is not None:
        return load_config(config_path)
    found = gh.read_file(CONFIG_PATH)
    if found is None:
        return None
    try:
        return load_config(text=found.text)
    except PmbotError as error:  # one repository's bad file must not stop the others
        stderr_log(f"pmbot sweep: {gh.settings.repository}: {error}")
        return None


def _total(adapters: list[RepoBase]) -> RequestStats:
    """Every adapter's requests as one count (they share the token)."""
    methods: Counter[str] = Counter()
    sums: Counter[str] = Counter()
    waited = 0.0
    for gh in adapters:
        stats = gh.stats
        methods.update(dict(stats.by_method))
        sums.update(
            requests=stats.requests, reads=stats.reads, writes=stats.writes,
            not_modified=stats.not_modified, retries=stats.retries, waits=stats.waits,
        )  # fmt: skip
        waited += stats.waited_seconds
    return RequestStats(
        **sums, by_method=tuple(sorted(methods.items())), waited_seconds=round(waited, 3)
    )
