"""`.github/pmbot.yml`: typed, validated once at load, every default in `data/defaults.yml`.

The models carry no defaults of their own (bar a few per-entry ones for user-added review
rules): the shipped file is the single source, and `load_config` deep-merges the user's
file over it. Every problem is reported at once, with key path, line and fix.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from pmbot.core.model import ItemType, Priority, Severity
from pmbot.errors import ConfigError, Problem

CONFIG_PATH = Path(".github/pmbot.yml")
DEFAULTS_NAME = "defaults.yml"

# Form field ids whose free text the review reads; "*" in a rule's `applies_to` means all.
TEXT_FIELDS = (
    "summary",
    "impact",
    "detection_method",
    "timeline",
    "contributing_factors",
    "five_whys",
    "went_well",
    "went_poorly",
    "got_lucky",
    "action_items",
    "lessons",
)
# The review's structural checks (`pmbot.core.review.CHECKS`), which `review.allow` can name.
CHECK_IDS = (
    "missing-section",
    "timeline-empty",
    "no-incident-commander",
    "pledge-unticked",
    "impact-slo-no-minutes",
    "too-many-action-items",
    "action-item-no-owner",
    "action-item-team-owner",
    "action-item-no-due",
    "action-item-no-success",
    "factor-unaddressed",
)
# Sections the review's quality checklist can require.
Section = Literal[
    "summary", "timeline", "contributing_factors", "went_well", "action_items", "impact"
]
SECTIONS: tuple[str, ...] = get_args(Section)

# GitHub's `author_association` values.
Association = Literal[
    "OWNER",
    "MEMBER",
    "COLLABORATOR",
    "CONTRIBUTOR",
    "FIRST_TIME_CONTRIBUTOR",
    "FIRST_TIMER",
    "MANNEQUIN",
    "NONE",
]


Team = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _require_all(mapping: Mapping[Any, Any], keys: type[Priority] | type[ItemType]) -> None:
    missing = [k.value for k in keys if k not in mapping]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")


class LabelSpec(Model):
    name: str = Field(min_length=1, max_length=50)  # GitHub's limit
    color: str = Field(pattern=r"^[0-9a-fA-F]{6}$")
    description: str = Field(max_length=100)


class Labels(Model):
    action_item: LabelSpec
    overdue: LabelSpec
    needs_info: LabelSpec
    complete: LabelSpec
    removed: LabelSpec
    escalated: LabelSpec
    wont_do: LabelSpec
    priority: Mapping[Priority, LabelSpec]
    sla: LabelSpec  # a template: `{days}` in name/description is the priority's SLA
    type: Mapping[ItemType, LabelSpec]

    @field_validator("priority")
    @classmethod
    def _all_priorities(cls, v: Mapping[Priority, LabelSpec]) -> Mapping[Priority, LabelSpec]:
        _require_all(v, Priority)
        return v

    @field_validator("type")
    @classmethod
    def _all_types(cls, v: Mapping[ItemType, LabelSpec]) -> Mapping[ItemType, LabelSpec]:
        _require_all(v, ItemType)
        return v

    @field_validator("sla")
    @classmethod
    def _sla_template(cls, v: LabelSpec) -> LabelSpec:
        if "{days}" not in v.name:
            raise ValueError("the SLA label name must contain {days}, e.g. 'sla:{days}d'")
        return v


class Limits(Model):
    max_action_items: PositiveInt
    max_body_bytes: PositiveInt
    max_timeline_rows: PositiveInt


class Reminders(Model):
    due_soon_days: Mapping[Priority, NonNegativeInt]
    repeat_days: Mapping[Priority, PositiveInt]

    @field_validator("due_soon_days", "repeat_days")
    @classmethod
    def _all_priorities(cls, v: Mapping[Priority, int]) -> Mapping[Priority, int]:
        _require_all(v, Priority)
        return v


class Escalation(Model):
    commander_after_days: PositiveInt
    leadership_after_days: PositiveInt
    leadership_team: Team | None

    @model_validator(mode="after")
    def _ladder_climbs(self) -> Escalation:
        if self.leadership_after_days <= self.commander_after_days:
            raise ValueError("leadership_after_days must be greater than commander_after_days")
        return self


class Budget(Model):
    max_writes_per_run: PositiveInt
    rate_limit_floor: NonNegativeInt
    writes_per_minute: PositiveInt = Field(le=80)  # GitHub's secondary limit
    writes_per_hour: PositiveInt = Field(le=500)


class Similar(Model):
    window_days: PositiveInt


class Templates(Model):
    document: str | None

    @field_validator("document")
    @classmethod
    def _inside_repo(cls, v: str | None) -> str | None:
        return None if v is None else _repo_path(v)


class RuleSpec(Model):
    """A wording rule: phrases (whole words, any case) and/or regexes, on some fields."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    severity: Literal["warning", "info"] = "warning"
    applies_to: tuple[str, ...] = ("*",)
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # speed hint: words any match of `patterns` contains
    message: str = Field(min_length=1)
    suggestion: str = Field(min_length=1)

    @field_validator("applies_to")
    @classmethod
    def _known_fields(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for name in v:
            if name != "*" and name not in TEXT_FIELDS:
                raise ValueError(f"unknown field {name!r}{_did_you_mean(name, TEXT_FIELDS)}")
        return v

    @field_validator("requires")
    @classmethod
    def _lower_case(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        # Matched against lower-cased text, so an upper-case word would never be found.
        return tuple(word.lower() for word in v if word)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in v:
            _check_regex(pattern)
        return v

    @model_validator(mode="after")
    def _matches_something(self) -> RuleSpec:
        if not self.phrases and not self.patterns:
            raise ValueError("a rule needs `phrases` or `patterns`")
        return self


class AllowSpec(Model):
    """A false positive to ignore: a rule, a phrase or a regex, or a combination."""

    rule: str | None = None
    phrase: str | None = None
    pattern: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # A plain string is a phrase; the review treats one equal to a rule id as that rule.
        return {"phrase": value} if isinstance(value, str) else value

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            _check_regex(v)
        return v

    @model_validator(mode="after")
    def _says_something(self) -> AllowSpec:
        if self.rule is None and self.phrase is None and self.pattern is None:
            raise ValueError("an allow entry needs `rule`, `phrase` or `pattern`")
        return self


class Review(Model):
    max_action_items: PositiveInt
    required_sections: tuple[Section, ...]
    rules: tuple[RuleSpec, ...]
    allow: tuple[AllowSpec, ...]  # after `rules`: its validator checks rule ids against them

    @field_validator("allow")
    @classmethod
    def _known_rules(cls, v: tuple[AllowSpec, ...], info: ValidationInfo) -> tuple[AllowSpec, ...]:
        known = {*CHECK_IDS, *(rule.id for rule in info.data.get("rules", ()))}
        for spec in v:
            if spec.rule is not None and spec.rule not in known:
                raise ValueError(f"unknown rule {spec.rule!r}{_did_you_mean(spec.rule, known)}")
        return v

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, v: tuple[RuleSpec, ...]) -> tuple[RuleSpec, ...]:
        ids = [r.id for r in v]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule id {', '.join(dupes)}")
        return v


class Config(Model):
    docs_dir: str = Field(min_length=1)
    publish: Literal["pull_request", "commit"]
    branch_prefix: str = Field(min_length=1)
    postmortem_label: str = Field(min_length=1, max_length=50)
    severity_due_business_days: Mapping[Severity, PositiveInt]
    sla_days: Mapping[Priority, PositiveInt]
    allowed_associations: tuple[Association, ...]
    limits: Limits
    labels: Labels
    reminders: Reminders
    escalation: Escalation
    budget: Budget
    similar: Similar
    templates: Templates
    review: Review

    @field_validator("docs_dir")
    @classmethod
    def _inside_repo(cls, v: str) -> str:
        return _repo_path(v)

    @field_validator("branch_prefix")
    @classmethod
    def _ref_safe(cls, v: str) -> str:
        # A subset of git's ref-name rules (git check-ref-format) that keeps prefixes simple.
        if not re.fullmatch(r"[A-Za-z0-9._/-]+", v) or ".." in v or v.startswith(("/", ".")):
            raise ValueError("must be a plain git branch prefix such as 'postmortem/'")
        return v

    @field_validator("sla_days")
    @classmethod
    def _all_priorities(cls, v: Mapping[Priority, int]) -> Mapping[Priority, int]:
        _require_all(v, Priority)
        return v

    def priority_label(self, priority: Priority) -> LabelSpec:
        return self.labels.priority[priority]

    def type_label(self, item_type: ItemType) -> LabelSpec:
        return self.labels.type[item_type]

    def sla_label(self, priority: Priority) -> LabelSpec:
        """The SLA label of a priority, e.g. `sla:14d` for P0 with the defaults."""
        days = str(self.sla_days[priority])
        spec = self.labels.sla
        return spec.model_copy(
            update={
                "name": spec.name.replace("{days}", days),
                "description": spec.description.replace("{days}", days),
            }
        )

    def all_labels(self) -> tuple[LabelSpec, ...]:
        """Every label pmbot may apply, once each by name (for creating them up front)."""
        specs = [
            *(getattr(self.labels, name) for name in _FIXED_LABELS),
            *(self.priority_label(p) for p in Priority),
            *(self.sla_label(p) for p in Priority),  # two priorities may share an SLA
            *(self.type_label(t) for t in ItemType),
        ]
        unique: dict[str, LabelSpec] = {}
        for spec in specs:
            unique.setdefault(spec.name, spec)
        return tuple(unique.values())


_FIXED_LABELS = (
    "action_item",
    "overdue",
    "needs_info",
    "complete",
    "removed",
    "escalated",
    "wont_do",
)


def _repo_path(path: str) -> str:
    """A path joined to the checkout: it must not escape it."""
    parts = path.replace("\\", "/").split("/")
    if path.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", path):
        raise ValueError("must be a relative path inside the repository")
    return path.strip("/")


def _check_regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- loading ----------------------------------------------------------------------------


def defaults_text() -> str:
    """The shipped, commented defaults (what `pmbot init` installs)."""
    return resources.files("pmbot.data").joinpath(DEFAULTS_NAME).read_text(encoding="utf-8")


@cache
def default_config() -> Config:
    return _build({}, {}, "pmbot.yml")


def load_config(path: Path | None = None, text: str | None = None) -> Config:
    """The defaults with the user's YAML (`text`, or the file at `path`) merged over them."""
    if text is None and path is None:
        return default_config()
    source = str(path) if path is not None else str(CONFIG_PATH)
    if text is None:
        assert path is not None
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            fix = f"create it (`pmbot init` writes a commented one) or pass another path: {exc}"
            raise ConfigError([Problem(source, "cannot read the file.", fix)]) from None
    data, lines = _parse(text, source)
    return _build(data, lines, source)


def load_repo_config(root: Path) -> Config:
    """A repository's `.github/pmbot.yml` if it has one, else the defaults."""
    path = root / CONFIG_PATH
    return load_config(path) if path.is_file() else default_config()


def _build(user: dict[str, Any], lines: dict[tuple[str, ...], int], source: str) -> Config:
    defaults, _ = _parse(defaults_text(), DEFAULTS_NAME)
    merged = merge(defaults, user)
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        problems = [_problem(err, merged, lines, source) for err in exc.errors()]
        raise ConfigError(sorted(problems, key=lambda p: p.line or 0)) from None


def merge(base: Any, over: Any) -> Any:
    """Deep merge: mappings key by key, lists of `id`'d mappings by id, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    if _is_id_list(base) and _is_id_list(over):
        by_id = {item["id"]: item for item in base}
        for item in over:
            by_id[item["id"]] = merge(by_id.get(item["id"], {}), item)
        return list(by_id.values())
    return over


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "id" in i for i in value)


# --- YAML with line numbers -------------------------------------------------------------


def _parse(text: str, source: str) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    """The YAML document as data, plus the line of every key path (list items by id/index)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        fix = "fix the YAML syntax there (check indentation, quotes and colons)."
        raise ConfigError([Problem(source, f"invalid YAML: {reason}.", fix, line)]) from None
    if data is None or node is None:
        return {}, {}
    if not isinstance(data, dict):
        fix = "write `key: value` settings, e.g. `sla_days: {P0: 7}`."
        raise ConfigError([Problem(source, "must be a mapping of settings.", fix, 1)])
    lines: dict[tuple[str, ...], int] = {}
    problems = list(_walk(node, (), lines))
    if problems:
        raise ConfigError([Problem(f"{source}: {f}", m, x, ln) for f, m, x, ln in problems])
    return data, lines


def _walk(
    node: yaml.Node, path: tuple[str, ...], lines: dict[tuple[str, ...], int]
) -> Iterator[tuple[str, str, str, int]]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, str(key_node.value))
            line = key_node.start_mark.line + 1
            if key in lines:
                fix = f"remove one; the first is on line {lines[key]}."
                yield _dotted(key), "duplicate key.", fix, line
            lines[key] = line
            yield from _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*path, _item_key(item, index))
            lines[key] = item.start_mark.line + 1
            yield from _walk(item, key, lines)


