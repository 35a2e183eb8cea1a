"""The timeline: a Markdown table (time, event, source) or lines `HH:MM [source] event`, all
kept in UTC. The source (alert, deploy, chat, note …) is optional: it is what lets a timeline
stand up to an audit, and timelines written without one read as they always did.

A bare `HH:MM` is placed on the day of the event before it (the incident's start date for the
first) and rolls over to the next day when the clock jumps back by more than 12 hours, as it
does at midnight; a small step back is kept as written so the review can point at it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from pmbot.core.model import TimelineEvent
from pmbot.core.parse.common import (
    FieldReader,
    Table,
    Unreadable,
    is_empty_marker,
    read_table,
    short,
    strip_bullet,
)
from pmbot.core.parse.times import TIME_FIX, Stamp, leading_stamp

COLUMNS = {
    "time": ("time", "when", "timestamp", "at", "date/time", "datetime", "date and time"),
    "event": ("event", "what", "what happened", "description", "action", "note", "notes"),
    # Only "Source": other columns (evidence links, who) stay with the event as before.
    "source": ("source",),
}
# The sources a line may name in brackets after its time (`14:09 [alert] …`). Only these
# words: a bracket that is part of the event (`[SEV-2]`, `[eu-west]`) stays text.
SOURCES = (
    "alert", "page", "deploy", "config", "change", "commit", "chat", "call", "email",
    "ticket", "support", "log", "logs", "metric", "metrics", "dashboard", "status page",
    "note", "human note", "runbook", "monitoring", "customer",
)  # fmt: skip
MAX_SOURCE = 200  # a source is a kind or a link, not an essay
_SOURCE_TAG = re.compile(r"^\[(?P<source>[^\]]{1,20})\]\s*[:\-–—]?\s*")
ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}

LINE_FIX = (
    "start the line with a UTC time, e.g. '14:02 Deploy starts' or "
    "'2026-11-03 14:02 Deploy starts', or use a table with Time and Event columns."
)
CELL_FIX = "write the time as HH:MM (UTC), e.g. 14:02, or as YYYY-MM-DD HH:MM."
_ROLLOVER = timedelta(hours=12)
_SEPARATOR = re.compile(r"^[\s`*\]]*(?:[-–—:|]\s*)?")


class _Clock:
    """Turns written times into UTC moments, remembering the day of the last event."""

    def __init__(self, start: datetime | None) -> None:
        self.day: date | None = start.date() if start else None
        self.previous: datetime | None = None

    def place(self, stamp: Stamp) -> datetime:
        if stamp.moment is not None:
            moment = stamp.moment
        elif self.day is None:
            raise Unreadable(
                "a time without a date, and the incident's start time is not given.",
                "fill in Started, or write the full date: YYYY-MM-DD HH:MM.",
            )
        else:
            moment = stamp.on(self.day)
            if self.previous is not None and self.previous - moment > _ROLLOVER:
                moment += timedelta(days=1)
        self.previous, self.day = moment, moment.date()
        return moment


# One entry to read: its offset, the text holding the time, and (for a table row) the event
# and the source cell.
_Entry = tuple[int, str, str | None, str | None]


def parse_timeline(
    text: str | None, reader: FieldReader, start: datetime | None, *, max_rows: int = 200
) -> list[TimelineEvent]:
    """Events in the order written; every line that cannot be read becomes a problem."""
    if not text:
        return []
    table, outside = read_table(text, ALIASES)
    entries = _table_entries(table, reader) if table else []
    entries += [(offset, line, None, None) for offset, line in outside if not _is_heading(line)]
    entries.sort(key=lambda entry: entry[0])
    if len(entries) > max_rows:
        reader.problem(
            f"{len(entries)} timeline entries; pmbot reads at most {max_rows}.",
            "keep the events that explain the incident and link to the full log.",
            entries[max_rows][0],
        )
        entries = entries[:max_rows]
    clock = _Clock(start)
    events = (_event(entry, clock, reader) for entry in entries)
    return [event for event in events if event is not None]


def _table_entries(table: Table, reader: FieldReader) -> list[_Entry]:
    if "time" not in table.columns:
        reader.problem(
            "the timeline table has no time column.", "name the first column Time (UTC)."
        )
        return []
    extras = dict(table.extras)
    entries: list[_Entry] = []
    for row in table.rows:
        # Columns pmbot does not know (who, system …) stay with the event rather than vanish.
        words = [row.cells.get("event", ""), *extras.get(row.offset, ())]
        event = "; ".join(filter(None, words))
        entries.append((row.offset, row.cells.get("time", ""), event, row.cells.get("source")))
    return entries


def _event(entry: _Entry, clock: _Clock, reader: FieldReader) -> TimelineEvent | None:
    offset, written, event, source = entry
    content = strip_bullet(written)[0] if event is None else written
    try:
        found = leading_stamp(content)
        if found is None:
            raise _no_time(content, in_table=event is not None)
        stamp, rest = found
        moment = clock.place(stamp)
    except Unreadable as error:
        fix = error.fix if error.fix != TIME_FIX else LINE_FIX
        reader.problem(error.message, fix, offset)
        return None
    text = (_SEPARATOR.sub("", rest, count=1) if event is None else event).strip()
    if event is None:
        source, text = _line_source(text)
    if not text:
        reader.problem(f"the entry at {moment:%H:%M} says nothing.", "say what happened.", offset)
        return None
    return TimelineEvent(at=moment, text=text, source=_source(source), line=reader.line(offset))


def _line_source(text: str) -> tuple[str | None, str]:
    """`[alert] Alert fires` → ('alert', 'Alert fires'), for the sources pmbot knows."""
    match = _SOURCE_TAG.match(text)
    if match and " ".join(match["source"].lower().split()) in SOURCES:
        return match["source"], text[match.end() :]
    return None, text


def _source(written: str | None) -> str | None:
    """A source as shown: a known kind in lower case (so they count together), anything else
    (a link to the chat message, say) as written, on one line; None for an empty cell."""
    if written is None or is_empty_marker(written):
        return None
    text = " ".join(written.split())
    return text.lower() if text.lower() in SOURCES else short(text, MAX_SOURCE)


def _no_time(content: str, *, in_table: bool) -> Unreadable:
    if in_table:
        shown = short(content, 50) or "(empty)"
        return Unreadable(f"'{shown}' in the time column is not a time.", CELL_FIX)
    return Unreadable(f"cannot find a time at the start of '{short(content, 50)}'.", LINE_FIX)


def _is_heading(line: str) -> bool:
    """Markdown headings and 'All times UTC'-style notes are not events."""
    stripped = line.strip()
    return stripped.startswith("#") or re.fullmatch(r"(?i)[(_*]*all times.*", stripped) is not None
