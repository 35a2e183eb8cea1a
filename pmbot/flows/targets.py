"""The program's own targets, each measured against its goal from `report` in the config.

Definitions (so each number can be checked by hand). A quarter is a calendar quarter;
"this quarter" runs to today; an incident's day is its postmortem's `day` (started, else
detected, else resolved); services are compared case-insensitively. A near-miss is not an
incident: it counts in near_misses and in the time to detect, not in repeat_incidents,
recurrence_after_fixes or mtbi_trend. Across an organisation (`report --org`) a service is
its repository's: `api` in acme/web and `api` in acme/shop are two services (`acme/web:api`),
since each team names its own services and fixes them with its own action items.

- *on_time_all*: action items closed by their due date, of those decided (see the report).
- *on_time_p0_p1*: the same over P0 and P1 items only.
- *repeat_incidents*: incidents sharing a service with an earlier one dated within
  `similar.window_days` before them, of all dated incidents. Lower is better.
- *recurrence_after_fixes*: for each postmortem whose action items are all done — every
  item closed, at least one as completed (not planned is a decision, not work left) — and
  whose last item closed at least `report.recurrence_window_days` (W) ago: incidents on its
  services in the W days after that last close, against those in the W days up to and
  including its own incident. Summed over those postmortems, measured = 1 − after ÷ before
  (0.5: recurrence halved). Postmortems fixed less than W days ago wait for a full window.
- *ttd_quarter_over_quarter*: how much the median time to detect of this quarter (to date)
  improved on the previous quarter's: (previous − current) ÷ previous.
- *mtbi_trend*: mean time between incidents, per service: the days between consecutive
  incidents of the same service, each gap counted in the quarter its later incident falls
  in; a quarter's figure is the mean of its gaps over every service. Trending up: this
  quarter's mean is not below the last quarter's.
- *near_misses*: near-miss postmortems this quarter, against the previous quarter's count;
  more is better (reporting them shows trust), so the goal is not fewer than last quarter.
- *quality_score*: the mean over scored postmortems of each one's average peer-review score
  (`/pmbot score`, the latest per reviewer), so every postmortem weighs the same.
- *review_attendance*: responders who attended the review meeting, of all responders, over
  the postmortems whose form names both the responders and the attendees (pooled: a
  postmortem with ten responders weighs more than one with two).
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from pmbot.core.config import Config
from pmbot.core.model import utc
from pmbot.flows.items import TrackedItem
from pmbot.render.report import PostmortemRecord, PostmortemRef, Rate, Report
from pmbot.render.targets import ProgramTargets, Scores, ServiceGaps, Target, with_targets

__all__ = ["ProgramTargets", "Target", "compute_targets", "with_targets"]

NEAR_MISS = "near-miss"
NO_DATA = "no data yet"

Quarter = tuple[int, int]


def _quarter(day: date) -> Quarter:
    return day.year, (day.month - 1) // 3


def _previous(q: Quarter) -> Quarter:
    return (q[0], q[1] - 1) if q[1] else (q[0] - 1, 3)


def quarter_name(q: Quarter) -> str:
    return f"{q[0]}-Q{q[1] + 1}"


def _pct(value: float | None) -> str:
    return NO_DATA if value is None else f"{value * 100:.0f}%"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _services(pm: PostmortemRecord) -> set[str]:
    """The postmortem's services; in a report across repositories, `OWNER/NAME:service`."""
    prefix = f"{pm.repository.lower()}:" if pm.repository else ""
    return {prefix + s.strip().lower() for s in pm.services if s.strip()}


def _incidents(postmortems: Iterable[PostmortemRecord]) -> list[PostmortemRecord]:
    """The dated postmortems of incidents (a near-miss is not one), oldest first."""
    found = (p for p in postmortems if p.day and p.severity != NEAR_MISS)
    return sorted(found, key=lambda p: (p.day or date.min, p.number))


