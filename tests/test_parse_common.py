from __future__ import annotations

from pmbot.core.parse.common import (
    MAX_PROBLEMS_PER_FIELD,
    FieldReader,
    is_empty_marker,
    normalise_header,
    read_table,
    short,
    split_cells,
    split_list,
    strip_bullet,
)

ALIASES = {"time": "time", "event": "event"}


def test_split_cells_handles_escaped_pipes_and_missing_edges() -> None:
    assert split_cells("| a | b \\| c |") == ["a", "b | c"]
    assert split_cells("a | b") == ["a", "b"]


def test_read_table_keeps_lines_outside_it() -> None:
    text = "Intro\r\n| Time (UTC) | **Event** | Who |\r\n|:--|--|--|\r\n| 1 | x | me |\r\n\r\nOutro"
    table, outside = read_table(text, ALIASES)
    assert table is not None
    assert table.columns == ("time", "event", None)
    assert [(r.offset, dict(r.cells)) for r in table.rows] == [(3, {"time": "1", "event": "x"})]
    assert table.extras == ((3, ("Who: me",)),)
    assert outside == [(0, "Intro"), (5, "Outro")]


def test_no_table_means_every_non_blank_line_is_outside() -> None:
    table, outside = read_table("a\n\n| not a table\nb", ALIASES)
    assert table is None and [o for o, _ in outside] == [0, 2, 3]


def test_headers_are_matched_loosely() -> None:
    assert normalise_header(" **Due  Date (UTC)**: ") == "due date"
    assert normalise_header("`success_criteria`") == "success criteria"


def test_bullets_lists_and_empty_markers() -> None:
    assert strip_bullet("  - [x] done") == ("done", True)
    assert strip_bullet("12) twelve") == ("twelve", True)
    assert strip_bullet("plain") == ("plain", False)
    assert split_list("a, b;c\n- d, a") == ["a", "b", "c", "d"]
    assert all(is_empty_marker(t) for t in ["", "-", "N/A", "_TBD_", "none"])
    assert not is_empty_marker("P1")


def test_short_and_reader_cap() -> None:
    assert short("a  b\nc") == "a b c"
    assert short("x" * 100, 10) == "x" * 9 + "…"
    reader = FieldReader("f", "Field", 10)
    for n in range(MAX_PROBLEMS_PER_FIELD + 3):
        reader.problem(f"p{n}", "fix", n)
    assert reader.count == MAX_PROBLEMS_PER_FIELD + 3
    report = reader.report()
    assert len(report) == MAX_PROBLEMS_PER_FIELD + 1
    assert report[0].line == 10 and report[0].field == "Field [f]"
    assert report[-1].message == "3 more problems like the ones above."
