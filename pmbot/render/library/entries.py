"""The library's entries: a document's front matter and `pmbot:document` marker, read.

An entry is a document's flat front matter (title, date, severity, status, services, tags,
issue) plus its hidden `pmbot:document` marker (categories, people, times, figures, action
items with their issues, due dates and states, the status lifecycle and progress), which
index.json carries whole.

Documents are read tolerantly: one with missing or broken front matter is listed under
"Could not read" (and logged), never a crash, because one hand-edited file must not stop
the index of ten thousand others.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from pmbot.core import markers
from pmbot.core.model import Postmortem
from pmbot.core.safe_markdown import inert_line
from pmbot.core.slug import document_name
from pmbot.core.yaml_limits import check_expanded_size

log = logging.getLogger(__name__)

INDEX_FILES = ("README.md", "index.json")
DATA_MARKER = "document"
# Keys of an index.json record that are not the document's marker data.
BASE_KEYS = frozenset({"path", "title", "date", "severity", "services", "tags", "categories",
                       "status", "issue", "repository", "url"})  # fmt: skip
# pmbot writes ~20 values per action item; aliases expanding far past that are a bomb.
MAX_FRONT_MATTER_VALUES = 50_000
ENTRY_KEYS = frozenset(
    {"title", "date", "severity", "services", "tags", "categories", "status", "issue"}
)
# libyaml's loader is ~10x faster, which is what makes 10,000 documents index in seconds;
# PyYAML without libyaml still works, only slower.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?=[ \t]|$)", re.MULTILINE)
# A column-0 line that is not a plain `key:`, an indentless list item, a comment or blank.
_UNUSUAL_LINE = re.compile(r"^[^\sA-Za-z_#-]", re.MULTILINE)


@dataclass(frozen=True)
class LibraryEntry:
    """One document, as its front matter describes it.

    `path` is POSIX and relative to the docs folder (`2025/2025-03-01-db-failover.md`).
    In the central index (across repositories) `repository` names the document's repository,
    `path` is relative to that repository and `url` is the document on the web.
    `problem` is set, and the other fields are best effort, when the document could not be
    read.
    """

    path: str
    title: str
    date: date | None = None
    severity: str | None = None
    services: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status: str | None = None
    issue: int | None = None
    problem: str | None = None
    repository: str | None = None
    url: str | None = None
    # The document's `pmbot:document` marker data (JSON-ready), as index.json records it.
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def progress(self) -> str | None:
        found = self.details.get("progress")
        text = found.get("text") if isinstance(found, Mapping) else None
        return text if isinstance(text, str) else None

    def record(self) -> dict[str, Any]:
        """The entry as a JSON-ready record for index.json."""
        extra = {k: v for k, v in self.details.items() if k not in BASE_KEYS and k != "pmbot"}
        return {
            **extra,
            "path": self.path,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "severity": self.severity,
            "services": list(self.services),
            "tags": list(self.tags),
            "categories": list(self.categories),
            "status": self.status,
            "issue": self.issue,
            **({"repository": self.repository} if self.repository else {}),
            **({"url": self.url} if self.url else {}),
        }


# --- reading -------------------------------------------------------------------------------


def read_front_matter(text: str, keys: Collection[str] | None = None) -> dict[str, Any] | None:
    """The YAML mapping between the leading `---` fences, or None if absent or broken.

    With `keys`, only those top-level keys are read, which is what makes indexing 10,000
    documents take seconds: most of a document's YAML is its action items, which the index
    does not need, and building YAML nodes is nearly all the cost.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.startswith("---\n"):
        return None
    closing = _FENCE.search(text, 4)
    if closing is None:
        return None
    source = text[4 : closing.start()]
    if keys is not None:
        head = _head(source, keys)
        if head is not source:
            data = _load(head, keys)
            if data is not None:
                # The rest is only checked for syntax (cheap: no nodes are built), so a
                # document is broken for the index exactly when it is broken for YAML.
                return data if _parses(source[len(head) :]) else None
    return _load(source, keys)


def _head(source: str, keys: Collection[str]) -> str:
    """source without the top-level entries after the last wanted key, when that is exact.

    Cutting at a line `other_key:` in column 0 either splits two entries, or falls inside a
    quoted scalar or flow collection — then the head does not parse and the caller reads the
    whole. Anything in column 0 that could still define a wanted key after the cut (`?`
    keys, `<<` merges, quoted keys) keeps the whole.
    """
    tops = list(_TOP_KEY.finditer(source))
    last = max((i for i, m in enumerate(tops) if m.group(1) in keys), default=-1)
    if last + 1 >= len(tops):
        return source
    cut = tops[last + 1].start()
    return source if _UNUSUAL_LINE.search(source, cut) else source[:cut]


def _parses(source: str) -> bool:
    """Whether source is syntactically valid YAML, without building it."""
    loader = _Loader(source)
    raw_parse = getattr(loader, "raw_parse", None)  # libyaml: no Python object per event
    try:
        if raw_parse is not None:
            raw_parse()
        else:
            for _event in yaml.parse(source, Loader=_Loader):
                pass
    except yaml.YAMLError:
        return False
    finally:
        loader.dispose()
    return True


