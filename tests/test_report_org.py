"""`pmbot report --org`: one program report over an organisation's repositories, read through
search, against the sandbox over real HTTP; `--post` keeps one issue in the central repository."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.intake import example
from helpers.org import CONFIG, OVERDUE, env, organisation

from pmbot.app.report_org import report_org
from pmbot.cli import build_parser
from pmbot.core.config import load_config
from pmbot.errors import PmbotError
from pmbot.flows.report_post import REPORT_LABEL
from pmbot.sandbox import Sandbox, State

CENTRAL = CONFIG + "org:\n  central_repository: acme/program\n"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        for login in ("alice", "carol", "dave", "mrivera", "jchen", "dkim", "spatel"):
            sandbox.seed_user(login, association="MEMBER", permission="write")
        yield sandbox


def programme(sb: Sandbox, empty_repos: int = 0) -> tuple[State, State, State, State]:
    """web: 3 items and 1 postmortem; api: 3 items and 2 postmortems; docs (no pmbot): 1 item
    and 1 postmortem; program: the central repository."""
    web, api, docs = organisation(sb, empty_repos)
    web.seed_file(".github/pmbot.yml", CENTRAL)
    for repo, count in ((web, 1), (api, 2), (docs, 1)):
        for _ in range(count):
            repo.seed_issue(
                title="Postmortem", body=example(), labels=["postmortem"], user="mrivera"
            )
    return web, api, docs, sb.org.add_repo("program")


def run(sb: Sandbox, tmp: Path, fmt: str = "json", **kw: bool) -> int:
    return report_org(
        env(sb, tmp), "acme", fmt=fmt, now=OVERDUE, config_path=None,  # type: ignore[arg-type]
        post=kw.get("post", False), dry_run=kw.get("dry_run", False),
    )  # fmt: skip


def test_the_report_counts_each_repository(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    programme(sb)
    assert run(sb, tmp_path) == 0
    data = json.loads(capsys.readouterr().out)
    rows = data["by_repository"]
    assert sorted(rows) == ["acme/api", "acme/web"]  # docs has no pmbot: not counted
    assert rows["acme/web"]["postmortems"] == 1 and rows["acme/api"]["postmortems"] == 2
    assert rows["acme/web"]["open_items"] == 3 and rows["acme/api"]["overdue_items"] == 3
    assert sum(sum(m.values()) for m in data["postmortems_by_month"].values()) == 3
    assert data["action_items"]["overall"]["late"] == 6
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "acme/docs: no .github/pmbot.yml" in summary


def test_markdown_has_the_breakdown_by_repository(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    programme(sb)
    run(sb, tmp_path, fmt="md")
    text = capsys.readouterr().out
    assert "## By repository" in text
    assert "| `acme/api` | 2 | 3 | 3 | 0% ⚠️ |" in text


def test_post_keeps_one_issue_in_the_central_repository(sb: Sandbox, tmp_path: Path) -> None:
    web, _, _, program = programme(sb)
    assert run(sb, tmp_path, post=True) == 0
    reports = [i for i in program.issues.values() if REPORT_LABEL in i.labels]
    assert len(reports) == 1 and "## By repository" in (reports[0].body or "")
    assert not [i for i in web.issues.values() if REPORT_LABEL in i.labels]
    writes = sb.counters.writes
    assert run(sb, tmp_path, post=True) == 0
    assert sb.counters.writes == writes  # nothing changed: nothing written
    web.seed_issue(title="Postmortem", body=example(), labels=["postmortem"], user="mrivera")
    assert run(sb, tmp_path, post=True) == 0
    reports = [i for i in program.issues.values() if REPORT_LABEL in i.labels]
    assert len(reports) == 1 and "| `acme/web` | 2 |" in (reports[0].body or "")  # edited in place


def test_a_dry_run_posts_nothing(sb: Sandbox, tmp_path: Path) -> None:
    programme(sb)
    assert run(sb, tmp_path, post=True, dry_run=True) == 0
    assert sb.counters.writes == 0


def test_post_without_a_central_repository_says_what_to_set(sb: Sandbox, tmp_path: Path) -> None:
    web, _, _, _ = programme(sb)
    web.seed_file(".github/pmbot.yml", CONFIG)
    with pytest.raises(PmbotError, match=r"org\.central_repository"):
        run(sb, tmp_path, post=True)
    assert sb.counters.writes == 0


def test_reads_do_not_grow_with_repositories_without_issues(sb: Sandbox, tmp_path: Path) -> None:
    programme(sb, empty_repos=40)  # 44 repositories; issues in 3 of them
    run(sb, tmp_path)
    reads = sb.counters.by_method["GET"]
    # one search page for each label, who the token is, the home configuration, then per
    # repository with issues: its configuration and the pulls read to date its documents
    assert reads <= 2 * math.ceil(10 / 100) + 2 + 3 * 2, sb.counters.by_endpoint


def test_the_central_repository_is_validated() -> None:
    assert load_config(text=CENTRAL).org.central_repository == "acme/program"
    with pytest.raises(PmbotError, match="central_repository"):
        load_config(text="org:\n  central_repository: not a repository\n")


def test_the_cli_takes_an_organisation() -> None:
    args = build_parser().parse_args(["report", "--org", "acme", "--post", "--dry-run"])
    assert args.org == "acme" and args.post and args.dry_run
    assert build_parser().parse_args(["report"]).org is None


def test_recurring_incidents_name_the_repository_of_each_postmortem(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web, api, _, _ = programme(sb)
    pm_numbers = {
        repo.full_name: sorted(n for n, i in repo.issues.items() if "postmortem" in i.labels)
        for repo in (web, api)
    }
    run(sb, tmp_path)
    data = json.loads(capsys.readouterr().out)
    service = next(r for r in data["recurring"] if r["name"] == "payments-db")
    # issue numbers repeat across repositories: each postmortem is OWNER/NAME#N
    assert sorted(service["postmortems"]) == sorted(
        f"{name}#{n}" for name, numbers in pm_numbers.items() for n in numbers
    )
    run(sb, tmp_path, fmt="md")
    row = next(line for line in capsys.readouterr().out.splitlines() if "`payments-db`" in line)
    assert f"acme/web#{pm_numbers['acme/web'][0]}" in row and " #" not in row
