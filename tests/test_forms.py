"""The issue-form parser: fixtures under tests/fixtures/forms, validation, form loading."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from pmbot.core.forms import (
    Field,
    Form,
    form_parse,
    id_from_label,
    load_form,
    parse_body,
    validate_required,
)
from pmbot.errors import FormError, Problem

FIXTURES = Path(__file__).parent / "fixtures" / "forms"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def read_case(name: str) -> tuple[Form, str | None, dict[str, Any]]:
    folder = FIXTURES / name
    form = load_form((folder / "form.yml").read_text(encoding="utf-8"), source=f"{name}/form.yml")
    body_file = folder / "body.md"
    # Bytes, not text mode: text mode would translate the CR and CRLF cases' line endings.
    body = body_file.read_bytes().decode("utf-8") if body_file.exists() else None
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return form, body, expected


@pytest.mark.parametrize("name", CASES)
def test_fixture(name: str) -> None:
    form, body, expected = read_case(name)
    parsed = parse_body(form, body)
    assert parsed.values == expected["values"]
    assert parsed.missing == expected["missing"]
    assert parsed.extra == expected["extra"]
    if "lines" in expected:
        assert parsed.lines == expected["lines"]


def test_fixtures_cover_line_endings() -> None:
    assert b"\r\n" in (FIXTURES / "crlf" / "body.md").read_bytes()
    cr = (FIXTURES / "cr" / "body.md").read_bytes()
    assert b"\r" in cr and b"\n" not in cr


def test_lines_point_at_each_value() -> None:
    form, body, _ = read_case("github-rendered")
    assert body is not None
    parsed = parse_body(form, body)
    rows = body.split("\n")
    assert rows[parsed.lines["title"] - 1] == "Checkout outage after a config push"
    assert rows[parsed.lines["logs"] - 1] == "```shell"
    assert rows[parsed.lines["checks"] - 1] == "- [X] The review is blameless"


def test_large_body_parses_in_milliseconds() -> None:
    form, body, _ = read_case("large-body-64k")
    assert body is not None and len(body.encode()) > 60 * 1024
    started = time.perf_counter()
    for _ in range(10):
        parse_body(form, body)
    assert (time.perf_counter() - started) / 10 < 0.05


def test_pathological_bodies_stay_linear() -> None:
    form = load_form(
        "body:\n  - type: dropdown\n    id: d\n    attributes:\n      label: D\n"
        "      multiple: true\n      options: ['a, b', a, b]\n"
    )
    bodies = [
        "### D\n\n" + ", ".join(["a", "b"] * 10_000),
        "### D\n\n###" + " " * 60_000 + "x",
        "### D\n\n" + "```\n" * 20_000,
        "#" * 60_000,
    ]
    for body in bodies:
        started = time.perf_counter()
        parse_body(form, body)
        assert time.perf_counter() - started < 0.25


def test_none_body_equals_empty_body() -> None:
    form, _, _ = read_case("github-rendered")
    assert parse_body(form, None) == parse_body(form, "")


def test_form_parse_returns_json_ready_values() -> None:
    form_text = (FIXTURES / "github-rendered" / "form.yml").read_text(encoding="utf-8")
    body = (FIXTURES / "github-rendered" / "body.md").read_text(encoding="utf-8")
    values = form_parse(form_text, body)
    expected = json.loads((FIXTURES / "github-rendered" / "expected.json").read_text())
    assert json.loads(json.dumps(values)) == expected["values"]
    assert list(values) == [f.id for f in load_form(form_text).fields]


# --- validate_required ------------------------------------------------------------------------

REQUIRED_FORM = """\
body:
  - type: input
    id: title
    attributes: {label: Incident title}
    validations: {required: true}
  - type: dropdown
    id: severity
    attributes: {label: Severity, options: [SEV-1, SEV-2]}
    validations: {required: true}
  - type: dropdown
    id: services
    attributes: {label: Services, multiple: true, options: [api, web]}
    validations: {required: true}
  - type: textarea
    id: notes
    attributes: {label: Notes}
  - type: checkboxes
    id: checks
    attributes:
      label: Checklist
      options:
        - label: The review is blameless
          required: true
        - label: Optional box
