"""The central library index (`pmbot report --org OWNER --post`): every repository's library
index read once, its documents linked in their own repository, one README.md and index.json
in the central repository in one commit; against the sandbox over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from helpers.intake import example
from helpers.org import CONFIG, OVERDUE, env, organisation

from pmbot.app.report_org import report_org
from pmbot.errors import PmbotError
from pmbot.flows.central_index import RepositoryLibrary, central_entries, central_index
from pmbot.render.library import LibraryEntry, build_json
from pmbot.sandbox import Sandbox, State

CENTRAL = CONFIG + "org:\n  central_repository: acme/program\n"
DOCS = "docs/postmortems"
WEB = "https://github.com/acme/web/blob/main/docs/postmortems"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(repo="acme/web") as sandbox:
        for login in ("alice", "carol", "dave", "mrivera"):
            sandbox.seed_user(login, association="MEMBER", permission="write")
        yield sandbox


def entry(day: str, slug: str, issue: int, services: tuple[str, ...]) -> LibraryEntry:
    when = date.fromisoformat(day)
    return LibraryEntry(
        path=f"{when.year}/{day}-{slug}.md",
        title=f"{slug} outage",
        date=when,
        severity="SEV-2",
        services=services,
        tags=("failover",),
        status="Final",
        issue=issue,
    )


def library(repo: State, *entries: LibraryEntry) -> None:
    repo.seed_file(f"{DOCS}/index.json", build_json(entries))


def org(sb: Sandbox) -> tuple[State, State, State, State, State]:
    """web and api: pmbot with a library index (a database incident in each, issue #1 in
    both); ops: pmbot, no index yet; docs: no pmbot; program: the central repository."""
    web, api, docs = organisation(sb)
    web.seed_file(".github/pmbot.yml", CENTRAL)
    ops = sb.org.add_repo("ops")
    ops.seed_file(".github/pmbot.yml", CONFIG)
    for repo in (web, api, docs, ops):
        repo.seed_issue(title="Postmortem", body=example(), labels=["postmortem"], user="mrivera")
    library(web, entry("2026-02-10", "db-failover", 1, ("db", "checkout")))
    library(api, entry("2026-01-20", "db-latency", 1, ("db",)))
    return web, api, ops, docs, sb.org.add_repo("program")


def run(sb: Sandbox, tmp: Path, *, dry_run: bool = False) -> int:
    return report_org(
        env(sb, tmp), "acme", fmt="md", now=OVERDUE, config_path=None, post=True,
        dry_run=dry_run,
    )  # fmt: skip


def text(repo: State, path: str) -> str:
    head = repo.git.commits[repo.git.branch_head(repo.default_branch) or ""]
    data = repo.git.read(head, path)
    assert data is not None, f"{path} not in {repo.full_name}"
    return data.decode()


def commits(repo: State) -> int:
    return len(repo.git.ancestors(repo.git.branch_head(repo.default_branch) or ""))


def test_the_central_index_lists_every_repository_with_links(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    *_, program = org(sb)
    before = commits(program)
    assert run(sb, tmp_path) == 0
    assert commits(program) == before + 1  # README.md and index.json in ONE commit
    readme = text(program, "postmortems/README.md")
    assert readme.startswith("# Postmortems across acme\n")
    assert "| Date | Severity | Postmortem | Repository | Services |" in readme
    assert f"[db-failover outage]({WEB}/2026/2026-02-10-db-failover.md) | `acme/web` |" in readme
    api_link = (
        "https://github.com/acme/api/blob/main/docs/postmortems/2026/2026-01-20-db-latency.md"
    )
    assert f"[db-latency outage]({api_link}) | `acme/api` |" in readme
    # ops has pmbot and no index: named; docs has no pmbot: not there at all
    assert "no library index was found: `acme/ops`" in readme and "acme/docs" not in readme
    data = json.loads(text(program, "postmortems/index.json"))
    assert data["repositories"] == ["acme/api", "acme/web"]
    assert data["without_index"] == ["acme/ops"]
    assert {d["repository"]: d["path"] for d in data["documents"]} == {
        "acme/web": f"{DOCS}/2026/2026-02-10-db-failover.md",
        "acme/api": f"{DOCS}/2026/2026-01-20-db-latency.md",
    }
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert f"acme/ops: no {DOCS}/index.json; not in the central index" in summary
    assert "acme/docs: no .github/pmbot.yml" in summary


def test_similar_incidents_are_found_across_teams(sb: Sandbox, tmp_path: Path) -> None:
    *_, program = org(sb)
    run(sb, tmp_path)
    readme = text(program, "postmortems/README.md")
    section = readme.split("## Similar incidents across teams", 1)[1]
    # web's February incident and api's January one share the db service and a tag; both
    # are issue #1 of their repository, which must not make them "the same document"
    assert f"- [db-failover outage]({WEB}/2026/2026-02-10-db-failover.md) (`acme/web`" in section
    assert "  - [db-latency outage](https://github.com/acme/api/" in section
    assert "services: db · tags: failover" in section
    data = json.loads(text(program, "postmortems/index.json"))
    assert data["similar_across_teams"] == [
        {
            "document": f"{WEB}/2026/2026-02-10-db-failover.md",
            "similar": [
                "https://github.com/acme/api/blob/main/docs/postmortems/2026/2026-01-20-db-latency.md"
            ],
        }
    ]


def test_a_rerun_writes_nothing_and_a_new_document_updates_it(sb: Sandbox, tmp_path: Path) -> None:
    _, api, *_, program = org(sb)
    run(sb, tmp_path)
    writes, before = sb.counters.writes, commits(program)
    assert run(sb, tmp_path) == 0
    assert sb.counters.writes == writes and commits(program) == before
    library(
        api,
        entry("2026-01-20", "db-latency", 1, ("db",)),
        entry("2026-02-20", "queue-backlog", 2, ("queue",)),
    )
    assert run(sb, tmp_path) == 0
    assert commits(program) == before + 1
    assert "queue-backlog outage" in text(program, "postmortems/README.md")


def test_a_dry_run_prints_the_commit_and_writes_nothing(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    *_, program = org(sb)
    before = commits(program)
    assert run(sb, tmp_path, dry_run=True) == 0
    assert sb.counters.writes == 0 and commits(program) == before
    err = capsys.readouterr().err
    assert "commit to main: postmortems/README.md, postmortems/index.json" in err


def test_one_index_read_per_repository_with_pmbot(tmp_path: Path) -> None:
    log = tmp_path / "traffic.jsonl"
    with Sandbox(repo="acme/web", log_path=log) as sandbox:
        sandbox.seed_user("mrivera", association="MEMBER", permission="write")
        org(sandbox)
        run(sandbox, tmp_path)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    index_reads = [x["path"] for x in lines if x["path"].endswith("/index.json")]
    # web, api (found) and ops (none); docs has no pmbot and is not asked
    assert sorted(index_reads) == [
        f"/repos/acme/{name}/contents/{DOCS}/index.json" for name in ("api", "ops", "web")
    ]


def test_a_central_repository_the_token_cannot_read_names_the_setting(
    sb: Sandbox, tmp_path: Path
) -> None:
    web, *_ = org(sb)
    web.seed_file(".github/pmbot.yml", CONFIG + "org:\n  central_repository: acme/nowhere\n")
    with pytest.raises(PmbotError) as error:
        run(sb, tmp_path)
    text = error.value.render()
    assert text.startswith("org.central_repository in .github/pmbot.yml of acme/web:")
    assert "cannot read acme/nowhere (GitHub answered 404)" in text and "Fix: create" in text
    assert sb.counters.writes == 0


# --- pure: links --------------------------------------------------------------------------


def test_links_follow_the_host_github_gives() -> None:
    html = "https://ghe.example.com/acme/web/blob/trunk/handbook/incidents/index.json"
    lib = RepositoryLibrary(
        "acme/web", "handbook/incidents/index.json",
        build_json([entry("2026-02-10", "db failover (eu)", 4, ("db",))]), html,
    )  # fmt: skip
    [found], notes = central_entries(lib)
    assert found.url == (
        "https://ghe.example.com/acme/web/blob/trunk/handbook/incidents/"
        "2026/2026-02-10-db%20failover%20%28eu%29.md"
    )
    assert found.path == "handbook/incidents/2026/2026-02-10-db failover (eu).md"
    assert found.repository == "acme/web" and notes == []


def test_paths_outside_the_docs_folder_and_odd_addresses_are_left_out() -> None:
    bad = [
        LibraryEntry(path="../../.github/workflows/x.md", title="up"),
        LibraryEntry(path="/etc/passwd.md", title="abs"),
        LibraryEntry(path="2026/notes.txt", title="not markdown"),
        LibraryEntry(path="2026/2026-01-01-ok.md", title="ok", date=date(2026, 1, 1)),
    ]
    lib = RepositoryLibrary("acme/web", f"{DOCS}/index.json", build_json(bad), f"{WEB}/index.json")
    found, notes = central_entries(lib)
    assert [e.title for e in found] == ["ok"] and len(notes) == 3
    odd = RepositoryLibrary("acme/api", f"{DOCS}/index.json", build_json(bad), "javascript:x")
    note = f"acme/api: {DOCS}/index.json has no web address; not listed"
    assert central_entries(odd) == ([], [note])


def test_the_central_index_is_stable_byte_for_byte() -> None:
    index = build_json([entry("2026-02-10", "db", 1, ("db",))])
    url = "https://github.com/acme/{}/blob/main/" + DOCS + "/index.json"
    libs = [
        RepositoryLibrary(f"acme/{name}", f"{DOCS}/index.json", index, url.format(name))
        for name in ("web", "api")
    ]
    one = central_index(libs, owner="acme", index_dir="postmortems", window_days=180)
    two = central_index(libs[::-1], owner="acme", index_dir="postmortems", window_days=180)
    assert one.files == two.files and one.documents == 2
    # the same path and issue number in two repositories are two documents, both listed
    readme = dict(one.files)["postmortems/README.md"]
    assert readme.count("[db outage](") == 2 + 4  # the table; each as subject and as similar
