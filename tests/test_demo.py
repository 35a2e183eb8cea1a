"""`pmbot demo`: the whole flow against a sandbox it starts itself, as a newcomer runs it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pmbot.app.demo import plain
from pmbot.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(out)  # nothing may land outside --out
        assert main(["demo", "--out", str(out / "demo-output")]) == 0
    assert [p.name for p in out.iterdir()] == ["demo-output"]
    return out / "demo-output", (out / "demo-output" / "transcript.txt").read_text("utf-8")


def test_the_transcript_shows_intake_filing_items_once(demo: tuple[Path, str]) -> None:
    _, transcript = demo
    intake = transcript.split("── 2026-11-04 · pmbot intake --issue 1\n")[1].split("\n\n")[0]
    filed = re.findall(
        r"^  \+ #\d+ \[(P\d)\] .*\[action-item, \1, sla:\d+d, type:\w+\]$", intake, re.M
    )
    assert len(filed) == 7
    assert "pull request: Postmortem: Checkout failures" in intake
    assert "💬 on #1: Postmortem summary · SEV-2" in intake
    # AI-4 (the dashboard, #5) depends on AI-1 (the canary stage, #2): an issue dependency.
    assert "  ⛓ #5 blocked by #2 (an issue dependency)" in intake
    rerun = transcript.split("── 2026-11-04 · pmbot intake --issue 1 (rerun: nothing to do)\n")[1]
    assert rerun.startswith("  📄 document on postmortem/")  # no write: only where it stands
    assert re.search(r"^     #5 .* ⛓ after #2$", rerun, re.M)


def test_the_transcript_shows_the_ladder_up_to_leadership(demo: tuple[Path, str]) -> None:
    _, transcript = demo
    assert "~ #3 +label overdue" in transcript
    assert "~ #3 +label escalated" in transcript
    assert "💬 on #3: @mrivera @jchen, this P0 action item from postmortem #1 has been overdue" in (
        transcript
    )
    # The leadership rung: one digest issue for the team, filed once, then edited in place
    # each sweep; each item heard once, on the item, that it is listed there.
    assert transcript.count("  📋 leadership digest #") > 3
    assert (
        len(re.findall(r"^  \+ #\d+ Leadership digest: .*\[pmbot-digest\]$", transcript, re.M)) == 1
    )
    assert "📋 leadership digest #11 (filed):" in transcript
    assert re.search(
        r"#3   P0  @dkim      21 days overdue \(due 2026-11-18; snoozed until", transcript
    )
    assert "3 action items at this rung on 2027-01-20" in transcript
    assert "💬 on #5: @jchen, this P2 action item from postmortem #1 has been overdue" in transcript
    assert "@acme/eng-leads, this P2" not in transcript  # no comment per item for the team
    assert "Nothing is at this rung today" in transcript.split("@mrivera closes #8")[1]


def test_the_transcript_shows_an_owner_command_answered(demo: tuple[Path, str]) -> None:
    _, transcript = demo
    assert "@dkim comments `/pmbot snooze 14d waiting for the vendor's fix` on #3" in transcript
    assert "💬 on #3: Reminders snoozed for 14 days, until 2026-12-16" in transcript


def test_the_report_is_posted_and_written(demo: tuple[Path, str]) -> None:
    out, transcript = demo
    assert re.search(
        r"── 2026-11-11 · pmbot report --post .*\n  \+ #\d+ pmbot report  \[pmbot-report\]",
        transcript,
    )
    assert "📄 document on main: Status: Complete since 2027-01-30 · action items 7/7 done" in (
        transcript
    )
    assert (out / "report.md").read_text("utf-8").startswith("# Postmortem program report")
    index = json.loads((out / "docs" / "postmortems" / "index.json").read_text("utf-8"))
    # The example and the near-miss filed in January, both merged.
    document, near_miss = sorted(index["documents"], key=lambda d: d["issue"])
    assert near_miss["severity"] == "near-miss"
    assert document["issue"] == 1 and (out / "docs" / "postmortems" / document["path"]).is_file()
    # The document written out is main's, as the last report left it, not the pull request's.
    text = (out / "docs" / "postmortems" / document["path"]).read_text("utf-8")
    assert "- **Status:** Complete since 2027-01-30 · action items 7/7 done" in text
    log = (out / "sandbox-log.jsonl").read_text("utf-8").splitlines()
    assert log and all(json.loads(line)["status"] < 500 for line in log)


def test_reviewers_score_and_a_near_miss_is_followed_lightly(demo: tuple[Path, str]) -> None:
    _, transcript = demo
    assert "~ #1 +label peer-reviewed" in transcript
    assert "💬 on #1: 8 is outside the scale: scores go from 1 to 5." in transcript
    assert "✎ comment on #1 updated: Peer review · 3.75 of 5 from 2 reviewers" in transcript
    near_miss = transcript.split("@dkim files a near-miss postmortem")[1].split("pmbot sweep")[0]
    # Its items take the near-miss SLA: P1 56 days, P2 112 (an incident's: 28 and 56).
    assert re.search(r"\+ #\d+ \[P1\] .*\[action-item, P1, sla:56d, type:prevent\]", near_miss)
    assert re.search(r"\+ #\d+ \[P2\] .*\[action-item, P2, sla:112d, type:process\]", near_miss)
    assert "Postmortem summary · near-miss" in near_miss


def test_the_report_shows_every_target_with_what_was_measured(demo: tuple[Path, str]) -> None:
    out, _ = demo
    report = (out / "report.md").read_text("utf-8")
    targets = report.split("## Program targets\n")[1].split("\n## ")[0]
    table = targets.lstrip("\n").split("\n\n")[0].splitlines()
    rows = [ln for ln in table if ln.startswith("| ") and "---" not in ln][1:]
    assert len(rows) == 9  # every target, each with a measurement or what it still needs
    assert all(row.split(" | ")[2].strip() for row in rows)
    assert "| Postmortem quality score from peer review | ≥ 3.5 of 5 | 3.75 of 5" in targets
    assert "| Near-misses reported this quarter (more is better) | ≥ last quarter's (0) | 1 |" in (
        targets
    )
    assert "| 43% better (4 vs 7 min) | ✅ |" in targets  # the near-miss detected in 4 minutes
    assert "88% (7 of 8 responders, 2 reviews)" in targets
    assert 'x-axis ["2026-Q4", "2027-Q1"]' in targets  # time to detect, as a line


def test_the_traffic_is_a_short_table_and_every_count_a_file(demo: tuple[Path, str]) -> None:
    out, transcript = demo
    counts = json.loads((out / "sandbox-traffic.json").read_text("utf-8"))
    log = (out / "sandbox-log.jsonl").read_text("utf-8").splitlines()
    assert counts["requests"] == len(log) == sum(counts["by_endpoint"].values())
    table = transcript.split("\nSandbox traffic (every count in sandbox-traffic.json):\n")[1]
    rows = table.split("\nWrote ")[0].splitlines()
    assert all(len(row) <= 100 for row in rows)  # no long JSON line
    assert re.match(rf"  requests +{counts['requests']}  \(GET \d+, ", rows[0])
    assert re.fullmatch(rf"  writes +{counts['writes']}", rows[1])
    assert re.match(rf"  304s +{counts['not_modified']}  ", rows[2])
    busiest = sorted(counts["by_endpoint"].items(), key=lambda e: (-e[1], e[0]))[:5]
    assert rows[3] == f"  busiest endpoints (5 of {len(counts['by_endpoint'])}):"
    assert [row.split() for row in rows[4:]] == [[str(n), *e.split()] for e, n in busiest]
    ends = {len(row) - len(row.lstrip()) + len(row.split()[0]) for row in rows[4:]}
    assert ends == {len(rows[1])}  # the counts right-aligned under the figures


def test_the_transcript_reads_as_plain_text(demo: tuple[Path, str]) -> None:
    _, transcript = demo
    # What pmbot wrote as Markdown on "GitHub" is shown without its marks in a terminal; only
    # the demo's own step titles quote commands in backticks.
    shown = [line for line in transcript.splitlines() if not line.startswith(("── ", "Demo "))]
    for mark in ("**", "_(", ")_", "`", "](", "\\|"):
        assert not [line for line in shown if mark in line], mark
    assert not [line for line in shown if re.match(r" *#+ ", line)]  # no heading marks
    assert "     #8   due 2026-12-30 done     Improve monitoring (detect)" in transcript
    agenda = transcript.split("· pmbot agenda (also at the end of every weekly report)\n")[1]
    assert agenda.startswith("  Weekly review agenda — 2026-12-09\n    Action items due in")
    assert "\n      - @dkim (2):\n        - #3 Reject connection pool" in agenda


def test_plain_drops_the_marks_and_keeps_the_words() -> None:
    line = "**Owner changed** from `@acme/sre` _(see [#2](https://x/2))_ pool_size_min a\\|b"
    assert plain(line) == "Owner changed from @acme/sre (see #2) pool_size_min a|b"
    assert (
        plain("snake_case and _emphasis_ and 2 * 3 * 4") == "snake_case and emphasis and 2 * 3 * 4"
    )