def _rate_target(tid: str, name: str, rate: Rate, goal: float) -> Target:
    measured = rate.rate
    shown = NO_DATA if measured is None else f"{_pct(measured)} ({rate.on_time} of {rate.counted})"
    return Target(tid, name, f"≥ {_pct(goal)}", measured, shown, rate.meets(goal))


def _repeats(postmortems: Sequence[PostmortemRecord], window_days: int) -> tuple[int, int]:
    dated = _incidents(postmortems)
    repeats = 0
    for i, pm in enumerate(dated):
        if any(
            _services(pm) & _services(e)
            and pm.day is not None
            and e.day is not None
            and pm.day - e.day <= timedelta(days=window_days)
            for e in dated[:i]
        ):
            repeats += 1
    return repeats, len(dated)


# --- recurrence after the action items were done -------------------------------------------


def fixed_on(items: Sequence[TrackedItem], config: Config) -> dict[int, date]:
    """Postmortem number → the day its last action item closed, for postmortems whose items
    are all closed with at least one completed (items marked removed are left out)."""
    by_pm: dict[int, list[TrackedItem]] = defaultdict(list)
    for item in items:
        if config.labels.removed.name not in item.labels and not item.is_duplicate:
            by_pm[item.info.pm].append(item)
    done: dict[int, date] = {}
    for number, group in by_pm.items():
        closed = [i.closed_at for i in group if not i.is_open and i.closed_at is not None]
        completed = any(not _not_planned(i, config) for i in group)
        if len(closed) == len(group) and completed:
            done[number] = utc(max(closed)).date()
    return done


def _not_planned(item: TrackedItem, config: Config) -> bool:
    return item.state_reason == "not_planned" or config.labels.wont_do.name in item.labels


def _recurrence(
    postmortems: Sequence[PostmortemRecord],
    fixed: Mapping[PostmortemRef, date],
    today: date,
    window: int,
) -> tuple[int, int, int]:
    """(postmortems measured, incidents before, incidents after) as the module says."""
    dated = _incidents(postmortems)
    span = timedelta(days=window)
    measured = before = after = 0
    for pm in dated:
        done = fixed.get(pm.ref)
        if done is None or pm.day is None or done + span > today or not _services(pm):
            continue
        mine = _services(pm)
        near = [q.day for q in dated if q.day is not None and _services(q) & mine]
        measured += 1
        before += sum(pm.day - span <= d <= pm.day for d in near)
        after += sum(done < d <= done + span for d in near)
    return measured, before, after


# --- time to detect, time between incidents --------------------------------------------------


def _ttd_by_quarter(postmortems: Sequence[PostmortemRecord]) -> dict[Quarter, float]:
    minutes: dict[Quarter, list[float]] = defaultdict(list)
    for p in postmortems:
        if p.day and p.detected and p.started:
            minutes[_quarter(p.day)].append((p.detected - p.started).total_seconds() / 60)
    return {q: round(statistics.median(v), 1) for q, v in sorted(minutes.items())}


def _gaps(postmortems: Sequence[PostmortemRecord]) -> dict[str, list[tuple[date, int]]]:
    """Service → (day of the later incident, days since the one before), in order."""
    days: dict[str, list[date]] = defaultdict(list)
    for pm in _incidents(postmortems):
        for service in _services(pm):
            if pm.day is not None:
                days[service].append(pm.day)
    return {
        service: [(b, (b - a).days) for a, b in itertools.pairwise(seen)]
        for service, seen in sorted(days.items())
    }


def _mtbi(
    postmortems: Sequence[PostmortemRecord],
) -> tuple[dict[Quarter, float], dict[str, ServiceGaps]]:
    gaps = _gaps(postmortems)
    by_quarter: dict[Quarter, list[int]] = defaultdict(list)
    for service_gaps in gaps.values():
        for day, span in service_gaps:
            by_quarter[_quarter(day)].append(span)
    quarters = {q: round(float(statistics.mean(v)), 1) for q, v in sorted(by_quarter.items())}
    services = {
        name: ServiceGaps(
            incidents=len(spans) + 1,
            mean_days=round(float(statistics.mean(s for _, s in spans)), 1) if spans else None,
        )
        for name, spans in gaps.items()
    }
    return quarters, services


