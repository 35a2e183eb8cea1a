"""Action items as GitHub's issue types and issue fields (`issues` in the configuration),
over real HTTP: intake creates items with the type and the field values, the sweeps keep
them in step writing only what differs, a rerun writes nothing, and an organisation without
them (or without the configured names) gets labels only and a message naming the key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from helpers.intake import example, items, run, seed
from helpers.org import CONFIG, OVERDUE, env, item

from pmbot.app.sweep import sweep
from pmbot.app.sweep_org import sweep_org
from pmbot.core.config import load_config
from pmbot.flows.native import decide
from pmbot.github.models import IssueFieldDef
from pmbot.sandbox import Sandbox, State

NATIVE = "issues:\n  type: Task\n  fields: {Priority: priority, Due date: due}\n"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        for login in ("alice", "carol", "dave"):
            sandbox.seed_user(login, association="MEMBER", permission="write")
        yield sandbox


def native_org(sb: Sandbox) -> None:
    sb.org.seed_issue_type("Task")
    sb.org.seed_issue_type("Bug")
    sb.org.seed_issue_field("Priority", "single_select", ["P0", "P1", "P2", "P3"])
    sb.org.seed_issue_field("Due date", "date")
    sb.org.seed_issue_field("Team", "text")


def shown(sb: Sandbox, repo: State, number: int) -> tuple[str | None, dict[str, object]]:
    """An issue's type name and field values by field name, as the sandbox holds them."""
    issue = repo.issues[number]
    kind = next((t.name for t in sb.org.issue_types if t.id == issue.type), None)
    names = {f.id: f.name for f in sb.org.issue_fields}
    return kind, {names[i]: v for i, v in issue.field_values.items()}


def test_intake_creates_items_with_the_type_and_fields(sb: Sandbox) -> None:
    native_org(sb)
    number = seed(sb, example())
    config = load_config(text=NATIVE)
    done = run(sb, number, config=config)
    assert not done.failed and not done.notes
    filed = items(sb)
    assert len(filed) == 7
    for issue in filed:
        kind, values = shown(sb, sb.state, issue.number)
        assert kind == "Task"
        priority = next(label for label in issue.labels if label in ("P0", "P1", "P2", "P3"))
        assert values["Priority"] == priority  # and the labels are kept as they always were
        date.fromisoformat(str(values["Due date"]))
        assert "Team" not in values
    canary = next(i for i in filed if "canary" in i.title)
    assert shown(sb, sb.state, canary.number)[1]["Due date"] == "2026-12-15"  # the form's date
    writes = sb.counters.writes
    again = run(sb, number, config=config)
    assert sb.counters.writes == writes and not again.planned  # a rerun writes nothing


def test_a_dry_run_intake_says_the_type_and_fields(sb: Sandbox) -> None:
    native_org(sb)
    number = seed(sb, example())
    lines: list[str] = []
    run(sb, number, config=load_config(text=NATIVE), dry_run=True, lines=lines)
    creates = [line for line in lines if "create action item" in line]
    assert len(creates) == 7 and sb.counters.writes == 0
    assert all(line.endswith(", issue type Task, 2 issue field values") for line in creates)


def test_a_type_the_organisation_lacks_is_named_with_the_fix(sb: Sandbox) -> None:
    native_org(sb)
    number = seed(sb, example())
    lines: list[str] = []
    config = load_config(text="issues:\n  type: Taks\n  fields: {Prio: priority}\n")
    done = run(sb, number, config=config, lines=lines)
    assert not done.failed and len(items(sb)) == 7  # filed all the same, with labels
    assert all(shown(sb, sb.state, i.number) == (None, {}) for i in items(sb))
    said = "\n".join(done.notes)
    assert "issues.type: the organisation acme has no issue type 'Taks' (it has Task, Bug)" in said
    assert "Fix: set issues.type to one of them, or to null" in said
    assert "issues.fields.Prio: the organisation acme has no issue field 'Prio'" in said
    assert any("issues.type" in line for line in lines)


def test_an_owner_without_types_or_fields_keeps_labels_only(sb: Sandbox) -> None:
    number = seed(sb, example())
    done = run(sb, number, config=load_config(text=NATIVE))
    assert not done.failed and len(items(sb)) == 7
    assert all(sb.state.issues[i.number].type is None for i in items(sb))
    assert any("action items keep labels only" in note for note in done.notes)


def test_no_configuration_reads_nothing_more(sb: Sandbox) -> None:
    native_org(sb)
    number = seed(sb, example())
    run(sb, number)
    assert not any("issue-types" in e or "issue-fields" in e for e in sb.counters.by_endpoint)
    assert all(sb.state.issues[i.number].type is None for i in items(sb))


