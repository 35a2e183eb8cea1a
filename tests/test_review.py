from __future__ import annotations

import dataclasses
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest

from pmbot.core.config import CHECK_IDS, Config, default_config, load_config
from pmbot.core.forms import load_form
from pmbot.core.model import (
    ActionItem,
    ContributingFactor,
    FactorCategory,
    Impact,
    Postmortem,
    Priority,
    ReviewMeeting,
    Severity,
    TimelineEvent,
    WhyChain,
)
from pmbot.core.review import CHECKS, Finding, format_findings, review
from pmbot.core.shipped import data_text

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
LABELS = load_form(data_text("issue_templates", "postmortem.yml")).labels


def item(what: str = "Add a CI check that rejects configs without a TTL", **kw: Any) -> ActionItem:
    fields: dict[str, Any] = {
        "key": "AI-1",
        "what": what,
        "owner": "alice",
        "priority": Priority.P1,
        "due": date(2026, 4, 1),
        "success": "CI fails on a config without a TTL",
        "addresses": "CF1",
        "line": 40,
    }
    return ActionItem(**(fields | kw))


def postmortem(**kw: Any) -> Postmortem:
    """A complete, blameless postmortem: the review has nothing to say about it."""
    fields: dict[str, Any] = {
        "title": "Checkout errors after a config push",
        "severity": Severity.SEV2,
        "incident_commander": "carol",
        "summary": "A config without a TTL reached production; checkout returned 5xx for 42 min.",
        "impact": Impact(slo_target=99.9, minutes=42, description="12% of checkouts failed."),
        "timeline": (TimelineEvent(at=START, text="Deploy pipeline applies the config", line=20),),
        "contributing_factors": (
            ContributingFactor(
                key="CF1",
                category=FactorCategory.TECHNICAL,
                description="The pipeline accepted configs without validation.",
                line=30,
            ),
        ),
        "went_well": "Rollback took four minutes.",
        "action_items": (item(),),
        "pledge": True,
        "lines": {"summary": 10, "impact": 14, "went_well": 35, "action_items": 39},
        "labels": LABELS,
    }
    return Postmortem(**(fields | kw))


