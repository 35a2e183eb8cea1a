"""`pmbot intake`: one postmortem issue, read, reviewed, published and its items opened.

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
  branch tree, the pull request, and re-reads after writing) plus one assignability check
  per distinct owner of a new item, and one read of the blockers of each item whose
  `Depends on` GitHub may already hold; writes are two per new item (create with labels and
  assignee, link), one per new dependency, plus the document change and the comment. No
  write GitHub would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from pmbot.app.forms import postmortem_form
from pmbot.app.native import NativeReader
from pmbot.app.session import Log, session, stderr_log
from pmbot.core import markers
from pmbot.core.config import Config
from pmbot.core.model import Postmortem
from pmbot.core.reading import Intake, read_postmortem
from pmbot.errors import FormError, PmbotError, Problem
from pmbot.flows import intake as planner
from pmbot.flows import living, publish
from pmbot.flows.intake import Publication
from pmbot.flows.items import TrackedItem
from pmbot.flows.native import with_native
from pmbot.flows.publish import DocsState, Documents
from pmbot.github.client import GitHub, GitHubHTTPError
from pmbot.github.models import CommentSnapshot, IssueSnapshot
from pmbot.plan import (
    Action,
    ApplyResult,
    CreateSubIssue,
    EditIssue,
    ItemKey,
    Plan,
    Refresh,
    apply,
    trim_to_budget,
)
from pmbot.render import library
from pmbot.render.document import document_path

MAX_UNINDEXED_READS = 25  # documents not yet in index.json read per run; the rest next time


def read_pm_items(
    gh: GitHub, issue: IssueSnapshot, config: Config, log: Log = stderr_log
) -> list[TrackedItem]:
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
    # who pmbot is, asked after the reads: they may be what tells an installation token's bot
    me = gh.login()
    items, problems = planner.items_of(issue.number, [*subs, *labelled], me, linked, config)
    for problem in problems:
        log(f"pmbot: skipping {problem.render()}")
    return items


def read_summary(gh: GitHub, number: int) -> tuple[CommentSnapshot | None, list[CommentSnapshot]]:
    """pmbot's summary comment (the oldest, if racing runs left two) and any others."""
    comments = gh.list_comments(number)
    me = gh.login()  # after the read, which may be what tells who pmbot is
    own = [c for c in comments if c.author == me and markers.has(c.body, planner.SUMMARY)]
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
        result = read_postmortem(
            issue.body, config, form=postmortem_form(), issue_number=issue.number
        )
        document_path(result.postmortem, config.docs_dir)  # undated: a problem to report
    except FormError as exc:
        return exc
    return result


def read_library(gh: GitHub, config: Config) -> DocsState:
    """The library on the default branch: its tree, index.json and the documents the index
    does not list yet (a bounded number per run)."""
    default = gh.default_branch()
    tree = dict(gh.list_tree(config.docs_dir, ref=default))
    index_path = f"{config.docs_dir}/{publish.INDEX_JSON}"
    index = gh.read_file(index_path, ref=default) if index_path in tree else None
    listed = publish.entries_from_index(index.text if index else None)
    indexed = publish.present(listed, tree, config.docs_dir)
    missing = publish.unindexed(tree, indexed, config.docs_dir)[:MAX_UNINDEXED_READS]
    texts = [(p, f.text) for p in missing if (f := gh.read_file(p, ref=default)) is not None]
    entries = (*indexed, *library.entries_from_texts(texts, docs_dir=config.docs_dir))
    return DocsState(default, entries, tree, True, None, published=tree)


def read_target(gh: GitHub, docs: Documents, state: DocsState) -> DocsState:
    """The files on the branch the change goes to, and its open pull request."""
    if docs.mode == "commit" or state.is_published(docs):
        return state
    try:
        target = dict(gh.list_tree(docs.docs_dir, ref=docs.branch))
    except GitHubHTTPError as exc:
        if exc.status not in (404, 409, 422):
            raise
        return replace(state, target_files={}, target_exists=False)
    pull = gh.find_open_pull(docs.branch, state.default_branch)
    return replace(state, target_files=target, pull=pull)


def document_url(issue: IssueSnapshot, path: str, state: DocsState) -> str | None:
    """Where the document is (or will be, once its pull request is merged) on the default
    branch: a link that stays valid after the branch is gone."""
    base = issue.html_url.rsplit("/issues/", 1)[0]
    return f"{base}/blob/{state.default_branch}/{quote(path)}" if base else None


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
    budget: int  # writes this run may still plan (budget.max_writes_per_run)
    planned: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    deferred: int = 0  # writes left for the next run by the budget
    allowed: bool = True
    form_error: bool = False
    notes: list[str] = field(default_factory=list)  # for the run summary


