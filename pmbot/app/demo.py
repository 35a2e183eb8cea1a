"""`pmbot demo`: the whole flow against a sandbox it starts itself — no token, no network.

It installs the forms into a demo repository, files the example postmortem exactly as GitHub
renders the form, runs intake, then moves the clock forward week by week running the sweep,
closes some items, uses an owner command, and writes the document, the index and the report
to a local folder, printing a transcript of what pmbot did on "GitHub".
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import requests

from pmbot.app.event import event
from pmbot.app.init import init
from pmbot.app.intake import intake
from pmbot.app.report import agenda as agenda_command
from pmbot.app.report import report as report_command
from pmbot.app.sweep import sweep
from pmbot.core.shipped import data_text
from pmbot.flows.ladder import DIGEST_LABEL
from pmbot.sandbox import Sandbox, State

REPO = "acme/web"
# The sandbox runs no workflow, so the installed ones only need a well-formed pinned reference.
DEMO_ACTION = "acme/pmbot@" + "0" * 40
START = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # the morning after the example incident
PEOPLE = {  # login → (association, permission), as in examples/postmortem-issue.md
    "mrivera": ("MEMBER", "maintain"),  # incident commander
    "jchen": ("MEMBER", "write"),
    "dkim": ("MEMBER", "write"),
    "spatel": ("MEMBER", "write"),
    "lnguyen": ("MEMBER", "write"),
}


DEMO_CONFIG = """\
# The demo's settings: everything else is pmbot's default.
escalation:
  leadership_team: acme/eng-leads
"""


def example_body() -> str:
    return data_text("examples", "postmortem-issue.md")


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


class Watch(Protocol):
    """What a demo step prints through: lines, and what changed on "GitHub" since."""

    lines: list[str]

    def say(self, text: str = "") -> None: ...

    def look(self) -> None: ...


@dataclass
class Transcript:
    """Tells what changed in the sandbox between two looks: issues, comments, labels."""

    sandbox: Sandbox
    lines: list[str] = field(default_factory=list)
    repo: State | None = None  # the repository to watch (the sandbox's first by default)
    name: str = ""  # written before each issue number: "acme/api" gives acme/api#3
    _issues: dict[int, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    _comments: dict[int, str] = field(default_factory=dict)
    _blocked: dict[int, tuple[int, ...]] = field(default_factory=dict)
    _digests: dict[int, str] = field(default_factory=dict)

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def look(self) -> None:
        """Print what pmbot wrote since the last look."""
        state, at = self.repo or self.sandbox.state, f"{self.name}#"
        with state.lock:
            issues = {n: (i.state, tuple(i.labels)) for n, i in state.issues.items()}
            titles = {
                n: ("pull request: " if i.pull else "") + i.title for n, i in state.issues.items()
            }
            comments = {c.id: c for c in state.comments.values()}
            numbers = {i.id: n for n, i in state.issues.items()}
            blocked = {
                n: tuple(numbers.get(b, 0) for b in i.blocked_by)
                for n, i in state.issues.items()
                if i.blocked_by
            }
        for number in sorted(issues):
            if number not in self._issues:
                self.say(
                    f"  + {at}{number} {_cut(titles[number], 70)}  [{', '.join(issues[number][1])}]"
                )
            elif issues[number] != self._issues[number]:
                old_state, old_labels = self._issues[number]
                added = sorted(set(issues[number][1]) - set(old_labels))
                gone = sorted(set(old_labels) - set(issues[number][1]))
                bits = (
                    [f"{old_state} → {issues[number][0]}"] if old_state != issues[number][0] else []
                )
                bits += [f"+label {n}" for n in added] + [f"-label {n}" for n in gone]
                self.say(f"  ~ {at}{number} {'; '.join(bits)}")
        for number, blockers in sorted(blocked.items()):
            for blocker in blockers:
                if blocker not in self._blocked.get(number, ()):
                    self.say(f"  ⛓ {at}{number} blocked by {at}{blocker} (an issue dependency)")
        for cid, comment in sorted(comments.items()):
            first = _first_line(comment.body)
            if cid not in self._comments:
                self.say(f"  💬 on {at}{comment.issue}: {first}")
            elif self._comments[cid] != comment.body:
                self.say(f"  ✎ comment on {at}{comment.issue} updated: {first}")
        self._issues = issues
        self._comments = {cid: c.body for cid, c in comments.items()}
        self._blocked = blocked
        self._show_digests()

    def _show_digests(self) -> None:
        """The leadership digest issue, each time pmbot files or edits it: its table."""
        state, at = self.repo or self.sandbox.state, f"{self.name}#"
        with state.lock:
            bodies = {n: i.body or "" for n, i in state.issues.items() if DIGEST_LABEL in i.labels}
        for number, body in sorted(bodies.items()):
            if self._digests.get(number) == body:
                continue
            verb = "edited in place" if number in self._digests else "filed"
            self.say(f"  📋 leadership digest {at}{number} ({verb}):")
            for line in body.splitlines():
                if line.startswith("| #"):  # Item | Title | Owner | Priority | Days overdue | PM
                    item, title, owner, priority, late, _ = (
                        plain(c.strip()) for c in line.strip("|").split(" | ")
                    )
                    late = late.replace(" (", " days overdue (", 1)
                    self.say(f"     {item:<4} {priority}  {owner:<10} {late}  {_cut(title, 50)}")
                elif line.startswith("**") or line.startswith("Nothing is at this rung"):
                    self.say(f"     {_cut(plain(line.split('. Each needs')[0]), 100)}")
            self._digests[number] = body


def _first_line(body: str) -> str:
    for line in body.splitlines():
        text = line.strip().lstrip("#").strip()
        if text and not text.startswith("<!--"):
            return _cut(plain(text), 100)
    return "(empty)"


_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
_STRONG = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
_EMPHASIS = re.compile(r"(?<!\w)_(\S(?:.*?\S)?)_(?!\w)")
_CODE = re.compile(r"`([^`]+)`")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")


def plain(text: str) -> str:
    """One line of pmbot's Markdown as a terminal should show it: the words without the
    emphasis marks, code spans' backticks, link targets or escapes."""
    text = _LINK.sub(r"\1", text.replace("\u200b", ""))
    text = _CODE.sub(r"\1", _EMPHASIS.sub(r"\1", _STRONG.sub(r"\1", text)))
    return _ESCAPE.sub(r"\1", text)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@contextmanager
