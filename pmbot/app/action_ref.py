"""The pmbot action that installed workflows run: `--action OWNER/REPO@SHA`, checked,
written on each workflow's `# pmbot-action` line and read back from there by a later init.

Only a full commit SHA pins an action: a tag or branch can be moved to run other code with
the repository's token. `./` (the action.yml at the repository's own root) is right only in
a checkout of pmbot itself.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pmbot.core.logins import REPOSITORY
from pmbot.errors import PmbotError, Problem

SELF_REF = "./"
"""The action at the repository's own root: right only in a checkout of pmbot itself."""

ACTION_MARKER = "pmbot-action"
"""The comment that marks the one line in each workflow naming the pmbot action."""

ACTION_FLAG = "--action"
ACTION_FORMAT = "OWNER/REPO@<40-hex commit SHA>"

_ACTION_LINE = re.compile(
    rf"^(?P<lead>[ \t]*(?:-[ \t]+)?uses:)[ \t]*(?P<ref>\S+)[ \t]*#(?P<note>[^\n]*?)"
    rf"[ \t]*\b{re.escape(ACTION_MARKER)}[ \t]*$",
    re.MULTILINE,
)
_REPO = rf"{REPOSITORY}(?:/[A-Za-z0-9._/-]+)?"  # an action may sit in a folder
_PINNED_REF = re.compile(rf"(?P<repo>{_REPO})@(?P<sha>[0-9a-fA-F]{{40}})")
_ANY_REF = re.compile(rf"(?P<repo>{_REPO})(?:@(?P<rev>\S*))?")
_NOTE = re.compile(r"[A-Za-z0-9 ._+/:-]{0,80}")


@dataclass(frozen=True)
class ActionRef:
    """The pmbot action the workflows run: `OWNER/REPO@SHA` (or `./`), and an optional note
    such as the version the commit stands for (written as a comment beside it)."""

    target: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.target} # {self.note}" if self.note else self.target


def resolve_action(target_dir: Path, given: str | None, workflows: Sequence[str]) -> ActionRef:
    """The reference to install: `--action`, else the one the installed pmbot workflows
    (paths relative to target_dir) name."""
    ref = parse_action_ref(given) if given is not None else remembered_action(target_dir, workflows)
    if ref.target == SELF_REF and not is_pmbot_checkout(target_dir):
        raise PmbotError(
            [
                Problem(
                    ACTION_FLAG,
                    f"`uses: {SELF_REF}` runs an action.yml at the root of the repository "
                    "itself, which only pmbot's own repository has; in this one every "
                    "workflow would fail.",
                    f"pass {ACTION_FLAG} {ACTION_FORMAT}, the pmbot repository and commit to run.",
                )
            ]
        )
    return ref


def parse_action_ref(text: str) -> ActionRef:
    """`--action`: OWNER/REPO[/PATH]@<40-hex commit SHA> (or `./`), optionally followed by
    `# note` (e.g. `# v0.2.0`, written beside it)."""
    target, _, note = (part.strip() for part in text.partition("#"))
    if not _NOTE.fullmatch(note):
        raise _bad_ref(
            f"the note after `#` ({note!r}) may hold only letters, digits, spaces and "
            "`. _ + / : -`.",
            "shorten it to a version such as `# v0.2.0`.",
        )
    if target == SELF_REF:
        return ActionRef(SELF_REF, note)
    pinned = _PINNED_REF.fullmatch(target)
    if pinned:
        return ActionRef(f"{pinned['repo']}@{pinned['sha'].lower()}", note)
    raise _unpinned(target)


