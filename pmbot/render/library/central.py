"""The central library index: every repository's documents in one README.md and index.json,
with a Repository column and the similar incidents found across teams.

Its entries are each repository's index.json records with `repository` set and `url`
pointing at the document in that repository; the table, the facets and index.json are the
single-repository index's own (index.py), only the section on similar incidents is added.
"""

from __future__ import annotations

from collections.abc import Sequence

from pmbot.render.library.entries import LibraryEntry
from pmbot.render.library.index import (
    build_json,
    build_readme,
    entry_link,
    link_text,
    repository_name,
)
from pmbot.render.library.similar import across_teams, shared


def build_central_index(
    entries: Sequence[LibraryEntry],
    *,
    owner: str,
    window_days: int,
    without_index: Sequence[str] = (),
) -> tuple[str, str]:
    """(README.md, index.json) of the central index over `entries` from many repositories;
    `without_index` names the repositories with pmbot that have no library index yet."""
    pairs = across_teams(entries, window_days=window_days)
    repositories = sorted({e.repository for e in entries if e.repository})
    sections = _similar_section(pairs, window_days) + _missing_section(without_index)
    readme = build_readme(
        entries,
        title=f"Postmortems across {owner}",
        source="each repository's library index (index.json)",
        sections=sections,
    )
    extra = {
        "owner": owner,
        "repositories": repositories,
        "without_index": sorted(without_index),
        "similar_across_teams": [
            {"document": subject.url, "similar": [e.url for e in like]} for subject, like in pairs
        ],
    }
    return readme, build_json(entries, extra)


def _similar_section(
    pairs: Sequence[tuple[LibraryEntry, Sequence[LibraryEntry]]], window_days: int
) -> list[str]:
    lines = ["## Similar incidents across teams", ""]
    if not pairs:
        return [*lines, f"_None within {window_days} days of each other._", ""]
    lines += [
        f"Earlier postmortems of other repositories (within {window_days} days) sharing "
        "services, contributing factors or tags with a recent one.",
        "",
    ]
    for subject, like in pairs:
        lines.append(f"- {entry_link(subject)} ({_where(subject)})")
        lines += [f"  - {entry_link(e)} ({_where(e)}; {_overlap(subject, e)})" for e in like]
    return [*lines, ""]


def _where(entry: LibraryEntry) -> str:
    day = entry.date.isoformat() if entry.date else "undated"
    return f"{repository_name(entry.repository)}, {day}"


def _overlap(subject: LibraryEntry, entry: LibraryEntry) -> str:
    """What the two share, e.g. `services: db · tags: failover`."""
    names = {"services": "services", "categories": "factors", "tags": "tags"}
    common = shared(subject, entry)
    return " · ".join(f"{names[k]}: {link_text(', '.join(v))}" for k, v in common.items())


def _missing_section(without_index: Sequence[str]) -> list[str]:
    if not without_index:
        return []
    names = ", ".join(repository_name(r) for r in sorted(without_index))
    return ["## Not listed", "", f"pmbot is installed but no library index was found: {names}.", ""]
