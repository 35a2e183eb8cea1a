"""Which repositories the org commands cover: `org.repositories` when configured, else an
App installation's repositories, else what search finds (a personal token); against the
sandbox over real HTTP, with its traffic log to see what was read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.org import CONFIG, OVERDUE, env, item, organisation

from pmbot.app.report_org import report_org
from pmbot.app.sweep_org import sweep_org
from pmbot.cli import main
from pmbot.core.config import load_config
from pmbot.errors import PmbotError
from pmbot.flows.org_scope import CONFIGURED, INSTALLATION, SEARCH, Scope, decide_scope
from pmbot.sandbox import Sandbox

APP_TOKEN = "ghs_centralscope"


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.jsonl"


@pytest.fixture
def sb(log: Path) -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web", log_path=log) as sandbox:
        for login in ("alice", "carol", "dave", "mrivera"):
            sandbox.seed_user(login, association="MEMBER", permission="write")
        yield sandbox


def exchanges(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def read_of(log: Path, repository: str) -> list[str]:
    """The paths of the requests made to one repository."""
    return [x["path"] for x in exchanges(log) if x["path"].startswith(f"/repos/{repository}/")]


def listings(log: Path) -> list[dict[str, Any]]:
    return [x for x in exchanges(log) if x["path"] == "/installation/repositories"]


def summary(tmp: Path) -> str:
    return (tmp / "summary.md").read_text(encoding="utf-8")


def home_config(sb: Sandbox, extra: str) -> None:
    sb.state.seed_file(".github/pmbot.yml", CONFIG + extra)


def test_a_configured_list_wins_and_the_rest_is_never_read(
    sb: Sandbox, log: Path, tmp_path: Path
) -> None:
    organisation(sb)  # web, api with pmbot; docs with an item and no pmbot
    home_config(sb, "org:\n  repositories: [acme/web]\n")
    sweep_org(env(sb, tmp_path), "acme", dry_run=True, now=OVERDUE, config_path=None)
    assert read_of(log, "acme/api") == [] and read_of(log, "acme/docs") == []
    assert read_of(log, "acme/web")  # its configuration, its items' comments
    notes = summary(tmp_path)
    assert (
        "4 issues in 2 repositories outside org.repositories skipped: acme/api, acme/docs" in notes
    )
    assert listings(log) == []  # a personal token: GitHub would refuse; nothing asked


def test_a_personal_token_without_a_list_covers_what_search_finds(
    sb: Sandbox, log: Path, tmp_path: Path
) -> None:
    organisation(sb)
    report_org(env(sb, tmp_path), "acme", fmt="json", now=OVERDUE, config_path=None, post=False)
    assert listings(log) == []
    assert read_of(log, "acme/api") and read_of(log, "acme/docs")  # found by search
    assert (
        "no repository list (a personal token cannot list an installation's, and "
        "org.repositories is not set); covering the repositories where search finds issues"
    ) in summary(tmp_path)


def test_an_installation_token_covers_the_installation_and_names_what_it_cannot_reach(
    sb: Sandbox, log: Path, tmp_path: Path
) -> None:
    organisation(sb)
    sb.org.add_repo("ops").seed_file(".github/pmbot.yml", CONFIG)
    bot = sb.org.install_app("pmbot", APP_TOKEN, repos=["web", "api"])
    home_config(sb, "org:\n  repositories: [acme/web, acme/api, acme/ops]\n")
    environ = env(sb, tmp_path) | {"GITHUB_TOKEN": APP_TOKEN}
    code = sweep_org(environ, "acme", dry_run=True, now=OVERDUE, config_path=None)
    assert code == 0
    [listing] = listings(log)
    assert listing["status"] == 200 and listing["query"].get("per_page") in ("100", ["100"])
    notes = summary(tmp_path)
    assert (
        "acme/ops: in org.repositories, but the token cannot reach it (not in the App "
        "installation); fix: install the App on it, or drop it from the list"
    ) in notes
    assert "2 repositories of acme in org.repositories" in notes
    assert read_of(log, "acme/ops") == [] and read_of(log, "acme/docs") == []
    assert bot.endswith("[bot]")


def test_without_a_list_an_installation_covers_its_own_repositories(
    sb: Sandbox, log: Path, tmp_path: Path
) -> None:
    organisation(sb)
    sb.org.install_app("pmbot", APP_TOKEN, repos=["web", "api", "docs"])
    environ = env(sb, tmp_path) | {"GITHUB_TOKEN": APP_TOKEN}
    sweep_org(environ, "acme", dry_run=True, now=OVERDUE, config_path=None)
    assert len(listings(log)) == 1
    assert "3 repositories of acme in the App installation" in summary(tmp_path)


def test_the_actions_token_covers_its_own_repository_and_says_so(
    sb: Sandbox, log: Path, tmp_path: Path
) -> None:
    organisation(sb)
    sb.state.seed_actions_token("ghs_actions")
    environ = env(sb, tmp_path) | {"GITHUB_TOKEN": "ghs_actions"}
    sweep_org(environ, "acme", dry_run=True, now=OVERDUE, config_path=None)
    notes = summary(tmp_path)
    assert "1 repository of acme in the App installation (an Actions GITHUB_TOKEN" in notes
    assert "4 issues in 2 repositories outside the App installation skipped" in notes
    assert read_of(log, "acme/api") == [] and read_of(log, "acme/docs") == []


def test_the_installation_is_listed_100_a_page(sb: Sandbox, log: Path, tmp_path: Path) -> None:
    for n in range(130):
        sb.org.add_repo(f"team{n:03d}")
    sb.org.install_app("pmbot", APP_TOKEN)  # every repository: 131
    item(sb.state, 1)
    environ = env(sb, tmp_path) | {"GITHUB_TOKEN": APP_TOKEN}
    sweep_org(environ, "acme", dry_run=True, now=OVERDUE, config_path=None)
    assert [x["query"].get("page") for x in listings(log)] in (
        [None, "2"], [None, ["2"]],
    )  # fmt: skip
    assert "131 repositories of acme in the App installation" in summary(tmp_path)


def test_the_central_index_lists_only_repositories_in_scope(
    sb: Sandbox, log: Path, tmp_path: Path
) -> None:
    web, api, _ = organisation(sb)
    program = sb.org.add_repo("program")
    home_config(sb, "org:\n  central_repository: acme/program\n  repositories: [acme/web]\n")
    for repo in (web, api):
        repo.seed_file("docs/postmortems/index.json", '{"pmbot": 1, "documents": []}\n')
    report_org(env(sb, tmp_path), "acme", fmt="md", now=OVERDUE, config_path=None, post=True)
    index_reads = [x["path"] for x in exchanges(log) if x["path"].endswith("/index.json")]
    assert index_reads == ["/repos/acme/web/contents/docs/postmortems/index.json"]
    assert program.git.branch_head(program.default_branch)


# --- configuration and the pure decision ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("org:\n  repositories: [acme/web, acme/web]\n", "acme/web is listed twice"),
        ("org:\n  repositories: [web]\n", "must be a repository as OWNER/NAME"),
        ("org:\n  repositories: acme/web\n", "valid tuple"),
        ("org:\n  index_dir: ../elsewhere\n", "must be a relative path inside the repository"),
    ],
)
def test_bad_repository_settings_name_the_key_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(PmbotError) as error:
        load_config(text=text)
    rendered = error.value.render()
    key = "org.index_dir" if "index_dir" in text else "org.repositories"
    assert key in rendered and message in rendered and "Fix:" in rendered
    fix = "e.g. postmortems" if "index_dir" in text else "e.g. [acme/web, acme/api]"
    assert fix in rendered


def test_the_cli_exits_1_on_a_bad_list(
    sb: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home_config(sb, "org:\n  repositories: [acme/web, not-a-repository]\n")
    monkeypatch.chdir(tmp_path)  # no .github/pmbot.yml here: the home repository's is read
    for key, value in env(sb, tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["sweep", "--org", "acme", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "org.repositories[1]" in err and "line 4" in err and "Fix: list each repository" in err
    assert "Traceback" not in err and sb.counters.writes == 0


def test_the_scope_decision() -> None:
    scope, notes = decide_scope("acme", None, None)
    assert scope == Scope(SEARCH, None) and scope.holds("acme/anything")
    scope, _ = decide_scope("acme", None, ["acme/web", "other/x"])
    assert scope == Scope(INSTALLATION, ("acme/web",))
    assert scope.holds("ACME/Web") and not scope.holds("other/x")
    scope, notes = decide_scope("acme", ["acme/web", "acme/api", "other/x"], None)
    assert scope == Scope(CONFIGURED, ("acme/web", "acme/api"))  # unreachable not knowable
    assert notes[0] == "org.repositories: other/x is not a repository of acme; left out"
    scope, _ = decide_scope("acme", ["acme/web", "acme/api"], ["acme/web"])
    assert scope.repositories == ("acme/web",) and scope.unreachable == ("acme/api",)
