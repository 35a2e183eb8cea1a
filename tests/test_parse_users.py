from __future__ import annotations

import pytest

from pmbot.core.parse.common import Unreadable
from pmbot.core.parse.users import User, parse_user, parse_users


@pytest.mark.parametrize(
    ("text", "user"),
    [
        ("@alice", User("alice")),
        ("alice", User("alice")),
        (" @a-b-c ", User("a-b-c")),
        ("@dependabot[bot]", User("dependabot[bot]")),
        ("@acme/sre", User("acme/sre", is_team=True)),
        ("acme/payments_team", User("acme/payments_team", is_team=True)),
        ("@" + "a" * 39, User("a" * 39)),
    ],
)
def test_valid_users_and_teams(text: str, user: User) -> None:
    assert parse_user(text) == user


@pytest.mark.parametrize(
    "text", ["@-alice", "alice-", "a--b", "@" + "a" * 40, "al ice", "@", "../../etc", "<b>x</b>"]
)
def test_invalid_logins_are_refused(text: str) -> None:
    with pytest.raises(Unreadable, match="not a GitHub login"):
        parse_user(text)


def test_lists_of_users() -> None:
    assert [u.login for u in parse_users("@a, @b and @c")] == ["a", "b", "c"]
    assert [u.login for u in parse_users("@a @b; @a")] == ["a", "b"]
