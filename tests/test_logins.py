"""One login rule everywhere pmbot reads or writes a GitHub name (and in the sandbox's own copy)."""

from __future__ import annotations

import pytest

from pmbot.core.parse.common import Unreadable
from pmbot.core.parse.users import parse_user
from pmbot.flows.ladder import mention
from pmbot.flows.owner_commands import Command, parse_command
from pmbot.sandbox import tokens

GOOD = ["a", "alice", "a-b", "a-b-c", "A1", "x" * 39]
BAD = ["a--b", "-a", "a-", "x" * 40, "a_b", "a.b", ""]


def read_by_form(name: str) -> bool:
    try:
        return not parse_user(f"@{name}").is_team
    except Unreadable:
        return False


def read_by_command(name: str) -> bool:
    command = parse_command(f"/pmbot owner @{name} handing over")
    return isinstance(command, Command) and command.owner == name


def read_by_sandbox(name: str) -> bool:
    try:
        return tokens.parse_user(f"{name}=token-1").login == name
    except ValueError:
        return False


@pytest.mark.parametrize("name", GOOD + BAD)
def test_every_reader_applies_the_same_rule(name: str) -> None:
    expected = name in GOOD
    assert read_by_form(name) is expected
    assert read_by_command(name) is expected
    assert read_by_sandbox(name) is expected
    assert (mention(name) == f"@{name}") is expected  # a non-login is quoted, pinging nobody


def test_teams_are_org_slash_slug() -> None:
    assert parse_user("@acme/payments").is_team
    assert mention("acme/payments") == "@acme/payments"
    assert read_by_command("acme/payments")
    assert mention("a--b/payments") == "`a--b/payments`"
