"""Five whys: one or more causal chains, each a heading (optional) and its steps.

Chains are separated by a heading-ish line (`Chain: …`, `**…**`, `### …`, a line ending in
`:`) or by a blank line after some steps; steps may be numbered, bulleted or plain.
"""

from __future__ import annotations

import re

from pmbot.core.model import WhyChain
from pmbot.core.parse.common import FieldReader, numbered_lines, strip_bullet

MAX_CHAINS = 25  # a safety cap on untrusted input, far above any real postmortem
_BOLD = re.compile(r"^(\*\*|__)(?P<text>.+?)\1:?$")
_WHY_PREFIX = re.compile(r"^why\s*\d*\s*[:.)\-–—]\s*", re.IGNORECASE)


def _heading(line: str) -> str | None:
    """The chain title if the line is a heading, else None."""
    text = line.strip()
    if text.startswith("#"):
        return text.lstrip("#").strip().rstrip(":") or None
    if bold := _BOLD.match(text):
        return bold["text"].strip().rstrip(":")
    if re.match(r"(?i)chain\b", text) or (text.endswith(":") and not _WHY_PREFIX.match(text)):
        title = text.rstrip(":").strip()
        return re.sub(r"(?i)^chain\s*:\s*", "", title) or title
    return None


def parse_whys(text: str | None, reader: FieldReader) -> list[WhyChain]:
    if not text:
        return []
    chains: list[tuple[str | None, int, list[str]]] = []
    current: tuple[str | None, int, list[str]] | None = None
    for offset, line in numbered_lines(text):
        content, bulleted = strip_bullet(line)
        title = None if bulleted else _heading(line)
        if not content or title is not None:
            if current is not None and (current[2] or title is not None):
                chains.append(current)
                current = None
            if title is not None:
                current = (title, offset, [])
            continue
        if current is None:
            current = (None, offset, [])
        current[2].append(_WHY_PREFIX.sub("", content).strip())
    if current is not None:
        chains.append(current)
    chains = [chain for chain in chains if chain[2]]
    if len(chains) > MAX_CHAINS:
        reader.problem(
            f"{len(chains)} why-chains; pmbot reads at most {MAX_CHAINS}.",
            "keep the chains that lead to action items.",
            chains[MAX_CHAINS][1],
        )
    return [
        WhyChain(title=title, steps=tuple(steps), line=reader.line(offset))
        for title, offset, steps in chains[:MAX_CHAINS]
    ]
