"""Commands that talk to GitHub: intake, event, sweep, report.

Each reads what it needs through the adapter (`pmbot.github.client`), asks a pure planner what to
write, and applies the plan with `pmbot.plan.apply` — or prints it for `--dry-run`. At the
end of every run the request count goes to stderr and, in Actions, to the step summary.

Intake's guarantees, and how they are kept:

- A rerun writes nothing: every planner compares with what GitHub holds (item bodies, titles,
  labels, assignees and links; blob shas of the document and index; the pull request; the
  summary comment) and plans only differences.
- A run killed half-way resumes: state lives in GitHub only. An item issue carries its
  `pmbot:item` marker from the moment it is created, so the next run finds it and only
  links it (or updates it); the adapter checks for a lost answer before repeating a POST.
- Racing runs: two runs that both read "no item yet" both create one; GitHub offers no lock.
  Each run re-reads the items after creating any, and the newer copy of every key (pmbot's
  own issues only, never a user's) is closed as `duplicate` with a comment pointing at the
  kept one; a second summary comment is superseded the same way. The workflow's concurrency
  group per issue makes this rare; this makes it harmless.
- Requests: reads are a small constant (issue, login, comments, the action-item list — one
  per 100 items in the repository — sub-issues, default branch, docs tree, index.json, the
  branch tree, the pull request, and re-reads after writing); writes are two per new item
  (create with labels and assignee, link) plus the document change and the comment.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pmbot.core import markers
from pmbot.core.config import Config, load_config
from pmbot.core.reading import Intake, read_postmortem
from pmbot.errors import FormError, PmbotError, Problem
from pmbot.flows import intake as planner
from pmbot.flows import publish
from pmbot.flows.intake import ItemIssue, Publication
from pmbot.flows.publish import DocsState, Documents
from pmbot.github.client import GitHub, GitHubHTTPError
from pmbot.github.models import CommentSnapshot, GitHubSettings, IssueSnapshot
from pmbot.plan import Action, ApplyResult, CreateComment, Plan, apply, trim_to_budget
from pmbot.render import library
from pmbot.render.document import document_path

CONFIG_FILE = ".github/pmbot.yml"
MAX_UNINDEXED_READS = 25  # documents not yet in index.json read per run; the rest next time
REPORT_LABEL = "pmbot-report"
Log = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


# --- set-up -------------------------------------------------------------------------------


def connect(environ: Mapping[str, str], config: Config | None = None) -> GitHub:
    """The adapter for GITHUB_REPOSITORY, paced to the configured write limits."""
    settings = GitHubSettings.from_env(environ)
    if config is not None:
        settings = replace(
            settings,
            writes_per_minute=config.budget.writes_per_minute,
            writes_per_hour=config.budget.writes_per_hour,
        )
    return GitHub(settings)


def repo_config(gh: GitHub, config_path: Path | None) -> Config:
    """`--config` when given, else the repository's `.github/pmbot.yml`, else the defaults."""
    if config_path is not None:
        return load_config(config_path)
    found = gh.read_file(CONFIG_FILE)
    return load_config(text=found.text) if found is not None else load_config()


def report_requests(
    gh: GitHub,
    environ: Mapping[str, str],
    what: str,
    log: Log = _stderr,
    notes: Sequence[str] = (),
) -> None:
    """The run's request count on stderr and, when set, in GITHUB_STEP_SUMMARY."""
    line = f"pmbot {what}: {gh.stats.describe()}"
    log(line)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as out:
            out.write("".join(f"- {text}\n" for text in (line, *notes)))


@contextlib.contextmanager
def session(
    environ: Mapping[str, str], config_path: Path | None, what: str, notes: Sequence[str] = ()
) -> Iterator[tuple[GitHub, Config]]:
    """A command's adapter and configuration; its request count is reported however it ends
    (notes: read at the end, so a list the command fills in as it goes)."""
    gh = connect(environ)
    config = repo_config(gh, config_path)
    try:
        yield gh, config
    finally:
        report_requests(gh, environ, what, notes=notes)


