"""The program's targets (computed by `pmbot.flows.targets`) and how they read: a Markdown
section with line charts for the trends, a `targets` and a `target_series` key in the JSON,
and rows in the CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pmbot.render import charts
from pmbot.render.report import PostmortemRef, csv_cell


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


@dataclass(frozen=True)
class ServiceGaps:
    """One service's incidents and the mean number of days between them."""

    incidents: int
    mean_days: float | None


@dataclass(frozen=True)
class Scores:
    """A postmortem's peer-review scores (the latest per reviewer)."""

    reviewers: int
    average: float


@dataclass(frozen=True)
class ProgramTargets:
    """Each target with its measurement, and the series behind the trends."""

    targets: tuple[Target, ...]
    ttd_by_quarter: Mapping[str, float] = field(default_factory=dict)  # median minutes
    mtbi_by_quarter: Mapping[str, float] = field(default_factory=dict)  # mean days
    mtbi_by_service: Mapping[str, ServiceGaps] = field(default_factory=dict)
    quality: Mapping[PostmortemRef, Scores] = field(default_factory=dict)

    def series_json(self) -> dict[str, Any]:
        return {
            "ttd_median_minutes_by_quarter": dict(self.ttd_by_quarter),
            "mtbi_days_by_quarter": dict(self.mtbi_by_quarter),
            "mtbi_by_service": {k: vars(v) for k, v in self.mtbi_by_service.items()},
            "quality_scores": {str(k.json()): vars(v) for k, v in self.quality.items()},
        }

    def series_rows(self) -> Iterable[tuple[str, str, str, object]]:
        yield from (
            ("ttd_by_quarter", q, "median_minutes", v) for q, v in self.ttd_by_quarter.items()
        )
        yield from (("mtbi_by_quarter", q, "mean_days", v) for q, v in self.mtbi_by_quarter.items())
        for name, gaps in self.mtbi_by_service.items():
            yield ("mtbi_by_service", name, "incidents", gaps.incidents)
            yield ("mtbi_by_service", name, "mean_days", gaps.mean_days)
        for ref, scores in self.quality.items():
            yield ("quality_score", str(ref), "reviewers", scores.reviewers)
            yield ("quality_score", str(ref), "average", scores.average)


def _code(name: str) -> str:
    return "`" + name.replace("`", "'").replace("|", "/") + "`"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def targets_markdown(found: ProgramTargets | Sequence[Target]) -> str:
    program = found if isinstance(found, ProgramTargets) else ProgramTargets(tuple(found))
    lines = ["## Program targets", "", "| Target | Goal | Measured | |", "|---|---|---|---|"]
    for t in program.targets:
        mark = "✅" if t.meets else ("❌" if t.meets is False else "—")
        lines.append(f"| {t.name} | {t.goal} | {t.shown} | {mark} |")
    quarters = program.ttd_by_quarter
    ttd = charts.line_chart(
        "Median time to detect by quarter (minutes)", list(quarters), list(quarters.values()),
        "minutes",
    )  # fmt: skip
    lines += ["", *ttd] if ttd else []
    gaps = program.mtbi_by_quarter
    mtbi = charts.line_chart(
        "Mean days between incidents of a service, by quarter", list(gaps), list(gaps.values()),
        "days",
    )  # fmt: skip
    lines += ["", *mtbi] if mtbi else []
    services = {k: v for k, v in program.mtbi_by_service.items() if v.mean_days is not None}
    if services:
        lines += ["", "| Service | Incidents | Mean days between |", "|---|---|---|"]
        lines += [
            f"| {_code(k)} | {v.incidents} | {_num(v.mean_days)} |" for k, v in services.items()
        ]
    if program.quality:
        lines += ["", "| Postmortem | Reviewers | Quality score |", "|---|---|---|"]
        lines += [
            f"| {ref} | {s.reviewers} | {s.average:g} of 5 |" for ref, s in program.quality.items()
        ]
    return "\n".join(lines) + "\n"


def with_targets(text: str, fmt: str, found: ProgramTargets | Sequence[Target]) -> str:
    """The rendered report with the targets added: a section, JSON keys, or CSV rows."""
    program = found if isinstance(found, ProgramTargets) else ProgramTargets(tuple(found))
    if fmt == "json":
        data = json.loads(text)
        data["targets"] = [t.to_json() for t in program.targets]
        data["target_series"] = program.series_json()
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for t in program.targets:
            writer.writerow(["target", t.id, "measured", "" if t.measured is None else t.measured])
            writer.writerow(["target", t.id, "meets", "" if t.meets is None else t.meets])
        for row in program.series_rows():
            writer.writerow([csv_cell(v) for v in row])
        return text + out.getvalue()
    return f"{text.rstrip()}\n\n{targets_markdown(program)}"
