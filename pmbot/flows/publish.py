"""The postmortem document and the library index, decided: which files, where, and whether
anything changed. Pure: what the repository holds comes in as data, a Plan comes out.

The document and the rebuilt index (README.md, index.json) land in one change: a pull
request from `branch_prefix + slug` (found and updated, never opened twice) or, with
`publish: commit`, commits on the default branch. The index is rebuilt from the default
branch's index.json plus the documents it does not list yet, so a run reads a bounded number
of files however large the library grows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from pmbot.core.config import Config
from pmbot.core.lifecycle import Tracking
from pmbot.core.markers import defuse_markers
from pmbot.core.mentions import silence
from pmbot.core.model import Postmortem
from pmbot.core.review import Finding
from pmbot.github.models import PullSnapshot, git_blob_sha
from pmbot.plan import Action, PublishFiles
from pmbot.render import library
from pmbot.render.document import document_path, is_document_name, render_document
from pmbot.render.library import LibraryEntry

INDEX_JSON = "index.json"
README = "README.md"


@dataclass(frozen=True)
class DocsState:
    """What the repository holds, as read by the adapter (see commands_github.read_docs)."""

    default_branch: str
    library: tuple[LibraryEntry, ...]  # every document on the default branch, from the index
    target_files: Mapping[str, str]  # path -> blob sha on the branch the change goes to
    target_exists: bool  # the postmortem branch exists (always True for `publish: commit`)
    pull: PullSnapshot | None  # the open pull request from the postmortem branch, if any
    published: Mapping[str, str] = field(default_factory=dict)  # docs on the default branch

    def is_published(self, docs: Documents) -> bool:
        """The default branch already holds exactly these files (the pull request merged)."""
        return all(self.published.get(p) == git_blob_sha(t) for p, t in docs.files)


@dataclass(frozen=True)
class Documents:
    """The files one postmortem publishes, and where."""

    path: str  # the document, repository-relative
    files: tuple[tuple[str, str], ...]  # (path, text): document, README.md, index.json
    branch: str  # the branch written to (the default branch for `publish: commit`)
    base: str
    mode: str  # "pull_request" | "commit"
    title: str
    body: str
    docs_dir: str = "docs/postmortems"


def entries_from_index(text: str | None) -> list[LibraryEntry]:
    """The entries index.json lists (tolerant: anything unreadable is left out)."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return []
    records = data.get("documents") if isinstance(data, dict) else None
    return [e for e in (_entry(r) for r in records or ()) if e is not None]


def _entry(record: Any) -> LibraryEntry | None:
    if not isinstance(record, dict) or not isinstance(record.get("path"), str):
        return None
    try:
        day = date.fromisoformat(record["date"]) if record.get("date") else None
    except (TypeError, ValueError):
        day = None
    issue = record.get("issue")
    details = {k: v for k, v in record.items() if k not in library.BASE_KEYS}
    return LibraryEntry(
        path=record["path"],
        title=str(record.get("title") or record["path"]),
        date=day,
        severity=_opt(record.get("severity")),
        services=_strings(record.get("services")),
        tags=_strings(record.get("tags")),
        categories=_strings(record.get("categories")),
        status=_opt(record.get("status")),
        issue=issue if isinstance(issue, int) else None,
        details=details,
    )


def _opt(value: Any) -> str | None:
    return str(value) if value is not None else None


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def unindexed(tree: Iterable[str], indexed: Iterable[LibraryEntry], docs_dir: str) -> list[str]:
    """Documents in the tree (repository paths) that index.json does not list yet."""
    known = {e.path for e in indexed}
    prefix = PurePosixPath(docs_dir)
    out = []
    for path in tree:
        rel = PurePosixPath(path)
        if rel.suffix != ".md" or not rel.is_relative_to(prefix):
            continue
        inner = rel.relative_to(prefix).as_posix()
        if inner not in library.INDEX_FILES and inner not in known:
            out.append(path)
    return out


def present(
    entries: Iterable[LibraryEntry], tree: Iterable[str], docs_dir: str
) -> list[LibraryEntry]:
    """Entries whose document is still in the tree (a deleted document leaves the index)."""
    paths = set(tree)
    return [e for e in entries if f"{docs_dir}/{e.path}" in paths]


