"""Drive the GitHub sandbox broadly through PyGithub and raw HTTP; time a large listing.

    python benchmarks/bench_sandbox.py [--log exchanges.jsonl] [--issues 10000]

The log it writes is the input for a contract check against GitHub's OpenAPI description
(see DESIGN.md, "Sandbox"). Every exchange it makes is one a GitHub client could make.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import time
from typing import Any

import requests
from github import Auth, Github, GithubException

from pmbot.sandbox import Sandbox


def exercise(sb: Sandbox) -> None:
    """Touch every endpoint the sandbox serves, successes and documented failures."""
    sb.seed_user("alice", association="MEMBER", permission="write", token="alice-token")
    sb.seed_user("bob", association="CONTRIBUTOR", permission="read", assignable=False)
    gh = Github(base_url=sb.base_url, auth=Auth.Token("any-token"), retry=None)
    http = requests.Session()
    http.headers["Authorization"] = "token any-token"
    api = f"{sb.base_url}/repos/{sb.state.full_name}"

    repo = gh.get_repo(sb.state.full_name)
    gh.get_user().login  # noqa: B018 - the request is the point
    gh.get_user("alice").name  # noqa: B018
    gh.get_rate_limit()
    _labels_and_issues(gh, http, api)
    _contents_and_git(gh, http, api)
    _pulls(gh, http, api)
    repo.get_collaborator_permission("alice")
    repo.has_in_collaborators("alice")
    repo.has_in_collaborators("bob")
    list(gh.search_issues("repo:acme/web is:issue is:open label:postmortem"))
    _failures(http, api, sb)


def _labels_and_issues(gh: Github, http: requests.Session, api: str) -> None:
    repo = gh.get_repo("acme/web")
    repo.create_label("postmortem", "d73a4a", "A postmortem")
    repo.create_label("action-item", "0e8a16")
    label = repo.get_label("action-item")
    label.edit("action-item", "1d76db", "Follow-up work")
    list(repo.get_labels())
    pm = repo.create_issue("SEV-2: checkout down", body="## Summary", labels=["postmortem"])
    item = repo.create_issue("Add a canary", assignees=["alice"], labels=["action-item"])
    item.edit(title="Add a canary stage", body="Owner: @alice", labels=["action-item", "P1"])
    repo.get_issue(item.number)
    list(repo.get_issues(state="all", labels=[label], sort="updated", direction="asc"))
    list(repo.get_issues(since=pm.created_at))
    comment = pm.create_comment("<!-- pmbot:review -->\nLooks good")
    comment.edit("<!-- pmbot:review -->\nLooks better")
    pm.get_comment(comment.id)
    list(pm.get_comments())
    list(repo.get_issues_comments())
    pm.create_comment("to delete").delete()
    repo.has_in_assignees("alice")
    list(repo.get_assignees())
    item.add_to_assignees("acme")
    item.remove_from_assignees("acme")
    http.post(f"{api}/issues/{item.number}/labels", json={"labels": ["overdue"]})
    http.put(f"{api}/issues/{item.number}/labels", json={"labels": ["action-item", "overdue"]})
    list(item.get_labels())
    item.remove_from_labels("overdue")
    pm.add_sub_issue(item.id)
    list(pm.get_sub_issues())
    http.get(f"{api}/issues/{item.number}/parent")
    second = repo.create_issue("Alert on error budget burn")
    pm.add_sub_issue(second.id)
    pm.remove_sub_issue(second.id)
    second.edit(state="closed", state_reason="not_planned")
    second.edit(state="open")
    item.delete_labels()
    item.lock("resolved")
    item.unlock()
    http.get(f"{api}/issues/{item.number}/assignees/alice")
    repo.create_label("scratch", "ffffff").delete()


def _contents_and_git(gh: Github, http: requests.Session, api: str) -> None:
    repo = gh.get_repo("acme/web")
    repo.create_file("docs/postmortems/2026-11-01-checkout.md", "Add", "# Checkout\n")
    repo.create_file("docs/postmortems/README.md", "Index", "# Index\n")
    current = repo.get_contents("docs/postmortems/2026-11-01-checkout.md")
    assert not isinstance(current, list)
    repo.update_file(current.path, "Update", "# Checkout v2\n", current.sha)
    repo.get_contents("docs/postmortems")
    repo.get_contents("")
    main = repo.get_branch("main")
    repo.get_git_ref("heads/main")
    list(repo.get_git_matching_refs("heads/"))
    ref = repo.create_git_ref("refs/heads/pmbot-checkout", main.commit.sha)
    repo.create_file("docs/x.md", "On a branch", "x\n", branch="pmbot-checkout")
    head = repo.get_branch("pmbot-checkout").commit.sha
    ref.edit(head)
    tree = repo.get_git_tree("main", recursive=True)
    repo.get_git_tree(tree.sha)
    blob = next(e for e in tree.tree if e.type == "blob")
    repo.get_git_blob(blob.sha)
    repo.get_git_commit(main.commit.sha)
    list(repo.get_commits(path="docs"))
    new_blob = repo.create_git_blob("raw\n", "utf-8")
    http.post(
        f"{api}/git/trees",
        json={
            "base_tree": tree.sha,
            "tree": [{"path": "n.md", "mode": "100644", "type": "blob", "sha": new_blob.sha}],
        },
    )
    readme = repo.get_contents("docs/postmortems/README.md")
    assert not isinstance(readme, list)
    repo.delete_file(readme.path, "Remove", readme.sha)
    git_tree = repo.create_git_tree([], base_tree=repo.get_git_tree(tree.sha))
    parent = repo.get_git_commit(repo.get_branch("main").commit.sha)
    commit = repo.create_git_commit("Rewrite", git_tree, [parent])
    scratch = repo.create_git_ref("refs/heads/scratch", commit.sha)
    scratch.delete()


def _pulls(gh: Github, http: requests.Session, api: str) -> None:
    repo = gh.get_repo("acme/web")
    pull = repo.create_pull(base="main", head="pmbot-checkout", title="Postmortem", body="Doc")
    list(repo.get_pulls(state="open", head="acme:pmbot-checkout", base="main"))
    repo.get_pull(pull.number)
    pull.edit(body="The document")
    pull.is_merged()
    pull.merge(merge_method="squash")
    pull.is_merged()
    repo.create_file("y.md", "y", "y\n", branch="pmbot-checkout")
    other = repo.create_pull(base="main", head="pmbot-checkout", title="Second")
    other.edit(state="closed")


def _failures(http: requests.Session, api: str, sb: Sandbox) -> None:
    http.get(f"{api}/issues/99999")
    http.post(f"{api}/issues", json={"title": "x", "assignees": ["bob"]})
    http.post(f"{api}/issues", json={"title": "x", "labels": [""]})
    http.get(f"{api}/assignees/bob")
    path = f"{api}/contents/docs/postmortems/2026-11-01-checkout.md"
    content = base64.b64encode(b"stale").decode()
    http.put(path, json={"message": "m", "content": content, "sha": "0" * 40})
    http.put(path, json={"message": "m", "content": content})
    http.delete(path, json={"message": "m", "sha": "0" * 40})
    first = http.get(f"{api}/issues/1")
    http.get(f"{api}/issues/1", headers={"If-None-Match": first.headers["ETag"]})
    for kind in ("secondary_rate_limit", "too_many_requests", "server_error", "bad_gateway"):
        sb.faults.add(kind, method="GET", path_regex=r"/issues$")
        http.get(f"{api}/issues")
    sb.faults.add("drop_after_write", method="POST", path_regex=r"/comments$")
    with contextlib.suppress(requests.ConnectionError):
        http.post(f"{api}/issues/1/comments", json={"body": "lost answer"})
    sb.rate.set_remaining(0, reset_in=60)
    http.get(f"{api}/issues")
    sb.rate.set_remaining(5000)


def bench_listing(n: int) -> dict[str, Any]:
    with Sandbox(repo="acme/web") as sb:
        start = time.perf_counter()
        sb.seed_issues(n, labels=["action-item"], body_fn=lambda i: f"Action item {i}")
        seeded = time.perf_counter() - start
        # PyGithub paces requests by default (0.25 s apart); measure the sandbox instead
        gh = Github(
            base_url=sb.base_url,
            auth=Auth.Token("x"),
            per_page=100,
            retry=None,
            seconds_between_requests=None,
        )
        start = time.perf_counter()
        count = sum(1 for _ in gh.get_repo("acme/web").get_issues(labels=["action-item"]))
        listed = time.perf_counter() - start
        return {
            "issues": count,
            "seed_seconds": round(seeded, 3),
            "list_seconds": round(listed, 3),
            "requests": sb.counters.requests,
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", help="append one JSON line per exchange to this file")
    ap.add_argument("--issues", type=int, default=10_000)
    args = ap.parse_args()
    with Sandbox(repo="acme/web", log_path=args.log) as sb:
        try:
            exercise(sb)
        except GithubException as error:
            print(f"unexpected GitHub error: {error}")
            return 1
        print(f"exercise: {sb.counters.snapshot()['requests']} requests")
    print(f"listing: {bench_listing(args.issues)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
