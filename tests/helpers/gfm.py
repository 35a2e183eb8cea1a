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

For hostile input: `Page.of(md)` reads the rendered page back (headings, elements,
attributes, link targets, comments, the text outside code) from HTML rendered without
GitHub's tag filter, so nothing a document lets through hides; `Page.dangerous()` names
active content; `live_mentions` finds what GitHub would notify.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

MAX_COLUMNS = 8
MERMAID_KINDS = ("xychart-beta", "pie", "flowchart")
# The shipped document's level-2 sections, in order ("Regulatory impact" only when given).
DOCUMENT_SECTIONS = (
    "Summary",
    "Impact",
    "Timeline (UTC)",
    "Contributing factors",
    "Five whys",
    "What went well",
    "What went poorly",
    "Where we got lucky",
    "Action items",
    "Lessons learned",
    "Similar past incidents",
)
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


# --- hostile input: what a page really contains, and whom it notifies -------------------

_EXTENSIONS = ["table", "autolink", "strikethrough", "tasklist"]  # GitHub's, less tagfilter
SAFE_SCHEMES = ("http", "https", "mailto")
# Elements and attributes that run code or load active content wherever HTML is rendered.
DANGEROUS_ELEMENTS = frozenset(
    {"script", "style", "iframe", "object", "embed", "form", "input", "button", "meta", "link",
     "base", "svg", "math", "details", "textarea", "frame", "frameset", "applet", "img"}
)  # fmt: skip
# GitHub's mention syntax, read strictly: `@login` or `@org/team` after anything but a letter or
# digit (`_x_@a` is a mention once `_x_` is emphasis).
_MENTION = re.compile(
    r"(?<![A-Za-z0-9])@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:/[A-Za-z0-9_.-]+)?)"
)


def render_unfiltered(markdown: str) -> str:
    """Like `render`, but without GitHub's tag filter either, which would escape `<script>`,
    `<style>`, `<iframe>`… and so hide them from a test: every raw tag a document lets
    through shows up in the result."""
    return str(
        cmarkgfm.markdown_to_html_with_extensions(
            markdown, options=_OPTIONS, extensions=_EXTENSIONS
        )
    )


@dataclass
class Page(HTMLParser):
    """What a rendered page contains."""

    headings: list[tuple[int, str]] = field(default_factory=list)
    elements: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)
    targets: list[str] = field(default_factory=list)  # href and src values
    comments: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # outside code and pre
    _heading: int | None = None
    _code: int = 0

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    @classmethod
    def of(cls, markdown: str) -> Page:
        page = cls()
        page.feed(render_unfiltered(markdown))
        page.close()
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name in ("href", "src") and value is not None:
                self.targets.append(value)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = int(tag[1])
            self.headings.append((self._heading, ""))
        if tag in ("code", "pre"):
            self._code += 1

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = None
        if tag in ("code", "pre"):
            self._code = max(self._code - 1, 0)

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            level, text = self.headings[-1]
            self.headings[-1] = (level, text + data)
        if not self._code:
            self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def heading_texts(self, level: int) -> list[str]:
        return [text.strip() for lvl, text in self.headings if lvl == level]

    def unsafe_targets(self) -> list[str]:
        """Link and image targets whose scheme is not http(s), mailto or relative."""
        bad = []
        for target in self.targets:
            cleaned = re.sub(r"[\x00-\x20\x7f]", "", html.unescape(target))
            scheme = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", cleaned)
            if scheme and scheme[1].lower() not in SAFE_SCHEMES:
                bad.append(target)
        return bad

    def dangerous(self) -> set[str]:
        """Dangerous elements, event-handler attributes and unsafe link targets found."""
        found = {f"<{e}>" for e in self.elements & DANGEROUS_ELEMENTS}
        found |= {f"{a}=" for a in self.attributes if a.startswith("on") or a == "style"}
        found |= {f"link to {t}" for t in self.unsafe_targets()}
        return found


def live_mentions(text: str, *, markdown: bool = False) -> list[str]:
    """Every login or team GitHub would notify for this text. Plain text (titles, commit
    messages) is read raw, entities decoded. Markdown (bodies, comments) is read as GitHub
    reads it: each rendered text node outside code, so a code span the author closes early
    or emphasis that splits a word is seen as GitHub sees it."""
    if not markdown:
        return [m[1] for m in _MENTION.finditer(html.unescape(text))]
    return [m[1] for node in Page.of(text).text for m in _MENTION.finditer(node)]
