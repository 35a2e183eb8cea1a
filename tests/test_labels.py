"""`pmbot labels` against the sandbox over real HTTP: it creates every label pmbot and its
forms use, with the configured names, colours and descriptions; a rerun writes nothing; a
dry run writes nothing; labels that exist stay exactly as they are."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import PLACEHOLDER_TOKEN, REPO

from pmbot.app.labels import DIGEST, REPORT, labels
from pmbot.cli import main
from pmbot.core.config import LabelSpec, load_config
from pmbot.flows.labels import POSTMORTEM_COLOR, plan_labels, wanted_labels
from pmbot.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def env(sb: Sandbox, token: str = PLACEHOLDER_TOKEN) -> dict[str, str]:
    return {"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": sb.base_url}


def repo_labels(sb: Sandbox) -> dict[str, tuple[str, str | None]]:
    return {lb.name: (lb.color, lb.description) for lb in sb.state.labels.values()}


def writes(sb: Sandbox) -> int:
    return sum(n for method, n in sb.counters.by_method.items() if method in WRITES)


def form_labels() -> set[str]:
    """The labels the installable issue forms apply."""
    found = set()
    for form in (ROOT / "issue_templates").glob("*.yml"):
        found |= set(yaml.safe_load(form.read_text(encoding="utf-8")).get("labels") or [])
    return found


def test_it_creates_every_label_pmbot_uses_then_a_rerun_writes_nothing(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert labels(env(sandbox), dry_run=False, config_path=None) == 0
    created = repo_labels(sandbox)
    config = load_config()
    assert created["postmortem"] == (POSTMORTEM_COLOR, wanted_labels(config)[0].description)
    for spec in config.all_labels():
        assert created[spec.name] == (spec.color, spec.description), spec.name
    assert created[REPORT.name] == (REPORT.color, REPORT.description)
    assert set(created) == {s.name for s in config.all_labels()} | {"postmortem", REPORT.name}
    # What the forms apply, and what the workflows filter on, exists before any issue.
    assert form_labels() == {"postmortem", "action-item"}
    assert form_labels() <= set(created)
    # One read for the config, one for the labels, one write per label.
    assert writes(sandbox) == len(created) == 25  # near-miss SLAs sla:112d, sla:180d; peer-reviewed
    out = capsys.readouterr().out
    assert "create label action-item (#1d76db)" in out

    sandbox.counters.reset()
    assert labels(env(sandbox), dry_run=False, config_path=None) == 0
    assert writes(sandbox) == 0
    assert repo_labels(sandbox) == created
    assert "25 of the 25 labels pmbot uses were there already" in capsys.readouterr().out


def test_a_dry_run_lists_the_missing_labels_and_writes_nothing(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.seed_label("P0", "000000", "ours")
    assert labels(env(sandbox), dry_run=True, config_path=None) == 0
    assert writes(sandbox) == 0
    assert list(repo_labels(sandbox)) == ["P0"]
    out = capsys.readouterr().out
    assert "create label postmortem" in out
    assert "create label P0 " not in out
    assert "1 of the 25 labels pmbot uses were there already" in out


def test_existing_labels_stay_as_they_are_in_any_case(sandbox: Sandbox) -> None:
    sandbox.seed_label("Action-Item", "000000", "the team's own")
    sandbox.seed_label("OVERDUE", "111111", None)
    assert labels(env(sandbox), dry_run=False, config_path=None) == 0
    found = repo_labels(sandbox)
    assert found["Action-Item"] == ("000000", "the team's own")
    assert found["OVERDUE"] == ("111111", None)
    assert "action-item" not in found and "overdue" not in found
    assert len(found) == 25


def test_the_repository_configuration_names_the_labels(sandbox: Sandbox) -> None:
    sandbox.seed_file(
        ".github/pmbot.yml",
        "postmortem_label: incident-review\n"
        "sla_days: {P0: 7, P1: 28, P2: 56, P3: 7}\n"
        "labels:\n  action_item: {name: follow-up, color: '123456', description: Ours}\n",
    )
    assert labels(env(sandbox), dry_run=False, config_path=None) == 0
    found = repo_labels(sandbox)
    assert found["follow-up"] == ("123456", "Ours")
    assert {"incident-review", "sla:7d", "sla:28d", "sla:56d"} <= set(found)
    assert not {"postmortem", "action-item", "sla:14d", "sla:90d"} & set(found)
    assert len(found) == 24  # two priorities share sla:7d; near-miss sla:112d, sla:180d


def test_through_the_command_line_with_the_actions_environment(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in env(sandbox).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no local .github/pmbot.yml: the defaults
    assert main(["labels", "--dry-run"]) == 0
    assert writes(sandbox) == 0
    assert main(["labels"]) == 0
    assert len(repo_labels(sandbox)) == 25
    sandbox.counters.reset()
    assert main(["labels"]) == 0
    assert writes(sandbox) == 0


def test_a_token_that_cannot_write_gets_a_clear_error_after_one_refused_write(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.seed_user("reader", permission="read", token="reader-token")
    for name, value in env(sandbox, "reader-token").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert main(["labels", "--config", str(ROOT / "pmbot" / "data" / "defaults.yml")]) == 1
    err = capsys.readouterr().err
    assert "pmbot: error: GITHUB_TOKEN: GitHub refused to create a label" in err
    assert "issues: write" in err and "Traceback" not in err
    assert sandbox.counters.by_endpoint.get("POST /repos/{owner}/{repo}/labels") == 1
    assert repo_labels(sandbox) == {}


def test_the_plan_is_pure_and_ignores_case() -> None:
    wanted = tuple(LabelSpec(name=n, color="ededed", description="") for n in ("a", "B", "c"))
    plan = plan_labels(wanted, ["A", "b"])
    assert [a.describe() for a in plan.actions] == ["create label c (#ededed): "]
    assert plan.writes == 1
    assert plan.notes == ("2 of the 3 labels pmbot uses were there already (left as they are)",)


def test_the_digest_label_comes_with_a_leadership_team(sandbox: Sandbox) -> None:
    text = "escalation:\n  leadership_team: acme/eng-leads\n"
    sandbox.seed_file(".github/pmbot.yml", text)
    assert labels(env(sandbox), dry_run=False, config_path=None) == 0
    found = repo_labels(sandbox)
    assert found[DIGEST.name] == (DIGEST.color, DIGEST.description)
    config = load_config(text=text)
    pmbots = {s.name for s in config.all_labels()} | {"postmortem", REPORT.name}
    assert set(found) == pmbots | {DIGEST.name}
