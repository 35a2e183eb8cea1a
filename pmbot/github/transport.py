"""HTTP to GitHub, one request at a time: retry, pacing, rate-limit waits, ETags, pages, counts.

PyGithub supplies authentication, the base URL (github.com, GHES or the sandbox) and
token-masked debug logging. Requests go through `Github.requester`, PyGithub's documented way
to call any endpoint, because pmbot needs what its object layer hides: conditional requests
(304s are free), an exact count of requests, snapshots built from list responses, and control
over which requests may be repeated. PyGithub's own retry and throttling are switched off
(`retry=None` gives requests' HTTPAdapter zero retries, so urllib3 never repeats a POST), and
`Transport` decides instead: reads are retried, a write whose answer was lost is checked
before anything is sent again.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from github import Auth, Github

from pmbot.errors import GitHubError, Problem
from pmbot.github.models import GitHubSettings, RequestStats

Sleep = Callable[[float], None]
Clock = Callable[[], float]
# What a GET answer's JSON becomes before it is returned and cached for its ETag: list pages
# keep their snapshots (several times smaller than the parsed JSON), not the raw dicts.
Convert = Callable[[Any], Any]
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
# GitHub asks clients to wait at least a minute after a secondary limit that names no time.
_SECONDARY_DEFAULT_WAIT = 60.0
_MAX_LIMIT_WAITS = 5  # per request: a limit that keeps coming back is an error, not a wait


class GitHubHTTPError(GitHubError):
    """GitHub answered with an error status pmbot did not expect."""

    def __init__(self, method: str, path: str, status: int, data: Any) -> None:
        self.method, self.path, self.status, self.data = method, path, status, data
        message = data.get("message") if isinstance(data, dict) else None
        super().__init__(
            [
                Problem(
                    field="GitHub API",
                    message=f"{method} {path} answered {status} {message or ''}".rstrip() + ".",
                    fix=_fix_for(status),
                )
            ]
        )


class RateLimitError(GitHubError):
    """Waiting for a rate limit would take longer than the configured bound."""


class LostWriteError(GitHubError):
    """A write's answer was lost and checking could not tell whether it was applied."""


def _fix_for(status: int) -> str:
    if status == 401:
        return "Check GITHUB_TOKEN: it is invalid or expired."
    if status in (403, 404):
        return "Check GITHUB_REPOSITORY and that the token may read and write issues here."
    if status == 422:
        return "GitHub rejected the content; see the message for the field."
    return "Retry later; GitHub may be having an incident (https://www.githubstatus.com)."


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    data: Any
    converted: bool = False  # data is already what the request's `convert` makes of it

    @property
    def next_url(self) -> str | None:
        match = _LINK_NEXT.search(self.headers.get("link", ""))
        return match.group(1) if match else None


class Lost(Exception):
    """A write was sent and its answer lost (dropped connection, timeout, or 5xx)."""


class _Pacer:
    """At most N content-creating requests per minute and M per hour (GitHub's secondary limits)."""

    def __init__(self, per_minute: int, per_hour: int, clock: Clock, wait: Sleep) -> None:
        self.windows = ((60.0, per_minute), (3600.0, per_hour))
        self.sent: deque[float] = deque()
        self.clock, self.wait = clock, wait

    def before_write(self) -> None:
        for seconds, limit in self.windows:
            now = self.clock()
            recent = [t for t in self.sent if t > now - seconds]
            if len(recent) >= limit:
                self.wait(recent[-limit] + seconds - now)
        self.sent.append(self.clock())
        while len(self.sent) > max(limit for _, limit in self.windows):
            self.sent.popleft()


class _Counters:
    def __init__(self) -> None:
        self.by_method: Counter[str] = Counter()
        self.not_modified = self.retries = self.waits = 0
        self.waited = 0.0

    def snapshot(self) -> RequestStats:
        writes = sum(n for m, n in self.by_method.items() if m in WRITE_METHODS)
        total = sum(self.by_method.values())
        return RequestStats(
            requests=total,
            reads=total - writes,
            writes=writes,
            not_modified=self.not_modified,
            by_method=tuple(sorted(self.by_method.items())),
            retries=self.retries,
            waits=self.waits,
            waited_seconds=round(self.waited, 3),
        )