# --- intake: reading ------------------------------------------------------------------------


def read_items(gh: GitHub, issue: IssueSnapshot, me: str, config: Config) -> list[ItemIssue]:
    """This postmortem's action items: the sub-issues (one read) and the action-item label's
    list, so an item missing from either is still found (one created by a run that died
    before linking it, say). The list is limited to issues updated since the postmortem
    was filed: its items cannot be older, and the rest of the repository's history is not
    read again on every edit."""
    label = config.labels.action_item.name
    labelled = gh.list_issues(labels=[label], state="all", since=issue.created_at)
    subs = gh.list_sub_issues(issue.number)
    if subs is None:  # no sub-issues here: the task list in the postmortem is the link
        linked = {int(n): True for n in re.findall(r"^\s*- \[[ xX]\] #(\d+)", issue.body, re.M)}
        subs = []
    else:
        linked = {s.number: True for s in subs}
    return planner.items_of(issue.number, [*subs, *labelled], me, linked)


def read_summary(
    gh: GitHub, number: int, me: str
) -> tuple[CommentSnapshot | None, list[CommentSnapshot]]:
    """pmbot's summary comment (the oldest, if racing runs left two) and any others."""
    own = [
        c
        for c in gh.list_comments(number)
        if c.author == me and markers.has(c.body, planner.SUMMARY)
    ]
    own.sort(key=lambda c: c.id)
    return (own[0] if own else None), own[1:]


def read_postmortem_issue(gh: GitHub, number: int, config: Config) -> IssueSnapshot:
    issue = gh.get_issue(number)
    if issue.is_pull_request or config.postmortem_label not in issue.labels:
        raise PmbotError(
            [
                Problem(
                    f"issue #{number}",
                    f"is not labelled `{config.postmortem_label}`, so it is not a postmortem.",
                    "file it with the Postmortem issue form, or add the label.",
                )
            ]
        )
    return issue


def parse(issue: IssueSnapshot, config: Config) -> Intake | FormError:
    """The form read and reviewed, or the FormError that the summary comment explains."""
    try:
        result = read_postmortem(issue.body, config, issue_number=issue.number)
        document_path(result.postmortem, config.docs_dir)  # undated: a problem to report
    except FormError as exc:
        return exc
    return result


def read_docs(gh: GitHub, docs: Documents, config: Config) -> DocsState:
    """The library on the default branch and the files on the branch the change goes to."""
    default = docs.base
    tree = dict(gh.list_tree(config.docs_dir, ref=default))
    index_path = f"{config.docs_dir}/{publish.INDEX_JSON}"
    index = gh.read_file(index_path, ref=default) if index_path in tree else None
    listed = publish.entries_from_index(index.text if index else None)
    indexed = publish.present(listed, tree, config.docs_dir)
    missing = publish.unindexed(tree, indexed, config.docs_dir)[:MAX_UNINDEXED_READS]
    texts = [(p, f.text) for p in missing if (f := gh.read_file(p, ref=default)) is not None]
    entries = (*indexed, *library.entries_from_texts(texts, docs_dir=config.docs_dir))
    state = DocsState(default, entries, tree, True, None, published=tree)
    if docs.mode == "commit" or state.is_published(docs):
        return state
    try:
        target = dict(gh.list_tree(config.docs_dir, ref=docs.branch))
    except GitHubHTTPError as exc:
        if exc.status not in (404, 409, 422):
            raise
        return replace(state, target_files={}, target_exists=False)
    pull = gh.find_open_pull(docs.branch, default)
    return replace(state, target_files=target, pull=pull)


