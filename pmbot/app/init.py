"""`pmbot init [DIR] --action OWNER/REPO@SHA`: install pmbot's issue forms, workflows and a
commented config.

What is installed, from where:

- the issue forms, `issue_templates/*.yml` → `.github/ISSUE_TEMPLATE/`;
- the workflows, `workflows/*.yml` → `.github/workflows/`, with the line marked
  `# pmbot-action` naming the pmbot action given with `--action`, pinned by commit SHA;
- the configuration, `pmbot/data/defaults.yml` → `.github/pmbot.yml`, every setting
  commented out (an all-comment file means "all defaults");
- with `--org`, also the organisation's workflow, `workflows/org/*.yml` → `.github/workflows/`
  (the sharded `sweep --org` and the `report --org` job after it), for the organisation's
  home repository.

The action reference is remembered in the installed workflows themselves: a later `init`
without `--action` reads it back from their `# pmbot-action` lines. `uses: ./` (the action
from the repository's own root) is accepted only into a checkout of pmbot itself, which is
how pmbot's own `.github/` is installed; anywhere else it would fail on the first run.

The forms and workflows live at the repository's top level (the single source of truth).
An installed package finds them as package data under `pmbot/data/` (symbolic links to the
top-level folders, which the wheel and sdist builds resolve into real files); a source
checkout falls back to the top-level folders themselves.

An existing file is never overwritten silently: identical → `unchanged`; exactly what init
installed before with another action reference → `updated` (only that line changes);
different → `skipped` (the user's version stays). `force` replaces a differing form or
workflow (the files pmbot owns), but never `.github/pmbot.yml`, which is the user's.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from pmbot import __version__
from pmbot.app.action_ref import (
    ACTION_MARKER,
    ActionRef,
    action_lines,
    refs_in,
    resolve_action,
    with_action_ref,
)
from pmbot.core.config import CONFIG_PATH, defaults_text
from pmbot.core.shipped import data_path
from pmbot.errors import PmbotError, Problem

FORMS_DIR = ".github/ISSUE_TEMPLATE"
WORKFLOWS_DIR = ".github/workflows"
ORG_WORKFLOWS = "workflows/org"  # the organisation's, installed with --org
Kind = Literal["form", "workflow", "config"]


class Outcome(enum.StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    UPDATED = "updated"
    SKIPPED = "skipped"
    OVERWRITTEN = "overwritten"


@dataclass(frozen=True)
class InstalledFile:
    """One file `init` considered: where (relative to DIR, `/`-separated) and what happened."""

    path: str
    kind: Kind
    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True)
class InitResult:
    target: Path
    files: tuple[InstalledFile, ...]
    action: ActionRef
    notes: tuple[str, ...] = ()

    def paths(self, outcome: Outcome) -> tuple[str, ...]:
        return tuple(f.path for f in self.files if f.outcome is outcome)

    @property
    def created(self) -> tuple[str, ...]:
        return self.paths(Outcome.CREATED)

    @property
    def skipped(self) -> tuple[str, ...]:
        return self.paths(Outcome.SKIPPED)

    @property
    def unchanged(self) -> tuple[str, ...]:
        return self.paths(Outcome.UNCHANGED)

    @property
    def updated(self) -> tuple[str, ...]:
        return self.paths(Outcome.UPDATED)

    @property
    def overwritten(self) -> tuple[str, ...]:
        return self.paths(Outcome.OVERWRITTEN)


@dataclass(frozen=True)
class Planned:
    """A file init means to install, and the contents that count as pmbot's own earlier
    install of it (replaced without --force: the user did not change them)."""

    path: str
    kind: Kind
    content: bytes
    earlier: frozenset[bytes] = frozenset()


def init(
    target_dir: Path, *, action: str | None = None, force: bool = False, org: bool = False
) -> InitResult:
    """Install the forms, workflows and commented config into the repository at target_dir.

    action is `--action` (None: the reference the installed workflows already name).
    Raises PmbotError when target_dir is not a directory, the action reference is missing,
    not pinned or `./` outside pmbot's own checkout, or the files to install cannot be found.
    """
    if not target_dir.is_dir():
        raise PmbotError(
            [
                Problem(
                    "DIR",
                    f"{str(target_dir)!r} is not a directory.",
                    "give the root of the repository to install into (default: the current "
                    "directory).",
                )
            ]
        )
    workflows = [f"{WORKFLOWS_DIR}/{name}" for name, _ in _workflow_sources(org)]
    ref = resolve_action(target_dir, action, workflows)
    files = tuple(
        _install(target_dir, p, force=force and p.kind != "config")
        for p in plan(target_dir, ref, org=org)
    )
    notes: list[str] = []
    if any(f.outcome is Outcome.SKIPPED for f in files):
        notes.append(
            "Skipped files differ from pmbot's version and were left as they are; compare "
            "them with `pmbot init --action ...` into an empty folder"
            + (", or rerun with --force to replace the forms and workflows." if not force else ".")
        )
    stale = _other_actions(target_dir, files, ref)
    if stale:
        notes.append(
            f"Kept workflows that run another pmbot action than {ref.target}: "
            f"{'; '.join(stale)}. Change their `# {ACTION_MARKER}` line to `uses: {ref.target}`"
            + (", or rerun with --force." if not force else ".")
        )
    return InitResult(target=target_dir, files=files, action=ref, notes=tuple(notes))


def _other_actions(target_dir: Path, files: Sequence[InstalledFile], ref: ActionRef) -> list[str]:
    """The skipped workflows whose `# pmbot-action` line names another action than ref."""
    found = []
    for f in files:
        path = target_dir / f.path
        if f.kind != "workflow" or f.outcome is not Outcome.SKIPPED or path.is_symlink():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        others = sorted(set(action_lines(text)) - {ref.target})
        if others:
            found.append(f"{f.path} (`{'`, `'.join(others)}`)")
    return found


def plan(target_dir: Path, ref: ActionRef, *, org: bool = False) -> list[Planned]:
    """What init installs into target_dir with the action ref, file by file (with `org`, the
    organisation's workflow too)."""
    planned = [
        Planned(f"{FORMS_DIR}/{name}", "form", text.encode("utf-8"))
        for name, text in _sources("issue_templates")
    ]
    for name, text in _workflow_sources(org):
        rel = f"{WORKFLOWS_DIR}/{name}"
        earlier = {
            with_action_ref(text, old).encode("utf-8")
            for old in refs_in(target_dir / WORKFLOWS_DIR / name)
        }
        content = with_action_ref(text, ref).encode("utf-8")
        planned.append(Planned(rel, "workflow", content, frozenset(earlier)))
    planned.append(
        Planned(CONFIG_PATH, "config", commented_config(defaults_text()).encode("utf-8"))
    )
    return planned


def print_result(result: InitResult, out: TextIO | None = None) -> int:
    """Print what `init` did, file by file, and the next steps. Returns the exit code (0)."""
    stream = out if out is not None else sys.stdout
    print(f"pmbot init into {result.target} (action: {result.action}):", file=stream)
    width = max(len(o.value) for o in Outcome)
    for f in result.files:
        reason = f" ({f.reason})" if f.reason else ""
        print(f"  {f.outcome.value:<{width}}  {f.path}{reason}", file=stream)
    for note in result.notes:
        print(f"\nNote: {note}", file=stream)
    print(
        "\nNext steps:\n"
        "  1. Settings > Actions > General > Workflow permissions: allow GitHub Actions to\n"
        "     create and approve pull requests (pmbot proposes each document as a pull\n"
        "     request), or set `publish: commit` in .github/pmbot.yml.\n"
        "  2. Review, commit and push the files under .github/ to the default branch.\n"
        "  3. That push runs the `pmbot labels` workflow, which creates the labels pmbot uses\n"
        "     (the forms apply them; GitHub drops a label that does not exist). Check it ran\n"
        "     before filing a postmortem: gh run list --workflow pmbot-labels.yml\n"
        "     (run it again any time: gh workflow run pmbot-labels.yml).",
        file=stream,
    )
    return 0


# --- the config ---------------------------------------------------------------------------


def commented_config(defaults: str) -> str:
    """defaults.yml with every setting commented out: valid YAML that means "all defaults".

    Comment lines stay as they are; each setting line gets `# ` in front, so deleting those
    two characters restores it with its indentation.
    """
    lines = [
        f"# pmbot configuration, installed by `pmbot init` (pmbot {__version__}).",
        "# Every setting below is commented out and shows its default. Uncomment only what",
        "# you change; pmbot validates this file and rejects unknown keys.",
        "#",
    ]
    for line in defaults.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            lines.append(line.rstrip())
        else:
            lines.append(f"# {line}".rstrip())
    return "\n".join(lines) + "\n"


# --- files --------------------------------------------------------------------------------


def _workflow_sources(org: bool) -> list[tuple[str, str]]:
    """The workflows to install: every repository's, and with `org` the organisation's."""
    return _sources("workflows") + (_sources(ORG_WORKFLOWS) if org else [])


def _sources(folder: str) -> list[tuple[str, str]]:
    """The `*.yml` files of a top-level folder (forms, workflows): (name, text), by name."""
    root = data_path(folder)
    found = sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in root.iterdir()
        if entry.is_file() and entry.name.endswith((".yml", ".yaml"))
    )
    if not found:
        raise PmbotError(
            [
                Problem(
                    "installation",
                    f"pmbot's {folder} are missing from this installation.",
                    "reinstall pmbot.",
                )
            ]
        )
    return found


