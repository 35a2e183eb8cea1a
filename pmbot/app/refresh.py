"""The batched document refresh, run by `pmbot report --post`: every published document
whose items or status changed, and the library index, rewritten in ONE commit.

Reads: the default branch, its docs tree and index.json (the postmortems and their items
come from the report, which has read them already). Writes: one commit (tree, commit, ref
update) when anything changed, none otherwise — a rerun writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pmbot.app.intake import issues_url, repo_template
from pmbot.app.session import Log
from pmbot.core.config import Config
from pmbot.core.reading import Intake
from pmbot.flows import living, publish
from pmbot.flows.items import TrackedItem
from pmbot.github.client import GitHub
from pmbot.github.models import IssueSnapshot, git_blob_sha
from pmbot.plan import ApplyResult, Plan, apply
from pmbot.render import library


@dataclass(frozen=True)
class Published:
    """A postmortem as the report read it: its issue, the parsed form, its merge day."""

    issue: IssueSnapshot
    intake: Intake
    merged: date | None


def refresh_documents(
    gh: GitHub,
    config: Config,
    postmortems: Sequence[Published],
    items: Sequence[TrackedItem],
    *,
    dry_run: bool,
    log: Log,
) -> ApplyResult | None:
    """Plan and apply the one refresh commit; None when every document is up to date."""
    default = gh.default_branch()
    tree = dict(gh.list_tree(config.docs_dir, ref=default))
    index_path = f"{config.docs_dir}/{publish.INDEX_JSON}"
    index = gh.read_file(index_path, ref=default) if index_path in tree else None
    entries = publish.present(
        publish.entries_from_index(index.text if index else None), tree, config.docs_dir
    )
    by_issue = {e.issue: e for e in entries if e.issue is not None}
    by_pm: dict[int, list[TrackedItem]] = defaultdict(list)
    for item in items:
        by_pm[item.info.pm].append(item)
    fresh = {e.path: e for e in entries}
    changed: list[tuple[str, str]] = []
    template = repo_template(gh, config, default)
    for pm in postmortems:
        entry = by_issue.get(pm.issue.number)
        if entry is None:
            continue  # not on the default branch yet: intake keeps its pull request
        others = [e for e in entries if e.issue != pm.issue.number]
        track = living.tracking(
            pm.intake.postmortem, by_pm[pm.issue.number], config,
            filed=pm.issue.created_at.date(),
            published=living.recorded_published(entry) or pm.merged,
            issues_url=issues_url(pm.issue),
        )  # fmt: skip
        text = publish.render(
            pm.intake.postmortem, pm.intake.findings, others, config, template, track
        )
        source = library.read_document_data(text).get("source")
        if entry.details.get("source") != source:
            log(f"pmbot: #{pm.issue.number}: the document differs from its issue (an edit "
                "waiting in a pull request?); left for intake")  # fmt: skip
            continue
        path = f"{config.docs_dir}/{entry.path}"
        if tree.get(path) != git_blob_sha(text):
            changed.append((path, text))
            fresh[entry.path] = library.entry_from_text(entry.path, text)
    if not changed:
        return None
    readme, index_text = library.build_index(list(fresh.values()))
    files = [*changed]
    for name, text in ((publish.README, readme), (publish.INDEX_JSON, index_text)):
        path = f"{config.docs_dir}/{name}"
        if tree.get(path) != git_blob_sha(text):
            files.append((path, text))
    action = living.RefreshDocuments(0, branch=default, files=tuple(files), documents=len(changed))
    return apply(Plan((action,)), gh, dry_run=dry_run, log=log)
