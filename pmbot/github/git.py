"""The adapter's git half: files and trees, blobs, branches, one-commit writes, pull requests."""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pmbot.core.timestamps import parse_iso
from pmbot.errors import GitHubError, Problem
from pmbot.github.base import RepoBase
from pmbot.github.models import (
    BranchResult,
    FileSnapshot,
    FilesResult,
    PullResult,
    PullSnapshot,
    git_blob_sha,
)
from pmbot.github.transport import GitHubHTTPError, Lost, LostWriteError, url_path


class GitData(RepoBase):
    """Reads and writes through the git data, contents and pulls APIs."""

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
            text = self.read_blobs([data["sha"]])[0]
        else:
            text = _decode(data.get("content", ""))
        html = str(data.get("html_url") or "")
        return FileSnapshot(path=path, sha=data["sha"], text=text, html_url=html)

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

    def ensure_branch(self, name: str, from_branch: str) -> BranchResult:
        existing = self._branch_sha(name)
        if existing is not None:
            return BranchResult(name=name, sha=existing, created=False)
        source = self._require_branch(from_branch, "start from")
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
            except Lost as exc:
                self.log.warning("GitHub PATCH %s: answer lost (%s); checking", url_path(url), exc)
                if self._branch_sha(branch) == sha:
                    return FilesResult(written=tuple(changed), unchanged=unchanged)
                if attempt == 2:
                    raise LostWriteError(f"PATCH {url_path(url)}: answer lost twice") from exc
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

    def _require_branch(self, name: str, purpose: str = "publish to") -> str:
        sha = self._branch_sha(name)
        if sha is None:
            raise GitHubError(
                [
                    Problem(
                        field="branch",
                        message=f"{name!r} not found in {self.settings.repository}.",
                        fix=f"Create it, or configure the branch pmbot should {purpose}.",
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

    def _contents_url(self, path: str) -> str:
        return f"{self.repo}/contents/{urllib.parse.quote(path.lstrip('/'))}"


def _merges(data: Any) -> list[tuple[str, datetime]]:
    """(head branch, merged at) of the merged pull requests in a page of the pulls list."""
    return [
        (str((p.get("head") or {}).get("ref") or ""), parse_iso(str(p["merged_at"])))
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
            found.append((str(commit.get("message") or ""), parse_iso(str(when))))
    return found


def _ref(ref: str | None) -> dict[str, str] | None:
    return {"ref": ref} if ref else None


def _decode(content: str) -> str:
    return base64.b64decode(content).decode()
