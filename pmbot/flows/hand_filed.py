"""Action items filed by hand with the Action item issue form: their answers, read and written.

Such an item has no `item` marker a person could be believed about: its answers are read
from the form (`issue_templates/action-item.yml`), with every pmbot marker in the body blanked
out first. It is keyed `manual-<issue number>`, opened on the issue's creation date, due on
the explicit date or else after the priority's SLA, owned by the form's owner or else its
first assignee, and its author is the person asked when it has no owner. A `/pmbot due` or
`/pmbot owner` command rewrites that one answer (`set_due`, `set_owner`), so the form stays
what people read and edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from pmbot.core.forms import Form, ParsedForm, parse_body, set_answer, validate_required
from pmbot.core.model import Priority, utc
from pmbot.core.parse.common import Unreadable, short
from pmbot.core.parse.item_vocab import parse_priority, parse_type
from pmbot.core.parse.times import parse_date
from pmbot.core.parse.users import parse_user
from pmbot.errors import Problem
from pmbot.flows.tracking import ItemInfo

MANUAL_PREFIX = "manual-"
PM_FIX = "write the postmortem issue as #123, 123 or its link (…/issues/123)."
_PM_REF = re.compile(r"#?(\d+)|https?://\S+/issues/(\d+)(?:[/?#]\S*)?", re.IGNORECASE)
# Fields without which pmbot cannot follow the item; the form's other required fields
# (what, success, …) are the author's business, not the sweep's.
_NEEDED = ("priority", "postmortem")
_T = TypeVar("_T")


class FormProblems(Exception):
    """A hand-filed form pmbot cannot follow: one Problem per answer (with its line)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))


def parse_pm_ref(text: str) -> int:
    """`#12`, `12` or an issue link → 12; raises Unreadable otherwise."""
    match = _PM_REF.fullmatch(text.strip().strip("`*<>"))
    number = int(match[1] or match[2]) if match else 0
    if number <= 0:
        raise Unreadable(f"'{short(text)}' is not a postmortem issue.", PM_FIX)
    return number


def manual_info(
    number: int,
    body: str,
    *,
    created_at: datetime,
    sla_days: Mapping[Priority, int],
    form: Form,
    author: str | None = None,
    assignees: Sequence[str] = (),
) -> ItemInfo | None:
    """The ItemInfo of an action item filed with the Action item form (`form`, loaded by the
    app layer); None when the body is not that form at all; FormProblems listing every answer
    pmbot cannot use."""
    parsed = parse_body(form, blank_markers(body))
    if len(parsed.missing) == len(form.fields):
        return None
    reader = _Answers(number, form, parsed)
    reader.problems += [
        _renamed(p, reader.name(p.field))
        for p in validate_required(form, parsed)
        if p.field in _NEEDED
    ]
    priority = reader.read("priority", parse_priority)
    pm = reader.read("postmortem", parse_pm_ref)
    due = reader.read("due", parse_date)
    item_type = reader.read("type", parse_type)
    owner = reader.read("owner", parse_user)
    if reader.problems or priority is None or pm is None:
        raise FormProblems(reader.problems)
    opened = utc(created_at).date()
    if due is None:
        due = opened + timedelta(days=sla_days[priority])
    login = owner.login if owner else (assignees[0] if assignees else None)
    return ItemInfo(
        pm=pm,
        key=f"{MANUAL_PREFIX}{number}",
        priority=priority,
        due=due,
        opened=opened,
        owner=login,
        owner_is_team=bool(owner and owner.is_team),
        authors=(author,) if author else (),
        type=str(item_type) if item_type else None,
    )


def set_due(form: Form, body: str, due: date) -> str:
    """The form with its Due date answer moved (what `/pmbot due` does to a hand-filed item)."""
    return set_answer(form, body, "due", due.isoformat(), view=blank_markers(body))


def set_owner(form: Form, body: str, owner: str) -> str:
    """The form with its Owner answer handed to `owner` (what `/pmbot owner` does)."""
    return set_answer(form, body, "owner", f"@{owner}", view=blank_markers(body))


def _renamed(problem: Problem, name: str) -> Problem:
    return Problem(name, problem.message, problem.fix, problem.line)


@dataclass
class _Answers:
    """Reads one form answer at a time, collecting a Problem (with its line) per bad one."""

    number: int
    form: Form
    parsed: ParsedForm
    problems: list[Problem] = field(default_factory=list)

    def name(self, field_id: str) -> str:
        return f"issue #{self.number} {self.form.field(field_id).label} [{field_id}]"

    def read(self, field_id: str, parse: Callable[[str], _T]) -> _T | None:
        value = self.parsed.values.get(field_id)
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            return None
        try:
            return parse(text)
        except Unreadable as error:
            line = self.parsed.lines.get(field_id)
            self.problems.append(Problem(self.name(field_id), error.message, error.fix, line))
            return None


def blank_markers(text: str) -> str:
    """text with pmbot's markers blanked out (newlines kept, so body lines stay true)."""
    return _ANY_MARKER.sub(lambda m: "\n" * m.group().count("\n"), text)


_ANY_MARKER = re.compile(r"<!-- pmbot:[a-z][a-z0-9_-]* \{.*?\} -->", re.DOTALL)
