"""The write half of the GitHub adapter, as the actions use it: every method any action calls.

`pmbot.github.client.GitHub` satisfies it structurally; mypy checks that wherever a plan is
applied with the adapter, so an action cannot call a method the adapter lacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from pmbot.core.config import LabelSpec
from pmbot.github.models import BranchResult, FieldValue, IssueSnapshot


class Writer(Protocol):
    # issues
    def create_issue(
        self,
        title: str,
        body: str,
        labels: Sequence[str] = (),
        assignees: Sequence[str] = (),
        *,
        marker: str,
        issue_type: str | None = None,
        field_values: Sequence[tuple[int, FieldValue]] = (),
    ) -> IssueSnapshot: ...
    def update_issue(self, number: int, **changes: Any) -> Any: ...
    def set_issue_field_values(
        self, number: int, values: Sequence[tuple[int, FieldValue]]
    ) -> Any: ...
    def set_assignees(self, number: int, logins: Sequence[str]) -> Any: ...
    def add_sub_issue(
        self, parent_number: int, child_issue_id: int, *, child_number: int
    ) -> Any: ...
    def add_blocked_by(self, number: int, blocker_id: int, *, blocker_number: int) -> Any: ...
    # labels
    def ensure_labels(self, specs: Iterable[LabelSpec]) -> Any: ...
    def add_labels(self, number: int, labels: Sequence[str]) -> Any: ...
    def remove_label(self, number: int, name: str) -> Any: ...
    # comments
    def create_comment(self, number: int, body: str) -> Any: ...
    def upsert_comment(self, number: int, marker_kind: str, body: str) -> Any: ...
    def edit_comment(self, comment_id: int, body: str) -> Any: ...
    # files
    def ensure_branch(self, name: str, from_branch: str) -> BranchResult: ...
    def commit_files(
        self, branch: str, files: Mapping[str, str], message: str, *, head: str | None = None
    ) -> Any: ...
    def open_or_update_pull(self, head: str, base: str, title: str, body: str) -> Any: ...
