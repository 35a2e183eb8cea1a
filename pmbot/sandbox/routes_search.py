"""Issue search across the organisation's repositories, with GitHub's limits.

Only the first 1,000 results of a query can be reached: a page that starts past them is
refused with 422, while `total_count` still counts every match. Search has its own rate
limit (30 requests a minute; the App counts it apart from `core`). A search that timed out
part-way answers `incomplete_results: true` with only what it found (`org.incomplete_searches`
arms the next ones).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pmbot.sandbox.routing import ApiError, Request, Response, Router, link_header, page_window
from pmbot.sandbox.state import Issue, State

router = Router()
MAX_RESULTS = 1000
MAX_QUERY = 256  # characters of `q`
SEARCH_DOCS = "https://docs.github.com/v3/search/"
SORTS: dict[str, Callable[[Issue], Any]] = {
    "created": lambda i: i.created_at,
    "updated": lambda i: i.updated_at,
    "comments": lambda i: i.comments,
}
CANNOT_SEARCH = (
    "The listed users and repositories cannot be searched either because the resources do "
    "not exist or you do not have permission to view them."
)


def invalid_query(message: str) -> ApiError:
    error = {"message": message, "resource": "Search", "field": "q", "code": "invalid"}
    return ApiError(422, "Validation Failed", [error])


@dataclass(frozen=True)
class Window:
    """The instants a `created:`/`updated:` qualifier admits: start <= t < end."""

    start: datetime
    end: datetime

    def admits(self, when: datetime) -> bool:
        return self.start <= when < self.end


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
_INSTANT = timedelta(seconds=1)  # search compares whole seconds


def _moment(raw: str) -> tuple[datetime, datetime]:
    """A date stands for its whole (UTC) day, a date-time for its second: [start, end)."""
    if raw == "*":
        return _EPOCH, _FOREVER
    try:
        if "T" not in raw and len(raw) == 10:
            day = datetime.fromisoformat(raw).replace(tzinfo=UTC)
            return day, day + timedelta(days=1)
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid_query(
            f"{raw!r} is not a date (YYYY-MM-DD) or a date-time (YYYY-MM-DDTHH:MM:SSZ)"
        ) from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when, when + _INSTANT


def parse_window(value: str) -> Window:
    """`2026-01-01..2026-02-01`, `<2026-01-01`, `>=2026-01-01T10:00:00Z`, `2026-01-05`,
    `2026-01-01..*` as GitHub reads them (both ends of a range are inclusive)."""
    if ".." in value:
        low, _, high = value.partition("..")
        return Window(_moment(low)[0], _moment(high)[1])
    for op in (">=", "<=", ">", "<"):
        if value.startswith(op):
            start, end = _moment(value[len(op) :])
            return {
                ">=": Window(start, _FOREVER),
                ">": Window(end, _FOREVER),
                "<=": Window(_EPOCH, end),
                "<": Window(_EPOCH, start),
            }[op]
    start, end = _moment(value)
    return Window(start, end)


@dataclass
class Query:
    repos: list[State]
    checks: list[Callable[[Issue], bool]]
    words: list[str]

    def matches(self, issue: Issue) -> bool:
        if not all(check(issue) for check in self.checks):
            return False
        text = f"{issue.title}\n{issue.body or ''}".lower()
        return all(w in text for w in self.words)


def parse_query(req: Request, q: str) -> Query:
    """GitHub's syntax, the part pmbot and its tests use: repo:, org:, user:, is:, state:,
    type:, label:, -label:, author:, assignee:, no:, created:, updated:, in:, and words."""
    try:
        terms = shlex.split(q)
    except ValueError:
        terms = q.split()
    org = req.state.org
    scope = org.reachable(req.login)
    repos: list[State] = []
    owners: list[str] = []
    query = Query([], [], [])
    for term in terms:
        key, sep, value = term.partition(":")
        key = key.lower()
        if not sep:
            query.words.append(term.lower())
        elif key == "repo":
            owner, _, name = value.partition("/")
            repo = org.repo(owner, name)
            if repo is None or repo not in scope:
                raise invalid_query(CANNOT_SEARCH)
            repos.append(repo)
        elif key in ("org", "user", "owner"):
            if value.lower() != org.login.lower():
                raise invalid_query(CANNOT_SEARCH)
            owners.append(value)
        else:
            check = _qualifier(key, value)
            if check is not None:
                query.checks.append(check)
    query.repos = repos or scope  # owners can only be the sandbox's own
    return query


def _qualifier(key: str, value: str) -> Callable[[Issue], bool] | None:
    low = value.lower()
    if key in ("is", "type") and low in ("issue", "pr", "open", "closed"):
        return {
            "issue": lambda i: i.pull is None,
            "pr": lambda i: i.pull is not None,
            "open": lambda i: i.state == "open",
            "closed": lambda i: i.state == "closed",
        }[low]
    if key == "state":
        return lambda i: i.state == low
    if key == "label":
        wanted = {v.lower() for v in value.split(",")}
        return lambda i: bool(wanted & {n.lower() for n in i.labels})
    if key == "-label":
        return lambda i: low not in {n.lower() for n in i.labels}
    if key == "author":
        return lambda i: i.user.lower() == low
    if key == "assignee":
        return lambda i: low in (a.lower() for a in i.assignees)
    if key == "no" and low in ("assignee", "label"):
        return lambda i: not (i.assignees if low == "assignee" else i.labels)
    if key in ("created", "updated"):
        window = parse_window(value)
        if key == "created":
            return lambda i: window.admits(i.created_at)
        return lambda i: window.admits(i.updated_at)
    return None  # in:, sort: and qualifiers the sandbox does not model narrow nothing


@router.route("GET", "/search/issues")
def search_issues(req: Request) -> Response:
    q = req.query.get("q")
    if not q:
        raise ApiError(
            422,
            "Validation Failed",
            [{"resource": "Search", "field": "q", "code": "missing"}],
        )
    if len(q) > MAX_QUERY:
        # GitHub's answer (its docs: "Queries longer than 256 characters are not
        # supported"); the sandbox counts the whole query, qualifiers included, the strict
        # reading, so that pmbot's queries fit either way.
        raise ApiError(
            422,
            "Validation Failed",
            [
                {
                    "message": f"The search is longer than {MAX_QUERY} characters.",
                    "resource": "Search",
                    "field": "q",
                    "code": "invalid",
                }
            ],
            documentation_url=SEARCH_DOCS,
        )
    query = parse_query(req, q)
    found = [(repo, i) for repo in query.repos for i in repo.issues.values() if query.matches(i)]
    _order(req, found)
    incomplete = req.state.org.incomplete_searches > 0
    if incomplete:
        req.state.org.incomplete_searches -= 1
        found = [hit for n, hit in enumerate(found) if n % 3 != 2]  # what it found in time
    page, per_page = page_window(req.query)
    if (page - 1) * per_page >= MAX_RESULTS:
        raise ApiError(
            422, "Only the first 1000 search results are available", documentation_url=SEARCH_DOCS
        )
    window = found[(page - 1) * per_page : min(page * per_page, MAX_RESULTS)]
    items = [_search_item(req.render.for_repo(repo).issue(i)) for repo, i in window]
    body = {
        "total_count": len(found),
        "incomplete_results": incomplete,
        "search_type": "lexical",
        "items": items,
    }
    return Response(200, body, link_header(req, min(len(found), MAX_RESULTS)))


def _order(req: Request, found: list[tuple[State, Issue]]) -> None:
    """`sort` with `order` (default desc); without `sort`, best match, which for the
    sandbox is newest first (`order` is ignored then, as GitHub ignores it)."""
    sort = req.query.get("sort")
    key = SORTS.get(sort or "created", SORTS["created"])
    found.sort(key=lambda hit: (key(hit[1]), hit[1].id))
    if sort is None or req.query.get("order", "desc") != "asc":
        found.reverse()


def _search_item(issue: dict[str, Any]) -> dict[str, Any]:
    # The search schema types `body` as a plain string (not nullable) and does not require
    # it, so an issue without a body leaves the key out rather than sending null.
    item = {**issue, "score": 1.0}
    if item.get("body") is None:
        item.pop("body", None)
    return item
