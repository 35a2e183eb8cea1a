"""What the GitHub adapter hands to the rest of pmbot: settings and frozen snapshots.

Nothing here imports PyGithub; `pmbot.github.client` builds these from the REST API's JSON so pure
code never touches an object that might fetch lazily behind its back.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import AwareDatetime

from pmbot.core.logins import REPOSITORY
from pmbot.core.model import Frozen
from pmbot.core.timestamps import parse_iso
from pmbot.errors import PmbotError, Problem

DEFAULT_API_URL = "https://api.github.com"
_REPOSITORY = re.compile(rf"^{REPOSITORY}$")
# A user's login, or an app's bot user: `<slug>[bot]`.
_BOT_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")


@dataclass(frozen=True)
class GitHubSettings:
    """Where and as whom to talk to GitHub. The token never appears in repr or str."""

    token: str = field(repr=False)
    repository: str
    api_url: str = DEFAULT_API_URL
    writes_per_minute: int = 80  # GitHub's secondary limit for content-creating requests
    writes_per_hour: int = 500
    max_wait_seconds: float = 900.0  # longest single sleep for a rate limit or pacing
    read_retries: int = 3  # extra attempts for a read answered 5xx or lost
    timeout_seconds: int = 30
    bot_login: str | None = None  # PMBOT_BOT_LOGIN: who pmbot writes as (github/identity.py)

    @property
    def is_local(self) -> bool:
        """True for a sandbox on this machine, where pacing writes would only slow things."""
        host = urllib.parse.urlsplit(self.api_url).hostname or ""
        return host in ("127.0.0.1", "localhost", "::1")

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.repository.split("/", 1)[1]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GitHubSettings:
        """Settings from the variables GitHub Actions sets; every problem is reported at once."""
        problems: list[Problem] = []
        token = environ.get("GITHUB_TOKEN", "")
        repository = environ.get("GITHUB_REPOSITORY", "").strip()
        api_url = (environ.get("GITHUB_API_URL") or DEFAULT_API_URL).strip().rstrip("/")
        problems += _token_problems(token)
        if not _REPOSITORY.match(repository):
            problems.append(_repository_problem(repository))
        if not re.match(r"^https?://[^/\s]+", api_url):
            problems.append(
                Problem(
                    field="GITHUB_API_URL",
                    message=f"{api_url!r} is not an http(s) URL.",
                    fix="Leave it unset for github.com, or give e.g. https://ghe.example.com/api/v3.",
                )
            )
        bot_login = environ.get("PMBOT_BOT_LOGIN", "").strip() or None
        if bot_login is not None and not _BOT_LOGIN.match(bot_login):
            problems.append(
                Problem(
                    field="PMBOT_BOT_LOGIN (the action's bot-login input)",
                    message=f"{bot_login!r} is not a GitHub login.",
                    fix="Give the login pmbot's writes appear under, e.g. "
                    "`my-app[bot]` for a GitHub App whose slug is my-app, or leave it empty.",
                )
            )
        if problems:
            raise PmbotError(problems)
        return cls(token=token, repository=repository, api_url=api_url, bot_login=bot_login)


def _token_problems(token: str) -> list[Problem]:
    # The message describes the token's shape only: the value itself is never echoed.
    if not token:
        return [
            Problem(
                field="GITHUB_TOKEN",
                message="is not set.",
                fix="In a workflow pass `GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}` in `env:`.",
            )
        ]
    if token != token.strip() or any(c.isspace() for c in token):
        return [
            Problem(
                field="GITHUB_TOKEN",
                message="contains whitespace or a line break (value not shown).",
                fix="Copy the token again without surrounding spaces or newlines.",
            )
        ]
    return []


def _repository_problem(repository: str) -> Problem:
    return Problem(
        field="GITHUB_REPOSITORY",
        message=f"{repository!r} is not of the form owner/name." if repository else "is not set.",
        fix="Set it to the repository, e.g. `acme/web` (GitHub Actions sets it for you).",
    )


FieldValue = str | float  # a text, date (YYYY-MM-DD) or single-select option name, or a number


class IssueSnapshot(Frozen):
    """An issue as the REST API returned it, without PyGithub's lazy attributes."""

    id: int
    number: int
    title: str
    body: str
    state: Literal["open", "closed"]
    state_reason: str | None
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    author: str
    author_association: str
    created_at: AwareDatetime
    updated_at: AwareDatetime
    closed_at: AwareDatetime | None
    html_url: str
    is_pull_request: bool
    comments: int = 0  # how many comments the issue has, as GitHub counts them
    # How many issues block this one (`issue_dependencies_summary.total_blocked_by`); None
    # where the server does not say (no issue dependencies there), so a reader must ask.
    blocked_by: int | None = None
    # Its issue type and issue field values (by field name), where the organisation has them.
    issue_type: str | None = None
    field_values: tuple[tuple[str, FieldValue], ...] = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> IssueSnapshot:
        dependencies = data.get("issue_dependencies_summary")
        kind = data.get("type")
        return cls(
            id=data["id"],
            number=data["number"],
            title=data.get("title") or "",
            body=data.get("body") or "",
            state=data["state"],
            state_reason=data.get("state_reason"),
            labels=tuple(_label_name(label) for label in data.get("labels") or ()),
            assignees=tuple(a["login"] for a in data.get("assignees") or ()),
            author=_login(data.get("user")),
            author_association=data.get("author_association") or "NONE",
            created_at=parse_iso(data["created_at"]),
            updated_at=parse_iso(data["updated_at"]),
            closed_at=parse_iso(data["closed_at"]) if data.get("closed_at") else None,
            html_url=data.get("html_url") or "",
            is_pull_request="pull_request" in data,
            comments=int(data.get("comments") or 0),
            blocked_by=_total_blocked_by(dependencies),
            issue_type=str(kind["name"]) if isinstance(kind, Mapping) else None,
            field_values=issue_field_values(data),
        )