def publication(issue: IssueSnapshot, docs: Documents, state: DocsState) -> Publication:
    base = issue.html_url.rsplit("/issues/", 1)[0]
    merged = docs.mode == "commit" or state.is_published(docs)
    branch = state.default_branch if merged else docs.branch
    url = f"{base}/blob/{branch}/{docs.path}" if base else None
    return Publication(docs.path, "commit" if merged else docs.mode, branch, state.pull, url)


# --- intake: running ------------------------------------------------------------------------


@dataclass
class IntakeRun:
    """What one intake run did (for tests, the benchmark and the step summary)."""

    number: int
    planned: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    allowed: bool = True
    form_error: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed


def _apply(plan: Plan, gh: GitHub, dry_run: bool, log: Log, run: IntakeRun) -> ApplyResult:
    """Each action on its own, so one failure costs only that action (and what needs it)."""
    if dry_run:  # the whole plan at once, grouped by issue
        result = apply(plan, gh, dry_run=True, log=log)
        run.planned += list(result.applied)
        return result
    result = ApplyResult(dry_run=dry_run)
    for action in plan.actions:
        one = apply(Plan((action,)), gh, dry_run=dry_run, log=log)
        result = ApplyResult(dry_run, result.applied + one.applied, result.failed + one.failed)
    run.planned += list(result.applied)
    run.failed += [f"#{f.issue}: {f.error}" for f in result.failed]
    return result


def run_intake(
    gh: GitHub, number: int, *, now: datetime, config: Config, dry_run: bool, log: Log = _stderr
) -> IntakeRun:
    """Intake of postmortem #number: items, document, summary; a rerun writes nothing."""
    run = IntakeRun(number)
    issue = read_postmortem_issue(gh, number, config)
    me = gh.login()
    summary, _ = read_summary(gh, number, me)
    if not planner.allowed(issue, config):
        run.allowed = False
        existing = summary.body if summary else None
        _apply(planner.plan_not_allowed(issue, existing, config), gh, dry_run, log, run)
        return run
    result = parse(issue, config)
    items = read_items(gh, issue, me, config)
    pub = None
    if isinstance(result, FormError):
        run.form_error = True
    else:
        items, pub = _changes(gh, issue, result, items, me, now, config, dry_run, log, run)
    _finish(gh, issue, result, items, pub, summary, now, config, dry_run, log, run)
    return run


@contextlib.contextmanager
def _repo_template(gh: GitHub, config: Config, ref: str) -> Iterator[Path | None]:
    """`templates.document` is a path in the repository: fetched once, rendered from a file."""
    name = config.templates.document
    if not name:
        yield None
        return
    found = gh.read_file(name, ref=ref)
    if found is None:
        raise PmbotError(
            [Problem("templates.document", f"{name!r} is not in the repository.", "commit "
                     "the template there, or set templates.document to null.")]
        )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="pmbot-template-") as folder:
        path = Path(folder) / "document.md.j2"
        path.write_text(found.text, encoding="utf-8")
        yield path


def _changes(
    gh: GitHub,
    issue: IssueSnapshot,
    result: Intake,
    items: list[ItemIssue],
    me: str,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log,
    run: IntakeRun,
) -> tuple[list[ItemIssue], Publication]:
    """Phase one: the action items and the document. Returns the items as they now are."""
    pm = result.postmortem
    default = gh.default_branch()
    with _repo_template(gh, config, default) as template:
        docs = publish.documents(pm, result.findings, (), config, default, template)
        state = read_docs(gh, docs, config)
        docs = publish.documents(pm, result.findings, state.library, config, default, template)
    plan = planner.plan_items(pm, items, now, config)
    plan += Plan(publish.plan_publish(issue.number, docs, state))
    if plan:
        _apply(plan, gh, dry_run, log, run)
    if plan and not dry_run:
        items = read_items(gh, issue, me, config)
        dups = planner.plan_duplicates(items)
        if dups:
            log(f"#{issue.number}: racing runs created duplicates; closing the newer copies")
            _apply(dups, gh, dry_run, log, run)
            items = read_items(gh, issue, me, config)
        if docs.mode != "commit":
            state = replace(state, pull=gh.find_open_pull(docs.branch, docs.base))
    return items, publication(issue, docs, state)