def _load(source: str, keys: Collection[str] | None) -> dict[str, Any] | None:
    loader = _Loader(source)
    try:
        return _construct(loader, keys)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def _construct(loader: yaml.SafeLoader, keys: Collection[str] | None) -> dict[str, Any] | None:
    node = loader.get_single_node()
    if not isinstance(node, yaml.MappingNode):
        return None
    check_expanded_size(node, MAX_FRONT_MATTER_VALUES)  # a YAMLError: unreadable, logged
    if keys is None:
        data = loader.construct_document(node)
        return data if isinstance(data, dict) else None
    loader.flatten_mapping(node)  # resolve `<<` merge keys exactly as a full load would
    wanted = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str) and key in keys:
            wanted[key] = loader.construct_object(value_node, deep=True)
    return wanted


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return " ".join(str(value).split()) or None


def _texts(value: Any) -> tuple[str, ...]:
    """A list of short strings from whatever a human wrote: a list, one string, or nothing."""
    items = value if isinstance(value, list) else [value]
    return tuple(t for t in (_text(item) for item in items) if t)


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _issue(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_document_data(text: str) -> dict[str, Any]:
    """The `pmbot:document` marker's payload; {} when absent (an older or hand-written file).

    The last one is read: pmbot appends it at the end, and user text cannot forge one.
    """
    start = text.rfind(f"<!-- pmbot:{DATA_MARKER} ")
    found = None if start < 0 else markers.find(text[start:], DATA_MARKER)
    return found or {}


def entry_from_text(path: str, text: str) -> LibraryEntry:
    """The entry for one document; a `problem` entry when its front matter is unusable."""
    data = read_front_matter(text, ENTRY_KEYS)
    stem = PurePosixPath(path).stem
    if data is None:
        return LibraryEntry(path=path, title=stem, problem="no readable YAML front matter")
    title = _text(data.get("title"))
    details = read_document_data(text)
    if "categories" in details:  # older documents kept them in the front matter
        data["categories"] = details["categories"]
    return LibraryEntry(
        path=path,
        title=title or stem,
        date=_date(data.get("date")),
        severity=_text(data.get("severity")),
        services=_texts(data.get("services")),
        tags=_texts(data.get("tags")),
        categories=_texts(data.get("categories")),
        status=_text(data.get("status")),
        issue=_issue(data.get("issue")),
        problem=None if title else "front matter has no title",
        details=details,
    )


def entries_from_texts(
    items: Iterable[tuple[str, str]], *, docs_dir: str | None = None
) -> list[LibraryEntry]:
    """Entries for (path, text) pairs, e.g. documents fetched over the GitHub API.

    Paths under `docs_dir` (repository-relative, e.g. `docs/postmortems`) are made relative
    to it, so links in the index work from the docs folder.
    """
    prefix = PurePosixPath(docs_dir) if docs_dir else None
    entries = []
    for path, text in items:
        relative = PurePosixPath(path)
        if prefix is not None and relative.is_relative_to(prefix):
            relative = relative.relative_to(prefix)
        if relative.as_posix() in INDEX_FILES:
            continue
        entries.append(entry_from_text(relative.as_posix(), text))
    return _warn_unreadable(entries)


def scan_library(docs_dir: Path) -> list[LibraryEntry]:
    """Entries for every Markdown document under docs_dir (the index files excluded)."""
    items = ((relative, _read(docs_dir / relative)) for relative in _documents(docs_dir))
    return entries_from_texts(items)


def _documents(docs_dir: Path) -> list[str]:
    """Paths (POSIX, relative to docs_dir) of the Markdown files in it, sorted.

    Symlinks are skipped, files and folders alike: one in a checked-out repository could
    point anywhere on the runner, and its front matter must not end up in a public index.
    """
    found = []
    for folder, subfolders, names in os.walk(docs_dir):  # os.walk never enters linked folders
        prefix = PurePosixPath(Path(folder).relative_to(docs_dir).as_posix())
        subfolders.sort()
        for name in names:
            if name.endswith(".md") and _regular(Path(folder, name)):
                found.append((prefix / name).as_posix())
    return sorted(found)


def _regular(path: Path) -> bool:
    # lstat: a symlink is not followed, and a FIFO named x.md would block the read forever.
    return stat.S_ISREG(path.lstat().st_mode)


def _read(path: Path) -> str:
    # Undecodable bytes become U+FFFD: the document is then reported, not fatal.
    return path.read_text(encoding="utf-8", errors="replace")


def _warn_unreadable(entries: list[LibraryEntry]) -> list[LibraryEntry]:
    for entry in entries:
        if entry.problem:
            log.warning("postmortem library: %s: %s", entry.path, entry.problem)
    return entries


def entry_from_postmortem(pm: Postmortem) -> LibraryEntry:
    """The entry a postmortem's document will have, before it is written."""
    return LibraryEntry(
        # An undated draft has no document yet; an empty path matches no real document.
        path=document_name(pm).as_posix() if pm.date else "",
        # Text as the document's front matter will hold it, so the index reads the same
        # whether it is built from the postmortem or, later, from the documents.
        title=inert_line(pm.title),
        date=pm.date,
        severity=str(pm.severity),
        services=tuple(v for v in map(inert_line, pm.services) if v),
        tags=tuple(v for v in map(inert_line, pm.tags) if v),
        categories=tuple(sorted({str(cf.category) for cf in pm.contributing_factors})),
        status=inert_line(pm.status),
        issue=pm.issue_number,
    )
