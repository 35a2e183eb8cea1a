"""An action item's issue as intake wants it — title, body, labels, assignee, marker — and
which existing issue each row of the form is (by its key, then by similar wording)."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from datetime import date

from pmbot.core import markers
from pmbot.core.config import Config
from pmbot.core.figures import item_due
from pmbot.core.mentions import silence
from pmbot.core.model import ActionItem, Postmortem, Priority, Severity
from pmbot.core.safe_markdown import neutralise_line
from pmbot.flows.items import TrackedItem
from pmbot.flows.tracking import ItemInfo

TITLE_LIMIT = 100
SIMILAR_ENOUGH = 0.6  # difflib ratio above which a reworded row is the same item


# --- action items: desired state ------------------------------------------------------------


def _quiet(text: str) -> str:
    """User text in an item body: no markup that hides the rest, no mention, no reference."""
    return silence(neutralise_line(markers.defuse_markers(text)))


def item_title(item: ActionItem) -> str:
    flat = " ".join(silence(markers.defuse_markers(item.what)).split())
    title = f"[{item.priority}] {flat}"
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1].rstrip() + "…"


def _title_cut(item: ActionItem) -> bool:
    """Whether the issue title had to cut the item's text (then the body says it whole)."""
    return len(f"[{item.priority}] {' '.join(item.what.split())}") > TITLE_LIMIT


def what_of(title: str) -> str:
    """The `what` an item title was made from ("[P1] Add a canary" → "Add a canary")."""
    return title.split("] ", 1)[1] if title.startswith("[P") and "] " in title else title


def _factor(pm: Postmortem, key: str | None) -> str | None:
    found = next((cf for cf in pm.contributing_factors if cf.key == key), None)
    if found is None:
        return None
    return _quiet(f"{found.key} ({found.category}): {found.description}")


def _owner_line(info: ItemInfo) -> str:
    if info.owner is None:
        return "nobody yet — a person should own this item"
    if info.owner_is_team:
        return f"the team @{info.owner} — a person should own this item"
    return f"@{info.owner}"


def item_body(
    pm: Postmortem, item: ActionItem, info: ItemInfo, config: Config, document: str | None = None
) -> str:
    """The visible part of an action-item issue (markers are added by `with_markers`).

    The issue's title already says what the item is; the body repeats it only when the title
    had to be cut. `document`: the URL of the postmortem's document on the default branch."""
    due = info.due
    if item.due is not None and item.due == due:
        source = "from the postmortem form"
    elif item.due is None and due == item_due(item, info.opened, sla_days(config, pm.severity)):
        source = f"the {item.priority} SLA" + (" of a near-miss" if info.near_miss else "")
    else:
        source = "moved with `/pmbot due`, see the comments"
    sla = config.item_sla_days(pm.severity)[item.priority]
    title = _quiet(" ".join(pm.title.split()))
    doc = f" · [the document]({document})" if document else ""
    lines = [
        f"An action item of the postmortem #{pm.issue_number}: **{title}**{doc}",
        "",
        *([f"**What:** {_quiet(item.what)}"] if _title_cut(item) else []),
        f"**Why:** addresses {_factor(pm, item.addresses) or 'no contributing factor named'}",
        f"**Success criteria:** {_quiet(item.success) if item.success else _NO_SUCCESS}",
        f"**Owner:** {_owner_line(info)}",
        f"**Priority:** {item.priority} (SLA {sla} days) · **Type:** {item.type or '—'}",
        f"**Due:** {due.isoformat()} ({source})",
        "",
        "Close this issue when the success criteria are met. Need more time? Comment "
        "`/pmbot due YYYY-MM-DD <reason>`.",
    ]
    return markers.defuse_markers("\n".join(lines)) + "\n"


_NO_SUCCESS = "_not given: say how anyone can check it is done_"