def quiet() -> Iterator[io.StringIO]:
    """pmbot's own output during a step; the transcript shows the effect instead."""
    buffer = io.StringIO()
    with redirect_stdout(buffer), redirect_stderr(buffer):
        yield buffer


def run_demo(out: Path, now: datetime | None = None) -> int:
    clock = Clock(now or START)
    out.mkdir(parents=True, exist_ok=True)
    with Sandbox(repo=REPO, clock=clock, log_path=out / "sandbox-log.jsonl") as sb:
        t = Transcript(sb)
        env = {
            "GITHUB_TOKEN": "demo-token",
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": sb.base_url,
        }
        _seed_repo(sb, t)
        t.look()
        step(
            t, clock, "File the example postmortem (as GitHub renders the issue form)", lambda: None
        )
        pm = sb.seed_issue(
            title="Postmortem: Checkout outage after config push",
            body=example_body(),
            labels=["postmortem"],
            user="mrivera",
        )
        t.look()
        step(
            t,
            clock,
            f"pmbot intake --issue {pm.number}",
            lambda: intake(env, issue=pm.number, dry_run=False, now=clock.now, config_path=None),
        )
        step(
            t,
            clock,
            f"pmbot intake --issue {pm.number} (rerun: nothing to do)",
            lambda: intake(env, issue=pm.number, dry_run=False, now=clock.now, config_path=None),
        )
        _show_document(sb, t)
        items = sorted(
            n
            for n, i in sb.state.issues.items()
            if i.parent == pm.number or "action-item" in i.labels
        )
        for week in range(1, 13):
            clock.now = (now or START) + timedelta(weeks=week)
            if week == 1:
                _merge(sb, t, clock)
            if week == 2 and items:
                _close(sb, t, env, clock, items[0])
            if week == 3 and len(items) > 2:
                # The team-owned item gets a person: every item is now owned and assigned.
                _command(sb, t, env, clock, items[2], "/pmbot owner @dkim the SRE on-call lead")
            if week in (1, 3):
                _weekly_report(sb, t, env, clock)
            if week == 5:
                _agenda(t, env, clock)
            if week == 2:
                _peer_review(sb, t, env, clock, pm.number)
            if week == 10:
                _near_miss(sb, t, env, clock)
            if week == 11:
                _merge(sb, t, clock)  # the near-miss's document
            if week == 4 and len(items) > 1:
                _command(
                    sb, t, env, clock, items[1], "/pmbot snooze 14d waiting for the vendor's fix"
                )
            if week == 6 and len(items) > 2:
                _close(sb, t, env, clock, items[2])
            step(
                t,
                clock,
                "pmbot sweep",
                lambda: sweep(env, dry_run=False, now=clock.now, config_path=None),
            )
        _weekly_report(sb, t, env, clock)
        clock.now += timedelta(days=3)
        for number in items:
            if sb.state.issues[number].state == "open":
                _close(sb, t, env, clock, number)
        clock.now += timedelta(days=1)
        step(  # every item closed: the leadership digest empties
            t,
            clock,
            "pmbot sweep",
            lambda: sweep(env, dry_run=False, now=clock.now, config_path=None),
        )
        clock.now += timedelta(days=3)
        _weekly_report(sb, t, env, clock)
        _export(sb, out, env, clock)
        counters = sb.counters.snapshot()
    finish(t, out, counters, "docs/ (document and library index), report.md")
    return 0


