"""`pmbot init --action OWNER/REPO@SHA`: installs the forms, workflows (running that pinned
action) and a commented config; the reference is remembered; `./` only into pmbot's own
checkout; reruns change nothing; a file the user changed is never overwritten."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import yaml

from pmbot.app.action_ref import (
    ACTION_MARKER,
    SELF_REF,
    ActionRef,
    remembered_action,
    with_action_ref,
)
from pmbot.app.init import WORKFLOWS_DIR, commented_config, init, plan, print_result
from pmbot.core.config import CONFIG_PATH, load_config
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
OTHER_SHA = "89abcdef01234567" * 2 + "89abcdef"
ACTION = f"acme/pmbot@{SHA}"


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def installed_refs(root: Path) -> set[str]:
    """The `uses:` values of every installed workflow's `# pmbot-action` line."""
    refs = set()
    for name in WORKFLOWS:
        text = (root / ".github" / "workflows" / name).read_text(encoding="utf-8")
        (line,) = [ln for ln in text.splitlines() if "uses:" in ln and ACTION_MARKER in ln]
        refs.add(line.split("uses:")[1].split("#")[0].strip())
    return refs


def test_init_installs_everything(tmp_path: Path) -> None:
    result = init(tmp_path, action=ACTION)
    assert result.created == tuple(EXPECTED)
    assert "postmortem.yml" in FORMS
    assert {"pmbot-intake.yml", "pmbot-sweep.yml", "pmbot-labels.yml"} <= set(WORKFLOWS)
    for name in FORMS:
        installed = tmp_path / ".github" / "ISSUE_TEMPLATE" / name
        assert installed.read_bytes() == (ROOT / "issue_templates" / name).read_bytes()
    for name in WORKFLOWS:
        installed = tmp_path / ".github" / "workflows" / name
        source = (ROOT / "workflows" / name).read_text(encoding="utf-8")
        text = installed.read_text(encoding="utf-8")
        assert "uses: ./" not in text
        # The source with its one action line pointing at the pinned reference, and only that.
        assert text == source.replace("uses: ./ # pmbot-action", f"uses: {ACTION} # pmbot-action")
    assert installed_refs(tmp_path) == {ACTION}
    assert not result.notes


def test_the_config_is_all_comments_and_means_the_defaults(tmp_path: Path) -> None:
    init(tmp_path, action=ACTION)
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
    init(tmp_path, action=ACTION)
    before = snapshot(tmp_path)
    again = init(tmp_path, action=ACTION)
    assert again.unchanged == tuple(EXPECTED)
    assert not again.created and not again.skipped and not again.overwritten
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("force", [False, True])
def test_a_changed_config_is_never_overwritten(tmp_path: Path, force: bool) -> None:
    init(tmp_path, action=ACTION)
    config = tmp_path / CONFIG_PATH
    config.write_text("sla_days: {P0: 7}\n", encoding="utf-8")
    result = init(tmp_path, force=force)
    assert result.skipped == (CONFIG_PATH,)
    assert config.read_text(encoding="utf-8") == "sla_days: {P0: 7}\n"


def test_a_changed_workflow_is_kept_without_force(tmp_path: Path) -> None:
    workflow = tmp_path / ".github" / "workflows" / "pmbot-intake.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("# mine\n", encoding="utf-8")
    result = init(tmp_path, action=ACTION)
    assert result.skipped == (".github/workflows/pmbot-intake.yml",)
    assert workflow.read_text(encoding="utf-8") == "# mine\n"
    assert len(result.created) == len(EXPECTED) - 1
    assert any("--force" in note for note in result.notes)


def test_force_replaces_pmbot_files_only(tmp_path: Path) -> None:
    init(tmp_path, action=ACTION)
    workflow = tmp_path / ".github" / "workflows" / "pmbot-intake.yml"
    workflow.write_text("# old pmbot version\n", encoding="utf-8")
    (tmp_path / CONFIG_PATH).write_text("publish: commit\n", encoding="utf-8")
    result = init(tmp_path, force=True, action=ACTION)
    assert result.overwritten == (".github/workflows/pmbot-intake.yml",)
    assert result.skipped == (CONFIG_PATH,)
    source = (ROOT / "workflows" / "pmbot-intake.yml").read_text(encoding="utf-8")
    assert workflow.read_text(encoding="utf-8") == with_action_ref(source, ActionRef(ACTION))


