"""`report --post`, decided: the one report issue pmbot keeps, created once and then edited
in place only when the report changed."""

from __future__ import annotations

from collections.abc import Sequence

from pmbot.core import markers
from pmbot.github.models import IssueSnapshot
from pmbot.plan import CreateIssue, EditIssue, Plan

REPORT_LABEL = "pmbot-report"
REPORT_MARKER = "report"
REPORT_TITLE = "pmbot report"


def report_body(text: str) -> str:
    marker = markers.encode(REPORT_MARKER, {})
    return f"{markers.defuse_markers(text).rstrip()}\n\n{marker}\n"


def own_reports(issues: Sequence[IssueSnapshot], me: str) -> list[IssueSnapshot]:
    """pmbot's report issues among `issues` (a marker in someone else's issue is not trusted)."""
    mine = [i for i in issues if i.author == me and markers.has(i.body, REPORT_MARKER)]
    return sorted(mine, key=lambda i: i.number)


def plan_report_post(text: str, mine: Sequence[IssueSnapshot]) -> Plan:
    """Create the report issue, or edit the oldest of pmbot's own when its text changed."""
    body = report_body(text)
    if not mine:
        marker = markers.encode(REPORT_MARKER, {})
        issue = CreateIssue(0, REPORT_TITLE, body, marker, labels=(REPORT_LABEL,))
        return Plan((issue,))
    if mine[0].body.rstrip() == body.rstrip():
        return Plan()
    return Plan((EditIssue(mine[0].number, body=body, why="the program report"),))
