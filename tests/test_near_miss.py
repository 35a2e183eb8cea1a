"""Near-misses are first-class: their items carry the kind, a lighter SLA and a shorter ladder,
and their review asks for less (issue 10, §5). Due dates and rungs worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import BOT, tracked
from helpers.fake_github import FakeGitHub, FakeIssue, comment_snapshots
from helpers.intake import example, items, run, seed
from helpers.items import make_item

from pmbot.app.forms import postmortem_form
from pmbot.core import markers
from pmbot.core.config import Config, default_config, load_config
from pmbot.core.model import Priority, Severity
from pmbot.core.reading import read_postmortem
from pmbot.core.review import review
from pmbot.errors import PmbotError
from pmbot.flows.items import with_comments
from pmbot.flows.ladder import plan_sweep
from pmbot.plan import CreateComment, apply
from pmbot.sandbox import Sandbox

NEAR_MISS = example().replace("### Severity\n\nSEV-2\n", "### Severity\n\nnear-miss\n", 1)
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def leadership(config: Config | None = None) -> Config:
    config = config or default_config()
    escalation = config.escalation.model_copy(update={"leadership_team": "acme/eng-leads"})
    return config.model_copy(update={"escalation": escalation})


def test_the_defaults_are_lighter_than_an_incidents() -> None:
    config = default_config()
    for priority, days in config.sla_days.items():
        assert config.near_miss.sla_days[priority] > days
    assert config.near_miss.highest_rung == "overdue"
    assert set(config.near_miss.required_sections) < set(config.review.required_sections)
    assert config.item_sla_days(Severity.NEAR_MISS) == config.near_miss.sla_days
    assert config.item_sla_days("SEV-2") == config.sla_days
    assert config.sla_label(Priority.P0, "near-miss").name == "sla:28d"
    assert config.sla_label(Priority.P0).name == "sla:14d"


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("near_miss:\n  highest_rung: manager\n", "near_miss.highest_rung", "'overdue'"),
        ("near_miss:\n  sla_days: {P0: 0}\n", "near_miss.sla_days.P0", "1–730"),
        ("near_miss:\n  required_sections: [epilogue]\n", "near_miss.required_sections[0]", ""),
    ],
)
def test_bad_near_miss_settings_name_the_key(text: str, field: str, words: str) -> None:
    with pytest.raises(PmbotError) as caught:
        load_config(text=text)
    (problem,) = caught.value.problems
    assert problem.field.endswith(f": {field}") and problem.line == 2
    assert words in f"{problem.message} {problem.fix}"


def test_a_near_miss_sla_replaces_only_what_is_given_and_needs_every_priority() -> None:
    config = load_config(text="near_miss:\n  sla_days: {P0: 20, P1: 40, P2: 60, P3: 80}\n")
    assert config.near_miss.sla_days["P2"] == 60  # type: ignore[index]
    assert config.near_miss.highest_rung == "overdue"  # the rest stays the default


def test_a_near_miss_files_its_items_with_the_lighter_sla_over_http(sandbox: Sandbox) -> None:
    number = seed(sandbox, NEAR_MISS)
    assert not run(sandbox, number).failed
    created = items(sandbox)
    assert len(created) == 7
    canary, schema = created[0], created[1]
    info = markers.find(canary.body, "item")
    # An explicit due date in the form still wins; the kind is recorded on every item.
    assert info is not None and info["due"] == "2026-12-15" and info["near_miss"] is True
    assert "sla:56d" in canary.labels  # P1 of a near-miss: 56 days, not 28
    p0 = markers.find(schema.body, "item")
    # P0 without a date: 28 days from the run (2026-11-10), not the incident's 14.
    assert p0 is not None and p0["due"] == "2026-12-08" and "sla:28d" in schema.labels
    assert "(the P0 SLA of a near-miss)" in (schema.body or "")
    assert "SLA 28 days" in (schema.body or "")
    sandbox.counters.reset()
    assert not run(sandbox, number).planned and sandbox.counters.writes == 0
    # Severity edited to SEV-2: the next intake gives the item the incident's SLA and label.
    sandbox.state.issues[number].body = example()
    assert not run(sandbox, number).failed
    schema = items(sandbox)[1]
    p0 = markers.find(schema.body, "item")
    assert p0 is not None and p0["due"] == "2026-11-24" and "near_miss" not in p0
    assert "sla:14d" in schema.labels and "sla:28d" not in schema.labels


def test_an_incidents_items_carry_no_near_miss_field(sandbox: Sandbox) -> None:
    number = seed(sandbox, example())
    run(sandbox, number)
    info = markers.find(items(sandbox)[1].body, "item")
    assert info is not None and "near_miss" not in info and info["due"] == "2026-11-24"


def blank(body: str, *headings: str) -> str:
    """The body with these sections answered `_No response_`, as GitHub writes an empty one."""
    for heading in headings:
        before, rest = body.split(f"### {heading}\n", 1)
        after = rest[rest.index("\n### ") :]
        body = f"{before}### {heading}\n\n_No response_\n{after}"
    return body


def test_a_near_miss_review_asks_for_less() -> None:
    found = {}
    for name, body in (("incident", example()), ("near-miss", NEAR_MISS)):
        hollow = blank(body, "Timeline", "What went well")
        pm = read_postmortem(hollow, default_config(), form=postmortem_form()).postmortem
        assert not pm.timeline and not pm.went_well
        found[name] = {(f.rule, f.field) for f in review(pm, default_config())}
    assert ("timeline-empty", "timeline") in found["incident"]
    assert ("missing-section", "went_well") in found["incident"]
    assert not {r for r in found["near-miss"] if r[0] in ("timeline-empty", "missing-section")}


def late(days: int, near_miss: bool) -> list[str]:
    """The rungs announced for an item, swept daily from 5 days before its due date to
    `days` after it (in a fake repository that applies each plan)."""
    due = date(2026, 2, 2)
    item = make_item(due=due, near_miss=near_miss)
    gh = FakeGitHub()
    gh.issues[item.number] = FakeIssue(body=item.body, labels=list(item.labels))
    steps: list[str] = []
    for offset in range(-5, days + 1):
        issue = gh.issues[item.number]
        now = datetime(2026, 2, 2, 6, tzinfo=UTC) + timedelta(days=offset)
        seen = len(issue.comments)
        listed = tracked(item.number, issue.body, labels=issue.labels, comments=seen)
        current = with_comments(listed, comment_snapshots(issue, BOT), BOT)
        apply(plan_sweep([current], now, leadership()), gh, dry_run=False, log=lambda _: None)
        for comment in gh.issues[item.number].comments[seen:]:
            found = markers.find(comment, "reminder")
            steps.append(f"{offset}:{found['step'] if found else '?'}")
    return steps


def test_a_near_miss_item_stops_at_its_owner_while_an_incidents_climbs() -> None:
    # P1: reminded 3 days ahead, overdue on the day, repeats every 7 days.
    # then the leadership digest keeps it in view: the rung does not repeat on the item
    assert late(30, near_miss=False) == [
        "-3:due_soon", "0:overdue", "7:commander", "14:commander", "21:leadership",
    ]  # fmt: skip
    assert late(30, near_miss=True) == [
        "-3:due_soon", "0:overdue", "7:overdue", "14:overdue", "21:overdue", "28:overdue",
    ]  # fmt: skip


def test_highest_rung_commander_lets_a_near_miss_reach_the_commander_only() -> None:
    config = leadership(load_config(text="near_miss:\n  highest_rung: commander\n"))
    item = make_item(due=date(2026, 2, 2), near_miss=True)
    now = datetime(2026, 3, 30, 6, tzinfo=UTC)  # 56 days late: leadership for an incident
    actions = plan_sweep([item], now, config).actions
    (comment,) = [a for a in actions if isinstance(a, CreateComment)]
    found = markers.find(comment.body, "reminder")
    assert found is not None and found["step"] == "commander"
    assert "@acme/eng-leads" not in comment.body
