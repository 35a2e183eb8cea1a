"""Declared tokens, as `pmbot sandbox` and `Sandbox(...)` take them.

    --user LOGIN=TOKEN[:ASSOCIATION]   a personal token: acts as LOGIN (default COLLABORATOR)
    --app SLUG=TOKEN                   a GitHub App installation token: acts as SLUG[bot]
    --actions-token TOKEN              the Actions GITHUB_TOKEN: acts as github-actions[bot]

Undeclared tokens act as the repository owner, except `ghs_…` ones, which GitHub issues
only to installations: they act as the Actions token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pmbot.sandbox.state import APP_SLUG, ASSOCIATIONS, PERMISSION_FOR_ASSOCIATION, State

# GitHub's rule (the sandbox keeps its own copy: it imports nothing of pmbot): 1-39 letters,
# digits or single hyphens, not at either end.
LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


@dataclass(frozen=True)
class UserToken:
    login: str
    token: str
    association: str = "COLLABORATOR"


@dataclass(frozen=True)
class AppToken:
    slug: str
    token: str


def _token(value: str, option: str, example: str) -> str:
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"{option}: the token is empty or has spaces; write e.g. {example}")
    return value


def parse_user(text: str) -> UserToken:
    """`LOGIN=TOKEN[:ASSOCIATION]`; a token may itself hold `:` when no association follows."""
    example = "--user mallory=mallory-token:NONE"
    login, sep, rest = text.partition("=")
    if not sep or not LOGIN.match(login):
        raise ValueError(f"--user wants LOGIN=TOKEN[:ASSOCIATION], got {text!r}; e.g. {example}")
    token, colon, association = rest.rpartition(":")
    if colon and association.upper() in ASSOCIATIONS:
        return UserToken(login, _token(token, "--user", example), association.upper())
    if colon and re.fullmatch(r"[A-Z_]+", association):
        raise ValueError(
            f"--user {text!r}: {association!r} is not an association; "
            f"use one of {', '.join(ASSOCIATIONS)}"
        )
    return UserToken(login, _token(rest, "--user", example))


def parse_app(text: str) -> AppToken:
    """`SLUG=TOKEN`: the app's slug (as in github.com/apps/SLUG) and an installation token."""
    example = "--app acme-pmbot=ghs_example"
    slug, sep, token = text.partition("=")
    if not sep or not APP_SLUG.match(slug):
        raise ValueError(
            f"--app wants SLUG=TOKEN with a lower-case slug (letters, digits, dashes), "
            f"got {text!r}; e.g. {example}"
        )
    return AppToken(slug, _token(token, "--app", example))


def declare(
    state: State,
    users: Iterable[str | UserToken] = (),
    apps: Iterable[str | AppToken] = (),
    actions_token: str | None = None,
) -> None:
    """Seed the users, apps and Actions token so their tokens act as on GitHub."""
    for user_spec in users:
        user = parse_user(user_spec) if isinstance(user_spec, str) else user_spec
        permission = PERMISSION_FOR_ASSOCIATION.get(user.association, "read")
        state.seed_user(
            user.login,
            association=user.association,
            permission=permission,
            assignable=permission in ("admin", "write"),
            token=user.token,
        )
    for app_spec in apps:
        app = parse_app(app_spec) if isinstance(app_spec, str) else app_spec
        state.seed_app(app.slug, app.token)
    if actions_token is not None:
        state.seed_actions_token(_token(actions_token, "--actions-token", "--actions-token t0k"))
