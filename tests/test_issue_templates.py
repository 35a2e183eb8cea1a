"""The shipped issue forms: valid for GitHub (its published schema, offline) and for pmbot."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pmbot.core.forms import load_form, parse_body, validate_required

TEMPLATES = Path(__file__).resolve().parent.parent / "issue_templates"
FORMS = sorted(p for p in TEMPLATES.glob("*.yml") if p.name != "config.yml")


def check_jsonschema() -> str:
    """The checker installed next to this interpreter (the project's venv), else on PATH."""
    found = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    found = found or shutil.which("check-jsonschema")
    if found is None:
        pytest.fail("check-jsonschema is not installed: pip install -e '.[test]'")
    return found


def run_schema(schema: str, path: Path) -> None:
    # --builtin-schema uses the copy vendored in check-jsonschema: no network needed.
    result = subprocess.run(
        [check_jsonschema(), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_item_form_is_shipped() -> None:
    assert TEMPLATES / "action-item.yml" in FORMS


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_form_matches_githubs_schema(path: Path) -> None:
    run_schema("vendor.github-issue-forms", path)


def test_config_matches_githubs_schema() -> None:
    run_schema("vendor.github-issue-config", TEMPLATES / "config.yml")


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_form_loads_in_pmbot(path: Path) -> None:
    form = load_form(path.read_text(encoding="utf-8"), source=path.name)
    assert form.fields
    # An untouched form (every heading, no answers) is parsed without surprises.
    body = "\n\n".join(f"### {f.label}\n\n_No response_" for f in form.fields)
    parsed = parse_body(form, body)
    assert parsed.missing == [] and parsed.extra == []
    required = {f.id for f in form.fields if f.required or f.required_options}
    assert {p.field for p in validate_required(form, parsed)} == required


def test_action_item_form_speaks_the_domain() -> None:
    form = load_form((TEMPLATES / "action-item.yml").read_text(encoding="utf-8"))
    assert form.field("priority").options == ("P0", "P1", "P2", "P3")
    assert form.field("type").options == ("prevent", "detect", "mitigate", "process")
    assert {f.id for f in form.fields if f.required} == {
        "what",
        "owner",
        "priority",
        "type",
        "success",
        "postmortem",
    }
    body = (
        "### What\n\nAdd a canary stage\n\n### Owner\n\n@octocat\n\n### Priority\n\nP1\n\n"
        "### Due date\n\n_No response_\n\n### Type\n\nprevent\n\n"
        "### Success criteria\n\nBad deploys halt\n\n### Postmortem\n\n#12\n\n"
        "### Contributing factor\n\nCF2\n"
    )
    values = parse_body(form, body).values
    assert values["priority"] == "P1" and values["due"] is None and values["postmortem"] == "#12"


def test_action_item_form_is_labelled() -> None:
    data = yaml.safe_load((TEMPLATES / "action-item.yml").read_text(encoding="utf-8"))
    assert data["labels"] == ["action-item"]
