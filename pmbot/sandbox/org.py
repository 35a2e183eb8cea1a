"""The account that owns the sandbox's repositories, and what lives at its level.

One `Org` per sandbox: its repositories (the first one is the sandbox's `state`; more come
from `add_repo`), the GitHub App installation, Projects (v2) owned by it or by its users,
and its issue types and issue fields. Every repository shares the users, tokens, ids and
the lock of the first, so an id is unique across the organisation as it is on GitHub.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pmbot.sandbox.state import Issue, State

# What every repository of one organisation shares with the first (accounts and ids).
SHARED = (
    "lock",
    "clock",
    "users",
    "tokens",
    "_user_ids",
    "_issue_ids",
    "_comment_ids",
    "_label_ids",
    "_pull_ids",
    "_event_ids",
)
COLORS = ("gray", "blue", "green", "yellow", "orange", "red", "pink", "purple")
PROJECT_COLORS = ("GRAY", "BLUE", "GREEN", "YELLOW", "ORANGE", "RED", "PINK", "PURPLE")


@dataclass
class IssueType:
    id: int
    name: str
    description: str | None
    color: str | None
    is_enabled: bool
    created_at: datetime


@dataclass
class IssueFieldOption:
    id: int
    name: str
    color: str | None
    description: str | None
    priority: int | None


@dataclass
class IssueField:
    id: int
    name: str
    data_type: str  # text, date, single_select, multi_select, number
    description: str | None
    visibility: str
    created_at: datetime
    options: list[IssueFieldOption] = field(default_factory=list)

    def option(self, name: str) -> IssueFieldOption | None:
        return next((o for o in self.options if o.name == name), None)


@dataclass
class ProjectOption:
    id: str
    name: str
    color: str
    description: str


@dataclass
class ProjectIteration:
    id: str
    title: str
    start_date: date
    duration: int  # days


@dataclass
class ProjectField:
    id: int
    name: str
    data_type: str  # title, text, number, date, single_select, ... (projects-v2-field)
    created_at: datetime
    updated_at: datetime
    options: list[ProjectOption] = field(default_factory=list)
    issue_field_id: int | None = None
    duration: int = 14  # an iteration field's default length, in days
    iterations: list[ProjectIteration] = field(default_factory=list)

    def option(self, option_id: object) -> ProjectOption | None:
        return next((o for o in self.options if o.id == option_id), None)

    def iteration(self, iteration_id: object) -> ProjectIteration | None:
        return next((i for i in self.iterations if i.id == iteration_id), None)


@dataclass
class ProjectItem:
    id: int
    repo: str  # the issue's repository name, lower-cased
    issue_id: int
    content_type: str  # Issue or PullRequest
    creator: str
    created_at: datetime
    updated_at: datetime
    values: dict[int, Any] = field(default_factory=dict)  # field id -> stored value


@dataclass
class Project:
    id: int
    number: int
    owner: str  # the login of the organisation or user that owns it
    owner_is_org: bool
    title: str
    creator: str
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    public: bool = False
    closed: bool = False
    fields: list[ProjectField] = field(default_factory=list)
    items: list[ProjectItem] = field(default_factory=list)

    def field(self, field_id: int) -> ProjectField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def item(self, item_id: int) -> ProjectItem | None:
        return next((i for i in self.items if i.id == item_id), None)


class Org:
    """The owner of the sandbox's repositories (an organisation unless seeded otherwise)."""

    def __init__(self, first: State) -> None:
        self.login = first.owner
        self.first = first
        self.repos: dict[str, State] = {first.name.lower(): first}
        # the App installations: bot login (lower-cased) -> its repositories (None: all)
        self.installations: dict[str, list[str] | None] = {}
        self.projects: list[Project] = []
        self.issue_types: list[IssueType] = []
        self.issue_fields: list[IssueField] = []
        self.incomplete_searches = 0  # the next N searches time out part-way
        self._repo_ids = itertools.count(first.repo_id + 1)
        self._ids = itertools.count(90_000_001)  # projects, fields, items, types, options

    def next_id(self) -> int:
        return next(self._ids)

    # -- repositories --------------------------------------------------------------------

    def add_repo(self, name: str, default_branch: str = "main") -> State:
        """Another repository of this owner, sharing its users, tokens and ids."""
        from pmbot.sandbox.state import State  # state.py imports this module

        with self.first.lock:
            if name.lower() in self.repos:
                raise ValueError(f"{self.login}/{name} exists already")
            repo = State(f"{self.login}/{name}", default_branch, self.first.clock)
            for attr in SHARED:
                setattr(repo, attr, getattr(self.first, attr))
            repo.org = self
            repo.repo_id = next(self._repo_ids)
            self.repos[name.lower()] = repo
            return repo

    def repo(self, owner: str, name: str | None) -> State | None:
        if name is None or owner.lower() != self.login.lower():
            return None
        return self.repos.get(name.lower())

    def repo_by_id(self, repo_id: int) -> State | None:
        return next((r for r in self.repos.values() if r.repo_id == repo_id), None)

    def all_repos(self) -> list[State]:
        return sorted(self.repos.values(), key=lambda r: r.repo_id)

    def reachable(self, login: str) -> list[State]:
        """The repositories `login` can read: an App installation only those it was given."""
        repos = self.all_repos()
        chosen = self.installations.get(login.lower())
        if chosen is not None:
            names = {n.lower() for n in chosen}
            repos = [r for r in repos if r.name.lower() in names]
        return repos

    def issues(self) -> Iterator[tuple[State, Issue]]:
        for repo in self.all_repos():
            for issue in repo.issues.values():
                yield repo, issue

    def issue_by_id(self, issue_id: int) -> tuple[State, Issue] | None:
        for repo in self.repos.values():
            issue = repo.issue_by_id.get(issue_id)
            if issue is not None:
                return repo, issue
        return None

    # -- the App installation ------------------------------------------------------------

    def install_app(self, slug: str, token: str, repos: list[str] | None = None) -> str:
        """Install GitHub App `slug` on all repositories (or `repos`): requests with `token`
        (an installation token, `ghs_…`) act as its bot user. Returns the bot's login."""
        for name in repos or ():
            if name.lower() not in self.repos:
                raise ValueError(f"no repository {self.login}/{name} in this sandbox")
        bot = self.first.seed_app(slug, token).login
        self.installations[bot.lower()] = None if repos is None else list(repos)
        return bot

    def installation_of(self, login: str) -> list[State] | None:
        """The repositories of the installation `login` acts for (an app's bot user; the
        Actions token reaches its own repository only), or None for anyone else."""
        from pmbot.sandbox.state import ACTIONS_BOT  # state.py imports this module

        user = self.first.user(login)
        if user is None or user.type != "Bot":
            return None
        if login.lower() == ACTIONS_BOT:
            return [self.first]
        return self.reachable(login)

    # -- Projects ------------------------------------------------------------------------

    def seed_project(
        self,
        title: str,
        owner: str | None = None,
        fields: dict[str, list[str] | str] | None = None,
        public: bool = False,
    ) -> Project:
        """A project owned by the organisation (or by user `owner`) with GitHub's default
        fields (Title, Assignees, Status, Labels, …) and any `fields`: name -> data type,
        or name -> option names for a single-select field."""
        with self.first.lock:
            login = owner or self.login
            now = self.first.now()
            number = 1 + sum(1 for p in self.projects if p.owner.lower() == login.lower())
            project = Project(
                id=self.next_id(),
                number=number,
                owner=login,
                owner_is_org=login.lower() == self.login.lower(),
                title=title,
                creator=self.login if owner is None else owner,
                created_at=now,
                updated_at=now,
                public=public,
            )
            for name, kind in _DEFAULT_FIELDS:
                options = ["Todo", "In Progress", "Done"] if name == "Status" else []
                self.add_project_field(project, name, kind, options)
            for name, spec in (fields or {}).items():
                if isinstance(spec, str):
                    self.add_project_field(project, name, spec)
                else:
                    self.add_project_field(project, name, "single_select", spec)
            self.projects.append(project)
            return project

    def add_project_field(
        self,
        project: Project,
        name: str,
        data_type: str,
        options: Sequence[str | ProjectOption] = (),
    ) -> ProjectField:
        now = self.first.now()
        made = ProjectField(self.next_id(), name, data_type, now, now)
        for i, opt in enumerate(options):
            if isinstance(opt, str):
                opt = ProjectOption("", opt, PROJECT_COLORS[i % len(PROJECT_COLORS)], "")
            opt_id = _option_id(made.id, i)
            made.options.append(ProjectOption(opt_id, opt.name, opt.color, opt.description))
        project.fields.append(made)
        project.updated_at = now
        return made

    def project(self, owner: str, number: int, is_org: bool) -> Project | None:
        return next(
            (
                p
                for p in self.projects
                if p.owner.lower() == owner.lower()
                and p.number == number
                and p.owner_is_org == is_org
            ),
            None,
        )

    # -- issue types and issue fields ----------------------------------------------------

    def seed_issue_type(
        self,
        name: str,
        description: str | None = None,
        color: str | None = None,
        is_enabled: bool = True,
    ) -> IssueType:
        with self.first.lock:
            made = IssueType(self.next_id(), name, description, color, is_enabled, self.first.now())
            self.issue_types.append(made)
            return made

    def issue_type(self, name: str) -> IssueType | None:
        wanted = name.lower()
        return next(
            (t for t in self.issue_types if t.name.lower() == wanted and t.is_enabled), None
        )

    def seed_issue_field(
        self,
        name: str,
        data_type: str,
        options: Sequence[str] = (),
        description: str | None = None,
        visibility: str = "organization_members_only",
    ) -> IssueField:
        with self.first.lock:
            made = IssueField(
                self.next_id(), name, data_type, description, visibility, self.first.now()
            )
            for i, opt in enumerate(options):
                made.options.append(
                    IssueFieldOption(self.next_id(), opt, COLORS[i % len(COLORS)], None, i + 1)
                )
            self.issue_fields.append(made)
            return made

    def issue_field(self, field_id: int) -> IssueField | None:
        return next((f for f in self.issue_fields if f.id == field_id), None)


def _option_id(field_id: int, index: int) -> str:
    """Option ids are short hex strings on GitHub (e.g. "f75ad846")."""
    return f"{(field_id * 2654435761 + index * 40503) % 16**8:08x}"


# The fields every new project starts with (GitHub's defaults, in its order).
_DEFAULT_FIELDS = (
    ("Title", "title"),
    ("Assignees", "assignees"),
    ("Status", "single_select"),
    ("Labels", "labels"),
    ("Linked pull requests", "linked_pull_requests"),
    ("Milestone", "milestone"),
    ("Repository", "repository"),
    ("Reviewers", "reviewers"),
    ("Parent issue", "parent_issue"),
    ("Sub-issues progress", "sub_issues_progress"),
)
