from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from pmbot.core.config import (
    Config,
    default_config,
    defaults_text,
    load_config,
)
from pmbot.core.model import ItemType, Priority, Severity
from pmbot.errors import ConfigError, Problem


def problems(text: str) -> tuple[Problem, ...]:
    with pytest.raises(ConfigError) as info:
        load_config(text=text)
    return info.value.problems


def only_problem(text: str) -> Problem:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


# --- the shipped defaults ---------------------------------------------------------------


def test_defaults_hold_the_documented_values() -> None:
    config = default_config()
    assert config.docs_dir == "docs/postmortems"
    assert config.publish == "pull_request"
    assert config.branch_prefix == "postmortem/"
    assert config.postmortem_label == "postmortem"
    assert config.severity_due_business_days == {
        Severity.SEV1: 5,
        Severity.SEV2: 5,
        Severity.SEV3: 10,
    }
    assert config.sla_days == {Priority.P0: 14, Priority.P1: 28, Priority.P2: 56, Priority.P3: 90}
    assert config.allowed_associations == ("OWNER", "MEMBER", "COLLABORATOR")
    assert config.limits.max_action_items == 25
    assert config.limits.max_body_bytes == 65536
    assert config.limits.max_timeline_rows == 200
    assert config.reminders.due_soon_days[Priority.P1] == 3
    assert config.reminders.repeat_days[Priority.P3] == 14
    assert config.escalation.commander_after_days == 7
    assert config.escalation.leadership_after_days == 21
    assert config.escalation.leadership_team is None
    assert config.escalation.leadership_digest is True
    assert config.budget.writes_per_minute == 80
    assert config.budget.writes_per_hour == 500
    assert config.similar.window_days == 180
    assert config.templates.document is None
    assert config.review.max_action_items == 10


def test_label_names() -> None:
    config = default_config()
    labels = config.labels
    assert labels.action_item.name == "action-item"
    assert labels.needs_info.name == "needs-info"
    assert labels.complete.name == "postmortem-complete"
    assert labels.removed.name == "action-item-removed"
    assert config.priority_label(Priority.P2).name == "P2"
    assert config.type_label(ItemType.PREVENT).name == "type:prevent"
    assert [config.sla_label(p).name for p in Priority] == [
        "sla:14d",
        "sla:28d",
        "sla:56d",
        "sla:90d",
    ]
    assert config.sla_label(Priority.P0).description == "Due within 14 days"


def test_all_labels_are_unique_by_name() -> None:
    config = load_config(text="sla_days: {P0: 28}\n")  # P0 and P1 now share sla:28d
    names = [label.name for label in config.all_labels()]
    assert len(names) == len(set(names))
    assert "sla:28d" in names and "sla:14d" not in names
    assert "overdue" in names and "type:process" in names


def test_every_model_key_has_a_default_in_the_shipped_file() -> None:
    raw = yaml.safe_load(defaults_text())
    missing = list(_missing_keys(Config, raw, ""))
    assert missing == []


def _missing_keys(model: type[BaseModel], data: Any, where: str) -> list[str]:
    missing: list[str] = []
    for name, field in model.model_fields.items():
        if name not in data:
            missing.append(f"{where}{name}")
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            missing += _missing_keys(annotation, data[name], f"{where}{name}.")
    return missing


def test_shipped_file_is_commented_and_loads_as_a_user_file() -> None:
    # `pmbot init` installs it verbatim; loading it back must change nothing.
    text = defaults_text()
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) > 20
    assert load_config(text=text) == default_config()


def test_no_file_means_defaults() -> None:
    assert load_config() == default_config()


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_empty_file_means_defaults(text: str) -> None:
    assert load_config(text=text) == default_config()


def test_config_is_frozen() -> None:
    config = default_config()
    with pytest.raises(ValidationError):
        config.docs_dir = "elsewhere"  # type: ignore[misc]


# --- merging ----------------------------------------------------------------------------


def test_user_values_merge_over_defaults() -> None:
    config = load_config(
        text=(
            "sla_days:\n  P0: 7\n"
            "labels:\n  overdue:\n    color: '000000'\n"
            "escalation:\n  leadership_team: acme/eng-leads\n"
            "allowed_associations: [OWNER]\n"
        )
    )
    assert config.sla_days[Priority.P0] == 7
    assert config.sla_days[Priority.P1] == 28  # untouched sibling kept
    assert config.labels.overdue.color == "000000"
    assert config.labels.overdue.name == "overdue"
    assert config.escalation.leadership_team == "acme/eng-leads"
    assert config.allowed_associations == ("OWNER",)  # lists replace
    assert config.sla_label(Priority.P0).name == "sla:7d"


