"""YAML read once, with the line of every key: what the config and the forms report by."""

from __future__ import annotations

import pytest
import yaml

from pmbot.core import yamlread

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
