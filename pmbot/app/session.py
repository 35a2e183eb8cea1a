"""What every GitHub command shares: the adapter, the repository's configuration and the
request-count report at the end of a run."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from pmbot.core.config import CONFIG_PATH, Config, load_config
from pmbot.github.client import GitHub
from pmbot.github.models import GitHubSettings, RequestStats

Log = Callable[[str], None]


def stderr_log(line: str) -> None:
    print(line, file=sys.stderr)


# --- set-up -------------------------------------------------------------------------------


def connect(environ: Mapping[str, str], config: Config | None = None) -> GitHub:
    """The adapter for GITHUB_REPOSITORY, paced to the configured write limits."""
    settings = GitHubSettings.from_env(environ)
    if config is not None:
        settings = replace(
            settings,
            writes_per_minute=config.budget.writes_per_minute,
            writes_per_hour=config.budget.writes_per_hour,
        )
    return GitHub(settings)


def repo_config(gh: GitHub, config_path: Path | None) -> Config:
    """`--config` when given, else the repository's `.github/pmbot.yml`, else the defaults."""
    if config_path is not None:
        return load_config(config_path)
    found = gh.read_file(CONFIG_PATH)
    return load_config(text=found.text) if found is not None else load_config()


def report_requests(
    gh: GitHub,
    environ: Mapping[str, str],
    what: str,
    log: Log = stderr_log,
    notes: Sequence[str] = (),
) -> None:
    """The run's request count on stderr and, when set, in GITHUB_STEP_SUMMARY."""
    report_stats(gh.stats, environ, what, log, notes)


def report_stats(
    stats: RequestStats,
    environ: Mapping[str, str],
    what: str,
    log: Log = stderr_log,
    notes: Sequence[str] = (),
) -> None:
    line = f"pmbot {what}: {stats.describe()}"
    log(line)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as out:
            out.write("".join(f"- {text}\n" for text in (line, *notes)))


@contextlib.contextmanager
def session(
    environ: Mapping[str, str], config_path: Path | None, what: str, notes: Sequence[str] = ()
) -> Iterator[tuple[GitHub, Config]]:
    """A command's adapter and configuration; its request count is reported however it ends
    (notes: read at the end, so a list the command fills in as it goes)."""
    gh = connect(environ)
    config = repo_config(gh, config_path)
    try:
        yield gh, config
    finally:
        report_requests(gh, environ, what, notes=notes)


# --- intake: reading ------------------------------------------------------------------------
