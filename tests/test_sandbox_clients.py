"""What other GitHub clients ask for: the raw media type on contents, the Actions caches list."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from pmbot.sandbox import Sandbox

AUTH = {"Authorization": "token any-token"}
BINARY = bytes(range(256)) * 3


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        sandbox.seed_files({".github/pmbot.yml": "publish: commit\n", "logo.png": BINARY})
        yield sandbox


def contents(sb: Sandbox, path: str, accept: str | None = None) -> requests.Response:
    headers = {**AUTH, **({"Accept": accept} if accept else {})}
    return requests.get(f"{sb.base_url}/repos/acme/web/contents/{path}", headers=headers)


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.github.raw",
        "application/vnd.github.raw+json",
        "application/vnd.github.v3.raw",
        "application/vnd.github.raw, */*;q=0.1",
    ],
)
def test_the_raw_media_type_returns_the_file_bytes(sb: Sandbox, accept: str) -> None:
    answer = contents(sb, ".github/pmbot.yml", accept)
    assert answer.status_code == 200
    assert answer.content == b"publish: commit\n"
    assert answer.headers["Content-Type"].startswith("application/vnd.github.raw")
    assert contents(sb, "logo.png", accept).content == BINARY


def test_without_the_raw_media_type_contents_stay_json(sb: Sandbox) -> None:
    for accept in (None, "application/vnd.github+json", "application/json"):
        answer = contents(sb, "logo.png", accept)
        assert answer.headers["Content-Type"].startswith("application/json")
        assert base64.b64decode(answer.json()["content"]) == BINARY


def test_a_directory_ignores_the_raw_media_type(sb: Sandbox) -> None:
    answer = contents(sb, ".github", "application/vnd.github.raw")
    assert [entry["name"] for entry in answer.json()] == ["pmbot.yml"]


def test_raw_answers_carry_an_etag_and_304(sb: Sandbox) -> None:
    first = contents(sb, ".github/pmbot.yml", "application/vnd.github.raw")
    again = requests.get(
        first.url,
        headers={
            **AUTH,
            "Accept": "application/vnd.github.raw",
            "If-None-Match": first.headers["ETag"],
        },
    )
    assert again.status_code == 304 and again.content == b""
    sb.seed_file(".github/pmbot.yml", "publish: pull-request\n")
    changed = requests.get(
        first.url,
        headers={
            **AUTH,
            "Accept": "application/vnd.github.raw",
            "If-None-Match": first.headers["ETag"],
        },
    )
    assert changed.status_code == 200 and changed.content == b"publish: pull-request\n"


def test_a_missing_file_is_404_json_whatever_the_media_type(sb: Sandbox) -> None:
    answer = contents(sb, "nope.md", "application/vnd.github.raw")
    assert answer.status_code == 404 and answer.json()["message"] == "Not Found"


def test_actions_caches_is_an_empty_list(sb: Sandbox) -> None:
    url = f"{sb.base_url}/repos/acme/web/actions/caches"
    for params in ({}, {"key": "npm-", "ref": "refs/heads/main", "sort": "size_in_bytes"}):
        answer = requests.get(url, headers=AUTH, params=params)
        assert answer.status_code == 200
        assert answer.json() == {"total_count": 0, "actions_caches": []}
    other = requests.get(f"{sb.base_url}/repos/acme/other/actions/caches", headers=AUTH)
    assert other.status_code == 404


def test_actions_caches_refuses_an_unknown_sort(tmp_path: Path) -> None:
    # a deliberately invalid query: logged apart from the traffic checked against the schema
    with Sandbox(repo="acme/web", log_path=tmp_path / "invalid.jsonl") as sb:
        url = f"{sb.base_url}/repos/acme/web/actions/caches"
        refused = requests.get(url, headers=AUTH, params={"sort": "name"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "sort"
