"""Similar incidents: earlier documents that share services, contributing-factor
categories or tags with a postmortem, best first."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pmbot.core.model import Postmortem
from pmbot.render.library.entries import LibraryEntry, entry_from_postmortem

# How much each kind of overlap counts towards similarity: a shared service is the
# strongest signal that the same weakness is back, a shared tag the weakest.
WEIGHTS = {"services": 3, "categories": 2, "tags": 1}


def _keys(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().casefold() for v in values if v.strip())


def shared(a: LibraryEntry, b: LibraryEntry) -> dict[str, tuple[str, ...]]:
    """What b has in common with a, per kind (services, categories, tags), in b's spelling."""
    overlap = {}
    for kind in WEIGHTS:
        mine = _keys(getattr(a, kind))
        common = tuple(v for v in getattr(b, kind) if v.strip().casefold() in mine)
        if common:
            overlap[kind] = common
    return overlap


def _score(subject: LibraryEntry, entry: LibraryEntry) -> int:
    return sum(WEIGHTS[kind] * len(values) for kind, values in shared(subject, entry).items())


def similar_incidents(
    subject: Postmortem | LibraryEntry,
    entries: Iterable[LibraryEntry],
    *,
    window_days: int = 180,
    now: datetime | None = None,
    limit: int | None = 5,
) -> list[LibraryEntry]:
    """Past documents within `window_days` before the subject sharing something with it.

    Best first: most overlap (services weigh most, then contributing-factor categories,
    then tags), then most recent. The window ends at the subject's date, or at `now` for an
    undated subject. The subject itself (same path, or same issue of the same repository)
    is never included.
    """
    me = entry_from_postmortem(subject) if isinstance(subject, Postmortem) else subject
    end = me.date or (now.date() if now else None)
    if end is None:
        return []
    start = end - timedelta(days=window_days)
    scored = []
    for position, entry in enumerate(entries):
        if entry.problem or entry.date is None or not start <= entry.date <= end:
            continue
        if _same_document(me, entry):
            continue
        score = _score(me, entry)
        if score:
            scored.append((-score, -entry.date.toordinal(), entry.path, position, entry))
    best = heapq.nsmallest(limit, scored) if limit is not None else sorted(scored)
    return [item[-1] for item in best]


def _same_document(a: LibraryEntry, b: LibraryEntry) -> bool:
    # Issue numbers repeat across repositories: #3 of one team is not #3 of another.
    if a.repository != b.repository:
        return False
    return a.path == b.path or (a.issue is not None and a.issue == b.issue)


def across_teams(
    entries: Sequence[LibraryEntry], *, window_days: int, subjects: int = 50, limit: int = 3
) -> list[tuple[LibraryEntry, list[LibraryEntry]]]:
    """For each of the newest `subjects` documents, the earlier documents of OTHER
    repositories that look like it (best first, at most `limit`): the same weakness showing
    up in another team. Documents without a similar one are left out."""
    dated = [e for e in entries if e.date is not None and not e.problem]
    dated.sort(key=lambda e: (-e.date.toordinal() if e.date else 0, e.path, e.repository or ""))
    found = []
    for subject in dated[:subjects]:
        others = (e for e in dated if e.repository != subject.repository)
        like = similar_incidents(subject, others, window_days=window_days, limit=limit)
        if like:
            found.append((subject, like))
    return found
