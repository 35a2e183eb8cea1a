"""Git content, modelled simply: branches point at commits, a commit holds path -> blob sha.

Blob and tree ids are computed the way git computes them, so a sha the sandbox returns for
a file is the sha `git hash-object` would print for the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _object_sha(kind: str, payload: bytes) -> str:
    header = f"{kind} {len(payload)}\0".encode()
    return hashlib.sha1(header + payload, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str
    type: str  # "blob" or "tree"
    sha: str
    size: int | None


@dataclass
class Commit:
    sha: str
    tree: str
    parents: list[str]
    message: str
    author: str
    email: str
    date: datetime
    files: dict[str, str]  # path -> blob sha
    dirs: dict[str, str] = field(default_factory=dict)  # directory path ("" = root) -> tree sha


class GitStore:
    """Blobs, trees, commits and refs of the one sandbox repository."""

    def __init__(self, default_branch: str, now: datetime) -> None:
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, list[TreeEntry]] = {EMPTY_TREE: []}
        self.commits: dict[str, Commit] = {}
        self.refs: dict[str, str] = {}
        root = self.make_commit({}, [], "Initial commit", "sandbox", "sandbox@example.com", now)
        self.refs[f"refs/heads/{default_branch}"] = root.sha

    # -- reading -------------------------------------------------------------------------

    def branch_head(self, branch: str) -> str | None:
        return self.refs.get(f"refs/heads/{branch}")

    def resolve(self, ref: str) -> Commit | None:
        """A commit from a branch name, `heads/x`, `refs/heads/x`, a tag ref or a commit sha."""
        for candidate in (ref, f"refs/{ref}", f"refs/heads/{ref}", f"refs/tags/{ref}"):
            if candidate in self.refs:
                return self.commits[self.refs[candidate]]
        return self.commits.get(ref)

    def read(self, commit: Commit, path: str) -> bytes | None:
        sha = commit.files.get(path)
        return None if sha is None else self.blobs[sha]

    def tree_entries(self, tree_sha: str, recursive: bool) -> list[TreeEntry] | None:
        entries = self.trees.get(tree_sha)
        if entries is None or not recursive:
            return entries
        out: list[TreeEntry] = []
        for entry in entries:
            out.append(entry)
            if entry.type == "tree":
                for sub in self.tree_entries(entry.sha, True) or []:
                    path = f"{entry.path}/{sub.path}"
                    out.append(TreeEntry(path, sub.mode, sub.type, sub.sha, sub.size))
        return out

    def files_of_tree(self, tree_sha: str) -> dict[str, str] | None:
        """path -> blob sha for every file under a tree."""
        entries = self.tree_entries(tree_sha, recursive=True)
        if entries is None:
            return None
        return {e.path: e.sha for e in entries if e.type == "blob"}

    def ancestors(self, sha: str) -> set[str]:
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.commits[current].parents)
        return seen

    # -- writing -------------------------------------------------------------------------

    def put_blob(self, data: bytes) -> str:
        sha = blob_sha(data)
        self.blobs[sha] = data
        return sha

    def commit_changes(
        self,
        branch: str,
        changes: dict[str, bytes | None],
        message: str,
        author: str,
        email: str,
        now: datetime,
    ) -> Commit:
        """Commit `changes` (path -> bytes, None deletes) on top of `branch` and advance it."""
        parent = self.commits[self.refs[f"refs/heads/{branch}"]]
        files = dict(parent.files)
        for path, data in changes.items():
            if data is None:
                files.pop(path, None)
            else:
                files[path] = self.put_blob(data)
        commit = self.make_commit(files, [parent.sha], message, author, email, now)
        self.refs[f"refs/heads/{branch}"] = commit.sha
        return commit

    def write_tree(self, files: dict[str, str]) -> str:
        return self._write_tree(files, "", {})

    def make_commit(
        self,
        files: dict[str, str],
        parents: list[str],
        message: str,
        author: str,
        email: str,
        now: datetime,
    ) -> Commit:
        dirs: dict[str, str] = {}
        tree = self._write_tree(files, "", dirs)
        stamp = f"{author} <{email}> {int(now.timestamp())} +0000"
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
        lines += [f"author {stamp}", f"committer {stamp}", "", message, ""]
        # the generated id also mixes in the commit count so two identical commits differ
        text = "\n".join(lines) + f"\n{len(self.commits)}"
        sha = _object_sha("commit", text.encode())
        commit = Commit(sha, tree, parents, message, author, email, now, files, dirs)
        self.commits[sha] = commit
        return commit

    def _write_tree(self, files: dict[str, str], prefix: str, dirs: dict[str, str]) -> str:
        blobs: dict[str, str] = {}
        subdirs: dict[str, dict[str, str]] = {}
        for path, sha in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                subdirs.setdefault(head, {})[rest] = sha
            else:
                blobs[head] = sha
        entries: list[TreeEntry] = []
        for name, sha in blobs.items():
            entries.append(TreeEntry(name, "100644", "blob", sha, len(self.blobs[sha])))
        for name, sub in subdirs.items():
            sub_sha = self._write_tree(sub, f"{prefix}{name}/", dirs)
            entries.append(TreeEntry(name, "040000", "tree", sub_sha, None))
        # git orders entries by name, a tree's name compared as if it ended in "/"
        entries.sort(key=lambda e: e.path + ("/" if e.type == "tree" else ""))
        payload = b"".join(
            f"{e.mode.lstrip('0')} {e.path}\0".encode() + bytes.fromhex(e.sha) for e in entries
        )
        sha = _object_sha("tree", payload)
        self.trees[sha] = entries
        dirs[prefix.rstrip("/")] = sha
        return sha
