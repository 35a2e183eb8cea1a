"""User text pmbot re-posts notifies nobody and cross-references nothing, and reads the same."""

from __future__ import annotations

import pytest
from helpers.gfm import Page, live_mentions

from pmbot.core.mentions import ZWSP, silence


@pytest.mark.parametrize(
    "text",
    [
        "cc @alice",
        "Ping @acme/eng-leads",
        "@bob-the-builder did it",
        "(@carol)",
        "`@dave`",  # a code span protects nobody in an email reply
        "``x `@erin` y``",
        "_x_@frank",
        "\\@grace",
        "&#64;heidi and &#x40;ivan and &commat;judy",
        "**@mallory**",
        " ".join(f"@user{n}" for n in range(500)),
    ],
)
def test_no_mention_survives(text: str) -> None:
    assert live_mentions(text) != []
    assert live_mentions(silence(text)) == []
    assert live_mentions(silence(text), markdown=True) == []


def test_markdown_mentions_are_read_as_github_reads_them() -> None:
    assert live_mentions("`@a` _x_@b [@c](https://x) ``y`` @d`", markdown=True) == ["b", "c", "d"]
    assert live_mentions("&#64;e **@f**", markdown=True) == ["e", "f"]


def test_it_reads_the_same() -> None:
    text = "Thanks @alice and @acme/sre for #12; mail ops@example.com. &#8212; GH-7"
    quiet = silence(text)
    assert quiet.replace(ZWSP, "") == text
    page = Page.of(quiet)
    assert (
        "".join(page.text).replace(ZWSP, "").strip()
        == "Thanks @alice and @acme/sre for #12; mail ops@example.com. — GH-7"
    )


@pytest.mark.parametrize(
    ("text", "quiet"),
    [
        ("see #123", f"see #{ZWSP}123"),
        ("acme/web#5", f"acme/web#{ZWSP}5"),
        ("GH-42", f"GH-{ZWSP}42"),
        ("&#8212; and &#x2014;", "&#8212; and &#x2014;"),  # entities stay entities
        ("# heading and #tag", "# heading and #tag"),
    ],
)
def test_references_link_nothing(text: str, quiet: str) -> None:
    assert silence(text) == quiet


def test_silence_is_idempotent() -> None:
    text = "@a #1 GH-2 &#64;b"
    assert silence(silence(text)) == silence(text)
