"""Fault injection and the primary rate limit.

A fault is chosen per request pattern (method and a regex on the path) and fires a number
of times: rate-limit refusals with `Retry-After`, 5xx answers, latency, or a connection
dropped after the write was applied (the client never learns whether its write happened).
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Literal, get_args

from pmbot.sandbox.routing import ApiError

FaultKind = Literal[
    "secondary_rate_limit",  # 403 with Retry-After and GitHub's secondary-limit message
    "too_many_requests",  # 429 with Retry-After
    "server_error",  # 500
    "bad_gateway",  # 502
    "service_unavailable",  # 503
    "latency",  # sleep `seconds`, then answer normally
    "drop_after_write",  # apply the request, then close the socket without answering
]
KINDS: tuple[str, ...] = get_args(FaultKind)
ALIASES = {
    "403": "secondary_rate_limit",
    "secondary": "secondary_rate_limit",
    "429": "too_many_requests",
    "500": "server_error",
    "502": "bad_gateway",
    "503": "service_unavailable",
    "drop": "drop_after_write",
}
RATE_LIMIT_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID "
    "0000:0000:0000000:0000000:00000000."
)


@dataclass
class Fault:
    kind: str
    method: str | None = None
    path_regex: str | None = None
    times: int | None = 1  # None: every matching request
    skip: int = 0  # let this many matching requests through first
    retry_after: int = 1
    seconds: float = 0.0
    fired: int = 0
    seen: int = 0
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        if self._pattern is None and self.path_regex is not None:
            self._pattern = re.compile(self.path_regex)
        return self._pattern is None or self._pattern.search(path) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def error(self) -> ApiError:
        """The refusal this fault answers with (not for latency or drops)."""
        wait = {"Retry-After": str(self.retry_after)}
        if self.kind == "secondary_rate_limit":
            return ApiError(403, SECONDARY_MESSAGE, headers=wait, documentation_url=RATE_LIMIT_DOCS)
        if self.kind == "too_many_requests":
            return ApiError(429, SECONDARY_MESSAGE, headers=wait, documentation_url=RATE_LIMIT_DOCS)
        if self.kind == "bad_gateway":
            return ApiError(502, "Server Error")
        if self.kind == "service_unavailable":
            return ApiError(503, "Service Unavailable")
        return ApiError(500, "Server Error")


class Faults:
    """The faults armed for the sandbox; thread-safe. Rules are tried in the order added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: list[Fault] = []

    def add(
        self,
        kind: str,
        method: str | None = None,
        path_regex: str | None = None,
        times: int | None = 1,
        skip: int = 0,
        retry_after: int = 1,
        seconds: float = 0.0,
    ) -> Fault:
        kind = ALIASES.get(kind, kind)
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {', '.join(KINDS)}")
        fault = Fault(kind, method, path_regex, times, skip, retry_after, seconds)
        with self._lock:
            self.rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that fire for this request: every matching latency rule, then at most
        one other rule (the first that matches)."""
        fired: list[Fault] = []
        with self._lock:
            for fault in self.rules:
                if fault.exhausted or not fault.matches(method, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                if fault.kind != "latency" and any(f.kind != "latency" for f in fired):
                    fault.seen -= 1
                    continue
                fault.fired += 1
                fired.append(fault)
            self.rules = [f for f in self.rules if not f.exhausted]
        return fired


class RateLimit:
    """GitHub's primary rate limit for one resource (`core` or `search`), in wall-clock time."""

    def __init__(self, limit: int, resource: str, window: int) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.resource = resource
        self.window = window
        self.used = 0
        self.reset = int(time.time()) + window

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def _roll(self) -> None:
        if time.time() >= self.reset:
            self.used, self.reset = 0, int(time.time()) + self.window

    def consume(self) -> bool:
        """Count one request; False (and nothing counted) when the limit is exhausted."""
        with self._lock:
            self._roll()
            if self.used >= self.limit:
                return False
            self.used += 1
            return True

    def refund(self) -> None:
        """304 answers are free."""
        with self._lock:
            self.used = max(0, self.used - 1)

    def set_remaining(self, remaining: int, reset_in: int | None = None) -> None:
        """Simulate a partly used (or exhausted, with 0) limit that resets in `reset_in` s."""
        with self._lock:
            self.used = max(0, self.limit - remaining)
            if reset_in is not None:
                self.reset = int(time.time()) + reset_in

    def headers(self) -> dict[str, str]:
        with self._lock:
            self._roll()
            return {
                "x-ratelimit-limit": str(self.limit),
                "x-ratelimit-remaining": str(self.remaining),
                "x-ratelimit-reset": str(self.reset),
                "x-ratelimit-used": str(self.used),
                "x-ratelimit-resource": self.resource,
            }

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            self._roll()
            return {
                "limit": self.limit,
                "remaining": self.remaining,
                "reset": self.reset,
                "used": self.used,
            }

    def exceeded(self, login_id: int) -> ApiError:
        message = (
            f"API rate limit exceeded for user ID {login_id}. If you reach out to GitHub "
            "Support for help, please include the request ID 0000:0000:0000000:0000000:00000000."
        )
        docs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
        return ApiError(403, message, headers=self.headers(), documentation_url=docs)


class ContentLimits:
    """GitHub's secondary limits on content-creating requests (80 a minute and 500 an hour
    for a token); off unless set, so tests that burst writes are not throttled by surprise."""

    def __init__(self, per_minute: int | None = None, per_hour: int | None = None) -> None:
        self._lock = threading.Lock()
        self.per_minute = per_minute
        self.per_hour = per_hour
        self._times: deque[float] = deque()

    def admit(self) -> int | None:
        """None when the write may go ahead (and is counted), else the seconds to wait."""
        with self._lock:
            now = time.monotonic()
            while self._times and now - self._times[0] >= 3600:
                self._times.popleft()
            for limit, window in ((self.per_minute, 60), (self.per_hour, 3600)):
                if limit is None:
                    continue
                recent = [t for t in self._times if now - t < window]
                if len(recent) >= limit:
                    return max(1, int(window - (now - recent[-limit])) + 1)
            self._times.append(now)
            return None

    def refusal(self, wait: int) -> ApiError:
        return Fault("secondary_rate_limit", retry_after=wait).error()