def rules_of(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def with_summary(text: str) -> Postmortem:
    return postmortem(summary=text)


def with_item(what: str) -> Postmortem:
    return postmortem(action_items=(item(what),))


CONFIG = default_config()


def test_config_knows_every_check_id() -> None:
    assert set(CHECK_IDS) == set(CHECKS)


def test_a_complete_blameless_postmortem_has_no_findings() -> None:
    assert review(postmortem(), CONFIG) == []


# --- wording rules: each fires on blame, stays quiet on a blameless rewrite --------------

BLAME = [
    ("blame-named-person", "Bob broke prod by pushing a config.", "A config push broke prod."),
    ("blame-named-person", "@alice deployed the bad config.", "The pipeline deployed the config."),
    ("blame-named-person", "Dave failed to check the dashboard.", "Kafka failed to rebalance."),
    ("blame-named-person", "Erin missed the alert.", "The alert went to a muted channel."),
    ("blame-human-error", "Root cause: human error.", "Root cause: the CLI defaults to prod."),
    ("blame-human-error", "It was operator error.", "The runbook step was ambiguous."),
    ("blame-careless", "A careless edit to the config.", "An edit to the config."),
    ("blame-careless", "Sloppy review let it through.", "Review had no diff of the config."),
    ("blame-careless", "Negligence by on-call.", "On-call was paged on a muted channel."),
    ("blame-careless", "The engineer was incompetent.", "The engineer had not used it before."),
    ("blame-hindsight", "The team should have rolled back.", "Rolling back needed manual steps."),
    ("blame-character", "A stupid mistake in the config.", "A typo in the config."),
    ("blame-character", "Only an idiot runs this in prod.", "The CLI defaults to prod."),
    ("blame-character", "The change was irresponsible.", "The change skipped the canary."),
    ("blame-careless", "The on-call was lazy.", "The on-call had 40 alerts that hour."),
    ("blame-forgot", "The engineer forgot to set a TTL.", "Nothing required a TTL."),
    ("blame-forgot", "Nobody didn’t bother to read it.", "The warning was in a 3,000-line log."),
    ("blame-fault", "It was Bob's fault.", "Validation was missing."),
    ("blame-fault", "Nobody is to blame, but the db team was at fault.", "The db failed over."),
    ("blame-fault", "We blame the vendor.", "The vendor API returned errors."),
]


@pytest.mark.parametrize(("rule", "blamey", "blameless"), BLAME)
def test_blame_prone_wording(rule: str, blamey: str, blameless: str) -> None:
    found = review(with_summary(blamey), CONFIG)
    assert rule in rules_of(found)
    hit = next(f for f in found if f.rule == rule)
    assert hit.field == "summary" and hit.severity == "warning" and hit.quote
    assert hit.suggestion
    assert review(with_summary(blameless), CONFIG) == []


# Invisible or look-alike characters a reader does not see must not hide the words.
DISGUISED = [
    ("blame-careless", "A c\u200bareless edit."),  # zero-width space
    ("blame-hindsight", "We sh\u00adould have rolled back."),  # soft hyphen
    ("blame-hindsight", "We should\u00a0have rolled back."),  # no-break space
    ("blame-careless", "A careless\u200d edit."),  # zero-width joiner after the word
    ("blame-careless", "Ｃａｒｅｌｅｓｓ edit."),  # full-width letters
    ("blame-human-error", "Hu\u2060man e\ufeffrror."),  # word joiner, BOM
    ("blame-character", "An id\u034fiot could see it."),  # combining grapheme joiner
    ("blame-named-person", "Bob\u200b forgot the flag."),
    ("blame-fault", "It was Bob\u2019s fa\u200cult."),  # zero-width non-joiner
]


@pytest.mark.parametrize(("rule", "disguised"), DISGUISED)
def test_invisible_characters_do_not_dodge_the_review(rule: str, disguised: str) -> None:
    assert rule in rules_of(review(with_summary(disguised), CONFIG))


def test_disguised_words_are_found_on_their_own_line() -> None:
    text = "Checkout failed.\n\u200b\nThe edit was sh\u00adould\u200b have been c\u200bareless."
    found = review(with_summary(text), CONFIG)
    assert {(f.rule, f.line) for f in found} == {("blame-hindsight", 12), ("blame-careless", 12)}
    assert {f.quote for f in found} == {"should have", "careless"}


def test_blame_is_found_in_every_text_field() -> None:
    pm = postmortem(
        went_poorly="Human error.",
        timeline=(TimelineEvent(at=START, text="Bob forgot the flag", line=21),),
    )
    found = review(pm, CONFIG)
    assert {(f.field, f.rule) for f in found} >= {
        ("went_poorly", "blame-human-error"),
        ("timeline", "blame-forgot"),
        ("timeline", "blame-named-person"),
    }


WEAK_ITEMS = [
    ("action-item-targets-person", "Retrain Bob on the deploy tool", "Add a confirm step for prod"),
    (
        "action-item-targets-person",
        "Remind on-call to check the queue",
        "Alert on queue depth > 1k",
    ),
    ("action-item-targets-person", "Tell the team to be careful", "Block deploys without review"),
    ("action-item-vague", "Improve monitoring", "Alert when 5xx > 1% for 5 min"),
    ("action-item-vague", "Investigate the outage", "Add a runbook for db failover"),
    ("action-item-vague", "Look into retries", "Cap client retries at 3 with backoff"),
    ("action-item-vague", "Better testing", "Add a contract test for the config schema"),
    ("action-item-vague", "Increase awareness of TTLs", "Reject configs without a TTL in CI"),
    ("action-item-vague", "Be more careful with configs", "Lint configs in pre-commit"),
]


@pytest.mark.parametrize(("rule", "weak", "specific"), WEAK_ITEMS)
def test_weak_action_items(rule: str, weak: str, specific: str) -> None:
    found = review(with_item(weak), CONFIG)
    assert rule in rules_of(found)
    assert all(f.field == "action_items" and f.line == 40 for f in found)
    assert review(with_item(specific), CONFIG) == []


def test_system_changes_that_mention_people_are_fine() -> None:
    for what in (
        "Tell customers about outages via the status page automatically",
        "Send reminder emails from the tracker before the due date",
    ):
        assert review(with_item(what), CONFIG) == []


def test_one_finding_per_rule_per_line() -> None:
    found = review(with_item("Tell the team to be careful and remember to check"), CONFIG)
    assert rules_of(found).count("action-item-targets-person") == 1
    assert found[0].quote == "Tell the team to be"  # the first match is the one quoted


def test_item_rules_do_not_apply_to_the_summary() -> None:
    assert review(with_summary("We will investigate and improve monitoring."), CONFIG) == []


# --- structural checks ------------------------------------------------------------------


def only(pm: Postmortem, config: Config = CONFIG) -> Finding:
    found = review(pm, config)
    assert len(found) == 1, found
    return found[0]


def test_item_without_owner() -> None:
    finding = only(postmortem(action_items=(item(owner=None),)))
    assert (finding.rule, finding.severity, finding.line) == ("action-item-no-owner", "warning", 40)
    assert finding.quote == item().what  # keys are often hashes; the words identify the item


def test_item_owned_by_a_team_is_a_note() -> None:
    finding = only(postmortem(action_items=(item(owner="acme/sre", owner_is_team=True),)))
    assert (finding.rule, finding.severity) == ("action-item-team-owner", "info")
    assert "@" not in finding.message  # the review must not ping the team


def test_item_without_due_date_says_the_sla_sets_it() -> None:
    finding = only(postmortem(action_items=(item(due=None, priority=Priority.P2),)))
    assert (finding.rule, finding.severity) == ("action-item-no-due", "info")
    assert "P2" in finding.message and "56 days" in finding.message


def test_item_without_success_criteria() -> None:
    assert only(postmortem(action_items=(item(success="  "),))).rule == "action-item-no-success"


def test_too_many_action_items() -> None:
    items = tuple(item(key=f"AI-{n}", line=40 + n) for n in range(11))
    finding = only(postmortem(action_items=items))
    assert finding.rule == "too-many-action-items" and "11" in finding.message
    assert finding.line == 39
    assert review(postmortem(action_items=items[:10]), CONFIG) == []
    raised = load_config(text="review:\n  max_action_items: 11\n")
    assert review(postmortem(action_items=items), raised) == []


def test_contributing_factor_without_an_action_item() -> None:
    factors = (
        *postmortem().contributing_factors,
        ContributingFactor(key="CF2", category=FactorCategory.PROCESS, description="x", line=31),
    )
    finding = only(postmortem(contributing_factors=factors))
    assert (finding.rule, finding.line) == ("factor-unaddressed", 31)
    assert "CF2" in finding.message
    assert finding.quote == "x"
    covered = postmortem(contributing_factors=factors, action_items=(item(addresses="CF1, cf2"),))
    assert review(covered, CONFIG) == []


@pytest.mark.parametrize(
    ("changes", "rule", "field"),
    [
        ({"summary": None}, "missing-section", "summary"),
        ({"went_well": " "}, "missing-section", "went_well"),
        ({"contributing_factors": ()}, "missing-section", "contributing_factors"),
        ({"timeline": ()}, "timeline-empty", "timeline"),
        ({"incident_commander": None}, "no-incident-commander", "incident_commander"),
        ({"pledge": False}, "pledge-unticked", "pledge"),
        ({"impact": Impact(slo_target=99.9)}, "impact-slo-no-minutes", "impact_minutes"),
    ],
)
def test_quality_checklist(changes: dict[str, Any], rule: str, field: str) -> None:
    finding = only(postmortem(**changes))
    assert (finding.rule, finding.field) == (rule, field)


def test_sections_are_named_and_ordered_by_the_form() -> None:
    """The form YAML is the one source of field labels: a renamed field is named as renamed."""
    labels = {**LABELS, "went_well": "Wins", "impact": "Blast radius"}
    pm = postmortem(went_well=None, impact=Impact(slo_target=99.9), labels=labels)
    found = review(pm, CONFIG)
    assert "Wins" in next(f for f in found if f.rule == "missing-section").message
    text = format_findings(found, labels)
    # impact_minutes' finding is listed under Impact, which the form puts before What went well
    assert text.index("#### Blast radius") < text.index("#### Wins")
    assert "#### What went well" not in text and "#### Impact minutes" not in text


def test_missing_action_items_is_one_finding_not_one_per_factor() -> None:
    found = review(postmortem(action_items=()), CONFIG)
    assert rules_of(found) == ["missing-section"]
    assert found[0].field == "action_items" and found[0].line == 39


def test_required_sections_are_configurable() -> None:
    config = load_config(text="review:\n  required_sections: [summary]\n")
    assert review(postmortem(went_well=None, timeline=()), config) == []


# --- allow-list and configured rules ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Our fault injection drill and git blame helped.",
        "This is a blame-free review; nobody is to blame.",
        "The fire-and-forget queue dropped events.",
        "Lazy loading of the config hid the error.",
    ],
)
def test_shipped_allow_list(text: str) -> None:
    assert review(with_summary(text), CONFIG) == []


