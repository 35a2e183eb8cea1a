"""Form values → a validated `Postmortem`, with every problem gathered into one `FormError`.

The values come from `pmbot.core.forms.parse_body` (field id → text, or a list for checkboxes);
`lines` says where each value starts in the issue body, so a problem can name its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from itertools import pairwise
from typing import TypeVar

from pmbot.core.markers import defuse_markers
from pmbot.core.model import Impact, Postmortem, ReviewMeeting, Severity
from pmbot.core.parse.action_items import parse_action_items
from pmbot.core.parse.common import FieldReader, Unreadable, short, split_list
from pmbot.core.parse.factors import parse_factors
from pmbot.core.parse.impact import parse_minutes, parse_share, parse_slo
from pmbot.core.parse.timeline import parse_timeline
from pmbot.core.parse.times import parse_date, parse_moment
from pmbot.core.parse.users import parse_people, parse_person, parse_user, parse_users
from pmbot.core.parse.whys import parse_whys
from pmbot.errors import FormError

TIMES = ("started_at", "detected_at", "mitigated_at", "resolved_at")
STATUSES = ("Draft", "In review", "Final")
DETECTION_METHODS = (
    "Automated alert", "Customer report", "Internal report", "Manual observation", "Other",
)  # fmt: skip
_NO_RESPONSE = "_No response_"
T = TypeVar("T")


class _Values:
    """The form's values, defused and trimmed, and the problems found reading them."""

    def __init__(
        self, values: Mapping[str, object], lines: Mapping[str, int], labels: Mapping[str, str]
    ) -> None:
        self.values = values
        self.lines = lines
        self.labels = labels
        self.readers: list[FieldReader] = []

    def label(self, field_id: str) -> str:
        return self.labels.get(field_id, field_id)

    def reader(self, field_id: str) -> FieldReader:
        reader = FieldReader(field_id, self.label(field_id), self.lines.get(field_id))
        self.readers.append(reader)
        return reader

    def text(self, field_id: str) -> str | None:
        """The value as text; None when empty. Marker imitations are defused here, once."""
        value = self.values.get(field_id)
        if isinstance(value, list | tuple):
            value = "\n".join(str(v) for v in value)
        if value is None or not str(value).strip() or str(value).strip() == _NO_RESPONSE:
            return None
        return defuse_markers(str(value).strip())

    def parsed(self, field_id: str, parse: Callable[[str], T]) -> T | None:
        """A one-line value through `parse`; an Unreadable becomes a problem."""
        text = self.text(field_id)
        if text is None:
            return None
        try:
            return parse(text)
        except Unreadable as error:
            self.reader(field_id).unreadable(error)
            return None


def build_postmortem(
    values: Mapping[str, object],
    lines: Mapping[str, int] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    issue_number: int | None = None,
    max_action_items: int = 25,
    max_timeline_rows: int = 200,
) -> Postmortem:
    """The postmortem the form describes; raises FormError listing every problem found.

    `labels` (field id → label, from the form YAML) name the fields in messages."""
    form = _Values(values, lines or {}, labels or {})
    times = _times(form)
    fields: dict[str, object] = {
        **_header(form),
        **times,
        **_lists(form),
        **_analysis(form, times["started"], max_action_items, max_timeline_rows),
        "impact": _impact(form),
        "responders": tuple(form.parsed("responders", parse_people) or ()),
        "review": _review_meeting(form, times["started"]),
        "pledge": bool(form.values.get("pledge")),
        "issue_number": issue_number,
        "lines": dict(form.lines),
        "labels": dict(form.labels),
    }
    problems = [problem for reader in form.readers for problem in reader.report()]
    if problems:
        # In body order, as the author will walk through them; stable within a line.
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        raise FormError(problems)
    return Postmortem.model_validate(fields)


def _analysis(
    form: _Values, started: datetime | None, max_items: int, max_rows: int
) -> dict[str, object]:
    """The multi-line sections, each read by its own parser."""
    timeline = form.text("timeline")
    return {
        "timeline": parse_timeline(timeline, form.reader("timeline"), started, max_rows=max_rows),
        "contributing_factors": parse_factors(
            form.text("contributing_factors"), form.reader("contributing_factors")
        ),
        "whys": parse_whys(form.text("five_whys"), form.reader("five_whys")),
        "action_items": parse_action_items(
            form.text("action_items"), form.reader("action_items"), max_items=max_items
        ),
    }