def issue_field_values(data: Mapping[str, Any]) -> tuple[tuple[str, FieldValue], ...]:
    """An issue's `issue_field_values` as (field name, value), the unset ones left out."""
    return tuple(
        (str(v.get("issue_field_name") or v["issue_field_id"]), v["value"])
        for v in data.get("issue_field_values") or ()
        if v.get("value") is not None
    )


def _total_blocked_by(summary: Any) -> int | None:
    if not isinstance(summary, Mapping):
        return None
    total = summary.get("total_blocked_by")
    return total if isinstance(total, int) else None


class CommentSnapshot(Frozen):
    id: int
    body: str
    author: str
    author_association: str
    created_at: AwareDatetime
    updated_at: AwareDatetime
    html_url: str
    issue: int | None = None  # the issue's number (from `issue_url`)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CommentSnapshot:
        issue = str(data.get("issue_url") or "").rsplit("/", 1)[-1]
        return cls(
            issue=int(issue) if issue.isdigit() else None,
            id=data["id"],
            body=data.get("body") or "",
            author=_login(data.get("user")),
            author_association=data.get("author_association") or "NONE",
            created_at=parse_iso(data["created_at"]),
            updated_at=parse_iso(data["updated_at"]),
            html_url=data.get("html_url") or "",
        )


def git_blob_sha(text: str) -> str:
    """The sha git (and the contents API) gives a file with this text, so a file can be
    compared with the tree's listing without reading it."""
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class FileSnapshot(Frozen):
    path: str
    sha: str  # the git blob sha, comparable with `git_blob_sha(text)`
    text: str
    html_url: str = ""  # the file on the web (the host's own, e.g. GitHub Enterprise's)


class PullSnapshot(Frozen):
    number: int
    title: str
    body: str
    head: str
    base: str
    html_url: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PullSnapshot:
        return cls(
            number=data["number"],
            title=data.get("title") or "",
            body=data.get("body") or "",
            head=data["head"]["ref"],
            base=data["base"]["ref"],
            html_url=data.get("html_url") or "",
        )


WriteAction = Literal["created", "updated", "unchanged"]


class CommentResult(Frozen):
    comment: CommentSnapshot
    action: WriteAction


class PullResult(Frozen):
    pull: PullSnapshot
    action: WriteAction


class AssignResult(Frozen):
    """Who ended up assigned; `unassigned` lists logins GitHub refused (422) and why."""

    number: int
    assigned: tuple[str, ...]
    unassigned: tuple[str, ...] = ()
    reason: str | None = None


