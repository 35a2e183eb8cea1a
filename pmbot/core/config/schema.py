"""The configuration's shape: typed models, validated once at load, no defaults of their own.

The models carry no defaults (bar a few per-entry ones for user-added review rules): the
shipped `data/defaults.yml` is the single source, merged under the user's file by `load`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pmbot.core.logins import LOGIN, TEAM
from pmbot.core.model import ItemType, Priority, Severity

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
    "review-meeting-missing",
    "responders-missing",
    "action-item-unknown-dependency",
    "action-item-self-dependency",
    "action-item-dependency-cycle",
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


def _team(value: str) -> str:
    if not re.fullmatch(TEAM, value):
        raise ValueError("must be a GitHub team as org/team-slug")
    return value


Team = Annotated[str, AfterValidator(_team)]


def _board(value: str) -> str:
    if not re.fullmatch(rf"(?:orgs|users)/{LOGIN}/[1-9][0-9]{{0,8}}", value):
        raise ValueError("must be a project as orgs/OWNER/NUMBER or users/LOGIN/NUMBER")
    return value


Board = Annotated[str, AfterValidator(_board)]


def _repository(value: str) -> str:
    if not re.fullmatch(rf"{LOGIN}/[A-Za-z0-9._-]{{1,100}}", value) or value.endswith(
        ("/.", "/..")
    ):
        raise ValueError("must be a repository as OWNER/NAME")
    return value


Repository = Annotated[str, AfterValidator(_repository)]


def _within(low: int, high: int, unit: str) -> AfterValidator:
    """A range check whose error names the range, so the fix can say what to write."""

    def check(value: int) -> int:
        if not low <= value <= high:
            raise PydanticCustomError(
                "out_of_range",
                "{value} is outside the allowed range {low}–{high}",
                {"value": value, "low": low, "high": high, "unit": unit},
            )
        return value

    return AfterValidator(check)


# Every number has a sane range: a huge one would pass a bare "positive" check and then
# overflow date arithmetic (3,000,000 days is past the year 9999) or disable a safety cap.
Days = Annotated[int, _within(1, 730, "days")]  # SLAs, escalation steps: up to two years
BusinessDays = Annotated[int, _within(1, 260, "business days")]  # up to a working year
NoticeDays = Annotated[int, _within(0, 90, "days")]
RepeatDays = Annotated[int, _within(1, 90, "days")]
WindowDays = Annotated[int, _within(1, 3650, "days")]
ItemCount = Annotated[int, _within(1, 100, "action items")]
BodyBytes = Annotated[int, _within(1_024, 262_144, "bytes")]  # 64 Ki characters of UTF-8
TimelineRows = Annotated[int, _within(1, 1_000, "rows")]
Writes = Annotated[int, _within(1, 1_000, "writes")]
Floor = Annotated[int, _within(0, 5_000, "requests")]  # an hour's worth of a token's budget
PerMinute = Annotated[int, _within(1, 80, "writes")]  # GitHub's secondary limit
PerHour = Annotated[int, _within(1, 500, "writes")]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _require_all(mapping: Mapping[Any, Any], keys: type[Priority] | type[ItemType]) -> None:
    missing = [k.value for k in keys if k not in mapping]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")


class LabelSpec(Model):
    """A label pmbot relies on, created with this colour and description on first use: the
    one label type of config, plans and the adapter."""

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
    not_followed: LabelSpec
    scored: LabelSpec
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
    max_action_items: ItemCount
    max_body_bytes: BodyBytes
    max_timeline_rows: TimelineRows


class Reminders(Model):
    due_soon_days: Mapping[Priority, NoticeDays]
    repeat_days: Mapping[Priority, RepeatDays]

    @field_validator("due_soon_days", "repeat_days")
    @classmethod
    def _all_priorities(cls, v: Mapping[Priority, int]) -> Mapping[Priority, int]:
        _require_all(v, Priority)
        return v


class Escalation(Model):
    commander_after_days: Days
    leadership_after_days: Days
    leadership_team: Team | None
    leadership_digest: bool  # one digest issue for the team instead of a comment per item

    @model_validator(mode="after")
    def _ladder_climbs(self) -> Escalation:
        if self.leadership_after_days <= self.commander_after_days:
            raise ValueError("leadership_after_days must be greater than commander_after_days")
        return self


# The rungs of the escalation ladder a near-miss's items may climb to (`highest_rung`).
Rung = Literal["overdue", "commander", "leadership"]


class NearMiss(Model):
    """Lighter follow-through for the items of a near-miss postmortem."""

    sla_days: Mapping[Priority, Days]
    highest_rung: Rung
    required_sections: tuple[Section, ...]

    @field_validator("sla_days")
    @classmethod
    def _all_priorities(cls, v: Mapping[Priority, int]) -> Mapping[Priority, int]:
        _require_all(v, Priority)
        return v


RubricLine = Annotated[str, Field(min_length=1, max_length=200)]


class Scoring(Model):
    """Peer review: the rubric reviewers score a postmortem against (`/pmbot score N`)."""

    rubric: tuple[RubricLine, ...] = Field(min_length=1, max_length=20)


class Budget(Model):
    max_writes_per_run: Writes
    rate_limit_floor: Floor
    writes_per_minute: PerMinute
    writes_per_hour: PerHour


class Project(Model):
    board: Board | None


# What pmbot can put in an organisation's issue field: an item's priority (P0…P3), its due
# date (YYYY-MM-DD) or its type (prevent, detect, mitigate, process).
NativeSource = Literal["priority", "due", "type"]


class NativeIssues(Model):
    """`issues`: GitHub's issue types and issue fields, where the organisation has them."""

    type: str | None = Field(min_length=1, max_length=50)
    fields: Mapping[Annotated[str, Field(min_length=1, max_length=100)], NativeSource]


