"""The library: tolerant front-matter reading, the README/index.json, similar incidents."""

from __future__ import annotations

import json
import logging
import os
import random
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from helpers.gfm import problems as gfm_problems

from pmbot.core import markers
from pmbot.core.model import ContributingFactor, FactorCategory, Postmortem, Severity
from pmbot.render.document import render_document
from pmbot.render.library import (
    ENTRY_KEYS,
    LibraryEntry,
    build_index,
    entries_from_texts,
    entry_from_text,
    read_front_matter,
    scan_library,
    similar_incidents,
    write_index,
)
from pmbot.render.library import entries as library_module


def doc(title: str, day: str, severity: str = "SEV-3", **extra: object) -> str:
    lines = ["---", f"title: {json.dumps(title)}", f"date: '{day}'", f"severity: {severity}"]
    lines += [f"{key}: {json.dumps(value)}" for key, value in extra.items()]
    return "\n".join([*lines, "---", "", f"# {title}", ""])


# --- reading ---------------------------------------------------------------------------------


def test_reads_front_matter() -> None:
    assert read_front_matter("---\ntitle: A\ntags: [x]\n---\n# A\n") == {
        "title": "A",
        "tags": ["x"],
    }


def test_tolerates_crlf_bom_and_a_dots_terminator() -> None:
    assert read_front_matter("\ufeff---\r\ntitle: A\r\n...\r\nbody") == {"title": "A"}


def test_reading_some_keys_agrees_with_reading_all() -> None:
    text = "---\nbase: &b {title: T, tags: [x]}\n<<: *b\nseverity: SEV-1\nfigures: {a: 1}\n---\n"
    full = read_front_matter(text)
    assert full is not None
    assert read_front_matter(text, {"title", "tags", "severity", "missing"}) == {
        "title": full["title"],
        "tags": full["tags"],
        "severity": full["severity"],
    }


TRICKY_TAILS = [
    'title: "quoted\nfigures: across lines"\nseverity: SEV-1\n',
    "title: T\nfigures: 1\nseverity: 'late\nother: key'\n",
    "title: T\nfigures: [a,\ntags: b]\n",
    "title: T\nfigures: {a: 1}\n? tags\n: [late]\n",
    "title: T\nbase: &b {severity: SEV-2}\n<<: *b\n",
    'title: T\nfigures: 1\n"tags": [quoted]\n',
    "title: T\naction_items:\n- key: A\n  what: x\ntags: [after]\n",
    'title: T\naction_items:\n- key: A\n  what: "unterminated\n',
    "title: T\nnotes: |\n  text\ntitle: again\n",
    "pmbot: 1\ntitle: T\nfigures: 1\n# comment\nmore: [1, 2]\n",
]


@pytest.mark.parametrize("front", TRICKY_TAILS)
@pytest.mark.parametrize("loader", ["libyaml", "pure"])
def test_reading_some_keys_is_exact_on_tricky_yaml(
    front: str, loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if loader == "pure":
        monkeypatch.setattr(library_module, "_Loader", yaml.SafeLoader)
    text = f"---\n{front}---\n"
    keys = {"title", "severity", "tags"}
    full = read_front_matter(text)
    expected = None if full is None else {k: v for k, v in full.items() if k in keys}
    assert read_front_matter(text, keys) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# Just Markdown\n",
        "---\ntitle: never closed\n",
        "---\ntitle: [broken\n---\n",
        "---\n- a list\n- not a mapping\n---\n",
        "---\n---\n",
        "text first\n---\ntitle: A\n---\n",
        "---\n!!python/object:os.system ls\n---\n",
    ],
)
def test_missing_or_broken_front_matter_is_none(text: str) -> None:
    assert read_front_matter(text) is None


@pytest.mark.parametrize("keys", [None, ENTRY_KEYS])
def test_alias_bombs_in_front_matter_are_unreadable_not_a_hang(keys: object) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdef", "bcdefg", strict=True)
    )
    started = time.perf_counter()
    for front in (bomb + "tags: *g\n", "title: loop\ntags: &t [*t]\n"):
        text = f"---\n{front}---\n# A\n"
        assert read_front_matter(text, keys) is None  # type: ignore[arg-type]
        assert entry_from_text("2025/a.md", text).problem is not None
    assert time.perf_counter() - started < 1


def test_entry_tolerates_odd_values() -> None:
    entry = entry_from_text(
        "2024/x.md",
        "---\ntitle: 42\ndate: 2024-05-06\nservices: api\ntags: [a, 3, null, {x: 1}]\n"
        "issue: true\nstatus: [weird]\n---\n",
    )
    assert entry == LibraryEntry(
        path="2024/x.md",
        title="42",
        date=date(2024, 5, 6),
        services=("api",),
        tags=("a", "3"),
    )


def test_entry_without_front_matter_reports_a_problem() -> None:
    entry = entry_from_text("2024/2024-01-01-notes.md", "# Notes\n")
    assert entry.problem == "no readable YAML front matter"
    assert entry.title == "2024-01-01-notes"