def test_other_files_are_left_alone(tmp_path: Path) -> None:
    own = tmp_path / ".github" / "workflows" / "build.yml"
    own.parent.mkdir(parents=True)
    own.write_text("on: push\n", encoding="utf-8")
    init(tmp_path, force=True, action=ACTION)
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
    result = init(repo, force=True, action=ACTION)
    assert CONFIG_PATH in result.skipped
    assert all(f".github/workflows/{n}" in result.skipped for n in WORKFLOWS)
    assert sorted(p.name for p in outside.iterdir()) == ["victim.yml"]
    assert victim.read_text(encoding="utf-8") == "keep\n"


def test_a_version_note_is_written_beside_the_reference(tmp_path: Path) -> None:
    result = init(tmp_path, action=f"acme/pmbot@{SHA} # v0.1.0")
    assert result.action == ActionRef(ACTION, "v0.1.0")
    for name in WORKFLOWS:
        text = (tmp_path / ".github" / "workflows" / name).read_text(encoding="utf-8")
        assert f"uses: {ACTION} # v0.1.0 {ACTION_MARKER}\n" in text


def test_a_later_init_remembers_the_reference(tmp_path: Path) -> None:
    init(tmp_path, action=f"acme/pmbot@{SHA} # v0.1.0")
    before = snapshot(tmp_path)
    (tmp_path / ".github" / "workflows" / "pmbot-sweep.yml").unlink()
    again = init(tmp_path)
    assert again.action == ActionRef(ACTION, "v0.1.0")
    assert again.created == (".github/workflows/pmbot-sweep.yml",)
    assert snapshot(tmp_path) == before


def test_a_new_reference_updates_the_workflows_init_wrote(tmp_path: Path) -> None:
    init(tmp_path, action=ACTION)
    mine = tmp_path / ".github" / "workflows" / "pmbot-report.yml"
    mine.write_text(mine.read_text(encoding="utf-8") + "# my change\n", encoding="utf-8")
    result = init(tmp_path, action=f"acme/pmbot@{OTHER_SHA}")
    workflows = {f".github/workflows/{n}" for n in WORKFLOWS}
    assert set(result.updated) == workflows - {".github/workflows/pmbot-report.yml"}
    assert result.skipped == (".github/workflows/pmbot-report.yml",)
    assert mine.read_text(encoding="utf-8").endswith("# my change\n")
    assert f"uses: {ACTION} # {ACTION_MARKER}" in mine.read_text(encoding="utf-8")
    assert installed_refs(tmp_path) == {ACTION, f"acme/pmbot@{OTHER_SHA}"}
    for path in result.updated:  # only the action line changed
        source = (ROOT / "workflows" / Path(path).name).read_text(encoding="utf-8")
        expected = with_action_ref(source, ActionRef(f"acme/pmbot@{OTHER_SHA}"))
        assert (tmp_path / path).read_text(encoding="utf-8") == expected


def test_without_action_and_nothing_installed_init_asks_for_it(tmp_path: Path) -> None:
    with pytest.raises(PmbotError, match="--action: is missing") as caught:
        init(tmp_path)
    assert "--action OWNER/REPO@<40-hex commit SHA>" in str(caught.value)
    assert snapshot(tmp_path) == {}