def test_review_rules_merge_by_id() -> None:
    config = load_config(
        text=(
            "review:\n"
            "  rules:\n"
            "    - id: blame-hindsight\n"
            "      severity: info\n"
            "    - id: no-hero\n"
            "      phrases: [heroic effort]\n"
            "      message: Heroics hide a fragile system.\n"
            "      suggestion: Describe what made heroics necessary.\n"
        )
    )
    rules = {rule.id: rule for rule in config.review.rules}
    assert rules["blame-hindsight"].severity == "info"
    assert "should have" in rules["blame-hindsight"].phrases  # the rest of the rule is kept
    assert rules["no-hero"].applies_to == ("*",)
    assert len(rules) == len(default_config().review.rules) + 1


def test_load_from_path(tmp_path: Path) -> None:
    path = tmp_path / "pmbot.yml"
    path.write_text("similar:\n  window_days: 30\n", encoding="utf-8")
    assert load_config(path).similar.window_days == 30


def test_missing_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yml")


# --- errors -----------------------------------------------------------------------------


def test_unknown_top_level_key_names_it_with_a_suggestion() -> None:
    problem = only_problem("publish: commit\nsla_dayz:\n  P0: 3\n")
    assert problem.field.endswith("sla_dayz")
    assert problem.line == 2
    assert "unknown key 'sla_dayz'" in problem.message
    assert "did you mean 'sla_days'?" in problem.fix


def test_unknown_nested_key_names_its_path() -> None:
    problem = only_problem("labels:\n  overdue:\n    colour: 'ff0000'\n")
    assert problem.field.endswith("labels.overdue.colour")
    assert problem.line == 3
    assert "did you mean 'color'?" in problem.fix


def test_unknown_key_in_a_rule_is_located_by_rule_id() -> None:
    text = "review:\n  rules:\n    - id: blame-fault\n      sugestion: x\n"
    problem = only_problem(text)
    assert problem.field.endswith("review.rules[blame-fault].sugestion")
    assert problem.line == 4
    assert "did you mean 'suggestion'?" in problem.fix


def test_unknown_key_without_a_close_match_lists_the_allowed_ones() -> None:
    problem = only_problem("budget:\n  zzz: 1\n")
    assert "remove it" in problem.fix and "writes_per_hour" in problem.fix


@pytest.mark.parametrize(
    ("text", "field", "line", "fix"),
    [
        ("publish: push\n", "publish", 1, "'pull_request' or 'commit'"),
        ("limits:\n  max_action_items: many\n", "limits.max_action_items", 2, "whole number"),
        ("limits:\n  max_body_bytes: 0\n", "limits.max_body_bytes", 2, "whole number"),
        ("sla_days:\n  P5: 3\n", "sla_days.P5", 2, "'P0', 'P1', 'P2' or 'P3'"),
        ("labels:\n  overdue:\n    color: red\n", "labels.overdue.color", 3, "six hex digits"),
        ("escalation:\n  leadership_team: leads\n", "escalation.leadership_team", 2, "org/team"),
        (
            "escalation:\n  leadership_team: a/b\n  leadership_digest: weekly\n",
            "escalation.leadership_digest",
            3,
            "true (one digest issue) or false",
        ),
        ("docs_dir: ../../etc\n", "docs_dir", 1, "relative to the repository root"),
        ("report:\n  on_time_target: 90\n", "report.on_time_target", 2, "0.9 for 90%"),
        ("templates:\n  document: /etc/passwd\n", "templates.document", 2, "relative"),
        ("branch_prefix: 'pm bot/'\n", "branch_prefix", 1, "e.g. postmortem/"),
        ("allowed_associations: [OWNER, ADMIN]\n", "allowed_associations[1]", 1, "'MEMBER'"),
        (
            "review:\n  required_sections: [summary, epilogue]\n",
            "review.required_sections[1]",
            2,
            "'summary'",
        ),
    ],
)
def test_bad_values_name_key_line_and_fix(text: str, field: str, line: int, fix: str) -> None:
    problem = only_problem(text)
    assert problem.field.endswith(f": {field}")
    assert problem.line == line
    assert fix in problem.fix


# Nine lines that stand for 9**7 values: parsing is cheap, any walk of the result is not.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdef", "bcdefg", strict=True)
)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (ALIAS_BOMB, 5, "more than 20,000 values"),
        ("review:\n  allow: &a [*a]\n", 2, "refers to a value that contains it"),
    ],
)
def test_alias_bombs_are_refused_quickly(text: str, line: int, words: str) -> None:
    started = time.perf_counter()
    problem = only_problem(text)
    assert time.perf_counter() - started < 1
    assert problem.line == line and words in problem.message and "invalid YAML" in problem.message


def test_a_modest_alias_is_fine() -> None:
    text = 'x-red: &red "b60205"\nlabels:\n  overdue: {color: *red}\n  escalated: {color: *red}\n'
    assert only_problem(text).field.endswith(": x-red")  # an unknown key, not a bomb
    config = load_config(text='labels:\n  overdue: &o {color: "b60205"}\n  escalated: *o\n')
    assert config.labels.escalated.color == "b60205" == config.labels.overdue.color