TRAFFIC_FILE = "sandbox-traffic.json"


def finish(t: Watch, out: Path, counters: Mapping[str, Any], wrote: str) -> None:
    """End a demo: the traffic table, what was written to `out` (`wrote`, then the files
    every demo writes), and the transcript itself."""
    t.say()
    for line in traffic_summary(counters, out / TRAFFIC_FILE):
        t.say(line)
    t.say(f"Wrote {out}/: {wrote}, transcript.txt, sandbox-log.jsonl, {TRAFFIC_FILE}")
    (out / "transcript.txt").write_text("\n".join(t.lines) + "\n", encoding="utf-8")


def traffic_summary(counters: Mapping[str, Any], path: Path, top: int = 5) -> list[str]:
    """The sandbox's counts as a short aligned table, the busiest endpoints only; every count
    goes to `path` as JSON."""
    path.write_text(json.dumps(counters, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    endpoints: dict[str, int] = counters["by_endpoint"]
    methods: dict[str, int] = counters["by_method"]
    by_method = ", ".join(f"{m} {n}" for m, n in sorted(methods.items(), key=lambda m: -m[1]))
    rows = [
        ("requests", counters["requests"], f"  ({by_method})" if by_method else ""),
        ("writes", counters["writes"], ""),
        ("304s", counters["not_modified"], "  (not modified: conditional reads)"),
    ]
    width = max(len(str(n)) for n in [*(r[1] for r in rows), *endpoints.values()])
    lines = [f"Sandbox traffic (every count in {path.name}):"]
    lines += [f"  {name:<9} {value:>{width}}{note}" for name, value, note in rows]
    busiest = sorted(endpoints.items(), key=lambda e: (-e[1], e[0]))[:top]
    if busiest:
        lines.append(f"  busiest endpoints ({len(busiest)} of {len(endpoints)}):")
        lines += [f"  {' ' * 9} {count:>{width}}  {name}" for name, count in busiest]
    return lines


def _weekly_report(sb: Sandbox, t: Transcript, env: dict[str, str], clock: Clock) -> None:
    """The weekly report job: the report issue, and the documents refreshed in one commit."""
    step(
        t,
        clock,
        "pmbot report --post (the weekly job: report issue, documents refreshed)",
        lambda: report_command(env, fmt="md", now=clock.now, post=True, config_path=None),
    )
    _show_document(sb, t)


def _agenda(t: Transcript, env: dict[str, str], clock: Clock) -> None:
    """`pmbot agenda`: the standing agenda of the weekly engineering review, shown whole."""
    t.say()
    t.say(f"── {clock.now:%Y-%m-%d} · pmbot agenda (also at the end of every weekly report)")
    with quiet() as output:
        agenda_command(env, now=clock.now, config_path=None)
    for line in output.getvalue().splitlines():
        if not line.strip() or line.startswith("|---"):
            continue
        heading = re.match(r"(#+) +(.*)", line)
        if heading:  # the title flush, each section under it, the section's lines under that
            t.say(f"  {' ' * 2 * (len(heading[1]) - 1)}{plain(heading[2])}")
        else:
            log = line.startswith("pmbot agenda:")  # its request count, on stderr
            t.say(f"  {'' if log else '    '}{plain(line)}")


def _show_document(sb: Sandbox, t: Transcript) -> None:
    """Where the postmortem's document stands, on main or else in its pull request."""
    git = sb.state.git
    with sb.state.lock:
        refs = sorted(git.refs, key=lambda r: (r != "refs/heads/main", r))
        for ref in refs:
            commit = git.commits[git.refs[ref]]
            paths = [p for p in commit.files if p.startswith("docs/") and "/20" in p]
            if not paths:
                continue
            text = (git.read(commit, paths[0]) or b"").decode()
            where = (
                "on main" if ref == "refs/heads/main" else f"on {ref.removeprefix('refs/heads/')}"
            )
            lines = [ln for ln in text.splitlines() if ln.startswith(("- **Status:**", "| [#"))]
            status = plain(lines[0].removeprefix("- ")) if lines else "?"
            t.say(f"  📄 document {where}: {status}")
            for row in lines[1:]:
                cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip("|"))]
                issue = cells[0].split("]")[0].lstrip("[")
                after = re.search(r"blocked by \[(#\d+)\]", cells[1])
                what = _cut(plain(cells[1]), 60) + (f" ⛓ after {after[1]}" if after else "")
                t.say(f"     {issue:<4} due {cells[4]:<10} {cells[5]:<8} {what}")
            return


