"""Instants as text, in one format: UTC ISO 8601 to the second with a `Z`, as GitHub sends them
and as pmbot's markers hold them (`2026-01-09T12:00:00Z`)."""

from __future__ import annotations

from datetime import UTC, datetime

from pmbot.core.model import utc


def iso(moment: datetime) -> str:
    """`2026-01-09T12:00:00Z` (a naive datetime is refused, not guessed)."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """An ISO 8601 date or time, `Z` or any offset, as an aware UTC datetime; without an offset
    it is UTC. Raises ValueError for anything else."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
