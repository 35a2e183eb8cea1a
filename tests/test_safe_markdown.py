"""User prose cannot hide the rest of a published document or smuggle active content into it:
each hostile document is rendered as GitHub renders Markdown (cmark-gfm, no sanitiser) and
every section must survive, with no dangerous element, attribute or link scheme left."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from helpers.gfm import DOCUMENT_SECTIONS, Page, problems

from pmbot.core.model import (
    ActionItem,
    ContributingFactor,
    FactorCategory,
    Impact,
    Postmortem,
    Priority,
    Severity,
    TimelineEvent,
    WhyChain,
)
from pmbot.core.safe_markdown import neutralise, neutralise_line, safe_destination
from pmbot.render.document import render_document

SECTIONS = [*DOCUMENT_SECTIONS, "Regulatory impact"]

# Each would hide later sections, or carry active content, if copied as written.
HOSTILE_PROSE = {
    "html comment": "<!-- the rest of the document is a comment",
    "marker-like comment": "<!--\nnothing after this shows",
    "open fence": "Here is the log:\n```\nERROR everything after this is code",
    "open tilde fence": "~~~~\nstill code",
    "fence closed by a shorter run": "````\ncode\n```\nstill code",
    "unclosed details": "<details><summary>Click</summary>\nhidden",
    "script": "<script>alert(document.cookie)</script>",
    "img onerror": '<img src=x onerror="alert(1)">',
    "svg onload": "<svg onload=alert(1)>",
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "style": "<style>h2 { display: none }</style>",
    "javascript link": "[click me](javascript:alert(1))",
    "entity-encoded scheme": "[click](jav&#x61;script&#58;alert(1))",
    "escaped colon": "[click](javascript\\:alert(1))",
    "angle-bracket link": "[click](<javascript:alert(1)>)",
    "data image": "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    "vbscript": "[x](VBScript:msgbox)",
    "reference definition": "[click][evil]\n\n[evil]: javascript:alert(1)",
    "autolink": "<javascript:alert(1)>",
    "html block": "<div>\n\n## Fake section\n",
    "textarea": "<textarea>",
    "plaintext": "<plaintext>",
    "xmp": "<xmp>",
    "noscript": "<noscript>",
    "title tag": "<title>",
    "cdata": "<![CDATA[",
    "processing instruction": "<?php",
    "declaration": "<!DOCTYPE x [",
}


def sections(page: Page) -> list[str]:
    """The document's own sections, in order (a heading the author wrote in prose is theirs)."""
    return [h for h in page.heading_texts(2) if h in SECTIONS]


def document_with(text: str) -> str:
    pm = Postmortem(
        title=text.replace("\n", " "),
        severity=Severity.SEV2,
        status="draft",
        incident_commander="carol",
        authors=("alice",),
        started=datetime(2026, 3, 1, 14, 0, tzinfo=UTC),
        services=("api",),
        summary=text,
        impact=Impact(description=text, users=text, revenue=text),
        timeline=(TimelineEvent(at=datetime(2026, 3, 1, 14, 5, tzinfo=UTC), text=text),),
        contributing_factors=(
            ContributingFactor(key="CF1", category=FactorCategory.TECHNICAL, description=text),
        ),
        whys=(WhyChain(title=text.replace("\n", " "), steps=(text, text)),),
        went_well=text,
        went_poorly=text,
        got_lucky=text,
        action_items=(
            ActionItem(
                key="AI-1", what=text, owner="bob", priority=Priority.P1, due=date(2026, 4, 1),
                success=text,
            ),
        ),
        lessons=text,
        regulatory=text,
    )  # fmt: skip
    return render_document(pm)


@pytest.mark.parametrize("text", HOSTILE_PROSE.values(), ids=HOSTILE_PROSE.keys())
def test_no_prose_can_hide_a_section_or_carry_active_content(text: str) -> None:
    document = document_with(text)
    page = Page.of(document)
    assert sections(page) == SECTIONS
    assert page.dangerous() == set()
    # The one comment is pmbot's own marker for the library index, which user text cannot
    # imitate; every comment the prose tried to open is shown as text.
    assert [c for c in page.comments if not c.startswith(" pmbot:document {")] == []
    assert len(page.comments) == 1
    assert problems(document) == []  # no element left open, no fence left open


def test_all_at_once() -> None:
    text = "\n\n".join(HOSTILE_PROSE.values())
    page = Page.of(document_with(text))
    assert sections(page) == SECTIONS and page.dangerous() == set()


def test_prose_still_reads_as_written() -> None:
    text = (
        "We saw `<b>` in the **logs**; see [the runbook](https://example.com/r?a=1&b=2), "
        "[the README](../README.md) and <mailto:ops@example.com>.\n\n"
        "```yaml\nkey: <value>\n```\n\n- a < b\n- c > d"
    )
    page = Page.of(document_with(text))
    shown = "".join(page.text)
    assert "a < b" in shown and "c > d" in shown and "<mailto:ops@\u200bexample.com>" in shown
    assert "https://example.com/r?a=1&b=2" in page.targets and "../README.md" in page.targets
    assert "strong" in page.elements and "code" in page.elements


def test_closed_fences_are_kept_and_an_open_one_becomes_text() -> None:
    assert neutralise("a\n```py\nx = '<b>'\n```\n<b>") == "a\n```py\nx = '<b>'\n```\n&lt;b>"
    assert neutralise("```\nopen <b>") == "\\```\nopen &lt;b>"
    assert neutralise("  ~~~~\n~~~\nstill") == "  \\~~~~\n\\~~~\nstill"
    assert neutralise("```\n~~~\nx\n```") == "```\n~~~\nx\n```"
    assert neutralise("``` not `a` fence\n<b>") == "``` not `a` fence\n&lt;b>"


def test_many_unclosed_fences_stay_fast() -> None:
    import time

    text = "\n".join("`" * (3 + n % 40) if n % 2 else "~" * (40 - n % 37) for n in range(16_000))
    started = time.perf_counter()
    neutralise(text)
    assert time.perf_counter() - started < 1


def test_code_spans_are_left_as_written() -> None:
    assert neutralise_line("`<b>` and <b> and ``a ` <i>``") == "`<b>` and &lt;b> and ``a ` <i>``"
    assert neutralise_line("`unclosed <b>") == "`unclosed &lt;b>"


@pytest.mark.parametrize(
    ("dest", "safe"),
    [
        ("https://example.com", True),
        ("http://x", True),
        ("MAILTO:a@b.c", True),
        ("../doc.md", True),
        ("#section", True),
        ("a/b:c", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:x", False),
        ("java\tscript:x", False),
        ("jav&#x61;script:x", False),
        ("javascript&colon;x", False),
        ("javascript\\:x", False),
        ("<javascript:x>", False),
        ("data:text/html,x", False),
        ("file:///etc/passwd", False),
    ],
)
def test_link_schemes(dest: str, safe: bool) -> None:
    assert safe_destination(dest) is safe


def test_long_backtick_runs_stay_fast() -> None:
    import time

    text = " ".join("`" * (n % 50 + 1) for n in range(20_000))
    started = time.perf_counter()
    neutralise(text)
    assert time.perf_counter() - started < 1
