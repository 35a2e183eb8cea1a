"""What an action item shows on the Projects board of `project.board`: its fields and values.

Priority, Due date and Postmortem follow the item on every run. Status is set to Todo when
the item joins the board and otherwise left to people (moving a card to In Progress is
theirs to do), except that a closed item is Done.
"""

from __future__ import annotations

from pmbot.core.model import Priority
from pmbot.flows.items import TrackedItem
from pmbot.github.models import BoardItem, ProjectFieldSpec, ProjectRef

FIELDS = (
    ProjectFieldSpec(
        name="Priority", data_type="single_select", options=tuple(p.value for p in Priority)
    ),
    ProjectFieldSpec(name="Due date", data_type="date"),
    ProjectFieldSpec(
        name="Status", data_type="single_select", options=("Todo", "In Progress", "Done")
    ),
    ProjectFieldSpec(name="Postmortem", data_type="text"),
)


def board_ref(board: str) -> ProjectRef:
    """`orgs/OWNER/NUMBER` or `users/LOGIN/NUMBER` (validated by the configuration)."""
    kind, owner, number = board.split("/")
    return ProjectRef(owner=owner, number=int(number), owner_is_org=kind == "orgs")


def board_item(item: TrackedItem, repository: str) -> BoardItem:
    values: list[tuple[str, str | float | None]] = [
        ("Priority", item.priority.value),
        ("Due date", item.due.isoformat()),
        ("Postmortem", f"{repository}#{item.info.pm}"),
    ]
    if not item.is_open:
        values.append(("Status", "Done"))
    return BoardItem(issue_id=item.id, values=tuple(values), initial=(("Status", "Todo"),))