class SubIssueResult(Frozen):
    """How a child was linked: a real sub-issue, or a task-list line where there are none."""

    parent_number: int
    child_number: int
    method: Literal["sub-issue", "task-list"]
    changed: bool


class FilesResult(Frozen):
    written: tuple[str, ...]
    unchanged: tuple[str, ...]


class BranchResult(Frozen):
    name: str
    sha: str
    created: bool


class RateLimit(Frozen):
    limit: int
    remaining: int
    used: int
    reset: AwareDatetime


class RequestStats(Frozen):
    """Every HTTP request the adapter made. 304s are reads too but cost no rate limit."""

    requests: int = 0
    reads: int = 0
    writes: int = 0
    not_modified: int = 0
    by_method: tuple[tuple[str, int], ...] = ()
    retries: int = 0
    waits: int = 0
    waited_seconds: float = 0.0

    @property
    def rate_limited_requests(self) -> int:
        """Requests that count against the primary rate limit (304s are free)."""
        return self.requests - self.not_modified

    def describe(self) -> str:
        methods = ", ".join(f"{m} {n}" for m, n in self.by_method)
        return (
            f"{self.requests} GitHub requests ({methods or 'none'}); "
            f"{self.reads} reads of which {self.not_modified} not modified, {self.writes} writes"
        )


# ---- an organisation: search results, issue types and fields, a Projects board -----------------


class OrgIssue(Frozen):
    """An issue an organisation-wide search found: its repository, the issue, and the issue
    type and issue field values GitHub reports where the organisation has them."""

    repository: str  # owner/name
    issue: IssueSnapshot
    issue_type: str | None = None
    field_values: tuple[tuple[str, FieldValue], ...] = ()  # (issue field name, value)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> OrgIssue:
        path = urllib.parse.urlsplit(str(data["repository_url"])).path
        owner, name = path.rstrip("/").split("/")[-2:]
        issue = IssueSnapshot.from_api(data)
        return cls(
            repository=f"{owner}/{name}",
            issue=issue,
            issue_type=issue.issue_type,
            field_values=issue.field_values,
        )


class IssueFieldDef(Frozen):
    """An organisation's issue field (`/orgs/{org}/issue-fields`)."""

    id: int
    name: str
    data_type: str  # text, date, single_select, multi_select, number
    options: tuple[str, ...] = ()


class ProjectRef(Frozen):
    """A Projects (v2) board: an organisation's (`/orgs/…`) or a user's (`/users/…`)."""

    owner: str
    number: int
    owner_is_org: bool = True

    @property
    def path(self) -> str:
        kind = "orgs" if self.owner_is_org else "users"
        return f"/{kind}/{self.owner}/projectsV2/{self.number}"


class ProjectFieldSpec(Frozen):
    """A field pmbot keeps on a board, created on first use."""

    name: str
    data_type: Literal["text", "number", "date", "single_select"]
    options: tuple[str, ...] = ()  # single-select option names, in order


class BoardItem(Frozen):
    """What one issue's item on the board should show: field name -> value (None clears);
    `initial` values are set only when the item joins the board (then left to people)."""

    issue_id: int
    values: tuple[tuple[str, FieldValue | None], ...]
    initial: tuple[tuple[str, FieldValue], ...] = ()


class BoardClosed(Frozen):
    """What a board shows for a closed issue that carries `label` (e.g. Status Done)."""

    label: str
    values: tuple[tuple[str, FieldValue | None], ...]


class BoardSync(Frozen):
    """What a board sync did; a rerun with the same items reports no writes."""

    fields_created: tuple[str, ...] = ()
    items_added: int = 0
    items_updated: int = 0
    items_closed: int = 0  # of the updated: closed issues given their closed values
    values_written: int = 0
    problems: tuple[str, ...] = ()  # values it could not write, each saying why

    @property
    def writes(self) -> int:
        return len(self.fields_created) + self.items_added + self.items_updated


def _label_name(label: Any) -> str:
    return label if isinstance(label, str) else str(label["name"])


def _login(user: Mapping[str, Any] | None) -> str:
    # Deleted accounts come back as null; GitHub shows them as "ghost".
    return str(user["login"]) if user else "ghost"
