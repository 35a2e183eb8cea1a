"""An organisation over the transport: issue search across its repositories, the App
installation's repositories, issue types and issue field values.

Search reads at 100 a page, oldest first. GitHub serves only the first 1,000 results of a
query, so a query with more is read in slices by creation date: each slice continues from
the creation time of the last issue the previous one reached (`created:>=T`, the overlap
dropped by id), which costs one extra page per 1,000 results at most. A page that comes back
`incomplete_results` (the search timed out) is asked again rather than trusted, and search's
own rate limit (30 a minute) is kept by waiting for its reset before the request that would
be refused, not after.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pmbot.core.timestamps import iso
from pmbot.errors import GitHubError, Problem
from pmbot.github.base import RepoBase
from pmbot.github.models import FieldValue, IssueFieldDef, OrgIssue
from pmbot.github.transport import Answer, GitHubHTTPError

MAX_SEARCH_RESULTS = 1000  # what GitHub serves of one query
INCOMPLETE_RETRIES = 2  # more asks for a page that timed out, before giving up
INCOMPLETE_WAIT = 2.0  # seconds between them


class SearchError(GitHubError):
    """A search could not be read completely."""


@dataclass(frozen=True)
class SearchPage:
    """One page of search results as kept (and cached for its ETag): snapshots, not JSON."""

    total_count: int
    incomplete_results: bool
    items: tuple[OrgIssue, ...]

    @classmethod
    def from_api(cls, data: Any) -> SearchPage:
        return cls(
            total_count=int(data["total_count"]),
            incomplete_results=bool(data.get("incomplete_results")),
            items=tuple(OrgIssue.from_api(item) for item in data["items"]),
        )


class GitHubOrg(RepoBase):
    """pmbot's view of an organisation (or a user) and the repositories a token reaches."""

    def __init__(self, *args: Any, org: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org or self.settings.owner
        self._search_remaining: int | None = None
        self._search_reset = 0.0

    # ---- repositories ---------------------------------------------------------------------

    def installation_repositories(self) -> tuple[str, ...]:
        """The full names of the repositories an App installation token reaches."""
        names = self.http.pages("/installation/repositories", convert=_repository_names)
        return tuple(str(n) for n in names)

    def reachable_repositories(self) -> tuple[str, ...] | None:
        """The installation's repositories (100 a page), or None for a token that is not an
        installation's: a personal token (`GET /user` named its user, so nothing is asked)
        or one GitHub refuses the listing to (403)."""
        self.login()  # who the token is: known already when the adapters share it
        if self.identity.user is not None:
            return None
        try:
            return self.installation_repositories()
        except GitHubHTTPError as exc:
            if exc.status in (401, 403, 404):
                return None
            raise

    # ---- search ---------------------------------------------------------------------------

    def search_issues(self, query: str) -> list[OrgIssue]:
        """Every issue `query` matches (e.g. `is:issue is:open label:action-item org:acme`),
        oldest first, read in creation-date slices when it matches more than 1,000."""
        found: dict[int, OrgIssue] = {}
        since: str | None = None
        while True:
            sliced = query if since is None else f"{query} created:>={since}"
            total, last = self._read_slice(sliced, found)
            if total <= MAX_SEARCH_RESULTS or last is None:
                return sorted(found.values(), key=lambda i: (i.issue.created_at, i.issue.id))
            if last == since:
                raise SearchError(
                    _problem(
                        f"more than {MAX_SEARCH_RESULTS} issues were created at {since}; "
                        f"search cannot reach past them ({query!r})."
                    )
                )
            since = last

    def search_count(self, query: str) -> int:
        """How many issues `query` matches: one read of a one-result page."""
        params = {"q": query, "per_page": 1}
        answer = self._search_page("/search/issues?" + urllib.parse.urlencode(params))
        page: SearchPage = answer.data
        return page.total_count

    def _read_slice(self, query: str, found: dict[int, OrgIssue]) -> tuple[int, str | None]:
        """Read the reachable pages of one query into `found`; its total_count and the
        creation time of the last issue read."""
        params = {"q": query, "sort": "created", "order": "asc", "per_page": 100}
        url: str | None = "/search/issues?" + urllib.parse.urlencode(params)
        total, last = 0, None
        while url is not None:
            answer = self._search_page(url)
            page: SearchPage = answer.data
            total = page.total_count
            for issue in page.items:
                found[issue.issue.id] = issue
                last = iso(issue.issue.created_at)
            url = answer.next_url
        return total, last

    def _search_page(self, url: str) -> Answer:
        for attempt in range(INCOMPLETE_RETRIES + 1):
            if attempt:
                self.http.pause(INCOMPLETE_WAIT)
            self._keep_search_limit()
            answer = self.http.call("GET", url, convert=self._search_page_of)
            self._note_search_limit(answer)
            if not answer.data.incomplete_results:
                return answer
            self.log.warning("GitHub search timed out (incomplete results); asking again")
        raise SearchError(
            _problem(
                f"search came back incomplete {INCOMPLETE_RETRIES + 1} times; nothing was "
                "decided on partial results."
            )
        )

    def _search_page_of(self, data: Any) -> SearchPage:
        for item in data.get("items") or ():  # who wrote pmbot's markers (github/identity.py)
            self.identity.observe(item)
        return SearchPage.from_api(data)

    def _keep_search_limit(self) -> None:
        if self._search_remaining == 0:
            wait = self._search_reset - self.http.clock() + 1.0  # the reset is whole seconds
            if wait > 0:
                self.log.info("GitHub search limit reached: waiting %.0fs for its reset", wait)
                self.http.pause(wait)
            self._search_remaining = None

    def _note_search_limit(self, answer: Answer) -> None:
        headers = answer.headers
        if headers.get("x-ratelimit-resource") != "search":
            return
        try:
            self._search_remaining = int(headers["x-ratelimit-remaining"])
            self._search_reset = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            self._search_remaining = None

    # ---- issue types and issue fields -------------------------------------------------------

    def issue_types(self) -> tuple[str, ...]:
        """The organisation's enabled issue types (empty where it has none)."""
        answer = self._get_or_none(f"/orgs/{self.org}/issue-types")
        return tuple(t["name"] for t in answer or () if t.get("is_enabled", True))

    def issue_fields(self) -> dict[str, IssueFieldDef]:
        """The organisation's issue fields by name (empty where it has none)."""
        answer = self._get_or_none(f"/orgs/{self.org}/issue-fields")
        return {
            f["name"]: IssueFieldDef(
                id=f["id"],
                name=f["name"],
                data_type=f["data_type"],
                options=tuple(o["name"] for o in f.get("options") or ()),
            )
            for f in answer or ()
        }

    def set_issue_type(self, item: OrgIssue, wanted: str | None) -> bool:
        """Give the issue type `wanted` (None removes it); writes only when it differs."""
        if (item.issue_type or "").lower() == (wanted or "").lower():
            return False
        url = f"/repos/{item.repository}/issues/{item.issue.number}"
        self.http.call("PATCH", url, body={"type": wanted}, repeatable=True)
        return True

    def set_field_values(
        self,
        item: OrgIssue,
        wanted: Mapping[str, FieldValue],
        fields: Mapping[str, IssueFieldDef],
    ) -> tuple[str, ...]:
        """Write the issue field values that differ from what the issue has (one request, none
        when all agree); returns the names written. Unknown field names are an error."""
        current = dict(item.field_values)
        changed = {n: v for n, v in wanted.items() if not _same(current.get(n), v)}
        problems = [p for n, v in sorted(changed.items()) if (p := self._check(n, v, fields))]
        if problems:  # GitHub would refuse them, and a refused write still counts
            raise GitHubError(problems)
        if not changed:
            return ()
        body = {
            "issue_field_values": [
                {"field_id": fields[n].id, "value": v} for n, v in sorted(changed.items())
            ]
        }
        url = f"/repos/{item.repository}/issues/{item.issue.number}/issue-field-values"
        self.http.call("POST", url, body=body, repeatable=True)  # setting a value is idempotent
        return tuple(sorted(changed))

    def _check(
        self, name: str, value: FieldValue, fields: Mapping[str, IssueFieldDef]
    ) -> Problem | None:
        """Why GitHub would refuse `value` for issue field `name`, or None."""
        f = fields.get(name)
        where = f"issue field {name!r}"
        if f is None:
            return Problem(
                field=where,
                message=f"the organisation {self.org} has no such issue field.",
                fix="Create it in the organisation's settings, or drop it from the configuration.",
            )
        if f.data_type == "single_select" and value not in f.options:
            return Problem(
                field=where,
                message=f"{value!r} is not one of its options ({', '.join(f.options)}).",
                fix="Add the option in the organisation's settings, or map the value to one.",
            )
        if f.data_type == "number" and not isinstance(value, int | float):
            return Problem(field=where, message=f"{value!r} is not a number.", fix="Give a number.")
        if f.data_type == "date" and not _is_date(value):
            return Problem(
                field=where, message=f"{value!r} is not a date.", fix="Give it as YYYY-MM-DD."
            )
        return None


def _is_date(value: FieldValue) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return len(str(value)) == 10


def _same(have: FieldValue | None, want: FieldValue) -> bool:
    if isinstance(have, int | float) and isinstance(want, int | float):
        return float(have) == float(want)
    return have == want


def _repository_names(data: Any) -> list[str]:
    return [r["full_name"] for r in data.get("repositories") or ()]


def _problem(message: str) -> list[Problem]:
    return [
        Problem(
            field="GitHub search",
            message=message,
            fix="Run again later; narrow the query (by repository or date) if it persists.",
        )
    ]
