"""One repository over the transport: its URL, who pmbot is, its default branch, and the
POST that is never repeated blindly. The git data and issue halves of the adapter build on it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from pmbot.github.identity import Identity
from pmbot.github.models import GitHubSettings, RequestStats
from pmbot.github.transport import (
    Clock,
    GitHubHTTPError,
    Lost,
    LostWriteError,
    Sleep,
    Transport,
    url_path,
)


class RepoBase:
    """The transport and the few reads every part of the adapter needs."""

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        pace: bool = True,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        self.settings = settings
        self.log = logger or logging.getLogger("pmbot.github.client")
        self.http = Transport(settings, pace, sleep, clock, self.log)
        self.repo = f"/repos/{settings.owner}/{settings.name}"
        self._labels: set[str] | None = None
        self.identity = Identity(explicit=settings.bot_login)
        self._default_branch: str | None = None

    @property
    def stats(self) -> RequestStats:
        return self.http.counters.snapshot()

    def default_branch(self) -> str:
        if self._default_branch is None:
            self._default_branch = str(self.http.call("GET", self.repo).data["default_branch"])
        return self._default_branch

    def login(self) -> str:
        """Who pmbot is: the login its own writes are authored by (`pmbot.github.identity`)."""
        if not self.identity.explicit and not self.identity.asked:
            try:
                self.identity.user = str(self.http.call("GET", "/user").data["login"])
            except GitHubHTTPError as exc:
                if exc.status not in (401, 403, 404):
                    raise
                self.identity.installation = True  # "Resource not accessible by integration"
        return self.identity.login()

    def same_token_as(self, other: RepoBase) -> None:
        """Share what belongs to the token, not the repository: who it is (saving a
        `GET /user`) and the pacing of its writes (GitHub's secondary limits are per token)."""
        other.login()
        self.identity = other.identity
        self.http.pacer = other.http.pacer

    def _post_once(self, url: str, payload: Any, find: Callable[[], Any]) -> Any:
        """POST that is never repeated blindly: after a lost answer, `find` looks for its result
        first, and only when it is absent is the POST sent once more."""
        for attempt in (1, 2):
            try:
                return self.http.call("POST", url, body=payload).data
            except Lost as lost:
                self.log.warning("GitHub POST %s: answer lost (%s); checking", url_path(url), lost)
                found = find()
                if found is not None:
                    return found
                if attempt == 2:
                    raise LostWriteError(f"POST {url_path(url)}: answer lost twice") from lost
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_or_none(self, url: str) -> Any:
        try:
            return self.http.call("GET", url).data
        except GitHubHTTPError as exc:
            if exc.status == 404:
                return None
            raise
