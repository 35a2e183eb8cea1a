"""The central library index, kept by `pmbot report --org OWNER --post`: every repository's
documents in one README.md and index.json under `org.index_dir` of `org.central_repository`.

Reads: one per repository with pmbot (its index.json on the default branch; a repository
without one is named and left out), then the central repository's default branch and tree.
Writes: one commit on the central repository's default branch when the index changed, none
otherwise, as the single-repository `report --post` refreshes its documents; a dry run
prints the plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from pmbot.app.session import Log
from pmbot.core.config import CONFIG_PATH, Config
from pmbot.errors import PmbotError, Problem
from pmbot.flows.central_index import RepositoryLibrary, central_index, plan_central_index
from pmbot.flows.publish import INDEX_JSON
from pmbot.github.client import GitHub
from pmbot.github.transport import GitHubHTTPError
from pmbot.plan import ApplyResult, apply


def check_central(central: GitHub, home: str) -> None:
    """Stop, naming the setting, when the central repository cannot be read (one read, which
    the index needs anyway: its default branch)."""
    try:
        central.default_branch()
    except GitHubHTTPError as exc:
        if exc.status not in (403, 404):
            raise
        name = central.settings.repository
        raise PmbotError(
            [
                Problem(
                    field=f"org.central_repository in {CONFIG_PATH} of {home}",
                    message=f"the token cannot read {name} (GitHub answered {exc.status}).",
                    fix="create the repository, give the token access to it (an App: install "
                    "it there too), or correct the name.",
                )
            ]
        ) from exc


def keep_central_index(
    central: GitHub,
    installed: Sequence[tuple[GitHub, Config]],
    config: Config,
    *,
    owner: str,
    dry_run: bool,
    log: Log,
) -> tuple[ApplyResult, list[str]]:
    """Read each repository's library index, then write the central index where it differs
    (`config` is the configuration that names the central repository)."""
    libraries: list[RepositoryLibrary] = []
    without: list[tuple[str, str]] = []  # (repository, where its index was looked for)
    for gh, repo_config in installed:
        path = f"{repo_config.docs_dir}/{INDEX_JSON}"
        found = gh.read_file(path)
        if found is None:
            without.append((gh.settings.repository, path))
            continue
        libraries.append(
            RepositoryLibrary(gh.settings.repository, path, found.text, found.html_url)
        )
    index = central_index(
        libraries,
        owner=owner,
        index_dir=config.org.index_dir,
        window_days=config.similar.window_days,
        without_index=[name for name, _ in without],
    )
    branch = central.default_branch()
    current = dict(central.list_tree(config.org.index_dir, ref=branch))
    plan = plan_central_index(index, current, branch)
    done = apply(plan, central, dry_run=dry_run, log=log)
    where = f"central index in {central.settings.repository}/{config.org.index_dir}"
    notes = [
        f"{where}: {index.documents} documents from {len(libraries)} repositories, "
        f"{plan.writes} writes planned"
    ]
    notes += [f"{name}: no {path}; not in the central index" for name, path in without]
    return done, notes + list(index.notes)
