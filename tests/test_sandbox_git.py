"""The sandbox's git content and pull requests, through PyGithub and raw HTTP."""

from __future__ import annotations

import base64
import hashlib
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from github import Auth, Github, GithubException
from github.ContentFile import ContentFile
from github.Repository import Repository

from pmbot.sandbox import Sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        yield sandbox


@pytest.fixture
def repo(sb: Sandbox) -> Repository:
    gh = Github(
        base_url=sb.base_url,
        auth=Auth.Token("any-token"),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    return gh.get_repo("acme/web")


def one_file(found: ContentFile | list[ContentFile]) -> ContentFile:
    assert not isinstance(found, list)
    return found


def test_blob_shas_are_gits(sb: Sandbox, repo: Repository) -> None:
    sha = sb.seed_file("docs/README.md", "# Docs\n")
    expected = hashlib.sha1(b"blob 7\0# Docs\n", usedforsecurity=False).hexdigest()
    assert sha == expected
    found = one_file(repo.get_contents("docs/README.md"))
    assert found.sha == sha and found.decoded_content == b"# Docs\n"
    assert found.encoding == "base64"


def test_create_then_update_with_sha(repo: Repository) -> None:
    made = repo.create_file("docs/a.md", "Add", "one\n")
    assert made["content"].sha
    current = one_file(repo.get_contents("docs/a.md"))
    repo.update_file("docs/a.md", "Update", "two\n", current.sha)
    assert one_file(repo.get_contents("docs/a.md")).decoded_content == b"two\n"
    with pytest.raises(GithubException) as stale:
        repo.update_file("docs/a.md", "Again", "three\n", current.sha)
    assert stale.value.status == 409


def test_writing_an_existing_file_without_sha_is_422(sb: Sandbox) -> None:
    sb.seed_file("docs/a.md", "one\n")
    body = {"message": "m", "content": base64.b64encode(b"two\n").decode()}
    answer = requests.put(f"{sb.base_url}/repos/acme/web/contents/docs/a.md", json=body, timeout=5)
    assert answer.status_code == 422


def test_ref_and_branch_are_honoured(sb: Sandbox, repo: Repository) -> None:
    sb.create_branch("pmbot/doc")
    repo.create_file("docs/b.md", "On a branch", "b\n", branch="pmbot/doc")
    assert one_file(repo.get_contents("docs/b.md", ref="pmbot/doc")).decoded_content == b"b\n"
    with pytest.raises(GithubException) as missing:
        repo.get_contents("docs/b.md")
    assert missing.value.status == 404


def test_directory_listing_and_recursive_tree(sb: Sandbox, repo: Repository) -> None:
    sb.seed_files({f"docs/postmortems/2026-0{n}-x.md": f"doc {n}\n" for n in range(1, 4)})
    sb.seed_file("README.md", "hi\n")
    listing = repo.get_contents("docs/postmortems")
    assert isinstance(listing, list) and len(listing) == 3
    assert {e.type for e in repo.get_contents("")} == {"dir", "file"}  # type: ignore[union-attr]
    sb.counters.reset()
    tree = repo.get_git_tree("main", recursive=True)
    paths = [e.path for e in tree.tree if e.type == "blob"]
    assert "docs/postmortems/2026-02-x.md" in paths and len(paths) == 4
    assert sb.counters.requests == 1  # the whole docs folder in one request
    blob = repo.get_git_blob(next(e.sha for e in tree.tree if e.path == "README.md"))
    assert base64.b64decode(blob.content) == b"hi\n"


def test_refs(sb: Sandbox, repo: Repository) -> None:
    main = repo.get_git_ref("heads/main")
    ref = repo.create_git_ref("refs/heads/feature", main.object.sha)
    with pytest.raises(GithubException) as exists:
        repo.create_git_ref("refs/heads/feature", main.object.sha)
    assert exists.value.status == 422
    repo.create_file("x.md", "x", "x\n", branch="feature")
    ahead = repo.get_branch("feature").commit.sha
    ref.edit(ahead)
    with pytest.raises(GithubException) as backwards:
        ref.edit(main.object.sha)  # not a fast forward
    assert backwards.value.status == 422
    ref.edit(main.object.sha, force=True)
    assert [r.ref for r in repo.get_git_matching_refs("heads/")] == [
        "refs/heads/feature",
        "refs/heads/main",
    ]


def test_pull_request_flow(sb: Sandbox, repo: Repository) -> None:
    sb.create_branch("pmbot/pm-1")
    repo.create_file("docs/pm-1.md", "Add postmortem", "# PM 1\n", branch="pmbot/pm-1")
    pull = repo.create_pull(base="main", head="pmbot/pm-1", title="Postmortem 1", body="Doc")
    assert pull.changed_files == 1 and pull.mergeable
    with pytest.raises(GithubException) as twice:
        repo.create_pull(base="main", head="pmbot/pm-1", title="again")
    assert twice.value.status == 422
    found = repo.get_pulls(head="acme:pmbot/pm-1", base="main")
    assert [p.number for p in found] == [pull.number]
    assert repo.get_issue(pull.number).pull_request is not None  # a pull request is an issue
    assert not pull.is_merged()
    assert pull.merge().merged
    assert pull.is_merged()
    assert one_file(repo.get_contents("docs/pm-1.md")).decoded_content == b"# PM 1\n"
    assert list(repo.get_pulls()) == []


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_its_base_url_and_serves(stop: signal.Signals) -> None:
    """Ctrl-C or `kill` stops it cleanly (exit 0). SIGINT is set to its default in the child,
    since a test run started in the background by a script inherits it ignored."""
    code = "from pmbot.sandbox import serve; raise SystemExit(serve(0, None, 'acme/web'))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        answer = requests.get(f"{base_url}/repos/acme/web", timeout=5)
        assert answer.json()["full_name"] == "acme/web"
        proc.send_signal(stop)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:  # never leave a server behind, whatever failed
            proc.kill()
            proc.wait()


def test_racing_writers_with_the_same_sha_one_wins(sb: Sandbox) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sha = sb.seed_file("docs/index.md", "v1\n")
    url = f"{sb.base_url}/repos/acme/web/contents/docs/index.md"

    def write(n: int) -> int:
        content = base64.b64encode(f"v{n}\n".encode()).decode()
        body = {"message": f"write {n}", "content": content, "sha": sha}
        return requests.put(url, json=body, timeout=10).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(write, range(2, 8)))  # all differ from v1
    assert statuses == [200, 409, 409, 409, 409, 409]