class Transport:
    """One HTTP request at a time: counting, pacing, rate-limit waits, read retries, ETags."""

    def __init__(
        self,
        settings: GitHubSettings,
        pace: bool,
        sleep: Sleep,
        clock: Clock,
        log: logging.Logger,
    ) -> None:
        self.settings, self.sleep, self.clock, self.log = settings, sleep, clock, log
        client = Github(
            auth=Auth.Token(settings.token),
            base_url=settings.api_url,
            timeout=settings.timeout_seconds,
            per_page=100,
            retry=None,  # no urllib3 retries: a repeated POST could duplicate an issue
            seconds_between_requests=None,  # pacing is ours, with an injectable sleep
            seconds_between_writes=None,
            user_agent="pmbot",
        )
        self.requester = client.requester
        self.counters = _Counters()
        # url and converter -> (ETag, answer): what a 304 needs to give the same result again
        self.etags: dict[tuple[str, Convert | None], tuple[str, Answer]] = {}
        self.pacer = (
            _Pacer(settings.writes_per_minute, settings.writes_per_hour, clock, self._wait)
            if pace
            else None
        )

    def call(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        *,
        repeatable: bool | None = None,
        convert: Convert | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send until there is an answer to give. `repeatable` defaults to True for GET only.
        `convert` turns a GET's JSON into what is returned and kept for its ETag.

        Raises `Lost` when a non-repeatable write's answer was lost, GitHubHTTPError for >= 400.
        """
        repeatable = method == "GET" if repeatable is None else repeatable
        full = _with_query(url, params)
        attempts = limited = 0
        while True:
            answer = self._attempt(method, full, body, repeatable, convert, headers)
            if answer is None:  # lost, and repeating is safe
                attempts += 1
                if attempts > self.settings.read_retries:
                    raise _error(
                        f"{method} {url_path(full)} got no answer in {attempts} tries.",
                        "Check GITHUB_API_URL and the network; GitHub may be having an incident.",
                    )
                self._backoff(attempts)
                continue
            wait = self._rate_limit_wait(answer)
            if wait is not None:
                limited += 1
                self._wait_for_limit(method, full, wait, limited)
                continue
            if answer.status >= 500 and repeatable and attempts < self.settings.read_retries:
                attempts += 1
                self._backoff(attempts)
                continue
            if answer.status >= 500 and not repeatable:
                raise Lost(f"{method} {url_path(full)} answered {answer.status}")
            return self._finish(method, full, answer, convert)

    def _attempt(
        self,
        method: str,
        url: str,
        body: Any,
        repeatable: bool,
        convert: Convert | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Answer | None:
        if method in WRITE_METHODS and self.pacer is not None:
            self.pacer.before_write()
        headers = {"Accept": "application/vnd.github+json", **(extra or {})}
        cached = self.etags.get((url, convert)) if method == "GET" else None
        if cached:
            headers["If-None-Match"] = cached[0]
        self.counters.by_method[method] += 1
        try:
            status, raw_headers, text = self.requester.requestJson(method, url, None, headers, body)
        except requests.RequestException as exc:
            name = type(exc).__name__
            self.log.warning("GitHub %s %s: no answer (%s)", method, url_path(url), name)
            if repeatable:
                return None
            raise Lost(f"{method} {url_path(url)}: {type(exc).__name__}") from exc
        lowered = {k.lower(): str(v) for k, v in raw_headers.items()}
        self.log.debug("GitHub %s %s -> %s", method, url_path(url), status)
        if status == 304:  # free: not counted against the rate limit
            self.counters.not_modified += 1
            return cached[1] if cached else Answer(304, lowered, None)
        return Answer(status, lowered, _json(text))

    def _finish(
        self, method: str, url: str, answer: Answer, convert: Convert | None = None
    ) -> Answer:
        if answer.status >= 400:
            raise GitHubHTTPError(method, url_path(url), answer.status, answer.data)
        if convert is not None and not answer.converted:
            answer = Answer(answer.status, answer.headers, convert(answer.data), converted=True)
        etag = answer.headers.get("etag")
        if method == "GET" and etag:
            self.etags[(url, convert)] = (etag, answer)
        return answer

    def _rate_limit_wait(self, answer: Answer) -> float | None:
        """Seconds to wait when the answer is a primary or secondary rate limit, else None."""
        if answer.status not in (403, 429):
            return None
        retry_after = answer.headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:  # an HTTP date: GitHub sends seconds, a proxy might not
                return _SECONDARY_DEFAULT_WAIT
        if answer.headers.get("x-ratelimit-remaining") == "0":
            reset = float(answer.headers.get("x-ratelimit-reset", "0"))
            return max(0.0, reset - self.clock()) + 1.0  # +1: GitHub's reset is whole seconds
        message = answer.data.get("message", "") if isinstance(answer.data, dict) else ""
        if answer.status == 429 or "rate limit" in str(message).lower():
            return _SECONDARY_DEFAULT_WAIT
        return None  # a plain 403 (permissions) is an error, not a limit

    def _wait_for_limit(self, method: str, url: str, seconds: float, times: int) -> None:
        where = f"{method} {url_path(url)}"
        if times > _MAX_LIMIT_WAITS:
            raise RateLimitError(_problem(f"still rate limited on {where} after {times} waits."))
        if seconds > self.settings.max_wait_seconds:
            bound = self.settings.max_wait_seconds
            raise RateLimitError(
                _problem(
                    f"rate limited on {where}; GitHub asks to wait {seconds:.0f}s, over the "
                    f"{bound:.0f}s bound."
                )
            )
        self.log.warning("GitHub rate limit on %s: waiting %.1fs", where, seconds)
        self.counters.retries += 1
        self._wait(seconds)

    def pause(self, seconds: float) -> None:
        """Wait on purpose before a request (counted and bounded like every wait)."""
        self._wait(seconds)

    def _wait(self, seconds: float) -> None:
        if seconds > self.settings.max_wait_seconds:
            bound = self.settings.max_wait_seconds
            raise RateLimitError(
                _problem(
                    f"pacing writes needs a {seconds:.0f}s pause, over the {bound:.0f}s bound."
                )
            )
        self.counters.waits += 1
        self.counters.waited += seconds
        self.sleep(seconds)

    def _backoff(self, attempt: int) -> None:
        self.counters.retries += 1
        self._wait(min(2.0 ** (attempt - 1), 30.0))

    def pages(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        convert: Convert | None = None,
    ) -> list[Any]:
        """Every item of a paginated list, following `Link: rel="next"` (per_page=100); with
        `convert` (one page's JSON -> a list), each page is converted as it arrives."""
        return [item for page in self.each_page(url, params, convert=convert) for item in page]

    def each_page(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        max_pages: int | None = None,
        convert: Convert | None = None,
    ) -> Iterator[list[Any]]:
        """A paginated list one page at a time (at most max_pages). With `convert`, a page's
        raw JSON is dropped once converted, and the ETag cache keeps only the conversion."""
        answer = self.call("GET", url, {**(params or {}), "per_page": 100}, convert=convert)
        read = 1
        while True:
            yield list(answer.data or [])
            next_url = answer.next_url
            if not next_url or (max_pages is not None and read >= max_pages):
                return
            answer = self.call("GET", next_url, convert=convert)
            read += 1


def _problem(message: str) -> list[Problem]:
    fix = "Run again after the limit resets; the next run resumes the remaining work."
    return [Problem(field="GitHub API", message=message, fix=fix)]


def _error(message: str, fix: str) -> GitHubError:
    return GitHubError([Problem(field="GitHub API", message=message, fix=fix)])


def _with_query(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(dict(params))}"


def url_path(url: str) -> str:
    """The path without host or query: safe for logs and messages."""
    return urllib.parse.urlsplit(url).path


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:  # a proxy's HTML error page, say
        return {"message": text[:200]}
