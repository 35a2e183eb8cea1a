"""Action-item issues: the one model (`TrackedItem`), the one reader, the one trust rule.

Intake, the sweep, owner commands, event handling and the report all read items here, from
the adapter's `IssueSnapshot`s. `bot_login` is the login pmbot's own writes are authored by
(the token's user, or the bot user of an Actions or App installation token).

The trust rule — pmbot's state is believed only in text pmbot itself wrote:

1. An issue whose author is `bot_login` and that carries a `pmbot:item` marker is one of
   pmbot's items. Intake wrote that marker and the sweep and commands keep its `pmbot:follow`
   marker; both are read from its body, and a newer follow state from pmbot's newest notice
   comment when GitHub counts comments the body does not account for. (GitHub's REST API
   does not say who last edited a body, so the author is what is checked; only people with
   write access can edit an issue someone else wrote.) With a personal token pmbot writes as
   that person, so an item the person filed by hand (no `pmbot:item` marker) is theirs, not
   pmbot's (rule 2).
2. Any other issue with the action-item label is *hand-filed*, with the Action item form. It
   is followed only when its author's association is one of `allowed_associations`;
   otherwise pmbot says so once (`plan_not_followed`) and leaves it alone (an issue another
   app wrote is left alone without a word). Its answers are read from the form with every
   pmbot marker in the body blanked out: a marker in text a person wrote is never
   believed, whoever wrote it. Its follow state is the `pmbot:follow`
   marker in pmbot's newest comment on it that carries one (every notice and audit comment
   pmbot posts there carries the state it leads to, so notice and state land in one write),
   and its history is pmbot's `pmbot:audit` comments (`with_comments`). `/pmbot due` and
   `/pmbot owner` rewrite that form answer.
3. A comment's author is checked the same way: only `bot_login`'s comments hold state.

Comments cost reads, so they are read only for an item that `may_hold_newer_state` (GitHub's
count comes with the issue list) and that the caller needs the state of — the sweep asks only
for items the ladder may act on today, and finds pmbot's own items' newest notices in the
repository's comment list, newest first, one read per hundred comments. The list of items
itself is one read per hundred.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from pmbot.core import markers
from pmbot.core.config import Config
from pmbot.core.forms import Form
from pmbot.core.model import Priority
from pmbot.errors import PmbotError, Problem
from pmbot.flows.hand_filed import FormProblems, manual_info
from pmbot.flows.tracking import FOLLOW, ITEM, Change, FollowState, ItemInfo
from pmbot.github.models import CommentSnapshot, FieldValue, IssueSnapshot
from pmbot.plan import Action, AddLabels, CreateComment, Plan, RemoveLabel

AUDIT = "audit"  # marker kind of the comment recording an owner command
NOT_FOLLOWED = "not-followed"  # marker kind of the note on an item pmbot does not follow
MARKER_FIX = (
    "restore the pmbot:item marker from the issue's edit history, rerun intake, "
    "or file the item with the Action item issue form"
)


class ItemProblem(PmbotError):
    """An action-item issue pmbot cannot follow: no usable marker, or a hand-filed form
    answer it cannot read (then one Problem per field, with its line in the body)."""

    def __init__(self, number: int, message: str | Sequence[Problem]) -> None:
        self.number = number
        if isinstance(message, str):
            problems: Sequence[Problem] = [Problem(f"issue #{number}", message, MARKER_FIX)]
        else:
            problems = message
        super().__init__(problems)


@dataclass(frozen=True)
class TrackedItem:
    """An action-item issue as every planner sees it."""

    number: int
    title: str
    body: str
    info: ItemInfo
    follow: FollowState = field(default_factory=FollowState)
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    comments: int | None = None  # GitHub's comment count; None when the reader did not know it
    id: int = 0  # the issue's id, which linking a sub-issue (or a dependency) takes
    blocked_by: int | None = None  # how many issues block it; None: not known without a read
    hand_filed: bool = False  # filed by a person with the form (rule 2), not by pmbot
    linked: bool = True  # intake: a sub-issue (or task-list entry) of its postmortem
    # GitHub's issue type and issue field values (name, value), where the organisation has them
    issue_type: str | None = None
    field_values: tuple[tuple[str, FieldValue], ...] = ()

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def is_duplicate(self) -> bool:
        return self.state == "closed" and self.state_reason == "duplicate"

    @property
    def owner(self) -> str | None:
        return self.info.owner

    @property
    def priority(self) -> Priority:
        return self.info.priority

    @property
    def due(self) -> date:
        return self.info.due


def is_allowed(association: str, config: Config) -> bool:
    """Whether pmbot acts for an author with this association (`allowed_associations`)."""
    return association.upper() in {a.upper() for a in config.allowed_associations}


def is_own(issue: IssueSnapshot, bot_login: str) -> bool:
    """One of pmbot's items (rule 1): written by pmbot, with the item marker it writes."""
    return issue.author == bot_login and markers.has(issue.body, ITEM)


