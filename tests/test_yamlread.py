"""YAML read once, with the line of every key: what the config and the forms report by."""

from __future__ import annotations

import pytest
import yaml

from pmbot.core import yamlread
from pmbot.core.forms import load_form
from pmbot.errors import FormError

TEXT = """\
sla_days:
  P0: 7
review:
  rules:
    - id: blame
      phrases: [careless]
    - phrases: [oops]
"""


def test_one_parse_gives_data_and_the_lines_of_every_key() -> None:
    data, root = yamlread.compose(TEXT)
    assert data["sla_days"] == {"P0": 7}
    lines, duplicates = yamlread.key_lines(root)
    assert lines[("sla_days", "P0")] == 2
    assert lines[("review", "rules", "[blame]")] == 5  # an item with an id is found by its id
    assert lines[("review", "rules", "[1]", "phrases")] == 7  # one without, by its index
    assert duplicates == []
    assert yamlread.line_of(root, "review", "rules", 1, "phrases") == 7
    # a path that goes nowhere stops at the value of the deepest key that exists
    assert yamlread.line_of(root, "review", "nothing", "here") == 4


def test_duplicate_keys_name_both_lines() -> None:
    _, root = yamlread.compose("a: 1\nb: 2\na: 3\n")
    assert yamlread.key_lines(root)[1] == [(("a",), 3, 1)]


def test_an_empty_document_has_no_data_and_no_lines() -> None:
    assert yamlread.compose("") == (None, None)
    assert yamlread.key_lines(None) == ({}, [])
    assert yamlread.line_of(None, "a") is None


def test_a_syntax_error_names_its_line() -> None:
    with pytest.raises(yaml.YAMLError) as caught:
        yamlread.compose("a: 1\nb: [unclosed\nc: 2\n")
    reason, line = yamlread.syntax_error(caught.value)
    assert reason and line is not None and line >= 2


def test_alias_bombs_and_runaway_nesting_are_yaml_errors_with_a_line() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdef", "bcdefg", strict=True)
    )
    for text, line, words in [
        (bomb, 5, "more than 20,000 values"),
        ("x: &x {y: *x}\n", 1, "refers to a value that contains it"),
        ("x: " + "[" * 5000 + "]" * 5000 + "\n", None, "nested too deeply"),
    ]:
        with pytest.raises(yaml.YAMLError) as caught:
            yamlread.compose(text)
        assert yamlread.syntax_error(caught.value) == (caught.value.problem, line)  # type: ignore[attr-defined]
        assert words in str(caught.value.problem)  # type: ignore[attr-defined]


def test_an_issue_form_with_an_alias_bomb_is_a_form_error() -> None:
    bomb = (
        "body: &b ["
        + ", ".join(["{type: markdown}"] * 10)
        + "]\n"
        + "".join(
            f"x{n}: &x{n} [{', '.join(['*b' if n == 0 else f'*x{n - 1}'] * 10)}]\n"
            for n in range(5)
        )
    )
    with pytest.raises(FormError) as caught:
        load_form(bomb, source="postmortem.yml")
    assert "more than 20,000 values" in caught.value.problems[0].message
