"""An issue filed with the form as it was before the review meeting, responders, factor
weight, timeline source and `Depends on` were added still reads as it did.

`fixtures/postmortem/old-form-issue.md` is the example issue as GitHub rendered that form;
`old-form-model.json` is the postmortem pmbot built from it then (its `model_dump`, without
the form's labels), and the review findings below are the ones it gave then.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pmbot.app.forms import postmortem_form
from pmbot.core.config import default_config
from pmbot.core.reading import Intake, read_postmortem
from pmbot.render.document import render_document

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "postmortem"
OLD_BODY = (FIXTURES / "old-form-issue.md").read_text(encoding="utf-8")
OLD_MODEL = json.loads((FIXTURES / "old-form-model.json").read_text(encoding="utf-8"))
OLD_FINDINGS = [
    ("factor-unaddressed", 101),
    ("blame-careless", 128),
    ("blame-hindsight", 128),
    ("action-item-no-due", 140),
    ("action-item-team-owner", 141),
    ("action-item-no-due", 141),
    ("action-item-no-due", 142),
    ("action-item-no-due", 144),
    ("action-item-vague", 145),
    ("action-item-no-due", 145),
    ("action-item-no-success", 145),
]
# The fields added since, with the value an old issue must get: nothing.
NEW_TOP = {"responders": [], "review": {"held_on": None, "facilitator": None, "attendees": []}}
NEW_IN = {"timeline": {"source": None}, "contributing_factors": {"weight": None},
          "action_items": {"depends_on": []}}  # fmt: skip


@pytest.fixture(scope="module")
def old() -> Intake:
    return read_postmortem(OLD_BODY, default_config(), form=postmortem_form(), issue_number=7)


def without_new_fields(dump: dict[str, Any]) -> dict[str, Any]:
    """The dump with the new fields taken out, after checking each holds nothing."""
    rest = dict(dump)
    for key, empty in NEW_TOP.items():
        assert rest.pop(key) == empty, key
    for section, fields in NEW_IN.items():
        rows = []
        for row in rest[section]:
            row = dict(row)
            for key, empty in fields.items():
                assert row.pop(key) == empty, (section, key)
            rows.append(row)
        rest[section] = rows
    return rest


def test_the_old_form_is_not_the_current_one() -> None:
    """The fixture keeps the old shape: no review meeting, no Source, ID or Depends on."""
    assert "### Review attendees" not in OLD_BODY and "| Source |" not in OLD_BODY
    assert "| What | Owner | Priority | Due | Type | Success | Addresses |\n" in OLD_BODY


def test_an_old_issue_builds_the_same_postmortem(old: Intake) -> None:
    dump = old.postmortem.model_dump(mode="json", exclude={"labels"})
    assert without_new_fields(dump) == OLD_MODEL
    assert old.postmortem.attendance is None and not old.postmortem.review.recorded


def test_an_old_issue_gets_the_same_review(old: Intake) -> None:
    """No finding about a review meeting the old form could not record."""
    assert [(f.rule, f.line) for f in old.findings] == OLD_FINDINGS


def test_an_old_issue_renders_without_the_new_parts(old: Intake) -> None:
    text = render_document(old.postmortem)
    assert "**Review meeting:**" not in text and "**Responders:**" not in text
    assert "| Time | Event |\n" in text and "| Source |" not in text
    assert "(technical):" in text and "blocked by" not in text