def test_deep_nesting_is_a_user_error() -> None:
    problem = only_problem("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in problem.message


@pytest.mark.parametrize(
    ("text", "field", "line", "fix"),
    [
        ("sla_days:\n  P0: 3000000\n", "sla_days.P0", 2, "from 1 to 730 (days)"),
        ("sla_days: {P1: 0}\n", "sla_days.P1", 1, "from 1 to 730"),
        ("severity_due_business_days:\n  SEV-1: 99999\n", "SEV-1", 2, "from 1 to 260"),
        ("reminders:\n  due_soon_days: {P0: 1000}\n", "due_soon_days.P0", 2, "0 to 90"),
        ("reminders:\n  repeat_days: {P3: 0}\n", "repeat_days.P3", 2, "from 1 to 90"),
        ("escalation:\n  leadership_after_days: 10000\n", "leadership_after_days", 2, "730"),
        ("limits:\n  max_action_items: 100000\n", "max_action_items", 2, "1 to 100"),
        ("limits:\n  max_body_bytes: 10000000000\n", "max_body_bytes", 2, "1024 to 262144"),
        ("limits:\n  max_timeline_rows: 1000000\n", "max_timeline_rows", 2, "1 to 1000"),
        ("budget:\n  max_writes_per_run: 1000000\n", "max_writes_per_run", 2, "1 to 1000"),
        ("budget:\n  rate_limit_floor: -1\n", "rate_limit_floor", 2, "0 to 5000"),
        ("budget:\n  writes_per_minute: 81\n", "writes_per_minute", 2, "1 to 80"),
        ("budget:\n  writes_per_hour: 501\n", "writes_per_hour", 2, "1 to 500"),
        ("similar:\n  window_days: 99999999\n", "similar.window_days", 2, "1 to 3650"),
        ("review:\n  max_action_items: 0\n", "review.max_action_items", 2, "1 to 100"),
    ],
)
def test_every_number_has_a_sane_range(text: str, field: str, line: int, fix: str) -> None:
    problem = only_problem(text)
    assert problem.field.endswith(field) and problem.line == line
    assert "outside the allowed range" in problem.message and fix in problem.fix


def test_the_largest_sla_still_gives_a_due_date() -> None:
    config = load_config(text="sla_days: {P0: 730, P1: 730, P2: 730, P3: 730}\n")
    assert config.sla_label(Priority.P0).name == "sla:730d"


def test_escalation_must_climb() -> None:
    problem = only_problem("escalation:\n  commander_after_days: 30\n")
    assert "leadership_after_days must be greater" in problem.message
    assert problem.line == 1


def test_bad_user_rule_regex_names_the_rule() -> None:
    text = (
        "review:\n  rules:\n    - id: mine\n      patterns: ['(unclosed']\n"
        "      message: m\n      suggestion: s\n"
    )
    problem = only_problem(text)
    assert "review.rules[mine].patterns" in problem.field
    assert "invalid regular expression" in problem.message
    assert problem.line == 4


def test_rule_needs_something_to_match() -> None:
    problem = only_problem("review:\n  rules:\n    - {id: empty, message: m, suggestion: s}\n")
    assert "phrases" in problem.message


def test_rule_fields_must_be_form_fields() -> None:
    rule = "{id: x, phrases: [y], applies_to: [sumary], message: m, suggestion: s}"
    text = f"review:\n  rules:\n    - {rule}\n"
    assert "did you mean 'summary'?" in only_problem(text).message


def test_allow_entry_must_name_a_known_rule() -> None:
    problem = only_problem("review:\n  allow:\n    - rule: blame-hindsigt\n")
    assert "unknown rule 'blame-hindsigt'" in problem.message
    assert "did you mean 'blame-hindsight'?" in problem.message
    assert problem.line == 2
    assert load_config(text="review:\n  allow:\n    - rule: action-item-no-due\n")


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    found = problems("publish: push\nlimits:\n  max_action_items: -1\nsla_dayz: {}\n")
    assert [p.line for p in found] == [1, 3, 4]
    assert "3 problems" in str(ConfigError(found))


def test_yaml_syntax_error_reports_its_line() -> None:
    problem = only_problem("publish: commit\nsla_days:\n  P0: [14\n  P1: 28\n")
    assert "invalid YAML" in problem.message
    assert problem.line is not None and problem.line >= 3


def test_duplicate_key_is_rejected() -> None:
    problem = only_problem("publish: commit\npublish: pull_request\n")
    assert problem.line == 2 and "line 1" in problem.fix


def test_top_level_must_be_a_mapping() -> None:
    assert "mapping" in only_problem("- publish\n").message


def test_error_text_never_shows_a_traceback() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(text="limits:\n  max_action_items: many\n")
    text = str(info.value)
    assert "Traceback" not in text and "limits.max_action_items (line 2)" in text
