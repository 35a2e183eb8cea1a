"""The GitHub adapter: the only module that imports PyGithub; it returns pmbot's own models.

PyGithub supplies authentication, the base URL (github.com, GHES or the sandbox) and
token-masked debug logging. Requests go through `Github.requester`, PyGithub's documented way
to call any endpoint, because pmbot needs what its object layer hides: conditional requests
(304s are free), an exact count of requests, snapshots built from list responses, and control
over which requests may be repeated. PyGithub's own retry and throttling are switched off
(`retry=None` gives requests' HTTPAdapter zero retries, so urllib3 never repeats a POST), and
`_Transport` decides instead: reads are retried, a write whose answer was lost is checked
before anything is sent again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
import urllib.parse
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from github import Auth, Github

from pmbot.core import markers
from pmbot.errors import GitHubError, Problem
from pmbot.github.models import (
    AssignResult,
    BranchResult,
    CommentResult,
    CommentSnapshot,
    FileSnapshot,
    FilesResult,
    GitHubSettings,
    IssueSnapshot,
    LabelSpec,
    PullResult,
    PullSnapshot,
    RateLimit,
    RequestStats,
    SubIssueResult,
)

__all__ = [
    "GitHub",
    "GitHubHTTPError",
    "GitHubSettings",
    "LostWriteError",
    "RateLimitError",
    "git_blob_sha",
]

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


def git_blob_sha(text: str) -> str:
    """The sha git (and the contents API) gives a file with this text."""
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Mapping[str, str]
    data: Any
    converted: bool = False  # data is already what the request's `convert` makes of it

    @property
    def next_url(self) -> str | None:
        match = _LINK_NEXT.search(self.headers.get("link", ""))
        return match.group(1) if match else None


class _Lost(Exception):
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


class _Transport:
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
        self.etags: dict[tuple[str, Convert | None], tuple[str, _Answer]] = {}
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
    ) -> _Answer:
        """Send until there is an answer to give. `repeatable` defaults to True for GET only.
        `convert` turns a GET's JSON into what is returned and kept for its ETag.

        Raises `_Lost` when a non-repeatable write's answer was lost, GitHubHTTPError for >= 400.
        """
        repeatable = method == "GET" if repeatable is None else repeatable
        full = _with_query(url, params)
        attempts = limited = 0
        while True:
            answer = self._attempt(method, full, body, repeatable, convert)
            if answer is None:  # lost, and repeating is safe
                attempts += 1
                if attempts > self.settings.read_retries:
                    raise _error(
                        f"{method} {_path(full)} got no answer in {attempts} tries.",
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
                raise _Lost(f"{method} {_path(full)} answered {answer.status}")
            return self._finish(method, full, answer, convert)

    def _attempt(
        self, method: str, url: str, body: Any, repeatable: bool, convert: Convert | None = None
    ) -> _Answer | None:
        if method in WRITE_METHODS and self.pacer is not None:
            self.pacer.before_write()
        headers = {"Accept": "application/vnd.github+json"}
        cached = self.etags.get((url, convert)) if method == "GET" else None
        if cached:
            headers["If-None-Match"] = cached[0]
        self.counters.by_method[method] += 1
        try:
            status, raw_headers, text = self.requester.requestJson(method, url, None, headers, body)
        except requests.RequestException as exc:
            name = type(exc).__name__
            self.log.warning("GitHub %s %s: no answer (%s)", method, _path(url), name)
            if repeatable:
                return None
            raise _Lost(f"{method} {_path(url)}: {type(exc).__name__}") from exc
        lowered = {k.lower(): str(v) for k, v in raw_headers.items()}
        self.log.debug("GitHub %s %s -> %s", method, _path(url), status)
        if status == 304 and cached:
            self.counters.not_modified += 1
            return cached[1]
        return _Answer(status, lowered, _json(text))

    def _finish(
        self, method: str, url: str, answer: _Answer, convert: Convert | None = None
    ) -> _Answer:
        if answer.status >= 400:
            raise GitHubHTTPError(method, _path(url), answer.status, answer.data)
        if convert is not None and not answer.converted:
            answer = _Answer(answer.status, answer.headers, convert(answer.data), converted=True)
        etag = answer.headers.get("etag")
        if method == "GET" and etag:
            self.etags[(url, convert)] = (etag, answer)
        return answer

    def _rate_limit_wait(self, answer: _Answer) -> float | None:
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
        where = f"{method} {_path(url)}"
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


def _path(url: str) -> str:
    """The path without host or query: safe for logs and messages."""
    return urllib.parse.urlsplit(url).path


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:  # a proxy's HTML error page, say
        return {"message": text[:200]}


def _issue_page(data: Any) -> list[IssueSnapshot]:
    return [IssueSnapshot.from_api(i) for i in data or []]


def _comment_page(data: Any) -> list[CommentSnapshot]:
    return [CommentSnapshot.from_api(c) for c in data or []]


def _merges(data: Any) -> list[tuple[str, datetime]]:
    """(head branch, merged at) of the merged pull requests in a page of the pulls list."""
    return [
        (str((p.get("head") or {}).get("ref") or ""), _parse_time(str(p["merged_at"])))
        for p in data or []
        if p.get("merged_at")
    ]


def _commit_dates(data: Any) -> list[tuple[str, datetime]]:
    """(message, committer date) of each commit in a page of the commits list."""
    found = []
    for entry in data or []:
        commit = entry.get("commit") or {}
        when = (commit.get("committer") or commit.get("author") or {}).get("date")
        if when:
            found.append((str(commit.get("message") or ""), _parse_time(str(when))))
    return found


def _parse_time(text: str) -> datetime:
    """GitHub's `2026-01-09T12:00:00Z`, timezone-aware."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitHub:
    """pmbot's view of one repository on GitHub (or GHES, or the sandbox)."""

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        pace: bool = True,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        self.settings = settings
        self.log = logger or logging.getLogger("pmbot.github.client")
        self.http = _Transport(settings, pace, sleep, clock, self.log)
        self.repo = f"/repos/{settings.owner}/{settings.name}"
        self._labels: set[str] | None = None
        self._login: str | None = None
        self._default_branch: str | None = None

    @property
    def stats(self) -> RequestStats:
        return self.http.counters.snapshot()

    # ---- rate limit -------------------------------------------------------------------------

    def rate_limit(self) -> RateLimit:
        core = self.http.call("GET", "/rate_limit").data["resources"]["core"]
        return RateLimit(
            limit=core["limit"],
            remaining=core["remaining"],
            used=core.get("used", core["limit"] - core["remaining"]),
            reset=datetime.fromtimestamp(core["reset"], tz=UTC),
        )

    def log_rate_limit(self, when: str) -> RateLimit | None:
        """Log the remaining core rate limit (GHES may have none: that is logged, not raised)."""
        try:
            limit = self.rate_limit()
        except GitHubHTTPError as exc:
            self.log.info("GitHub rate limit at %s: unavailable (%s)", when, exc.status)
            return None
        self.log.info(
            "GitHub rate limit at %s: %d of %d remaining, resets %s",
            when,
            limit.remaining,
            limit.limit,
            limit.reset.strftime("%H:%M:%S UTC"),
        )
        return limit

    # ---- reads ------------------------------------------------------------------------------

    def get_issue(self, number: int) -> IssueSnapshot:
        return IssueSnapshot.from_api(self.http.call("GET", f"{self.repo}/issues/{number}").data)

    def list_issues(
        self,
        labels: Sequence[str] = (),
        state: str = "open",
        since: datetime | None = None,
    ) -> list[IssueSnapshot]:
        """Issues (not pull requests) from the list responses alone: one request per 100."""
        params: dict[str, Any] = {"state": state}
        if labels:
            params["labels"] = ",".join(labels)
        if since is not None:
            params["since"] = _iso(since)
        items = self.http.pages(f"{self.repo}/issues", params, convert=_issue_page)
        return [i for i in items if not i.is_pull_request]

    def list_comments(self, number: int) -> list[CommentSnapshot]:
        return self.http.pages(f"{self.repo}/issues/{number}/comments", convert=_comment_page)

    def read_file(self, path: str, ref: str | None = None) -> FileSnapshot | None:
        """A text file from the contents API, or None where there is none."""
        try:
            data = self.http.call("GET", self._contents_url(path), _ref(ref)).data
        except GitHubHTTPError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        if not data.get("content") and data.get("size", 0):  # over 1 MB: content is left out
            return FileSnapshot(path=path, sha=data["sha"], text=self.read_blobs([data["sha"]])[0])
        return FileSnapshot(path=path, sha=data["sha"], text=_decode(data.get("content", "")))

    def list_tree(self, prefix: str = "", ref: str | None = None) -> list[tuple[str, str]]:
        """(path, blob sha) of every file under prefix, in one request (git trees, recursive)."""
        folder = prefix.strip("/")
        return [
            (path, sha)
            for path, sha in self._tree(ref or self.default_branch())[1]
            if not folder or path == folder or path.startswith(folder + "/")
        ]

    def _tree(self, ref: str) -> tuple[str, list[tuple[str, str]]]:
        """The tree sha of ref (a branch or a commit sha) and (path, blob sha) of every file."""
        tree_ref = urllib.parse.quote(ref, safe="")
        data = self.http.call("GET", f"{self.repo}/git/trees/{tree_ref}", {"recursive": 1}).data
        if data.get("truncated"):
            self.log.warning("git tree of %s is truncated; some files are not listed", tree_ref)
        files = [(e["path"], e["sha"]) for e in data.get("tree", []) if e.get("type") == "blob"]
        return str(data["sha"]), files

    def read_blobs(self, shas: Iterable[str]) -> list[str]:
        """The text of each blob, in order (one request per blob)."""
        return [
            _decode(self.http.call("GET", f"{self.repo}/git/blobs/{sha}").data["content"])
            for sha in shas
        ]

    def default_branch(self) -> str:
        if self._default_branch is None:
            self._default_branch = str(self.http.call("GET", self.repo).data["default_branch"])
        return self._default_branch

    def author_permission(self, login: str) -> str:
        """admin, maintain, write, triage, read or none (none also for unknown users).

        `role_name` first: the legacy `permission` field reports Maintain as write.
        """
        url = f"{self.repo}/collaborators/{urllib.parse.quote(login)}/permission"
        try:
            data = self.http.call("GET", url).data
        except GitHubHTTPError as exc:
            if exc.status == 404:
                return "none"
            raise
        return str(data.get("role_name") or data.get("permission") or "none")

    def can_assign(self, login: str) -> bool:
        try:
            self.http.call("GET", f"{self.repo}/assignees/{urllib.parse.quote(login)}")
        except GitHubHTTPError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def login(self) -> str:
        """Who pmbot is: the token's user; the Actions bot when /user is not open to the token."""
        if self._login is None:
            try:
                self._login = str(self.http.call("GET", "/user").data["login"])
            except GitHubHTTPError as exc:
                if exc.status not in (401, 403, 404):
                    raise
                self._login = "github-actions[bot]"
        return self._login

    # ---- issue writes -----------------------------------------------------------------------

    def create_issue(
        self,
        title: str,
        body: str,
        labels: Sequence[str] = (),
        assignees: Sequence[str] = (),
        *,
        marker: str,
    ) -> IssueSnapshot:
        """Create an issue whose body carries `marker`, so a lost answer can be checked for."""
        if marker not in body:
            body = f"{body.rstrip()}\n\n{marker}\n"
        payload: dict[str, Any] = {"title": title, "body": body, "labels": list(labels)}
        if assignees:
            payload["assignees"] = list(assignees)
        try:
            data = self._post_once(f"{self.repo}/issues", payload, lambda: self._find_issue(marker))
        except GitHubHTTPError as exc:
            if exc.status != 422 or not assignees or not _mentions(exc, "assignee"):
                raise
            # An assignee GitHub refuses must not stop the item being filed; it stays unowned.
            self.log.warning("GitHub refused assignees %s; creating unassigned", list(assignees))
            payload.pop("assignees")
            data = self._post_once(f"{self.repo}/issues", payload, lambda: self._find_issue(marker))
        return IssueSnapshot.from_api(data)

    def _find_issue(self, marker: str) -> Any:
        """The newest issue whose body holds marker (a list call, not search: no index lag)."""
        params = {"state": "all", "sort": "created", "direction": "desc", "per_page": 100}
        found = self.http.call("GET", f"{self.repo}/issues", params).data
        return next((i for i in found if marker in (i.get("body") or "")), None)

    def update_issue(self, number: int, **changes: Any) -> IssueSnapshot:
        """PATCH title, body, state, state_reason, labels, assignees, milestone (repeatable)."""
        url = f"{self.repo}/issues/{number}"
        data = self.http.call("PATCH", url, body=changes, repeatable=True).data
        return IssueSnapshot.from_api(data)

    def ensure_labels(self, specs: Iterable[LabelSpec]) -> list[str]:
        """Create the labels that do not exist yet; returns the names created."""
        if self._labels is None:
            self._labels = {
                label["name"].lower() for label in self.http.pages(f"{self.repo}/labels")
            }
        created = []
        for spec in specs:
            if spec.name.lower() in self._labels:
                continue
            self._create_label(spec)
            self._labels.add(spec.name.lower())
            created.append(spec.name)
        return created

    def _create_label(self, spec: LabelSpec) -> None:
        payload = {"name": spec.name, "color": spec.color, "description": spec.description}
        url = f"{self.repo}/labels"
        check = lambda: self._get_or_none(f"{url}/{urllib.parse.quote(spec.name, safe='')}")  # noqa: E731
        try:
            self._post_once(url, payload, check)
        except GitHubHTTPError as exc:
            if exc.status != 422 or not _mentions(exc, "already_exists"):
                raise  # someone else creating it at the same moment is fine

    def add_labels(self, number: int, labels: Sequence[str]) -> tuple[str, ...]:
        """Add labels (adding one already there changes nothing, so this is repeatable)."""
        url = f"{self.repo}/issues/{number}/labels"
        data = self.http.call("POST", url, body={"labels": list(labels)}, repeatable=True).data
        return tuple(label["name"] for label in data)

    def remove_label(self, number: int, name: str) -> bool:
        """Remove a label; False when it was not there (404 is the answer to that)."""
        url = f"{self.repo}/issues/{number}/labels/{urllib.parse.quote(name, safe='')}"
        try:
            self.http.call("DELETE", url, repeatable=True)
        except GitHubHTTPError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def set_assignees(self, number: int, logins: Sequence[str]) -> AssignResult:
        """Replace the assignees; logins GitHub refuses (422) are reported, not raised."""
        url = f"{self.repo}/issues/{number}"
        try:
            data = self.http.call("PATCH", url, body={"assignees": list(logins)}, repeatable=True)
        except GitHubHTTPError as exc:
            if exc.status != 422:
                raise
            return self._assign_valid(number, logins, exc)
        return AssignResult(number=number, assigned=IssueSnapshot.from_api(data.data).assignees)

    def _assign_valid(
        self, number: int, logins: Sequence[str], exc: GitHubHTTPError
    ) -> AssignResult:
        valid = [login for login in logins if self.can_assign(login)]
        refused = tuple(login for login in logins if login not in valid)
        url = f"{self.repo}/issues/{number}"
        data = self.http.call("PATCH", url, body={"assignees": valid}, repeatable=True).data
        reason = (
            f"GitHub cannot assign {', '.join(refused) or 'them'} here: {exc.problems[0].message}"
        )
        return AssignResult(
            number=number,
            assigned=IssueSnapshot.from_api(data).assignees,
            unassigned=refused or tuple(logins),
            reason=reason,
        )

    # ---- comments ---------------------------------------------------------------------------

    def create_comment(self, number: int, body: str) -> CommentSnapshot:
        """A new comment; if its answer is lost, an identical comment by pmbot counts as it."""
        url = f"{self.repo}/issues/{number}/comments"
        data = self._post_once(url, {"body": body}, lambda: self._find_comment(number, body))
        return CommentSnapshot.from_api(data)

    def _find_comment(self, number: int, body: str) -> Any:
        me = self.login()
        for comment in reversed(self.http.pages(f"{self.repo}/issues/{number}/comments")):
            if comment.get("body") == body and (comment.get("user") or {}).get("login") == me:
                return comment
        return None

    def upsert_comment(self, number: int, marker_kind: str, body: str) -> CommentResult:
        """pmbot's one comment of this kind: created once, then edited only when it changed."""
        if not markers.has(body, marker_kind):
            body = markers.replace(body, marker_kind, {})
        mine = self._own_comment(number, marker_kind)
        if mine is None:
            return CommentResult(comment=self.create_comment(number, body), action="created")
        if mine.body.rstrip() == body.rstrip():
            return CommentResult(comment=mine, action="unchanged")
        return CommentResult(comment=self.edit_comment(mine.id, body), action="updated")

    def edit_comment(self, comment_id: int, body: str) -> CommentSnapshot:
        """Replace a comment's text (the same PATCH twice changes nothing, so it may repeat)."""
        url = f"{self.repo}/issues/comments/{comment_id}"
        data = self.http.call("PATCH", url, body={"body": body}, repeatable=True).data
        return CommentSnapshot.from_api(data)

    def _own_comment(self, number: int, marker_kind: str) -> CommentSnapshot | None:
        # Only pmbot's own comments count: anyone can paste a marker into a comment of theirs.
        me = self.login()
        for comment in self.list_comments(number):
            if comment.author == me and markers.has(comment.body, marker_kind):
                return comment
        return None

    # ---- sub-issues -------------------------------------------------------------------------

    def add_sub_issue(
        self, parent_number: int, child_issue_id: int, *, child_number: int
    ) -> SubIssueResult:
        """Link child under parent by its id; a task-list line where sub-issues do not exist."""
        url = f"{self.repo}/issues/{parent_number}/sub_issues"
        check = lambda: self._find_sub_issue(parent_number, child_issue_id)  # noqa: E731
        result = SubIssueResult(
            parent_number=parent_number, child_number=child_number, method="sub-issue", changed=True
        )
        try:
            self._post_once(url, {"sub_issue_id": child_issue_id}, check)
        except GitHubHTTPError as exc:
            if exc.status in (404, 410):
                return self._task_list_link(parent_number, child_number)
            if exc.status == 422 and self._find_sub_issue(parent_number, child_issue_id):
                return result.model_copy(update={"changed": False})  # already linked
            raise
        return result

    def list_sub_issues(self, parent_number: int) -> list[IssueSnapshot] | None:
        """The parent's sub-issues; None where the server has none (404/410, older GHES)."""
        try:
            url = f"{self.repo}/issues/{parent_number}/sub_issues"
            return self.http.pages(url, convert=_issue_page)
        except GitHubHTTPError as exc:
            if exc.status in (404, 410):
                return None
            raise

    def _find_sub_issue(self, parent_number: int, child_issue_id: int) -> Any:
        children = self.http.pages(f"{self.repo}/issues/{parent_number}/sub_issues")
        return next((c for c in children if c.get("id") == child_issue_id), None)

    def _task_list_link(self, parent_number: int, child_number: int) -> SubIssueResult:
        parent = self.get_issue(parent_number)
        changed = not re.search(rf"^\s*- \[[ xX]\] #{child_number}\b", parent.body, re.MULTILINE)
        if changed:
            body = f"{parent.body.rstrip()}\n- [ ] #{child_number}\n"
            self.update_issue(parent_number, body=body)
        return SubIssueResult(
            parent_number=parent_number,
            child_number=child_number,
            method="task-list",
            changed=changed,
        )

    # ---- branches, files, pull requests -----------------------------------------------------

    def ensure_branch(self, name: str, from_branch: str) -> BranchResult:
        existing = self._branch_sha(name)
        if existing is not None:
            return BranchResult(name=name, sha=existing, created=False)
        source = self._branch_sha(from_branch)
        if source is None:
            raise GitHubError(
                [
                    Problem(
                        field="branch",
                        message=f"{from_branch!r} not found in {self.settings.repository}.",
                        fix="Create it, or configure the branch pmbot should start from.",
                    )
                ]
            )
        payload = {"ref": f"refs/heads/{name}", "sha": source}
        check = lambda: self._get_or_none(f"{self.repo}/git/ref/heads/{name}")  # noqa: E731
        try:
            self._post_once(f"{self.repo}/git/refs", payload, check)
        except GitHubHTTPError as exc:
            if exc.status != 422:
                raise  # 422: it appeared meanwhile ("Reference already exists")
        return BranchResult(name=name, sha=source, created=True)

    def _branch_sha(self, name: str) -> str | None:
        data = self._get_or_none(f"{self.repo}/git/ref/heads/{name}")
        return None if data is None else str(data["object"]["sha"])

    def commit_files(
        self, branch: str, files: Mapping[str, str], message: str, *, head: str | None = None
    ) -> FilesResult:
        """Every changed file in ONE commit on branch (git data API); unchanged blobs are
        skipped, and nothing is written when nothing changed.

        Reads the ref and its tree once, then POSTs a tree (base_tree + the changed files
        inline) and a commit, and moves the ref without force. Tree and commit are
        content-addressed, so repeating them after a lost answer is harmless. The ref update:
        a 422 (someone pushed meanwhile: not a fast-forward) starts once more from the new
        head; a lost answer is checked by reading the ref before anything is sent again.
        `head`, the branch's commit when the caller has just read it, saves reading the ref
        (a stale one only costs the 422 and one more try).
        """
        head = head or self._require_branch(branch)
        landed: tuple[str, ...] = ()  # what a ref update whose answer was lost would have written
        for attempt in (1, 2):
            base_tree, listed = self._tree(head)
            current = dict(listed)
            changed = {p: t for p, t in files.items() if current.get(p) != git_blob_sha(t)}
            unchanged = tuple(p for p in files if p not in changed)
            if not changed:
                # After a lost ref update, this is our commit having landed after all (or
                # someone writing the very same text meanwhile).
                kept = tuple(p for p in unchanged if p not in landed)
                return FilesResult(written=landed, unchanged=kept)
            sha = self._write_commit(head, base_tree, changed, message)
            if sha is None:  # the new tree is the base tree: nothing to commit
                return FilesResult(written=(), unchanged=tuple(files))
            url = f"{self.repo}/git/refs/heads/{branch}"
            try:
                self.http.call("PATCH", url, body={"sha": sha, "force": False})
                return FilesResult(written=tuple(changed), unchanged=unchanged)
            except GitHubHTTPError as exc:
                if exc.status != 422 or attempt == 2:
                    raise
                self.log.warning("GitHub ref %s moved meanwhile; committing again", branch)
            except _Lost as exc:
                self.log.warning("GitHub PATCH %s: answer lost (%s); checking", _path(url), exc)
                if self._branch_sha(branch) == sha:
                    return FilesResult(written=tuple(changed), unchanged=unchanged)
                if attempt == 2:
                    raise LostWriteError(f"PATCH {_path(url)}: answer lost twice") from exc
                landed = tuple(changed)
            head = self._require_branch(branch)
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_commit(
        self, parent: str, base_tree: str, changed: Mapping[str, str], message: str
    ) -> str | None:
        """The sha of a new commit on parent with changed written over base_tree (None when
        that changes nothing). Both POSTs create content-addressed objects: repeatable."""
        entries = [
            {"path": p, "mode": "100644", "type": "blob", "content": t} for p, t in changed.items()
        ]
        body = {"base_tree": base_tree, "tree": entries}
        tree = self.http.call("POST", f"{self.repo}/git/trees", body=body, repeatable=True).data
        if tree["sha"] == base_tree:
            return None
        body = {"message": message, "tree": tree["sha"], "parents": [parent]}
        commit = self.http.call("POST", f"{self.repo}/git/commits", body=body, repeatable=True)
        return str(commit.data["sha"])

    def _require_branch(self, name: str) -> str:
        sha = self._branch_sha(name)
        if sha is None:
            raise GitHubError(
                [
                    Problem(
                        field="branch",
                        message=f"{name!r} not found in {self.settings.repository}.",
                        fix="Create it, or configure the branch pmbot should publish to.",
                    )
                ]
            )
        return sha

    def open_or_update_pull(self, head: str, base: str, title: str, body: str) -> PullResult:
        """The one open pull request from head into base: found first, created only if absent."""
        existing = self._open_pull(head, base)
        if existing is not None:
            pull = PullSnapshot.from_api(existing)
            if (pull.title, pull.body.rstrip()) == (title, body.rstrip()):
                return PullResult(pull=pull, action="unchanged")
            url = f"{self.repo}/pulls/{pull.number}"
            changes = {"title": title, "body": body}
            data = self.http.call("PATCH", url, body=changes, repeatable=True).data
            return PullResult(pull=PullSnapshot.from_api(data), action="updated")
        payload = {"title": title, "body": body, "head": head, "base": base}
        try:
            data = self._post_once(
                f"{self.repo}/pulls", payload, lambda: self._open_pull(head, base)
            )
        except GitHubHTTPError as exc:
            raced = self._open_pull(head, base) if exc.status == 422 else None
            if raced is None:
                raise  # e.g. no commits between base and head
            return PullResult(pull=PullSnapshot.from_api(raced), action="unchanged")
        return PullResult(pull=PullSnapshot.from_api(data), action="created")

    def merged_pulls(self, head_prefix: str, max_pages: int = 3) -> dict[str, datetime]:
        """When the merged pull requests from branches starting with head_prefix merged, by
        branch: the most recently updated closed pull requests, at most max_pages list pages
        (the API cannot filter on a branch prefix, so the filter is ours)."""
        params = {"state": "closed", "sort": "updated", "direction": "desc"}
        merged: dict[str, datetime] = {}
        for page in self.http.each_page(f"{self.repo}/pulls", params, max_pages, _merges):
            for head, at in page:
                if head.startswith(head_prefix):
                    merged[head] = min(at, merged.get(head, at))
        return merged

    def commit_dates(self, path: str, max_pages: int = 3) -> list[tuple[str, datetime]]:
        """(message, committer date) of the newest commits on the default branch that touch
        path, newest first, at most max_pages list pages."""
        params = {"path": path, "sha": self.default_branch()}
        pages = self.http.each_page(f"{self.repo}/commits", params, max_pages, _commit_dates)
        return [entry for page in pages for entry in page]

    def find_open_pull(self, head: str, base: str) -> PullSnapshot | None:
        found = self._open_pull(head, base)
        return None if found is None else PullSnapshot.from_api(found)

    def _open_pull(self, head: str, base: str) -> Any:
        params = {"state": "open", "head": f"{self.settings.owner}:{head}", "base": base}
        found = self.http.call("GET", f"{self.repo}/pulls", params).data
        return next((p for p in found if p["head"]["ref"] == head), None)

    # ---- helpers ----------------------------------------------------------------------------

    def _post_once(self, url: str, payload: Any, find: Callable[[], Any]) -> Any:
        """POST that is never repeated blindly: after a lost answer, `find` looks for its result
        first, and only when it is absent is the POST sent once more."""
        for attempt in (1, 2):
            try:
                return self.http.call("POST", url, body=payload).data
            except _Lost as lost:
                self.log.warning("GitHub POST %s: answer lost (%s); checking", _path(url), lost)
                found = find()
                if found is not None:
                    return found
                if attempt == 2:
                    raise LostWriteError(f"POST {_path(url)}: answer lost twice") from lost
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_or_none(self, url: str) -> Any:
        try:
            return self.http.call("GET", url).data
        except GitHubHTTPError as exc:
            if exc.status == 404:
                return None
            raise

    def _contents_url(self, path: str) -> str:
        return f"{self.repo}/contents/{urllib.parse.quote(path.lstrip('/'))}"


def _ref(ref: str | None) -> dict[str, str] | None:
    return {"ref": ref} if ref else None


def _decode(content: str) -> str:
    return base64.b64decode(content).decode()


def _mentions(exc: GitHubHTTPError, word: str) -> bool:
    return word in json.dumps(exc.data).lower()
