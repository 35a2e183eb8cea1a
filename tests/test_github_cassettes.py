"""The adapter replayed from recorded HTTP exchanges (vcrpy cassettes): no network, no sandbox.

The cassettes were recorded against the sandbox standing in for GitHub; re-record them against
a real repository as `tests/cassettes/README.md` describes. Replay matches method, path, query
and body, never host or port, so neither the sandbox's random port nor api.github.com matter.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import vcr  # type: ignore[import-untyped]  # vcrpy ships no type information
from conftest import PLACEHOLDER_TOKEN, REPO

from pmbot.core import markers
from pmbot.core.config import LabelSpec
from pmbot.github.client import GitHub
from pmbot.github.models import GitHubSettings
from pmbot.sandbox import Sandbox

CASSETTES = Path(__file__).parent / "cassettes"
RECORD = os.environ.get("PMBOT_RECORD") == "1"
REPLAY_URL = "http://127.0.0.1:9"  # never contacted: vcrpy answers from the cassette
LABEL = "pmbot-cassette"
BRANCH = "pmbot-cassette"
TOKEN_LIKE = re.compile(
    r"(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|(?i:\b(?:bearer|token)\s+)(?!" + re.escape(PLACEHOLDER_TOKEN) + r")[A-Za-z0-9_.=-]{20,})"
)


@contextmanager
def target() -> Iterator[GitHubSettings]:
    """Replay: a placeholder. Recording: the repository in the environment, else a sandbox."""
    if not RECORD:
        yield GitHubSettings(token=PLACEHOLDER_TOKEN, repository=REPO, api_url=REPLAY_URL)
    elif os.environ.get("GITHUB_REPOSITORY"):
        yield GitHubSettings.from_env(os.environ)
    else:
        with Sandbox(repo=REPO) as sb:
            sb.seed_file("README.md", "# web\n")
            yield GitHubSettings(token=PLACEHOLDER_TOKEN, repository=REPO, api_url=sb.base_url)


def recorder(settings: GitHubSettings) -> vcr.VCR:
    """Record or replay; the repository is saved as acme/web, a sandbox URL as REPLAY_URL."""

    local = settings.api_url.startswith("http://127.0.0.1")

    def scrub(text: str) -> str:
        # A sandbox's random port would churn every re-recording; pin it to the replay URL.
        text = text.replace(settings.api_url, REPLAY_URL) if local else text
        return text.replace(settings.repository, REPO)

    def scrub_request(request: Any) -> Any:
        request.uri = scrub(request.uri)
        if isinstance(request.body, bytes):
            request.body = scrub(request.body.decode()).encode()
        return request

    def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
        body = response["body"]["string"]
        if isinstance(body, bytes):
            response["body"]["string"] = scrub(body.decode()).encode()
        response["headers"] = {k: [scrub(v) for v in vs] for k, vs in response["headers"].items()}
        return response

    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if RECORD else "none",
        match_on=["method", "path", "query", "body"],
        filter_headers=["authorization"],
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        decode_compressed_response=True,
    )


def adapter(settings: GitHubSettings) -> GitHub:
    return GitHub(settings, pace=False, sleep=lambda _s: None)


def test_issues_and_comments_replay() -> None:
    with target() as settings, recorder(settings).use_cassette("issues_and_comments.yaml") as tape:
        gh = adapter(settings)
        gh.ensure_labels([LabelSpec(name=LABEL, color="5319e7", description="pmbot test data")])
        parent = gh.create_issue(
            "pmbot cassette: postmortem",
            "Recorded by tests/test_github_cassettes.py; safe to delete.",
            [LABEL],
            [],
            marker=markers.encode("cassette", {"role": "parent"}),
        )
        child = gh.create_issue(
            "pmbot cassette: action item",
            "An action item.",
            [LABEL],
            [],
            marker=markers.encode("cassette", {"role": "child"}),
        )
        linked = gh.add_sub_issue(parent.number, child.id, child_number=child.number)
        first = gh.list_issues(labels=[LABEL])
        second = gh.list_issues(labels=[LABEL])
        actions = [gh.upsert_comment(child.number, "cassette", t).action for t in ("a", "a", "b")]
        assert gh.add_labels(child.number, ["overdue"])[-1] == "overdue"
        assert gh.remove_label(child.number, "overdue") is True
        me = gh.login()
        assert gh.set_assignees(child.number, [me]).assigned == (me,)
        for number in (child.number, parent.number):
            assert gh.update_issue(number, state="closed").state == "closed"

        assert linked.method == "sub-issue" and linked.changed
        assert {parent.number, child.number} <= {i.number for i in first} and second == first
        assert actions == ["created", "unchanged", "updated"]
        assert gh.stats.not_modified >= 1
        assert RECORD or tape.all_played  # replay made exactly the requests recorded


def test_files_and_pull_request_replay() -> None:
    with target() as settings, recorder(settings).use_cassette("files_and_pull.yaml") as tape:
        gh = adapter(settings)
        base = gh.default_branch()
        branch = gh.ensure_branch(BRANCH, base)
        files = {"docs/pmbot-cassette.md": "# Recorded by pmbot's tests\n"}
        written = gh.commit_files(BRANCH, files, "docs: pmbot cassette")
        unchanged = gh.commit_files(BRANCH, files, "docs: pmbot cassette")
        tree = dict(gh.list_tree("docs", ref=BRANCH))
        file = gh.read_file("docs/pmbot-cassette.md", ref=BRANCH)
        opened = gh.open_or_update_pull(BRANCH, base, "pmbot cassette", "Safe to close.")
        again = gh.open_or_update_pull(BRANCH, base, "pmbot cassette", "Safe to close.")
        # Clean up so the next recording starts from the same place (not adapter features).
        gh.http.call("PATCH", f"{gh.repo}/pulls/{opened.pull.number}", body={"state": "closed"})
        gh.http.call("DELETE", f"{gh.repo}/git/refs/heads/{BRANCH}")

        assert branch.created and written.written == tuple(files) and unchanged.written == ()
        assert file is not None and file.text == files["docs/pmbot-cassette.md"]
        assert tree["docs/pmbot-cassette.md"] == file.sha
        assert (opened.action, again.action) == ("created", "unchanged")
        assert RECORD or tape.all_played


def test_cassettes_hold_no_token() -> None:
    cassettes = sorted(CASSETTES.glob("*.yaml"))
    assert cassettes, "no cassettes recorded"
    for path in cassettes:
        text = path.read_text(encoding="utf-8")
        assert not TOKEN_LIKE.search(text), f"{path.name} contains a token-like string"
        assert not re.search(r"(?im)^\s*authorization:", text), f"{path.name} kept Authorization"


@pytest.mark.parametrize(
    "leak",
    [
        "ghp_" + "A" * 36,
        "github_pat_" + "B" * 40,
        "gho_" + "C" * 36,
        "Authorization: Bearer " + "D" * 30,
        "token " + "e" * 40,
    ],
)
def test_token_check_catches_leaks(leak: str) -> None:
    assert TOKEN_LIKE.search(f"headers: {leak}\n")
    assert not TOKEN_LIKE.search(f"token {PLACEHOLDER_TOKEN}\n")