def _install(target: Path, planned: Planned, *, force: bool) -> InstalledFile:
    rel, kind, content = planned.path, planned.kind, planned.content
    path = target.joinpath(*rel.split("/"))
    # Never write through a symbolic link or outside DIR.
    if path.is_symlink():
        return InstalledFile(rel, kind, Outcome.SKIPPED, "a symbolic link; left as it is")
    if not _inside(path, target):
        return InstalledFile(rel, kind, Outcome.SKIPPED, "its folder leads outside DIR")
    if path.exists():
        if not path.is_file():
            return InstalledFile(rel, kind, Outcome.SKIPPED, "not a regular file")
        existing = path.read_bytes()
        if existing == content:
            return InstalledFile(rel, kind, Outcome.UNCHANGED)
        if existing in planned.earlier:
            path.write_bytes(content)
            return InstalledFile(rel, kind, Outcome.UPDATED, "new action reference")
        if not force:
            reason = (
                "yours, kept" if kind == "config" else "differs from pmbot's version; kept yours"
            )
            return InstalledFile(rel, kind, Outcome.SKIPPED, reason)
        path.write_bytes(content)
        return InstalledFile(rel, kind, Outcome.OVERWRITTEN)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as fh:  # exclusive: never clobbers a file created meanwhile
        fh.write(content)
    return InstalledFile(rel, kind, Outcome.CREATED)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.parent.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True