def _seed_repo(sb: Sandbox, t: Transcript) -> None:
    seed_people(sb, PEOPLE)
    files = installed_files(DEMO_CONFIG)
    sb.seed_files(files)
    t.say(f"Demo repository {REPO} on {sb.base_url} with `pmbot init` applied:")
    for path in sorted(files):
        t.say(f"  {path}")


def seed_people(sb: Sandbox, people: Mapping[str, tuple[str, str]]) -> None:
    """Accounts as `PEOPLE` gives them: login → (association, permission)."""
    for login, (association, permission) in people.items():
        sb.seed_user(login, association=association, permission=permission)


def installed_files(config: str, *, org: bool = False) -> dict[str, str | bytes]:
    """What `pmbot init` installs into a repository (`--org`: the organisation's workflow
    too), with `config` as its `.github/pmbot.yml`."""
    with tempfile.TemporaryDirectory() as tmp, quiet():
        init(Path(tmp), action=DEMO_ACTION, org=org)
        files: dict[str, str | bytes] = {
            p.relative_to(tmp).as_posix(): p.read_text(encoding="utf-8")
            for p in Path(tmp).rglob("*")
            if p.is_file()
        }
    files[".github/pmbot.yml"] = config
    return files


def step(t: Watch, clock: Clock, title: str, action: Callable[[], object]) -> None:
    t.say()
    t.say(f"── {clock.now:%Y-%m-%d} · {title}")
    with quiet() as output:
        code = action()
    if code not in (None, 0):
        t.say(f"  exit {code}: {output.getvalue().strip()[-500:]}")
    t.look()


