"""Times in a postmortem: `YYYY-MM-DD HH:MM` (UTC) or ISO 8601 with an offset, kept in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pmbot.core.parse.common import Unreadable, short

TIME_FIX = (
    "write the time in UTC as YYYY-MM-DD HH:MM (e.g. 2026-11-03 14:02) "
    "or as ISO 8601 with an offset (e.g. 2026-11-03T15:02+01:00)."
)

_DATE = r"(?P<date>\d{4}-\d{1,2}-\d{1,2})"
_CLOCK = r"(?P<clock>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
_ZONE = r"(?:\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)(?!\w))?"
_FULL = re.compile(rf"{_DATE}(?:T|\s+|\s*,\s*){_CLOCK}{_ZONE}", re.IGNORECASE)
_CLOCK_ONLY = re.compile(rf"{_CLOCK}{_ZONE}", re.IGNORECASE)
_DATE_ONLY = re.compile(_DATE)


@dataclass(frozen=True)
class Stamp:
    """A time as written: a full UTC moment, or a clock time to anchor to a day."""

    moment: datetime | None  # set when the date was written
    clock: time | None = None  # set when only the time of day was written
    offset: timedelta = timedelta(0)

    def on(self, day: date) -> datetime:
        """The clock time on `day` (in its written offset), in UTC."""
        assert self.clock is not None
        return datetime.combine(day, self.clock, tzinfo=UTC) - self.offset


def parse_moment(text: str) -> datetime:
    """A full date and time, in UTC; raises Unreadable with the reason and the fix."""
    cleaned = text.strip().strip("`*")
    match = _FULL.fullmatch(cleaned)
    if match is None:
        if _DATE_ONLY.fullmatch(cleaned):
            raise Unreadable(
                f"'{short(cleaned)}' has a date but no time.", f"add the time: {TIME_FIX}"
            )
        raise Unreadable(f"'{short(cleaned)}' is not a date and time pmbot can read.", TIME_FIX)
    stamp = _stamp(match)
    assert stamp.moment is not None
    return stamp.moment


def leading_stamp(text: str) -> tuple[Stamp, str] | None:
    """A time at the start of a timeline line and the rest of the line; None when absent."""
    cleaned = text.lstrip().lstrip("`*[")
    match = _FULL.match(cleaned) or _CLOCK_ONLY.match(cleaned)
    if match is None:
        return None
    return _stamp(match), cleaned[match.end() :]


def _stamp(match: re.Match[str]) -> Stamp:
    clock = _clock(match.group("clock"))
    offset = _offset(match.group("zone"))
    if "date" not in match.re.groupindex or match.group("date") is None:
        return Stamp(None, clock, offset)
    day = _date(match.group("date"))
    return Stamp(datetime.combine(day, clock, tzinfo=UTC) - offset)


def parse_date(text: str) -> date:
    """A calendar date `YYYY-MM-DD`; impossible dates (2026-02-30) are refused clearly."""
    cleaned = text.strip().strip("`*")
    if not _DATE_ONLY.fullmatch(cleaned):
        raise Unreadable(
            f"'{short(cleaned)}' is not a date pmbot can read.",
            "write it as YYYY-MM-DD, e.g. 2026-12-15.",
        )
    return _date(cleaned)


def _date(text: str) -> date:
    year, month, day = (int(part) for part in text.split("-"))
    try:
        return date(year, month, day)
    except ValueError as error:
        raise Unreadable(
            f"'{text}' is not a real date ({error}).",
            "check the year, month and day (written YYYY-MM-DD).",
        ) from None


def _clock(text: str) -> time:
    hours, minutes, *rest = text.split(":")
    seconds = int(float(rest[0])) if rest else 0
    if int(hours) > 23 or int(minutes) > 59 or seconds > 59:
        raise Unreadable(
            f"'{text}' is not a time of day.", "use a 24-hour clock from 00:00 to 23:59 (UTC)."
        )
    return time(int(hours), int(minutes), seconds)


def _offset(zone: str | None) -> timedelta:
    if zone is None or zone.upper() in {"Z", "UTC", "GMT"}:
        return timedelta(0)
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        fix = "use an offset such as +01:00 or -05:00."
        raise Unreadable(f"'{zone}' is not a UTC offset.", fix)
    span = timedelta(hours=hours, minutes=minutes)
    return -span if zone.startswith("-") else span
