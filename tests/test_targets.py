"""The program's targets, computed by hand on a fixture history (today 2026-05-15, in Q2)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from helpers.items import make_item

from pmbot.app.forms import postmortem_form
from pmbot.core.config import default_config, load_config
from pmbot.core.model import Priority
from pmbot.core.reading import read_postmortem
from pmbot.flows.items import TrackedItem
from pmbot.flows.report import compute_report
from pmbot.flows.targets import ProgramTargets, compute_targets, fixed_on, with_targets
from pmbot.render.report import PostmortemRecord
from pmbot.render.targets import ServiceGaps

NOW = datetime(2026, 5, 15, 9, 0, tzinfo=UTC)
CONFIG = default_config()


def pm(
    number: int, day: date, service: str, ttd: int | None, severity: str = "SEV-2"
) -> PostmortemRecord:
    start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
    detected = None if ttd is None else start.replace(minute=ttd % 60, hour=10 + ttd // 60)
    return PostmortemRecord(number, f"PM {number}", severity, started=start, detected=detected,
                            services=(service,))  # fmt: skip


POSTMORTEMS = [
    pm(6, date(2025, 11, 1), "db", None),  # Q4 2025
    pm(7, date(2025, 12, 1), "API", None),  # Q4 2025 (services compare case-insensitively)
    replace(pm(1, date(2026, 1, 10), "api", 40), attendance=(5, 4)),  # Q1: api after 40 days
    pm(2, date(2026, 2, 20), "db", 20),  # Q1: db again after 111 days; median TTD 30
    pm(5, date(2026, 3, 1), "queue", None, "near-miss"),  # Q1: one near-miss
    replace(pm(3, date(2026, 4, 5), "api", 10), attendance=(2, 1)),  # Q2: api after 85 days
    pm(4, date(2026, 5, 1), "cache", 30, "near-miss"),  # Q2: median TTD 20, one near-miss
]


def closed(item: TrackedItem, on: date, reason: str = "completed") -> TrackedItem:
    at = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
    return replace(item, state="closed", state_reason=reason, closed_at=at)


CLOSED = date(2026, 4, 1)
ITEMS = [
    closed(make_item(1, priority=Priority.P0, due=date(2026, 4, 10)), CLOSED),  # on time
    make_item(2, priority=Priority.P1, due=date(2026, 5, 1)),  # open, past due: late
    closed(make_item(3, priority=Priority.P2, due=date(2026, 4, 10)), CLOSED),  # on time
    # #6 fixed on 2025-12-01; #1 on 2026-01-20 (one item done, one not planned): both long
    # enough ago (90 days). #3 fixed on 2026-04-30: too recent. #2 has an item still open.
    closed(make_item(10, pm=6, priority=Priority.P2, due=date(2025, 12, 31)), date(2025, 12, 1)),
    closed(make_item(11, pm=1, priority=Priority.P1, due=date(2026, 2, 1)), date(2026, 1, 15)),
    closed(make_item(12, pm=1, priority=Priority.P3, due=date(2026, 4, 1)), date(2026, 1, 20),
           "not_planned"),
    closed(make_item(13, pm=3, priority=Priority.P2, due=date(2026, 6, 1)), date(2026, 4, 30)),
    closed(make_item(14, pm=2, priority=Priority.P2, due=date(2026, 3, 1)), date(2026, 2, 25)),
    make_item(15, pm=2, priority=Priority.P3, due=date(2026, 8, 1)),  # open, not yet due
]  # fmt: skip
SCORES = {1: [4.0, 3.0], 3: [5.0]}


def program(config: object = CONFIG) -> ProgramTargets:
    report = compute_report(POSTMORTEMS, ITEMS, NOW, CONFIG)
    return compute_targets(POSTMORTEMS, report, NOW, CONFIG, items=ITEMS, scores=SCORES)


def targets() -> dict[str, tuple[float | None, bool | None]]:
    return {t.id: (t.measured, t.meets) for t in program().targets}


def test_the_on_time_and_repeat_targets() -> None:
    got = targets()
    # Decided: #1, #3, #10, #11, #13, #14 on time, #2 late (#12 not planned, #15 not due).
    assert got["on_time_all"] == (round(6 / 7, 4), False)  # 86% < 90%
    assert got["on_time_p0_p1"] == (round(2 / 3, 4), False)  # P0 #1, P1 #11 on time, P1 #2 late
    # #1 (api, 40 days after #7), #2 (db, 111 after #6), #3 (api, 85 after #1): 3 of the 5
    # incidents (the near-misses #4 and #5 are not incidents).
    assert got["repeat_incidents"] == (0.6, False)


def test_which_postmortems_count_as_fixed() -> None:
    assert fixed_on(ITEMS, CONFIG) == {
        6: date(2025, 12, 1),
        1: date(2026, 1, 20),  # the later close, the not-planned one, ends the work
        3: date(2026, 4, 30),
    }  # #2: its #15 is open; #12 (make_item's default postmortem): its #2 is open


def test_recurrence_after_the_items_were_done() -> None:
    # #6 (db): before = [2025-08-03, 2025-11-01] → #6; after = (2025-12-01, 2026-03-01] → #2.
    # #1 (api): before = [2025-10-12, 2026-01-10] → #7, #1; after = (2026-01-20, 2026-04-20]
    # → #3. #3 was fixed on 2026-04-30, under 90 days ago: not yet measured.
    # 2 after against 3 before: one third fewer, short of half.
    measured, meets = targets()["recurrence_after_fixes"]
    assert measured is not None and round(measured, 4) == round(1 - 2 / 3, 4)
    assert meets is False
    # A 30-day window: #6 after = (12-01, 12-31] → none, before = #6; #1: after (01-20,
    # 02-19] → none, before [12-11, 01-10] → #1; #3 (04-30 + 30 = 05-30 > today) waits: 100%.
    config = load_config(text="report:\n  recurrence_window_days: 30\n")
    report = compute_report(POSTMORTEMS, ITEMS, NOW, config)
    found = compute_targets(POSTMORTEMS, report, NOW, config, items=ITEMS)
    (target,) = [t for t in found.targets if t.id == "recurrence_after_fixes"]
    assert (target.measured, target.meets) == (1.0, True)
    assert target.shown == "100% fewer (0 after vs 2 before, 2 postmortems)"


def test_time_to_detect_and_between_incidents_by_quarter() -> None:
    found = program()
    got = targets()
    assert found.ttd_by_quarter == {"2026-Q1": 30.0, "2026-Q2": 20.0}
    ttd = got["ttd_quarter_over_quarter"]
    assert ttd[0] is not None and round(ttd[0], 4) == round((30 - 20) / 30, 4) and ttd[1]
    # Gaps: api 40 (Q1) and 85 (Q2), db 111 (Q1). Q1: (40 + 111) / 2 = 75.5; Q2: 85.
    assert found.mtbi_by_quarter == {"2026-Q1": 75.5, "2026-Q2": 85.0}
    assert got["mtbi_trend"] == (85.0, True)  # up on the last quarter
    assert {k: (v.incidents, v.mean_days) for k, v in found.mtbi_by_service.items()} == {
        "api": (3, 62.5),
        "db": (2, 111.0),
    }  # cache and queue only had near-misses


def test_near_misses_and_the_quality_score() -> None:
    got = targets()
    assert got["near_misses"] == (1.0, True)  # 1 this quarter, 1 the last: not fewer
    # #1 averages 3.5 (4 and 3), #3 5: each postmortem weighs the same, (3.5 + 5) / 2.
    assert got["quality_score"] == (4.25, True)
    assert {n.number: (s.reviewers, s.average) for n, s in program().quality.items()} == {
        1: (2, 3.5),
        3: (1, 5.0),
    }


def test_review_attendance_pools_the_recorded_reviews() -> None:
    # #1: 4 of 5 responders attended, #3: 1 of 2; the others recorded none: 5 of 7 < 80%.
    assert targets()["review_attendance"] == (round(5 / 7, 4), False)
    (shown,) = [t.shown for t in program().targets if t.id == "review_attendance"]
    assert shown == "71% (5 of 7 responders, 2 reviews)"


def test_a_postmortems_record_carries_its_attendance_from_the_form() -> None:
    body = (Path(__file__).parents[1] / "examples" / "postmortem-issue.md").read_text()
    parsed = read_postmortem(body, CONFIG, form=postmortem_form(), issue_number=1).postmortem
    record = PostmortemRecord.from_postmortem(parsed, 1, None)
    assert record.attendance == (5, 4)  # the example: 4 of its 5 responders attended
    found = compute_targets([record], compute_report([record], [], NOW, CONFIG), NOW, CONFIG)
    (target,) = [t for t in found.targets if t.id == "review_attendance"]
    assert (target.measured, target.meets) == (0.8, True)
    no_names = replace(record, attendance=None)
    found = compute_targets([no_names], compute_report([no_names], [], NOW, CONFIG), NOW, CONFIG)
    (target,) = [t for t in found.targets if t.id == "review_attendance"]
    assert target.measured is None and target.shown.startswith("no data yet")


def test_without_data_each_target_says_so() -> None:
    report = compute_report([], [], NOW, CONFIG)
    found = compute_targets([], report, NOW, CONFIG)
    shown = {t.id: t.shown for t in found.targets}
    assert shown["recurrence_after_fixes"].startswith("no data yet")
    assert shown["mtbi_trend"] == "no data yet (no service had a second incident this quarter)"
    assert shown["ttd_quarter_over_quarter"].startswith("no data yet (needs")
    assert shown["quality_score"] == "no data yet (reviewers score with `/pmbot score N`)"
    assert all(t.meets is None for t in found.targets if t.id != "near_misses")


def test_the_targets_reach_markdown_json_and_csv() -> None:
    found = program()
    md = with_targets("# Report\n", "md", found)
    assert "## Program targets" in md
    assert "| P0/P1 items done by their due date | ≥ 80% | 67% (2 of 3) | ❌ |" in md
    assert (
        "| Mean time between incidents of a service (days) | ≥ last quarter's (75.5 days) |" in md
    )
    # Two quarters each: a line chart for the time to detect and one for the time between.
    assert md.count("```mermaid") == 2 and md.count("    line [") == 2
    assert '    x-axis ["2026-Q1", "2026-Q2"]' in md and "    line [30, 20]" in md
    assert "    line [75.5, 85]" in md
    assert "| `api` | 3 | 62.5 |" in md and "| #1 | 2 | 3.5 of 5 |" in md
    data = json.loads(with_targets('{"generated": "x"}', "json", found))
    ids = [t["id"] for t in data["targets"]]
    assert ids == [
        "on_time_all", "on_time_p0_p1", "repeat_incidents", "recurrence_after_fixes",
        "ttd_quarter_over_quarter", "mtbi_trend", "near_misses", "quality_score",
        "review_attendance",
    ]  # fmt: skip
    series = data["target_series"]
    assert series["mtbi_days_by_quarter"] == {"2026-Q1": 75.5, "2026-Q2": 85.0}
    assert series["mtbi_by_service"]["db"] == {"incidents": 2, "mean_days": 111.0}
    assert series["quality_scores"]["1"] == {"reviewers": 2, "average": 3.5}
    assert series["ttd_median_minutes_by_quarter"]["2026-Q1"] == 30.0
    csv_text = with_targets("section,group,metric,value\n", "csv", found)
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert ["target", "mtbi_trend", "measured", "85.0"] in rows
    assert ["target", "quality_score", "meets", "True"] in rows
    assert ["mtbi_by_quarter", "2026-Q1", "mean_days", "75.5"] in rows
    assert ["quality_score", "#3", "average", "5.0"] in rows
    assert all(len(r) == 4 for r in rows)


def test_a_near_miss_is_not_an_incident_for_repeats_recurrence_and_time_between() -> None:
    history = [pm(1, date(2026, 4, 1), "api", 5), pm(2, date(2026, 5, 1), "api", 5, "near-miss")]
    report = compute_report(history, [], NOW, CONFIG)
    found = compute_targets(history, report, NOW, CONFIG)
    got = {t.id: t.measured for t in found.targets}
    assert got["repeat_incidents"] == 0.0  # 0 of 1 incident
    assert got["mtbi_trend"] is None and found.mtbi_by_service == {"api": ServiceGaps(1, None)}
    assert got["near_misses"] == 1.0


def test_recurrence_that_grew_says_more_not_negative_fewer() -> None:
    history = [pm(1, date(2025, 12, 1), "api", None), pm(2, date(2026, 3, 1), "api", None),
               pm(3, date(2026, 3, 2), "api", None)]  # fmt: skip
    done = [closed(make_item(20, pm=1, due=date(2026, 1, 1)), date(2025, 12, 10))]
    report = compute_report(history, done, NOW, CONFIG)
    found = compute_targets(history, report, NOW, CONFIG, items=done)
    (target,) = [t for t in found.targets if t.id == "recurrence_after_fixes"]
    # before #1: [09-02, 12-01] → #1; after (12-10, 03-10] → #2, #3: twice as many.
    assert (target.measured, target.meets) == (-1.0, False)
    assert target.shown == "100% more (2 after vs 1 before, 1 postmortem)"