def _trend_target(
    tid: str, name: str, series: Mapping[Quarter, float], this: Quarter, unit: str, up: bool
) -> Target:
    """This quarter's figure against the last quarter's: up (or down) is better."""
    cur, prev = series.get(this), series.get(_previous(this))
    shown_prev = "—" if prev is None else f"{prev:g} {unit}"
    goal = f"{'≥' if up else '≤'} last quarter's ({shown_prev})"
    if cur is None:
        why = f"{NO_DATA} (no service had a second incident this quarter)"
        return Target(tid, name, goal, None, why, None)
    meets = None if prev is None else (cur >= prev if up else cur <= prev)
    return Target(tid, name, goal, cur, f"{cur:g} {unit}", meets)


# --- the targets ---------------------------------------------------------------------------


def compute_targets(
    postmortems: Sequence[PostmortemRecord],
    report: Report,
    now: datetime,
    config: Config,
    items: Sequence[TrackedItem] = (),
    scores: Mapping[int, Sequence[float]] | Mapping[PostmortemRef, Sequence[float]] | None = None,
    fixed: Mapping[PostmortemRef, date] | None = None,
) -> ProgramTargets:
    """Every target, from the report's records and figures, the items (for recurrence after
    fixes) and the peer-review scores (postmortem → the latest score per reviewer: its number
    within one repository, its `PostmortemRef` across several). Across repositories, where
    issue numbers repeat, `fixed` gives each postmortem's `fixed_on` day instead of `items`
    (each repository's computed with its own configuration's labels)."""
    goals = config.report
    today = utc(now).date()
    this = _quarter(today)
    last = _previous(this)
    p0_p1 = Rate()
    for prio in ("P0", "P1"):
        rate = report.by_priority.get(prio, Rate())
        p0_p1 = Rate(p0_p1.on_time + rate.on_time, p0_p1.late + rate.late)
    ttd = _ttd_by_quarter(postmortems)
    mtbi, services = _mtbi(postmortems)
    refs = {_ref(k): v for k, v in (scores or {}).items()}
    quality = {
        ref: Scores(len(s), round(statistics.mean(s), 2)) for ref, s in sorted(refs.items()) if s
    }
    if fixed is None:
        fixed = {PostmortemRef("", n): day for n, day in fixed_on(items, config).items()}
    targets = (
        _rate_target("on_time_all", "Action items done by their due date", report.overall,
                     goals.on_time_target),
        _rate_target("on_time_p0_p1", "P0/P1 items done by their due date", p0_p1,
                     goals.p0_p1_on_time_target),
        _repeat_target(postmortems, config),
        _recurrence_target(postmortems, fixed, today, config),
        _ttd_target(ttd, this, last, goals.ttd_improvement_target),
        _trend_target("mtbi_trend", "Mean time between incidents of a service (days)", mtbi,
                      this, "days", up=True),
        _near_miss_target(postmortems, this, last),
        _quality_target(quality, goals.quality_score_target),
        _attendance_target(postmortems, goals.review_attendance_target),
    )  # fmt: skip
    named = {quarter_name(q): v for q, v in ttd.items()}
    return ProgramTargets(
        targets, named, {quarter_name(q): v for q, v in mtbi.items()}, services, quality
    )


def _ref(key: int | PostmortemRef) -> PostmortemRef:
    return key if isinstance(key, PostmortemRef) else PostmortemRef("", key)