def _item_key(node: yaml.Node, index: int) -> str:
    # Rules are merged by id, so their errors are located by id rather than position.
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == "id" and isinstance(value_node, yaml.ScalarNode):
                return f"[{value_node.value}]"
    return f"[{index}]"


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path).replace(".[", "[")


# --- validation errors -> problems ------------------------------------------------------


def _problem(
    err: ErrorDetails, merged: dict[str, Any], lines: dict[tuple[str, ...], int], source: str
) -> Problem:
    path = _path(err["loc"], merged)
    line = next((lines[path[:n]] for n in range(len(path), 0, -1) if path[:n] in lines), None)
    message, fix = _explain(err, path)
    return Problem(f"{source}: {_dotted(path) or '(top level)'}", message, fix, line)


def _path(loc: tuple[int | str, ...], merged: Any) -> tuple[str, ...]:
    """Pydantic's location as the key path `_walk` records (list items by id)."""
    path: list[str] = []
    node = merged
    for part in loc:
        if part == "[key]":
            continue  # pydantic's marker for an invalid mapping key
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
            has_id = isinstance(node, dict) and "id" in node
            path.append(f"[{node['id']}]" if has_id else f"[{part}]")
        else:
            node = node.get(part) if isinstance(node, dict) else None
            path.append(str(part))
    return tuple(path)


