"""The GFM checker itself: each problem it looks for is found when present."""

from __future__ import annotations

from helpers.gfm import mermaid_problems, problems


def test_clean_markdown_has_no_problems() -> None:
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    text = f"# Title\n\n{table}\n<details><summary>more</summary>\n\nx\n\n</details>\n"
    assert problems(text) == []


def test_a_wide_table_is_found() -> None:
    header = "| " + " | ".join("abcdefghi") + " |"
    text = f"{header}\n|{'---|' * 9}\n| {' | '.join('123456789')} |\n"
    assert problems(text) == ["a table 9 columns wide"]


def test_an_unclosed_element_and_fence_are_found() -> None:
    assert "<details> never closed" in problems("<details><summary>s</summary>\n\ntext\n")
    assert problems("```\ncode\n") == ["a code fence is never closed"]
    assert problems("````\n```\n````\n") == []


def test_mermaid_blocks_are_checked() -> None:
    good = (
        '%%{init: {"theme": "base"}}%%\nxychart-beta\n    title "t"\n    x-axis ["a", "b"]\n'
        '    y-axis "n" 0 --> 10\n    bar [1, 2]\n    line [5, 5]'
    )
    assert mermaid_problems(good) == []
    assert mermaid_problems("gantt\n  title x") == [
        "mermaid kind 'gantt' is not one GitHub draws here"
    ]
    assert mermaid_problems('%%{init: {theme: base}}%%\npie\n  "a" : 1\n  "b" : 2')[0].startswith(
        "mermaid init is not valid JSON"
    )
    assert mermaid_problems('pie title x\n  "a" : 1') == ["pie with fewer than two slices"]
    short = 'xychart-beta\n  x-axis ["a", "b"]\n  bar [1]'
    assert mermaid_problems(short) == ["xychart series length differs from its x-axis"]
    in_markdown = "```mermaid\nsequenceDiagram\n  a->>b: hi\n```\n"
    assert problems(in_markdown) == ["mermaid kind 'sequenceDiagram' is not one GitHub draws here"]