def _event(env: dict[str, str], name: str, payload: Mapping[str, object]) -> dict[str, str]:
    path = Path(tempfile.mkstemp(prefix="pmbot-demo-event-", suffix=".json")[1])
    path.write_text(json.dumps(payload), encoding="utf-8")
    return {**env, "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path)}


def _issue_payload(sb: Sandbox, number: int) -> dict[str, object]:
    issue = sb.state.issues[number]
    return {
        "number": number,
        "title": issue.title,
        "state": issue.state,
        "labels": [{"name": n} for n in issue.labels],
        "user": {"login": issue.user},
    }


def _close(sb: Sandbox, t: Transcript, env: dict[str, str], clock: Clock, number: int) -> None:
    issue = sb.state.issues[number]
    owner = issue.assignees[0] if issue.assignees else "mrivera"

    def close_then_event() -> int:
        with sb.state.lock:
            issue.state, issue.state_reason = "closed", "completed"
            issue.closed_at = issue.updated_at = clock.now
        payload = {
            "action": "closed",
            "issue": _issue_payload(sb, number),
            "sender": {"login": owner},
        }
        return event(_event(env, "issues", payload), dry_run=False, now=clock.now, config_path=None)

    step(
        t,
        clock,
        f"@{owner} closes #{number}; the items workflow runs `pmbot event`",
        close_then_event,
    )


def _merge(sb: Sandbox, t: Transcript, clock: Clock) -> None:
    """A maintainer merges pmbot's document pull request, as they would on GitHub."""
    pulls = [i for i in sb.state.issues.values() if i.pull is not None and i.state == "open"]
    for pull in pulls:
        url = f"{sb.base_url}/repos/{REPO}/pulls/{pull.number}/merge"

        def merge(url: str = url) -> int:
            return 0 if requests.put(url, json={}, timeout=10).status_code == 200 else 1

        step(t, clock, f"@mrivera merges the document pull request #{pull.number}", merge)


def _command(
    sb: Sandbox, t: Transcript, env: dict[str, str], clock: Clock, number: int, text: str
) -> None:
    issue = sb.state.issues[number]
    owner = issue.assignees[0] if issue.assignees else "mrivera"
    comment = sb.seed_comment(number, text, user=owner)
    payload = {
        "action": "created",
        "issue": _issue_payload(sb, number),
        "comment": {
            "id": comment.id,
            "body": text,
            "user": {"login": owner},
            "author_association": "MEMBER",
        },
        "sender": {"login": owner},
    }
    step(
        t,
        clock,
        f"@{owner} comments `{text}` on #{number}",
        lambda: event(
            _event(env, "issue_comment", payload), dry_run=False, now=clock.now, config_path=None
        ),
    )


def _peer_review(
    sb: Sandbox, t: Transcript, env: dict[str, str], clock: Clock, pm_number: int
) -> None:
    """Two reviewers score the postmortem against the rubric; one types a score off the
    scale first and is told what to write."""
    for login, text in (
        ("spatel", "/pmbot score 4 clear timeline; CF1 goes past the config push"),
        ("lnguyen", "/pmbot score 8"),
        ("lnguyen", "/pmbot score 3.5 the actions are specific, AI-7 is not"),
    ):
        _comment(sb, t, env, clock, pm_number, login, text)


def _near_miss(sb: Sandbox, t: Transcript, env: dict[str, str], clock: Clock) -> None:
    """A near-miss is filed and taken in: its items get the lighter near-miss SLA."""
    step(t, clock, "@dkim files a near-miss postmortem (nothing broke, but it almost did)",
          lambda: None)  # fmt: skip
    issue = sb.seed_issue(
        title="Postmortem: payments-db replica nearly full",
        body=data_text("examples", "near-miss-issue.md"),
        labels=["postmortem"],
        user="dkim",
    )
    t.look()
    number = issue.number

    def take_in() -> int:
        return intake(env, issue=number, dry_run=False, now=clock.now, config_path=None)

    step(t, clock, f"pmbot intake --issue {number}", take_in)


def _comment(
    sb: Sandbox,
    t: Transcript,
    env: dict[str, str],
    clock: Clock,
    number: int,
    login: str,
    text: str,
) -> None:
    """`login` comments `text` on issue #number; the commands workflow runs `pmbot event`."""
    comment = sb.seed_comment(number, text, user=login)
    association, _ = PEOPLE.get(login, ("NONE", "read"))
    payload = {
        "action": "created",
        "issue": _issue_payload(sb, number),
        "comment": {"id": comment.id, "body": text, "user": {"login": login},
                    "author_association": association},
        "sender": {"login": login},
    }  # fmt: skip
    step(t, clock, f"@{login} comments `{text}` on #{number}",
          lambda: event(_event(env, "issue_comment", payload), dry_run=False, now=clock.now,
                        config_path=None))  # fmt: skip


def _export(sb: Sandbox, out: Path, env: dict[str, str], clock: Clock) -> None:
    """Copy the documents pmbot committed (on any branch) and the report to `out`."""
    report, requests_line = io.StringIO(), io.StringIO()
    # stdout is the report; stderr (the request counts) is not part of it.
    with redirect_stdout(report), redirect_stderr(requests_line):
        report_command(env, fmt="md", now=clock.now, post=False, config_path=None)
    (out / "report.md").write_text(report.getvalue(), encoding="utf-8")
    git = sb.state.git
    with sb.state.lock:
        # The default branch last, so its (merged, refreshed) documents win over a branch's.
        refs = sorted(git.refs.items(), key=lambda kv: (kv[0] == "refs/heads/main", kv[0]))
        for ref, sha in refs:
            commit = git.commits[sha]
            for path in commit.files:
                data = git.read(commit, path)
                if path.startswith("docs/") and data is not None:
                    target = out / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
            _ = ref
