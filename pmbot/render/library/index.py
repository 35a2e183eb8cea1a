"""The library's index: README.md (one table, facets with counts, unreadable documents
last) and index.json (one record per document), both stable byte for byte."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pmbot.core.markers import defuse_markers
from pmbot.core.mentions import silence
from pmbot.render.library.entries import LibraryEntry, scan_library

TABLE_ROWS = 50  # rows shown; older postmortems are folded under the table
FACET_INLINE = 12  # a facet with more values than this is folded in <details>
SEVERITY_ORDER = ("SEV-1", "SEV-2", "SEV-3", "SEV-4", "near-miss")
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9._/-]")


def _newest_first(entry: LibraryEntry) -> tuple[int, str, str, str]:
    # Undated documents sort last; ties break on path so the output is deterministic.
    ordinal = -entry.date.toordinal() if entry.date else 1
    return (ordinal, entry.path, entry.repository or "", entry.title)


def _severity_rank(severity: str) -> tuple[int, str]:
    known = SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
    return (known, severity)


def link_text(text: str) -> str:
    """Text safe inside a Markdown link's brackets."""
    # Brackets would end the link text early; markers must not be forgeable via titles.
    escaped = re.sub(r"([\\\[\]`*_<>])", r"\\\1", text)
    return silence(defuse_markers(escaped))


def link_target(path: str) -> str:
    """A relative path as a Markdown link target.

    Percent-encoding everything but `/` keeps spaces and parentheses from ending the link
    and a `:` from turning a hand-named file into a `javascript:` URL.
    """
    return quote(path, safe="/")


def _grouped_by(entries: Sequence[LibraryEntry], key: str) -> dict[str, list[LibraryEntry]]:
    grouped: dict[str, list[LibraryEntry]] = defaultdict(list)
    for entry in entries:
        for value in getattr(entry, key):
            grouped[value].append(entry)
    return grouped


def _cell(text: str) -> str:
    """Text for one cell of the index table: a `|` or markup would break the row."""
    return link_text(" ".join(text.split())).replace("|", "\\|") or "—"


def entry_link(entry: LibraryEntry) -> str:
    """A Markdown link to the entry's document: its URL when it lives in another repository
    (the central index builds those itself), else its path relative to the index."""
    return f"[{link_text(entry.title)}]({entry.url or link_target(entry.path)})"


def repository_name(name: str | None) -> str:
    """A repository's OWNER/NAME as inline code (only the characters GitHub allows in one)."""
    return f"`{_NOT_IN_NAME.sub('', name or '')}`" if name else "—"


def _row(entry: LibraryEntry, with_repository: bool) -> str:
    day = entry.date.isoformat() if entry.date else "undated"
    where = [repository_name(entry.repository)] if with_repository else []
    services = ", ".join(entry.services)
    progress = entry.progress  # "5/7 done, 1 overdue", once recorded
    cells = [services, entry.status or "—", progress or "—"]
    first = [day, entry.severity or "—", entry_link(entry), *where]
    return "| " + " | ".join([*first, *(_cell(c) for c in cells)]) + " |"


def _table(entries: Sequence[LibraryEntry]) -> list[str]:
    """The index table; a Repository column when the entries come from several."""
    with_repository = any(e.repository for e in entries)
    columns = ["Date", "Severity", "Postmortem", *(["Repository"] * with_repository)]
    columns += ["Services", "Status", "Action items"]
    header = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return [*header, *(_row(e, with_repository) for e in entries)]


def _facet(title: str, counts: Mapping[str, int], order: Sequence[str]) -> list[str]:
    """One facet: its values with their counts, a long list folded so the page stays short."""
    if not order:
        return []
    values = " · ".join(f"{_cell(v)} ({counts[v]})" for v in order)
    if len(order) <= FACET_INLINE:
        return [f"**{title}:** {values}", ""]
    summary = f"<summary><b>{title}</b> ({len(order)})</summary>"
    return ["<details>", summary, "", values, "", "</details>", ""]


