"""Markdown as GitHub shows it: render with cmark-gfm (GitHub's own Markdown library) and check
what a reader would trip over. Shared by every test of published Markdown.

`render(md)` is the HTML GitHub would start from (raw HTML kept, as GitHub keeps `<details>`
and friends before sanitising). `problems(md)` lists what can be checked mechanically:

- a table wider than `MAX_COLUMNS` columns (GitHub squeezes it into unreadable cells);
- an element opened and never closed (or closed out of order), in the rendered HTML;
- a code fence still open at the end of the text (cmark silently closes it there);
- a Mermaid block that GitHub would not draw: its kind must be one GitHub draws
  (`xychart-beta`, `pie`, `flowchart`), an `%%{init: …}%%` line must hold valid JSON, and
  an xychart's series must match its x-axis.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

MAX_COLUMNS = 8
MERMAID_KINDS = ("xychart-beta", "pie", "flowchart")
_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_GITHUB_PRE_LANG
_VOID = frozenset(
    "area base br col embed hr img input link meta source track wbr".split()  # noqa: SIM905
)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MERMAID = re.compile(r'<pre lang="mermaid"><code>(.*?)</code></pre>', re.DOTALL)
_INIT = re.compile(r"^%%\{init:\s*(.*)\}%%$")
_NUMBER = r"-?\d+(?:\.\d+)?"
_LIST = re.compile(r"^\[(.*)\]$")


def render(markdown: str) -> str:
    """The HTML cmark-gfm makes of `markdown`, with GitHub's extensions."""
    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=_OPTIONS))


class _Shape(HTMLParser):
    """Open/close balance and table widths of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.widths: list[int] = []
        self._cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        self.stack.append(tag)
        if tag == "tr":
            self._cells = 0
        elif tag in ("th", "td"):
            self._cells += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "tr":
            self.widths.append(self._cells)


def mermaid_blocks(markdown: str) -> list[str]:
    """The source of every ```mermaid block, as GitHub would hand it to Mermaid."""
    return [html.unescape(m) for m in _MERMAID.findall(render(markdown))]


def mermaid_problems(source: str) -> list[str]:
    lines = [line.strip() for line in source.strip().splitlines() if line.strip()]
    found: list[str] = []
    while lines and lines[0].startswith("%%"):
        init = _INIT.match(lines.pop(0))
        if init is not None:
            try:
                json.loads(init.group(1))
            except ValueError as err:
                found.append(f"mermaid init is not valid JSON: {err}")
    if not lines:
        return [*found, "empty mermaid block"]
    kind = lines[0].split()[0]
    if kind not in MERMAID_KINDS:
        return [*found, f"mermaid kind {kind!r} is not one GitHub draws here"]
    if kind == "xychart-beta":
        found += _xychart_problems(lines[1:])
    elif kind == "pie":
        found += _pie_problems(lines)
    return found


def _values(text: str) -> list[str]:
    match = _LIST.match(text.strip())
    return [] if match is None else [v.strip() for v in match.group(1).split(",") if v.strip()]


def _xychart_problems(lines: list[str]) -> list[str]:
    found: list[str] = []
    categories: list[str] | None = None
    series: list[list[str]] = []
    for line in lines:
        word, _, rest = line.partition(" ")
        if word == "title":
            if not re.fullmatch(r'"[^"]*"', rest.strip()):
                found.append(f"xychart title not quoted: {line}")
        elif word == "x-axis":
            categories = _values(rest)
            if not categories:
                found.append(f"xychart x-axis has no categories: {line}")
        elif word == "y-axis":
            if not re.fullmatch(rf'(?:"[^"]*"\s*)?(?:{_NUMBER} --> {_NUMBER})?', rest.strip()):
                found.append(f"xychart y-axis malformed: {line}")
        elif word in ("bar", "line"):
            values = _values(rest)
            bad = [v for v in values if not re.fullmatch(_NUMBER, v)]
            if bad or not values:
                found.append(f"xychart {word} has non-numbers: {line}")
            series.append(values)
        else:
            found.append(f"xychart line not understood: {line}")
    if categories is None:
        found.append("xychart without x-axis")
    elif any(len(values) != len(categories) for values in series):
        found.append("xychart series length differs from its x-axis")
    if not series:
        found.append("xychart without data")
    return found


def _pie_problems(lines: list[str]) -> list[str]:
    found: list[str] = []
    slices = 0
    for line in lines[1:]:
        if line.startswith("title "):
            continue
        match = re.fullmatch(rf'"[^"]+"\s*:\s*({_NUMBER})', line)
        if match is None:
            found.append(f"pie line not understood: {line}")
        elif float(match.group(1)) > 0:
            slices += 1
    if slices < 2:
        found.append("pie with fewer than two slices")
    return found


def _open_fence(markdown: str) -> bool:
    fence: str | None = None
    for line in markdown.splitlines():
        match = _FENCE.match(line)
        if fence is None and match is not None:
            fence = match.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None if set(line.strip()) == {fence[0]} else fence
    return fence is not None


def problems(markdown: str) -> list[str]:
    """Everything mechanically wrong with `markdown` as GitHub would show it."""
    shape = _Shape()
    shape.feed(render(markdown))
    shape.close()
    found = list(shape.problems)
    found += [f"<{tag}> never closed" for tag in shape.stack]
    found += [f"a table {w} columns wide" for w in sorted(set(shape.widths)) if w > MAX_COLUMNS]
    if _open_fence(markdown):
        found.append("a code fence is never closed")
    for block in mermaid_blocks(markdown):
        found += mermaid_problems(block)
    return found