def _finish(
    gh: GitHub,
    issue: IssueSnapshot,
    result: Intake | FormError,
    items: Sequence[ItemIssue],
    pub: Publication | None,
    summary: CommentSnapshot | None,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log,
    run: IntakeRun,
) -> None:
    """Phase two: the summary comment and the postmortem's labels, from what now exists."""
    existing = summary.body if summary else None
    plan = planner.plan_summary(issue, result, items, pub, existing, now, config)
    if not plan:
        return
    _apply(plan, gh, dry_run, log, run)
    if summary is None and not dry_run:
        _supersede_racing_summaries(gh, issue.number, planner.summary_marker(issue.number), log)


def _supersede_racing_summaries(gh: GitHub, number: int, marker: str, log: Log) -> None:
    """Two runs that both found no summary comment both create one: keep the oldest."""
    _, extra = read_summary(gh, number, gh.login())
    for comment in extra:
        log(f"#{number}: a racing run also wrote the summary; superseding comment {comment.id}")
        gh.edit_comment(comment.id, "_Superseded by pmbot's summary comment above._")
    if extra:
        kept, _ = read_summary(gh, number, gh.login())
        if kept is not None and marker not in kept.body:
            log(f"#{number}: the summary comment {kept.id} lost its marker")


def intake(
    environ: Mapping[str, str],
    *,
    issue: int,
    dry_run: bool,
    now: datetime,
    config_path: Path | None,
) -> int:
    """`pmbot intake --issue N`."""
    what = f"intake #{issue}{' (dry run)' if dry_run else ''}"
    with session(environ, config_path, what) as (gh, config):
        log = print if dry_run else _stderr  # a dry run's plan is its output
        run = run_intake(gh, issue, now=now, config=config, dry_run=dry_run, log=log)
    return _exit(run)


def _exit(run: IntakeRun) -> int:
    if run.failed:
        _stderr(f"pmbot: {len(run.failed)} writes failed; run again to finish: {run.failed}")
        return 1
    if not run.planned:
        _stderr(f"pmbot: #{run.number} is up to date; nothing to write.")
    return 0


# --- event ----------------------------------------------------------------------------------


