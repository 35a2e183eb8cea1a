"""`pmbot report --org`: the program targets measured across the organisation (the home
configuration's goals; a service is its repository's), over real HTTP, every figure worked
out by hand below."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.org import CONFIG, EXAMPLE, OVERDUE, env, item, organisation

from pmbot.app import report_org as report_org_module
from pmbot.app.report_org import report_org
from pmbot.core.config import default_config
from pmbot.flows.scores import Ledger, Score, scores_body
from pmbot.sandbox import Sandbox, State

COMMENTS = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"
SCORED = default_config().labels.scored.name


def body(started: str, ttd_minutes: int, severity: str = "SEV-2", attendees: str = "") -> str:
    """The example postmortem, started at `started` on the one service `checkout`."""
    start = datetime.fromisoformat(started).replace(tzinfo=UTC)

    def at(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M")

    text = EXAMPLE.read_text(encoding="utf-8").replace("SEV-2", severity, 1)
    for old, new in (
        ("2026-11-03 14:02", at(0)),
        ("2026-11-03 14:09", at(ttd_minutes)),
        ("2026-11-03 15:34", at(60)),
        ("2026-11-03 16:10", at(90)),
        ("checkout-api, config-service, payments-db", "checkout"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    if attendees:
        head = "### Review attendees\n\n"
        before, after = text.split(head, 1)
        text = before + head + attendees + "\n\n" + after.split("\n\n", 1)[1]
    return text


def scored(repo: State, number: int, *scores: float) -> None:
    """Labelled peer-reviewed, with pmbot's scores comment holding `scores`."""
    issue = repo.issues[number]
    issue.labels = repo.ensure_labels([*issue.labels, SCORED])
    at = datetime(2026, 2, 20, tzinfo=UTC)
    ledger = Ledger(tuple(Score(f"r{i}", s, at, 100 + i) for i, s in enumerate(scores)), 0)
    repo.seed_comment(number, scores_body(ledger, default_config()))


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        for login in ("alice", "carol", "dave", "mrivera", "jchen", "dkim", "spatel"):
            sandbox.seed_user(login, association="MEMBER", permission="write")
        yield sandbox


def fixture(sb: Sandbox) -> tuple[State, State]:
    """web and api each: 3 open P1 items due 2026-03-02 (late on 2026-03-03), then
    web #4 (A) 2025-11-10, TTD 10 min; its item #6 closed as completed on 2025-11-20;
    web #5 (B) 2026-01-20, TTD 6 min, 1 of 5 responders at the review; scores 4 and 3;
    api #4 (C) 2026-02-01, TTD 4 min; score 5;
    api #5 (E) a near-miss, 2026-02-10, TTD 20 min.
    Every one on a service called `checkout`; everywhere else 4 of 5 responders attended."""
    web, api, _ = organisation(sb)
    a = web.seed_issue(title="A", body=body("2025-11-10 09:00", 10), labels=["postmortem"])
    b = web.seed_issue(
        title="B", body=body("2026-01-20 09:00", 6, attendees="@mrivera"), labels=["postmortem"]
    )
    fix = item(web, 9, pm=a.number)
    web.issues[fix].state, web.issues[fix].state_reason = "closed", "completed"
    web.issues[fix].closed_at = datetime(2025, 11, 20, 12, tzinfo=UTC)
    c = api.seed_issue(title="C", body=body("2026-02-01 09:00", 4), labels=["postmortem"])
    e = api.seed_issue(
        title="E", body=body("2026-02-10 09:00", 20, severity="near-miss"), labels=["postmortem"]
    )
    assert (a.number, b.number, fix, c.number, e.number) == (4, 5, 6, 4, 5)
    scored(web, b.number, 4, 3)
    scored(api, c.number, 5)
    return web, api


def run(sb: Sandbox, tmp: Path, fmt: str) -> int:
    return report_org(
        env(sb, tmp), "acme", fmt=fmt, now=OVERDUE, config_path=None,  # type: ignore[arg-type]
        post=False,
    )  # fmt: skip


def targets(data: dict[str, Any]) -> dict[str, tuple[float | None, bool | None]]:
    return {t["id"]: (t["measured"], t["meets"]) for t in data["targets"]}


