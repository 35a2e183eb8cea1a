"""`pmbot demo --org`: an organisation's program against a sandbox it starts itself — two
teams' items on one Projects board, one org report, one central library index."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pmbot.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo-org")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(out)  # nothing may land outside --out
        assert main(["demo", "--org", "--out", str(out / "org")]) == 0
    assert [p.name for p in out.iterdir()] == ["org"]
    return out / "org", (out / "org" / "transcript.txt").read_text("utf-8")


def test_the_board_holds_both_teams_items_with_their_fields(demo: tuple[Path, str]) -> None:
    out, _ = demo
    rows = json.loads((out / "board.json").read_text("utf-8"))
    by_repo = {r["issue"].split("#")[0] for r in rows}
    assert by_repo == {"acme/web", "acme/api"}  # not acme/marketing, which has no pmbot
    assert len(rows) == 9  # the web team's 7 items and the api team's 2
    for row in rows:
        assert set(row) >= {"Priority", "Due date", "Severity", "Status", "Postmortem"}, row
        team = row["issue"].split("#")[0]
        assert row["Postmortem"] == f"{team}#1"
        assert row["Severity"] == ("SEV-2" if team == "acme/web" else "SEV-3")
        assert re.fullmatch(r"P[0-3]", row["Priority"]) and re.fullmatch(
            r"\d{4}-\d\d-\d\d", row["Due date"]
        )
    status = {r["issue"]: r["Status"] for r in rows}
    assert status.pop("acme/api#2") == "Done"  # closed by its owner, Done at the next sweep
    assert set(status.values()) == {"Todo"}


def test_the_transcript_shows_one_sweep_over_both_teams(demo: tuple[Path, str]) -> None:
    _, transcript = demo
    sweep = transcript.split("── 2026-12-09 · pmbot sweep --org acme\n")[1].split("\n\n")[0]
    assert "~ acme/web#3 +label escalated; +label overdue" in sweep
    assert "~ acme/api#2 +label escalated; +label overdue" in sweep
    assert "acme/marketing: no .github/pmbot.yml, pmbot is not installed; skipped" in sweep
    assert "project orgs/acme/1: 9 items added" in sweep
    assert re.search(r"^     acme/api#2 +P0  due 2026-11-18 SEV-3  Todo ", sweep, re.M)
    rerun = transcript.split("pmbot sweep --org acme (rerun: nothing to do)\n")[1].split("\n\n")[0]
    assert "0 items added, 0 updated (0 closed → Done; 0 values)" in rerun
    assert not re.search(r"^  [+~💬]", rerun, re.M)  # nothing written
    nextday = transcript.split("pmbot sweep --org acme (the next day)\n")[1].split("\n\n")[0]
    assert "0 items added, 1 updated (1 closed → Done" in nextday
    assert re.search(r"^     acme/api#2 .* Done ", nextday, re.M)


def test_one_report_is_posted_to_the_central_repository(demo: tuple[Path, str]) -> None:
    out, transcript = demo
    assert "  + acme/program#1 pmbot report  [pmbot-report]" in transcript
    report = (out / "report.md").read_text("utf-8")
    assert report.startswith("# Postmortem program report")
    assert "| `acme/api` | 1 | 1 | 0 |" in report and "| `acme/web` | 1 | 7 | 2 |" in report
    assert "pmbot report --org" not in report  # the run summary is not part of the report


def test_the_central_index_links_both_teams_documents(demo: tuple[Path, str]) -> None:
    out, transcript = demo
    readme = (out / "central-index" / "README.md").read_text("utf-8")
    links = re.findall(r"\]\((https://github\.com/acme/(\w+)/blob/main/docs/[^)]+\.md)\)", readme)
    assert {repo for _, repo in links} == {"web", "api"}
    index = json.loads((out / "central-index" / "index.json").read_text("utf-8"))
    assert "acme/web" in json.dumps(index) and "acme/api" in json.dumps(index)
    assert "📚 central library index acme/program:postmortems/README.md" in transcript
    assert "2026-10-27 SEV-3  `acme/api` Partner API timeouts" in transcript


def test_the_sandbox_log_has_only_answers_github_gives(demo: tuple[Path, str]) -> None:
    out, _ = demo
    exchanges = [json.loads(line) for line in (out / "sandbox-log.jsonl").open(encoding="utf-8")]
    assert exchanges and all(e["status"] < 500 for e in exchanges)
    refused = [(e["method"], e["path"], e["status"]) for e in exchanges if e["status"] >= 400]
    # what pmbot asks for knowing it may be absent: a file or the org's issue types
    assert all(status == 404 and method == "GET" for method, _, status in refused), refused


def test_the_web_teams_items_have_githubs_issue_type_and_fields(demo: tuple[Path, str]) -> None:
    _, transcript = demo
    native = re.findall(r"^  🏷 (acme/\w+)#(\d+): type (\w+) · Priority (P\d) · Due date (\S+)$",
                        transcript, re.M)  # fmt: skip
    assert len(native) == 7 and {repo for repo, *_ in native} == {"acme/web"}  # api: labels only
    assert ("acme/web", "2", "Task", "P1", "2026-12-15") in native


def test_the_traffic_ends_as_a_short_table_with_every_count_in_a_file(
    demo: tuple[Path, str],
) -> None:
    out, transcript = demo
    counters = json.loads((out / "sandbox-traffic.json").read_text("utf-8"))
    tail = transcript.split("Sandbox traffic (every count in sandbox-traffic.json):\n")[1]
    assert f"  requests  {counters['requests']}" in tail
    assert "by_endpoint" not in tail  # no JSON blob in the transcript
    busiest = max(counters["by_endpoint"].items(), key=lambda e: (e[1], e[0]))
    assert busiest[0] in tail
