"""What an action item shows on the Projects board of `project.board`: its fields and values.

Priority, Due date, Severity (its postmortem's) and Postmortem follow the item on every run.
Status follows the issue's state as GitHub's own board workflows do: Todo when an item joins
the board, Done when its issue is closed, Todo again when it is reopened; in between it is
left to people (moving a card to In Progress is theirs to do).

The board's listing is read without its Done cards (`LISTING`), so the reads follow the open
work, not every item the board ever held; an open issue whose card is Done (it was reopened)
is therefore not listed, joins again and gets Todo.
"""

from __future__ import annotations

from pmbot.core.forms import Form
from pmbot.core.forms.body import parse_body
from pmbot.core.model import Priority, Severity
from pmbot.core.postmortem import severity_named
from pmbot.flows.items import TrackedItem
from pmbot.github.models import BoardClosed, BoardItem, FieldValue, ProjectFieldSpec, ProjectRef

STATUS, TODO, DONE = "Status", "Todo", "Done"
FIELDS = (
    ProjectFieldSpec(
        name="Priority", data_type="single_select", options=tuple(p.value for p in Priority)
    ),
    ProjectFieldSpec(name="Due date", data_type="date"),
    ProjectFieldSpec(name=STATUS, data_type="single_select", options=(TODO, "In Progress", DONE)),
    ProjectFieldSpec(
        name="Severity", data_type="single_select", options=tuple(s.value for s in Severity)
    ),
    ProjectFieldSpec(name="Postmortem", data_type="text"),
)
LISTING = f"-{STATUS.lower()}:{DONE}"  # the board's filter: every card but the Done ones


def board_ref(board: str) -> ProjectRef:
    """`orgs/OWNER/NUMBER` or `users/LOGIN/NUMBER` (validated by the configuration)."""
    kind, owner, number = board.split("/")
    return ProjectRef(owner=owner, number=int(number), owner_is_org=kind == "orgs")


def board_item(item: TrackedItem, repository: str, severity: Severity | None = None) -> BoardItem:
    values: list[tuple[str, FieldValue | None]] = [
        ("Priority", item.priority.value),
        ("Due date", item.due.isoformat()),
        ("Postmortem", f"{repository}#{item.info.pm}"),
    ]
    if severity is not None:  # unknown (a postmortem not found or unreadable): left as it is
        values.append(("Severity", severity.value))
    if not item.is_open:
        values.append((STATUS, DONE))
    return BoardItem(issue_id=item.id, values=tuple(values), initial=((STATUS, TODO),))


def when_closed(label: str) -> BoardClosed:
    """A closed action item (`label`) the sweep no longer reads is Done on the board."""
    return BoardClosed(label=label, values=((STATUS, DONE),))


def severity_of(body: str | None, form: Form) -> Severity | None:
    """The severity a postmortem issue's form answer names, or None."""
    answer = parse_body(form, body).values.get("severity")
    return severity_named(answer) if isinstance(answer, str) else None