def followed(issue: IssueSnapshot, bot_login: str, config: Config) -> bool:
    """What pmbot wrote always (an item or one whose marker was lost, which is then
    reported); a hand-filed one when its author's association is allowed."""
    return issue.author == bot_login or is_allowed(issue.author_association, config)


def read_item(
    issue: IssueSnapshot, *, bot_login: str, config: Config, form: Form | None = None
) -> TrackedItem:
    """The item under the trust rule (comments not read: see `with_comments`); raises
    ItemProblem naming the issue, and the field and line of a bad form answer."""
    own = is_own(issue, bot_login)
    if not own and form is None:  # callers that read hand-filed items load it (app.forms)
        if issue.author == bot_login:  # pmbot's item whose marker was deleted
            raise ItemProblem(issue.number, "has no readable pmbot:item marker.")
        raise TypeError(f"#{issue.number} is hand-filed: reading it needs the Action item form")
    try:
        info = (
            _own_info(issue) if own or form is None else _form_info(issue, config, form, bot_login)
        )
        raw = markers.find(issue.body, FOLLOW) if own else None
        follow = FollowState.from_json(raw) if raw else FollowState()
    except (KeyError, ValueError, TypeError) as exc:
        raise ItemProblem(issue.number, f"has a malformed pmbot marker ({exc}).") from exc
    return TrackedItem(
        number=issue.number,
        title=issue.title,
        body=issue.body,
        info=info,
        follow=follow,
        labels=issue.labels,
        assignees=issue.assignees,
        state=issue.state,
        state_reason=issue.state_reason,
        closed_at=issue.closed_at,
        updated_at=issue.updated_at,
        comments=issue.comments,
        id=issue.id,
        blocked_by=issue.blocked_by,
        hand_filed=not own,
        issue_type=issue.issue_type,
        field_values=issue.field_values,
    )


def _own_info(issue: IssueSnapshot) -> ItemInfo:
    raw = markers.find(issue.body, ITEM)
    if raw is None:
        raise ItemProblem(issue.number, "has no readable pmbot:item marker.")
    return ItemInfo.from_json(raw)


def _form_info(issue: IssueSnapshot, config: Config, form: Form, bot_login: str) -> ItemInfo:
    try:
        info = manual_info(
            issue.number, issue.body, created_at=issue.created_at, sla_days=config.sla_days,
            form=form, author=issue.author, assignees=issue.assignees,
        )  # fmt: skip
    except FormProblems as bad:
        raise ItemProblem(issue.number, bad.problems) from None
    if info is None and issue.author == bot_login:  # pmbot's item whose marker was deleted
        raise ItemProblem(issue.number, "has no readable pmbot:item marker.")
    if info is None:
        raise ItemProblem(
            issue.number,
            [
                Problem(
                    f"issue #{issue.number}",
                    "has the action-item label but is neither pmbot's item nor an Action "
                    "item form.",
                    "file the item with the Action item issue form, or remove the label.",
                )
            ],
        )
    return info


def with_comments(
    item: TrackedItem, comments: Iterable[CommentSnapshot], bot_login: str
) -> TrackedItem:
    """The item with the state pmbot's own comments on it hold: for a hand-filed item its
    whole state (rule 2); for pmbot's own item the follow state of pmbot's newest comment
    carrying one, when it is newer (higher `seq`) than the body's (see `pmbot.flows.tracking`).
    `comments` may be only the newest of the issue's comments, newest first or not."""
    mine = sorted((c for c in comments if c.author == bot_login), key=lambda c: c.id)
    if not item.hand_filed:
        newest = next((s for s in map(_follow_in, reversed(mine)) if s is not None), None)
        if newest is None or newest.seq <= item.follow.seq:
            return item
        return replace(item, follow=newest)
    follow, history = FollowState(), list(item.info.history)
    for comment in mine:
        raw = markers.find(comment.body, FOLLOW)
        audit = markers.find(comment.body, AUDIT)
        try:
            follow = FollowState.from_json(raw) if raw else follow
            history += [Change.from_json(audit)] if audit else []
        except (KeyError, ValueError, TypeError):
            continue  # a comment of pmbot's that someone with write access broke
    return replace(item, follow=follow, info=replace(item.info, history=tuple(history)))


