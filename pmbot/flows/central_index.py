"""The central library index, decided: every repository's library index (index.json) read,
each document's path turned into a link to it in its own repository, and the central
README.md and index.json written in one commit when, and only when, they differ.

Pure: the index texts and the central repository's blob shas come in as data, a Plan comes
out. Links are built from the `html_url` GitHub gives for each index.json (its own host,
so GitHub Enterprise Server links point at the right place), never from a guessed host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import quote

from pmbot.flows.publish import INDEX_JSON, README, entries_from_index
from pmbot.github.models import git_blob_sha
from pmbot.plan import Plan, PublishFiles
from pmbot.render.library import LibraryEntry
from pmbot.render.library.central import build_central_index

_INDEX_URL = re.compile(rf"https?://[^\s()<>\[\]]+/{re.escape(INDEX_JSON)}")


@dataclass(frozen=True)
class RepositoryLibrary:
    """One repository's library index as read from its default branch."""

    repository: str  # OWNER/NAME
    path: str  # of index.json, repository-relative (`docs/postmortems/index.json`)
    text: str
    html_url: str  # index.json on the web, e.g. https://github.com/acme/web/blob/main/...


@dataclass(frozen=True)
class CentralIndex:
    """The central README.md and index.json, and what could not be listed."""

    files: tuple[tuple[str, str], ...]  # (path in the central repository, text)
    documents: int
    notes: tuple[str, ...]


def central_entries(library: RepositoryLibrary) -> tuple[list[LibraryEntry], list[str]]:
    """The entries of one repository's index, linked to its documents; notes on what was
    left out (an index without a usable web address, a path outside the docs folder)."""
    if not _INDEX_URL.fullmatch(library.html_url):
        return [], [f"{library.repository}: {library.path} has no web address; not listed"]
    base = library.html_url.removesuffix(INDEX_JSON)
    folder = PurePosixPath(library.path).parent
    entries, notes = [], []
    for entry in entries_from_index(library.text):
        inner = PurePosixPath(entry.path)
        if inner.is_absolute() or ".." in inner.parts or inner.suffix != ".md":
            notes.append(f"{library.repository}: {entry.path!r} is not a document path; left out")
            continue
        entries.append(
            replace(
                entry,
                path=(folder / inner).as_posix(),
                repository=library.repository,
                url=base + quote(inner.as_posix(), safe="/"),
            )
        )
    return entries, notes


def central_index(
    libraries: Sequence[RepositoryLibrary],
    *,
    owner: str,
    index_dir: str,
    window_days: int,
    without_index: Sequence[str] = (),
) -> CentralIndex:
    """The central index over every repository's library."""
    entries: list[LibraryEntry] = []
    notes: list[str] = []
    for library in sorted(libraries, key=lambda lib: lib.repository):
        found, left_out = central_entries(library)
        entries += found
        notes += left_out
    readme, index = build_central_index(
        entries, owner=owner, window_days=window_days, without_index=without_index
    )
    files = ((f"{index_dir}/{README}", readme), (f"{index_dir}/{INDEX_JSON}", index))
    return CentralIndex(files=files, documents=len(entries), notes=tuple(notes))


def plan_central_index(index: CentralIndex, current: Mapping[str, str], branch: str) -> Plan:
    """One commit on `branch` with the files whose blob differs from `current` (path -> blob
    sha on that branch); an empty plan when the central repository is up to date."""
    changed = tuple((p, t) for p, t in index.files if current.get(p) != git_blob_sha(t))
    if not changed:
        return Plan(notes=index.notes)
    action = PublishFiles(
        0,
        branch=branch,
        base=branch,
        files=changed,
        message=f"Central postmortem index: {index.documents} documents",
        branch_exists=True,
    )
    return Plan((action,), notes=index.notes)
