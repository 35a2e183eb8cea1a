"""The sandbox's repository state: users, labels, issues, comments, pull requests and git.

Everything lives in memory behind one lock; the HTTP layer and the seeding helpers both
take it, so two clients racing each other see GitHub-like serial behaviour.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pmbot.sandbox.gitstore import GitStore
from pmbot.sandbox.org import Org

Clock = Callable[[], datetime]

ASSOCIATIONS = (
    "OWNER",
    "MEMBER",
    "COLLABORATOR",
    "CONTRIBUTOR",
    "FIRST_TIME_CONTRIBUTOR",
    "FIRST_TIMER",
    "MANNEQUIN",
    "NONE",
)
PERMISSIONS = ("admin", "maintain", "write", "triage", "read", "none")
# What a declared user may do, from the association they were declared with.
PERMISSION_FOR_ASSOCIATION = {"OWNER": "admin", "MEMBER": "write", "COLLABORATOR": "write"}
ACTIONS_BOT = "github-actions[bot]"
ACTIONS_BOT_ID = 41898282  # its id on github.com
# GitHub issues installation tokens (the Actions GITHUB_TOKEN is one) with this prefix.
INSTALLATION_TOKEN_PREFIX = "ghs_"  # noqa: S105 - a prefix, not a secret
APP_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,32}[a-z0-9])?$")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class User:
    login: str
    id: int
    association: str = "NONE"
    permission: str = "none"
    assignable: bool = False
    type: str = "User"
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Identity:
    """Who a token acts as. An integration (the Actions token, a GitHub App installation
    token) writes as its bot user and is refused `GET /user`, as on GitHub."""

    login: str
    integration: bool = False


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class PullData:
    """What a pull request adds to its issue (pull requests are issues on GitHub)."""

    id: int
    head: str
    base: str
    base_sha: str
    draft: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None


@dataclass
class Issue:
    id: int
    number: int
    title: str
    user: str
    created_at: datetime
    updated_at: datetime
    body: str | None = None
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)  # label names, as created
    assignees: list[str] = field(default_factory=list)
    closed_at: datetime | None = None
    closed_by: str | None = None
    locked: bool = False
    lock_reason: str | None = None
    comments: int = 0
    parent: int | None = None  # the parent's issue number
    sub_issues: list[int] = field(default_factory=list)  # sub-issue numbers, in order
    # issue dependencies, by issue id (they may cross repositories of the organisation)
    blocked_by: list[int] = field(default_factory=list)  # the issues blocking this one
    blocking: list[int] = field(default_factory=list)  # the issues this one blocks
    pull: PullData | None = None
    type: int | None = None  # the organisation's issue type id
    field_values: dict[int, Any] = field(default_factory=dict)  # issue field id -> value


@dataclass
class IssueEvent:
    """One entry of an issue's event log (labeled, closed, renamed, …), as recorded then."""

    id: int
    issue: int  # the issue's number
    event: str
    actor: str
    created_at: datetime
    label: tuple[str, str] | None = None  # (name, color) at the time
    assignee: str | None = None
    rename: tuple[str, str] | None = None  # (from, to)
    lock_reason: str | None = None
    state_reason: str | None = None
    commit_id: str | None = None


@dataclass
class Comment:
    id: int
    issue: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime


class State:
    """One repository's worth of GitHub, plus the users who can touch it."""

    def __init__(
        self,
        repo: str = "acme/web",
        default_branch: str = "main",
        clock: Clock | None = None,
    ) -> None:
        self.owner, _, self.name = repo.partition("/")
        if not self.owner or not self.name or "/" in self.name:
            raise ValueError(f"repo must look like OWNER/NAME, got {repo!r}")
        self.repo_id = 1296269
        self.default_branch = default_branch
        self.clock: Clock = clock or utc_now
        self.lock = threading.RLock()
        self._user_ids = itertools.count(1001)
        self._issue_ids = itertools.count(2_000_000_001)
        self._comment_ids = itertools.count(3_000_000_001)
        self._label_ids = itertools.count(4_000_000_001)
        self._pull_ids = itertools.count(5_000_000_001)
        self.users: dict[str, User] = {}  # by lower-cased login
        self.tokens: dict[str, Identity] = {}
        self.labels: dict[str, Label] = {}  # by lower-cased name
        self.issues: dict[int, Issue] = {}  # by number
        self.issue_by_id: dict[int, Issue] = {}
        self.comments: dict[int, Comment] = {}
        self.events: list[IssueEvent] = []  # in the order they happened
        self._event_ids = itertools.count(6_000_000_001)
        self.git = GitStore(default_branch, self.clock())
        self.created_at = self.clock()
        self.seed_user(self.owner, association="OWNER", permission="admin", assignable=True)
        self.org = Org(self)  # the owner's level: more repositories, projects, issue types

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def now(self) -> datetime:
        return self.clock()

    # -- users ---------------------------------------------------------------------------

    def seed_user(
        self,
        login: str,
        association: str = "COLLABORATOR",
        permission: str = "write",
        assignable: bool = True,
        token: str | None = None,
        type: str = "User",
        name: str | None = None,
    ) -> User:
        """Add (or redefine) a user; `token` makes requests with that token act as them."""
        if association not in ASSOCIATIONS:
            raise ValueError(f"association must be one of {ASSOCIATIONS}, got {association!r}")
        if permission not in PERMISSIONS:
            raise ValueError(f"permission must be one of {PERMISSIONS}, got {permission!r}")
        with self.lock:
            old = self.users.get(login.lower())
            user_id = old.id if old else next(self._user_ids)
            user = User(login, user_id, association, permission, assignable, type, name)
            self.users[login.lower()] = user
            if token is not None:
                self.tokens[token] = Identity(login)
            return user

    def seed_app(self, slug: str, token: str, permission: str = "write") -> User:
        """A GitHub App installed on the repository: requests with `token` (an installation
        token) act as its bot user `<slug>[bot]`."""
        if not APP_SLUG.match(slug):
            raise ValueError(f"an app slug is lower-case letters, digits and dashes, got {slug!r}")
        return self._seed_bot(f"{slug}[bot]", token, permission)

    def seed_actions_token(self, token: str) -> User:
        """Requests with `token` act as the Actions GITHUB_TOKEN (`github-actions[bot]`)."""
        return self._seed_bot(ACTIONS_BOT, token, "write", ACTIONS_BOT_ID)

    def _seed_bot(self, login: str, token: str, permission: str, user_id: int = 0) -> User:
        if permission not in PERMISSIONS:
            raise ValueError(f"permission must be one of {PERMISSIONS}, got {permission!r}")
        with self.lock:
            user = self.user(login)
            if user is None:
                user = User(login, user_id or next(self._user_ids), type="Bot")
                self.users[login.lower()] = user
            user.permission = permission
            self.tokens[token] = Identity(user.login, integration=True)
            return user

    def known_user(self, login: str | None) -> User:
        """The user with this login (the owner for None); an unseeded login becomes a user
        with no association and read access, like a stranger filing an issue."""
        if login is None:
            login = self.owner
        return self.user(login) or self.seed_user(
            login, association="NONE", permission="read", assignable=False
        )

    def user(self, login: str) -> User | None:
        return self.users.get(login.lower())

    def identity(self, token: str | None) -> Identity:
        """A declared token acts as whom it was declared for; an undeclared installation
        token (`ghs_…`) as the Actions GITHUB_TOKEN; any other token as the repository owner."""
        if token is None:
            return Identity(self.owner)
        with self.lock:
            if token not in self.tokens and token.startswith(INSTALLATION_TOKEN_PREFIX):
                self.seed_actions_token(token)
            return self.tokens.get(token) or Identity(self.owner)

    def association(self, login: str) -> str:
        user = self.user(login)
        return user.association if user else "NONE"

    def can_push(self, login: str) -> bool:
        user = self.user(login)
        return user is not None and user.permission in ("admin", "maintain", "write")

    # -- labels --------------------------------------------------------------------------

    def seed_label(self, name: str, color: str = "ededed", description: str | None = None) -> Label:
        with self.lock:
            existing = self.labels.get(name.lower())
            if existing:
                existing.color, existing.description = color, description
                return existing
            label = Label(next(self._label_ids), name, color, description)
            self.labels[name.lower()] = label
            return label

    def ensure_labels(self, names: Iterable[str]) -> list[str]:
        """The canonical names of `names`, creating missing labels like GitHub does."""
        out: list[str] = []
        for name in names:
            label = self.labels.get(name.lower()) or self.seed_label(name)
            if label.name not in out:
                out.append(label.name)
        return out

    # -- issues and comments -------------------------------------------------------------

    def next_number(self) -> int:
        return len(self.issues) + 1

    def seed_issue(
        self,
        title: str = "An issue",
        body: str | None = None,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        user: str | None = None,
        state: str = "open",
        state_reason: str | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> Issue:
        """Create an issue directly (no HTTP, no rate limit); labels are created as needed."""
        with self.lock:
            created = created_at or self.now()
            number = self.next_number()
            issue = Issue(
                id=next(self._issue_ids),
                number=number,
                title=title,
                user=self.known_user(user).login,
                created_at=created,
                updated_at=updated_at or created,
                body=body,
                labels=self.ensure_labels(labels),
                assignees=list(assignees),
            )
            if state == "closed":
                issue.state = "closed"
                issue.state_reason = state_reason or "completed"
                issue.closed_at = issue.updated_at
                issue.closed_by = issue.user
            self.issues[number] = issue
            self.issue_by_id[issue.id] = issue
            return issue

    def seed_issues(
        self,
        n: int,
        labels: Iterable[str] = (),
        body_fn: Callable[[int], str] | None = None,
        title_fn: Callable[[int], str] | None = None,
        state: str = "open",
    ) -> list[Issue]:
        """Create `n` issues quickly; `body_fn(i)`/`title_fn(i)` get the 0-based index."""
        names = list(labels)
        with self.lock:
            return [
                self.seed_issue(
                    title=title_fn(i) if title_fn else f"Issue {i + 1}",
                    body=body_fn(i) if body_fn else None,
                    labels=names,
                    state=state,
                )
                for i in range(n)
            ]

    def seed_comment(self, issue_number: int, body: str, user: str | None = None) -> Comment:
        with self.lock:
            issue = self.issues[issue_number]
            now = self.now()
            author = self.known_user(user).login
            comment = Comment(next(self._comment_ids), issue_number, body, author, now, now)
            self.comments[comment.id] = comment
            issue.comments += 1
            return comment

    def new_comment_id(self) -> int:
        return next(self._comment_ids)

    def new_pull_id(self) -> int:
        return next(self._pull_ids)

    def new_event_id(self) -> int:
        return next(self._event_ids)

    def link_sub_issue(self, parent: Issue, child: Issue) -> None:
        if child.parent is not None:
            self.issues[child.parent].sub_issues.remove(child.number)
        child.parent = parent.number
        parent.sub_issues.append(child.number)

    # -- git -----------------------------------------------------------------------------

    def seed_file(self, path: str, content: str | bytes, branch: str | None = None) -> str:
        """Commit one file; returns its blob sha."""
        return self.seed_files({path: content}, branch)[path]

    def seed_files(
        self, files: dict[str, str | bytes], branch: str | None = None, message: str = "Seed files"
    ) -> dict[str, str]:
        """Commit many files in one commit (fast for large trees); returns path -> blob sha."""
        branch = branch or self.default_branch
        changes: dict[str, bytes | None] = {
            path.strip("/"): data.encode() if isinstance(data, str) else data
            for path, data in files.items()
        }
        with self.lock:
            if self.git.branch_head(branch) is None:
                self.create_branch(branch)
            commit = self.git.commit_changes(
                branch, changes, message, self.owner, f"{self.owner}@example.com", self.now()
            )
            return {path: commit.files[path] for path in changes}

    def create_branch(self, branch: str, from_branch: str | None = None) -> str:
        with self.lock:
            head = self.git.branch_head(from_branch or self.default_branch)
            assert head is not None, "the base branch exists"
            self.git.refs[f"refs/heads/{branch}"] = head
            return head