def documents(
    pm: Postmortem,
    findings: Sequence[Finding],
    library_entries: Sequence[LibraryEntry],
    config: Config,
    default_branch: str,
    template: str | None = None,
    tracking: Tracking | None = None,
) -> Documents:
    """The document and the index with this postmortem in it (its older entry replaced)."""
    path = document_location(pm, library_entries, config.docs_dir)
    others = [e for e in library_entries if e.issue != pm.issue_number or e.issue is None]
    text = render(pm, findings, others, config, template, tracking)
    entry = library.entry_from_text(_inside(path, config.docs_dir), text)
    readme, index = library.build_index([*others, entry])
    files = (
        (path, text),
        (f"{config.docs_dir}/{README}", readme),
        (f"{config.docs_dir}/{INDEX_JSON}", index),
    )
    slug = PurePosixPath(path).stem
    commit = config.publish == "commit"
    title = silence(defuse_markers(" ".join(f"Postmortem: {pm.title}".split())))[:240]
    return Documents(
        path=path,
        files=files,
        branch=default_branch if commit else f"{config.branch_prefix}{slug}",
        base=default_branch,
        mode=config.publish,
        title=title,
        body=pull_body(pm, path),
        docs_dir=config.docs_dir,
    )


def document_location(pm: Postmortem, entries: Sequence[LibraryEntry], docs_dir: str) -> str:
    """Where this postmortem's document lives: where the library already has it (so a
    published document keeps its path, and its branch, when the title or date is edited or
    was named before paths carried the issue number), else its own `…-issue-<N>.md` path,
    which no other postmortem can have."""
    if pm.issue_number is not None:
        mine = sorted(e.path for e in entries if e.issue == pm.issue_number)
        found = next((p for p in mine if is_document_name(p)), None)
        if found is not None:
            return f"{docs_dir}/{found}"
    return document_path(pm, docs_dir).as_posix()


def _inside(path: str, docs_dir: str) -> str:
    return PurePosixPath(path).relative_to(docs_dir).as_posix()


def owner_of_path(docs: Documents, state: DocsState, issue: int) -> int | None:
    """The other postmortem whose document the library lists at `docs.path`, if any: pmbot
    never overwrites a document that belongs to another issue."""
    for entry in state.library:
        if entry.issue not in (None, issue) and docs.path == f"{docs.docs_dir}/{entry.path}":
            return entry.issue
    return None


def render(
    pm: Postmortem,
    findings: Sequence[Finding],
    others: Sequence[LibraryEntry],
    config: Config,
    template: str | None,
    tracking: Tracking | None,
) -> str:
    """The document as published: similar incidents from the rest of the library."""
    similar = library.similar_incidents(pm, others, window_days=config.similar.window_days)
    notes = list(findings) if config.review.in_document else []  # they belong in the issue
    return render_document(
        pm, findings=notes, similar=similar, template=template, tracking=tracking
    )


def pull_body(pm: Postmortem, path: str) -> str:
    return (
        f"The postmortem document for #{pm.issue_number}, rendered by pmbot, and the "
        f"updated library index.\n\n- Document: `{path}`\n- Source: #{pm.issue_number} — edit "
        "the issue, not this file: pmbot updates this pull request on every edit.\n"
    )


def changed_files(docs: Documents, state: DocsState) -> tuple[tuple[str, str], ...]:
    current = state.target_files if state.target_exists else {}
    return tuple((p, t) for p, t in docs.files if current.get(p) != git_blob_sha(t))


def plan_publish(issue: int, docs: Documents, state: DocsState) -> tuple[Action, ...]:
    """Nothing when the branch already holds these files and its pull request is current,
    or when the path is another postmortem's (never overwritten; only a hand-edited index
    can say so, since paths carry the issue number)."""
    if state.is_published(docs) or owner_of_path(docs, state, issue) is not None:
        return ()  # merged (or committed): a pull request now would have no commits
    files = changed_files(docs, state)
    pull_current = docs.mode == "commit" or (
        state.pull is not None
        and (state.pull.title, state.pull.body.rstrip()) == (docs.title, docs.body.rstrip())
    )
    if not files and pull_current:
        return ()
    pull = docs.mode != "commit"
    publish = PublishFiles(
        issue,
        branch=docs.branch,
        base=docs.base,
        files=files,
        message=f"Postmortem #{issue}: {docs.title}"[:200],
        branch_exists=state.target_exists,
        pull_title=docs.title if pull else None,
        pull_body=docs.body if pull else "",
    )
    return (publish,)
