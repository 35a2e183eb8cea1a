"""`pmbot demo`: the whole flow against a sandbox it starts itself, as a newcomer runs it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

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
    assert "@acme/eng-leads, this P2 action item from postmortem #1 has been overdue" in transcript


def test_the_transcript_shows_an_owner_command_answered(demo: tuple[Path, str]) -> None:
    _, transcript = demo
    assert "@dkim comments `/pmbot snooze 14d waiting for the vendor's fix` on #3" in transcript
    assert "💬 on #3: **Reminders snoozed** for 14 days, until 2026-12-16" in transcript


def test_the_report_is_posted_and_written(demo: tuple[Path, str]) -> None:
    out, transcript = demo
    assert re.search(
        r"── 2026-11-11 · pmbot report --post .*\n  \+ #\d+ pmbot report  \[pmbot-report\]",
        transcript,
    )
    assert "📄 document on main: **Status:** Complete since 2027-01-30 · action items 7/7 done" in (
        transcript
    )
    assert (out / "report.md").read_text("utf-8").startswith("# Postmortem program report")
    index = json.loads((out / "docs" / "postmortems" / "index.json").read_text("utf-8"))
    (document,) = index["documents"]
    assert document["issue"] == 1 and (out / "docs" / "postmortems" / document["path"]).is_file()
    # The document written out is main's, as the last report left it, not the pull request's.
    text = (out / "docs" / "postmortems" / document["path"]).read_text("utf-8")
    assert "- **Status:** Complete since 2027-01-30 · action items 7/7 done" in text
    log = (out / "sandbox-log.jsonl").read_text("utf-8").splitlines()
    assert log and all(json.loads(line)["status"] < 500 for line in log)
