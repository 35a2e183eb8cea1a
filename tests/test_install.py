"""`pmbot init`: installs the forms, workflows and a commented config; reruns change
nothing; a file the user changed is never overwritten."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import yaml

from pmbot.app.init import (
    ACTION_MARKER,
    CONFIG_PATH,
    check_action_ref,
    commented_config,
    init,
    print_result,
)
from pmbot.core.config import load_config
from pmbot.errors import PmbotError

ROOT = Path(__file__).resolve().parents[1]
FORMS = sorted(p.name for p in (ROOT / "issue_templates").glob("*.yml"))
WORKFLOWS = sorted(p.name for p in (ROOT / "workflows").glob("*.yml"))
EXPECTED = (
    [f".github/ISSUE_TEMPLATE/{n}" for n in FORMS]
    + [f".github/workflows/{n}" for n in WORKFLOWS]
    + [CONFIG_PATH]
)
SHA = "0123456789abcdef0123456789abcdef01234567"


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_init_installs_everything(tmp_path: Path) -> None:
    result = init(tmp_path)
    assert result.created == tuple(EXPECTED)
    assert "postmortem.yml" in FORMS
    assert {"pmbot-intake.yml", "pmbot-sweep.yml"} <= set(WORKFLOWS)
    for name in FORMS:
        installed = tmp_path / ".github" / "ISSUE_TEMPLATE" / name
        assert installed.read_bytes() == (ROOT / "issue_templates" / name).read_bytes()
    for name in WORKFLOWS:
        installed = tmp_path / ".github" / "workflows" / name
        assert installed.read_bytes() == (ROOT / "workflows" / name).read_bytes()
    # The local action reference cannot work elsewhere: init says so.
    assert any("not published" in note for note in result.notes)


def test_the_config_is_all_comments_and_means_the_defaults(tmp_path: Path) -> None:
    init(tmp_path)
    text = (tmp_path / CONFIG_PATH).read_text(encoding="utf-8")
    assert all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines())
    assert yaml.safe_load(text) is None
    assert load_config(tmp_path / CONFIG_PATH) == load_config(text="")
    assert "# sla_days:" in text


def test_uncommenting_a_setting_restores_it() -> None:
    defaults = "# about\nsla_days:\n  P0: 7  # fast\n"
    commented = commented_config(defaults)
    assert "# sla_days:\n#   P0: 7  # fast\n" in commented
    restored = commented.replace("# sla_days:", "sla_days:").replace("#   P0", "  P0")
    assert yaml.safe_load(restored) == {"sla_days": {"P0": 7}}


def test_a_second_init_changes_nothing(tmp_path: Path) -> None:
    init(tmp_path)
    before = snapshot(tmp_path)
    again = init(tmp_path)
    assert again.unchanged == tuple(EXPECTED)
    assert not again.created and not again.skipped and not again.overwritten
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("force", [False, True])
def test_a_changed_config_is_never_overwritten(tmp_path: Path, force: bool) -> None:
    init(tmp_path)
    config = tmp_path / CONFIG_PATH
    config.write_text("sla_days: {P0: 7}\n", encoding="utf-8")
    result = init(tmp_path, force=force)
    assert result.skipped == (CONFIG_PATH,)
    assert config.read_text(encoding="utf-8") == "sla_days: {P0: 7}\n"


def test_a_changed_workflow_is_kept_without_force(tmp_path: Path) -> None:
    workflow = tmp_path / ".github" / "workflows" / "pmbot-intake.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("# mine\n", encoding="utf-8")
    result = init(tmp_path)
    assert result.skipped == (".github/workflows/pmbot-intake.yml",)
    assert workflow.read_text(encoding="utf-8") == "# mine\n"
    assert len(result.created) == len(EXPECTED) - 1
    assert any("--force" in note for note in result.notes)


def test_force_replaces_pmbot_files_only(tmp_path: Path) -> None:
    init(tmp_path)
    workflow = tmp_path / ".github" / "workflows" / "pmbot-intake.yml"
    workflow.write_text("# old pmbot version\n", encoding="utf-8")
    (tmp_path / CONFIG_PATH).write_text("publish: commit\n", encoding="utf-8")
    result = init(tmp_path, force=True)
    assert result.overwritten == (".github/workflows/pmbot-intake.yml",)
    assert result.skipped == (CONFIG_PATH,)
    assert workflow.read_bytes() == (ROOT / "workflows" / "pmbot-intake.yml").read_bytes()


def test_other_files_are_left_alone(tmp_path: Path) -> None:
    own = tmp_path / ".github" / "workflows" / "build.yml"
    own.parent.mkdir(parents=True)
    own.write_text("on: push\n", encoding="utf-8")
    init(tmp_path, force=True)
    assert own.read_text(encoding="utf-8") == "on: push\n"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_never_writes_through_a_symbolic_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "workflows").symlink_to(outside, target_is_directory=True)
    victim = outside / "victim.yml"
    victim.write_text("keep\n", encoding="utf-8")
    (repo / CONFIG_PATH).symlink_to(victim)
    result = init(repo, force=True)
    assert CONFIG_PATH in result.skipped
    assert all(f".github/workflows/{n}" in result.skipped for n in WORKFLOWS)
    assert sorted(p.name for p in outside.iterdir()) == ["victim.yml"]
    assert victim.read_text(encoding="utf-8") == "keep\n"


def test_a_pinned_action_reference_is_written(tmp_path: Path) -> None:
    result = init(tmp_path, action_ref=f"acme/pmbot@{SHA} # v0.1.0")
    assert not result.notes
    for name in WORKFLOWS:
        text = (tmp_path / ".github" / "workflows" / name).read_text(encoding="utf-8")
        assert f"uses: acme/pmbot@{SHA} # v0.1.0 {ACTION_MARKER}\n" in text
        assert "uses: ./" not in text


@pytest.mark.parametrize(
    "ref", ["pmbot/pmbot@v1", "pmbot/pmbot@main", "pmbot/pmbot", f"pmbot/pmbot@{SHA[:12]}", ""]
)
def test_an_unpinned_action_reference_is_refused(ref: str) -> None:
    with pytest.raises(PmbotError, match="commit SHA"):
        check_action_ref(ref)


def test_the_target_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(PmbotError, match="not a directory"):
        init(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_print_result_lists_every_file_and_the_next_steps(tmp_path: Path) -> None:
    init(tmp_path)
    out = io.StringIO()
    assert print_result(init(tmp_path), out) == 0
    text = out.getvalue()
    for path in EXPECTED:
        assert f"unchanged    {path}" in text
    assert "create and approve pull requests" in text


def test_the_cli_runs_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pmbot.cli import main

    assert main(["init", str(tmp_path)]) == 0
    assert "created" in capsys.readouterr().out
    assert (tmp_path / CONFIG_PATH).is_file()
