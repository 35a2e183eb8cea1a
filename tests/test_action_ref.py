"""The action reference `pmbot init --action` takes: only a full commit SHA (or `./`),
each refusal naming --action and the fix; written on the `# pmbot-action` line as given."""

from __future__ import annotations

import pytest

from pmbot.app.action_ref import (
    ACTION_MARKER,
    SELF_REF,
    ActionRef,
    parse_action_ref,
    with_action_ref,
)
from pmbot.errors import PmbotError

SHA = "0123456789abcdef0123456789abcdef01234567"
ACTION = f"acme/pmbot@{SHA}"


@pytest.mark.parametrize(
    ("ref", "message", "fix"),
    [
        ("acme/pmbot@v1", "'v1' is a tag or branch", "git ls-remote https://github.com/acme/pmbot"),
        ("acme/pmbot@main", "'main' is a tag or branch", "acme/pmbot@<40-hex sha>"),
        (f"acme/pmbot@{SHA[:12]}", "is a short commit SHA", f"git rev-parse {SHA[:12]}"),
        (f"acme/pmbot@{SHA}0", "is a tag or branch", "acme/pmbot@<40-hex sha>"),
        ("acme/pmbot", "names no commit", "acme/pmbot@<sha>"),
        ("acme/pmbot@", "names no commit", "acme/pmbot@<sha>"),
        ("", "is empty", "--action OWNER/REPO@<40-hex commit SHA>"),
        ("docker://alpine:3", "is not an action reference", "OWNER/REPO@<40-hex commit SHA>"),
        (f"acme/pmbot@{SHA} # v1\nrun: x", "the note after `#`", "`# v0.2.0`"),
    ],
)
def test_an_unpinned_action_reference_is_refused(ref: str, message: str, fix: str) -> None:
    with pytest.raises(PmbotError) as caught:
        parse_action_ref(ref)
    (problem,) = caught.value.problems
    assert problem.field == "--action"
    assert message in problem.message
    assert fix in problem.fix


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ACTION, ActionRef(ACTION)),
        (f"acme/pmbot@{SHA.upper()}", ActionRef(ACTION)),
        (f"  acme/pmbot@{SHA}  #  v0.2.0 ", ActionRef(ACTION, "v0.2.0")),
        (f"acme/pmbot/sub/dir@{SHA}", ActionRef(f"acme/pmbot/sub/dir@{SHA}")),
        ("./", ActionRef(SELF_REF)),
    ],
)
def test_pinned_references_are_read(text: str, expected: ActionRef) -> None:
    assert parse_action_ref(text) == expected


def test_the_action_line_is_rewritten_and_nothing_else() -> None:
    workflow = (
        "# uses: ./ # pmbot-action in a comment stays\n"
        "    steps:\n"
        "      - uses: actions/checkout@abc # v5\n"
        f"      - uses: ./ # {ACTION_MARKER}\n"
        f"        uses: ./ # v0 {ACTION_MARKER}\n"
    )
    done = with_action_ref(workflow, ActionRef(ACTION, "v1.2"))
    assert done.splitlines() == [
        "# uses: ./ # pmbot-action in a comment stays",
        "    steps:",
        "      - uses: actions/checkout@abc # v5",
        f"      - uses: {ACTION} # v1.2 {ACTION_MARKER}",
        f"        uses: {ACTION} # v1.2 {ACTION_MARKER}",
    ]