def test_allow_phrase_suppresses_only_inside_that_phrase() -> None:
    config = load_config(text="review:\n  allow: [human error budget]\n")
    assert review(with_summary("We track a human error budget."), config) == []
    found = review(with_summary("A human error budget. Then human error."), config)
    assert rules_of(found) == ["blame-human-error"]


def test_allow_rule_id_switches_a_rule_off() -> None:
    config = load_config(text="review:\n  allow: [blame-hindsight, action-item-team-owner]\n")
    assert review(with_summary("We should have rolled back."), config) == []
    pm = postmortem(action_items=(item(owner="acme/sre", owner_is_team=True),))
    assert review(pm, config) == []


def test_allow_pattern_for_one_rule() -> None:
    text = "review:\n  allow:\n    - {rule: blame-named-person, pattern: '^Chaos Monkey'}\n"
    config = load_config(text=text)
    # "Monkey broke" looks like a person; the allow-list knows better.
    assert review(with_summary("Chaos Monkey broke the primary, as planned."), config) == []
    assert rules_of(review(with_summary("Bob broke it."), config)) == ["blame-named-person"]


def test_config_added_rule() -> None:
    text = (
        "review:\n"
        "  rules:\n"
        "    - id: no-heroics\n"
        "      severity: info\n"
        "      applies_to: [went_well]\n"
        "      phrases: [heroic effort, saved the day]\n"
        "      message: Heroics hide a fragile system.\n"
        "      suggestion: Describe what made heroics necessary.\n"
    )
    config = load_config(text=text)
    pm = postmortem(went_well="Rollback was fast.\nDana saved the day.")
    finding = only(pm, config)
    assert (finding.rule, finding.severity, finding.field) == ("no-heroics", "info", "went_well")
    assert finding.line == 36
    assert finding.quote == "saved the day"
    assert review(pm, CONFIG) == []


