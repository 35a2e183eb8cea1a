"""Shards of an organisation's repositories, for a sweep split across a job matrix.

A repository belongs to shard K of N when the SHA-256 of its lowercase full name, read as a
number, is K-1 modulo N: stable across machines, Python versions and runs (Python's own
`hash()` of a string changes with every process), and the same whatever order or subset of
repositories a run sees, so every repository is in exactly one shard.

A shard reads its action items through search either way (see `SearchPlan`): the
organisation's query with the other shards' hits dropped, or its own repositories named with
`repo:` qualifiers, a few to a query so that no query passes search's 256 characters.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pmbot.errors import PmbotError, Problem

MAX_QUERY = 256  # characters GitHub search accepts in `q`
# What a query may hold before the adapter slices it by creation date past 1,000 results
# (github/org.py appends ` created:>=2026-01-01T00:00:00Z`): GitHub's docs leave open whether
# qualifiers count towards the 256, so they are counted.
ROOM = MAX_QUERY - len(" created:>=2026-01-01T00:00:00Z")
PAGE = 100  # results a search page holds
MAX_SHARDS = 256  # a job matrix holds at most 256 jobs
_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`K/N` with 1 ≤ K ≤ N ≤ 256, or a PmbotError naming --shard and the fix."""
        match = _SHARD.fullmatch(text)
        if match is None:
            raise _bad(text, "is not of the form K/N")
        index, count = int(match[1]), int(match[2])
        if count < 1 or count > MAX_SHARDS:
            raise _bad(text, f"N must be between 1 and {MAX_SHARDS} (a job matrix's limit)")
        if not 1 <= index <= count:
            raise _bad(text, f"K must be between 1 and N ({count})")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, repository: str) -> bool:
        """Whether `repository` (OWNER/NAME, any case) is in this shard."""
        return shard_of(repository, self.count) == self.index


def shard_of(repository: str, count: int) -> int:
    """The shard (1-based) of `count` that `repository` belongs to."""
    digest = hashlib.sha256(repository.lower().encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % count + 1


def _bad(text: str, why: str) -> PmbotError:
    return PmbotError(
        [
            Problem(
                field="--shard",
                message=f"{text!r} {why}.",
                fix="give --shard K/N with 1 <= K <= N, e.g. --shard 3/8 for the third of "
                "eight shards.",
            )
        ]
    )


def repository_queries(base: str, repositories: Iterable[str]) -> list[str]:
    """`base` restricted to `repositories` by `repo:` qualifiers (search ORs them), as few
    queries as fit in search's 256 characters with room left for the creation-date slice;
    sorted, so reruns ask the same queries."""
    queries: list[str] = []
    current = base
    for name in sorted(set(repositories), key=str.lower):
        term = f" repo:{name}"
        if len(base) + len(term) > ROOM:
            raise PmbotError(
                [
                    Problem(
                        field="repository",
                        message=f"{name!r} is too long to search by name within GitHub's "
                        f"{MAX_QUERY} characters.",
                        fix="run this shard without the repository list (the organisation's "
                        "query is used instead).",
                    )
                ]
            )
        if current != base and len(current) + len(term) > ROOM:
            queries.append(current)
            current = base
        current += term
    if current != base:
        queries.append(current)
    return queries


@dataclass(frozen=True)
class SearchPlan:
    """How a shard reads its items: `queries` (each filtered to the shard afterwards) and the
    pages that is expected to cost, beside the other way's."""

    mode: str  # "organisation" or "repositories"
    queries: tuple[str, ...]
    expected_pages: int
    other_pages: int


def search_plan(
    org_query: str,
    base: str,
    total: int,
    shard: Shard,
    repositories: Sequence[str] | None,
) -> SearchPlan:
    """The cheaper way for `shard` to read its share of `total` items (the organisation's
    count): the organisation's query costs ⌈total/100⌉ pages; its own repositories by name
    cost at least one page per query and about ⌈total/N/100⌉ more (hashing spreads items
    evenly). Without the list of repositories only the organisation's query is possible."""
    whole = max(1, math.ceil(total / PAGE))
    if repositories is None:
        return SearchPlan("organisation", (org_query,), whole, 0)
    mine = [r for r in repositories if shard.holds(r)]
    queries = repository_queries(base, mine)
    share = math.ceil(total / shard.count / PAGE)
    by_name = len(queries) + share
    if by_name < whole:
        return SearchPlan("repositories", tuple(queries), by_name, whole)
    return SearchPlan("organisation", (org_query,), whole, by_name)