def test_installed_workflows_naming_different_actions_need_a_choice(tmp_path: Path) -> None:
    init(tmp_path, action=ACTION)
    sweep = tmp_path / ".github" / "workflows" / "pmbot-sweep.yml"
    sweep.write_text(sweep.read_text().replace(SHA, OTHER_SHA), encoding="utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(PmbotError, match="name different pmbot actions"):
        init(tmp_path)
    assert snapshot(tmp_path) == before


def test_a_hand_edited_unpinned_reference_is_named_with_its_line(tmp_path: Path) -> None:
    init(tmp_path, action=ACTION)
    sweep = tmp_path / ".github" / "workflows" / "pmbot-sweep.yml"
    sweep.write_text(sweep.read_text().replace(ACTION, "acme/pmbot@main"), encoding="utf-8")
    with pytest.raises(PmbotError, match=r"pmbot-sweep.yml \(line \d+\).*'main' is a tag"):
        init(tmp_path)


def test_the_local_action_is_refused_in_another_repository(tmp_path: Path) -> None:
    with pytest.raises(PmbotError, match=r"--action: `uses: \./`"):
        init(tmp_path, action="./")
    # A look-alike is not pmbot's checkout either.
    (tmp_path / "action.yml").write_text("name: other\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    with pytest.raises(PmbotError, match="only pmbot's own repository"):
        init(tmp_path, action="./")
    assert not (tmp_path / ".github").exists()


def test_pmbot_own_github_folder_is_what_init_installs_there() -> None:
    """pmbot's own `.github/` is `pmbot init` into its checkout (the reference `./`, read
    back from its workflows): every form and workflow is exactly what init would write."""
    own = [f"{WORKFLOWS_DIR}/{name}" for name in WORKFLOWS]
    assert remembered_action(ROOT, own) == ActionRef(SELF_REF)
    planned = plan(ROOT, ActionRef(SELF_REF))
    assert {p.path for p in planned} == set(EXPECTED)
    for file in planned:
        if file.kind != "config":  # the config is this repository's own settings
            assert (ROOT / file.path).read_bytes() == file.content, file.path


def test_the_target_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(PmbotError, match="not a directory"):
        init(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_print_result_lists_every_file_and_the_next_steps(tmp_path: Path) -> None:
    init(tmp_path, action=ACTION)
    out = io.StringIO()
    assert print_result(init(tmp_path, action=ACTION), out) == 0
    text = out.getvalue()
    for path in EXPECTED:
        assert f"unchanged    {path}" in text
    assert "create and approve pull requests" in text


def test_the_cli_runs_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pmbot.cli import main

    assert main(["init", str(tmp_path), "--action", f"{ACTION} # v0.1.0"]) == 0
    out = capsys.readouterr().out
    assert f"(action: {ACTION} # v0.1.0)" in out
    assert "gh workflow run pmbot-labels.yml" in out
    assert (tmp_path / CONFIG_PATH).is_file()
    assert installed_refs(tmp_path) == {ACTION}
    assert main(["init", str(tmp_path)]) == 0


@pytest.mark.parametrize("ref", [None, "acme/pmbot@v1", "./"])
def test_the_cli_refuses_a_missing_or_unpinned_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ref: str | None
) -> None:
    from pmbot.cli import main

    argv = ["init", str(tmp_path)] + (["--action", ref] if ref is not None else [])
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("pmbot: error: --action: ")
    assert "Fix:" in err and "Traceback" not in err
    assert not (tmp_path / ".github").exists()


def test_kept_workflows_that_run_another_action_are_named(tmp_path: Path) -> None:
    """An install made before --action existed (`uses: ./`, edited by hand elsewhere)."""
    init(tmp_path, action=ACTION)
    intake = tmp_path / ".github" / "workflows" / "pmbot-intake.yml"
    old = intake.read_text(encoding="utf-8").replace(ACTION, "./") + "# edited\n"
    intake.write_text(old, encoding="utf-8")
    result = init(tmp_path, action=f"acme/pmbot@{OTHER_SHA}")
    assert ".github/workflows/pmbot-intake.yml" in result.skipped
    assert intake.read_text(encoding="utf-8") == old
    (note,) = [n for n in result.notes if "another pmbot action" in n]
    assert "pmbot-intake.yml (`./`)" in note
    assert f"uses: acme/pmbot@{OTHER_SHA}" in note and "--force" in note
    # --force replaces it, and then nothing is left to point out.
    forced = init(tmp_path, action=f"acme/pmbot@{OTHER_SHA}", force=True)
    assert not any("another pmbot action" in n for n in forced.notes)
    assert installed_refs(tmp_path) == {f"acme/pmbot@{OTHER_SHA}"}
