"""`pmbot demo --org`: an organisation's program against a sandbox it starts itself.

Four repositories of `acme`: two teams that file postmortems (acme/web, acme/api), the
program's central repository (acme/program, whose configuration names the Projects board and
itself as the central repository) and one without pmbot (acme/marketing). Each team files a
postmortem and intake opens its action items; weeks later one `sweep --org` follows every
item of both teams and keeps them on one Projects board; an item closed is Done there at the
next sweep; one `report --org --post` writes the program report issue and the central library
index. The steps are the single-repository demo's (pmbot/app/demo.py).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pmbot.app.demo import (
    PEOPLE,
    START,
    Clock,
    Transcript,
    example_body,
    finish,
    installed_files,
    quiet,
    seed_people,
    step,
)
from pmbot.app.intake import intake
from pmbot.app.report_org import report_org
from pmbot.app.sweep_org import sweep_org
from pmbot.sandbox import Sandbox, State

ORG = "acme"
HOME = f"{ORG}/program"  # GITHUB_REPOSITORY of the organisation's workflow
TEAMS = (f"{ORG}/web", f"{ORG}/api")
WITHOUT_PMBOT = f"{ORG}/marketing"
BOARD = f"orgs/{ORG}/1"
API_PEOPLE = {  # the api team (the web team is the single-repository demo's)
    "tbaker": ("MEMBER", "maintain"),
    "rsingh": ("MEMBER", "write"),
    "emartin": ("MEMBER", "write"),
}
PROGRAM_CONFIG = f"""\
# The organisation's settings, read from here by `sweep --org` and `report --org`.
escalation:
  leadership_team: {ORG}/eng-leads
project:
  board: {BOARD}
org:
  central_repository: {HOME}
"""
TEAM_CONFIG = f"""\
# A team's settings: documents committed straight to the default branch.
publish: commit
escalation:
  leadership_team: {ORG}/eng-leads
"""
# The web team also files its action items as GitHub's own issue type and issue fields.
NATIVE_CONFIG = """\
issues:
  type: Task
  fields: {Priority: priority, Due date: due}
"""
BOARD_FIELDS = ("Priority", "Due date", "Severity", "Status", "Postmortem")


def api_body() -> str:
    """The api team's postmortem: the example's form, another incident (SEV-3, a week earlier,
    the api service) with two action items of its own."""
    body = example_body().replace("2026-11-03", "2026-10-27")
    answers = {
        "Incident title": "Partner API timeouts after a TLS certificate rotation",
        "Severity": "SEV-3",
        "Incident commander": "@tbaker",
        "Authors": "@tbaker, @rsingh",
        "Services affected": "partner-api, edge-proxy",
        "Tags": "tls, certificates, partner-api",
        "Responders": "@tbaker, @rsingh, @emartin",
        "Review facilitator": "@emartin",
        "Review attendees": "@tbaker, @rsingh, @emartin",
        "Action items": (
            "| ID | What | Owner | Priority | Due | Type | Success | Addresses |\n"
            "|---|---|---|---|---|---|---|---|\n"
            "| AI-1 | Alert 14 days before any edge certificate expires | @rsingh | P0 | | detect"
            " | A test certificate near expiry pages in staging | CF1 |\n"
            "| AI-2 | Rotate edge certificates through the deploy pipeline with a canary"
            " | @emartin | P2 | | prevent | The next rotation runs in one region first | CF2 |"
        ),
    }
    for heading, answer in answers.items():
        body = _with_answer(body, heading, answer)
    return body


def _with_answer(body: str, heading: str, answer: str) -> str:
    """`body` with the whole answer under `### heading` replaced."""
    pattern = re.compile(rf"(^### {re.escape(heading)}\n\n)(.*?)(?=\n\n### |\Z)", re.M | re.S)
    return pattern.sub(lambda m: m.group(1) + answer, body, count=1)


@dataclass
class OrgTranscript:
    """One transcript over several repositories: each change named as OWNER/NAME#N."""

    watched: list[Transcript]
    lines: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def look(self) -> None:
        for t in self.watched:
            t.look()