def _apply(
    plan: Plan,
    gh: GitHub,
    dry_run: bool,
    log: Log,
    run: IntakeRun,
    refresh: Refresh | None = None,
) -> ApplyResult:
    """Apply what fits the run's write budget (whole items, most urgent first; the rest
    waits for the next run), in plan order so items are numbered as the form lists them.
    A failure costs only its item: the others go on."""
    kept, deferred = trim_to_budget(plan, run.budget)
    chosen = {id(a) for a in kept.actions}
    kept = Plan(tuple(a for a in plan.actions if id(a) in chosen), kept.notes)
    run.budget -= kept.writes
    run.deferred += deferred.writes
    result = apply(kept, gh, dry_run=dry_run, log=log, refresh=refresh)
    run.planned += list(result.applied)
    run.failed += [f"#{f.issue}: {f.error}" for f in result.failed]
    return result


def run_intake(
    gh: GitHub,
    number: int,
    *,
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log = stderr_log,
    documents: bool = True,
) -> IntakeRun:
    """Intake of postmortem #number: items, document, summary; a rerun writes nothing.

    With `documents=False` (an item event) the document is left as it is: item states
    reach the documents in the report job's batched refresh, not one commit per event.
    """
    run = IntakeRun(number, budget=config.budget.max_writes_per_run)
    issue = read_postmortem_issue(gh, number, config)
    summary, _ = read_summary(gh, number)
    if not planner.allowed(issue, config):
        run.allowed = False
        existing = summary.body if summary else None
        _apply(planner.plan_not_allowed(issue, existing, config), gh, dry_run, log, run)
        return run
    result = parse(issue, config)
    items = read_pm_items(gh, issue, config, log)
    pub = None
    if isinstance(result, FormError):
        run.form_error = True
    else:
        items, pub = _changes(gh, issue, result, items, now, config, dry_run, log, run, documents)
    _finish(gh, issue, result, items, pub, summary, now, config, dry_run, log, run)
    return run


def repo_template(gh: GitHub, config: Config, ref: str) -> str | None:
    """`templates.document`: a path in the repository, read once per run (None: the shipped
    template)."""
    name = config.templates.document
    if not name:
        return None
    found = gh.read_file(name, ref=ref)
    if found is None:
        raise PmbotError(
            [Problem("templates.document", f"{name!r} is not in the repository.", "commit "
                     "the template there, or set templates.document to null.")]
        )  # fmt: skip
    return found.text


def _changes(
    gh: GitHub,
    issue: IssueSnapshot,
    result: Intake,
    items: list[TrackedItem],
    now: datetime,
    config: Config,
    dry_run: bool,
    log: Log,
    run: IntakeRun,
    documents: bool,
) -> tuple[list[TrackedItem], Publication]:
    """Phase one: the action items, then the document showing their issues, due dates and
    states. Returns the items as they now are."""
    pm = result.postmortem
    state = read_library(gh, config)
    path = publish.document_location(pm, state.library, config.docs_dir)
    # One read per owner to be assigned, so GitHub is never asked for an assignee it refuses.
    refused = [o for o in planner.owners_to_check(pm, items) if not gh.can_assign(o)]
    document = document_url(issue, path, state)
    plan = planner.plan_items(pm, items, now, config, refused, document)
    if any(isinstance(a, CreateSubIssue) for a in plan.actions):  # new items: native too
        native = NativeReader(gh).native(config, gh.settings.owner)
        for problem in native.problems:
            log(f"pmbot: {problem}")
            run.notes.append(problem)
        plan = with_native(plan, pm, now.date(), config, native)
    if plan:
        replan = _replan_if_changed(gh, pm, items, now, config, (refused, document), log)
        _apply(plan, gh, dry_run, log, run, replan)
    if plan and not dry_run:
        items = read_pm_items(gh, issue, config, log)
        dups = planner.plan_duplicates(items)
        if dups:
            log(f"#{issue.number}: racing runs created duplicates; closing the newer copies")
            _apply(dups, gh, dry_run, log, run)
            items = read_pm_items(gh, issue, config, log)
    _link_dependencies(gh, pm, items, dry_run, log, run)
    mine = next((e for e in state.library if e.issue == issue.number), None)
    track = living.tracking(
        pm, items, config,
        filed=issue.created_at.date(), published=living.recorded_published(mine),
        issues_url=issues_url(issue),
    )  # fmt: skip
    template = repo_template(gh, config, state.default_branch)
    docs = publish.documents(
        pm, result.findings, state.library, config, state.default_branch, template, track
    )
    state = read_target(gh, docs, state)
    doc_plan = Plan(publish.plan_publish(issue.number, docs, state)) if documents else Plan()
    if doc_plan and _form_unchanged(gh, docs, state, mine):
        log(f"#{issue.number}: the document matches the form; item states follow in the refresh")
        doc_plan = Plan()
    if doc_plan:
        _apply(doc_plan, gh, dry_run, log, run)
        if not dry_run and docs.mode != "commit":
            state = replace(state, pull=gh.find_open_pull(docs.branch, docs.base))
    return items, publication(issue, docs, state)


