"""User prose made safe to place inside a Markdown document pmbot publishes.

Anyone who files a postmortem writes its prose, and the document is read on GitHub, in
editors, on static sites and in exports, not all of which sanitise. One field must not be
able to change what the rest of the document is:

- an unclosed fence (```` ``` ````, `~~~`) would turn every later section into code: a fence
  that nothing closes within the field is escaped to plain text (appending a closing line
  instead would open a fence wherever the field does not start a line);
- raw HTML — an HTML comment that hides the rest, an unclosed `<details>`, `<script>`,
  `<img onerror>` — is escaped (`<` becomes `&lt;`), so it reads as the text it is;
- link and image destinations keep only http(s), mailto and relative targets; any other
  scheme (`javascript:`, `data:`, `vbscript:` …, however encoded) leaves the link as text.

Code spans and fenced code are left as written: nothing in them is markup.
"""

from __future__ import annotations

import bisect
import html
import re

from pmbot.core.markers import defuse_markers
from pmbot.core.mentions import silence

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_FENCE_CLOSE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*$")
_BACKTICKS = re.compile(r"`+")
# An inline link or image: `](destination`, the destination bare or in <...>.
_LINK = re.compile(r"\]\((?P<space>[ \t]*\n?[ \t]*)(?P<dest><[^>\n]*>|[^\s)]*)")
# A link reference definition: `[label]: destination` at the start of a line.
_DEFINITION = re.compile(r"^(?P<lead> {0,3})\[(?P<rest>[^\]\n]+\]:[ \t]*(?P<dest>\S+))", re.M)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def neutralise(text: str) -> str:
    """Multi-line prose: fences kept only when closed, raw HTML escaped, unsafe link targets
    disarmed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    prose: list[str] = []
    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.match(lines[i])
        if opened is None or (opened["fence"][0] == "`" and "`" in opened["info"]):
            prose.append(lines[i])
            i += 1
            continue
        end = _closing(lines, i + 1, opened["fence"])
        if end is None:
            # Never closed: it would turn the rest of the document into code. Its opening
            # line becomes plain text (the backticks escaped) and what follows stays prose.
            cut = opened.start("fence")
            prose.append(f"{lines[i][:cut]}\\{lines[i][cut:]}")
            i += 1
            continue
        if prose:
            out.append(_prose("\n".join(prose)))
            prose = []
        out.extend(lines[i : end + 1])  # code: nothing in it is markup
        i = end + 1
    if prose:
        out.append(_prose("\n".join(prose)))
    return "\n".join(out)


def _closing(lines: list[str], start: int, fence: str) -> int | None:
    """The index of the line that closes `fence`, or None when nothing does."""
    for index in range(start, len(lines)):
        closed = _FENCE_CLOSE.match(lines[index])
        if closed and closed["fence"][0] == fence[0] and len(closed["fence"]) >= len(fence):
            return index
    return None


def neutralise_line(text: str) -> str:
    """A one-line value (a title, a table cell): raw HTML escaped, unsafe links disarmed."""
    return _prose(text)


def inert_line(text: str) -> str:
    """A one-line user value as pmbot republishes it anywhere (document, front matter,
    index): whitespace collapsed, marker imitations defused, markup made inert, silenced."""
    return silence(neutralise_line(defuse_markers(" ".join(text.split()))))


def _prose(text: str) -> str:
    """Text outside fences: code spans kept, everything else made inert."""
    parts: list[str] = []
    at = 0
    for code_start, code_end in _code_spans(text):
        parts.append(_inert(text[at:code_start]))
        parts.append(text[code_start:code_end])
        at = code_end
    parts.append(_inert(text[at:]))
    return "".join(parts)


def _code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each code span: a run of n backticks up to the next run of exactly n."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    spans: list[tuple[int, int]] = []
    used = -1
    for index, (start, end) in enumerate(runs):
        if start < used:
            continue
        same = by_length[end - start]
        later = bisect.bisect_right(same, index)
        if later < len(same):
            close = runs[same[later]]
            spans.append((start, close[1]))
            used = close[1]
    return spans


def _inert(text: str) -> str:
    text = text.replace("<", "&lt;")
    text = _LINK.sub(_link, text)
    return _DEFINITION.sub(_definition, text)


def _link(match: re.Match[str]) -> str:
    if safe_destination(match["dest"]):
        return match[0]
    return "]\\(" + match["space"] + match["dest"]  # `\(`: the brackets stay plain text


def _definition(match: re.Match[str]) -> str:
    if safe_destination(match["dest"]):
        return match[0]
    return f"{match['lead']}\\[{match['rest']}"


def safe_destination(dest: str) -> bool:
    """Whether a link destination, as Markdown and a browser will decode it, is http(s),
    mailto or relative."""
    decoded = html.unescape(_ESCAPED.sub(r"\1", dest.replace("&lt;", "<")))
    decoded = _INVISIBLE.sub("", decoded.strip().removeprefix("<").removesuffix(">"))
    scheme = _SCHEME.match(decoded)
    return scheme is None or scheme[1].lower() in ALLOWED_SCHEMES
