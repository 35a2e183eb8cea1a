"""Review findings as the summary comment shows them: one line per kind of finding.

`pmbot review` lists every finding with its line and rule (what an author fixing the form
needs). The comment on the postmortem is read by everyone, so it says each kind of problem
once, naming the items or words it concerns, and leaves out what its own action-item table
already shows (an owner that is missing or a team, a due date the SLA set).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pmbot.core.markers import defuse_markers
from pmbot.core.mentions import silence
from pmbot.core.review import Finding

# Answered by the action-item table (its Owner and Due columns).
IN_THE_TABLE = frozenset({"action-item-no-due", "action-item-no-owner", "action-item-team-owner"})
# Checks whose message speaks of one item or factor: the line's title speaks of them all.
TITLES = {
    "action-item-no-success": "Action items without success criteria",
    "factor-unaddressed": "Contributing factors no action item addresses",
}
NAME_LIMIT = 60


@dataclass(frozen=True)
class ReviewLine:
    severity: str  # warning | info
    title: str
    names: tuple[str, ...]
    suggestion: str

    def markdown(self) -> str:
        icon = "⚠️" if self.severity == "warning" else "ℹ️"
        names = f" {', '.join(self.names)}." if self.names else ""
        return f"- {icon} **{self.title}:**{names} {self.suggestion}"


def shorten(text: str, limit: int = NAME_LIMIT) -> str:
    """One line of at most `limit` characters, cut at a word boundary (never mid-word)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.-") + "…"


def _code(text: str) -> str:
    """User words as inline code: no markup, mention or marker survives in it (silenced too:
    a code span keeps a mention quiet on the page, not in the notification email)."""
    return "`" + silence(shorten(text)).replace("`", "'") + "`"


def _name(finding: Finding, labels: Mapping[str, str]) -> str | None:
    if not finding.quote:
        return None
    if finding.field == "action_items" or finding.rule in TITLES:
        return _code(finding.quote)
    return f"{_code(finding.quote)} ({labels.get(finding.field, finding.field)})"


def review_lines(findings: Iterable[Finding], labels: Mapping[str, str]) -> list[ReviewLine]:
    """One line per rule, warnings first, each naming what it concerns (form order)."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.rule not in IN_THE_TABLE:
            groups.setdefault(finding.rule, []).append(finding)
    lines = []
    for rule, group in groups.items():
        first = group[0]
        title = TITLES.get(rule) or first.message.rstrip(".")
        names = tuple(dict.fromkeys(n for n in (_name(f, labels) for f in group) if n))
        lines.append(ReviewLine(first.severity, title, names, first.suggestion))
    return sorted(lines, key=lambda line: line.severity != "warning")


def review_markdown(findings: Iterable[Finding], labels: Mapping[str, str]) -> str:
    """The comment's review section: a heading with the tally and one line per kind."""
    lines = review_lines(findings, labels)
    if not lines:
        return "### ✅ Review: nothing to fix\n\nBlameless wording, checkable action items."
    warnings = sum(line.severity == "warning" for line in lines)
    notes = len(lines) - warnings
    tally = ", ".join(
        f"{n} {word}{'s' if n != 1 else ''}"
        for n, word in ((warnings, "warning"), (notes, "note"))
        if n
    )
    body = [f"### Review: {tally}", "", *(line.markdown() for line in lines)]
    return defuse_markers("\n".join(body))
