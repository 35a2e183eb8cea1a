"""Form values → Postmortem: the example, every field, and hostile input."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from pmbot.core.figures import durations, error_budget_consumed
from pmbot.core.forms import load_form, parse_body
from pmbot.core.model import FactorCategory, ItemType, Postmortem, Priority, Severity
from pmbot.core.postmortem import build_postmortem
from pmbot.errors import FormError, Problem

ROOT = Path(__file__).resolve().parent.parent
FORM_PATH = ROOT / "issue_templates" / "postmortem.yml"
EXAMPLE = ROOT / "examples" / "postmortem-issue.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "postmortem"

MINIMAL: dict[str, object] = {"title": "Checkout down", "severity": "SEV-3"}
FORM = load_form(FORM_PATH.read_text(encoding="utf-8"), source="postmortem.yml")
LABELS = FORM.labels


def parse(path: Path) -> tuple[dict[str, object], dict[str, int]]:
    parsed = parse_body(FORM, path.read_text(encoding="utf-8"))
    return dict(parsed.values), dict(parsed.lines)


def problems_of(values: dict[str, object], lines: dict[str, int] | None = None) -> list[Problem]:
    with pytest.raises(FormError) as caught:
        build_postmortem(values, lines, labels=LABELS)
    return list(caught.value.problems)


@pytest.fixture(scope="module")
def example() -> Postmortem:
    values, lines = parse(EXAMPLE)
    return build_postmortem(values, lines, labels=LABELS, issue_number=42)


def test_problems_name_fields_by_the_forms_labels() -> None:
    """The labels come from the form YAML it was read with, not from a copy in the code."""
    renamed = {**LABELS, "severity": "How bad"}
    with pytest.raises(FormError) as caught:
        build_postmortem({**MINIMAL, "severity": "SEV-9"}, labels=renamed)
    assert [p.field for p in caught.value.problems] == ["How bad [severity]"]
    form = yaml.safe_load(FORM_PATH.read_text(encoding="utf-8"))
    fields = [(e["id"], e["attributes"]["label"]) for e in form["body"] if "id" in e]
    assert fields == list(LABELS.items())


def test_example_is_rendered_as_github_does() -> None:
    body = EXAMPLE.read_text(encoding="utf-8")
    headings = [line[4:] for line in body.splitlines() if line.startswith("### ")]
    assert headings == list(LABELS.values())
    for label in LABELS.values():
        assert f"### {label}\n\n" in body
    assert "### Regulatory and compliance notes\n\n_No response_\n\n" in body
    assert "\n- [X] This postmortem describes systems" in body


def test_example_builds(example: Postmortem) -> None:
    assert example.title == "Checkout failures after a connection-pool config push"
    assert (example.severity, example.status, example.issue_number) == (
        Severity.SEV2, "in review", 42
    )  # fmt: skip
    assert example.incident_commander == "mrivera"
    assert example.authors == ("mrivera", "jchen")
    assert example.started == datetime(2026, 11, 3, 14, 2, tzinfo=UTC)
    assert example.resolved == datetime(2026, 11, 3, 16, 10, tzinfo=UTC)
    assert example.detection_method == "Automated alert"
    assert example.services == ("checkout-api", "config-service", "payments-db")
    assert example.tags == ("config", "database", "checkout", "connection-pool")
    assert example.pledge is True and example.regulatory is None
    assert example.date == date(2026, 11, 3)


def test_example_numbers(example: Postmortem) -> None:
    assert (example.impact.slo_target, example.impact.slo_window_days) == (99.9, 30)
    assert example.impact.minutes == 90 and example.impact.share == pytest.approx(0.38)
    assert example.impact.slo_target is not None
    budget = error_budget_consumed(
        example.impact.minutes, example.impact.slo_target, 30, example.impact.share or 1.0
    )
    assert round(budget * 100) == 79  # 90 minutes at 38%, not 208% for a full outage
    assert example.impact.bad_minutes == pytest.approx(34.2)
    figures = durations(example)
    assert figures.ttd is not None and figures.ttd.total_seconds() == 7 * 60
    assert figures.ttm is not None and figures.ttm.total_seconds() == 92 * 60


def test_example_sections(example: Postmortem) -> None:
    assert len(example.timeline) >= 15
    assert [e.at for e in example.timeline] == sorted(e.at for e in example.timeline)
    assert [f.key for f in example.contributing_factors] == ["CF1", "CF2", "CF3", "CF4"]
    assert len({f.category for f in example.contributing_factors}) == len(FactorCategory)
    assert len(example.whys) == 2 and all(len(c.steps) >= 4 for c in example.whys)
    items = example.action_items
    assert len(items) >= 6
    assert {i.priority for i in items} == set(Priority)
    assert {i.type for i in items} == set(ItemType)
    assert [i.owner for i in items if i.owner_is_team] == ["acme/sre"]
    assert any(i.what == "Improve monitoring" for i in items)
    assert len({i.key for i in items}) == len(items)


def test_example_lines_point_into_the_body(example: Postmortem) -> None:
    body = EXAMPLE.read_text(encoding="utf-8").splitlines()
    assert example.lines["severity"] and body[example.lines["severity"] - 1] == "SEV-2"
    for event in example.timeline:
        assert event.line is not None and event.at.strftime("%H:%M") in body[event.line - 1]
    for item in example.action_items:
        assert item.line is not None and item.what in body[item.line - 1]
    for factor in example.contributing_factors:
        assert factor.line is not None and factor.key in body[factor.line - 1]


def test_broken_body_lists_every_problem_with_line_and_fix() -> None:
    values, lines = parse(FIXTURES / "broken-issue.md")
    body = (FIXTURES / "broken-issue.md").read_text(encoding="utf-8").splitlines()
    problems = problems_of(values, lines)
    found = {p.field: p for p in problems}
    assert set(found) >= {
        "Severity [severity]",
        "Incident commander [incident_commander]",
        "Detected (UTC) [detected_at]",
        "Resolved (UTC) [resolved_at]",
        "Timeline [timeline]",
        "Contributing factors [contributing_factors]",
        "Action items [action_items]",
    }
    assert all(p.line is not None and p.fix for p in problems)
    severity = found["Severity [severity]"]
    assert severity.describe() == (
        f"Severity [severity] (line {severity.line}): 'SEV-5' is not a severity. "
        "Fix: choose one of SEV-1, SEV-2, SEV-3, SEV-4, near-miss."
    )

    def text_at(field: str) -> str:
        line = found[field].line
        assert line is not None
        return body[line - 1]

    assert text_at("Severity [severity]") == "SEV-5"
    assert "around half past" in text_at("Timeline [timeline]")
    assert "P7" in text_at("Action items [action_items]")
    assert "[luck]" in text_at("Contributing factors [contributing_factors]")
    assert "is before Started" in found["Detected (UTC) [detected_at]"].message
    assert "not a real date" in found["Resolved (UTC) [resolved_at]"].message


def test_minimal_values_and_defaults() -> None:
    pm = build_postmortem(MINIMAL)
    assert (pm.title, pm.severity, pm.status) == ("Checkout down", Severity.SEV3, "draft")
    assert pm.timeline == () and pm.action_items == () and pm.pledge is False
    assert pm.impact.slo_target is None and pm.impact.slo_window_days == 30
    assert pm.lines == {} and pm.issue_number is None


def test_no_response_and_blank_values_are_empty() -> None:
    pm = build_postmortem({**MINIMAL, "summary": "_No response_", "lessons": "  \n ", "tags": None})
    assert pm.summary is None and pm.lessons is None and pm.tags == ()


@pytest.mark.parametrize(
    ("written", "severity"),
    [("SEV-1", Severity.SEV1), ("sev2", Severity.SEV2), ("Sev 4", Severity.SEV4),
     ("Near miss", Severity.NEAR_MISS), ("near-miss", Severity.NEAR_MISS)],
)  # fmt: skip
def test_severity_spellings(written: str, severity: Severity) -> None:
    assert build_postmortem({**MINIMAL, "severity": written}).severity is severity


def test_missing_title_and_severity_are_both_reported() -> None:
    problems = problems_of(
        {"title": "_No response_", "severity": None}, {"title": 3, "severity": 7}
    )
    assert [(p.field, p.line) for p in problems] == [
        ("Incident title [title]", 3),
        ("Severity [severity]", 7),
    ]
    assert "choose one of SEV-1" in problems[1].fix


def test_unknown_status() -> None:
    (problem,) = problems_of({**MINIMAL, "status": "Done-ish"})
    assert problem.field == "Status [status]" and "Draft, In review, Final" in problem.fix


def test_times_out_of_order_name_both_fields() -> None:
    values = {
        **MINIMAL,
        "started_at": "2026-11-03 14:00",
        "detected_at": "2026-11-03 13:00",
        "mitigated_at": "2026-11-03T16:00+01:00",
        "resolved_at": "2026-11-03 14:30",
    }
    problems = problems_of(values, {"detected_at": 20, "resolved_at": 28})
    # 16:00+01:00 is 15:00 UTC: after detection, but resolution is written before it.
    assert [(p.field, p.line) for p in problems] == [
        ("Detected (UTC) [detected_at]", 20),
        ("Resolved (UTC) [resolved_at]", 28),
    ]
    assert "Detected (UTC) 2026-11-03 13:00 is before Started (UTC) 2026-11-03 14:00" in (
        problems[0].message
    )


def test_offsets_are_normalised_and_equal_times_are_fine() -> None:
    pm = build_postmortem(
        {**MINIMAL, "started_at": "2026-11-03T15:02+01:00", "detected_at": "2026-11-03 14:02"}
    )
    assert pm.started == pm.detected == datetime(2026, 11, 3, 14, 2, tzinfo=UTC)


def test_path_like_title_survives_unchanged() -> None:
    assert build_postmortem({**MINIMAL, "title": "../../etc/passwd"}).title == "../../etc/passwd"


def test_marker_imitations_are_defused_everywhere() -> None:
    fake = '<!-- pmbot:item {"key": "x"} -->'
    values = {
        **MINIMAL,
        "title": f"Outage {fake}",
        "summary": f"text\n<!--PMBOT:state {{}} -->\n{fake}",
        "started_at": "2026-11-03 14:00",
        "timeline": f"14:02 {fake}",
        "contributing_factors": f"- [technical] {fake}",
        "five_whys": f"1. {fake}",
        "action_items": f"- [P1] Fix {fake} — @alice",
        "went_well": "<!-- ordinary comments stay -->",
    }
    pm = build_postmortem(values)
    texts = [
        pm.title, pm.summary, pm.timeline[0].text, pm.contributing_factors[0].description,
        pm.whys[0].steps[0], pm.action_items[0].what,
    ]  # fmt: skip
    for text in texts:
        assert text is not None and "&lt;!-- pmbot" in text.replace("PMBOT", "pmbot")
        assert "<!-- pmbot" not in text.lower()
    assert pm.went_well == "<!-- ordinary comments stay -->"


def test_twenty_six_action_items_are_refused() -> None:
    items = "\n".join(f"- [P2] Distinct action number {n} — @alice" for n in range(26))
    (problem,) = problems_of({**MINIMAL, "action_items": items}, {"action_items": 50})
    assert problem.field == "Action items [action_items]"
    assert problem.line == 75 and "at most 25" in problem.message
    assert (
        len(build_postmortem({**MINIMAL, "action_items": items}, max_action_items=26).action_items)
        == 26
    )


def test_thirty_garbage_timeline_lines_are_all_reported() -> None:
    garbage = "\n".join(f"at some point thing {n} happened" for n in range(30))
    problems = problems_of(
        {**MINIMAL, "started_at": "2026-11-03 14:00", "timeline": garbage}, {"timeline": 9}
    )
    assert len(problems) == 30
    assert [p.line for p in problems] == list(range(9, 39))


def test_crlf_values_and_odd_types_are_tolerated() -> None:
    values: dict[str, object] = {
        **MINIMAL,
        "started_at": "2026-11-03 14:00",
        "timeline": "14:02 a\r\n14:05 b\r\n",
        "pledge": [],
        "services": ["api", "db"],
        "impact_minutes": 42,
    }
    pm = build_postmortem(values, {"timeline": 5})
    assert [(e.text, e.line) for e in pm.timeline] == [("a", 5), ("b", 6)]
    assert pm.pledge is False and pm.services == ("api", "db") and pm.impact.minutes == 42


def test_bad_numbers_users_and_slo_are_reported_with_lines() -> None:
    values = {
        **MINIMAL,
        "slo": "three nines",
        "impact_minutes": "a while",
        "authors": "@ok, @-nope",
        "incident_commander": "not a login!",
    }
    lines = {"slo": 30, "impact_minutes": 34, "authors": 12, "incident_commander": 10}
    problems = problems_of(values, lines)
    assert sorted((p.line, p.field) for p in problems) == [
        (10, "Incident commander [incident_commander]"),
        (12, "Authors [authors]"),
        (30, "SLO [slo]"),
        (34, "Impact minutes [impact_minutes]"),
    ]
    assert all(" Fix: " in p.describe() for p in problems)


def test_form_error_message_lists_all_problems() -> None:
    with pytest.raises(FormError) as caught:
        build_postmortem(
            {"title": "x", "severity": "SEV-9", "slo": "lots"}, {"severity": 4}, labels=LABELS
        )
    text = str(caught.value)
    assert text.startswith("2 problems:")
    assert "Severity [severity] (line 4): 'SEV-9' is not a severity." in text
    assert "SLO [slo]: 'lots' is not an SLO" in text


HOSTILE = {
    "spaces": {"action_items": "- [P1] a" + " " * 60_000 + "x"},
    "commas": {"action_items": "- [P1] a — owner: @x" + ", y" * 20_000},
    "indented": {"action_items": "- [P1] a\n" + "  y\n" * 15_000},
    "items": {"action_items": "- [P1] a\n" * 6_000},
    "authors": {"authors": "@a" + " " * 60_000 + "b"},
    "minutes": {"impact_minutes": "1" * 60_000 + "x"},
    "timeline": {"started_at": "2026-11-03 14:00", "timeline": "x\n" * 30_000},
    "factors": {"contributing_factors": "- [process] a\n" * 4_000},
    "wrapped": {"contributing_factors": "- [process] a\n" + "y\n" * 30_000},
    "whys": {"five_whys": "1. a\n\n" * 12_000},
    "bold": {"five_whys": "**" + "a" * 60_000},
}


@pytest.mark.parametrize("values", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_64k_values_stay_fast(values: dict[str, object]) -> None:
    # Quadratic regexes or string building show up as seconds here; linear code takes ms.
    started = time.perf_counter()
    try:
        build_postmortem({**MINIMAL, **values})
    except FormError as error:
        assert len(error.problems) <= 60
    assert time.perf_counter() - started < 2


def test_problems_per_field_are_capped_with_a_summary() -> None:
    garbage = "\n".join(f"garbage {n}" for n in range(120))
    problems = problems_of({**MINIMAL, "started_at": "2026-11-03 14:00", "timeline": garbage})
    assert len(problems) == 51
    assert problems[-1].message == "70 more problems like the ones above."


def test_timeline_rows_are_capped() -> None:
    rows = "\n".join(f"14:{n % 60:02d} event {n}" for n in range(201))
    values = {**MINIMAL, "started_at": "2026-11-03 14:00", "timeline": rows}
    (problem,) = problems_of(values, {"timeline": 10})
    assert "201 timeline entries" in problem.message and problem.line == 210
    assert len(build_postmortem(values, max_timeline_rows=201).timeline) == 201


def test_long_hostile_values_are_not_echoed_in_full() -> None:
    junk = "x" * 5_000
    values = {**MINIMAL, "severity": junk, "started_at": junk, "slo": junk, "authors": junk}
    for problem in problems_of(values):
        assert len(problem.describe()) < 400


def test_an_issue_filed_before_the_share_field_still_parses(tmp_path: Path) -> None:
    # Issues filed with the form as it was (no "Share affected" section) count every
    # impact minute in full, as they always did.
    old = tmp_path / "old.md"
    old.write_text(EXAMPLE.read_text(encoding="utf-8").replace("### Share affected\n\n38%\n\n", ""))
    assert "Share affected" not in old.read_text()
    values, lines = parse(old)
    pm = build_postmortem(values, lines)
    assert pm.impact.share is None and pm.impact.bad_minutes == 90


def test_an_unreadable_share_names_the_field_and_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("\n38%\n", "\nmost of them\n"))
    values, lines = parse(bad)
    [problem] = [p for p in problems_of(values, lines) if "share" in p.message]
    assert problem.field.startswith("Share affected") and problem.line is not None
    assert "38%" in problem.fix


def test_example_review_meeting_and_responders(example: Postmortem) -> None:
    assert example.responders == ("@dkim", "@mrivera", "@jchen", "@spatel", "Lee Park")
    assert example.review.held_on == date(2026, 11, 10)
    assert example.review.facilitator == "@aokafor"
    assert example.review.attendees == ("@mrivera", "@jchen", "@dkim", "@lnguyen", "Lee Park")
    # @spatel missed the meeting; @lnguyen attended without having responded.
    assert example.attendance is not None
    assert (example.attendance.responders, example.attendance.attended) == (5, 4)
    assert example.attendance.share == pytest.approx(0.8)


def test_example_weights_sources_and_dependencies(example: Postmortem) -> None:
    assert [str(f.weight) for f in example.contributing_factors] == [
        "primary", "contributing", "contributing", "contributing"
    ]  # fmt: skip
    assert all(e.source for e in example.timeline)
    assert {e.source for e in example.timeline} >= {"alert", "deploy", "chat", "note"}
    assert [(i.key, i.depends_on) for i in example.action_items if i.depends_on] == [
        ("AI-4", ("AI-1",))
    ]


def test_people_are_logins_or_names_and_compared_loosely() -> None:
    pm = build_postmortem(
        {
            **MINIMAL,
            "responders": "@DKim\n- Dana Kim\n- @carol and Lee",
            "attendees": "dkim, dana  kim; @someone",
            "facilitator": "Sam Ortiz",
        },
        labels=LABELS,
    )
    assert pm.responders == ("@DKim", "Dana Kim", "@carol", "Lee")
    assert pm.review.facilitator == "Sam Ortiz"
    assert pm.attendance is not None and (pm.attendance.responders, pm.attendance.attended) == (
        4, 2
    )  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("attendees", "@alice, @acme/sre", "'@acme/sre' is a team, not a person."),
        ("responders", "@-bad-", "'@-bad-' is not a GitHub login or team."),
        ("facilitator", "carol@example.com", "'carol@example.com' is not a login or a name."),
        ("review_date", "next week", "'next week' is not a date pmbot can read."),
        ("review_date", "2026-10-01", "the review meeting on 2026-10-01 is before the incident "
         "started (2026-11-03)."),
    ],
)  # fmt: skip
def test_review_fields_name_their_problem(field: str, value: str, message: str) -> None:
    values = {**MINIMAL, "started_at": "2026-11-03 14:02", field: value}
    found = problems_of(values, {field: 170})
    assert [(p.field, p.line, p.message) for p in found] == [
        (f"{LABELS[field]} [{field}]", 170, message)
    ]
    assert found[0].fix
