"""Action items as GitHub's own issue types and issue fields (`issues` in the configuration),
where the repository's organisation has them.

`decide` matches the configuration against what the organisation has: a type or field it
lacks, or a field that cannot hold the value (an option missing), is left out and named in
the run summary with the key and the fix; an owner without issue types or fields at all
(a user's repository, or the feature off) keeps labels only. Labels are always written, so
nothing depends on the native side being there. `plan_native` keeps open items in step:
only a type or value that differs is written, so a rerun writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from pmbot.core.config import Config
from pmbot.core.model import Postmortem, Priority
from pmbot.flows.intake.issue import new_info
from pmbot.flows.items import TrackedItem
from pmbot.github.models import FieldValue, IssueFieldDef
from pmbot.plan import Action, Plan
from pmbot.plan.actions import CreateSubIssue, SetIssueFields, SetIssueType, urgency

ITEM_TYPES = ("prevent", "detect", "mitigate", "process")
# The data types an issue field may have to hold each of pmbot's values.
HOLDS = {
    "priority": ("single_select", "text"),
    "due": ("date", "text"),
    "type": ("single_select", "text"),
}
CHOICES = {"priority": tuple(p.value for p in Priority), "type": ITEM_TYPES}


@dataclass(frozen=True)
class NativeField:
    field: IssueFieldDef
    source: str  # priority, due or type


@dataclass(frozen=True)
class Native:
    """What of `issues` the organisation has: the type to give and the fields to fill."""

    type: str | None = None  # as the organisation spells it
    fields: tuple[NativeField, ...] = ()
    problems: tuple[str, ...] = ()  # for the run summary: each names the key and the fix

    @property
    def active(self) -> bool:
        return self.type is not None or bool(self.fields)

    def values(self, priority: str, due: date, kind: str | None) -> dict[str, FieldValue]:
        """The issue field values (by field name) an item with these values should have."""
        given = {"priority": priority, "due": due.isoformat(), "type": kind}
        out: dict[str, FieldValue] = {}
        for f in self.fields:
            value = given[f.source]
            if value is None:
                continue
            options = {o.lower(): o for o in f.field.options}
            out[f.field.name] = options.get(value.lower(), value) if options else value
        return out

    def ids(self) -> dict[str, int]:
        """Field name -> the issue field's id, which GitHub's writes take."""
        return {f.field.name: f.field.id for f in self.fields}

    def wire(self, values: Mapping[str, FieldValue]) -> tuple[tuple[int, FieldValue], ...]:
        ids = self.ids()
        return tuple((ids[name], value) for name, value in sorted(values.items()))


NONE = Native()


def wanted(config: Config) -> bool:
    """Whether the configuration asks for issue types or fields at all (else nothing is read)."""
    return config.issues.type is not None or bool(config.issues.fields)


def decide(
    config: Config,
    owner: str,
    types: Sequence[str],
    fields: Mapping[str, IssueFieldDef],
) -> Native:
    """The configured type and fields that `owner`'s `types` and `fields` allow."""
    problems: list[str] = []
    kind, chosen = config.issues.type, None
    if kind is not None and types:
        chosen = {t.lower(): t for t in types}.get(kind.lower())
        if chosen is None:
            problems.append(
                f"issues.type: the organisation {owner} has no issue type {kind!r} (it has "
                f"{', '.join(types)}). Fix: set issues.type to one of them, or to null; action "
                "items keep their labels meanwhile"
            )
    keep: list[NativeField] = []
    by_lower = {name.lower(): f for name, f in fields.items()}
    for name, source in sorted(config.issues.fields.items()) if fields else ():
        f = by_lower.get(name.lower())
        if f is None:
            problems.append(
                f"issues.fields.{name}: the organisation {owner} has no issue field {name!r} "
                f"(it has {', '.join(sorted(fields))}). Fix: create it in the organisation's "
                "settings, or rename or remove the key"
            )
            continue
        problem = _cannot_hold(name, source, f)
        if problem is None:
            keep.append(NativeField(f, source))
        else:
            problems.append(problem)
    if (kind is not None and not types) or (config.issues.fields and not fields):
        problems.append(
            f"issues: {owner} has no GitHub issue types or issue fields for this repository "
            "(a user's repository, or the feature is not enabled); action items keep labels only"
        )
    return Native(type=chosen, fields=tuple(keep), problems=tuple(problems))


def _cannot_hold(name: str, source: str, f: IssueFieldDef) -> str | None:
    """Why issue field `f` cannot hold the item's `source`, or None."""
    key = f"issues.fields.{name}"
    if f.data_type not in HOLDS[source]:
        return (
            f"{key}: the issue field is a {f.data_type} field and cannot hold the item's "
            f"{source}. Fix: map it to a {' or '.join(HOLDS[source])} field"
        )
    if f.data_type == "single_select":
        have = {o.lower() for o in f.options}
        lacking = [c for c in CHOICES[source] if c.lower() not in have]
        if lacking:
            return (
                f"{key}: the issue field has no option {', '.join(lacking)} (it has "
                f"{', '.join(f.options)}). Fix: add the options in the organisation's settings"
            )
    return None


def plan_native(items: Sequence[TrackedItem], native: Native) -> Plan:
    """The type and field values that differ on open items, one write each at most."""
    actions: list[Action] = []
    for item in items:
        if not item.is_open:
            continue
        rank = urgency(item.priority, 0, item.number)
        if native.type is not None and (item.issue_type or "").lower() != native.type.lower():
            actions.append(SetIssueType(item.number, name=native.type, urgency=rank))
        have = dict(item.field_values)
        want = native.values(item.priority.value, item.due, item.info.type)
        changed = {n: v for n, v in want.items() if not _same(have.get(n), v)}
        if changed:
            ids = native.ids()
            values = tuple((ids[n], n, v) for n, v in sorted(changed.items()))
            actions.append(SetIssueFields(item.number, values=values, urgency=rank))
    return Plan(tuple(actions))


def _same(have: FieldValue | None, want: FieldValue) -> bool:
    if isinstance(have, int | float) and isinstance(want, int | float):
        return float(have) == float(want)
    return isinstance(have, str) and isinstance(want, str) and have.lower() == want.lower()


def with_native(plan: Plan, pm: Postmortem, opened: date, config: Config, native: Native) -> Plan:
    """Intake's plan with each new action item created with the type and field values."""
    if not native.active:
        return plan
    rows = {row.key: row for row in pm.action_items}

    def given(action: Action) -> Action:
        if not isinstance(action, CreateSubIssue) or action.key not in rows:
            return action
        info = new_info(pm, rows[action.key], opened, config)
        values = native.values(info.priority.value, info.due, info.type)
        return replace(action, issue_type=native.type, field_values=native.wire(values))

    return replace(plan, actions=tuple(given(a) for a in plan.actions))