def _by_count(counts: Mapping[str, int]) -> list[str]:
    return sorted(counts, key=lambda k: (-counts[k], k.casefold()))


def _facets(good: Sequence[LibraryEntry]) -> list[str]:
    years: dict[str, int] = defaultdict(int)
    severities: dict[str, int] = defaultdict(int)
    for entry in good:
        years[f"{entry.date.year:04d}" if entry.date else "undated"] += 1
        severities[entry.severity or "unknown"] += 1
    services = {k: len(v) for k, v in _grouped_by(good, "services").items()}
    tags = {k: len(v) for k, v in _grouped_by(good, "tags").items()}
    categories = {k: len(v) for k, v in _grouped_by(good, "categories").items()}
    repositories: dict[str, int] = defaultdict(int)
    for entry in good:
        if entry.repository:
            repositories[entry.repository] += 1
    lines = _facet("Repository", repositories, _by_count(repositories))
    lines += _facet("Severity", severities, sorted(severities, key=_severity_rank))
    lines += _facet("Year", years, sorted(years, reverse=True))
    lines += _facet("Services", services, _by_count(services))
    lines += _facet("Tags", tags, _by_count(tags))
    lines += _facet("Contributing factors", categories, _by_count(categories))
    return lines


def build_readme(
    entries: Sequence[LibraryEntry],
    *,
    title: str = "Postmortems",
    source: str = "each document's front matter",
    sections: Sequence[str] = (),
) -> str:
    """The library's README.md: one table (each postmortem once, newest first, older rows
    folded), facets with counts, then `sections` (lines), unreadable documents last."""
    good = sorted((e for e in entries if not e.problem), key=_newest_first)
    bad = sorted((e for e in entries if e.problem), key=lambda e: e.path)
    lines = [
        f"# {title}",
        "",
        f"<!-- Generated by pmbot from {source}; edits here are lost. -->",
        "",
        f"{len(good)} postmortem{'s' if len(good) != 1 else ''}.",
        "",
    ]
    if good:
        lines += [*_facets(good), *_table(good[:TABLE_ROWS]), ""]
    else:
        lines += ["_None yet._", ""]
    if len(good) > TABLE_ROWS:
        older = good[TABLE_ROWS:]
        summary = (
            f"<summary>{len(older)} older postmortem{'s' if len(older) != 1 else ''}</summary>"
        )
        lines += ["<details>", summary, "", *_table(older), "", "</details>", ""]
    lines += sections
    if bad:
        lines += ["## Could not read", ""]
        lines += [f"- [{link_text(e.path)}]({link_target(e.path)}): {e.problem}" for e in bad]
        lines.append("")
    # Titles are escaped above; this pass catches a marker imitation in any other value.
    return defuse_markers("\n".join(lines).rstrip("\n") + "\n")


def build_json(entries: Sequence[LibraryEntry], extra: Mapping[str, Any] | None = None) -> str:
    """index.json: one record per readable document, newest first, with `extra` keys;
    stable byte for byte."""
    good = sorted((e for e in entries if not e.problem), key=_newest_first)
    bad = sorted((e for e in entries if e.problem), key=lambda e: e.path)
    data = {
        **(extra or {}),
        "pmbot": 1,
        "documents": [e.record() for e in good],
        "unreadable": [{"path": e.path, "problem": e.problem} for e in bad],
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build_index(entries: Sequence[LibraryEntry]) -> tuple[str, str]:
    """(README.md, index.json) for the library."""
    return build_readme(entries), build_json(entries)


def write_index(docs_dir: Path) -> list[LibraryEntry]:
    """Rebuild README.md and index.json in docs_dir; returns the entries indexed."""
    entries = scan_library(docs_dir)
    readme, index = build_index(entries)
    (docs_dir / "README.md").write_text(readme, encoding="utf-8")
    (docs_dir / "index.json").write_text(index, encoding="utf-8")
    return entries