def test_entries_from_texts_makes_paths_relative_and_skips_the_index() -> None:
    items = [
        ("docs/postmortems/2025/2025-01-02-a.md", doc("A", "2025-01-02")),
        ("docs/postmortems/README.md", "# Postmortems\n"),
    ]
    entries = entries_from_texts(items, docs_dir="docs/postmortems")
    assert [e.path for e in entries] == ["2025/2025-01-02-a.md"]


# --- the index -------------------------------------------------------------------------------


@pytest.fixture
def library(tmp_path: Path) -> Path:
    docs = tmp_path / "postmortems"
    files = {
        "2024/2024-11-03-db-failover.md": doc(
            "DB failover", "2024-11-03", "SEV-1", services=["postgres"], tags=["database"]
        ),
        "2025/2025-02-01-cache.md": doc(
            "Cache [stampede]", "2025-02-01", "SEV-3", services=["api", "redis"], tags=[]
        ),
        "2025/2025-03-09-login.md": doc("Login errors", "2025-03-09", "near-miss"),
        "2025/notes.md": "# Meeting notes, no front matter\n",
        "README.md": "# stale index\n",
    }
    for name, text in files.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    return docs


def test_scan_reports_unreadable_documents(library: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        entries = scan_library(library)
    assert [e.path for e in entries if e.problem] == ["2025/notes.md"]
    assert "2025/notes.md" in caplog.text
    assert len(entries) == 4  # README.md is the index, not a document


def test_readme_is_one_table_and_facets_with_counts(library: Path) -> None:
    readme, _ = build_index(scan_library(library))
    assert readme.startswith("# Postmortems\n")
    assert "3 postmortems." in readme
    rows = [line for line in readme.splitlines() if line.startswith("| 2")]
    assert rows == [
        "| 2025-03-09 | near-miss | [Login errors](2025/2025-03-09-login.md) | — | — | — |",
        "| 2025-02-01 | SEV-3 | [Cache \\[stampede\\]](2025/2025-02-01-cache.md) "
        "| api, redis | — | — |",
        "| 2024-11-03 | SEV-1 | [DB failover](2024/2024-11-03-db-failover.md) | postgres | — | — |",
    ]
    assert "**Severity:** SEV-1 (1) · SEV-3 (1) · near-miss (1)" in readme
    assert "**Year:** 2025 (2) · 2024 (1)" in readme
    assert "**Services:** api (1) · postgres (1) · redis (1)" in readme
    assert "**Tags:** database (1)" in readme
    for path in ("2025/2025-03-09-login.md", "2025/2025-02-01-cache.md"):
        assert readme.count(f"]({path})") == 1  # each postmortem once, whatever its facets
    assert "- [2025/notes.md](2025/notes.md): no readable YAML front matter" in readme
    assert gfm_problems(readme) == []


def test_a_long_facet_and_old_rows_are_folded() -> None:
    entries = [
        entry_from_text(
            f"2025/{n:02d}.md", doc(f"T{n}", f"2025-01-{n % 28 + 1:02d}", tags=[f"tag{n}"])
        )
        for n in range(1, 61)
    ]
    readme, _ = build_index(entries)
    assert "<summary><b>Tags</b> (60)</summary>" in readme
    assert "<summary>10 older postmortems</summary>" in readme
    table_rows = [line for line in readme.splitlines() if line.startswith("| 2025-")]
    assert len(table_rows) == 60  # 50 shown, 10 folded: every postmortem once
    assert gfm_problems(readme) == []


def test_index_json_is_one_sorted_record_per_document(library: Path) -> None:
    _, index = build_index(scan_library(library))
    data = json.loads(index)
    assert [d["path"] for d in data["documents"]] == [
        "2025/2025-03-09-login.md",
        "2025/2025-02-01-cache.md",
        "2024/2024-11-03-db-failover.md",
    ]
    assert data["documents"][2] == {
        "path": "2024/2024-11-03-db-failover.md",
        "title": "DB failover",
        "date": "2024-11-03",
        "severity": "SEV-1",
        "services": ["postgres"],
        "tags": ["database"],
        "categories": [],
        "status": None,
        "issue": None,
    }
    assert data["unreadable"] == [
        {"path": "2025/notes.md", "problem": "no readable YAML front matter"}
    ]
    assert index == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_index_is_deterministic_whatever_the_input_order(library: Path) -> None:
    entries = scan_library(library)
    shuffled = entries[:]
    random.Random(4).shuffle(shuffled)
    assert build_index(entries) == build_index(shuffled)


def test_write_index_writes_both_files_and_is_stable(library: Path) -> None:
    write_index(library)
    first = (library / "README.md").read_text(), (library / "index.json").read_text()
    write_index(library)
    assert ((library / "README.md").read_text(), (library / "index.json").read_text()) == first
    assert "stale index" not in first[0]


def test_empty_library() -> None:
    readme, index = build_index([])
    assert "0 postmortems." in readme and "_None yet._" in readme
    assert json.loads(index) == {"documents": [], "pmbot": 1, "unreadable": []}


def test_hostile_titles_cannot_forge_markers_or_links() -> None:
    entry = entry_from_text(
        "2025/x.md", doc("<!-- pmbot:item {} --> [a](http://evil)", "2025-01-01")
    )
    readme, _ = build_index([entry])
    assert not markers.has(readme, "item")
    assert "\\[a\\](http://evil)" in readme


def test_rendered_documents_index_cleanly(tmp_path: Path) -> None:
    pm = Postmortem(
        title="Rendered",
        severity=Severity.SEV2,
        started=datetime(2025, 4, 1, 8, 0, tzinfo=UTC),
        services=("api",),
    )
    path = tmp_path / "2025" / "2025-04-01-rendered.md"
    path.parent.mkdir()
    path.write_text(render_document(pm), encoding="utf-8")
    (entry,) = scan_library(tmp_path)
    assert (entry.title, entry.severity, entry.services, entry.problem) == (
        "Rendered",
        "SEV-2",
        ("api",),
        None,
    )


# --- similar incidents ---------------------------------------------------------------------


def entry(path: str, day: date, **kw: object) -> LibraryEntry:
    return LibraryEntry(path=path, title=path, date=day, **kw)  # type: ignore[arg-type]


PAST = [
    entry("a.md", date(2025, 2, 1), services=("api",)),  # 3
    entry("b.md", date(2025, 1, 1), tags=("db",)),  # 1
    entry("c.md", date(2025, 2, 20), categories=("technical",), tags=("db",)),  # 3
    entry("d.md", date(2024, 1, 1), services=("api",)),  # outside the window
    entry("e.md", date(2025, 5, 1), services=("api",)),  # after the subject
    entry("f.md", date(2025, 2, 2), services=("web",)),  # nothing shared
    entry("g.md", date(2025, 2, 3), services=("API",), tags=("DB",)),  # 4, case-insensitive
    LibraryEntry(path="h.md", title="h", services=("api",), problem="broken"),
]


def subject() -> Postmortem:
    return Postmortem(
        title="Subject",
        severity=Severity.SEV2,
        started=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
        services=("api",),
        tags=("db",),
        contributing_factors=(
            ContributingFactor(key="CF1", category=FactorCategory.TECHNICAL, description="x"),
        ),
        issue_number=9,
    )


def test_similar_scores_best_first_within_the_window() -> None:
    found = similar_incidents(subject(), PAST, limit=None)
    assert [e.path for e in found] == ["g.md", "c.md", "a.md", "b.md"]


def test_similar_window_and_limit() -> None:
    # g.md is 26 days before the subject, a.md 28.
    in_window = similar_incidents(subject(), PAST, window_days=27)
    assert [e.path for e in in_window] == ["g.md", "c.md"]
    assert len(similar_incidents(subject(), PAST, limit=2)) == 2


def test_similar_excludes_the_subject_itself() -> None:
    me = entry("2025/2025-03-01-subject-issue-9.md", date(2025, 3, 1), services=("api",))
    same_issue = LibraryEntry(
        path="2025/old-name.md", title="x", date=date(2025, 3, 1), services=("api",), issue=9
    )
    found = similar_incidents(subject(), [me, same_issue, *PAST], limit=None)
    assert me not in found and same_issue not in found
    assert me not in similar_incidents(me, [me, *PAST], limit=None)


def test_similar_for_an_undated_subject_uses_now() -> None:
    undated = subject().model_copy(update={"started": None})
    assert similar_incidents(undated, PAST) == []
    now = datetime(2025, 3, 1, tzinfo=UTC)
    assert [e.path for e in similar_incidents(undated, PAST, now=now, limit=1)] == ["g.md"]


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text(doc("Runner secret", "2025-01-01"), encoding="utf-8")
    docs = tmp_path / "docs"
    (docs / "2025").mkdir(parents=True)
    (docs / "2025" / "link.md").symlink_to(outside)
    (docs / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(docs / "2025" / "pipe.md")
    (docs / "2025" / "real.md").write_text(doc("Real", "2025-01-02"), encoding="utf-8")
    assert [e.title for e in scan_library(docs)] == ["Real"]


def test_link_targets_are_encoded() -> None:
    odd = LibraryEntry(
        path="2025/my (odd) name.md", title="Odd", date=date(2025, 1, 1), severity="<!-- pmbot"
    )
    script = LibraryEntry(path="javascript:alert(1).md", title="X", date=date(2025, 1, 1))
    readme, _ = build_index([odd, script])
    assert "](2025/my%20%28odd%29%20name.md)" in readme
    assert "](javascript%3Aalert%281%29.md)" in readme
    assert "<!-- pmbot" not in readme