def _link_dependencies(
    gh: GitHub,
    pm: Postmortem,
    items: Sequence[TrackedItem],
    dry_run: bool,
    log: Log,
    run: IntakeRun,
) -> None:
    """Each item's `Depends on` as GitHub issue dependencies: the blockers GitHub already has
    are read first (one read per item that may have some), so only missing links are written."""
    existing: dict[int, tuple[int, ...]] = {}
    for item in planner.to_read(pm, items):
        found = gh.list_blocked_by(item.number)
        if found is None:
            log("pmbot: this GitHub has no issue dependencies; Depends on stays in the document")
            return
        existing[item.number] = found
    plan = planner.plan_dependencies(pm, items, existing)
    if plan.actions or plan.notes:
        _apply(plan, gh, dry_run, log, run)


def _replan_if_changed(
    gh: GitHub,
    pm: Postmortem,
    items: Sequence[TrackedItem],
    now: datetime,
    config: Config,
    extra: tuple[Sequence[str], str | None],
    log: Log,
) -> Refresh:
    """Right before intake rewrites an item's body (the form was edited): if the item changed
    since it was read (a `/pmbot` command or the sweep in between), plan it again from what
    it holds now, so their due date, history and follow state are not written over. A
    conditional request: "not modified" is a 304, which costs no rate limit."""
    listed = {i.number: i for i in items}

    def refresh(key: ItemKey, actions: tuple[Action, ...]) -> tuple[Action, ...]:
        item = listed.get(key[0])
        edits = any(isinstance(a, EditIssue) and a.body is not None for a in actions)
        if item is None or item.updated_at is None or not edits:
            return actions
        fresh = gh.issue_if_changed(item.number, item.updated_at)
        if fresh is None:
            return actions
        log(f"#{item.number} changed since intake read it; planning it again")
        again = planner.items_of(pm.issue_number or 0, [fresh], gh.login(), {}, config)[0]
        if not again:
            return ()
        now_items = [replace(again[0], linked=item.linked) if i is item else i for i in items]
        plan = planner.plan_items(pm, now_items, now, config, *extra)  # as first planned
        return tuple(a for a in plan.actions if a.item == key)

    return refresh


def _form_unchanged(
    gh: GitHub, docs: Documents, state: DocsState, mine: library.LibraryEntry | None
) -> bool:
    """Whether the document where the change would go was made from the form as it is now,
    so only item states differ: those wait for the batched refresh (no commit per event).
    A pending pull request's copy costs one read, and only when its blob differs."""
    new = library.read_document_data(dict(docs.files)[docs.path]).get("source")
    on_branch = state.target_files.get(docs.path) if state.target_exists else None
    if docs.mode != "commit" and on_branch and on_branch != state.published.get(docs.path):
        found = gh.read_file(docs.path, ref=docs.branch)
        old = library.read_document_data(found.text).get("source") if found else None
    elif docs.path in state.published and mine is not None:
        old = mine.details.get("source")
    else:
        old = None
    return old is not None and old == new


def issues_url(issue: IssueSnapshot) -> str | None:
    """`https://github.com/OWNER/REPO/issues`, from the issue's own address."""
    base, found, _ = issue.html_url.rpartition("/")
    return base if found and base.endswith("/issues") else None


def _finish(
    gh: GitHub,
    issue: IssueSnapshot,
    result: Intake | FormError,
    items: Sequence[TrackedItem],
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
        # Two runs that both found no summary comment both create one: keep the oldest.
        _, extra = read_summary(gh, issue.number)
        _apply(planner.plan_supersede(issue.number, extra), gh, dry_run, log, run)


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
    notes: list[str] = []  # the session writes them to the step summary at the end
    with session(environ, config_path, what, notes) as (gh, config):
        log = print if dry_run else stderr_log  # a dry run's plan is its output
        run = run_intake(gh, issue, now=now, config=config, dry_run=dry_run, log=log)
        notes += run.notes
        if run.deferred:
            notes.append(deferred_note(run))
    return exit_code(run)


def deferred_note(run: IntakeRun) -> str:
    return (
        f"#{run.number}: deferred {run.deferred} writes to the next run "
        "(budget.max_writes_per_run); the most urgent went first. Run intake again, or edit "
        "the issue, to finish."
    )


def exit_code(run: IntakeRun) -> int:
    if run.deferred:
        stderr_log(f"pmbot: {deferred_note(run)}")
    if run.failed:
        stderr_log(f"pmbot: {len(run.failed)} writes failed; run again to finish: {run.failed}")
        return 1
    if not run.planned:
        stderr_log(f"pmbot: #{run.number} is up to date; nothing to write.")
    return 0


# --- event ----------------------------------------------------------------------------------
