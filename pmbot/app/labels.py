"""`pmbot labels [--dry-run]`: create every label pmbot and its issue forms use, with the
names, colours and descriptions of the configuration, before the first postmortem is filed.

One read (the repository's labels, per 100), then one write per missing label; a rerun
writes nothing. The installed `pmbot-labels.yml` workflow runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pmbot.app.session import session
from pmbot.core.config import Config, LabelSpec
from pmbot.errors import PmbotError, Problem
from pmbot.flows.labels import plan_labels, wanted_labels
from pmbot.flows.ladder import DIGEST_LABEL
from pmbot.flows.report_post import REPORT_LABEL
from pmbot.plan import apply

REPORT = LabelSpec(name=REPORT_LABEL, color="bfd4f2", description="pmbot's program report")
DIGEST = LabelSpec(
    name=DIGEST_LABEL, color="bfd4f2", description="pmbot's leadership digest of overdue items"
)


def extra_labels(config: Config) -> tuple[LabelSpec, ...]:
    """pmbot's own issues' labels: the report's, and the leadership digest's when it is kept."""
    escalation = config.escalation
    digest = escalation.leadership_team is not None and escalation.leadership_digest
    return (REPORT, DIGEST) if digest else (REPORT,)


def labels(environ: Mapping[str, str], *, dry_run: bool, config_path: Path | None) -> int:
    """Create the missing labels (or, with dry_run, list them); PmbotError if GitHub refuses."""
    what = f"labels{' (dry run)' if dry_run else ''}"
    with session(environ, config_path, what) as (gh, config):
        plan = plan_labels(wanted_labels(config, extra_labels(config)), gh.label_names())
        result = apply(plan, gh, dry_run=dry_run, log=print)
    if result.failed:
        raise PmbotError(
            [
                Problem(
                    "GITHUB_TOKEN",
                    f"GitHub refused to create a label: {result.failed[0].error}.",
                    "run it with a token that may write issues (the pmbot labels workflow has "
                    "`issues: write`), or create the labels `pmbot labels --dry-run` lists.",
                )
            ]
        )
    return 0
