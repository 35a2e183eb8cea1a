"""The pure intake planner: matching rows to issues, due dates, duplicates, the summary."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pmbot.app.forms import postmortem_form
from pmbot.core import markers
from pmbot.core.config import default_config
from pmbot.core.model import ActionItem, Priority
from pmbot.core.reading import read_postmortem
from pmbot.errors import FormError, Problem
from pmbot.flows import intake
from pmbot.flows.items import TrackedItem
from pmbot.flows.tracking import Change, ItemInfo, with_markers
from pmbot.github.models import IssueSnapshot
from pmbot.plan import SetState

NOW = datetime(2026, 11, 10, 9, tzinfo=UTC)
CONFIG = default_config()


def row(key: str, what: str, due: date | None = None) -> ActionItem:
    return ActionItem(key=key, what=what, owner="jchen", priority=Priority.P1, due=due)


def info(key: str, due: date = date(2026, 12, 8), history: tuple[Change, ...] = ()) -> ItemInfo:
    return ItemInfo(
        pm=1, key=key, priority=Priority.P1, due=due, opened=date(2026, 11, 10), history=history
    )


def issue(number: int, key: str, title: str = "[P1] x", **kw: object) -> TrackedItem:
    data = info(key)
    return TrackedItem(number=number, id=number * 10, title=title, body="", info=data, **kw)  # type: ignore[arg-type]


def test_rows_match_by_key_then_by_similar_wording() -> None:
    rows = [row("a", "Add a canary stage"), row("new", "Alert on pool saturation, quickly")]
    issues = [
        issue(2, "a"),
        issue(3, "old", "[P1] Alert on pool saturation"),
        issue(4, "gone", "[P2] Something else entirely"),
    ]
    matched, unclaimed = intake.match_items(rows, issues)
    assert matched["a"].number == 2 and matched["new"].number == 3
    assert [i.number for i in unclaimed] == [4]


def test_duplicates_are_ignored_when_matching_and_the_newer_copy_is_closed() -> None:
    rows = [row("a", "Add a canary stage")]
    dup = issue(5, "a", state="closed", state_reason="duplicate")
    matched, unclaimed = intake.match_items(rows, [issue(2, "a"), dup])
    assert matched["a"].number == 2 and not unclaimed
    plan = intake.plan_duplicates([issue(2, "a"), issue(3, "a")])
    assert any(isinstance(a, SetState) and a.issue == 3 for a in plan.actions)
    assert all(a.issue == 3 for a in plan.actions)


def test_form_due_date_follows_the_form_and_commands_are_kept() -> None:
    moved = Change(NOW, "jchen", "due", "vendor", before="2026-12-08", after="2027-01-31")
    commanded = info("a", due=date(2027, 1, 31), history=(moved,))
    assert intake.last_form_due(commanded) == date(2026, 12, 8)
    formed = Change(NOW, "pmbot", "form-due", "edited", before="2027-01-31", after="2027-02-15")
    assert intake.last_form_due(info("a", history=(moved, formed))) == date(2027, 2, 15)


def test_rerun_of_the_example_plans_nothing() -> None:
    from pathlib import Path

    body = (Path(__file__).parents[1] / "examples" / "postmortem-issue.md").read_text()
    pm = read_postmortem(body, CONFIG, form=postmortem_form(), issue_number=1).postmortem
    existing = []
    for n, r in enumerate(pm.action_items, start=2):
        data = intake.new_info(pm, r, NOW.date(), CONFIG)
        text = with_markers(intake.item_body(pm, r, data, CONFIG), data)
        existing.append(
            TrackedItem(
                number=n, id=n, title=intake.item_title(r), body=text, info=data,
                labels=intake.item_labels(r, CONFIG), assignees=intake.assignee(r),
            )
        )  # fmt: skip
    assert not intake.plan_items(pm, existing, NOW, CONFIG)
    later = datetime(2026, 12, 1, tzinfo=UTC)  # the SLA counts from `opened`, not from now
    assert not intake.plan_items(pm, existing, later, CONFIG)


def test_error_comment_lists_each_problem_with_line_and_fix_and_is_defused() -> None:
    error = FormError([Problem("severity", "<!-- pmbot:x {} --> is empty.", "pick one.", line=7)])
    body = intake.error_body(3, error)
    assert "**severity** (line 7)" in body and "**Fix:** pick one." in body
    assert body.count("<!-- pmbot:") == 1 and markers.find(body, "summary") == {"pm": 3}


def test_not_allowed_comment_is_polite_and_stable() -> None:
    snap = IssueSnapshot(
        id=1, number=9, title="t", body="", state="open", state_reason=None, labels=(),
        assignees=(), author="stranger", author_association="NONE", created_at=NOW,
        updated_at=NOW, closed_at=None, html_url="", is_pull_request=False,
    )  # fmt: skip
    assert not intake.allowed(snap, CONFIG)
    plan = intake.plan_not_allowed(snap, None, CONFIG)
    (action,) = plan.actions
    assert "Thank you" in action.describe() or "Thank you" in getattr(action, "body", "")
    assert not intake.plan_not_allowed(snap, getattr(action, "body", ""), CONFIG)


def test_review_notes_stay_in_the_issue_unless_the_config_asks() -> None:
    from pathlib import Path

    from pmbot.core.config import load_config
    from pmbot.flows import publish

    body = (Path(__file__).parents[1] / "examples" / "postmortem-issue.md").read_text()
    result = read_postmortem(body, CONFIG, form=postmortem_form(), issue_number=1)
    assert result.findings  # the example has a blameful sentence the review flags
    docs = publish.documents(result.postmortem, result.findings, (), CONFIG, "main")
    document = dict(docs.files)[docs.path]
    assert "Review notes" not in document and "(line " not in document
    opted_in = load_config(text="review:\n  in_document: true\n")
    docs = publish.documents(result.postmortem, result.findings, (), opted_in, "main")
    assert "## Review notes" in dict(docs.files)[docs.path]


def test_an_item_body_links_its_postmortem_and_document_and_says_what_only_when_cut() -> None:
    from pathlib import Path

    body = (Path(__file__).parents[1] / "examples" / "postmortem-issue.md").read_text()
    pm = read_postmortem(body, CONFIG, form=postmortem_form(), issue_number=1).postmortem
    url = "https://github.com/acme/web/blob/main/docs/postmortems/x.md"
    short = row("a1", "Rotate the keys")
    long = row("a2", "Rotate " + "every key of every service in every region " * 3)
    texts = {
        r.key: intake.item_body(pm, r, intake.new_info(pm, r, NOW.date(), CONFIG), CONFIG, url)
        for r in (short, long)
    }
    assert texts["a1"].startswith(
        f"An action item of the postmortem #1: **{pm.title}** · [the document]({url})\n"
    )
    assert "**What:**" not in texts["a1"]
    assert intake.item_title(long).endswith("…")
    assert f"**What:** {long.what.strip()}" in texts["a2"]