def _repeat_target(postmortems: Sequence[PostmortemRecord], config: Config) -> Target:
    limit = config.report.repeat_incidents_max
    repeats, dated = _repeats(postmortems, config.similar.window_days)
    share = round(repeats / dated, 4) if dated else None
    return Target(
        "repeat_incidents", "Repeat incidents (a service seen again within the window)",
        f"< {_pct(limit)}", share,
        NO_DATA if share is None else f"{_pct(share)} ({repeats} of {dated})",
        None if share is None else share < limit,
    )  # fmt: skip


def _recurrence_target(
    postmortems: Sequence[PostmortemRecord],
    fixed: Mapping[PostmortemRef, date],
    today: date,
    config: Config,
) -> Target:
    goals = config.report
    window = goals.recurrence_window_days
    measured, before, after = _recurrence(postmortems, fixed, today, window)
    drop = round(1 - after / before, 4) if before else None
    shown = (
        f"{NO_DATA} (no postmortem's items all done {window} days ago)"
        if drop is None
        else f"{_pct(abs(drop))} {'fewer' if drop >= 0 else 'more'} ({after} after vs "
        f"{before} before, {_n(measured, 'postmortem')})"
    )
    return Target(
        "recurrence_after_fixes",
        f"Recurrence on a service in the {window} days after its items were done",
        f"≥ {_pct(goals.recurrence_reduction_target)} fewer", drop, shown,
        None if drop is None else drop >= goals.recurrence_reduction_target,
    )  # fmt: skip


def _ttd_target(ttd: Mapping[Quarter, float], this: Quarter, last: Quarter, goal: float) -> Target:
    cur, prev = ttd.get(this), ttd.get(last)
    better = round((prev - cur) / prev, 4) if cur is not None and prev else None
    return Target(
        "ttd_quarter_over_quarter", "Median time to detect, this quarter vs the last",
        f"≥ {_pct(goal)} better", better,
        f"{NO_DATA} (needs a time to detect this quarter and the last)" if better is None
        else f"{_pct(better)} better ({cur:g} vs {prev:g} min)",
        None if better is None else better >= goal,
    )  # fmt: skip


def _near_miss_target(
    postmortems: Sequence[PostmortemRecord], this: Quarter, last: Quarter
) -> Target:
    days = [p.day for p in postmortems if p.severity == NEAR_MISS and p.day]
    count = sum(_quarter(d) == this for d in days)
    before = sum(_quarter(d) == last for d in days)
    name = "Near-misses reported this quarter (more is better)"
    return Target("near_misses", name, f"≥ last quarter's ({before})", float(count), str(count),
                  count >= before)  # fmt: skip


def _quality_target(quality: Mapping[PostmortemRef, Scores], goal: float) -> Target:
    name = "Postmortem quality score from peer review"
    if not quality:
        return Target("quality_score", name, f"≥ {goal:g} of 5", None,
                      f"{NO_DATA} (reviewers score with `/pmbot score N`)", None)  # fmt: skip
    mean = round(statistics.mean(s.average for s in quality.values()), 2)
    reviews = sum(s.reviewers for s in quality.values())
    shown = f"{mean:g} of 5 ({_n(len(quality), 'postmortem')}, {_n(reviews, 'score')})"
    return Target("quality_score", name, f"≥ {goal:g} of 5", mean, shown, mean >= goal)


def _attendance_target(postmortems: Sequence[PostmortemRecord], goal: float) -> Target:
    recorded = [p.attendance for p in postmortems if p.attendance]
    responders = sum(r for r, _ in recorded)
    attended = sum(a for _, a in recorded)
    share = round(attended / responders, 4) if responders else None
    shown = (
        f"{NO_DATA} (no postmortem names both responders and attendees)"
        if share is None
        else f"{_pct(share)} ({attended} of {responders} responders, {_n(len(recorded), 'review')})"
    )
    meets = None if share is None else share >= goal
    return Target("review_attendance", "Responders attending the review meeting",
                  f"≥ {_pct(goal)}", share, shown, meets)  # fmt: skip
