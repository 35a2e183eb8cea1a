"""Impact numbers: the SLO (`99.9% over 30 days`), minutes of SLO-violating impact and the
share of requests (or users) those minutes affected."""

from __future__ import annotations

import re

from pmbot.core.parse.common import Unreadable, short

SLO_FIX = "write the target and window like '99.9% over 30 days' (the window defaults to 30)."
MINUTES_FIX = "write a number of minutes, e.g. 90 (or '1h 30m')."
SHARE_FIX = "write the share as a percentage, e.g. 38%, or leave it empty when everything failed."

_SLO = re.compile(
    r"(?P<target>\d{1,3}(?:\.\d+)?)\s*%"
    r"(?:\s*(?:over|per|in|across|/|,)?\s*(?:(?:a|the|rolling)\s+)*"
    r"(?P<count>\d+)\s*-?\s*(?P<unit>d|days?|w|weeks?))?",
    re.IGNORECASE,
)
_MAX_NUMBER_TEXT = 40
_SHARE = re.compile(
    r"(?:~|about|approx\.?|approximately|ca\.?)?\s*(?P<n>\d{1,3}(?:\.\d+)?|\.\d+)\s*(?P<pct>%)?"
    r"(?:\s+(?:of\s+)?(?:\w+\s*){0,4})?",
    re.IGNORECASE,
)
_SPAN = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>hours?|hrs?|h|minutes?|mins?|m)?\b", re.IGNORECASE
)


def parse_slo(text: str) -> tuple[float, int]:
    """'99.9% over 30 days' → (99.9, 30); '99.95%' → (99.95, 30)."""
    match = _SLO.fullmatch(text.strip().rstrip("."))
    if match is None:
        raise Unreadable(f"'{short(text)}' is not an SLO pmbot can read.", SLO_FIX)
    target = float(match["target"])
    if not 0 < target < 100:
        raise Unreadable(f"an SLO target of {target}% is impossible.", "use a value below 100%.")
    count = int(match["count"] or 30)
    days = count * 7 if (match["unit"] or "d").lower().startswith("w") else count
    if days <= 0:
        raise Unreadable("the SLO window is zero days.", SLO_FIX)
    return target, days


def parse_minutes(text: str) -> float:
    """'90', '~90 minutes', '1h 30m', '1.5 h' → minutes."""
    cleaned = re.sub(r"(?i)^(?:~|about|approx\.?|approximately|ca\.?)\s*", "", text.strip())
    cleaned = cleaned.replace(",", "").rstrip(".")
    if len(cleaned) > _MAX_NUMBER_TEXT:  # a number, not an essay; also bounds regex work
        raise Unreadable(f"'{short(text)}' is not a number of minutes.", MINUTES_FIX)
    parts = list(_SPAN.finditer(cleaned))
    if not parts or re.sub(_SPAN, "", cleaned).strip(" and"):
        raise Unreadable(f"'{short(text)}' is not a number of minutes.", MINUTES_FIX)
    return sum(float(p["n"]) * (60 if (p["unit"] or "m")[0].lower() == "h" else 1) for p in parts)


def parse_share(text: str) -> float:
    """'38%', '~38% of requests', '0.38' → 0.38: the fraction of requests (or users) failing."""
    cleaned = text.strip().rstrip(".")
    match = _SHARE.fullmatch(cleaned) if len(cleaned) <= _MAX_NUMBER_TEXT else None
    if match is None:
        raise Unreadable(f"'{short(text)}' is not a share of requests or users.", SHARE_FIX)
    value = float(match["n"])
    if match["pct"] is None and value >= 1:
        # "38" could be 38% or 38 users: only a fraction below 1 reads without a % sign.
        raise Unreadable(f"'{short(text)}' has no % sign.", SHARE_FIX)
    share = value / 100 if match["pct"] else value
    if not 0 < share <= 1:
        raise Unreadable(f"a share of {short(text)} is not between 0 and 100%.", SHARE_FIX)
    return share
