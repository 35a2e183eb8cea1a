"""The GitHub adapter: the only package that imports PyGithub; it returns pmbot's own models.

`GitHub` is one repository: issues, comments, labels, assignees and sub-issues here; files,
branches and pull requests in `git`; issue dependencies in `dependencies`; requests, retries,
pacing and ETags in `transport`.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from pmbot.core import markers
from pmbot.core.config import LabelSpec
from pmbot.core.timestamps import iso
from pmbot.github.dependencies import IssueDependencies
from pmbot.github.git import GitData
from pmbot.github.models import (
    AssignResult,
    CommentResult,
    CommentSnapshot,
    FieldValue,
    GitHubSettings,
    IssueSnapshot,
    RateLimit,
    SubIssueResult,
    git_blob_sha,
)
from pmbot.github.transport import GitHubHTTPError, LostWriteError, RateLimitError

__all__ = [
    "GitHub",
    "GitHubHTTPError",
    "GitHubSettings",
    "LostWriteError",
    "RateLimitError",
    "git_blob_sha",
]


class GitHub(GitData, IssueDependencies):
    """pmbot's view of one repository on GitHub (or GHES, or the sandbox)."""

    # ---- rate limit -------------------------------------------------------------------------

    def rate_limit(self) -> RateLimit:
        core = self.http.call("GET", "/rate_limit").data["resources"]["core"]
        return RateLimit(
            limit=core["limit"],
            remaining=core["remaining"],
            used=core.get("used", core["limit"] - core["remaining"]),
            reset=datetime.fromtimestamp(core["reset"], tz=UTC),
        )

    def log_rate_limit(self, when: str) -> RateLimit | None:
        """Log the remaining core rate limit (GHES may have none: that is logged, not raised)."""
        try:
            limit = self.rate_limit()
        except GitHubHTTPError as exc:
            self.log.info("GitHub rate limit at %s: unavailable (%s)", when, exc.status)
            return None
        self.log.info(
            "GitHub rate limit at %s: %d of %d remaining, resets %s",
            when,
            limit.remaining,
            limit.limit,
            limit.reset.strftime("%H:%M:%S UTC"),
        )
        return limit

    # ---- reads ------------------------------------------------------------------------------

    def get_issue(self, number: int) -> IssueSnapshot:
        data = self.http.call("GET", f"{self.repo}/issues/{number}").data
        self.identity.observe(data)
        return IssueSnapshot.from_api(data)

    def issue_if_changed(self, number: int, since: datetime) -> IssueSnapshot | None:
        """The issue when it changed after `since` (its `updated_at` as last read), else None.

        A conditional request (If-Modified-Since): the usual "not modified" answer is a 304,
        which costs no rate limit. HTTP dates have whole seconds, so a change within the
        same second as `since` reads as unchanged."""
        header = {"If-Modified-Since": format_datetime(since.astimezone(UTC), usegmt=True)}
        url = f"{self.repo}/issues/{number}"
        answer = self.http.call("GET", url, headers=header)
        if answer.status == 304:
            return None
        issue = IssueSnapshot.from_api(answer.data)  # (or an ETag 304's cached copy)
        return issue if issue.updated_at > since else None

    def list_issues(
        self,
        labels: Sequence[str] = (),
        state: str = "open",
        since: datetime | None = None,
    ) -> list[IssueSnapshot]:
        """Issues (not pull requests) from the list responses alone: one request per 100."""
        params: dict[str, Any] = {"state": state}
        if labels:
            params["labels"] = ",".join(labels)
        if since is not None:
            params["since"] = iso(since)
        items = self.http.pages(f"{self.repo}/issues", params, convert=self._issue_page)
        return [i for i in items if not i.is_pull_request]

    def list_comments(self, number: int) -> list[CommentSnapshot]:
        url = f"{self.repo}/issues/{number}/comments"
        return self.http.pages(url, convert=self._comment_page)

    def newest_comments(self) -> Iterator[list[CommentSnapshot]]:
        """The repository's issue comments, newest first, one page (read) of 100 at a time."""
        params = {"sort": "created", "direction": "desc"}
        url = f"{self.repo}/issues/comments"
        return self.http.each_page(url, params, convert=self._comment_page)

    def author_permission(self, login: str) -> str:
        """admin, maintain, write, triage, read or none (none also for unknown users).

        `role_name` first: the legacy `permission` field reports Maintain as write.
        """
        url = f"{self.repo}/collaborators/{urllib.parse.quote(login)}/permission"
        try:
            data = self.http.call("GET", url).data
        except GitHubHTTPError as exc:
            if exc.status == 404:
                return "none"
            raise
        return str(data.get("role_name") or data.get("permission") or "none")

    def can_assign(self, login: str) -> bool:
        try:
            self.http.call("GET", f"{self.repo}/assignees/{urllib.parse.quote(login)}")
        except GitHubHTTPError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # ---- issue writes -----------------------------------------------------------------------

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
    ) -> IssueSnapshot:
        """Create an issue whose body carries `marker`, so a lost answer can be checked for;
        with GitHub's issue type and issue field values (field id, value) when given."""
        if marker not in body:
            body = f"{body.rstrip()}\n\n{marker}\n"
        payload: dict[str, Any] = {"title": title, "body": body, "labels": list(labels)}
        if assignees:
            payload["assignees"] = list(assignees)
        if issue_type is not None:
            payload["type"] = issue_type
        if field_values:
            payload["issue_field_values"] = [{"field_id": i, "value": v} for i, v in field_values]
        try:
            data = self._post_once(f"{self.repo}/issues", payload, lambda: self._find_issue(marker))
        except GitHubHTTPError as exc:
            if exc.status != 422 or not assignees or not _mentions(exc, "assignee"):
                raise
            # An assignee GitHub refuses must not stop the item being filed; it stays unowned.
            self.log.warning("GitHub refused assignees %s; creating unassigned", list(assignees))
            payload.pop("assignees")
            data = self._post_once(f"{self.repo}/issues", payload, lambda: self._find_issue(marker))
        self.identity.wrote(data)
        return IssueSnapshot.from_api(data)

    def _find_issue(self, marker: str) -> Any:
        """The newest issue whose body holds marker (a list call, not search: no index lag)."""
        params = {"state": "all", "sort": "created", "direction": "desc", "per_page": 100}
        found = self.http.call("GET", f"{self.repo}/issues", params).data
        return next((i for i in found if marker in (i.get("body") or "")), None)

    def update_issue(self, number: int, **changes: Any) -> IssueSnapshot:
        """PATCH title, body, state, state_reason, labels, assignees, milestone (repeatable)."""
        url = f"{self.repo}/issues/{number}"
        data = self.http.call("PATCH", url, body=changes, repeatable=True).data
        return IssueSnapshot.from_api(data)

    def set_issue_field_values(
        self, number: int, values: Sequence[tuple[int, FieldValue]]
    ) -> IssueSnapshot | None:
        """Set issue field values (field id, value) in one request; others stay as they are.
        Setting a value is idempotent, so the request may be repeated after a lost answer."""
        body = {"issue_field_values": [{"field_id": i, "value": v} for i, v in values]}
        url = f"{self.repo}/issues/{number}/issue-field-values"
        self.http.call("POST", url, body=body, repeatable=True)
        return None

    def label_names(self) -> frozenset[str]:
        """The repository's label names, lower-cased (one read per 100, once per run)."""
        if self._labels is None:
            self._labels = {
                label["name"].lower() for label in self.http.pages(f"{self.repo}/labels")
            }
        return frozenset(self._labels)

    def ensure_labels(self, specs: Iterable[LabelSpec]) -> list[str]:
        """Create the labels that do not exist yet; returns the names created."""
        known = set(self.label_names())
        created = []
        for spec in specs:
            if spec.name.lower() in known:
                continue
            self._create_label(spec)
            known.add(spec.name.lower())
            created.append(spec.name)
        self._labels = known
        return created

    def _create_label(self, spec: LabelSpec) -> None:
        payload = {"name": spec.name, "color": spec.color, "description": spec.description}
        url = f"{self.repo}/labels"
        check = lambda: self._get_or_none(f"{url}/{urllib.parse.quote(spec.name, safe='')}")  # noqa: E731
        try:
            self._post_once(url, payload, check)
        except GitHubHTTPError as exc:
            if exc.status != 422 or not _mentions(exc, "already_exists"):
                raise  # someone else creating it at the same moment is fine

    def add_labels(self, number: int, labels: Sequence[str]) -> tuple[str, ...]:
        """Add labels (adding one already there changes nothing, so this is repeatable)."""
        url = f"{self.repo}/issues/{number}/labels"
        data = self.http.call("POST", url, body={"labels": list(labels)}, repeatable=True).data
        return tuple(label["name"] for label in data)

    def remove_label(self, number: int, name: str) -> bool:
        """Remove a label; False when it was not there (404 is the answer to that)."""
        url = f"{self.repo}/issues/{number}/labels/{urllib.parse.quote(name, safe='')}"
        try:
            self.http.call("DELETE", url, repeatable=True)
        except GitHubHTTPError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def set_assignees(self, number: int, logins: Sequence[str]) -> AssignResult:
        """Replace the assignees; logins GitHub refuses (422) are reported, not raised."""
        url = f"{self.repo}/issues/{number}"
        try:
            data = self.http.call("PATCH", url, body={"assignees": list(logins)}, repeatable=True)
        except GitHubHTTPError as exc:
            if exc.status != 422:
                raise
            return self._assign_valid(number, logins, exc)
        return AssignResult(number=number, assigned=IssueSnapshot.from_api(data.data).assignees)

    def _assign_valid(
        self, number: int, logins: Sequence[str], exc: GitHubHTTPError
    ) -> AssignResult:
        valid = [login for login in logins if self.can_assign(login)]
        refused = tuple(login for login in logins if login not in valid)
        url = f"{self.repo}/issues/{number}"
        data = self.http.call("PATCH", url, body={"assignees": valid}, repeatable=True).data
        reason = (
            f"GitHub cannot assign {', '.join(refused) or 'them'} here: {exc.problems[0].message}"
        )
        return AssignResult(
            number=number,
            assigned=IssueSnapshot.from_api(data).assignees,
            unassigned=refused or tuple(logins),
            reason=reason,
        )

    # ---- comments ---------------------------------------------------------------------------

    def create_comment(self, number: int, body: str) -> CommentSnapshot:
        """A new comment; if its answer is lost, an identical comment by pmbot counts as it."""
        url = f"{self.repo}/issues/{number}/comments"
        data = self._post_once(url, {"body": body}, lambda: self._find_comment(number, body))
        self.identity.wrote(data)
        return CommentSnapshot.from_api(data)

    def _find_comment(self, number: int, body: str) -> Any:
        me = self.login()
        for comment in reversed(self.http.pages(f"{self.repo}/issues/{number}/comments")):
            if comment.get("body") == body and (comment.get("user") or {}).get("login") == me:
                return comment
        return None

    def upsert_comment(self, number: int, marker_kind: str, body: str) -> CommentResult:
        """pmbot's one comment of this kind: created once, then edited only when it changed."""
        if not markers.has(body, marker_kind):
            body = markers.replace(body, marker_kind, {})
        mine = self._own_comment(number, marker_kind)
        if mine is None:
            return CommentResult(comment=self.create_comment(number, body), action="created")
        if mine.body.rstrip() == body.rstrip():
            return CommentResult(comment=mine, action="unchanged")
        return CommentResult(comment=self.edit_comment(mine.id, body), action="updated")

    def edit_comment(self, comment_id: int, body: str) -> CommentSnapshot:
        """Replace a comment's text (the same PATCH twice changes nothing, so it may repeat)."""
        url = f"{self.repo}/issues/comments/{comment_id}"
        data = self.http.call("PATCH", url, body={"body": body}, repeatable=True).data
        return CommentSnapshot.from_api(data)

    def _own_comment(self, number: int, marker_kind: str) -> CommentSnapshot | None:
        # Only pmbot's own comments count: anyone can paste a marker into a comment of theirs.
        me = self.login()
        for comment in self.list_comments(number):
            if comment.author == me and markers.has(comment.body, marker_kind):
                return comment
        return None

    # ---- pages (each item also tells the identity who wrote pmbot's markers) -------------

    def _issue_page(self, data: Any) -> list[IssueSnapshot]:
        for item in data or []:
            self.identity.observe(item)
        return [IssueSnapshot.from_api(i) for i in data or []]

    def _comment_page(self, data: Any) -> list[CommentSnapshot]:
        for item in data or []:
            self.identity.observe(item)
        return [CommentSnapshot.from_api(c) for c in data or []]

    # ---- sub-issues -------------------------------------------------------------------------

    def add_sub_issue(
        self, parent_number: int, child_issue_id: int, *, child_number: int
    ) -> SubIssueResult:
        """Link child under parent by its id; a task-list line where sub-issues do not exist."""
        url = f"{self.repo}/issues/{parent_number}/sub_issues"
        check = lambda: self._find_sub_issue(parent_number, child_issue_id)  # noqa: E731
        result = SubIssueResult(
            parent_number=parent_number, child_number=child_number, method="sub-issue", changed=True
        )
        try:
            self._post_once(url, {"sub_issue_id": child_issue_id}, check)
        except GitHubHTTPError as exc:
            if exc.status in (404, 410):
                return self._task_list_link(parent_number, child_number)
            if exc.status == 422 and self._find_sub_issue(parent_number, child_issue_id):
                return result.model_copy(update={"changed": False})  # already linked
            raise
        return result

    def list_sub_issues(self, parent_number: int) -> list[IssueSnapshot] | None:
        """The parent's sub-issues; None where the server has none (404/410, older GHES)."""
        try:
            url = f"{self.repo}/issues/{parent_number}/sub_issues"
            return self.http.pages(url, convert=self._issue_page)
        except GitHubHTTPError as exc:
            if exc.status in (404, 410):
                return None
            raise

    def _find_sub_issue(self, parent_number: int, child_issue_id: int) -> Any:
        children = self.http.pages(f"{self.repo}/issues/{parent_number}/sub_issues")
        return next((c for c in children if c.get("id") == child_issue_id), None)

    def _task_list_link(self, parent_number: int, child_number: int) -> SubIssueResult:
        parent = self.get_issue(parent_number)
        changed = not re.search(rf"^\s*- \[[ xX]\] #{child_number}\b", parent.body, re.MULTILINE)
        if changed:
            body = f"{parent.body.rstrip()}\n- [ ] #{child_number}\n"
            self.update_issue(parent_number, body=body)
        return SubIssueResult(
            parent_number=parent_number,
            child_number=child_number,
            method="task-list",
            changed=changed,
        )


def _mentions(exc: GitHubHTTPError, word: str) -> bool:
    return word in json.dumps(exc.data).lower()
