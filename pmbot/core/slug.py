"""File names from untrusted titles: a slug is `[a-z0-9-]`, never empty, never a path."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from pmbot.core.model import Postmortem
from pmbot.errors import FormError, Problem

MAX_SLUG = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, fallback: str = "incident", max_length: int = MAX_SLUG) -> str:
    """`Pay­ments: DB failover (São Paulo)` → `payments-db-failover-sao-paulo`.

    Only letters, digits and single dashes survive, so `..`, `/` and `\\` cannot; the
    fallback (itself slugged) covers titles with nothing left, such as `../..` or `事故`.
    """
    # NFKD splits "ã" into "a" + a combining mark, which the ASCII encode then drops.
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", folded.lower()).strip("-")
    if len(slug) > max_length:
        # Cut at a word boundary when there is one in the second half, so names stay readable.
        cut = slug[: max_length + 1].rfind("-")
        slug = slug[: cut if cut > max_length // 2 else max_length].strip("-")
    if slug:
        return slug
    fallback_slug = _NOT_SLUG.sub("-", fallback.lower()).strip("-")[:max_length].strip("-")
    return fallback_slug or "incident"


def document_name(pm: Postmortem, *, legacy: bool = False) -> PurePosixPath:
    """`YYYY/YYYY-MM-DD-<slug>-issue-<N>.md`, the document's path inside the docs folder.

    The issue number makes it unique: two postmortems with the same title and date must
    never share a document (or a branch, which is named after it). Without an issue (the
    offline `pmbot render`), and with `legacy` (the name pmbot gave documents before it added
    the number), it is `YYYY/YYYY-MM-DD-<slug>.md`."""
    day = pm.date
    if day is None:
        raise FormError(
            [
                Problem(
                    field="started_at",
                    message="the incident has no start, detection or resolution time, "
                    "so the document cannot be dated.",
                    fix="fill in when the incident started (UTC), e.g. 2025-03-01 14:02.",
                    line=pm.lines.get("started_at"),
                )
            ]
        )
    if pm.issue_number is None or legacy:
        fallback = "incident" if pm.issue_number is None else f"incident-{pm.issue_number}"
        slug = slugify(pm.title, fallback=fallback)
    else:
        suffix = f"-issue-{pm.issue_number}"
        slug = slugify(pm.title, max_length=MAX_SLUG - len(suffix)) + suffix
    return PurePosixPath(f"{day.year:04d}", f"{day.isoformat()}-{slug}.md")
