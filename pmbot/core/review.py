"""The review pmbot posts on a postmortem: blame-prone wording, weak action items, gaps.

Wording rules are data (`review.rules` in the config, see `pmbot.core.rules`); the structural
checks below are code, each with a rule id so `review.allow` can switch it off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from pmbot.core.config import CHECK_IDS, Config
from pmbot.core.dependencies import resolve
from pmbot.core.mentions import silence
from pmbot.core.model import ActionItem, Postmortem, Severity
from pmbot.core.rules import Hit, compile_review, segments

Level = Literal["warning", "info"]


@dataclass(frozen=True)
class Finding:
    """One review remark. `line` is the issue-body line, when the parser recorded it."""

    rule: str
    severity: Level
    field: str
    line: int | None
    message: str
    suggestion: str
    quote: str | None = None  # the words that triggered a wording rule


# The structural checks, by id: severity, message, suggestion. `{…}` are filled per finding.
CHECKS: dict[str, tuple[Level, str, str]] = {
    "missing-section": (
        "warning",
        'The "{section}" section is empty.',
        "Fill it in: the review checklist asks every postmortem for it.",
    ),
    "timeline-empty": (
        "warning",
        "The timeline is empty.",
        "Add the key moments in UTC: started, detected, mitigated, resolved, and the decisions "
        "in between.",
    ),
    "no-incident-commander": (
        "warning",
        "No incident commander is named.",
        "Name the incident commander: escalations for overdue action items go to them.",
    ),
    "pledge-unticked": (
        "warning",
        "The blameless pledge is not ticked.",
        "Read the pledge and tick it: the review assumes everyone acted reasonably on what "
        "they knew.",
    ),
    "impact-slo-no-minutes": (
        "warning",
        "An SLO is given but not the minutes of impact.",
        "Add the impact minutes so pmbot can compute the error budget consumed.",
    ),
    "too-many-action-items": (
        "warning",
        "{count} action items; more than {limit} rarely all get done.",
        "Keep the items that address the contributing factors; move the rest to a backlog.",
    ),
    "action-item-no-owner": (
        "warning",
        "This action item has no owner.",
        "Name one GitHub user who will drive it (they can delegate the work).",
    ),
    "action-item-team-owner": (
        "info",
        "This action item is owned by a team, not a person.",
        "Name one person: items owned by a team tend to be owned by nobody.",
    ),
    "action-item-no-due": (
        "info",
        "This action item has no due date; its {priority} SLA sets one {days} days out.",
        "Give a date only if the SLA does not fit.",
    ),
    "action-item-no-success": (
        "warning",
        "This action item has no success criteria.",
        'Say how anyone can check it is done, e.g. "the alert fires in the staging drill".',
    ),
    "review-meeting-missing": (
        "info",
        "The review meeting is not recorded: {missing}.",
        "{severity} postmortems are reviewed in a meeting. Once it is held, fill in its date, "
        "facilitator and attendees (the target: at least 80% of the responders attend).",
    ),
    "responders-missing": (
        "info",
        "No responders are listed, so the review meeting's attendance cannot be measured.",
        "List everyone who worked on the incident, as GitHub logins or names.",
    ),
    "action-item-unknown-dependency": (
        "warning",
        "Depends on names {key}, which is no action item's ID.",
        "Give the item it waits for an ID (e.g. AI-2 in the ID column) and name that ID here, "
        "or remove {key} from Depends on.",
    ),
    "action-item-self-dependency": (
        "warning",
        "This action item depends on itself ({key}).",
        "Remove {key} from its Depends on.",
    ),
    "action-item-dependency-cycle": (
        "warning",
        "These action items wait for each other in a circle: {cycle}; pmbot links none of them.",
        "Remove {key} from this item's Depends on (or break the circle elsewhere): "
        "work that waits for itself never starts.",
    ),
    "factor-unaddressed": (
        "warning",
        "Contributing factor {key} has no action item addressing it.",
        "Add an action item for it (and set its `addresses` to {key}), or say why none is needed.",
    ),
}


def review(pm: Postmortem, config: Config) -> list[Finding]:
    """Every finding for `pm`, in body order (unplaced findings last)."""
    compiled = compile_review(config.review, frozenset(CHECK_IDS))
    # One finding per rule per line: "tell the team to be careful" is one problem, not two.
    hits: dict[tuple[str, str, int | None], Hit] = {}
    for hit in compiled.scan(segments(pm)):
        hits.setdefault((hit.rule.id, hit.field, hit.line), hit)
    found = [_from_hit(hit) for hit in hits.values()]
    found += [f for f in _checks(pm, config) if f.rule not in compiled.disabled]
    return sorted(found, key=lambda f: (f.line is None, f.line or 0))


def _from_hit(hit: Hit) -> Finding:
    rule = hit.rule
    return Finding(
        rule.id, rule.severity, hit.field, hit.line, rule.message, rule.suggestion, hit.quote
    )


def _check(
    rule: str, field: str, line: int | None, quote: str | None = None, **values: object
) -> Finding:
    severity, message, suggestion = CHECKS[rule]
    text, fix = message.format(**values), suggestion.format(**values)
    return Finding(rule, severity, field, line, text, fix, quote)


def _checks(pm: Postmortem, config: Config) -> Iterator[Finding]:
    yield from _sections(pm, config)
    yield from _document(pm)
    yield from _items(pm, config)
    yield from _dependencies(pm)
    yield from _review_meeting(pm)
    yield from _unaddressed(pm)


def _sections(pm: Postmortem, config: Config) -> Iterator[Finding]:
    impact = pm.impact
    filled = {
        "summary": bool((pm.summary or "").strip()),
        "timeline": bool(pm.timeline),
        "contributing_factors": bool(pm.contributing_factors),
        "went_well": bool((pm.went_well or "").strip()),
        "action_items": bool(pm.action_items),
        "impact": any(
            value is not None
            for value in (impact.users, impact.revenue, impact.slo_target, impact.minutes)
        )
        or bool((impact.description or "").strip()),
    }
    near = pm.severity == Severity.NEAR_MISS  # nothing broke: a lighter checklist
    required = config.near_miss.required_sections if near else config.review.required_sections
    for section in required:
        if filled[section]:
            continue
        line = pm.lines.get(section)
        if section == "timeline":
            yield _check("timeline-empty", section, line)
        else:
            yield _check("missing-section", section, line, section=pm.labels.get(section, section))


def _document(pm: Postmortem) -> Iterator[Finding]:
    if not pm.incident_commander:
        yield _check(
            "no-incident-commander", "incident_commander", pm.lines.get("incident_commander")
        )
    if not pm.pledge:
        yield _check("pledge-unticked", "pledge", pm.lines.get("pledge"))
    near_miss = pm.severity == Severity.NEAR_MISS  # no impact to measure
    if pm.impact.slo_target is not None and pm.impact.minutes is None and not near_miss:
        line = pm.lines.get("impact_minutes") or pm.lines.get("slo")
        yield _check("impact-slo-no-minutes", "impact_minutes", line)


def _items(pm: Postmortem, config: Config) -> Iterator[Finding]:
    items = pm.action_items
    limit = config.review.max_action_items
    if len(items) > limit:
        where = pm.lines.get("action_items")
        yield _check("too-many-action-items", "action_items", where, count=len(items), limit=limit)
    for item in items:
        yield from _item(item, item.line or pm.lines.get("action_items"), config, pm.severity)


def _item(
    item: ActionItem, line: int | None, config: Config, severity: Severity
) -> Iterator[Finding]:
    # Item keys are often hashes: the item's own words say which one is meant.
    where = ("action_items", line, item.what)
    if not item.owner:
        yield _check("action-item-no-owner", *where)
    elif item.owner_is_team or "/" in item.owner:
        yield _check("action-item-team-owner", *where)
    if item.due is None:
        days = config.item_sla_days(severity)[item.priority]
        yield _check("action-item-no-due", *where, priority=item.priority.value, days=days)
    if not (item.success or "").strip():
        yield _check("action-item-no-success", *where)


def _dependencies(pm: Postmortem) -> Iterator[Finding]:
    rules = {
        "unknown": "action-item-unknown-dependency",
        "self": "action-item-self-dependency",
        "cycle": "action-item-dependency-cycle",
    }
    for problem in resolve(pm.action_items).problems:
        item = problem.item
        cycle = " → ".join(_key(key) for key in problem.cycle)
        where = ("action_items", item.line or pm.lines.get("action_items"), item.what)
        yield _check(rules[problem.kind], *where, key=_key(problem.key), cycle=cycle)


def _key(key: str) -> str:
    """An item key as a message names it: user text, so only word characters and hyphens."""
    return re.sub(r"[^\w-]", "", key)[:20] or "?"


_MEETING = {
    "review_date": "the date",
    "facilitator": "the facilitator",
    "attendees": "the attendees",
}


def _review_meeting(pm: Postmortem) -> Iterator[Finding]:
    """SEV-1 and SEV-2 postmortems are reviewed in a meeting: say what of it is not recorded.
    A note while the postmortem is being written, a warning once it is final. An issue filed
    before the form had these fields (none of them in its body) is not asked for them."""
    if pm.severity not in (Severity.SEV1, Severity.SEV2):
        return
    given = {
        "review_date": pm.review.held_on is not None,
        "facilitator": pm.review.facilitator is not None,
        "attendees": bool(pm.review.attendees),
    }
    missing = [field for field, ok in given.items() if not ok and field in pm.lines]
    if missing:
        words = [_MEETING[field] for field in missing]
        text = ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]
        found = _check(
            "review-meeting-missing",
            missing[0],
            pm.lines.get(missing[0]),
            missing=f"{text} {'are' if len(words) > 1 else 'is'} missing",
            severity=pm.severity.value,
        )
        yield replace(found, severity="warning") if pm.status == "final" else found
    if not pm.responders and "responders" in pm.lines:
        yield _check("responders-missing", "responders", pm.lines.get("responders"))


def _unaddressed(pm: Postmortem) -> Iterator[Finding]:
    if not pm.action_items:
        return  # "action items missing" already says it, once
    addressed = {
        ref.strip().upper()
        for item in pm.action_items
        for ref in (item.addresses or "").replace(",", " ").split()
    }
    for factor in pm.contributing_factors:
        if factor.key.upper() not in addressed:
            line = factor.line or pm.lines.get("contributing_factors")
            key = re.sub(r"[^\w-]", "", factor.key)  # user text, outside the quoted part
            yield _check(
                "factor-unaddressed", "contributing_factors", line, factor.description, key=key
            )


# --- Markdown ---------------------------------------------------------------------------

# Findings on these fields are listed under another field's heading.
_LISTED_UNDER = {"impact_minutes": "impact"}


def format_findings(findings: Iterable[Finding], labels: Mapping[str, str]) -> str:
    """The findings as Markdown for the review comment, grouped under the form's field labels
    (`labels`: field id → label, in form order)."""
    findings = list(findings)
    if not findings:
        return (
            "### ✅ pmbot review: no findings\n\n"
            "Blameless wording, checkable action items, nothing missing. Thank you!\n"
        )
    out = [f"### pmbot review: {_tally(findings)}", ""]
    for title, group in _grouped(findings, labels):
        out += [f"#### {title}", ""]
        out += [_bullet(f) for f in group]
        out.append("")
    out.append(
        "_Warnings are worth fixing before the postmortem is final; notes are suggestions. "
        "Edit the issue and this review updates._"
    )
    return "\n".join(out) + "\n"


def _tally(findings: list[Finding]) -> str:
    warnings = sum(f.severity == "warning" for f in findings)
    notes = len(findings) - warnings
    parts = [
        f"{n} {word}{'s' if n != 1 else ''}"
        for n, word in ((warnings, "warning"), (notes, "note"))
        if n
    ]
    return ", ".join(parts)


def _grouped(findings: list[Finding], labels: Mapping[str, str]) -> list[tuple[str, list[Finding]]]:
    """Findings under their field's label, fields in form order (unknown fields last)."""
    order = list(labels)
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        field = _LISTED_UNDER.get(finding.field, finding.field)
        groups.setdefault(field, []).append(finding)
    ranked = sorted(groups.items(), key=lambda kv: _rank(order, kv[0]))
    return [(labels.get(field, field), group) for field, group in ranked]


def _rank(order: list[str], field: str) -> int:
    return order.index(field) if field in order else len(order)


def _bullet(f: Finding) -> str:
    icon = "⚠️" if f.severity == "warning" else "ℹ️"
    where = f" (line {f.line})" if f.line is not None else ""
    quote = f"{_code(f.quote)} — " if f.quote else ""
    return f"- {icon}{where} {quote}{f.message}  \n  **Try:** {f.suggestion} `{f.rule}`"


def _code(text: str) -> str:
    """User text as inline code: no Markdown, HTML, markers or @mentions survive in it."""
    # Silenced too: code spans keep mentions quiet on the page, not in email replies.
    flat = silence(" ".join(text.split()).replace("`", "'"))
    if len(flat) > 80:
        flat = flat[:77] + "…"
    return f"`{flat}`"