class OrgSettings(Model):
    central_repository: Repository | None
    index_dir: str
    repositories: tuple[Repository, ...] | None

    @field_validator("index_dir")
    @classmethod
    def _inside_repo(cls, v: str) -> str:
        return _repo_path(v)

    @field_validator("repositories")
    @classmethod
    def _each_once(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        seen: set[str] = set()
        for name in v or ():
            if name.lower() in seen:
                raise ValueError(f"{name} is listed twice")
            seen.add(name.lower())
        return v


class Similar(Model):
    window_days: WindowDays


class ReportSettings(Model):
    on_time_target: float = Field(gt=0, le=1)  # a share: 0.9 is 90%
    p0_p1_on_time_target: float = Field(gt=0, le=1)
    repeat_incidents_max: float = Field(gt=0, le=1)
    ttd_improvement_target: float = Field(gt=0, le=1)  # 0.2: 20% better than last quarter
    recurrence_reduction_target: float = Field(gt=0, le=1)  # 0.5: half the incidents
    recurrence_window_days: WindowDays
    quality_score_target: float = Field(ge=1, le=5)  # of 5, like the scores
    review_attendance_target: float = Field(gt=0, le=1)


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
    max_action_items: ItemCount
    in_document: bool  # publish the review's notes in the document too
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
    severity_due_business_days: Mapping[Severity, BusinessDays]
    sla_days: Mapping[Priority, Days]
    allowed_associations: tuple[Association, ...]
    limits: Limits
    labels: Labels
    reminders: Reminders
    escalation: Escalation
    near_miss: NearMiss
    scoring: Scoring
    budget: Budget
    project: Project
    issues: NativeIssues
    org: OrgSettings
    similar: Similar
    report: ReportSettings
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

    def item_sla_days(self, severity: Severity | str | None) -> Mapping[Priority, int]:
        """The SLA (days per priority) of a postmortem's items: a near-miss's are lighter."""
        near = severity is not None and str(severity) == Severity.NEAR_MISS
        return self.near_miss.sla_days if near else self.sla_days

    def priority_label(self, priority: Priority) -> LabelSpec:
        return self.labels.priority[priority]

    def type_label(self, item_type: ItemType) -> LabelSpec:
        return self.labels.type[item_type]

    def sla_label(self, priority: Priority, severity: Severity | str | None = None) -> LabelSpec:
        """The SLA label of a priority, e.g. `sla:14d` for P0 with the defaults (a
        near-miss's items: its own SLA's, `sla:28d`)."""
        days = str(self.item_sla_days(severity)[priority])
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
            *(self.sla_label(p, Severity.NEAR_MISS) for p in Priority),
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
    "not_followed",
    "scored",
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