def test_the_sweep_keeps_type_and_fields_in_step(sb: Sandbox, tmp_path: Path) -> None:
    native_org(sb)
    sb.state.seed_file(".github/pmbot.yml", CONFIG + NATIVE)
    numbers = [item(sb.state, n, due=date(2026, 6, 1)) for n in range(2)]
    environ = env(sb, tmp_path)
    assert sweep(environ, dry_run=False, now=OVERDUE, config_path=None) == 0
    for number in numbers:
        assert shown(sb, sb.state, number) == ("Task", {"Priority": "P1", "Due date": "2026-06-01"})
    writes = sb.counters.writes
    sweep(environ, dry_run=False, now=OVERDUE, config_path=None)
    assert sb.counters.writes == writes  # a rerun writes nothing
    # someone changes a value by hand: the next sweep writes that one field back, nothing else
    due_id = next(f.id for f in sb.org.issue_fields if f.name == "Due date")
    sb.state.issues[numbers[0]].field_values[due_id] = "2027-01-01"
    before = sb.counters.by_endpoint.copy()
    sweep(environ, dry_run=False, now=OVERDUE, config_path=None)
    assert shown(sb, sb.state, numbers[0])[1]["Due date"] == "2026-06-01"
    wrote = {k: v - before[k] for k, v in sb.counters.by_endpoint.items() if v != before[k]}
    assert {k: v for k, v in wrote.items() if not k.startswith("GET")} == {
        "POST /repos/{owner}/{repo}/issues/{issue_number}/issue-field-values": 1
    }


def test_a_dry_run_sweep_writes_no_type_or_field(sb: Sandbox, tmp_path: Path) -> None:
    native_org(sb)
    sb.state.seed_file(".github/pmbot.yml", CONFIG + NATIVE)
    number = item(sb.state, 1, due=date(2026, 6, 1))
    sweep(env(sb, tmp_path), dry_run=True, now=OVERDUE, config_path=None)
    assert sb.counters.writes == 0 and shown(sb, sb.state, number) == (None, {})


def test_sweep_org_keeps_every_repository_in_step(sb: Sandbox, tmp_path: Path) -> None:
    native_org(sb)
    web, api = sb.state, sb.org.add_repo("api")
    web.seed_file(".github/pmbot.yml", CONFIG + NATIVE)
    api.seed_file(".github/pmbot.yml", CONFIG)  # api asks for labels only
    ours, theirs = item(web, 1, due=date(2026, 6, 1)), item(api, 1, due=date(2026, 6, 1))
    assert sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None) == 0
    assert shown(sb, web, ours)[0] == "Task" and shown(sb, api, theirs) == (None, {})
    reads = [e for e in sb.counters.by_endpoint if "issue-types" in e or "issue-fields" in e]
    assert all(sb.counters.by_endpoint[e] == 1 for e in reads) and len(reads) == 2
    writes = sb.counters.writes
    sweep_org(env(sb, tmp_path), "acme", dry_run=False, now=OVERDUE, config_path=None)
    assert sb.counters.writes == writes


def test_a_field_that_cannot_hold_the_value_is_named() -> None:
    config = load_config(text="issues:\n  fields: {Priority: priority, Due: due}\n")
    fields = {
        "Priority": IssueFieldDef(id=1, name="Priority", data_type="single_select",
                                  options=("High", "Low", "P0")),
        "Due": IssueFieldDef(id=2, name="Due", data_type="number"),
    }  # fmt: skip
    native = decide(config, "acme", ("Task",), fields)
    assert native.fields == () and native.type is None
    assert native.problems == (
        "issues.fields.Due: the issue field is a number field and cannot hold the item's due. "
        "Fix: map it to a date or text field",
        "issues.fields.Priority: the issue field has no option P1, P2, P3 (it has High, Low, "
        "P0). Fix: add the options in the organisation's settings",
    )


def test_options_match_whatever_their_case() -> None:
    config = load_config(text="issues:\n  type: task\n  fields: {kind: type}\n")
    fields = {
        "Kind": IssueFieldDef(id=7, name="Kind", data_type="single_select",
                              options=("Prevent", "Detect", "Mitigate", "Process")),
    }  # fmt: skip
    native = decide(config, "acme", ("Task",), fields)
    assert native.type == "Task" and native.problems == ()
    assert native.values("P1", date(2026, 1, 2), "detect") == {"Kind": "Detect"}
    assert native.wire({"Kind": "Detect"}) == ((7, "Detect"),)
