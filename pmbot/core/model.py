"""pmbot's domain models: a postmortem as pmbot understands it, independent of GitHub.

Every datetime is timezone-aware UTC. Models are frozen: code derives new ones, never mutates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Severity(StrEnum):
    SEV1 = "SEV-1"
    SEV2 = "SEV-2"
    SEV3 = "SEV-3"
    SEV4 = "SEV-4"
    NEAR_MISS = "near-miss"


class Priority(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class ItemType(StrEnum):
    PREVENT = "prevent"
    DETECT = "detect"
    MITIGATE = "mitigate"
    PROCESS = "process"


class FactorCategory(StrEnum):
    TECHNICAL = "technical"
    PROCESS = "process"
    ORGANIZATIONAL = "organizational"
    EXTERNAL = "external"


class FactorWeight(StrEnum):
    PRIMARY = "primary"
    CONTRIBUTING = "contributing"


class TimelineEvent(Frozen):
    at: AwareDatetime
    text: str
    # Where the entry comes from (alert, deploy, chat, note …), lower-case; None when not said.
    source: str | None = None
    line: int | None = None  # line in the issue body, for findings


class ContributingFactor(Frozen):
    key: str  # "CF1" …, as written in the form or assigned in order
    category: FactorCategory
    description: str
    weight: FactorWeight | None = None  # primary or contributing; None when not said
    line: int | None = None


class WhyChain(Frozen):
    title: str | None = None
    steps: tuple[str, ...]
    line: int | None = None


class ActionItem(Frozen):
    """One action item row.

    `key` is stable across edits of *other* rows: an explicit ID column ("AI-3") when the
    author gave one, else a short hash of the normalised `what` text. Intake matches edited
    rows to their issue by key first, then by similarity.
    """

    key: str
    what: str
    owner: str | None = None  # GitHub login or "org/team", without "@"
    owner_is_team: bool = False
    priority: Priority
    due: date | None = None  # explicit due date from the form; the SLA fills it otherwise
    type: ItemType | None = None
    success: str | None = None
    addresses: str | None = None  # key of the contributing factor, e.g. "CF2"
    depends_on: tuple[str, ...] = ()  # keys of the items that must be done first, as written
    line: int | None = None


class Impact(Frozen):
    users: str | None = None
    revenue: str | None = None
    slo_target: float | None = None  # percent, e.g. 99.9
    slo_window_days: int = 30
    minutes: float | None = None  # minutes of SLO-violating impact
    share: float | None = None  # fraction of requests or users affected in them; None: all
    description: str | None = None

    @property
    def bad_minutes(self) -> float | None:
        """Minutes as a full outage would count them: minutes × the share affected."""
        if self.minutes is None:
            return None
        return self.minutes * (1.0 if self.share is None else self.share)


def person_key(person: str) -> str:
    """How two mentions of a person are compared: `@DKim` and `dkim` are the same person."""
    return " ".join(person.removeprefix("@").split()).casefold()


class ReviewMeeting(Frozen):
    """The postmortem's review meeting. People are `@login` or a name as written."""

    held_on: date | None = None  # the day of the meeting
    facilitator: str | None = None
    attendees: tuple[str, ...] = ()

    @property
    def recorded(self) -> bool:
        return self.held_on is not None or self.facilitator is not None or bool(self.attendees)


class Attendance(Frozen):
    """How many of the incident's responders attended its review meeting."""

    responders: int
    attended: int

    @property
    def share(self) -> float:
        return self.attended / self.responders


class Postmortem(Frozen):
    title: str
    severity: Severity
    status: str = "draft"
    incident_commander: str | None = None
    authors: tuple[str, ...] = ()
    # Who responded to the incident: `@login` or a name as written.
    responders: tuple[str, ...] = ()
    review: ReviewMeeting = Field(default_factory=ReviewMeeting)
    started: AwareDatetime | None = None
    detected: AwareDatetime | None = None
    mitigated: AwareDatetime | None = None
    resolved: AwareDatetime | None = None
    detection_method: str | None = None
    services: tuple[str, ...] = ()
    impact: Impact = Field(default_factory=Impact)
    summary: str | None = None
    timeline: tuple[TimelineEvent, ...] = ()
    contributing_factors: tuple[ContributingFactor, ...] = ()
    whys: tuple[WhyChain, ...] = ()
    went_well: str | None = None
    went_poorly: str | None = None
    got_lucky: str | None = None
    action_items: tuple[ActionItem, ...] = ()
    lessons: str | None = None
    tags: tuple[str, ...] = ()
    regulatory: str | None = None
    pledge: bool = False
    issue_number: int | None = None
    # Lines of each field in the issue body, so findings can say where.
    lines: dict[str, int] = Field(default_factory=dict)
    # Labels of the form's fields (id → label, form order), so findings can say which.
    labels: dict[str, str] = Field(default_factory=dict)

    @property
    def date(self) -> date | None:
        moment = self.started or self.detected or self.resolved
        return moment.date() if moment else None

    @property
    def attendance(self) -> Attendance | None:
        """Responders who attended the review meeting; None unless both lists are given."""
        if not self.responders or not self.review.attendees:
            return None
        present = {person_key(p) for p in self.review.attendees}
        responders = {person_key(p) for p in self.responders}
        return Attendance(responders=len(responders), attended=len(responders & present))


def utc(moment: datetime) -> datetime:
    """The same instant in UTC; refuses naive datetimes rather than guessing."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pmbot only handles timezone-aware datetimes")
    return moment.astimezone(UTC)
