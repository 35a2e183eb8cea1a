"""Token kinds answer as on GitHub: the Actions token, App installation tokens, personal tokens."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from github import Auth, Github, GithubException

from pmbot.sandbox import Sandbox
from pmbot.sandbox.tokens import AppToken, UserToken, parse_app, parse_user

ACTIONS = "actions-token"
APP = "ghs_appinstallation"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(
        repo="acme/web",
        users=["mallory=mallory-token:NONE", "dana=dana-token:MEMBER"],
        apps=[f"acme-pmbot={APP}"],
        actions_token=ACTIONS,
    ) as sandbox:
        yield sandbox


def client(sb: Sandbox, token: str) -> Github:
    # no pacing and no retries: the tests want each request exactly once, at once
    return Github(
        base_url=sb.base_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def test_installation_tokens_are_refused_on_get_user(sb: Sandbox) -> None:
    for token in (ACTIONS, APP, "ghs_undeclared"):
        answer = requests.get(f"{sb.base_url}/user", headers={"Authorization": f"token {token}"})
        assert answer.status_code == 403, token
        body = answer.json()
        assert body["message"] == "Resource not accessible by integration"
        assert body["documentation_url"].endswith("#get-the-authenticated-user")
    with pytest.raises(GithubException) as refused:
        client(sb, ACTIONS).get_user().login  # noqa: B018 - the request is the point
    assert refused.value.status == 403


@pytest.mark.parametrize(
    ("token", "bot"),
    [
        (ACTIONS, "github-actions[bot]"),
        ("ghs_undeclared", "github-actions[bot]"),  # GitHub issues ghs_ only to installations
        (APP, "acme-pmbot[bot]"),
    ],
)
def test_installation_writes_are_authored_by_the_bot_user(
    sb: Sandbox, token: str, bot: str
) -> None:
    repo = client(sb, token).get_repo("acme/web")
    issue = repo.create_issue("Item", labels=["action-item"])
    comment = issue.create_comment("hello")
    for user in (issue.user, comment.user):
        assert user.login == bot and user.type == "Bot"
        assert user.html_url == f"https://github.com/apps/{bot.removesuffix('[bot]')}"
    assert issue.author_association == "NONE"
    assert [label.name for label in issue.labels] == ["action-item"]  # it may write
    issue.edit(state="closed")
    assert repo.get_issue(issue.number).closed_by.login == bot
    # the bot user can be looked up like any user, as on GitHub
    assert client(sb, "other").get_user(bot).type == "Bot"


def test_an_app_commits_as_its_bot(sb: Sandbox) -> None:
    repo = client(sb, APP).get_repo("acme/web")
    created = repo.create_file("docs/a.md", "add a", "text")
    author = created["commit"].author
    bot = sb.state.user("acme-pmbot[bot]")
    assert bot is not None
    assert (author.name, author.email) == (
        "acme-pmbot[bot]",
        f"{bot.id}+acme-pmbot[bot]@users.noreply.github.com",
    )


def test_personal_tokens_act_as_their_user_with_the_declared_association(sb: Sandbox) -> None:
    outsider = client(sb, "mallory-token")
    assert outsider.get_user().login == "mallory"
    issue = outsider.get_repo("acme/web").create_issue("hi", labels=["postmortem"])
    assert (issue.user.login, issue.user.type) == ("mallory", "User")
    assert issue.author_association == "NONE"
    assert issue.labels == []  # no push access: GitHub drops them silently
    member = client(sb, "dana-token")
    comment = member.get_repo("acme/web").get_issue(issue.number).create_comment("/pmbot snooze")
    assert comment.author_association == "MEMBER"
    assert member.get_repo("acme/web").has_in_assignees("dana")


def test_an_undeclared_token_still_acts_as_the_owner(sb: Sandbox) -> None:
    gh = client(sb, "anything")
    assert gh.get_user().login == "acme"
    assert gh.get_repo("acme/web").create_issue("x").author_association == "OWNER"


def test_token_specs_parse_like_the_cli() -> None:
    assert parse_user("mallory=t0k:none") == UserToken("mallory", "t0k", "NONE")
    assert parse_user("dana=abc") == UserToken("dana", "abc", "COLLABORATOR")
    assert parse_user("dana=a:b:c") == UserToken("dana", "a:b:c", "COLLABORATOR")
    assert parse_app("acme-pmbot=ghs_x") == AppToken("acme-pmbot", "ghs_x")
    for bad in ("mallory", "=tok", "mallory=", "mallory=tok:STRANGER", "bad login=t"):
        with pytest.raises(ValueError, match="--user"):
            parse_user(bad)
    for bad in ("Acme=ghs_x", "acme", "acme=", "acme[bot]=t"):
        with pytest.raises(ValueError, match="--app"):
            parse_app(bad)


def test_the_cli_declares_users_and_apps() -> None:
    cmd = [sys.executable, "-m", "pmbot", "sandbox"]
    args = ["--user", "mallory=m-token:NONE", "--app", "acme-pmbot=a-token"]
    with subprocess.Popen([*cmd, *args], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            base = proc.stdout.readline().strip()
            who = requests.get(f"{base}/user", headers={"Authorization": "token m-token"})
            assert who.json()["login"] == "mallory"
            app = requests.get(f"{base}/user", headers={"Authorization": "token a-token"})
            assert app.status_code == 403
        finally:
            proc.terminate()
    refused = subprocess.run([*cmd, "--user", "mallory"], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "--user wants LOGIN=TOKEN[:ASSOCIATION]" in refused.stderr