# Fixes for values whose constraint alone does not say what to write.
_FIXES = {
    "color": 'use six hex digits, quoted, e.g. "d73a4a".',
    "leadership_team": "use an org/team slug, e.g. my-org/eng-leads, or null.",
    "docs_dir": "use a folder relative to the repository root, e.g. docs/postmortems.",
    "branch_prefix": "use letters, digits and . _ - /, e.g. postmortem/.",
    "document": "use a path relative to the repository root, e.g. .github/postmortem.md.j2.",
    "patterns": "fix the regular expression (Python `re` syntax).",
    "pattern": "fix the regular expression (Python `re` syntax).",
}


def _explain(err: ErrorDetails, path: tuple[str, ...]) -> tuple[str, str]:
    kind, msg = err["type"], err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f"unknown key {path[-1]!r}.", _unknown_key_fix(path)
    if kind == "missing":
        return "is required.", "add it (see the commented defaults `pmbot init` installs)."
    if kind in ("enum", "literal_error"):
        return f"{msg}.", f"use one of {err.get('ctx', {}).get('expected', '')}."
    key = next((part for part in reversed(path) if not part.startswith("[")), "")
    if key in _FIXES:
        return f"{msg}.", _FIXES[key]
    if kind == "string_type":
        return f"{msg}.", "quote the value."
    if kind.startswith(("int_", "greater_than", "less_than")):
        return f"{msg}.", "use a whole number in the allowed range."
    return f"{msg}.", "correct the value; `pmbot init` shows the expected form."


def _unknown_key_fix(path: tuple[str, ...]) -> str:
    known = sorted(_known_keys(path[:-1]))
    close = difflib.get_close_matches(path[-1], known, n=1, cutoff=0.6)
    fix = f"did you mean {close[0]!r}? Otherwise remove it" if close else "remove it"
    return f"{fix}; the keys allowed here are {', '.join(known)}." if known else f"{fix}."


def _known_keys(path: tuple[str, ...]) -> list[str]:
    """The keys a model accepts at `path`, for "did you mean" (empty when not a model)."""
    annotation: Any = Config
    for part in path:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            annotation = field.annotation if field else None
        else:
            annotation = _inner(annotation)
    annotation = _model_in(annotation)
    return list(annotation.model_fields) if annotation else []


def _inner(annotation: Any) -> Any:
    """The value type of a Mapping or tuple annotation."""
    args = get_args(annotation)
    return _model_in(args[-1] if args else None) or (args[0] if args else None)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None or get_args(annotation):
        for arg in get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None