def test_every_target_is_measured_across_the_organisation(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture(sb)
    sb.counters.reset()
    assert run(sb, tmp_path, "json") == 0
    data = json.loads(capsys.readouterr().out)
    got = targets(data)
    assert list(got) == [
        "on_time_all", "on_time_p0_p1", "repeat_incidents", "recurrence_after_fixes",
        "ttd_quarter_over_quarter", "mtbi_trend", "near_misses", "quality_score",
        "review_attendance",
    ]  # fmt: skip
    # Decided items: the 6 open P1 items are late, web #6 closed before its due: 1 of 7.
    assert got["on_time_all"] == (round(1 / 7, 4), False)
    assert got["on_time_p0_p1"] == (round(1 / 7, 4), False)  # all P1
    # Incidents A, B, C (E is a near-miss). B repeats A (web:checkout, 71 days < 180);
    # C is api's checkout, another service: 1 of 3.
    assert got["repeat_incidents"] == (round(1 / 3, 4), False)
    # A's items were done on 2025-11-20 (+90 days = 2026-02-18, before today). Before:
    # web:checkout in [2025-08-12, 2025-11-10] → A; after: (2025-11-20, 2026-02-18] → B
    # (C is api's). 1 − 1/1 = 0. api #4 (C) shares A's number but not its items.
    assert got["recurrence_after_fixes"] == (0.0, False)
    # TTD medians: 2025-Q4 A 10; 2026-Q1 B 6, C 4, E 20 → 6. (10 − 6) / 10 = 40% ≥ 20%.
    assert got["ttd_quarter_over_quarter"] == (0.4, True)
    # One gap: web:checkout A → B, 71 days, in Q1; none last quarter to compare with.
    assert got["mtbi_trend"] == (71.0, None)
    assert got["near_misses"] == (1.0, True)  # E this quarter, none the last
    assert got["quality_score"] == (4.25, True)  # B (4 + 3) / 2 = 3.5, C 5: (3.5 + 5) / 2
    # Responders at the review: A 4, B 1, C 4, E 4 of 5 each: 13 of 20.
    assert got["review_attendance"] == (0.65, False)
    series = data["target_series"]
    assert series["ttd_median_minutes_by_quarter"] == {"2025-Q4": 10.0, "2026-Q1": 6.0}
    assert series["mtbi_by_service"] == {
        "acme/api:checkout": {"incidents": 1, "mean_days": None},
        "acme/web:checkout": {"incidents": 2, "mean_days": 71.0},
    }
    assert series["quality_scores"] == {
        "acme/api#4": {"reviewers": 1, "average": 5.0},
        "acme/web#5": {"reviewers": 2, "average": 3.5},
    }
    # The scores cost one comment read per scored postmortem, as `pmbot report`: 2 here.
    assert sb.counters.by_endpoint[COMMENTS] == 2


def test_the_home_configuration_sets_the_goals(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web, api = fixture(sb)
    # api's own goals are not the program's; the home repository's (acme/web) are.
    api.seed_file(".github/pmbot.yml", CONFIG + "report:\n  repeat_incidents_max: 0.9\n")
    web.seed_file(".github/pmbot.yml", CONFIG + "report:\n  repeat_incidents_max: 0.5\n")
    run(sb, tmp_path, "json")
    (repeat,) = [t for t in json.loads(capsys.readouterr().out)["targets"]
                 if t["id"] == "repeat_incidents"]  # fmt: skip
    assert (repeat["goal"], repeat["meets"]) == ("< 50%", True)  # 33% < 50%


def test_markdown_and_csv_carry_the_targets(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture(sb)
    run(sb, tmp_path, "md")
    text = capsys.readouterr().out
    assert "## By repository" in text and "## Program targets" in text
    repeat = "| Repeat incidents (a service seen again within the window) |"
    assert f"{repeat} < 20% | 33% (1 of 3) | ❌ |" in text
    assert "0% fewer (1 after vs 1 before, 1 postmortem)" in text
    assert "| `acme/web:checkout` | 2 | 71 |" in text
    assert "| acme/web#5 | 2 | 3.5 of 5 |" in text
    run(sb, tmp_path, "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert ["target", "review_attendance", "measured", "0.65"] in rows
    assert ["target", "mtbi_trend", "meets", ""] in rows
    assert ["quality_score", "acme/api#4", "average", "5.0"] in rows
    assert ["by_repository", "acme/api", "postmortems", "2"] in rows


def test_the_scores_read_are_bounded(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture(sb)
    monkeypatch.setattr(report_org_module, "ORG_SCORE_READS", 1)
    sb.counters.reset()
    run(sb, tmp_path, "md")
    text = capsys.readouterr().out
    assert sb.counters.by_endpoint[COMMENTS] == 1  # the most recent scored incident only: C
    row = next(line for line in text.splitlines() if "quality score" in line)
    assert "5 of 5 (1 postmortem, 1 score); the 1 most recent of 2 scored postmortems" in row
