"""Similar incidents: earlier documents that share services, contributing-factor
categories or tags with a postmortem, best first."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
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
    undated subject. The subject itself (same path or same issue) is never included.
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
        if entry.path == me.path or (me.issue is not None and entry.issue == me.issue):
            continue
        score = _score(me, entry)
        if score:
            scored.append((-score, -entry.date.toordinal(), entry.path, position, entry))
    best = heapq.nsmallest(limit, scored) if limit is not None else sorted(scored)
    return [item[-1] for item in best]
