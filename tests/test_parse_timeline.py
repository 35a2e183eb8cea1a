from __future__ import annotations

from datetime import UTC, datetime

from pmbot.core.parse.common import FieldReader
from pmbot.core.parse.timeline import parse_timeline

START = datetime(2026, 11, 3, 14, 2, tzinfo=UTC)


def reader(start: int | None = 40) -> FieldReader:
    return FieldReader("timeline", "Timeline", start)


def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_lines_in_every_accepted_shape() -> None:
    text = """\
13:55 Config pushed
- 14:02 - Errors begin
* **14:09** Alert fires
2026-11-03 14:20 Incident declared
2026-11-03T15:34:00Z: Rolled back
2026-11-03T17:10+01:00 | Resolved
"""
    r = reader()
    events = parse_timeline(text, r, START)
    assert r.problems == []
    assert [e.at for e in events] == [
        at(3, 13, 55),
        at(3, 14, 2),
        at(3, 14, 9),
        at(3, 14, 20),
        at(3, 15, 34),
        at(3, 16, 10),
    ]
    assert [e.text for e in events] == [
        "Config pushed", "Errors begin", "Alert fires", "Incident declared", "Rolled back",
        "Resolved",
    ]  # fmt: skip
    assert [e.line for e in events] == [40, 41, 42, 43, 44, 45]


def test_table_with_extra_columns() -> None:
    text = """\
| Time (UTC) | Who | Event |
|---|---|---|
| 14:02 | | Errors begin |
| 2026-11-03 14:09 | pager | Alert fires |
"""
    events = parse_timeline(text, reader(), START)
    assert [(e.at, e.line) for e in events] == [(at(3, 14, 2), 42), (at(3, 14, 9), 43)]
    assert events[0].text == "Errors begin"
    assert events[1].text == "Alert fires; Who: pager"


def test_rolls_over_midnight_but_not_on_small_steps_back() -> None:
    text = "23:40 Spike\n23:58 Page\n00:15 Rollback\n00:10 Noted late\n01:00 Resolved"
    events = parse_timeline(text, reader(), datetime(2026, 11, 3, 23, 40, tzinfo=UTC))
    assert [e.at for e in events] == [
        at(3, 23, 40),
        at(3, 23, 58),
        at(4, 0, 15),
        at(4, 0, 10),
        at(4, 1, 0),
    ]


def test_full_date_resets_the_day_for_later_clock_times() -> None:
    events = parse_timeline("2026-11-05 09:00 Follow-up\n10:00 Done", reader(), START)
    assert [e.at for e in events] == [at(5, 9, 0), at(5, 10, 0)]


def test_clock_time_without_any_date_is_a_problem() -> None:
    r = reader()
    assert parse_timeline("14:02 Errors", r, None) == []
    assert "start time is not given" in r.problems[0].message
    assert "Started" in r.problems[0].fix


def test_thirty_lines_of_garbage_are_thirty_problems() -> None:
    garbage = "\n".join(f"lorem ipsum {n} <script>alert(1)</script>" for n in range(30))
    r = reader(100)
    assert parse_timeline(garbage, r, START) == []
    assert len(r.problems) == 30
    assert [p.line for p in r.problems] == list(range(100, 130))
    assert all("cannot find a time" in p.message for p in r.problems)
    assert all("14:02" in p.fix for p in r.problems)


def test_impossible_times_and_empty_events() -> None:
    r = reader(1)
    events = parse_timeline("25:61 Nope\n14:00\n2026-02-30 10:00 Bad date\n14:05 ok", r, START)
    assert [e.text for e in events] == ["ok"]
    assert [p.line for p in r.problems] == [1, 2, 3]
    assert "not a time of day" in r.problems[0].message
    assert "says nothing" in r.problems[1].message
    assert "not a real date" in r.problems[2].message


def test_headings_and_notes_are_not_events() -> None:
    r = reader()
    events = parse_timeline("## Day one\n_All times UTC_\n14:02 Errors", r, START)
    assert r.problems == [] and len(events) == 1


def test_timeline_rows_keep_text_verbatim() -> None:
    events = parse_timeline("14:02 <!-- pmbot:item {} --> & `code`", reader(), START)
    assert events[0].text == "<!-- pmbot:item {} --> & `code`"


def test_unreadable_table_time_names_the_cell() -> None:
    r = reader(1)
    text = "| Time | Event |\n|--|--|\n| around noon | Lunch |\n| | Nothing |\n| 14:05 | ok |\n"
    events = parse_timeline(text, r, START)
    assert [e.text for e in events] == ["ok"]
    assert [(p.line, p.message) for p in r.problems] == [
        (3, "'around noon' in the time column is not a time."),
        (4, "'(empty)' in the time column is not a time."),
    ]
    assert "HH:MM" in r.problems[0].fix


def test_source_column_and_source_tags() -> None:
    table = """\
| Time (UTC) | Event | Source |
|---|---|---|
| 14:02 | Errors begin | Metric |
| 14:09 | Alert fires | alert |
| 14:20 | Incident declared | |
"""
    r = reader()
    events = parse_timeline(table, r, START)
    assert r.problems == []
    assert [(e.text, e.source) for e in events] == [
        ("Errors begin", "metric"), ("Alert fires", "alert"), ("Incident declared", None)
    ]  # fmt: skip
    lines = """\
14:02 [metric] Errors begin
14:09 - [alert] Alert fires
14:20 [chat]: Incident declared
14:25 [SEV-2] declared in the channel
14:30 [Status Page] Updated
"""
    events = parse_timeline(lines, r, START)
    assert r.problems == []
    assert [e.source for e in events] == ["metric", "alert", "chat", None, "status page"]
    # A bracket naming no source is the event's own text, as before sources existed.
    assert [e.text for e in events][2:4] == [
        "Incident declared", "[SEV-2] declared in the channel"
    ]  # fmt: skip


def test_other_columns_stay_with_the_event() -> None:
    """An evidence link is not a source: it stays with the event, as before sources existed."""
    table = """\
| Time | Event | Evidence |
|---|---|---|
| 14:09 | Alert fires | https://example.com/alert/1 |
"""
    (event,) = parse_timeline(table, reader(), START)
    assert (event.text, event.source) == (
        "Alert fires; Evidence: https://example.com/alert/1", None
    )  # fmt: skip


def test_a_source_that_is_no_known_kind_is_kept_as_written() -> None:
    table = """\
| Time | Event | Source |
|---|---|---|
| 14:09 | Alert fires | ALERT |
| 14:20 | Incident declared | https://chat.example.com/Archives/C01/p123 |
"""
    events = parse_timeline(table, reader(), START)
    assert [e.source for e in events] == ["alert", "https://chat.example.com/Archives/C01/p123"]