def test_config_can_override_a_shipped_rule() -> None:
    config = load_config(text="review:\n  rules:\n    - {id: blame-hindsight, severity: info}\n")
    assert only(with_summary("We should have rolled back."), config).severity == "info"


# --- lines, order, speed ----------------------------------------------------------------


def test_line_numbers_count_from_the_field_start() -> None:
    found = review(with_summary("Checkout failed.\n\nBob forgot to set a TTL."), CONFIG)
    assert {f.line for f in found} == {12}


def test_five_whys_lines() -> None:
    chain = WhyChain(
        title="Why?", steps=("The pool was small.", "Carol forgot the limit."), line=50
    )
    found = review(postmortem(whys=(chain,)), CONFIG)
    assert {(f.field, f.line) for f in found} == {("five_whys", 52)}
    assert {f.rule for f in found} == {"blame-named-person", "blame-forgot"}


def test_findings_are_in_body_order() -> None:
    pm = postmortem(
        summary="Human error.",
        went_well="Alice forgot nothing.",
        action_items=(item(owner=None),),
    )
    lines = [f.line or 0 for f in review(pm, CONFIG)]
    assert lines == sorted(lines) and len(lines) == 4 and 0 not in lines


def test_findings_without_a_line_still_report() -> None:
    pm = postmortem(summary="Human error.", lines={})
    assert [f.line for f in review(pm, CONFIG)] == [None]


def test_finding_is_frozen() -> None:
    finding = only(with_summary("Human error."))
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.rule = "x"  # type: ignore[misc]


def test_review_of_a_maximal_postmortem_takes_milliseconds() -> None:
    paragraph = "The deploy pipeline applied a config without a TTL; Postgres failed over. "
    summary = (paragraph * 900)[: 64 * 1024]
    items = tuple(item(key=f"AI-{n}", what=f"Add check {n} to CI") for n in range(25))
    pm = postmortem(summary=summary, action_items=items)
    review(pm, CONFIG)  # compile once
    started = time.perf_counter()
    review(pm, CONFIG)
    assert time.perf_counter() - started < 0.1


# --- Markdown ---------------------------------------------------------------------------


def test_format_clean() -> None:
    assert "no findings" in format_findings([], LABELS).lower()


def test_format_groups_by_field_with_where_and_fix() -> None:
    pm = postmortem(
        summary="@alice deployed the bad config.",
        action_items=(item("Improve monitoring", owner=None),),
    )
    text = format_findings(review(pm, CONFIG), LABELS)
    assert text.startswith("### pmbot review: 3 warnings")
    assert text.index("#### Summary") < text.index("#### Action items")
    assert "(line 10)" in text and "(line 40)" in text
    assert "**Try:**" in text and "`action-item-no-owner`" in text
    # User text is quoted as code so it cannot @mention, link or inject markup.
    assert "`@\u200balice deployed the bad`" in text


