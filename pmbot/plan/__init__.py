"""Plans: the writes pmbot intends, as frozen actions, and the one place they are applied.

Planners (sweep, commands, intake) return a Plan; `trim_to_budget` keeps what fits this run,
most urgent first; `apply` performs it — or, in a dry run, only describes it. An item's
actions travel together (a reminder without its state update would be repeated next run),
so budgets and failures are per item, never per action. Every write pmbot makes goes through
here: intake, the sweep, `/pmbot` commands and `report --post`.
"""

from pmbot.plan.actions import (
    FIRST,
    LOW_URGENCY,
    Action,
    AddBlockedBy,
    AddLabels,
    CreateComment,
    CreateIssue,
    CreateSubIssue,
    EditComment,
    EditIssue,
    EnsureLabels,
    ItemKey,
    LinkSubIssue,
    Plan,
    PublishFiles,
    RemoveLabel,
    SetAssignees,
    SetState,
    UpdateBody,
    UpsertComment,
    Urgency,
    urgency,
)
from pmbot.plan.apply import ApplyResult, Failure, Log, Refresh, apply
from pmbot.plan.budget import share_budget, trim_to_budget
from pmbot.plan.writer import Writer

__all__ = [
    "FIRST",
    "LOW_URGENCY",
    "Action",
    "AddBlockedBy",
    "AddLabels",
    "ApplyResult",
    "CreateComment",
    "CreateIssue",
    "CreateSubIssue",
    "EditComment",
    "EditIssue",
    "EnsureLabels",
    "Failure",
    "ItemKey",
    "LinkSubIssue",
    "Log",
    "Plan",
    "PublishFiles",
    "Refresh",
    "RemoveLabel",
    "SetAssignees",
    "SetState",
    "UpdateBody",
    "UpsertComment",
    "Urgency",
    "Writer",
    "apply",
    "share_budget",
    "trim_to_budget",
    "urgency",
]
