"""The program's own targets, each measured against its goal from `report` in the config.

Definitions (so each number can be checked by hand):

- *on_time_all*: action items closed by their due date, of those decided (see the report).
- *on_time_p0_p1*: the same over P0 and P1 items only.
- *repeat_incidents*: postmortems sharing a service with an earlier one dated within
  `similar.window_days` before them, of all dated postmortems. Lower is better.
- *ttd_quarter_over_quarter*: how much the median time to detect of this quarter (to date)
  improved on the previous quarter's: (previous − current) ÷ previous.
- *near_misses*: near-miss postmortems this quarter, against the previous quarter's count;
  more is better (reporting them shows trust), so the goal is not fewer than last quarter.
- Targets pmbot cannot measure yet (the review's quality score, meeting attendance, time
  between incidents per service, recurrence after completed items) are listed as such.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pmbot.core.config import Config
from pmbot.core.model import utc
from pmbot.render.report import PostmortemRecord, Rate, Report

NEAR_MISS = "near-miss"


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    goal: str
    measured: float | None  # None: no data yet, or not measured by pmbot
    shown: str
    meets: bool | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "goal": self.goal,
                "measured": self.measured, "meets": self.meets}  # fmt: skip


def _quarter(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3


def _previous(q: tuple[int, int]) -> tuple[int, int]:
    return (q[0], q[1] - 1) if q[1] else (q[0] - 1, 3)


def _pct(value: float | None) -> str:
    return "no data yet" if value is None else f"{value * 100:.0f}%"


def _rate_target(tid: str, name: str, rate: Rate, goal: float) -> Target:
    measured = rate.rate
    shown = (
        "no data yet"
        if measured is None
        else f"{_pct(measured)} ({rate.on_time} of {rate.counted})"
    )
    return Target(tid, name, f"≥ {_pct(goal)}", measured, shown, rate.meets(goal))


def _repeats(postmortems: Sequence[PostmortemRecord], window_days: int) -> tuple[int, int]:
    dated = sorted((p for p in postmortems if p.day), key=lambda p: (p.day, p.number))
    repeats = 0
    for i, pm in enumerate(dated):
        mine = {s.strip().lower() for s in pm.services if s.strip()}
        earlier = dated[:i]
        if any(
            mine & {s.strip().lower() for s in e.services}
            and e.day is not None
            and pm.day is not None
            and pm.day - e.day <= timedelta(days=window_days)
            for e in earlier
        ):
            repeats += 1
    return repeats, len(dated)


def _ttd(postmortems: Sequence[PostmortemRecord], quarter: tuple[int, int]) -> float | None:
    minutes = [
        (p.detected - p.started).total_seconds() / 60
        for p in postmortems
        if p.day and _quarter(p.day) == quarter and p.detected and p.started
    ]
    return statistics.median(minutes) if minutes else None


def compute_targets(
    postmortems: Sequence[PostmortemRecord], report: Report, now: datetime, config: Config
) -> tuple[Target, ...]:
    goals = config.report
    this = _quarter(utc(now).date())
    last = _previous(this)
    p0_p1 = Rate()
    for prio in ("P0", "P1"):
        rate = report.by_priority.get(prio, Rate())
        p0_p1 = Rate(p0_p1.on_time + rate.on_time, p0_p1.late + rate.late)
    repeats, dated = _repeats(postmortems, config.similar.window_days)
    share = repeats / dated if dated else None
    cur, prev = _ttd(postmortems, this), _ttd(postmortems, last)
    better = (prev - cur) / prev if cur is not None and prev else None
    near = [p for p in postmortems if p.severity == NEAR_MISS and p.day]
    near_now = sum(_quarter(p.day) == this for p in near if p.day)
    near_before = sum(_quarter(p.day) == last for p in near if p.day)
    missing = "not measured by pmbot yet"
    return (
        _rate_target("on_time_all", "Action items done by their due date", report.overall,
                     goals.on_time_target),
        _rate_target("on_time_p0_p1", "P0/P1 items done by their due date", p0_p1,
                     goals.p0_p1_on_time_target),
        Target("repeat_incidents", "Repeat incidents (a service seen again within the window)",
               f"< {_pct(goals.repeat_incidents_max)}", share,
               "no data yet" if share is None else f"{_pct(share)} ({repeats} of {dated})",
               None if share is None else share < goals.repeat_incidents_max),
        Target("ttd_quarter_over_quarter", "Median time to detect, this quarter vs the last",
               f"≥ {_pct(goals.ttd_improvement_target)} better", better,
               "no data yet" if better is None
               else f"{_pct(better)} better ({cur:.0f} vs {prev:.0f} min)",
               None if better is None else better >= goals.ttd_improvement_target),
        Target("near_misses", "Near-misses reported this quarter (more is better)",
               f"≥ last quarter's ({near_before})", float(near_now), str(near_now),
               near_now >= near_before),
        Target("quality_score", "Postmortem quality score from peer review", "≥ 3.5 of 5",
               None, missing, None),
        Target("review_attendance", "Responders attending the review", "≥ 80%", None,
               missing, None),
    )  # fmt: skip


def targets_markdown(targets: Sequence[Target]) -> str:
    lines = ["## Program targets", "", "| Target | Goal | Measured | |", "|---|---|---|---|"]
    for t in targets:
        mark = "✅" if t.meets else ("❌" if t.meets is False else "—")
        lines.append(f"| {t.name} | {t.goal} | {t.shown} | {mark} |")
    return "\n".join(lines) + "\n"


def with_targets(text: str, fmt: str, targets: Sequence[Target]) -> str:
    """The rendered report with the targets added: a section, a JSON key, or CSV rows."""
    if fmt == "json":
        data = json.loads(text)
        data["targets"] = [t.to_json() for t in targets]
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for t in targets:
            writer.writerow(["target", t.id, "measured", "" if t.measured is None else t.measured])
            writer.writerow(["target", t.id, "meets", "" if t.meets is None else t.meets])
        return text + out.getvalue()
    return f"{text.rstrip()}\n\n{targets_markdown(targets)}"
