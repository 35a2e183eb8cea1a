"""pmbot's identity with each kind of token, over HTTP: the Actions token and a GitHub App's
installation token (403 on GET /user, writes by a bot user) and a personal token (writes as
its user). With each, a rerun writes nothing, and a person's `/pmbot` command is obeyed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers.intake import NOW, env, example, items, seed, summaries

from pmbot.app.event import dispatch
from pmbot.app.intake import intake
from pmbot.app.report import report
from pmbot.app.sweep import sweep
from pmbot.core import markers
from pmbot.core.config import default_config
from pmbot.errors import PmbotError
from pmbot.github.client import GitHub
from pmbot.github.identity import Identity
from pmbot.github.models import GitHubSettings
from pmbot.sandbox import Sandbox

# kind -> (token, the login pmbot's writes appear under)
KINDS = {
    "actions": ("ghs_actions_token", "github-actions[bot]"),  # an undeclared ghs_ token
    "app": ("ghs_app_installation", "acme-pmbot[bot]"),
    "personal": ("pat-of-acme", "acme"),  # the repository owner's personal token
}
LATER = NOW + timedelta(days=20)  # the example's P0 item (due 2026-11-24) is overdue


def declare(sb: Sandbox, kind: str) -> tuple[str, str]:
    token, login = KINDS[kind]
    if kind == "app":
        sb.seed_app("acme-pmbot", token)
    if kind == "personal":
        sb.seed_user("acme", association="OWNER", permission="admin", token=token)
    return token, login


def environ(sb: Sandbox, tmp_path: Path, token: str, **extra: str) -> dict[str, str]:
    return env(sb, tmp_path, GITHUB_TOKEN=token, **extra)


def run_intake(sb: Sandbox, tmp_path: Path, token: str, number: int, **extra: str) -> None:
    code = intake(
        environ(sb, tmp_path, token, **extra),
        issue=number,
        dry_run=False,
        now=NOW,
        config_path=None,
    )
    assert code == 0


def authors(sb: Sandbox, number: int) -> list[str]:
    return [c.user for c in sb.state.comments.values() if c.issue == number]


@pytest.mark.parametrize("kind", KINDS)
def test_intake_then_a_rerun_writes_nothing(sandbox: Sandbox, tmp_path: Path, kind: str) -> None:
    token, login = declare(sandbox, kind)
    number = seed(sandbox, example())
    run_intake(sandbox, tmp_path, token, number)
    created = items(sandbox)
    assert len(created) == 7 and {i.user for i in created} == {login}
    assert len(summaries(sandbox, number)) == 1 and authors(sandbox, number) == [login]
    sandbox.counters.reset()
    run_intake(sandbox, tmp_path, token, number)
    assert sandbox.counters.writes == 0
    assert len(items(sandbox)) == 7 and len(summaries(sandbox, number)) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_sweep_then_a_rerun_writes_nothing(sandbox: Sandbox, tmp_path: Path, kind: str) -> None:
    token, login = declare(sandbox, kind)
    number = seed(sandbox, example())
    run_intake(sandbox, tmp_path, token, number)
    sandbox.counters.reset()
    assert sweep(environ(sandbox, tmp_path, token), dry_run=False, now=LATER, config_path=None) == 0
    assert sandbox.counters.writes > 0
    p0 = next(i for i in items(sandbox) if i.title.startswith("[P0]"))
    assert "overdue" in p0.labels
    sandbox.counters.reset()
    sweep(environ(sandbox, tmp_path, token), dry_run=False, now=LATER, config_path=None)
    assert sandbox.counters.writes == 0
    assert {c.user for c in sandbox.state.comments.values()} == {login}


@pytest.mark.parametrize("kind", KINDS)
def test_the_report_issue_is_posted_once(sandbox: Sandbox, tmp_path: Path, kind: str) -> None:
    token, login = declare(sandbox, kind)
    for _ in range(2):
        code = report(
            environ(sandbox, tmp_path, token), fmt="md", now=NOW, post=True, config_path=None
        )
        assert code == 0
    posted = [i for i in sandbox.state.issues.values() if "pmbot-report" in i.labels]
    assert [i.user for i in posted] == [login]


def post_comment(sb: Sandbox, number: int, text: str, token: str) -> dict[str, Any]:
    url = f"{sb.base_url}/repos/acme/web/issues/{number}/comments"
    answer = requests.post(url, json={"body": text}, headers={"Authorization": f"token {token}"})
    assert answer.status_code == 201
    comment: dict[str, Any] = answer.json()
    return comment


def on_comment(sb: Sandbox, token: str, number: int, comment: dict[str, Any]) -> int:
    payload = {"action": "created", "issue": {"number": number}, "comment": comment}
    gh = GitHub(
        GitHubSettings(token=token, repository="acme/web", api_url=sb.base_url),
        pace=False,
        sleep=lambda s: None,
    )
    return dispatch(gh, "issue_comment", payload, now=NOW, config=default_config(), dry_run=False)


@pytest.mark.parametrize("kind", KINDS)
def test_a_persons_command_is_obeyed(sandbox: Sandbox, tmp_path: Path, kind: str) -> None:
    token, login = declare(sandbox, kind)
    number = seed(sandbox, example())
    run_intake(sandbox, tmp_path, token, number)
    item = items(sandbox)[0]
    # the owner of a personal token types the command with that very token
    person = token if kind == "personal" else "pat-of-acme"
    if kind != "personal":
        sandbox.seed_user("acme", association="OWNER", permission="admin", token=person)
    command = post_comment(sandbox, item.number, "/pmbot snooze 7d away this week", person)
    assert command["user"]["login"] == "acme"
    assert on_comment(sandbox, token, item.number, command) == 0
    follow = markers.find(sandbox.state.issues[item.number].body, "follow")
    assert follow is not None and follow.get("snoozed_until", "").startswith("2026-11-17")
    audits = [
        c
        for c in sandbox.state.comments.values()
        if c.issue == item.number and markers.has(c.body, "audit")
    ]
    assert len(audits) == 1 and audits[0].user == login
    # pmbot's own comment, even when it shares the person's login, is never a command
    sandbox.counters.reset()
    own = {"id": audits[0].id, "body": audits[0].body, "user": {"login": login}}
    assert on_comment(sandbox, token, item.number, own) == 0
    assert sandbox.counters.requests == 0


def test_a_persons_imitation_does_not_teach_pmbot_who_it_is(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    token, login = declare(sandbox, "app")
    number = seed(sandbox, example())
    forged = f"Looks done to me.\n\n{markers.encode('summary', {})}"
    sandbox.seed_comment(number, forged, user="outsider")
    run_intake(sandbox, tmp_path, token, number)
    assert authors(sandbox, number) == ["outsider", login]
    sandbox.counters.reset()
    run_intake(sandbox, tmp_path, token, number)
    assert sandbox.counters.writes == 0
    assert sandbox.state.comments[min(sandbox.state.comments)].body == forged  # left alone


def test_an_explicit_bot_login_needs_no_lookup(sandbox: Sandbox, tmp_path: Path) -> None:
    token, login = declare(sandbox, "app")
    number = seed(sandbox, example())
    run_intake(sandbox, tmp_path, token, number, PMBOT_BOT_LOGIN=login)
    sandbox.counters.reset()
    run_intake(sandbox, tmp_path, token, number, PMBOT_BOT_LOGIN=login)
    assert sandbox.counters.writes == 0
    assert "GET /user" not in sandbox.counters.snapshot()["by_endpoint"]
    with pytest.raises(PmbotError, match="PMBOT_BOT_LOGIN"):
        GitHubSettings.from_env(environ(sandbox, tmp_path, token, PMBOT_BOT_LOGIN="not a login"))


def test_the_identity_rule() -> None:
    def text(login: str, kind: str, when: str, body: str) -> dict[str, Any]:
        return {"user": {"login": login, "type": kind}, "created_at": when, "body": body}

    marked = f"done\n{markers.encode('summary', {})}"
    ident = Identity(installation=True)
    assert ident.login() == "github-actions[bot]"  # nothing seen, nothing written
    ident.observe(text("mallory", "User", "2026-01-03T00:00:00Z", marked))  # a person: never
    ident.observe(text("other[bot]", "Bot", "2026-01-04T00:00:00Z", "no marker"))
    assert ident.login() == "github-actions[bot]"
    ident.observe(text("old-app[bot]", "Bot", "2026-01-01T00:00:00Z", marked))
    ident.observe(text("new-app[bot]", "Bot", "2026-01-02T00:00:00Z", marked))
    assert ident.login() == "new-app[bot]"  # the newest of pmbot's marked writes
    ident.wrote({"user": {"login": "old-app[bot]"}})
    assert ident.login() == "old-app[bot]"  # what pmbot just wrote settles it
    assert Identity(user="acme", wrote_as="x[bot]").login() == "acme"
    assert Identity(explicit="mine[bot]", user="acme").login() == "mine[bot]"


def test_a_personal_token_owners_lost_command_is_caught_up(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    token, login = declare(sandbox, "personal")
    number = seed(sandbox, example())
    run_intake(sandbox, tmp_path, token, number)
    item = items(sandbox)[0]
    post_comment(
        sandbox, item.number, "/pmbot due 2027-01-31 vendor fix late", token
    )  # its run was cancelled
    latest = post_comment(sandbox, item.number, "/pmbot snooze 7d away this week", token)
    assert on_comment(sandbox, token, item.number, latest) == 0
    body = sandbox.state.issues[item.number].body
    info, follow = markers.find(body, "item"), markers.find(body, "follow")
    assert info is not None and info["due"] == "2027-01-31"
    assert follow is not None and str(follow.get("snoozed_until", "")).startswith("2026-11-17")
    audits = [c for c in sandbox.state.comments.values() if markers.has(c.body, "audit")]
    assert [c.user for c in audits] == [login, login]


def test_an_app_installation_knows_its_items_across_the_organisation(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    from pmbot.app.sweep_org import sweep_org
    from pmbot.core.model import Priority
    from pmbot.flows.tracking import ItemInfo, with_markers

    token, login = "ghs_org_installation", "acme-pmbot[bot]"
    sandbox.org.install_app("acme-pmbot", token)
    sandbox.seed_user("alice", association="MEMBER")
    due = NOW.date() - timedelta(days=1)
    repos = [sandbox.state, sandbox.org.add_repo("api")]
    for repo in repos:
        repo.seed_file(".github/pmbot.yml", "escalation:\n  leadership_team: acme/leads\n")
        info = ItemInfo(
            pm=1, key="AI-1", priority=Priority.P1, due=due, opened=due - timedelta(days=28),
            owner="alice", commander="alice", authors=("alice",), type="prevent",
        )  # fmt: skip
        body = with_markers("Action item **AI-1**.\n", info, None)
        repo.seed_issue(title="[AI-1] fix", body=body, labels=["action-item", "P1"], user=login)

    def sweep_once() -> None:
        env_ = environ(sandbox, tmp_path, token)
        assert sweep_org(env_, "acme", dry_run=False, now=NOW, config_path=None) == 0

    sweep_once()
    sandbox.counters.reset()
    sweep_once()
    assert sandbox.counters.writes == 0  # the rerun
    for repo in repos:
        item = repo.issues[1]
        assert "overdue" in item.labels and "not-followed" not in item.labels
        assert [c.user for c in repo.comments.values()] == [login]
