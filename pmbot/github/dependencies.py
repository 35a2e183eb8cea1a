"""Issue dependencies ("blocked by"): the REST endpoints PyGithub has no method for, called
through the transport like every other request. They take the blocking issue's `id`, not its
number."""

from __future__ import annotations

from typing import Any

from pmbot.github.base import RepoBase
from pmbot.github.transport import GitHubHTTPError


class IssueDependencies(RepoBase):
    def list_blocked_by(self, number: int) -> tuple[int, ...] | None:
        """The ids of the issues blocking #number; None where the server has no issue
        dependencies (404/410: GitHub Enterprise Server before they existed)."""
        try:
            found = self.http.pages(self._blocked_by_url(number))
        except GitHubHTTPError as exc:
            if exc.status in (404, 410):
                return None
            raise
        return tuple(int(issue["id"]) for issue in found)

    def add_blocked_by(self, number: int, blocker_id: int, *, blocker_number: int) -> bool:
        """Mark #number blocked by the issue with id `blocker_id` (#blocker_number, for
        messages); False when it already was (a lost answer, or another run was first)."""
        check = lambda: self._find_blocker(number, blocker_id)  # noqa: E731
        try:
            self._post_once(self._blocked_by_url(number), {"issue_id": blocker_id}, check)
        except GitHubHTTPError as exc:
            if exc.status == 422 and self._find_blocker(number, blocker_id) is not None:
                return False
            raise
        return True

    def _find_blocker(self, number: int, blocker_id: int) -> Any:
        found = self.list_blocked_by(number) or ()
        return blocker_id if blocker_id in found else None

    def _blocked_by_url(self, number: int) -> str:
        return f"{self.repo}/issues/{number}/dependencies/blocked_by"