def item_labels(
    item: ActionItem, config: Config, severity: Severity | None = None
) -> tuple[str, ...]:
    """An item's labels; `severity`: its postmortem's (a near-miss's SLA label differs)."""
    names = [config.labels.action_item.name, config.priority_label(item.priority).name]
    names.append(config.sla_label(item.priority, severity).name)
    if item.type is not None:
        names.append(config.type_label(item.type).name)
    return tuple(names)


def managed_labels(config: Config) -> frozenset[str]:
    """Labels intake sets from the form (others, like `overdue`, belong to the sweep)."""
    specs = [*config.labels.priority.values(), *config.labels.type.values()]
    names = {s.name for s in specs} | {
        config.sla_label(p, sev).name for p in Priority for sev in (None, Severity.NEAR_MISS)
    }
    return frozenset(names | {config.labels.action_item.name})


def assignee(item: ActionItem, unassignable: Collection[str] = ()) -> tuple[str, ...]:
    """Who the item's issue is assigned to: its owner, unless a team or one GitHub would
    refuse here (then nobody, and the summary says so)."""
    if item.owner is None or item.owner_is_team or item.owner in unassignable:
        return ()
    return (item.owner,)


def owners_to_check(pm: Postmortem, issues: Sequence[TrackedItem]) -> list[str]:
    """Owners whose assignability decides a write this run: of rows to be created or given a
    new owner. An owner already assigned on their item is assignable; no read for them."""
    matched, _ = match_items(pm.action_items, issues)
    wanted: dict[str, None] = {}
    for row in pm.action_items:
        (owner,) = assignee(row) or (None,)
        existing = matched.get(row.key)
        if owner is None or (existing is not None and existing.info.owner == row.owner):
            continue
        if existing is None or owner not in existing.assignees:
            wanted[owner] = None
    return list(wanted)


def new_info(pm: Postmortem, item: ActionItem, opened: date, config: Config) -> ItemInfo:
    return ItemInfo(
        pm=pm.issue_number or 0,
        key=item.key,
        priority=item.priority,
        due=item_due(item, opened, sla_days(config, pm.severity)),
        opened=opened,
        owner=item.owner,
        owner_is_team=item.owner_is_team,
        commander=pm.incident_commander,
        authors=pm.authors,
        type=str(item.type) if item.type else None,
        near_miss=pm.severity == Severity.NEAR_MISS,
    )


def sla_days(config: Config, severity: Severity | None = None) -> dict[str, int]:
    """The SLA in days per priority (as `item_due` wants it) of a postmortem's items."""
    return {str(p): d for p, d in config.item_sla_days(severity).items()}


# --- matching rows to issues ------------------------------------------------------------


def match_items(
    rows: Sequence[ActionItem], issues: Sequence[TrackedItem]
) -> tuple[dict[str, TrackedItem], list[TrackedItem]]:
    """(row key → its issue, issues no row claims). By key first, then by similar wording."""
    live = [i for i in sorted(issues, key=lambda i: i.number) if not i.is_duplicate]
    matched: dict[str, TrackedItem] = {}
    for row in rows:
        found = next((i for i in live if i.info.key == row.key), None)
        if found is not None:
            matched[row.key] = found
    taken = {i.number for i in matched.values()}
    spare = [i for i in live if i.number not in taken and i.info.key not in matched]
    for row in rows:
        if row.key in matched:
            continue
        best = _most_similar(row, spare)
        if best is not None:
            matched[row.key] = best
            spare.remove(best)
    claimed = {i.number for i in matched.values()}
    keys = {r.key for r in rows}
    unclaimed = [i for i in live if i.number not in claimed and i.info.key not in keys]
    return matched, unclaimed


def _most_similar(row: ActionItem, issues: Sequence[TrackedItem]) -> TrackedItem | None:
    scored = [
        (
            difflib.SequenceMatcher(None, row.what.casefold(), what_of(i.title).casefold()).ratio(),
            i,
        )
        for i in issues
    ]
    good = [(score, -i.number, i) for score, i in scored if score >= SIMILAR_ENOUGH]
    return max(good, key=lambda s: (s[0], s[1]))[2] if good else None
