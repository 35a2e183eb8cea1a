"""GitHub users and teams as people write them: `@login`, `login`, `@org/team`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pmbot.core.logins import LOGIN, TEAM
from pmbot.core.model import person_key
from pmbot.core.parse.common import Unreadable, short, split_list, strip_bullet

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


PEOPLE_FIX = "write GitHub logins (@alice) or names (Dana Kim), separated by commas or lines."
MAX_PEOPLE = 200  # a safety cap on untrusted input, far above any real meeting
MAX_NAME = 80


def parse_person(text: str) -> str:
    """'@alice' → '@alice' (a valid login), 'Dana Kim' → 'Dana Kim': who was there, as a
    GitHub login or a name as written. A team is refused: a team does not attend."""
    cleaned = " ".join(text.strip().strip("`*").split())
    if cleaned.startswith("@"):
        user = parse_user(cleaned)
        if user.is_team:
            raise Unreadable(f"'{short(text)}' is a team, not a person.", PEOPLE_FIX)
        return f"@{user.login}"
    if len(cleaned) > MAX_NAME or "@" in cleaned:
        raise Unreadable(f"'{short(text)}' is not a login or a name.", PEOPLE_FIX)
    return cleaned


def parse_people(text: str) -> list[str]:
    """'@a, Dana Kim and @b' → ['@a', 'Dana Kim', '@b']; the first unreadable one raises."""
    lines = (strip_bullet(line)[0] for line in text.splitlines())
    parts = split_list(re.sub(r"(?<!\s)\s+(?:(?:and|&)\s+|(?=@))", ",", "\n".join(lines)))
    if len(parts) > MAX_PEOPLE:
        raise Unreadable(f"{len(parts)} people; pmbot reads at most {MAX_PEOPLE}.", PEOPLE_FIX)
    people: dict[str, str] = {}
    for part in parts:
        person = parse_person(part)
        people.setdefault(person_key(person), person)  # the first spelling kept
    return list(people.values())