def read_event(environ: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    name = environ.get("GITHUB_EVENT_NAME", "")
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not name or not path:
        raise PmbotError(
            [
                Problem(
                    "GITHUB_EVENT_NAME / GITHUB_EVENT_PATH",
                    "are not set.",
                    "run `pmbot event` from a GitHub Actions workflow (it sets both).",
                )
            ]
        )
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PmbotError(
            [Problem("GITHUB_EVENT_PATH", f"cannot read the event file ({exc}).", "check it.")]
        ) from None
    return name, payload if isinstance(payload, dict) else {}


def event(
    environ: Mapping[str, str], *, dry_run: bool, now: datetime, config_path: Path | None
) -> int:
    """`pmbot event`: dispatch the Actions event in GITHUB_EVENT_PATH."""
    name, payload = read_event(environ)
    with session(environ, config_path, f"event {name}.{payload.get('action')}") as (gh, config):
        return dispatch(gh, name, payload, now=now, config=config, dry_run=dry_run)


def _number(payload: Mapping[str, Any]) -> int | None:
    issue = payload.get("issue")
    number = issue.get("number") if isinstance(issue, dict) else None
    return number if isinstance(number, int) and number > 0 else None


def dispatch(
    gh: GitHub,
    name: str,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log = _stderr,
) -> int:
    """What an event calls for. Payload fields are only routing hints: the issue itself is
    read from the API, and markers are trusted only in what pmbot wrote."""
    action, number = payload.get("action"), _number(payload)
    if number is None:
        log(f"pmbot: {name}.{action}: no issue in the event; nothing to do.")
        return 0
    if name == "issues" and action in ("opened", "edited", "labeled"):
        return _on_postmortem(gh, payload, number, now, config, dry_run, log)
    if name == "issues" and action in ("closed", "reopened"):
        return _on_item_state(gh, number, now, config, dry_run, log)
    if name == "issue_comment" and action == "created":
        return _on_comment(gh, payload, number, now, config, dry_run, log)
    log(f"pmbot: {name}.{action}: nothing to do.")
    return 0


def _label_names(issue: Mapping[str, Any]) -> set[str]:
    return {str(x.get("name") if isinstance(x, dict) else x) for x in issue.get("labels") or ()}


def _on_postmortem(
    gh: GitHub,
    payload: Mapping[str, Any],
    number: int,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log,
) -> int:
    issue = payload.get("issue") or {}
    added = (payload.get("label") or {}).get("name")
    if config.postmortem_label not in _label_names(issue):
        log(f"pmbot: #{number} is not a postmortem; nothing to do.")
        return 0
    if payload.get("action") == "labeled" and added != config.postmortem_label:
        log(f"pmbot: #{number} labelled {added!r}; only the postmortem label starts intake.")
        return 0
    return _exit(run_intake(gh, number, now=now, config=config, dry_run=dry_run, log=log))


def _item(gh: GitHub, number: int) -> tuple[IssueSnapshot, ItemIssue | None]:
    snap = gh.get_issue(number)
    if snap.author != gh.login():
        return snap, None
    return snap, planner.item_issue(snap, linked=True)


def _on_item_state(
    gh: GitHub, number: int, now: datetime, config: Config, dry_run: bool, log: Log
) -> int:
    """An action item closed or reopened: its postmortem's summary and labels follow."""
    _, item = _item(gh, number)
    if item is None:
        log(f"pmbot: #{number} is not an action item pmbot tracks; nothing to do.")
        return 0
    return _exit(run_intake(gh, item.info.pm, now=now, config=config, dry_run=dry_run, log=log))


def _on_comment(
    gh: GitHub,
    payload: Mapping[str, Any],
    number: int,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log,
) -> int:
    """A `/pmbot` command on an action item: checked, planned and applied; the postmortem's
    summary then follows the change."""
    from pmbot.flows.owner_commands import Command, Invocation, parse_command, plan_command
    from pmbot.flows.tracking import ItemProblem, TrackedItem

    comment = payload.get("comment") or {}
    text, author = str(comment.get("body") or ""), str((comment.get("user") or {}).get("login"))
    if not text.lstrip().startswith("/pmbot") or author == gh.login():
        return 0
    snap, item = _item(gh, number)
    if item is None:
        log(f"pmbot: #{number} is not an action item pmbot tracks; ignoring the command.")
        return 0
    try:
        tracked = TrackedItem.from_issue(
            number=snap.number, title=snap.title, body=snap.body, labels=snap.labels,
            assignees=snap.assignees, state=snap.state, state_reason=snap.state_reason,
            closed_at=snap.closed_at, updated_at=snap.updated_at,
        )  # fmt: skip
    except ItemProblem as problem:
        log(f"pmbot: {problem.render()}")
        return 1
    cid = comment.get("id") if isinstance(comment.get("id"), int) else None
    # An owner GitHub cannot assign is refused up front (one read), not recorded while the
    # assignment quietly fails.
    command = parse_command(text)
    new_owner = command.owner if isinstance(command, Command) else None
    assignable = gh.can_assign(new_owner) if new_owner and "/" not in new_owner else None
    inv = Invocation(tracked, author, gh.author_permission(author), now, cid, assignable)
    plan = plan_command(text, inv, config)
    result = apply(plan, gh, dry_run=dry_run, log=log)
    if result.failed:
        return 1
    # A denial or usage reply changes nothing the postmortem's summary shows: no intake.
    changed = any(not isinstance(a, CreateComment) for a in plan.actions)
    if changed and not dry_run:
        return _exit(run_intake(gh, item.info.pm, now=now, config=config, dry_run=False, log=log))
    return 0


# --- sweep ----------------------------------------------------------------------------------


def tracked_items(gh: GitHub, config: Config, state: str, log: Log) -> list[Any]:
    """Every action item (one read per 100): pmbot's own, whose markers are trusted, and
    ones filed by hand with the Action item form. An `item` marker in someone else's issue
    is ignored, since anyone can paste one. Unreadable items are reported and skipped."""
    from pmbot.flows.tracking import read_items as read_tracked

    me = gh.login()
    issues = [
        i
        for i in gh.list_issues(labels=[config.labels.action_item.name], state=state)
        if i.author == me or not markers.has(i.body, "item")
    ]
    items, problems = read_tracked(issues, sla_days=config.sla_days)
    for problem in problems:
        log(f"pmbot: skipping {problem.render()}")
    return items


def _own_comment(gh: GitHub, number: int, kind: str) -> str | None:
    me = gh.login()
    found = (
        c.body for c in gh.list_comments(number) if c.author == me and markers.has(c.body, kind)
    )
    return next(found, None)


def late_postmortems(gh: GitHub, config: Config, now: datetime) -> list[Any]:
    """Open SEV-1/2 postmortems past their document deadline with no document on the
    default branch: one tree read, then one comment read per late postmortem only."""
    from pmbot.core.figures import postmortem_due
    from pmbot.flows.ladder import PM_FOLLOW, PostmortemFollow, read_pm_follow

    business = {str(s): n for s, n in config.severity_due_business_days.items()}
    published = {path for path, _ in gh.list_tree(config.docs_dir)}
    late = []
    for issue in gh.list_issues(labels=[config.postmortem_label], state="open"):
        result = parse(issue, config) if planner.allowed(issue, config) else None
        pm = result.postmortem if isinstance(result, Intake) else None
        if pm is None or pm.resolved is None:
            continue
        due = postmortem_due(pm.resolved.date(), pm.severity, business)
        if due is None or now.date() <= due:
            continue
        if document_path(pm, config.docs_dir).as_posix() in published:
            continue
        last, count = read_pm_follow(_own_comment(gh, issue.number, PM_FOLLOW))
        follow = PostmortemFollow(
            issue.number, pm.severity, pm.resolved.date(), False, pm.incident_commander,
            pm.authors, last, count,
        )  # fmt: skip
        late.append(follow)
    return late


def sweep(
    environ: Mapping[str, str], *, dry_run: bool, now: datetime, config_path: Path | None
) -> int:
    """`pmbot sweep`: reminders, overdue notices and escalations over open action items, and
    reminders for postmortem documents past their deadline."""
    from pmbot.flows.ladder import plan_postmortem_reminders, plan_sweep

    notes: list[str] = []
    what = f"sweep{' (dry run)' if dry_run else ''}"
    with session(environ, config_path, what, notes) as (gh, config):
        try:
            remaining = _remaining(gh, gh.log_rate_limit("start"))
            items = tracked_items(gh, config, "open", _stderr)
            plan = plan_sweep(items, now, config)
            plan += plan_postmortem_reminders(late_postmortems(gh, config, now), now, config)
            kept, deferred = trim_to_budget(plan, config.budget.max_writes_per_run)
            floor = config.budget.rate_limit_floor
            result = apply(kept, gh, dry_run=dry_run, log=_stderr, remaining=remaining, floor=floor)
            notes += _sweep_notes(result, deferred)
        finally:
            gh.log_rate_limit("end")
            for note in notes:
                _stderr(f"pmbot sweep: {note}")
    return 1 if result.failed else 0


def _remaining(gh: GitHub, start: Any) -> Callable[[], int | None]:
    """Requests left in the rate-limit window, counted from the start without asking again."""
    if start is None:
        return lambda: None
    used = gh.stats.rate_limited_requests
    return lambda: int(start.remaining) - (gh.stats.rate_limited_requests - used)


def _sweep_notes(result: ApplyResult, deferred: Plan) -> list[str]:
    notes = []
    if deferred:
        notes.append(
            f"deferred {deferred.writes} writes for {len(deferred.by_issue())} items to the "
            "next run (budget.max_writes_per_run); the most urgent went first"
        )
    if result.stopped_at_floor:
        notes.append(
            f"stopped at the rate-limit floor; {len(result.skipped)} items wait for the next run"
        )
    if result.failed:
        notes.append(f"{len(result.failed)} items failed and will be retried next run")
    return notes


# --- report ---------------------------------------------------------------------------------


def report(
    environ: Mapping[str, str],
    *,
    fmt: str,
    now: datetime,
    post: bool,
    config_path: Path | None,
) -> int:
    """`pmbot report`: program metrics on stdout; `--post` also updates the report issue."""
    from pmbot.flows.report import PostmortemRecord, compute_report, render_report

    with session(environ, config_path, "report") as (gh, config):
        records = []
        published = published_dates(gh, config)
        for issue in gh.list_issues(labels=[config.postmortem_label], state="all"):
            result = parse(issue, config)
            if isinstance(result, Intake):
                pm = result.postmortem
                day = published(pm, issue.number)
                records.append(PostmortemRecord.from_postmortem(pm, issue.number, day))
        items = tracked_items(gh, config, "all", _stderr)
        data = compute_report(records, items, now, config)
        text = render_report(data, fmt)  # type: ignore[arg-type]
        sys.stdout.write(text)
        if post:
            _post_report(gh, render_report(data, "md") if fmt != "md" else text)
    return 0


PUBLISHED_PAGES = 3  # list pages read to date the documents: 300 recent pulls or commits


def published_dates(gh: GitHub, config: Config) -> Callable[[Any, int], date | None]:
    """When each postmortem's document reached the default branch, where cheaply known: the
    merge of its `branch_prefix + slug` pull request, or with `publish: commit` the first
    pmbot commit naming the issue (`Postmortem #N: ...`). A bounded number of list reads
    (PUBLISHED_PAGES); a document merged before them counts as unmerged."""
    if config.publish == "commit":
        first: dict[int, date] = {}
        for message, at in gh.commit_dates(config.docs_dir, max_pages=PUBLISHED_PAGES):
            found = re.match(r"Postmortem #(\d+):", message)
            if found:  # newest first: the last one seen is the first publication
                first[int(found.group(1))] = at.astimezone(UTC).date()
        return lambda pm, number: first.get(number)
    merged = gh.merged_pulls(config.branch_prefix, max_pages=PUBLISHED_PAGES)

    def by_branch(pm: Any, number: int) -> date | None:
        slug = PurePosixPath(document_path(pm, config.docs_dir)).stem
        at = merged.get(f"{config.branch_prefix}{slug}")
        return at.astimezone(UTC).date() if at else None

    return by_branch


def _post_report(gh: GitHub, text: str) -> None:
    """The single report issue pmbot keeps, updated in place."""
    marker = markers.encode("report", {})
    body = f"{markers.defuse_markers(text).rstrip()}\n\n{marker}\n"
    me = gh.login()
    mine = [
        i
        for i in gh.list_issues(labels=[REPORT_LABEL], state="open")
        if i.author == me and markers.has(i.body, "report")
    ]
    if not mine:
        gh.create_issue("pmbot report", body, labels=[REPORT_LABEL], marker=marker)
    elif mine[0].body.rstrip() != body.rstrip():
        gh.update_issue(mine[0].number, body=body)


__all__ = [
    "Action",
    "IntakeRun",
    "dispatch",
    "event",
    "intake",
    "report",
    "run_intake",
    "sweep",
]
