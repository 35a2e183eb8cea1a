"""Intake on GitHub, decided: from a postmortem issue and what pmbot already wrote, the writes
that bring GitHub in line with the form. Pure: snapshots and a clock in, Plans out.

Three plans, applied in order by `pmbot.app.intake`:

1. `plan.plan_items` — one issue per action item (created with its labels, owner and the
   hidden `pmbot:item` marker, then linked as a sub-issue), edited rows updated field by
   field, a due date moved by the form recorded with its reason, removed rows labelled and
   commented (never closed or deleted). `issue` says what each item's issue should be and
   matches rows to issues by the marker's `key`, then by similar wording, so a reworded row
   keeps its issue.
   `dependencies.plan_dependencies` then marks each item blocked by the items its
   `Depends on` names, as GitHub issue dependencies, once both have issues.
2. `pmbot.flows.publish.plan_publish` — the document and the library index.
3. `summary.plan_summary` — the one pmbot comment on the postmortem (`pmbot:summary`
   marker) and the `needs-info` / `postmortem-complete` labels, from what exists after 1
   and 2.

Every plan is empty when GitHub already matches, which is what makes a rerun write nothing
and an interrupted run resumable: state lives in GitHub, not here.
"""

from pmbot.flows.intake.dependencies import plan_dependencies, to_read
from pmbot.flows.intake.issue import (
    assignee,
    item_body,
    item_labels,
    item_title,
    managed_labels,
    match_items,
    new_info,
    owners_to_check,
)
from pmbot.flows.intake.plan import (
    allowed,
    items_of,
    last_form_due,
    plan_duplicates,
    plan_items,
)
from pmbot.flows.intake.summary import (
    SUMMARY,
    Publication,
    error_body,
    not_allowed_body,
    plan_not_allowed,
    plan_summary,
    plan_supersede,
    summary_body,
    summary_marker,
)

__all__ = [
    "SUMMARY",
    "Publication",
    "allowed",
    "assignee",
    "error_body",
    "item_body",
    "item_labels",
    "item_title",
    "items_of",
    "last_form_due",
    "managed_labels",
    "match_items",
    "new_info",
    "not_allowed_body",
    "owners_to_check",
    "plan_dependencies",
    "plan_duplicates",
    "plan_items",
    "plan_not_allowed",
    "plan_summary",
    "plan_supersede",
    "summary_body",
    "summary_marker",
    "to_read",
]
