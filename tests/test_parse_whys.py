from __future__ import annotations

from pmbot.core.parse.common import FieldReader
from pmbot.core.parse.whys import parse_whys


def reader(start: int | None = 80) -> FieldReader:
    return FieldReader("five_whys", "Five whys", start)


def test_chains_with_headings() -> None:
    text = """\
Chain: Why did checkout fail?
1. Requests timed out.
2. The pool was too small.

**Why was it slow to mitigate?**
- Responders suspected the provider.
- Rollback needed approval.
Detection gap:
Why 1: no dashboard for config
Why 2: config pushes are not events
"""
    chains = parse_whys(text, reader())
    assert [c.title for c in chains] == [
        "Why did checkout fail?",
        "Why was it slow to mitigate?",
        "Detection gap",
    ]
    assert chains[0].steps == ("Requests timed out.", "The pool was too small.")
    assert chains[2].steps == ("no dashboard for config", "config pushes are not events")
    assert [c.line for c in chains] == [80, 84, 87]


def test_blank_lines_separate_untitled_chains() -> None:
    chains = parse_whys("1. a\n2. b\n\n\n1. c\n2. d\n3. e", reader())
    assert [c.title for c in chains] == [None, None]
    assert [c.steps for c in chains] == [("a", "b"), ("c", "d", "e")]


def test_heading_then_blank_line_keeps_its_steps() -> None:
    chains = parse_whys("### Chain A\n\n1. one\n2. two", reader())
    assert [(c.title, c.steps) for c in chains] == [("Chain A", ("one", "two"))]


def test_empty() -> None:
    assert parse_whys(None, reader()) == []
    assert parse_whys("Chain: nothing yet", reader()) == []
