"""JSON representations, with every field GitHub's OpenAPI description marks required."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pmbot.sandbox.gitstore import Commit
from pmbot.sandbox.state import Comment, Issue, Label, State, User

HTML = "https://github.com"
JSON = dict[str, Any]


def ts(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode().rstrip("=")


class Renderer:
    """Turns sandbox state into GitHub's JSON, with URLs that point back at the sandbox."""

    def __init__(self, state: State, base_url: str) -> None:
        self.state = state
        self.api = base_url.rstrip("/")
        self.repo_url = f"{self.api}/repos/{state.full_name}"
        self.html_url = f"{HTML}/{state.full_name}"

    def for_repo(self, state: State) -> Renderer:
        """The renderer for another repository of the same sandbox."""
        return self if state is self.state else Renderer(state, self.api)

    # -- users ---------------------------------------------------------------------------

    def simple_user(self, login: str) -> JSON:
        user = self.state.user(login) or User(login, 0)
        u = f"{self.api}/users/{quote(user.login)}"
        bot = user.type == "Bot"  # an app's bot user: `<slug>[bot]`, shown at /apps/<slug>
        page = f"apps/{user.login.removesuffix('[bot]')}" if bot else user.login
        return {
            "login": user.login,
            "id": user.id,
            "node_id": node_id("Bot" if bot else "User", user.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": u,
            "html_url": f"{HTML}/{page}",
            "followers_url": f"{u}/followers",
            "following_url": f"{u}/following{{/other_user}}",
            "gists_url": f"{u}/gists{{/gist_id}}",
            "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{u}/subscriptions",
            "organizations_url": f"{u}/orgs",
            "repos_url": f"{u}/repos",
            "events_url": f"{u}/events{{/privacy}}",
            "received_events_url": f"{u}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def maybe_user(self, login: str | None) -> JSON | None:
        return None if login is None else self.simple_user(login)

    def public_user(self, user: User) -> JSON:
        created = ts(self.state.created_at)
        return {
            **self.simple_user(user.login),
            "name": user.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": user.email,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": 1,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": created,
            "updated_at": created,
        }

    def private_user(self, user: User) -> JSON:
        return {
            **self.public_user(user),
            "user_view_type": "private",
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
            "plan": {"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 9},
        }

    def collaborator(self, user: User) -> JSON:
        perm = user.permission
        ranks = ["none", "read", "triage", "write", "maintain", "admin"]
        level = ranks.index(perm)
        return {
            **self.simple_user(user.login),
            "permissions": {
                "pull": level >= 1,
                "triage": level >= 2,
                "push": level >= 3,
                "maintain": level >= 4,
                "admin": level >= 5,
            },
            "role_name": perm,
        }

    # -- labels, issues, comments --------------------------------------------------------

    def label(self, label: Label) -> JSON:
        return {
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": f"{self.repo_url}/labels/{quote(label.name, safe='')}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def issue_labels(self, issue: Issue) -> list[JSON]:
        labels = self.state.labels
        return [self.label(labels[n.lower()]) for n in issue.labels if n.lower() in labels]

    def issue(self, issue: Issue) -> JSON:
        url = f"{self.repo_url}/issues/{issue.number}"
        done = sum(1 for n in issue.sub_issues if self.state.issues[n].state == "closed")
        total = len(issue.sub_issues)
        body: JSON = {
            "id": issue.id,
            "node_id": node_id("Issue", issue.id),
            "url": url,
            "repository_url": self.repo_url,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "timeline_url": f"{url}/timeline",
            "html_url": f"{self.html_url}/{'pull' if issue.pull else 'issues'}/{issue.number}",
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self.simple_user(issue.user),
            "labels": self.issue_labels(issue),
            "assignee": self.maybe_user(issue.assignees[0] if issue.assignees else None),
            "assignees": [self.simple_user(a) for a in issue.assignees],
            "milestone": None,
            "locked": issue.locked,
            "active_lock_reason": issue.lock_reason,
            "comments": issue.comments,
            "created_at": ts(issue.created_at),
            "updated_at": ts(issue.updated_at),
            "closed_at": ts(issue.closed_at),
            "closed_by": self.maybe_user(issue.closed_by),
            "author_association": self.state.association(issue.user),
            "sub_issues_summary": {
                "total": total,
                "completed": done,
                "percent_completed": done * 100 // total if total else 0,
            },
            "issue_dependencies_summary": self._dependencies(issue),
            "reactions": self.reactions(f"{url}/reactions"),
            "performed_via_github_app": None,
        }
        body.update(self._org_extras(issue))
        if issue.parent is not None:
            body["parent_issue_url"] = f"{self.repo_url}/issues/{issue.parent}"
        if issue.pull is not None:
            pull_url = f"{self.repo_url}/pulls/{issue.number}"
            html = f"{self.html_url}/pull/{issue.number}"
            body["draft"] = issue.pull.draft
            body["pull_request"] = {
                "url": pull_url,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": ts(issue.pull.merged_at),
            }
        return body

    def _dependencies(self, issue: Issue) -> JSON:
        """`blocked_by`/`blocking` count the open issues, the `total_` fields all of them."""

        def still_open(ids: list[int]) -> int:
            found = (self.state.org.issue_by_id(i) for i in ids)
            return sum(1 for f in found if f is not None and f[1].state == "open")

        return {
            "blocked_by": still_open(issue.blocked_by),
            "blocking": still_open(issue.blocking),
            "total_blocked_by": len(issue.blocked_by),
            "total_blocking": len(issue.blocking),
        }

    def _org_extras(self, issue: Issue) -> JSON:
        from pmbot.sandbox.render_org import issue_extras  # it imports this module

        return issue_extras(self.state, issue)

    def reactions(self, url: str) -> JSON:
        counts = dict.fromkeys(("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes"), 0)
        return {"url": url, "total_count": 0, **counts, "rocket": 0}

    def comment(self, comment: Comment) -> JSON:
        url = f"{self.repo_url}/issues/comments/{comment.id}"
        return {
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "url": url,
            "html_url": f"{self.html_url}/issues/{comment.issue}#issuecomment-{comment.id}",
            "issue_url": f"{self.repo_url}/issues/{comment.issue}",
            "body": comment.body,
            "user": self.simple_user(comment.user),
            "created_at": ts(comment.created_at),
            "updated_at": ts(comment.updated_at),
            "author_association": self.state.association(comment.user),
            "reactions": self.reactions(f"{url}/reactions"),
            "performed_via_github_app": None,
        }

    # -- repository ----------------------------------------------------------------------

    def repository(self) -> JSON:
        s, r, h = self.state, self.repo_url, self.html_url
        open_issues = sum(1 for i in s.issues.values() if i.state == "open")
        pushed = s.git.resolve(s.default_branch)
        return {
            "id": s.repo_id,
            "node_id": node_id("Repository", s.repo_id),
            "name": s.name,
            "full_name": s.full_name,
            "owner": self.simple_user(s.owner),
            "private": False,
            "visibility": "public",
            "html_url": h,
            "description": None,
            "fork": False,
            "url": r,
            **{f"{k}_url": f"{r}/{k}" for k in _PLAIN_URLS},
            **{f"{k}_url": f"{r}/{v}" for k, v in _TEMPLATED_URLS.items()},
            "git_url": f"git://github.com/{s.full_name}.git",
            "ssh_url": f"git@github.com:{s.full_name}.git",
            "clone_url": f"{h}.git",
            "svn_url": h,
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "size": 0,
            "default_branch": s.default_branch,
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "open_issues": open_issues,
            "open_issues_count": open_issues,
            "network_count": 0,
            "subscribers_count": 0,
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "is_template": False,
            "license": None,
            "topics": [],
            "allow_merge_commit": True,
            "allow_squash_merge": True,
            "allow_rebase_merge": True,
            "delete_branch_on_merge": False,
            "permissions": {
                "admin": True,
                "maintain": True,
                "push": True,
                "triage": True,
                "pull": True,
            },
            "created_at": ts(s.created_at),
            "updated_at": ts(s.created_at),
            "pushed_at": ts(pushed.date if pushed else s.created_at),
        }

    # -- git -----------------------------------------------------------------------------

    def git_commit(self, commit: Commit) -> JSON:
        person = {"name": commit.author, "email": commit.email, "date": ts(commit.date)}
        return {
            "sha": commit.sha,
            "node_id": node_id("Commit", commit.sha[:12]),
            "url": f"{self.repo_url}/git/commits/{commit.sha}",
            "html_url": f"{self.html_url}/commit/{commit.sha}",
            "author": person,
            "committer": person,
            "tree": {"sha": commit.tree, "url": f"{self.repo_url}/git/trees/{commit.tree}"},
            "message": commit.message,
            "parents": [self._parent(p) for p in commit.parents],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }

    def _parent(self, sha: str) -> JSON:
        return {
            "sha": sha,
            "url": f"{self.repo_url}/commits/{sha}",
            "html_url": f"{self.html_url}/commit/{sha}",
        }

    def commit(self, commit: Commit) -> JSON:
        """The `commit` schema (GET /commits, a branch's head)."""
        git = self.git_commit(commit)
        owner = self.simple_user(self.state.owner)
        return {
            "sha": commit.sha,
            "node_id": git["node_id"],
            "url": f"{self.repo_url}/commits/{commit.sha}",
            "html_url": git["html_url"],
            "comments_url": f"{self.repo_url}/commits/{commit.sha}/comments",
            "commit": {
                "url": git["url"],
                "author": git["author"],
                "committer": git["committer"],
                "message": commit.message,
                "tree": git["tree"],
                "comment_count": 0,
                "verification": git["verification"],
            },
            "author": owner,
            "committer": owner,
            "parents": git["parents"],
        }

    def git_ref(self, ref: str, sha: str) -> JSON:
        return {
            "ref": ref,
            "node_id": node_id("Ref", ref),
            "url": f"{self.repo_url}/git/{ref}",
            "object": {
                "sha": sha,
                "type": "commit",
                "url": f"{self.repo_url}/git/commits/{sha}",
            },
        }

    def content_entry(self, path: str, kind: str, sha: str, size: int, ref: str) -> JSON:
        """One item of a directory listing (also the start of a file's representation)."""
        self_url = f"{self.repo_url}/contents/{path}?ref={ref}"
        git_url = f"{self.repo_url}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}"
        html = f"{self.html_url}/{'blob' if kind == 'file' else 'tree'}/{ref}/{path}"
        raw = f"https://raw.githubusercontent.com/{self.state.full_name}/{ref}/{path}"
        return {
            "type": kind,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": size,
            "url": self_url,
            "html_url": html,
            "git_url": git_url,
            "download_url": raw if kind == "file" else None,
            "_links": {"self": self_url, "git": git_url, "html": html},
        }

    def content_file(self, path: str, data: bytes, sha: str, ref: str) -> JSON:
        encoded = base64.b64encode(data).decode()
        # GitHub wraps the base64 text at 60 characters, each line ending in a newline
        wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
        entry = self.content_entry(path, "file", sha, len(data), ref)
        return {**entry, "content": wrapped, "encoding": "base64"}


_PLAIN_URLS = (
    "forks",
    "teams",
    "hooks",
    "events",
    "tags",
    "languages",
    "stargazers",
    "contributors",
    "subscribers",
    "subscription",
    "merges",
    "downloads",
    "deployments",
)
_TEMPLATED_URLS = {
    "keys": "keys{/key_id}",
    "collaborators": "collaborators{/collaborator}",
    "issue_events": "issues/events{/number}",
    "assignees": "assignees{/user}",
    "branches": "branches{/branch}",
    "blobs": "git/blobs{/sha}",
    "git_tags": "git/tags{/sha}",
    "git_refs": "git/refs{/sha}",
    "trees": "git/trees{/sha}",
    "statuses": "statuses/{sha}",
    "commits": "commits{/sha}",
    "git_commits": "git/commits{/sha}",
    "comments": "comments{/number}",
    "issue_comment": "issues/comments{/number}",
    "contents": "contents/{+path}",
    "compare": "compare/{base}...{head}",
    "archive": "{archive_format}{/ref}",
    "issues": "issues{/number}",
    "pulls": "pulls{/number}",
    "milestones": "milestones{/number}",
    "notifications": "notifications{?since,all,participating}",
    "labels": "labels{/name}",
    "releases": "releases{/id}",
}
