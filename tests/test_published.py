"""Everything pmbot publishes, rendered as GitHub renders it (cmark-gfm), checked for what a
reader would trip over: the demo's document, library index, report, summary comment, notices
and action-item bodies, as they reached the sandbox."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from helpers.gfm import mermaid_blocks, mermaid_problems, problems

from pmbot.app.demo import run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert run_demo(out) == 0
    return out


def _writes(out: Path) -> dict[str, list[str]]:
    """Markdown pmbot wrote to GitHub, by kind: item bodies, comments, report issue."""
    kinds: dict[str, list[str]] = {"item": [], "comment": [], "report": []}
    for line in (out / "sandbox-log.jsonl").read_text(encoding="utf-8").splitlines():
        exchange = json.loads(line)
        body = (exchange.get("request_body") or {}).get("body")
        if exchange["method"] not in ("POST", "PATCH") or not isinstance(body, str):
            continue
        if exchange["path"].endswith("/comments") or "/comments/" in exchange["path"]:
            kinds["comment"].append(body)
        elif "pmbot:item" in body:
            kinds["item"].append(body)
        elif "/issues" in exchange["path"] and "report" in body[:200].lower():
            kinds["report"].append(body)
    return kinds


def _documents(out: Path) -> list[Path]:
    docs = out / "docs" / "postmortems"
    return [p for p in sorted(docs.rglob("*.md")) if p.name != "README.md"]


def test_the_demo_publishes_every_kind(demo: Path) -> None:
    writes = _writes(demo)
    assert _documents(demo), "no document"
    assert (demo / "docs" / "postmortems" / "README.md").is_file()
    assert writes["item"] and writes["report"]
    assert any("pmbot:summary" in c for c in writes["comment"])
    assert any("pmbot:reminder" in c for c in writes["comment"])


def test_every_published_markdown_renders_cleanly(demo: Path) -> None:
    texts = {str(p.relative_to(demo)): p.read_text(encoding="utf-8") for p in _documents(demo)}
    texts["index"] = (demo / "docs" / "postmortems" / "README.md").read_text(encoding="utf-8")
    texts["report.md"] = (demo / "report.md").read_text(encoding="utf-8")
    for kind, bodies in _writes(demo).items():
        texts |= {f"{kind} {n}": body for n, body in enumerate(bodies)}
    found = {name: problems(text) for name, text in texts.items()}
    assert {name: p for name, p in found.items() if p} == {}


def test_the_report_draws_charts_github_draws(demo: Path) -> None:
    report = (demo / "report.md").read_text(encoding="utf-8")
    blocks = mermaid_blocks(report)
    assert blocks, "the report has no chart"
    assert all(b.startswith("%%{init:") for b in blocks), "every chart sets its palette"
    assert [p for b in blocks for p in mermaid_problems(b)] == []


def test_the_report_ends_with_the_report(demo: Path) -> None:
    """The request counts go to stderr, not into the saved report."""
    report = (demo / "report.md").read_text(encoding="utf-8")
    assert "GitHub requests" not in report


def test_the_index_lists_each_postmortem_once(demo: Path) -> None:
    index = (demo / "docs" / "postmortems" / "README.md").read_text(encoding="utf-8")
    lines = [ln for ln in index.splitlines() if ln.strip() and set(ln.strip()) - set("|-: ")]
    repeated = {ln: n for ln, n in Counter(lines).items() if n > 1}
    assert repeated == {}
    for doc in _documents(demo):
        assert index.count(f"({doc.relative_to(demo / 'docs' / 'postmortems').as_posix()})") == 1
