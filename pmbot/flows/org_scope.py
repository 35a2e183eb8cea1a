"""Which repositories `sweep --org` and `report --org` cover, decided.

1. `org.repositories` (GITHUB_REPOSITORY's configuration), when given, wins: only those.
   With an App installation token, the listed ones the installation does not reach are
   named (pmbot could neither read nor write them) and left out.
2. Otherwise, with an App installation token, every repository of the organisation the
   installation reaches (`GET /installation/repositories`).
3. Otherwise (a personal token: GitHub lists installations only to installation tokens)
   whatever search reaches, as before: repositories are found through their issues.

Issues search finds in a repository outside the list are dropped before anything is read
of that repository, so a repository without pmbot costs nothing. Pure: the lists come in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from pmbot.github.models import OrgIssue

CONFIGURED = "org.repositories"
INSTALLATION = "the App installation"
SEARCH = "search"
NAMED = 10  # repositories named in one note; the rest are counted


@dataclass(frozen=True)
class Scope:
    """The repositories a run covers; `repositories` None: whatever search finds."""

    source: str  # CONFIGURED | INSTALLATION | SEARCH
    repositories: tuple[str, ...] | None
    unreachable: tuple[str, ...] = ()  # listed in org.repositories, out of the token's reach
    _lower: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = frozenset(r.lower() for r in self.repositories or ())
        object.__setattr__(self, "_lower", names)

    def holds(self, repository: str) -> bool:
        return self.repositories is None or repository.lower() in self._lower


def decide_scope(
    org: str, configured: Sequence[str] | None, installation: Sequence[str] | None
) -> tuple[Scope, list[str]]:
    """The run's scope from the configured list and the installation's repositories (None
    for a token that is not an installation's), and notes naming what was left out."""
    mine = [n for n in installation or () if _owner(n) == org.lower()]
    if configured is None:
        if installation is None:
            return Scope(SEARCH, None), [
                "no repository list (a personal token cannot list an installation's, and "
                f"{CONFIGURED} is not set); covering the repositories where search finds issues"
            ]
        alone = (
            " (an Actions GITHUB_TOKEN reaches its own repository only; use an App "
            "installation token, or a personal token, for the organisation)"
            if len(mine) <= 1
            else ""
        )
        return Scope(INSTALLATION, tuple(mine)), [
            f"{_repositories(len(mine))} of {org} in {INSTALLATION}{alone}"
        ]
    notes = [
        f"{CONFIGURED}: {name} is not a repository of {org}; left out"
        for name in configured
        if _owner(name) != org.lower()
    ]
    listed = [n for n in configured if _owner(n) == org.lower()]
    reach = {n.lower() for n in mine}
    unreachable = tuple(n for n in listed if installation is not None and n.lower() not in reach)
    notes += [
        f"{name}: in {CONFIGURED}, but the token cannot reach it (not in {INSTALLATION}); "
        "fix: install the App on it, or drop it from the list"
        for name in unreachable
    ]
    kept = tuple(n for n in listed if n not in unreachable)
    notes.append(f"{_repositories(len(kept))} of {org} in {CONFIGURED}")
    return Scope(CONFIGURED, kept, unreachable), notes


def within(found: Sequence[OrgIssue], scope: Scope) -> tuple[list[OrgIssue], list[str]]:
    """The issues of repositories in the scope, and a note on those outside it (skipped
    before anything of theirs is read)."""
    kept: list[OrgIssue] = []
    outside: dict[str, int] = defaultdict(int)
    for hit in found:
        if scope.holds(hit.repository):
            kept.append(hit)
        else:
            outside[hit.repository] += 1
    if not outside:
        return kept, []
    names = sorted(outside)
    shown = ", ".join(names[:NAMED]) + (
        f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
    )
    issues, repos = sum(outside.values()), len(names)
    counted = (
        f"{issues} issue{'s' * (issues != 1)} in {repos} repositor{'ies' if repos != 1 else 'y'}"
    )
    return kept, [f"{counted} outside {scope.source} skipped: {shown}"]


def _repositories(count: int) -> str:
    return f"{count} repositor{'y' if count == 1 else 'ies'}"


def _owner(name: str) -> str:
    return name.split("/", 1)[0].lower()
