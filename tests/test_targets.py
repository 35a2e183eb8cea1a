"""The program's targets, computed by hand on a fixture history (today 2026-05-15, in Q2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from helpers.items import make_item

from pmbot.core.config import default_config
from pmbot.core.model import Priority
from pmbot.flows.report import compute_report
from pmbot.flows.targets import compute_targets, with_targets
from pmbot.render.report import PostmortemRecord

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
    pm(1, date(2026, 1, 10), "api", 40),  # Q1
    pm(2, date(2026, 2, 20), "db", 20),  # Q1: median TTD 30
    pm(5, date(2026, 3, 1), "queue", None, "near-miss"),  # Q1: one near-miss
    pm(3, date(2026, 4, 5), "api", 10),  # Q2, repeats #1 (85 days < 180)
    pm(4, date(2026, 5, 1), "cache", 30, "near-miss"),  # Q2: median TTD 20, one near-miss
]
CLOSED = datetime(2026, 4, 1, tzinfo=UTC)
ITEMS = [
    replace(make_item(1, priority=Priority.P0, due=date(2026, 4, 10), state="closed"),
            closed_at=CLOSED),  # on time
    make_item(2, priority=Priority.P1, due=date(2026, 5, 1)),  # open, past due: late
    replace(make_item(3, priority=Priority.P2, due=date(2026, 4, 10), state="closed"),
            closed_at=CLOSED),  # on time
]  # fmt: skip


def targets() -> dict[str, tuple[float | None, bool | None]]:
    report = compute_report(POSTMORTEMS, ITEMS, NOW, CONFIG)
    return {t.id: (t.measured, t.meets) for t in compute_targets(POSTMORTEMS, report, NOW, CONFIG)}


def test_each_target_against_its_goal() -> None:
    got = targets()
    assert got["on_time_all"] == (round(2 / 3, 4), False)  # 2 of 3 decided on time < 90%
    assert got["on_time_p0_p1"] == (0.5, False)  # P0 on time, P1 late: 50% < 80%
    assert got["repeat_incidents"] == (0.2, False)  # 1 of 5: not under 20%
    assert got["ttd_quarter_over_quarter"][0] is not None
    assert round(got["ttd_quarter_over_quarter"][0], 4) == round((30 - 20) / 30, 4)
    assert got["ttd_quarter_over_quarter"][1] is True  # 33% better ≥ 20%
    assert got["near_misses"] == (1.0, True)  # 1 this quarter, 1 the last: not fewer
    assert got["quality_score"] == (None, None)  # not measured: said so, not invented


def test_the_targets_reach_markdown_json_and_csv() -> None:
    report = compute_report(POSTMORTEMS, ITEMS, NOW, CONFIG)
    found = compute_targets(POSTMORTEMS, report, NOW, CONFIG)
    md = with_targets("# Report\n", "md", found)
    assert "## Program targets" in md
    assert "| P0/P1 items done by their due date | ≥ 80% | 50% (1 of 2) | ❌ |" in md
    import json

    data = json.loads(with_targets('{"generated": "x"}', "json", found))
    assert [t["id"] for t in data["targets"]][:2] == ["on_time_all", "on_time_p0_p1"]
    csv_text = with_targets("section,group,metric,value\n", "csv", found)
    assert "target,repeat_incidents,measured,0.2\n" in csv_text
