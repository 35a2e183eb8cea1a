"""GitHub users and teams as people write them: `@login`, `login`, `@org/team`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pmbot.core.logins import LOGIN, TEAM
from pmbot.core.parse.common import Unreadable, short, split_list

_USER = re.compile(rf"{LOGIN}(?:\[bot\])?")  # apps' logins end in "[bot]"
_TEAM = re.compile(TEAM)

USER_FIX = "write a GitHub login such as @alice, or a team such as @acme/payments."


@dataclass(frozen=True)
class User:
    login: str  # without "@"; "org/team" for a team
    is_team: bool = False


def parse_user(text: str) -> User:
    """One user or team; raises Unreadable when it is not valid GitHub syntax."""
    cleaned = text.strip().strip("`*").removeprefix("@").strip()
    if _USER.fullmatch(cleaned):
        return User(cleaned)
    if _TEAM.fullmatch(cleaned):
        return User(cleaned, is_team=True)
    raise Unreadable(f"'{short(text)}' is not a GitHub login or team.", USER_FIX)


def parse_users(text: str) -> list[User]:
    """'@a, @b and @c' → three users; the first invalid one raises."""
    parts = split_list(re.sub(r"(?<!\s)\s+(?:(?:and|&)\s+|(?=@))", ",", text))
    return [parse_user(part) for part in parts]
