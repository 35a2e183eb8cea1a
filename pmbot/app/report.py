"""`pmbot report`: the program's metrics, printed or posted to one report issue."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pmbot.app.intake import parse
from pmbot.app.refresh import Published, refresh_documents
from pmbot.app.session import session, stderr_log
from pmbot.app.sweep import tracked_items
from pmbot.core.config import Config
from pmbot.core.reading import Intake
from pmbot.flows.agenda import compute_agenda, render_agenda
from pmbot.flows.report import PostmortemRecord, compute_report
from pmbot.flows.report_post import REPORT_LABEL, own_reports, plan_report_post
from pmbot.flows.scores import read_ledger
from pmbot.flows.targets import compute_targets, with_targets
from pmbot.github.client import GitHub
from pmbot.plan import apply
from pmbot.render.document import document_path
from pmbot.render.report import render_report


def report(
    environ: Mapping[str, str],
    *,
    fmt: str,
    now: datetime,
    post: bool,
    config_path: Path | None,
    dry_run: bool = False,
) -> int:
    """`pmbot report`: program metrics on stdout; `--post` also updates the report issue and
    refreshes the published documents (item states and status) in one commit (with
    `--dry-run`, prints what it would write instead)."""
    with session(environ, config_path, "report") as (gh, config):
        records, parsed = read_postmortems(gh, config)
        items = tracked_items(gh, config, "all", stderr_log).items
        data = compute_report(records, items, now, config)
        text = render_report(data, fmt)  # type: ignore[arg-type]
        scores = read_scores(gh, config, parsed)
        targets = compute_targets(records, data, now, config, items=items, scores=scores)
        text = with_targets(text, fmt, targets)
        if fmt == "md":  # the weekly review's standing agenda closes the report
            agenda = compute_agenda(records, items, now, config)
            text = f"{text.rstrip()}\n\n{render_agenda(agenda, heading='##')}"
        sys.stdout.write(text)
        if post:
            code = _post_report(
                gh,
                with_targets(render_report(data, "md"), "md", targets) if fmt != "md" else text,
                dry_run=dry_run,
            )
            # The documents follow their items here, all in one commit, once a week.
            done = refresh_documents(gh, config, parsed, items, dry_run=dry_run, log=stderr_log)
            return 1 if code or (done is not None and done.failed) else 0
    return 0


def read_postmortems(gh: GitHub, config: Config) -> tuple[list[Any], list[Published]]:
    """Every postmortem issue that parses: its report record and what the refresh needs."""
    records, parsed = [], []
    published = published_dates(gh, config)
    for issue in gh.list_issues(labels=[config.postmortem_label], state="all"):
        result = parse(issue, config)
        if isinstance(result, Intake):
            pm = result.postmortem
            day = published(pm, issue.number)
            records.append(PostmortemRecord.from_postmortem(pm, issue.number, day))
            parsed.append(Published(issue, result, day))
    return records, parsed


def read_scores(gh: GitHub, config: Config, parsed: list[Published]) -> dict[int, list[float]]:
    """Each scored postmortem's peer-review scores, from pmbot's scores comment: one comment
    read per postmortem labelled `labels.scored` (the others have none to read)."""
    scored = [p.issue.number for p in parsed if config.labels.scored.name in p.issue.labels]
    found = {n: read_ledger(gh.list_comments(n), gh.login()).values() for n in scored}
    return {n: values for n, values in found.items() if values}


def agenda(environ: Mapping[str, str], *, now: datetime, config_path: Path | None) -> int:
    """`pmbot agenda`: the weekly review's standing agenda, on stdout."""
    with session(environ, config_path, "agenda") as (gh, config):
        records, _ = read_postmortems(gh, config)
        items = tracked_items(gh, config, "open", stderr_log).items
        sys.stdout.write(render_agenda(compute_agenda(records, items, now, config)))
    return 0


PUBLISHED_PAGES = 3  # list pages read to date the documents: 300 recent pulls or commits


def published_dates(gh: GitHub, config: Config) -> Callable[[Any, int], date | None]:
    """When each postmortem's document reached the default branch, where cheaply known: the
    merge of its `branch_prefix + slug` pull request, or with `publish: commit` the first
    pmbot commit naming the issue (`Postmortem #N: ...`). A bounded number of list reads
    (PUBLISHED_PAGES); a document merged before them counts as unmerged."""
    if config.publish == "commit":
        first: dict[int, date] = {}
        for message, at in gh.commit_dates(config.docs_dir, max_pages=PUBLISHED_PAGES):
            found = re.match(r"Postmortem #(\d+):", message)
            if found:  # newest first: the last one seen is the first publication
                first[int(found.group(1))] = at.astimezone(UTC).date()
        return lambda pm, number: first.get(number)
    merged = gh.merged_pulls(config.branch_prefix, max_pages=PUBLISHED_PAGES)

    def by_branch(pm: Any, number: int) -> date | None:
        # Its own branch, or the one named before paths carried the issue number.
        stems = [PurePosixPath(document_path(pm, legacy=old)).stem for old in (False, True)]
        at = next((a for s in stems if (a := merged.get(f"{config.branch_prefix}{s}"))), None)
        return at.astimezone(UTC).date() if at else None

    return by_branch


def _post_report(gh: GitHub, text: str, *, dry_run: bool) -> int:
    """The single report issue pmbot keeps, updated in place (a dry run prints the plan)."""
    issues = gh.list_issues(labels=[REPORT_LABEL], state="open")
    plan = plan_report_post(text, own_reports(issues, gh.login()))
    # stderr: stdout carries the report itself (JSON or CSV that a pipe may be reading)
    result = apply(plan, gh, dry_run=dry_run, log=stderr_log)
    return 1 if result.failed else 0
