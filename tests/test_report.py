"""The program report on a small dataset whose every figure is worked out by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

from helpers.items import make_info

from pmbot.core.config import default_config, load_config
from pmbot.core.model import Priority
from pmbot.flows.items import TrackedItem
from pmbot.flows.report import PostmortemRecord, Report, compute_report
from pmbot.render.report import Rate, render_report

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def t(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+00:00")


POSTMORTEMS = [
    # Resolved Mon 01-05, due 01-12 (5 business days), merged 01-09: on target.
    PostmortemRecord(1, "Checkout 500s", "SEV-1", t("2026-01-05", "10:00"),
                     t("2026-01-05", "10:12"), t("2026-01-05", "11:30"), date(2026, 1, 9),
                     ("checkout",), ("deploy",), ("technical",)),
    # Resolved Tue 01-20, due 01-27, merged 02-02: late.
    PostmortemRecord(2, "Payments config", "SEV-2", t("2026-01-20", "08:00"),
                     t("2026-01-20", "08:30"), t("2026-01-20", "10:00"), date(2026, 2, 2),
                     ("checkout", "payments"), ("config",), ("process",)),
    # Resolved Tue 02-10, due 02-24 (10 business days), never merged: late.
    PostmortemRecord(3, "Search outage", "SEV-3", t("2026-02-10", "00:00"),
                     t("2026-02-10", "00:06"), t("2026-02-10", "00:40"), None,
                     ("search",), ("deploy",), ("technical",)),
    # Resolved Mon 03-30, due 04-06: pending.
    PostmortemRecord(4, "DNS", "SEV-1", t("2026-03-30", "12:00"), t("2026-03-30", "12:20"),
                     t("2026-03-30", "14:00"), None, ("payments",), ("dns",), ()),
    # SEV-4 has no target; "search" again but 254 days before #3: not recurring.
    PostmortemRecord(5, "Old search blip", "SEV-4", t("2025-06-01", "01:00"),
                     t("2025-06-01", "01:30"), t("2025-06-01", "02:00"), date(2025, 6, 20),
                     ("search",), (), ("technical",)),
]  # fmt: skip


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def item(
    number: int,
    priority: Priority,
    owner: str | None,
    due: date,
    closed: date | None = None,
    reason: str | None = None,
) -> TrackedItem:
    return TrackedItem(
        number=number,
        title=f"item {number}",
        body="",
        info=make_info(priority=priority, owner=owner, due=due),
        state="closed" if closed or reason else "open",
        state_reason=reason or ("completed" if closed else None),
        closed_at=datetime(closed.year, closed.month, closed.day, 12, tzinfo=UTC)
        if closed
        else None,
    )


P0, P1, P2, P3 = Priority.P0, Priority.P1, Priority.P2, Priority.P3
ITEMS = [
    item(11, P0, "alice", date(2026, 3, 1), closed=date(2026, 2, 28)),  # on time
    item(12, P0, "bob", date(2026, 3, 10), closed=date(2026, 3, 12)),  # late
    item(13, P1, "alice", date(2026, 3, 15)),  # open, 17 days overdue
    item(14, P1, "alice", date(2026, 4, 20)),  # open, not due: not counted
    item(15, P2, None, date(2026, 3, 30)),  # open, unowned, 2 days overdue
    item(16, P2, "carol", date(2026, 2, 1), reason="not_planned"),  # won't do
    item(17, P3, "bob", date(2026, 6, 1), closed=date(2026, 3, 1)),  # on time
    item(18, P1, "bob", date(2026, 1, 1)),  # open, 90 days overdue
    item(19, P1, "dave", date(2026, 3, 31), closed=date(2026, 3, 31)),  # on the due date
]


def report() -> Report:
    return compute_report(POSTMORTEMS, ITEMS, NOW, default_config())


def test_postmortems_by_month_and_severity() -> None:
    assert report().by_month == {
        "2025-06": {"SEV-4": 1},
        "2026-01": {"SEV-1": 1, "SEV-2": 1},
        "2026-02": {"SEV-3": 1},
        "2026-03": {"SEV-1": 1},
    }


def test_time_to_postmortem_against_target() -> None:
    r = report()
    assert r.time_to_postmortem == Rate(on_time=1, late=2)
    assert r.pending_postmortems == 1
    assert r.median_days_to_postmortem == 13  # 4, 13 and 19 days


def test_completion_on_time_by_priority_owner_and_overall() -> None:
    r = report()
    assert r.by_priority == {
        "P0": Rate(1, 1),
        "P1": Rate(1, 2),
        "P2": Rate(0, 1),
        "P3": Rate(1, 0),
    }
    assert r.by_owner == {"(unowned)": Rate(0, 1), "alice": Rate(1, 1), "bob": Rate(1, 2),
                          "dave": Rate(1, 0)}  # fmt: skip
    assert r.overall == Rate(3, 4) and r.overall.rate == 0.4286
    assert r.by_priority["P3"].meets(0.9) and not r.by_priority["P0"].meets(0.9)


def test_open_and_overdue_by_owner_and_age() -> None:
    r = report()
    loads = {o: (ld.open, ld.overdue, ld.oldest_overdue_days) for o, ld in r.open_by_owner.items()}
    assert loads == {"alice": (2, 1, 17), "(unowned)": (1, 1, 2), "bob": (1, 1, 90)}
    assert list(loads) == ["alice", "(unowned)", "bob"]
    assert r.overdue_ages == {"1-7 days": 1, "8-30 days": 1, "31-90 days": 1, "over 90 days": 0}


def test_ttd_ttr_trends_by_month() -> None:
    trends = {m: (x.incidents, x.ttd_median_minutes, x.ttr_median_minutes)
              for m, x in report().trends.items()}  # fmt: skip
    assert trends == {
        "2025-06": (1, 30.0, 60.0),
        "2026-01": (2, 21.0, 105.0),
        "2026-02": (1, 6.0, 40.0),
        "2026-03": (1, 20.0, 120.0),
    }


def test_recurring_incidents_within_180_days() -> None:
    found = [(r.kind, r.name, tuple(p.number for p in r.postmortems)) for r in report().recurring]
    assert found == [
        ("category", "technical", (1, 3)),
        ("service", "checkout", (1, 2)),
        ("service", "payments", (2, 4)),
        ("tag", "deploy", (1, 3)),
    ]


def test_wont_do_is_counted_apart() -> None:
    r = report()
    assert r.wont_do == {"P2": 1}
    carol = next(i for i in ITEMS if i.owner == "carol")
    assert carol.state_reason == "not_planned" and carol.info.due < NOW.date()  # late if counted
    assert "carol" not in r.by_owner and "carol" not in r.open_by_owner
    assert r.by_priority["P2"] == Rate(0, 1)  # #15 alone: #16 is neither on time nor late


def test_the_on_time_target_is_configured() -> None:
    assert report().target == 0.9  # the default, from defaults.yml
    config = load_config(text="report:\n  on_time_target: 0.4\n")
    lenient = compute_report(POSTMORTEMS, ITEMS, NOW, config)
    assert lenient.target == 0.4 and lenient.overall.meets(lenient.target)
    assert json.loads(render_report(lenient, "json"))["on_time_target"] == 0.4


def test_json_shape() -> None:
    data = json.loads(render_report(report(), "json"))
    assert set(data) == {
        "generated",
        "on_time_target",
        "postmortems_by_month",
        "time_to_postmortem",
        "action_items",
        "open_by_owner",
        "overdue_by_age",
        "trends",
        "recurring",
        "wont_do",
    }
    assert data["generated"] == "2026-04-01T09:00:00Z"
    assert data["action_items"]["by_priority"]["P1"] == {
        "on_time": 1,
        "late": 2,
        "counted": 3,
        "rate": 0.3333,
        "meets_target": False,
    }
    assert data["time_to_postmortem"]["pending"] == 1
    assert data["wont_do"] == {"total": 1, "by_priority": {"P2": 1}}
    assert data["recurring"][0] == {"kind": "category", "name": "technical", "postmortems": [1, 3]}


def test_csv_is_long_format_one_number_per_row() -> None:
    rows = list(csv.reader(io.StringIO(render_report(report(), "csv"))))
    assert rows[0] == ["section", "group", "metric", "value"]
    assert ["postmortems_by_month", "2026-01", "SEV-2", "1"] in rows
    assert ["on_time_by_priority", "P0", "rate", "0.5"] in rows
    assert ["on_time_by_owner", "bob", "late", "2"] in rows
    assert ["open_by_owner", "bob", "oldest_overdue_days", "90"] in rows
    assert ["recurring", "service:checkout", "postmortems", "1 2"] in rows
    assert ["wont_do", "P2", "items", "1"] in rows
    assert all(len(row) == 4 for row in rows)


def test_csv_cells_cannot_run_as_formulas() -> None:
    odd = PostmortemRecord(9, "x", "=HYPERLINK(1)", t("2026-03-01", "00:00"))
    text = render_report(compute_report([odd], [], NOW, default_config()), "csv")
    assert ["postmortems_by_month", "2026-03", "'=HYPERLINK(1)", "1"] in list(
        csv.reader(io.StringIO(text))
    )


def test_markdown_has_mermaid_charts_tables_and_no_pings() -> None:
    md = render_report(report(), "md")
    assert md.startswith("# Postmortem program report — 2026-04-01\n")
    # by month, by severity, on time by priority, time to resolve; no single-slice pie
    assert md.count("```mermaid") == 4 and "pie" not in md
    assert md.count('%%{init: {"theme": "base"') == 4
    assert '    x-axis ["2025-06", "2026-01", "2026-02", "2026-03"]' in md
    assert "    bar [1, 2, 1, 1]" in md
    assert '    title "Postmortems by severity"' in md
    assert "| 2026-01 | 1 | 1 | 0 | 0 | 2 |" in md
    assert "1 of 3 documents merged within their target (33%); 2 late, 1 not yet due." in md
    assert "Overall: 3 of 7 on time, 43% ⚠️." in md
    assert "| P3 | 1 | 0 | 100% ✅ |" in md
    assert "| `alice` | 2 | 1 | 17 |" in md
    assert "| category | `technical` | #1 #3 |" in md
    assert "## Recurring incidents (within 180 days)" in md
    assert "1 action item closed as not planned (P2: 1)." in md
    assert "@alice" not in md and "@bob" not in md


def test_empty_program_renders() -> None:
    empty = compute_report([], [], NOW, default_config())
    md = render_report(empty, "md")
    assert "No postmortems yet." in md and "No action item has reached its due date yet." in md
    assert "```mermaid" not in md and "⚠️" not in md and "| P0 |" not in md
    assert json.loads(render_report(empty, "json"))["action_items"]["overall"]["rate"] is None


def _charts(md: str) -> list[str]:
    return md.split("```mermaid\n")[1:]


def test_percent_axis_runs_to_100_with_the_target_as_a_line() -> None:
    md = render_report(report(), "md")
    chart = next(c for c in _charts(md) if "On time by priority" in c)
    assert '    y-axis "% on time" 0 --> 100' in chart
    labels = chart.split("x-axis [", 1)[1].split("]", 1)[0]
    assert f"    line [{', '.join('90' for _ in labels.split(', '))}]" in chart


def test_counts_get_whole_number_ticks() -> None:
    md = render_report(report(), "md")
    chart = next(c for c in _charts(md) if "Postmortems by month" in c)
    assert '    y-axis "postmortems" 0 --> 10' in chart


def test_one_data_point_draws_no_chart() -> None:
    one = PostmortemRecord(
        1, "x", "SEV-2", t("2026-03-01", "00:00"), resolved=t("2026-03-01", "02:00")
    )
    md = render_report(compute_report([one], [], NOW, default_config()), "md")
    assert "```mermaid" not in md
    assert "| 2026-03 | 1 | 1 |" in md


def test_priorities_with_nothing_decided_are_not_drawn_as_zero() -> None:
    items = [
        item(1, P1, "a", date(2026, 3, 1), closed=date(2026, 2, 20)),
        item(2, P2, "a", date(2026, 3, 1), closed=date(2026, 3, 10)),
    ]
    md = render_report(compute_report([], items, NOW, default_config()), "md")
    chart = next(c for c in _charts(md) if "On time by priority" in c)
    assert '    x-axis ["P1", "P2"]' in chart and "    bar [100, 0]" in chart
    assert "| P0 |" not in md and "| P3 |" not in md


def test_warning_sign_only_far_below_target_on_enough_items() -> None:
    late, early = date(2026, 3, 10), date(2026, 2, 1)
    items = [item(n, P1, "a", date(2026, 3, 1), closed=late) for n in range(1, 4)]
    items += [item(9, P2, "a", date(2026, 3, 1), closed=late)]
    items += [item(n, P3, "a", date(2026, 3, 1), closed=c) for n, c in ((10, early), (11, late))]
    md = render_report(compute_report([], items, NOW, default_config()), "md")
    assert "| P1 | 0 | 3 | 0% ⚠️ |" in md  # 0 of 3: far below, on enough items
    assert "| P2 | 0 | 1 | 0% |" in md  # one late item is not a trend
    assert "| P3 | 1 | 1 | 50% |" in md  # below target, not far below on so few