def _follow_in(comment: CommentSnapshot) -> FollowState | None:
    raw = markers.find(comment.body, FOLLOW)
    try:
        return FollowState.from_json(raw) if raw else None
    except (KeyError, ValueError, TypeError):
        return None  # a comment of pmbot's that someone with write access broke


def may_hold_newer_state(item: TrackedItem) -> bool:
    """Whether a comment may hold a newer follow state than the one read: for pmbot's own
    item, GitHub counts more comments than its body's state accounts for; for a hand-filed
    item, it has any comment."""
    count = item.comments or 0
    return count > (0 if item.hand_filed else item.follow.accounted)


@dataclass(frozen=True)
class ItemsRead:
    """What `read_items` found: items to follow, unreadable ones, and hand-filed items whose
    author pmbot does not act for."""

    items: tuple[TrackedItem, ...] = ()
    problems: tuple[ItemProblem, ...] = ()
    not_followed: tuple[IssueSnapshot, ...] = ()


def read_items(
    issues: Iterable[IssueSnapshot], *, bot_login: str, config: Config, form: Form
) -> ItemsRead:
    """Every issue read under the trust rule (pull requests skipped); `form` is the Action
    item form hand-filed items are read with."""
    items: list[TrackedItem] = []
    problems: list[ItemProblem] = []
    outsiders: list[IssueSnapshot] = []
    for issue in issues:
        if issue.is_pull_request:
            continue
        if not followed(issue, bot_login, config):
            if not _another_app(issue, bot_login):  # an app filed no form: nobody to thank
                outsiders.append(issue)
            continue
        try:
            items.append(read_item(issue, bot_login=bot_login, config=config, form=form))
        except ItemProblem as problem:
            problems.append(problem)
    return ItemsRead(tuple(items), tuple(problems), tuple(outsiders))


def _another_app(issue: IssueSnapshot, bot_login: str) -> bool:
    """An issue another GitHub App wrote (or pmbot itself, when the login pmbot was given
    is not the one its token writes as)."""
    return issue.author != bot_login and issue.author.endswith("[bot]")


# --- items pmbot does not follow ------------------------------------------------------------


def not_followed_note(issue: IssueSnapshot, config: Config) -> str:
    allowed = ", ".join(a.lower() for a in config.allowed_associations)
    text = (
        f"Thank you for filing this, @{issue.author}. pmbot follows action items filed by "
        f"people with one of these roles in this repository: {allowed}; so it will not remind "
        "anyone about this one. A maintainer can file it again, or add you as a "
        "collaborator, and pmbot will take it from there."
    )
    return f"{text}\n\n{markers.encode(NOT_FOLLOWED, {'item': issue.number})}\n"


def has_note(comments: Iterable[CommentSnapshot], bot_login: str) -> bool:
    return any(c.author == bot_login and markers.has(c.body, NOT_FOLLOWED) for c in comments)


def plan_not_followed(
    outsiders: Sequence[IssueSnapshot],
    noted: Collection[int],
    items: Sequence[TrackedItem],
    config: Config,
) -> Plan:
    """One polite note per hand-filed item pmbot does not follow, then the `not-followed`
    label, which says it was given (so no later run reads or writes anything for it);
    `noted`: issues already carrying the note (a run that stopped before labelling). The
    label comes off an item that is followed after all (its author was given a role)."""
    label = config.labels.not_followed.name
    actions: list[Action] = []
    for issue in outsiders:
        if issue.state != "open" or label in issue.labels:
            continue
        if issue.number not in noted:
            actions.append(CreateComment(issue.number, not_followed_note(issue, config)))
        actions.append(AddLabels(issue.number, (label,)))
    actions += [RemoveLabel(i.number, label) for i in items if i.is_open and label in i.labels]
    return Plan(tuple(actions))
