"""An in-memory stand-in for the adapter's write methods, for planner tests that need no HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pmbot.core import markers
from pmbot.errors import GitHubError
from pmbot.github.models import CommentSnapshot


@dataclass
class FakeIssue:
    body: str = ""
    labels: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    assignees: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def comment_snapshots(issue: FakeIssue, author: str) -> list[CommentSnapshot]:
    """The issue's comments as the adapter reads them, all by `author`, oldest first."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    fields = {"author": author, "author_association": "OWNER", "html_url": ""}
    return [
        CommentSnapshot(id=n, body=body, created_at=at, updated_at=at, **fields)
        for n, body in enumerate(issue.comments, start=1)
    ]


class FakeGitHub:
    """An in-memory repository that records every write call, and can be told to fail."""

    def __init__(self) -> None:
        self.issues: dict[int, FakeIssue] = {}
        self.calls: list[tuple[str, int]] = []
        self.failing: set[int] = set()

    def issue(self, number: int) -> FakeIssue:
        self.calls.append(("write", number))
        if number in self.failing:
            raise GitHubError(f"issue {number} was deleted")
        return self.issues.setdefault(number, FakeIssue())

    def create_comment(self, number: int, body: str) -> None:
        self.issue(number).comments.append(body)

    def upsert_comment(self, number: int, marker_kind: str, body: str) -> None:
        issue = self.issue(number)
        issue.comments = [c for c in issue.comments if not markers.has(c, marker_kind)]
        issue.comments.append(body)

    def update_issue(self, number: int, **changes: Any) -> None:
        issue = self.issue(number)
        for key, value in changes.items():
            setattr(issue, key, value)

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        issue = self.issue(number)
        issue.labels += [n for n in labels if n not in issue.labels]

    def remove_label(self, number: int, name: str) -> None:
        self.issue(number).labels.remove(name)

    def set_assignees(self, number: int, logins: Sequence[str]) -> None:
        self.issue(number).assignees = list(logins)

    def create_issue(
        self,
        title: str,
        body: str,
        labels: Sequence[str] = (),
        assignees: Sequence[str] = (),
        *,
        marker: str,
    ) -> None:
        number = max(self.issues, default=0) + 1
        self.calls.append(("create", number))
        self.issues[number] = FakeIssue(body=body, labels=list(labels), assignees=list(assignees))