def _header(form: _Values) -> dict[str, object]:
    title = form.text("title")
    if title is None:
        form.reader("title").problem(
            "the incident has no title.", "describe what broke in a few words."
        )
    commander = form.parsed("incident_commander", parse_user)
    return {
        "title": " ".join((title or "").split()),
        "severity": _severity(form),
        "status": _choice(form, "status", STATUSES) or "draft",
        "incident_commander": commander.login if commander else None,
        "authors": tuple(u.login for u in form.parsed("authors", parse_users) or ()),
        "detection_method": _detection_method(form),
        **{name: form.text(name) for name in _PLAIN_TEXT},
    }


_PLAIN_TEXT = ("summary", "went_well", "went_poorly", "got_lucky", "lessons", "regulatory")


def _severity(form: _Values) -> Severity | None:
    text = form.text("severity")
    fix = f"choose one of {', '.join(Severity)}."
    if text is None:
        form.reader("severity").problem("no severity is given.", fix)
        return None
    found = severity_named(text)
    if found is None:
        form.reader("severity").problem(f"'{short(text)}' is not a severity.", fix)
    return found


def severity_named(text: str) -> Severity | None:
    """The severity a form answer names ("SEV-2", "sev 2", "Near miss"), or None."""
    wanted = re.sub(r"[\s_-]", "", text).upper()
    return next((s for s in Severity if wanted == re.sub(r"[\s_-]", "", s).upper()), None)


def _choice(form: _Values, field_id: str, options: tuple[str, ...]) -> str | None:
    """A dropdown answer, matched case-insensitively; returned lower-case."""
    text = form.text(field_id)
    if text is None:
        return None
    if text.lower() in (option.lower() for option in options):
        return text.lower()
    form.reader(field_id).problem(
        f"'{short(text)}' is not one of the choices.", f"choose one of {', '.join(options)}."
    )
    return None


def _detection_method(form: _Values) -> str | None:
    """Known methods are spelled as in the form; anything else is kept as written."""
    text = form.text("detection_method")
    known = {method.lower(): method for method in DETECTION_METHODS}
    return known.get(text.lower(), text) if text else None


def _times(form: _Values) -> dict[str, datetime | None]:
    moments = {name: form.parsed(name, parse_moment) for name in TIMES}
    written = [(name, moment) for name, moment in moments.items() if moment is not None]
    for (before, earlier), (after, later) in pairwise(written):
        if later < earlier:
            form.reader(after).problem(
                f"{form.label(after)} {later:%Y-%m-%d %H:%M} is before "
                f"{form.label(before)} {earlier:%Y-%m-%d %H:%M}.",
                "times must run started ≤ detected ≤ mitigated ≤ resolved; "
                "check the dates and that every time is in UTC.",
            )
    return {name.removesuffix("_at"): moment for name, moment in moments.items()}


def _impact(form: _Values) -> Impact:
    slo = form.parsed("slo", parse_slo)
    minutes = form.parsed("impact_minutes", parse_minutes)
    return Impact(
        users=form.text("impact_users"),
        revenue=form.text("impact_revenue"),
        slo_target=slo[0] if slo else None,
        slo_window_days=slo[1] if slo else 30,
        minutes=minutes,
        share=form.parsed("impact_share", parse_share),
        description=form.text("impact"),
    )


def _review_meeting(form: _Values, started: datetime | None) -> ReviewMeeting:
    held_on = form.parsed("review_date", parse_date)
    if held_on is not None and started is not None and held_on < started.date():
        form.reader("review_date").problem(
            f"the review meeting on {held_on} is before the incident started ({started:%Y-%m-%d}).",
            "check the date: write the day the review meeting was held, as YYYY-MM-DD.",
        )
    facilitator = form.parsed("facilitator", parse_person)
    return ReviewMeeting(
        held_on=held_on,
        facilitator=facilitator,
        attendees=tuple(form.parsed("attendees", parse_people) or ()),
    )


def _lists(form: _Values) -> dict[str, tuple[str, ...]]:
    services = split_list(form.text("services") or "")
    tags = (tag.lstrip("#") for tag in split_list(form.text("tags") or ""))
    return {"services": tuple(services), "tags": tuple(dict.fromkeys(t for t in tags if t))}