def run_demo_org(out: Path, now: datetime | None = None) -> int:
    clock = Clock(now or START)
    out.mkdir(parents=True, exist_ok=True)
    with Sandbox(repo=HOME, clock=clock, log_path=out / "sandbox-log.jsonl") as sb:
        repos = {HOME: sb.state}
        for name in (*TEAMS, WITHOUT_PMBOT):
            repos[name] = sb.org.add_repo(name.split("/")[1])
        lines: list[str] = []
        t = OrgTranscript([Transcript(sb, lines, repo, name) for name, repo in repos.items()])
        t.lines = lines
        _seed_org(sb, repos, t)
        t.look()

        def env(repository: str = HOME) -> dict[str, str]:
            return {
                "GITHUB_TOKEN": "demo-token",
                "GITHUB_REPOSITORY": repository,
                "GITHUB_API_URL": sb.base_url,
            }

        filed = {
            TEAMS[0]: ("mrivera", "Postmortem: Checkout outage after config push", example_body()),
            TEAMS[1]: ("tbaker", "Postmortem: Partner API timeouts", api_body()),
        }
        for repository, (user, title, body) in filed.items():
            step(t, clock, f"@{user} files a postmortem in {repository}", lambda: None)
            pm = repos[repository].seed_issue(
                title=title, body=body, labels=["postmortem"], user=user
            )
            t.look()
            title = f"pmbot intake --issue {pm.number} (in {repository})"
            step(t, clock, title, _intake(env(repository), pm.number, clock))
            _show_native(sb, repos[repository], t)
        clock.now = (now or START) + timedelta(weeks=5)
        _org_step(t, clock, f"pmbot sweep --org {ORG}", _sweep(env(), clock))
        _show_board(sb, t)
        _org_step(t, clock, f"pmbot sweep --org {ORG} (rerun: nothing to do)", _sweep(env(), clock))
        closed = _close_first_item(repos[TEAMS[1]], clock, t)
        clock.now += timedelta(days=1)
        _org_step(t, clock, f"pmbot sweep --org {ORG} (the next day)", _sweep(env(), clock))
        _show_board(sb, t, only=closed)
        clock.now += timedelta(days=1)
        report = io.StringIO()
        _org_step(
            t,
            clock,
            f"pmbot report --org {ORG} --post (the program report and the central index)",
            _report(env(), clock, report),
        )
        _show_report(t, report.getvalue())
        _show_index(repos[HOME], t, out)
        (out / "report.md").write_text(report.getvalue(), encoding="utf-8")
        (out / "board.json").write_text(
            json.dumps(board_rows(sb), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        counters = sb.counters.snapshot()
    finish(t, out, counters, "report.md, board.json, central-index/ (README.md, index.json)")
    return 0


def _seed_org(sb: Sandbox, repos: dict[str, State], t: OrgTranscript) -> None:
    seed_people(sb, {**PEOPLE, **API_PEOPLE})
    repos[HOME].seed_files(installed_files(PROGRAM_CONFIG, org=True))
    repos[TEAMS[0]].seed_files(installed_files(TEAM_CONFIG + NATIVE_CONFIG))
    repos[TEAMS[1]].seed_files(installed_files(TEAM_CONFIG))
    for kind in ("Task", "Bug", "Feature"):
        sb.org.seed_issue_type(kind)
    sb.org.seed_issue_field("Priority", "single_select", ["P0", "P1", "P2", "P3"])
    sb.org.seed_issue_field("Due date", "date")
    repos[WITHOUT_PMBOT].seed_file("README.md", "# Marketing site\n")
    repos[WITHOUT_PMBOT].seed_issue(
        title="Refresh the launch checklist", labels=["action-item"], user="lnguyen"
    )
    sb.org.seed_project("Program action items")
    t.say(f"Organisation {ORG} on {sb.base_url}:")
    t.say(f"  {HOME}  the program's home: `pmbot init --org`, Projects board {BOARD}, central")
    t.say("               repository for the report and the library index")
    t.say(f"  {TEAMS[0]:<{len(HOME)}}  a team's repository with `pmbot init` (publish: commit;")
    t.say("               issues.type: Task, issue fields Priority and Due date)")
    t.say(f"  {TEAMS[1]:<{len(HOME)}}  a team's repository with `pmbot init` (publish: commit)")
    t.say(f"  {WITHOUT_PMBOT}  no pmbot (one issue labelled action-item all the same)")
    t.say('  Projects board #1 "Program action items", made by hand as on GitHub')
    t.say("  the organisation's issue types Task, Bug, Feature; issue fields Priority, Due date")


def _org_step(
    t: OrgTranscript, clock: Clock, title: str, action: Callable[[list[str]], int]
) -> None:
    """A step whose run summary (the notes an org command writes) is shown too."""
    notes: list[str] = []
    step(t, clock, title, lambda: action(notes))
    for note in notes:
        t.say(f"  ℹ {note}")


def _notes(output: str, prefix: str) -> list[str]:
    """An org command's notes from its log: what it says after `pmbot <command>: `."""
    found = [line.split(": ", 1)[1] for line in output.splitlines() if line.startswith(prefix)]
    return [note for note in found if "GitHub requests" not in note]


def _intake(environ: dict[str, str], number: int, clock: Clock) -> Callable[[], int]:
    return lambda: intake(environ, issue=number, dry_run=False, now=clock.now, config_path=None)


def _sweep(environ: dict[str, str], clock: Clock) -> Callable[[list[str]], int]:
    def run(notes: list[str]) -> int:
        with quiet() as output:
            code = sweep_org(environ, ORG, dry_run=False, now=clock.now, config_path=None)
        notes += _notes(output.getvalue(), f"pmbot sweep --org {ORG}: ")
        return code

    return run


def _report(
    environ: dict[str, str], clock: Clock, report: io.StringIO
) -> Callable[[list[str]], int]:
    def run(notes: list[str]) -> int:
        log = io.StringIO()  # stdout is the report; stderr its run summary
        with redirect_stdout(report), redirect_stderr(log):
            code = report_org(environ, ORG, fmt="md", now=clock.now, post=True, config_path=None)
        notes += _notes(log.getvalue(), f"pmbot report --org {ORG}: ")
        return code

    return run


def _show_report(t: OrgTranscript, report: str) -> None:
    """The report's table by repository (a team's), as posted to the central repository."""
    table = report.split("## By repository", 1)[-1].strip().splitlines()
    t.say("  📊 the report's breakdown by repository:")
    for line in table:
        if not line.startswith("|"):
            break
        if not line.startswith("|---"):
            t.say(f"     {line}")


def _show_native(sb: Sandbox, repo: State, t: OrgTranscript) -> None:
    """The items' GitHub issue type and issue field values, where intake set them."""
    names = {f.id: f.name for f in sb.org.issue_fields}
    kinds = {k.id: k.name for k in sb.org.issue_types}
    for number, issue in sorted(repo.issues.items()):
        if issue.type is None and not issue.field_values:
            continue
        values = " · ".join(f"{names[i]} {v}" for i, v in sorted(issue.field_values.items()))
        t.say(f"  🏷 {repo.full_name}#{number}: type {kinds.get(issue.type or 0, '–')} · {values}")


def board_rows(sb: Sandbox) -> list[dict[str, str]]:
    """The board's cards as the sandbox holds them, with pmbot's fields by name."""
    project = sb.org.projects[0]
    rows = []
    for card in project.items:
        located = sb.org.issue_by_id(card.issue_id)
        if located is None:
            continue
        repo, issue = located
        row = {"issue": f"{repo.full_name}#{issue.number}", "title": issue.title}
        for f in project.fields:
            if f.name in BOARD_FIELDS and f.id in card.values:
                option = f.option(card.values[f.id])
                row[f.name] = option.name if option else str(card.values[f.id])
        rows.append(row)
    return sorted(rows, key=lambda r: r["issue"])


def _show_board(sb: Sandbox, t: OrgTranscript, only: str | None = None) -> None:
    rows = board_rows(sb)
    title = sb.org.projects[0].title
    if only is None:
        t.say(f'  📋 board "{title}" ({BOARD}): {len(rows)} cards')
    for row in rows:
        if only is not None and row["issue"] != only:
            continue
        cells = [row.get(name, "–") for name in BOARD_FIELDS]
        t.say(
            f"     {row['issue']:<14} {cells[0]:<3} due {cells[1]:<10} {cells[2]:<6} "
            f"{cells[3]:<6} from {cells[4]:<14} {row['title'][:44]}"
        )


def _close_first_item(repo: State, clock: Clock, t: OrgTranscript) -> str:
    """The api team's first action item is done: its owner closes it on GitHub."""
    number = min(n for n, i in repo.issues.items() if "action-item" in i.labels)
    issue = repo.issues[number]
    owner = issue.assignees[0] if issue.assignees else "tbaker"
    with repo.lock:
        issue.state, issue.state_reason = "closed", "completed"
        issue.closed_at = issue.updated_at = clock.now
    t.say()
    t.say(f"── {clock.now:%Y-%m-%d} · @{owner} closes {repo.full_name}#{number}")
    t.look()
    return f"{repo.full_name}#{number}"


def _show_index(home: State, t: OrgTranscript, out: Path) -> None:
    """The central library index report --org committed to the central repository."""
    git = home.git
    with home.lock:
        commit = git.commits[git.refs[f"refs/heads/{home.default_branch}"]]
        wanted = [p for p in commit.files if p.endswith(("README.md", "index.json")) and "/" in p]
        files = {p: (git.read(commit, p) or b"").decode() for p in wanted}
    readme = next((p for p in files if p.endswith("README.md")), None)
    if readme is None:
        t.say("  (no central library index was written)")
        return
    t.say(f"  📚 central library index {home.full_name}:{readme}")
    for line in files[readme].splitlines():
        if line.startswith(("**Repository:**", "**Severity:**", "**Services:**")):
            t.say(f"     {line}")
        elif line.startswith("| 20"):  # a postmortem's row: date, severity, link, repository
            cells = [c.strip() for c in line.strip("|").split("|")]
            title = cells[2].split("](")[0].lstrip("[")
            t.say(f"     {cells[0]} {cells[1]:<6} {cells[3]:<10} {title}")
    target = out / "central-index"
    target.mkdir(exist_ok=True)
    for path, text in files.items():
        (target / Path(path).name).write_text(text, encoding="utf-8")
