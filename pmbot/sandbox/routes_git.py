"""Contents, branches, refs, trees, blobs and commits."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from pmbot.sandbox import validate as v
from pmbot.sandbox.gitstore import Commit
from pmbot.sandbox.render import Renderer
from pmbot.sandbox.routing import (
    ApiError,
    Request,
    Response,
    Router,
    invalid_request,
    paginate,
    validation_failed,
)

router = Router()
R = "/repos/{owner}/{repo}"
# The raw media type, also in its versioned (`v3.raw`) and `+json` spellings; a directory
# ignores it and answers the listing, as on GitHub.
RAW = re.compile(r"application/vnd\.github(?:\.v3)?\.raw(?:\+json)?\b", re.IGNORECASE)


def _commit_for(req: Request, ref: str | None) -> Commit:
    ref = ref or req.state.default_branch
    commit = req.state.git.resolve(ref)
    if commit is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    return commit


def _require_push(req: Request) -> None:
    if not req.state.can_push(req.login):
        raise ApiError(403, "Resource not accessible by integration")


def _decode(data: dict[str, Any]) -> bytes:
    raw = v.text(data, "content", allow_null=False)
    if raw is None:
        v.required(data, "content")
    try:
        return base64.b64decode(str(raw), validate=False)
    except (binascii.Error, ValueError):
        raise invalid_request("content is not valid Base64") from None


# -- contents ----------------------------------------------------------------------------


@router.route("GET", R + "/contents/{path}")
def read_contents(req: Request) -> Response:
    ref = req.query.get("ref") or req.state.default_branch
    commit = _commit_for(req, ref)
    path = req.params["path"].strip("/")
    data = req.state.git.read(commit, path)
    if data is not None and RAW.search(req.accept):
        return Response(200, raw=data, media_type="application/vnd.github.raw")
    if data is not None:
        sha = commit.files[path]
        return Response(200, req.render.content_file(path, data, sha, ref))
    if path not in commit.dirs:
        raise ApiError(404, "Not Found")
    listing = []
    for entry in req.state.git.trees[commit.dirs[path]]:
        full = f"{path}/{entry.path}" if path else entry.path
        kind = "file" if entry.type == "blob" else "dir"
        listing.append(req.render.content_entry(full, kind, entry.sha, entry.size or 0, ref))
    return Response(200, listing)


def _file_commit(render: Renderer, commit: Commit, path: str, branch: str) -> dict[str, Any]:
    content = None
    if path in commit.files:
        sha = commit.files[path]
        size = len(render.state.git.blobs[sha])
        content = render.content_entry(path, "file", sha, size, branch)
    return {"content": content, "commit": render.git_commit(commit)}


def _branch_commit(req: Request, data: dict[str, Any]) -> tuple[str, Commit]:
    branch = v.text(data, "branch") or req.state.default_branch
    head = req.state.git.branch_head(branch)
    if head is None:
        raise ApiError(404, f"Branch {branch} not found")
    return branch, req.state.git.commits[head]


def _author(req: Request, data: dict[str, Any]) -> tuple[str, str]:
    who = data.get("committer") or data.get("author")
    if isinstance(who, dict) and isinstance(who.get("name"), str):
        return who["name"], str(who.get("email") or f"{who['name']}@example.com")
    user = req.state.user(req.login)
    if user is not None and user.type == "Bot":  # as GitHub signs an app's commits
        return req.login, f"{user.id}+{req.login}@users.noreply.github.com"
    return req.login, f"{req.login}@users.noreply.github.com"


@router.route("PUT", R + "/contents/{path}")
def write_contents(req: Request) -> Response:
    data = v.body(req)
    message = v.text(data, "message", allow_null=False)
    if message is None:
        v.required(data, "message")
    content = _decode(data)
    path = req.params["path"].strip("/")
    branch, head = _branch_commit(req, data)
    _require_push(req)
    if path in head.dirs or not path:
        raise invalid_request(f"{path or '/'} is a directory")
    current = head.files.get(path)
    sha = v.text(data, "sha")
    if current is not None and sha is None:
        raise invalid_request('"sha" wasn\'t supplied.')
    if current is not None and sha != current:
        raise ApiError(409, f"{path} does not match {sha}")
    name, email = _author(req, data)
    commit = req.state.git.commit_changes(
        branch, {path: content}, str(message), name, email, req.state.now()
    )
    status = 201 if current is None else 200
    return Response(status, _file_commit(req.render, commit, path, branch))


@router.route("DELETE", R + "/contents/{path}")
def delete_contents(req: Request) -> Response:
    data = v.body(req)
    message = v.text(data, "message", allow_null=False)
    if message is None:
        v.required(data, "message")
    sha = v.text(data, "sha", allow_null=False)
    if sha is None:
        v.required(data, "sha")
    path = req.params["path"].strip("/")
    branch, head = _branch_commit(req, data)
    _require_push(req)
    current = head.files.get(path)
    if current is None:
        raise ApiError(404, "Not Found")
    if sha != current:
        raise ApiError(409, f"{path} does not match {sha}")
    name, email = _author(req, data)
    commit = req.state.git.commit_changes(
        branch, {path: None}, str(message), name, email, req.state.now()
    )
    return Response(200, _file_commit(req.render, commit, path, branch))


# -- branches and refs -------------------------------------------------------------------


@router.route("GET", R + "/branches/{branch}")
def read_branch(req: Request) -> Response:
    name = req.params["branch"]
    head = req.state.git.branch_head(name)
    if head is None:
        raise ApiError(404, "Branch not found")
    url = f"{req.render.repo_url}/branches/{name}"
    body = {
        "name": name,
        "commit": req.render.commit(req.state.git.commits[head]),
        "_links": {"self": url, "html": f"{req.render.html_url}/tree/{name}"},
        "protected": False,
        "protection": {"enabled": False, "required_status_checks": _NO_CHECKS},
        "protection_url": f"{url}/protection",
    }
    return Response(200, body)


_NO_CHECKS = {"enforcement_level": "off", "contexts": [], "checks": []}


def _full_ref(req: Request) -> str:
    return "refs/" + req.params["ref"].strip("/").removeprefix("refs/")


@router.route("GET", R + "/git/ref/{ref}")
def read_ref(req: Request) -> Response:
    ref = _full_ref(req)
    sha = req.state.git.refs.get(ref)
    if sha is None:
        raise ApiError(404, "Not Found")
    return Response(200, req.render.git_ref(ref, sha))


@router.route("GET", R + "/git/matching-refs/{ref}")
def matching_refs(req: Request) -> Response:
    prefix = _full_ref(req) if req.params["ref"] else "refs/"
    refs = sorted(r for r in req.state.git.refs if r.startswith(prefix))
    return Response(200, [req.render.git_ref(r, req.state.git.refs[r]) for r in refs])


@router.route("POST", R + "/git/refs")
def create_ref(req: Request) -> Response:
    data = v.body(req)
    ref = v.text(data, "ref", allow_null=False)
    sha = v.text(data, "sha", allow_null=False)
    if ref is None or sha is None:
        v.required(data, "ref" if ref is None else "sha")
    assert ref is not None and sha is not None
    _require_push(req)
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if sha not in req.state.git.commits:
        raise ApiError(422, "Object does not exist")
    if ref in req.state.git.refs:
        raise ApiError(422, "Reference already exists")
    req.state.git.refs[ref] = sha
    body = req.render.git_ref(ref, sha)
    return Response(201, body, {"Location": body["url"]})


@router.route("PATCH", R + "/git/refs/{ref}")
def update_ref(req: Request) -> Response:
    data = v.body(req)
    sha = v.text(data, "sha", allow_null=False)
    if sha is None:
        v.required(data, "sha")
    assert sha is not None
    ref = _full_ref(req)
    git = req.state.git
    _require_push(req)
    if ref not in git.refs:
        raise ApiError(422, "Reference does not exist")
    if sha not in git.commits:
        raise ApiError(422, "Object does not exist")
    if not v.flag(data, "force") and git.refs[ref] not in git.ancestors(sha):
        raise ApiError(422, "Update is not a fast forward")
    git.refs[ref] = sha
    return Response(200, req.render.git_ref(ref, sha))


@router.route("DELETE", R + "/git/refs/{ref}")
def delete_ref(req: Request) -> Response:
    ref = _full_ref(req)
    _require_push(req)
    if ref not in req.state.git.refs:
        raise ApiError(422, "Reference does not exist")
    del req.state.git.refs[ref]
    return Response(204)


# -- trees, blobs, commits ---------------------------------------------------------------


@router.route("GET", R + "/git/trees/{tree_sha}")
def read_tree(req: Request) -> Response:
    git = req.state.git
    sha = req.params["tree_sha"]
    if sha not in git.trees:
        commit = git.resolve(sha)
        if commit is None:
            raise ApiError(404, "Not Found")
        sha = commit.tree
    entries = git.tree_entries(sha, recursive="recursive" in req.query) or []
    tree = []
    for e in entries:
        kind = "blobs" if e.type == "blob" else "trees"
        item: dict[str, Any] = {"path": e.path, "mode": e.mode, "type": e.type, "sha": e.sha}
        if e.size is not None:
            item["size"] = e.size
        item["url"] = f"{req.render.repo_url}/git/{kind}/{e.sha}"
        tree.append(item)
    url = f"{req.render.repo_url}/git/trees/{sha}"
    return Response(200, {"sha": sha, "url": url, "tree": tree, "truncated": False})


@router.route("POST", R + "/git/trees")
def create_tree(req: Request) -> Response:
    data = v.body(req)
    items = v.required(data, "tree")
    if not isinstance(items, list):
        raise invalid_request("For 'properties/tree', the value is not an array.")
    git = req.state.git
    files: dict[str, str] = {}
    base = v.text(data, "base_tree")
    if base:
        found = git.files_of_tree(base)
        if found is None:
            raise validation_failed("Tree", "base_tree", "invalid", base)
        files = found
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise invalid_request("For 'items', each tree entry needs a path.")
        path = item["path"].strip("/")
        if isinstance(item.get("content"), str):
            files[path] = git.put_blob(item["content"].encode())
        elif item.get("sha") is None:
            files.pop(path, None)
        elif item["sha"] in git.blobs:
            files[path] = item["sha"]
        else:
            raise validation_failed("Tree", "sha", "invalid", item["sha"])
    _require_push(req)
    sha = git.write_tree(files)
    return Response(201, read_tree(_with_param(req, "tree_sha", sha)).body)


def _with_param(req: Request, name: str, value: str) -> Request:
    return Request("GET", req.path, {}, None, req.login, req.state, req.render, {name: value})


@router.route("GET", R + "/git/blobs/{file_sha}")
def read_blob(req: Request) -> Response:
    sha = req.params["file_sha"]
    data = req.state.git.blobs.get(sha)
    if data is None:
        raise ApiError(404, "Not Found")
    content = req.render.content_file("blob", data, sha, "")["content"]
    body = {
        "sha": sha,
        "node_id": f"B_{sha[:16]}",
        "size": len(data),
        "url": f"{req.render.repo_url}/git/blobs/{sha}",
        "content": content,
        "encoding": "base64",
    }
    return Response(200, body)


@router.route("POST", R + "/git/blobs")
def create_blob(req: Request) -> Response:
    data = v.body(req)
    text = v.text(data, "content", allow_null=False)
    if text is None:
        v.required(data, "content")
    encoding = v.text(data, "encoding") or "utf-8"
    raw = _decode(data) if encoding == "base64" else str(text).encode()
    _require_push(req)
    sha = req.state.git.put_blob(raw)
    return Response(201, {"sha": sha, "url": f"{req.render.repo_url}/git/blobs/{sha}"})


@router.route("GET", R + "/git/commits/{commit_sha}")
def read_git_commit(req: Request) -> Response:
    commit = req.state.git.commits.get(req.params["commit_sha"])
    if commit is None:
        raise ApiError(404, "Not Found")
    return Response(200, req.render.git_commit(commit))


@router.route("POST", R + "/git/commits")
def create_git_commit(req: Request) -> Response:
    data = v.body(req)
    message = v.text(data, "message", allow_null=False)
    tree = v.text(data, "tree", allow_null=False)
    if message is None or tree is None:
        v.required(data, "message" if message is None else "tree")
    git = req.state.git
    files = git.files_of_tree(str(tree))
    if files is None:
        raise validation_failed("Commit", "tree", "invalid", tree)
    parents = v.names(data, "parents") or []
    if any(p not in git.commits for p in parents):
        raise validation_failed("Commit", "parents", "invalid", parents)
    _require_push(req)
    name, email = _author(req, data)
    commit = git.make_commit(files, parents, str(message), name, email, req.state.now())
    return Response(201, req.render.git_commit(commit))


@router.route("GET", R + "/commits")
def list_commits(req: Request) -> Response:
    git = req.state.git
    commit = _commit_for(req, req.query.get("sha"))
    path = req.query.get("path", "").strip("/")
    history = []
    current: Commit | None = commit
    while current is not None:
        parent = git.commits[current.parents[0]] if current.parents else None
        if not path or _touches(current, parent, path):
            history.append(current)
        current = parent
    return paginate(req, history, req.render.commit)


def _touches(commit: Commit, parent: Commit | None, path: str) -> bool:
    def under(files: dict[str, str]) -> dict[str, str]:
        return {p: s for p, s in files.items() if p == path or p.startswith(path + "/")}

    return under(commit.files) != under(parent.files if parent else {})