"""


def problems_for(body: str | None) -> list[Problem]:
    form = load_form(REQUIRED_FORM)
    return validate_required(form, parse_body(form, body))


def test_complete_body_has_no_problems() -> None:
    body = (
        "### Incident title\n\nOutage\n\n### Severity\n\nSEV-1\n\n### Services\n\napi\n\n"
        "### Checklist\n\n- [x] The review is blameless\n"
    )
    assert problems_for(body) == []


def test_unanswered_required_fields_name_label_id_line_and_fix() -> None:
    body = (
        "### Incident title\n\n_No response_\n\n### Severity\n\nNone\n\n### Services\n\nNone\n\n"
        "### Checklist\n\n- [ ] The review is blameless\n- [x] Optional box\n"
    )
    problems = problems_for(body)
    assert [(p.field, p.line) for p in problems] == [
        ("title", 3),
        ("severity", 7),
        ("services", 11),
        ("checks", 15),
    ]
    assert '"Incident title"' in problems[0].message
    assert "### Incident title" in problems[0].fix
    assert "SEV-1, SEV-2" in problems[1].fix
    assert "The review is blameless" in problems[3].message
    assert "- [x] The review is blameless" in problems[3].fix


def test_missing_required_sections_say_the_heading_is_absent() -> None:
    problems = problems_for(None)
    assert [p.field for p in problems] == ["title", "severity", "services", "checks"]
    assert all(p.line is None for p in problems)
    assert 'no "### Incident title" section' in problems[0].message
    assert problems[0].describe().startswith("title: ")


def test_optional_fields_are_never_problems() -> None:
    body = (
        "### Incident title\n\nX\n\n### Severity\n\nSEV-2\n\n### Services\n\nweb, api\n\n"
        "### Notes\n\n_No response_\n\n### Checklist\n\n- [X] The review is blameless\n"
    )
    assert problems_for(body) == []


# --- load_form --------------------------------------------------------------------------------


LABEL = "bad.yml: body[0].attributes.label"


def load_problems(text: str) -> tuple[Problem, ...]:
    with pytest.raises(FormError) as caught:
        load_form(text, source="bad.yml")
    return caught.value.problems


def test_load_form_reads_every_attribute() -> None:
    form = load_form(REQUIRED_FORM.replace("label: Notes}", "label: Notes, render: sh}"))
    assert form.fields[0] == Field(id="title", label="Incident title", type="input", required=True)
    assert form.fields[2].multiple and form.fields[2].options == ("api", "web")
    assert form.fields[3].render == "sh"
    assert form.fields[4].required_options == ("The review is blameless",)
    assert form.field("notes").label == "Notes"
    empty = parse_body(form, "")
    assert empty.missing == [f.id for f in form.fields] and empty.lines == {}
    assert set(empty.values) == {f.id for f in form.fields} and set(empty.values.values()) == {None}


def test_markdown_elements_are_not_fields() -> None:
    form = load_form(
        "body:\n  - type: markdown\n    attributes: {value: hi}\n"
        "  - type: input\n    id: a\n    attributes: {label: A}\n"
    )
    assert [f.id for f in form.fields] == ["a"]


def test_invalid_yaml_names_the_line() -> None:
    (problem,) = load_problems("body:\n  - type: input\n    attributes: {label: [unclosed\n")
    assert problem.field == "bad.yml"
    assert "not valid YAML" in problem.message
    assert problem.line is not None and problem.line >= 3


@pytest.mark.parametrize(
    ("text", "field", "line", "words"),
    [
        ("- just a list\n", "bad.yml", 1, "top level must be a mapping"),
        ("name: x\n", "bad.yml: body", 1, "no `body:`"),
        ("body: []\n", "bad.yml: body", 1, "no `body:`"),
        ("body:\n  - type: markdown\n    attributes: {value: x}\n", "bad.yml: body", 2, "fields"),
        ("body:\n  - type: input\n    attributes: {}\n", LABEL, 3, "label"),
        ("body:\n  - type: input\n", "bad.yml: body[0].attributes", 2, "missing"),
        ("body:\n  - type: nope\n", "bad.yml: body[0].type", 2, "unknown element type"),
        ("body:\n  - input\n", "bad.yml: body[0]", 2, "not a mapping"),
        (
            "body:\n  - type: input\n    id: 'a b'\n    attributes: {label: A}\n",
            "bad.yml: body[0].id",
            3,
            "not a valid id",
        ),
        (
            "body:\n  - type: dropdown\n    id: d\n    attributes: {label: D}\n",
            "bad.yml: body[0].attributes.options",
            4,
            "options",
        ),
        (
            "body:\n  - type: dropdown\n    id: d\n    attributes:\n      label: D\n"
            "      options: [a, A]\n",
            "bad.yml: body[0].attributes.options",
            6,
            "twice",
        ),
        (
            "body:\n  - type: checkboxes\n    id: c\n    attributes:\n      label: C\n"
            "      options: [plain]\n",
            "bad.yml: body[0].attributes.options.0",
            6,
            "malformed option",
        ),
        (
            "body:\n  - type: input\n    id: a\n    attributes: {label: A}\n"
            "    validations: {required: yes}\n",
            "bad.yml: body[0].validations.required",
            5,
            "true or false",
        ),
    ],
)
def test_load_form_errors_name_field_line_and_fix(
    text: str, field: str, line: int, words: str
) -> None:
    (problem,) = load_problems(text)
    assert (problem.field, problem.line) == (field, line)
    assert words in problem.message
    assert problem.fix


def test_duplicate_ids_and_labels_are_all_reported() -> None:
    problems = load_problems(
        "body:\n"
        "  - type: input\n    id: a\n    attributes: {label: Owner}\n"
        "  - type: input\n    id: a\n    attributes: {label: Other}\n"
        "  - type: input\n    id: c\n    attributes: {label: 'owner:'}\n"
    )
    assert [(p.field, p.line) for p in problems] == [
        ("bad.yml: body[1].id", 6),
        ("bad.yml: body[2].attributes.label", 10),
    ]
    assert "used twice" in problems[0].message
    assert "repeats the label 'Owner'" in problems[1].message


def test_slug_of_label_collides_with_an_id() -> None:
    (problem,) = load_problems(
        "body:\n  - type: input\n    id: what_happened\n    attributes: {label: A}\n"
        "  - type: input\n    attributes: {label: 'What happened?'}\n"
    )
    assert problem.field == "bad.yml: body[1].id"


def test_slugify_matches_stefanbuck() -> None:
    assert id_from_label("What browsers are you seeing the problem on?") == (
        "what_browsers_are_you_seeing_the_problem_on"
    )
    assert id_from_label("  Checkbox -- without an id? ") == "checkbox_without_an_id"
