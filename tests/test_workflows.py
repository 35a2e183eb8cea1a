"""The workflows users install, pmbot's own workflows and the composite action: linted by
zizmor and GitHub's published schemas, least privilege, pinned actions, no untrusted text in
scripts, and pmbot's own `.github/` in step with the installable copies."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmbot.app.action_ref import ACTION_MARKER
from pmbot.app.init import init

ROOT = Path(__file__).resolve().parents[1]
INSTALLABLE = ROOT / "workflows"
OWN = ROOT / ".github" / "workflows"
ACTION = ROOT / "action.yml"
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"

INSTALLABLE_FILES = sorted(INSTALLABLE.glob("*.yml"))
# The organisation's workflow, for its home repository (`pmbot init --org`).
ORG_FILES = sorted((INSTALLABLE / "org").glob("*.yml"))
ORG_WORKFLOW = INSTALLABLE / "org" / "pmbot-org.yml"
OWN_FILES = sorted(OWN.glob("*.yml"))
ALL_WORKFLOWS = INSTALLABLE_FILES + ORG_FILES + OWN_FILES
# Workflows only pmbot's own repository runs (its CI); every other file of .github/workflows
# is an installable workflow.
PROJECT_ONLY = {"ci.yml"}

PINNED_USES = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+(?:/[^@\s]+)?@[0-9a-f]{40}")
ACTION_LINE = re.compile(rf"^\s*(?:-\s+)?uses:\s*\S+\s*#.*\b{ACTION_MARKER}\s*$")

# The least privilege each installable workflow's jobs need (see each file's comments).
EXPECTED_PERMISSIONS = {
    "pmbot-intake.yml": {"contents": "write", "pull-requests": "write", "issues": "write"},
    "pmbot-items.yml": {"contents": "read", "issues": "write"},
    "pmbot-commands.yml": {"contents": "read", "issues": "write"},
    "pmbot-sweep.yml": {"contents": "read", "issues": "write"},
    "pmbot-report.yml": {"contents": "write", "issues": "write"},
    "pmbot-labels.yml": {"contents": "read", "issues": "write"},
}
# The organisation's jobs act with an App installation token; their GITHUB_TOKEN only checks
# out the home repository.
ORG_PERMISSIONS = {"pmbot-org.yml": {"contents": "read"}}


def tool(name: str) -> str:
    """A console script installed next to this Python (the project's venv), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; `pip install -e '.[test]'` provides it")
    return found


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict)
    return on


def steps_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in doc:  # a composite action
        return list(doc["runs"]["steps"])
    return [step for job in doc["jobs"].values() for step in job.get("steps", [])]


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)


def test_the_installable_workflows_are_all_there() -> None:
    assert {p.name for p in INSTALLABLE_FILES} == set(EXPECTED_PERMISSIONS)
    assert ACTION.is_file()


def test_zizmor_finds_nothing() -> None:
    files = [str(p.relative_to(ROOT)) for p in [*ALL_WORKFLOWS, ACTION]]
    config = str(ZIZMOR_CONFIG)
    result = run([tool("zizmor"), "--offline", "--strict-collection", "--config", config, *files])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout, result.stdout
    # Everything given was audited (none dropped as unparseable).
    for name in files:
        assert f"completed {name}" in result.stderr, result.stderr


def test_zizmor_config_only_ignores_what_it_explains() -> None:
    config = load(ZIZMOR_CONFIG)
    assert set(config["rules"]) == {"self-repository"}
    assert set(config["rules"]["self-repository"]["ignore"]) == set(EXPECTED_PERMISSIONS) | set(
        ORG_PERMISSIONS
    )


@pytest.mark.parametrize(
    ("schema", "files"),
    [("vendor.github-workflows", ALL_WORKFLOWS), ("vendor.github-actions", [ACTION])],
    ids=["workflows", "action"],
)
def test_github_schemas_accept_them(schema: str, files: list[Path]) -> None:
    result = run([tool("check-jsonschema"), "--builtin-schema", schema] + [str(p) for p in files])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", [*ALL_WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_sha(path: Path) -> None:
    doc = load(path)
    uses = [step["uses"] for step in steps_of(doc) if "uses" in step]
    uses += [job["uses"] for job in doc.get("jobs", {}).values() if "uses" in job]
    assert uses
    for ref in uses:
        assert ref.startswith("./") or PINNED_USES.fullmatch(ref), f"{path.name}: {ref}"
    # ...with the version it stands for alongside, so updates stay reviewable.
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if match and not match[1].startswith("./"):
            assert re.match(r"\s*# v\d+(\.\d+)*\b", match[2]), f"{path.name}: {line.strip()}"