def test_format_neutralises_backticks_and_long_quotes() -> None:
    finding = Finding("r", "info", "summary", 1, "m.", "s.", quote="`" + "x" * 200)
    text = format_findings([finding], LABELS)
    assert "1 note" in text
    assert "``" not in text and "…" in text


# --- the review meeting and item dependencies ---------------------------------------------

MEETING_LINES = {"responders": 150, "review_date": 154, "facilitator": 158, "attendees": 162}


def with_meeting(**kw: Any) -> Postmortem:
    """A postmortem filed with the current form: the review meeting's fields are in the body."""
    lines = {**postmortem().lines, **MEETING_LINES}
    return postmortem(lines=lines, **kw)


def test_a_recorded_meeting_has_no_findings() -> None:
    meeting = ReviewMeeting(held_on=date(2026, 3, 9), facilitator="@dana", attendees=("@bob",))
    assert review(with_meeting(responders=("@bob",), review=meeting), CONFIG) == []


def test_a_sev2_without_its_meeting_gets_a_note_then_a_warning_once_final() -> None:
    found = review(with_meeting(status="in review"), CONFIG)
    assert [(f.rule, f.severity, f.field, f.line, f.message) for f in found] == [
        ("responders-missing", "info", "responders", 150,
         "No responders are listed, so the review meeting's attendance cannot be measured."),
        ("review-meeting-missing", "info", "review_date", 154,
         "The review meeting is not recorded: the date, the facilitator and the attendees are "
         "missing."),
    ]  # fmt: skip
    assert "SEV-2 postmortems are reviewed in a meeting" in found[1].suggestion
    partial = ReviewMeeting(held_on=date(2026, 3, 9), attendees=("@bob",))
    final = review(with_meeting(status="final", responders=("@bob",), review=partial), CONFIG)
    assert [(f.rule, f.severity, f.field, f.line) for f in final] == [
        ("review-meeting-missing", "warning", "facilitator", 158)
    ]
    assert final[0].message == "The review meeting is not recorded: the facilitator is missing."


def test_no_meeting_asked_of_sev3_nor_of_an_issue_filed_with_the_old_form() -> None:
    assert review(with_meeting(severity=Severity.SEV3), CONFIG) == []
    assert review(postmortem(status="final"), CONFIG) == []  # no meeting field in the body


def test_the_meeting_checks_can_be_allowed() -> None:
    config = load_config(text="review:\n  allow: [review-meeting-missing, responders-missing]\n")
    assert review(with_meeting(), config) == []


def test_dependency_problems_name_the_row_and_the_fix() -> None:
    items = (
        item(key="AI-1", line=40, depends_on=("AI-9",)),
        item("Page the database owner on pool saturation", key="AI-2", line=41,
             depends_on=("ai-2",)),
        item("Add a canary stage to config pushes", key="AI-3", line=42, depends_on=("AI-4",)),
        item("Show config pushes on the dashboard", key="AI-4", line=43, depends_on=("AI-3",)),
        item("Write the rollback runbook", key="AI-5", line=44, depends_on=("AI-4",)),
    )  # fmt: skip
    found = review(postmortem(action_items=items), CONFIG)
    assert [(f.rule, f.field, f.line) for f in found] == [
        ("action-item-unknown-dependency", "action_items", 40),
        ("action-item-self-dependency", "action_items", 41),
        ("action-item-dependency-cycle", "action_items", 42),
    ]
    unknown, itself, cycle = found
    assert unknown.message == "Depends on names AI-9, which is no action item's ID."
    assert "remove AI-9 from Depends on" in unknown.suggestion
    assert itself.message == "This action item depends on itself (ai-2)."
    assert cycle.message == (
        "These action items wait for each other in a circle: AI-3 → AI-4 → AI-3; "
        "pmbot links none of them."
    )
    assert cycle.suggestion.startswith("Remove AI-4 from this item's Depends on")
    assert cycle.quote == "Add a canary stage to config pushes"  # which row, in its words
    assert "line 42" in format_findings(found, LABELS)


def test_a_key_in_a_finding_is_only_word_characters() -> None:
    items = (item(depends_on=("AI-9<img src=x>`@bob",)),)
    (found,) = review(postmortem(action_items=items), CONFIG)
    assert found.message == "Depends on names AI-9imgsrcxbob, which is no action item's ID."
