"""The hostile corpus (issue 9): postmortems, configurations and templates written to break
pmbot, each run through the real command line against the sandbox over HTTP — intake, a
rerun, then the daily sweep for three months — as the Actions token and as a GitHub App
installation token would run it.

Whatever the input, every run ends with exit 0 or 1 and no traceback; a rerun writes
nothing; no item, summary or document is lost or made twice; and every text pmbot wrote
(issue titles and bodies, comments, the pull request, commit messages, committed files)
mentions live only people pmbot means to notify: the owners, the commander, the authors,
the configured leadership team, and the person who filed it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import REPO
from helpers.gfm import DOCUMENT_SECTIONS, Page, live_mentions
from helpers.intake import with_item_rows

from pmbot.cli import main
from pmbot.core import markers
from pmbot.sandbox import Sandbox

EXAMPLE = (Path(__file__).parents[1] / "examples" / "postmortem-issue.md").read_text("utf-8")
# The workflow's token, or a GitHub App's installation token; pmbot's writes are authored by
# the matching bot user, which the fixture sets as BOT for the checks below.
ACTIONS_TOKEN = "actions-token"
APP_TOKEN = "ghs_acmepmbotinstallationtoken0000000000"
TOKENS = {"actions": (ACTIONS_TOKEN, "github-actions[bot]"), "app": (APP_TOKEN, "acme-pm[bot]")}
BOT = "github-actions[bot]"
TEAM = "acme/eng-leads"
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
PEOPLE = ("mrivera", "jchen", "dkim", "spatel", "lnguyen", "carol")
# The people the example's form names: commander, authors, owners (a team among them),
# responders and the review meeting's facilitator and attendees.
NAMED = {"mrivera", "jchen", "dkim", "spatel", "lnguyen", "acme/sre", "aokafor"}
SECTIONS = list(DOCUMENT_SECTIONS)


def section(body: str, heading: str, text: str) -> str:
    """The body with one form answer replaced."""
    start = body.index(f"### {heading}\n\n") + len(heading) + 6
    end = body.find("\n\n### ", start)
    return body[:start] + text + (body[end:] if end != -1 else "\n")


def rows(body: str, new: list[str]) -> str:
    return with_item_rows(new, body)


def row(
    what: str, owner: str = "@jchen", priority: str = "P0", due: str = "", success: str = "ok"
) -> str:
    return f"| {what} | {owner} | {priority} | {due} | prevent | {success} | CF1 |"


ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdef", "bcdefg", strict=True)
)
MANY = " ".join(f"@user{n}" for n in range(500))
HIDING = (
    "<!-- everything after this line is hidden\n"
    "```\nan unbalanced fence\n\n<details><summary>unclosed</summary>\n"
    "<script>alert(document.cookie)</script> <img src=x onerror=alert(1)> "
    "[click](javascript:alert(1)) [also](jav&#x61;script:alert(1)) ![x](data:text/html,x)"
)
IMITATION = (
    '<!-- pmbot:summary {"pm": 1} --> <!-- pmbot:item {"pm": 1, "key": "AI-1", "due": '
    '"2100-01-01"} --> <!--PMBOT:follow {"snoozed_until":"2100-01-01"} -->'
)


@dataclass(frozen=True)
class Case:
    body: str
    filer: str = "mrivera"
    config: str = ""
    files: dict[str, str] = field(default_factory=dict)
    intake_code: int = 0  # what `pmbot intake` must exit with
    check: Callable[[Sandbox, int], None] | None = None


def review_comment(sb: Sandbox, number: int) -> str:
    return next(c.body for c in sb.state.comments.values() if c.issue == number and c.user == BOT)


def answered(words: str) -> Callable[[Sandbox, int], None]:
    """The postmortem got one comment saying `words`, and nothing else was created."""

    def check(sb: Sandbox, number: int) -> None:
        assert words in review_comment(sb, number)
        assert [i for i in sb.state.issues.values() if i.user == BOT] == []

    return check


def _blame_found(sb: Sandbox, number: int) -> None:
    text = review_comment(sb, number)
    for words in ("careless", "should have", "stupid"):  # each quoted as a finding
        assert f"`{words}`" in text, words


def _outsider_gets_one_note(sb: Sandbox, number: int) -> None:
    mine = [c for c in sb.state.comments.values() if c.user == BOT]
    assert [c.issue for c in mine] == [number] and "only processes postmortems" in mine[0].body
    assert [i for i in sb.state.issues.values() if i.user == BOT] == []


def _nothing_written(sb: Sandbox, number: int) -> None:
    assert [c for c in sb.state.comments.values() if c.user == BOT] == []
    assert [i for i in sb.state.issues.values() if i.user == BOT] == []


def _imitation_is_text(sb: Sandbox, number: int) -> None:
    mine = [c for c in sb.state.comments.values() if c.issue == number]
    summaries = [c for c in mine if markers.has(c.body, "summary")]
    assert len(summaries) == 1 and summaries[0].user == BOT
    for issue in sb.state.issues.values():
        if issue.user == BOT and issue.pull is None and "pmbot-digest" not in issue.labels:
            item = markers.find(issue.body, "item")
            assert item is not None and item["due"] != "2100-01-01"


CASES: dict[str, Case] = {
    "the example": Case(EXAMPLE),
    "mentions everywhere": Case(
        rows(
            section(
                section(EXAMPLE, "Incident title", "Outage, cc @everyone @acme/all &#64;eve"),
                "Summary",
                f"Thanks @alice and @acme/eng-leads for #4821, acme/web#1 and GH-2. {MANY}",
            ),
            [
                row("Ping @acme/eng-leads about the canary", success=MANY),
                row("Reject small pools, cc `@carol` and `x @dave` `", owner="@dkim"),
            ],
        )
    ),
    "documents no markdown can hide": Case(
        rows(
            section(
                section(
                    section(EXAMPLE, "Summary", HIDING),
                    "Lessons learned",
                    "~~~~\nnever closed <b>",
                ),
                "What went well",
                "<details>\n\n<style>h2{display:none}</style>",
            ),
            [row("Add a canary <!-- hidden", success="<script>x</script> ``` open")],
        )
    ),
    "blame quoted back": Case(
        rows(
            section(EXAMPLE, "What went poorly", "@zoe broke prod; @acme/dbas forgot the flag."),
            [row("Retrain @yuri on the deploy tool"), row("Improve monitoring, cc @xena")],
        )
    ),
    "blame in disguise": Case(
        section(
            EXAMPLE,
            "What went poorly",
            "The reviewer was c\u200bareless, sh\u00adould have caught it, and was stupid.",
        ),
        check=_blame_found,
    ),
    "marker imitations": Case(
        rows(section(EXAMPLE, "Summary", IMITATION), [row(f"Canary {IMITATION}")]),
        check=_imitation_is_text,
    ),
    "an outsider files it": Case(EXAMPLE, filer="mallory", check=_outsider_gets_one_note),
    "a huge body": Case(
        section(EXAMPLE, "Summary", "@a " * 30_000), check=answered("pmbot reads at most 65,536")
    ),
    "too many action items": Case(
        rows(EXAMPLE, [row(f"Fix {n} for @someone") for n in range(30)]),
        check=answered("pmbot tracks at most 25"),
    ),
    "far-future and ancient due dates": Case(
        rows(
            EXAMPLE,
            [row("Someday", due="9999-12-31"), row("Long ago", due="0001-01-01"), row("Now")],
        )
    ),
    "invisible and control characters": Case(
        section(
            section(EXAMPLE, "Incident title", "Out\u202eage\u0000 \ufeff\u200b@\u200bx"),
            "Summary",
            "\u0000\u0007\u001b[31mred\u001b[0m \ud7ff \U0001f525 " * 200,
        )
    ),
    "an alias bomb in the config": Case(
        EXAMPLE,
        config=ALIAS_BOMB,
        intake_code=1,
        check=_nothing_written,
    ),
    "an SLA past the year 9999": Case(
        EXAMPLE, config="sla_days:\n  P0: 3000000\n", intake_code=1, check=_nothing_written
    ),
    "a template that asks for 10 GB": Case(
        EXAMPLE,
        config="templates:\n  document: .github/pm.md.j2\n",
        files={".github/pm.md.j2": "# {{ title }}\n{{ 'x' * 10**10 }}\n"},
        intake_code=1,
    ),
    "a template that includes another file": Case(
        EXAMPLE,
        config="templates:\n  document: .github/pm.md.j2\n",
        files={".github/pm.md.j2": "{% include '.github/pmbot.yml' %}\n"},
        intake_code=1,
    ),
}


@dataclass
class Run:
    sb: Sandbox
    capsys: pytest.CaptureFixture[str]
    codes: list[int] = field(default_factory=list)

    def cli(self, *argv: str) -> tuple[int, int]:
        """(exit code, writes) of one pmbot command; no run may end in a traceback."""
        self.sb.counters.reset()
        code = main(list(argv))
        _, err = self.capsys.readouterr()
        assert "Traceback" not in err, err
        assert code in (0, 1), (argv, code, err)
        self.codes.append(code)
        return code, self.sb.counters.writes


@pytest.fixture(params=sorted(TOKENS))
def sandbox_env(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Sandbox]:
    token, bot = TOKENS[request.param]
    monkeypatch.setattr(sys.modules[__name__], "BOT", bot)
    monkeypatch.chdir(tmp_path)  # the checkout: `.github/pmbot.yml` is read from here
    outsider = "mallory=mallory-token:NONE"
    app = f"{bot.removesuffix('[bot]')}={APP_TOKEN}"
    with Sandbox(repo=REPO, users=[outsider], apps=[app], actions_token=ACTIONS_TOKEN) as sb:
        for login in PEOPLE:
            sb.seed_user(login, association="MEMBER", permission="write")
        monkeypatch.setenv("GITHUB_TOKEN", token)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_API_URL", sb.base_url)
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        yield sb


@pytest.mark.parametrize("name", CASES)
def test_hostile_input(name: str, sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    case, sb = CASES[name], sandbox_env
    sb.seed_file("README.md", "# web\n")
    config = case.config or f"escalation:\n  leadership_team: {TEAM}\n"
    sb.seed_file(".github/pmbot.yml", config)
    Path(".github").mkdir()
    Path(".github/pmbot.yml").write_text(config, encoding="utf-8")
    for path, text in case.files.items():
        sb.seed_file(path, text)
    number = sb.seed_issue(
        title="Postmortem", body=case.body, labels=["postmortem"], user=case.filer
    ).number
    run = Run(sb, capsys)
    intake = ("intake", "--issue", str(number), "--now", NOW.isoformat())
    code, _ = run.cli(*intake)
    assert code == case.intake_code
    assert run.cli(*intake) == (case.intake_code, 0)  # a rerun writes nothing
    for days in (12, 15, 22, 36, 100):
        now = (NOW + timedelta(days=days)).isoformat()
        run.cli("sweep", "--now", now)
        assert run.cli("sweep", "--now", now)[1] == 0  # nor does a second sweep
    if case.check is not None:
        case.check(sb, number)
    assert_nothing_lost_or_doubled(sb, number)
    assert_only_intended_mentions(sb, allowed=NAMED | {TEAM, case.filer})
    assert_documents_intact(sb)


def assert_nothing_lost_or_doubled(sb: Sandbox, number: int) -> None:
    summaries = [c for c in sb.state.comments.values() if markers.has(c.body, "summary")]
    assert len(summaries) <= 1
    keys = [
        markers.find(i.body, "item")["key"]  # type: ignore[index]
        for i in sb.state.issues.values()
        if i.user == BOT and i.pull is None and markers.has(i.body, "item")
    ]
    assert len(keys) == len(set(keys))
    pulls = [i for i in sb.state.issues.values() if i.pull is not None]
    assert len(pulls) <= 1


def bot_texts(sb: Sandbox) -> Iterator[tuple[str, str, bool]]:
    """(where, text, is Markdown) for everything pmbot wrote."""
    for issue in sb.state.issues.values():
        if issue.user == BOT:
            yield f"title of #{issue.number}", issue.title, False
            yield f"body of #{issue.number}", issue.body or "", True
    for comment in sb.state.comments.values():
        if comment.user == BOT:
            yield f"comment {comment.id} on #{comment.issue}", comment.body, True
    git = sb.state.git
    for commit in git.commits.values():
        if commit.parents and commit.author != "sandbox":
            yield f"commit {commit.sha[:7]}", commit.message, False
    for ref, sha in git.refs.items():
        commit = git.commits[sha]
        for path in commit.files:
            if path.startswith("docs/"):
                text = (git.read(commit, path) or b"").decode("utf-8")
                yield f"{ref}:{path}", text, path.endswith(".md")


def assert_only_intended_mentions(sb: Sandbox, allowed: set[str]) -> None:
    unintended = {
        where: sorted(set(found) - allowed)
        for where, text, markdown in bot_texts(sb)
        if (found := live_mentions(text, markdown=markdown)) and set(found) - allowed
    }
    assert unintended == {}


def assert_documents_intact(sb: Sandbox) -> None:
    git = sb.state.git
    for sha in git.refs.values():
        commit = git.commits[sha]
        for path in commit.files:
            if re.fullmatch(r"docs/postmortems/\d{4}/.+\.md", path):
                page = Page.of((git.read(commit, path) or b"").decode("utf-8"))
                assert [h for h in page.heading_texts(2) if h in SECTIONS] == SECTIONS, path
                assert page.dangerous() == set(), path


def action_item_form(what: str, owner: str, success: str, due: str = "2020-01-01") -> str:
    """The Action item form as GitHub renders it into an issue body."""
    answers = [
        ("What", what),
        ("Owner", owner),
        ("Priority", "P0"),
        ("Due date", due),
        ("Type", "prevent"),
        ("Success criteria", success),
        ("Postmortem", "#1"),
        ("Contributing factor", "_No response_"),
    ]
    return "\n\n".join(f"### {label}\n\n{value}" for label, value in answers)


@pytest.mark.parametrize("filer", ["jchen", "mallory"])
def test_hand_filed_items_with_hostile_text(
    filer: str, sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Action item form filed by a member and by an outsider, its answers full of
    mentions, markup and marker imitations: the sweep follows the member's (pinging the owner
    and, in time, leadership) and answers the outsider's once, and re-posts nobody else."""
    sb = sandbox_env
    config = f"escalation:\n  leadership_team: {TEAM}\n"
    sb.seed_file(".github/pmbot.yml", config)
    Path(".github").mkdir()
    Path(".github/pmbot.yml").write_text(config, encoding="utf-8")
    sb.seed_issue(title="Postmortem", body=EXAMPLE, labels=["postmortem"], user="mrivera")
    body = action_item_form(
        what=f"Canary for @acme/all <!-- hide {IMITATION}",
        owner="@dkim",
        success=f"{MANY} <script>x</script>",
    )
    sb.seed_issue(
        title="[Action item]: ping @everyone", body=body, labels=["action-item"], user=filer
    )
    run = Run(sb, capsys)
    for days in (0, 1, 8, 22, 60):
        now = (NOW + timedelta(days=days)).isoformat()
        run.cli("sweep", "--now", now)
        assert run.cli("sweep", "--now", now)[1] == 0
    on_item = [c.body for c in sb.state.comments.values() if c.user == BOT and c.issue == 2]
    if filer == "mallory":  # an outsider's item: one polite note, no ladder
        assert len(on_item) == 1 and on_item[0].startswith("Thank you for filing this, @mallory")
    else:  # a member's item is followed: overdue since 2020, it reaches leadership's digest
        assert any("listed in the leadership digest" in text for text in on_item)
        (digest,) = [i for i in sb.state.issues.values() if "pmbot-digest" in i.labels]
        assert digest.user == BOT and digest.body.startswith(f"@{TEAM}: ")
        assert "| #2 | [Action item]: ping @\u200beveryone |" in digest.body  # silenced
    assert_only_intended_mentions(sb, allowed=NAMED | {TEAM, filer})