@pytest.mark.parametrize("path", [*ALL_WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_no_expression_inside_a_script(path: Path) -> None:
    # Inputs and event fields reach scripts through `env:` only; a `${{ }}` in `run:` is
    # pasted into the script before it runs (an injection when the value is untrusted).
    for step in steps_of(load(path)):
        if "run" in step:
            assert "${{" not in step["run"], f"{path.name}: {step.get('name')}"


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_least_privilege(path: Path) -> None:
    workflow = load(path)
    top = workflow.get("permissions")
    assert top is not None, "declare top-level permissions"
    assert top == {} or all(v in ("read", "none") for v in top.values()), top
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {name} must declare its permissions"
        if path.name in EXPECTED_PERMISSIONS:
            assert job["permissions"] == EXPECTED_PERMISSIONS[path.name], name
        if path.name in ORG_PERMISSIONS:
            assert job["permissions"] == ORG_PERMISSIONS[path.name], name


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_checkouts_keep_no_credentials(path: Path) -> None:
    for step in steps_of(load(path)):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False
            assert "ref" not in step.get("with", {}), "check out the default branch only"


@pytest.mark.parametrize("path", INSTALLABLE_FILES, ids=lambda p: p.name)
def test_each_installable_workflow_runs_the_pmbot_action_once(path: Path) -> None:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ACTION_LINE.match(ln)]
    assert len(lines) == 1, lines
    assert lines[0].split("uses:")[1].split("#")[0].strip() == "./"
    pmbot_steps = [s for s in steps_of(load(path)) if s.get("uses") == "./"]
    assert len(pmbot_steps) == 1
    assert pmbot_steps[0]["with"]["command"] in {"event", "sweep", "report", "labels"}
    for job in load(path)["jobs"].values():
        assert job.get("timeout-minutes"), "bound every job's run time"
        assert job["concurrency"]["cancel-in-progress"] is False


def test_issue_workflows_are_serialised_per_postmortem_family() -> None:
    """The intake of a postmortem, and the runs for its items (closed, reopened, a command),
    which rerun that intake, share one group: the postmortem's API URL, which GitHub gives
    its sub-issues as `parent_issue_url`."""
    (intake,) = load(INSTALLABLE / "pmbot-intake.yml")["jobs"].values()
    assert intake["concurrency"]["group"] == "pmbot-${{ github.event.issue.url }}"
    family = "pmbot-${{ github.event.issue.parent_issue_url || github.event.issue.url }}"
    for name in ("pmbot-items.yml", "pmbot-commands.yml"):
        (job,) = load(INSTALLABLE / name)["jobs"].values()
        assert job["concurrency"]["group"] == family, name
    (sweep,) = load(INSTALLABLE / "pmbot-sweep.yml")["jobs"].values()
    assert sweep["concurrency"]["group"] == "pmbot-sweep"


def test_triggers_and_filters() -> None:
    intake = load(INSTALLABLE / "pmbot-intake.yml")
    assert triggers(intake) == {"issues": {"types": ["opened", "edited", "labeled"]}}
    (job,) = intake["jobs"].values()
    assert "contains(github.event.issue.labels.*.name, 'postmortem')" in job["if"]

    items = load(INSTALLABLE / "pmbot-items.yml")
    assert triggers(items) == {"issues": {"types": ["closed", "reopened"]}}
    (job,) = items["jobs"].values()
    assert "contains(github.event.issue.labels.*.name, 'action-item')" in job["if"]

    commands = load(INSTALLABLE / "pmbot-commands.yml")
    assert triggers(commands) == {"issue_comment": {"types": ["created"]}}
    (job,) = commands["jobs"].values()
    assert "startsWith(github.event.comment.body, '/pmbot')" in job["if"]
    assert "github.event.issue.pull_request == null" in job["if"]
    # on action items (owner commands) and on postmortems (`/pmbot score`)
    assert "contains(github.event.issue.labels.*.name, 'action-item')" in job["if"]
    assert "contains(github.event.issue.labels.*.name, 'postmortem')" in job["if"]

    sweep = triggers(load(INSTALLABLE / "pmbot-sweep.yml"))
    assert len(sweep["schedule"]) == 1
    assert sweep["workflow_dispatch"]["inputs"]["dry-run"]["type"] == "boolean"
    report = triggers(load(INSTALLABLE / "pmbot-report.yml"))
    assert set(report) == {"schedule", "workflow_dispatch"}

    labels = load(INSTALLABLE / "pmbot-labels.yml")
    on = triggers(labels)
    assert on["push"] == {"paths": [".github/pmbot.yml", ".github/workflows/pmbot-labels.yml"]}
    assert on["workflow_dispatch"]["inputs"]["dry-run"]["type"] == "boolean"
    (job,) = labels["jobs"].values()
    assert job["if"] == "github.ref_name == github.event.repository.default_branch"
    (step,) = [s for s in job["steps"] if s.get("uses") == "./"]
    assert step["with"] == {
        "command": "labels",
        "args": "${{ inputs.dry-run && '--dry-run' || '' }}",
    }


def test_the_composite_action() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert set(inputs) == {"command", "args", "python-version", "token", "bot-login"}
    assert inputs["bot-login"]["default"] == ""  # empty: pmbot finds out who it is
    assert inputs["token"]["default"] == "${{ github.token }}"
    assert inputs["python-version"]["default"] == "3.12"
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    scripts = "\n".join(s["run"] for s in steps if "run" in s)
    assert '"$GITHUB_ACTION_PATH"' in scripts
    (runner,) = [s for s in steps if "PMBOT_COMMAND" in s.get("env", {})]
    assert runner["env"] == {
        "GITHUB_TOKEN": "${{ inputs.token }}",
        "PMBOT_BOT_LOGIN": "${{ inputs.bot-login }}",
        "PMBOT_COMMAND": "${{ inputs.command }}",
        "PMBOT_ARGS": "${{ inputs.args }}",
    }


def test_own_workflows_are_the_installable_ones() -> None:
    # pmbot's own repository runs the templates as they are (`uses: ./`); test_install.py
    # checks that this is exactly what `pmbot init` installs into pmbot's own checkout.
    own = {p.name for p in OWN_FILES}
    assert own - PROJECT_ONLY == {p.name for p in INSTALLABLE_FILES}
    for source in INSTALLABLE_FILES:
        assert (OWN / source.name).read_bytes() == source.read_bytes(), source.name


def test_own_issue_forms_are_the_installable_ones() -> None:
    own = ROOT / ".github" / "ISSUE_TEMPLATE"
    for source in sorted((ROOT / "issue_templates").glob("*.yml")):
        assert (own / source.name).read_bytes() == source.read_bytes(), source.name


def test_an_install_into_an_empty_repository_passes_zizmor_with_no_config(
    tmp_path: Path,
) -> None:
    """What a user gets from `pmbot init --action OWNER/REPO@SHA`: no finding from zizmor
    with no configuration (so no ignore for self-repository or anything else), and every
    file valid against GitHub's schemas."""
    ref = "acme/pmbot@" + "0123456789abcdef" * 2 + "01234567 # v0.1.0"
    init(tmp_path, action=ref)
    out = tmp_path / ".github" / "workflows"
    files = sorted(out.glob("*.yml"))
    assert {p.name for p in files} == set(EXPECTED_PERMISSIONS)
    texts = {p.name: p.read_text(encoding="utf-8") for p in files}
    for name, text in texts.items():
        assert "uses: ./" not in text, name
        assert f"uses: {ref} {ACTION_MARKER}\n" in text, name
    # The one inline ignore an install carries is the issue_comment trigger explained in
    # pmbot-commands.yml; nothing else is silenced.
    inline = [m for t in texts.values() for m in re.findall(r"zizmor: ?ignore\[([^\]]*)\]", t)]
    assert inline == ["dangerous-triggers"]

    names = [str(p) for p in files]
    schema = run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *names])
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = run([tool("zizmor"), "--offline", "--no-config", "--strict-collection", *names])
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "No findings to report" in audit.stdout, audit.stdout
    assert "self-repository" not in audit.stdout + audit.stderr
    for name in names:
        assert f"completed {name}" in audit.stderr, audit.stderr


