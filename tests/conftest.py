"""Shared fixtures: a running GitHub sandbox, and the adapter pointed at it with fake time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from pmbot.app.forms import action_item_form
from pmbot.core.config import Config, default_config
from pmbot.flows.items import TrackedItem, read_item
from pmbot.github.client import GitHub
from pmbot.github.models import GitHubSettings, IssueSnapshot
from pmbot.sandbox import Sandbox

REPO = "acme/web"
# Any token works against the sandbox; this placeholder is the only one tests may contain.
PLACEHOLDER_TOKEN = "sandbox-token"


BOT = "pmbot-bot"  # pmbot's own login in tests that read items without a sandbox
FILED = datetime(2026, 2, 1, 15, 30, tzinfo=UTC)


def snapshot(number: int, body: str, **fields: object) -> IssueSnapshot:
    """An issue as the adapter hands it over; authored by pmbot (`BOT`) unless `author`."""
    data: dict[str, object] = {
        "id": number * 10,
        "number": number,
        "title": "t",
        "body": body,
        "state": "open",
        "state_reason": None,
        "labels": (),
        "assignees": (),
        "author": BOT,
        "author_association": "NONE",
        "created_at": FILED,
        "updated_at": FILED,
        "closed_at": None,
        "html_url": "",
        "is_pull_request": False,
        "comments": 0,
        **fields,
    }
    data["labels"], data["assignees"] = tuple(data["labels"]), tuple(data["assignees"])  # type: ignore[arg-type]
    return IssueSnapshot(**data)  # type: ignore[arg-type]


def tracked(number: int, body: str, config: Config | None = None, **fields: object) -> TrackedItem:
    """`read_item` over `snapshot(number, body, **fields)`, as pmbot (`BOT`)."""
    issue = snapshot(number, body, **fields)
    return read_item(
        issue, bot_login=BOT, config=config or default_config(), form=action_item_form()
    )


class FakeTime:
    """A clock that only moves when slept on, so rate-limit and pacing waits cost nothing."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox for `acme/web` on a free port of 127.0.0.1, stopped afterwards."""
    with Sandbox(repo=REPO) as sb:
        yield sb


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def settings_for(sb: Sandbox, **overrides: object) -> GitHubSettings:
    fields: dict[str, object] = {
        "token": PLACEHOLDER_TOKEN,
        "repository": REPO,
        "api_url": sb.base_url,
        **overrides,
    }
    return GitHubSettings(**fields)  # type: ignore[arg-type]


@pytest.fixture
def gh(sandbox: Sandbox, fake_time: FakeTime) -> GitHub:
    """The adapter against the sandbox: no pacing, fake sleep (real HTTP all the same)."""
    return GitHub(settings_for(sandbox), pace=False, sleep=fake_time.sleep, clock=fake_time.time)
