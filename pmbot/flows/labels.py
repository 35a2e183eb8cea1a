"""`pmbot labels`' plan: create, up front, each label pmbot and its issue forms use that the
repository does not have yet.

GitHub drops a label an issue form applies when the label does not exist, so a postmortem or
action item filed before pmbot first created its labels would never be seen. A label that
exists (in any letter case) is left exactly as it is: its colour and description are the
repository's business; a rerun writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pmbot.core.config import Config, LabelSpec
from pmbot.plan import Action, Plan, Writer

# The postmortem label's name is `postmortem_label` in the config; its look is fixed here.
POSTMORTEM_COLOR = "e99695"
POSTMORTEM_DESCRIPTION = "A postmortem filed with the Postmortem form; pmbot reviews and tracks it"


@dataclass(frozen=True)
class CreateLabel(Action):
    spec: LabelSpec

    def describe(self) -> str:
        return f"create label {self.spec.name} (#{self.spec.color}): {self.spec.description}"

    def perform(self, gh: Writer) -> None:
        # ensure_labels checks for a lost answer and takes "already exists" as done.
        gh.ensure_labels((self.spec,))


def wanted_labels(config: Config, extra: Sequence[LabelSpec] = ()) -> tuple[LabelSpec, ...]:
    """Every label pmbot uses with this configuration, once each (GitHub ignores case)."""
    postmortem = LabelSpec(
        name=config.postmortem_label, color=POSTMORTEM_COLOR, description=POSTMORTEM_DESCRIPTION
    )
    specs = [postmortem, *config.all_labels(), *extra]
    unique: dict[str, LabelSpec] = {}
    for spec in specs:
        unique.setdefault(spec.name.lower(), spec)
    return tuple(unique.values())


def plan_labels(wanted: Sequence[LabelSpec], existing: Iterable[str]) -> Plan:
    """Create the wanted labels missing from `existing` (names, any case); note the rest."""
    have = {name.lower() for name in existing}
    missing = tuple(CreateLabel(0, spec=s) for s in wanted if s.name.lower() not in have)
    there = len(wanted) - len(missing)
    note = f"{there} of the {len(wanted)} labels pmbot uses were there already (left as they are)"
    return Plan(missing, notes=(note,))
