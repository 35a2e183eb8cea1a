"""Plans: the writes pmbot intends, as frozen actions, and the one place they are applied.

Planners (sweep, commands, intake) return a Plan; `trim_to_budget` keeps what fits this run,
most urgent first; `apply` performs it — or, in a dry run, only describes it. An item's
actions travel together (a reminder without its state update would be repeated next run),
so budgets and failures are per item, never per action.
"""

from pmbot.plan.actions import (
    LOW_URGENCY,
    Action,
    AddLabels,
    CreateComment,
    CreateIssue,
    Plan,
    RemoveLabel,
    SetAssignees,
    SetState,
    UpdateBody,
    UpsertComment,
    Urgency,
    Writer,
    urgency,
)
from pmbot.plan.apply import ApplyResult, Failure, Log, apply, summary
from pmbot.plan.budget import trim_to_budget

__all__ = [
    "LOW_URGENCY",
    "Action",
    "AddLabels",
    "ApplyResult",
    "CreateComment",
    "CreateIssue",
    "Failure",
    "Log",
    "Plan",
    "RemoveLabel",
    "SetAssignees",
    "SetState",
    "UpdateBody",
    "UpsertComment",
    "Urgency",
    "Writer",
    "apply",
    "summary",
    "trim_to_budget",
    "urgency",
]