def test_the_organisation_workflow_shards_the_sweep_then_reports() -> None:
    """A daily schedule, a matrix of shards whose count is the matrix's own size, an App
    installation token made by a pinned action with only the permissions the job needs, and
    a report job after the whole matrix that gathers the shards' results."""
    workflow = load(ORG_WORKFLOW)
    on = triggers(workflow)
    assert len(on["schedule"]) == 1 and on["schedule"][0]["cron"].endswith("* * *")
    assert on["workflow_dispatch"]["inputs"]["dry-run"]["type"] == "boolean"
    # one organisation run at a time, at the workflow's level (a job's group would queue the
    # shards one after another)
    assert workflow["concurrency"] == {"group": "pmbot-organisation", "cancel-in-progress": False}
    assert set(workflow["jobs"]) == {"sweep", "report"}
    sweep, report = workflow["jobs"]["sweep"], workflow["jobs"]["report"]
    assert "concurrency" not in sweep and "concurrency" not in report

    shards = sweep["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) == 8
    assert set(sweep["strategy"]["matrix"]) == {"shard"}  # job-total is the shard count
    assert sweep["strategy"]["fail-fast"] is False
    assert sweep["timeout-minutes"] and report["timeout-minutes"]

    for job in (sweep, report):
        (token,) = [s for s in job["steps"] if "create-github-app-token@" in s.get("uses", "")]
        assert token["with"]["private-key"] == "${{ secrets.PMBOT_APP_PRIVATE_KEY }}"
        assert token["with"]["owner"] == "${{ github.repository_owner }}"
        granted = {k: v for k, v in token["with"].items() if k.startswith("permission-")}
        # the sweep only reads contents; the report commits the central library index
        contents = "read" if job is sweep else "write"
        assert granted == {"permission-contents": contents, "permission-issues": "write"}
        (pmbot,) = [s for s in job["steps"] if s.get("uses") == "./"]
        assert pmbot["with"]["token"] == f"${{{{ steps.{token['id']}.outputs.token }}}}"
        assert pmbot["with"]["bot-login"].endswith(".outputs.app-slug }}[bot]")

    (pmbot,) = [s for s in sweep["steps"] if s.get("uses") == "./"]
    assert pmbot["with"]["command"] == "sweep"
    args = " ".join(pmbot["with"]["args"].split())
    assert args.startswith("--org ${{ github.repository_owner }} ")
    assert "--shard ${{ matrix.shard }}/${{ strategy.job-total }} " in args
    (upload,) = [s for s in sweep["steps"] if "upload-artifact@" in s.get("uses", "")]
    assert upload["if"] == "${{ !cancelled() }}"  # a failed shard's results are kept too
    assert upload["with"]["path"] == "pmbot-results/"
    assert "--results pmbot-results/shard-${{ matrix.shard }}.json " in args
    assert upload["with"]["name"] == "pmbot-sweep-shard-${{ matrix.shard }}"

    assert report["needs"] == "sweep" and report["if"] == "${{ !cancelled() }}"
    (download,) = [s for s in report["steps"] if "download-artifact@" in s.get("uses", "")]
    assert download["with"]["pattern"] == "pmbot-sweep-shard-*"
    assert download["with"]["merge-multiple"] is True
    (pmbot,) = [s for s in report["steps"] if s.get("uses") == "./"]
    assert pmbot["with"]["command"] == "report"
    args = pmbot["with"]["args"].split()
    assert args[args.index("--sweep-results") + 1] == download["with"]["path"]
    assert "--post" in args and "--org" in args
    # the action's arguments take only the owner, matrix numbers, constants and the input
    text = ORG_WORKFLOW.read_text(encoding="utf-8")
    expressions = set(re.findall(r"\$\{\{\s*([^}]*?)\s*\}\}", pmbot["with"]["args"]))
    expressions |= set(re.findall(r"\$\{\{\s*([^}]*?)\s*\}\}", sweep_args(workflow)))
    assert expressions <= {
        "github.repository_owner",
        "matrix.shard",
        "strategy.job-total",
        "inputs.dry-run && '--dry-run' || ''",
    }
    assert "github.event" not in text


def sweep_args(workflow: dict[str, Any]) -> str:
    (pmbot,) = [s for s in workflow["jobs"]["sweep"]["steps"] if s.get("uses") == "./"]
    return str(pmbot["with"]["args"])


def test_an_organisation_install_passes_zizmor_with_no_config(tmp_path: Path) -> None:
    """`pmbot init --org` also installs the organisation's workflow, pinned like the others;
    zizmor with no configuration finds nothing beyond the inline ignores each file explains."""
    ref = "acme/pmbot@" + "0123456789abcdef" * 2 + "01234567 # v0.1.0"
    init(tmp_path, action=ref, org=True)
    out = tmp_path / ".github" / "workflows"
    files = sorted(out.glob("*.yml"))
    assert {p.name for p in files} == set(EXPECTED_PERMISSIONS) | set(ORG_PERMISSIONS)
    text = (out / "pmbot-org.yml").read_text(encoding="utf-8")
    assert "uses: ./" not in text and text.count(f"uses: {ref} {ACTION_MARKER}\n") == 2
    # the App token reaches the whole installation on purpose (the organisation's sweep)
    assert re.findall(r"zizmor: ?ignore\[([^\]]*)\]", text) == ["github-app", "github-app"]
    names = [str(p) for p in files]
    schema = run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *names])
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = run([tool("zizmor"), "--offline", "--no-config", "--strict-collection", *names])
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "No findings to report" in audit.stdout, audit.stdout