def _unpinned(target: str) -> PmbotError:
    found = _ANY_REF.fullmatch(target)
    if not target:
        return _bad_ref("is empty.", f"pass {ACTION_FLAG} {ACTION_FORMAT}.")
    if found is None:
        return _bad_ref(
            f"{target!r} is not an action reference.",
            f"use {ACTION_FORMAT}, e.g. {ACTION_FLAG} acme/pmbot@<the full commit SHA>.",
        )
    repo, rev = found["repo"], found["rev"]
    if not rev:
        return _bad_ref(
            f"{target!r} names no commit.",
            f"append `@` and the full 40-hex commit SHA: {repo}@<sha> "
            f"(`git ls-remote https://github.com/{repo} HEAD` prints the newest).",
        )
    if re.fullmatch(r"[0-9a-fA-F]{4,39}", rev):
        return _bad_ref(
            f"{rev!r} is a short commit SHA; only all 40 hex digits name one commit for sure.",
            f"use the full SHA ({repo}@<40-hex sha>; `git rev-parse {rev}` in a pmbot "
            "checkout prints it).",
        )
    return _bad_ref(
        f"{rev!r} is a tag or branch, which can be moved to run other code with your "
        "repository's token.",
        f"pin the commit it points to: {repo}@<40-hex sha> (`git ls-remote "
        f"https://github.com/{repo} {rev}` prints it), optionally followed by `# {rev}`.",
    )


def _bad_ref(message: str, fix: str) -> PmbotError:
    return PmbotError([Problem(ACTION_FLAG, message, fix)])


def remembered_action(target_dir: Path, workflows: Sequence[str]) -> ActionRef:
    """The one reference the installed pmbot workflows (paths relative to target_dir) name:
    what an earlier init wrote."""
    found: dict[ActionRef, str] = {}
    for rel in workflows:
        for ref in refs_in(target_dir / rel, strict=True):
            found.setdefault(ref, rel)
    if len(found) == 1:
        return next(iter(found))
    if not found:
        raise PmbotError(
            [
                Problem(
                    ACTION_FLAG,
                    "is missing, and no pmbot workflow is installed here yet to take the "
                    "action reference from.",
                    f"pass {ACTION_FLAG} {ACTION_FORMAT}, the pmbot repository and commit "
                    "the workflows should run (later runs of init remember it).",
                )
            ]
        )
    listed = "; ".join(f"{ref.target} in {where}" for ref, where in found.items())
    raise PmbotError(
        [
            Problem(
                ACTION_FLAG,
                f"the installed workflows name different pmbot actions ({listed}).",
                f"pass {ACTION_FLAG} {ACTION_FORMAT} to choose one.",
            )
        ]
    )


def refs_in(path: Path, *, strict: bool = False) -> list[ActionRef]:
    """The action references on the `# pmbot-action` lines of an installed workflow.

    strict: a reference that is not pinned is an error naming the file and line;
    otherwise it is left out (that file then cannot count as pmbot's own earlier install).
    """
    if path.is_symlink() or not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    refs = []
    for match in _ACTION_LINE.finditer(text):
        try:
            refs.append(parse_action_ref(f"{match['ref']} # {match['note']}"))
        except PmbotError as exc:
            if strict:
                line = text.count("\n", 0, match.start()) + 1
                (problem,) = exc.problems
                where = f"{path.name} (line {line}), the `# {ACTION_MARKER}` line"
                raise PmbotError(
                    [Problem(where, problem.message, f"{problem.fix} Or pass {ACTION_FLAG}.")]
                ) from None
    return refs


def is_pmbot_checkout(path: Path) -> bool:
    """A checkout of pmbot itself: its action.yml at the root and its own pyproject.toml."""
    pyproject = path / "pyproject.toml"
    if not (path / "action.yml").is_file() or not pyproject.is_file():
        return False
    try:
        name = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return False
    return bool(name == "pmbot")


def with_action_ref(workflow: str, ref: ActionRef) -> str:
    """The workflow with its `# pmbot-action` line(s) pointing at ref."""
    comment = f"{ref.note} {ACTION_MARKER}" if ref.note else ACTION_MARKER
    return _ACTION_LINE.sub(lambda m: f"{m['lead']} {ref.target} # {comment}", workflow)


def action_lines(workflow: str) -> list[str]:
    """The `uses:` values on a workflow's `# pmbot-action` lines, as written."""
    return [m["ref"] for m in _ACTION_LINE.finditer(workflow)]
