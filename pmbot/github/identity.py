"""Who pmbot is on GitHub: the login its own writes are authored by.

pmbot believes its state only in text that login wrote, so it must know the login before it
reads its state, whatever the token:

1. `PMBOT_BOT_LOGIN` (the action's `bot-login` input), when set, is pmbot's login.
2. A personal token: `GET /user` answers with its user, and pmbot writes as that person.
   Its own comments are then told from the person's by pmbot's hidden markers (a command
   is read only from a comment without one).
3. An installation token — the Actions `GITHUB_TOKEN` or a GitHub App's — gets 403 on
   `GET /user` and writes as its bot user (`github-actions[bot]`, `<app-slug>[bot]`). pmbot
   is then the author of what it wrote in this run, once it has written; before that, the
   bot user (type `Bot`: no person can hold such an account) that wrote the newest
   pmbot-marked issue or comment pmbot has read in this run; with neither, the Actions bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pmbot.core import markers

ACTIONS_BOT = "github-actions[bot]"


@dataclass
class Identity:
    """What is known so far about pmbot's login in this run."""

    explicit: str | None = None  # PMBOT_BOT_LOGIN
    user: str | None = None  # a personal token's user, from GET /user
    installation: bool = False  # GET /user refused the token: an installation token
    wrote_as: str | None = None  # the author of something pmbot wrote in this run
    seen: dict[str, str] = field(default_factory=dict)  # bot login -> newest marked text's time

    @property
    def asked(self) -> bool:
        return self.user is not None or self.installation

    def login(self) -> str:
        """pmbot's login by the rules above (`GET /user` must have been asked, unless explicit)."""
        if self.explicit:
            return self.explicit
        if self.user is not None:
            return self.user
        if self.wrote_as is not None:
            return self.wrote_as
        if self.seen:
            return max(self.seen, key=lambda login: (self.seen[login], login))
        return ACTIONS_BOT

    def observe(self, item: Mapping[str, Any]) -> None:
        """An issue or comment as read: a bot user's text with a pmbot marker is a candidate."""
        user = item.get("user") or {}
        if user.get("type") != "Bot" or not markers.has_any(item.get("body")):
            return
        login, when = str(user.get("login") or ""), str(item.get("created_at") or "")
        if login and when > self.seen.get(login, ""):
            self.seen[login] = when

    def wrote(self, item: Mapping[str, Any]) -> None:
        """An issue or comment pmbot has just created: its author is pmbot."""
        login = (item.get("user") or {}).get("login")
        if isinstance(login, str) and login:
            self.wrote_as = login
