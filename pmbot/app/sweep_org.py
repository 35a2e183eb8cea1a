"""`pmbot sweep --org OWNER`: the daily sweep over every repository of an organisation that
has pmbot installed (a `.github/pmbot.yml`).

The open action items of all repositories are read through search, 100 a page (sliced by
creation date past search's 1,000 results), so the reads for N items are ⌈N/100⌉ + c however
many repositories the organisation has; then only the repositories that hold items are
visited: their configuration (one read each), the comments the ladder needs, the writes.
Writes are paced once for the token, across repositories, as GitHub limits them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from pmbot.app.forms import action_item_form
from pmbot.app.session import Log, repo_config, report_stats, stderr_log
from pmbot.app.sweep import sweep_repository
from pmbot.core.config import CONFIG_PATH, Config, load_config
from pmbot.errors import PmbotError
from pmbot.flows.board import FIELDS, board_item, board_ref
from pmbot.flows.items import read_items
from pmbot.github.base import RepoBase
from pmbot.github.client import GitHub
from pmbot.github.models import (
    BoardItem,
    GitHubSettings,
    IssueSnapshot,
    RateLimit,
    RequestStats,
)
from pmbot.github.org import GitHubOrg
from pmbot.github.projects import ProjectBoard


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
) -> int:
    """Sweep every repository of `org` holding open action items and a pmbot configuration
    (`--config`, when given, stands in for a repository's own)."""
    finder, home = org_adapters(environ, org)
    adapters: list[RepoBase] = [finder, home]
    notes: list[str] = []
    failed = 0
    try:
        remaining = _remaining(adapters, home.log_rate_limit("start"))
        central = repo_config(home, config_path)
        label = central.labels.action_item.name
        found = finder.search_issues(f'is:issue is:open label:"{label}" org:{org}')
        by_repository: dict[str, list[IssueSnapshot]] = defaultdict(list)
        for hit in found:
            by_repository[hit.repository].append(hit.issue)
        notes.append(f"{len(found)} open action items in {len(by_repository)} repositories")
        on_board: list[BoardItem] = []
        for repository in sorted(by_repository):
            gh = repository_adapter(home, finder, repository, adapters)
            config = installed_config(gh, config_path, notes)
            if config is None:
                continue
            issues = by_repository[repository]
            repo_notes: list[str] = []
            result = sweep_repository(
                gh, config, now, dry_run, remaining, repo_notes, issues,
                log=_prefixed(repository),
            )  # fmt: skip
            notes += [f"{repository}: {note}" for note in repo_notes]
            failed += len(result.failed)
            me = finder.login()
            form = action_item_form()
            tracked = read_items(issues, bot_login=me, config=config, form=form).items
            on_board += [board_item(item, repository) for item in tracked]
        if central.project.board is not None:
            notes += _board(finder, central.project.board, on_board, dry_run)
    finally:
        home.log_rate_limit("end")
        what = f"sweep --org {org}{' (dry run)' if dry_run else ''}"
        report_stats(_total(adapters), environ, what, notes=notes)
        for note in notes:
            stderr_log(f"pmbot {what}: {note}")
    return 1 if failed else 0


def _remaining(adapters: list[RepoBase], start: RateLimit | None) -> Callable[[], int | None]:
    """Core requests left in the window, counted across every adapter of the token from the
    start without asking again (None where GitHub has no rate limit, as GHES may not)."""
    if start is None:
        return lambda: None
    used = _total(adapters).rate_limited_requests
    return lambda: start.remaining - (_total(adapters).rate_limited_requests - used)


def _board(finder: GitHubOrg, board: str, items: list[BoardItem], dry_run: bool) -> list[str]:
    """Keep the items on the board; in a dry run, only say so."""
    if dry_run:
        return [f"project {board}: would keep {len(items)} items in step (dry run)"]
    done = ProjectBoard(finder, board_ref(board)).sync(FIELDS, items)
    created = ", ".join(done.fields_created) or "none"
    notes = [
        f"project {board}: {done.items_added} items added, {done.items_updated} updated "
        f"({done.values_written} values), fields created: {created}"
    ]
    return notes + [f"project {board}: {problem}" for problem in done.problems]


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
