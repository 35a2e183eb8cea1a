"""`pmbot init [DIR]`: install pmbot's issue forms, workflows and a commented config.

What is installed, from where:

- the issue forms, `issue_templates/*.yml` → `.github/ISSUE_TEMPLATE/`;
- the workflows, `workflows/*.yml` → `.github/workflows/`, with the line marked
  `# pmbot-action` pointing at `PMBOT_ACTION_REF`;
- the configuration, `pmbot/data/defaults.yml` → `.github/pmbot.yml`, every setting
  commented out (an all-comment file means "all defaults").

The forms and workflows live at the repository's top level (the single source of truth;
pmbot's own `.github/` copies them, and a test keeps them in step). An installed package
finds them as package data under `pmbot/data/` (symbolic links to the top-level folders,
which the wheel and sdist builds resolve into real files); a source checkout falls back to
the top-level folders themselves.

An existing file is never overwritten silently: identical → `unchanged`; different →
`skipped` (the user's version stays). `force` replaces a differing form or workflow (the
files pmbot owns), but never `.github/pmbot.yml`, which is the user's.
"""

from __future__ import annotations

import enum
import re
import sys
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal, TextIO

from pmbot import __version__
from pmbot.errors import PmbotError, Problem

PMBOT_ACTION_REF = "./"
"""The `uses:` value `pmbot init` writes for the pmbot composite action.

`./` is how pmbot's own repository runs it: its `action.yml` is at the repository root and
each workflow checks the repository out first. In any other repository that line must name
the published action pinned by commit SHA, e.g. `pmbot/pmbot@<40-hex commit> # v0.2.0`
(the `# ...` part is kept as a comment). pmbot is not published yet, so this stays `./`
and `init` says so; a release sets it here, in this one place.
"""

ACTION_MARKER = "pmbot-action"
"""The comment that marks the one line in each workflow naming the pmbot action."""

FORMS_DIR = ".github/ISSUE_TEMPLATE"
WORKFLOWS_DIR = ".github/workflows"
CONFIG_PATH = ".github/pmbot.yml"

Kind = Literal["form", "workflow", "config"]

_ACTION_LINE = re.compile(
    rf"^(?P<lead>[ \t]*(?:-[ \t]+)?uses:)[ \t]*(?P<ref>\S+)[ \t]*#(?P<note>[^\n]*?)"
    rf"\b{re.escape(ACTION_MARKER)}[ \t]*$",
    re.MULTILINE,
)
_PINNED_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+(?:/[^@\s]+)?@[0-9a-f]{40}")


class Outcome(enum.StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
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
    def overwritten(self) -> tuple[str, ...]:
        return self.paths(Outcome.OVERWRITTEN)


def init(
    target_dir: Path, *, force: bool = False, action_ref: str = PMBOT_ACTION_REF
) -> InitResult:
    """Install the forms, workflows and commented config into the repository at target_dir.

    Raises PmbotError when target_dir is not a directory, action_ref is not pinned, or the
    files to install cannot be found (a broken installation).
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
    check_action_ref(action_ref)
    planned: list[tuple[str, Kind, bytes]] = []
    for name, text in _sources("issue_templates"):
        planned.append((f"{FORMS_DIR}/{name}", "form", text.encode("utf-8")))
    for name, text in _sources("workflows"):
        workflow = with_action_ref(text, action_ref)
        planned.append((f"{WORKFLOWS_DIR}/{name}", "workflow", workflow.encode("utf-8")))
    defaults = resources.files("pmbot.data").joinpath("defaults.yml").read_text(encoding="utf-8")
    planned.append((CONFIG_PATH, "config", commented_config(defaults).encode("utf-8")))

    files = tuple(
        _install(target_dir, rel, kind, content, force=force and kind != "config")
        for rel, kind, content in planned
    )
    notes: list[str] = []
    if _target_of(action_ref) == "./":
        notes.append(
            "The installed workflows run the pmbot action as `uses: ./` (the lines marked "
            f"`# {ACTION_MARKER}`), which works only in a repository that contains pmbot "
            "itself. pmbot is not published yet: point those lines at the pmbot repository "
            "you install from, pinned by commit SHA (OWNER/pmbot@<40-hex commit>)."
        )
    if any(f.outcome is Outcome.SKIPPED for f in files):
        notes.append(
            "Skipped files differ from pmbot's version and were left as they are; compare "
            "them with `pmbot init` into an empty folder"
            + (", or rerun with --force to replace the forms and workflows." if not force else ".")
        )
    return InitResult(target=target_dir, files=files, notes=tuple(notes))


def print_result(result: InitResult, out: TextIO | None = None) -> int:
    """Print what `init` did, file by file, and the next steps. Returns the exit code (0)."""
    stream = out if out is not None else sys.stdout
    print(f"pmbot init into {result.target}:", file=stream)
    width = max(len(o.value) for o in Outcome)
    for f in result.files:
        reason = f" ({f.reason})" if f.reason else ""
        print(f"  {f.outcome.value:<{width}}  {f.path}{reason}", file=stream)
    for note in result.notes:
        print(f"\nNote: {note}", file=stream)
    print(
        "\nNext steps:\n"
        "  1. Review, commit and push the files under .github/.\n"
        "  2. Create the `postmortem` label (the form applies it; GitHub drops labels that do\n"
        "     not exist): gh label create postmortem\n"
        "  3. Settings > Actions > General > Workflow permissions: allow GitHub Actions to\n"
        "     create and approve pull requests (pmbot proposes each document as a pull\n"
        "     request), or set `publish: commit` in .github/pmbot.yml.",
        file=stream,
    )
    return 0


def check_action_ref(action_ref: str) -> None:
    """`./`, or OWNER/REPO[/PATH]@<40-hex commit SHA>, optionally followed by `# comment`."""
    target = _target_of(action_ref)
    if target == "./" or _PINNED_REF.fullmatch(target):
        return
    raise PmbotError(
        [
            Problem(
                "action reference",
                f"{target!r} is not pinned by a full commit SHA; tags and branches can be "
                "moved to run other code with your repository's token.",
                "use OWNER/REPO@<40-hex commit SHA>, optionally followed by `# vX.Y.Z`.",
            )
        ]
    )


def with_action_ref(workflow: str, action_ref: str) -> str:
    """The workflow with its `# pmbot-action` line(s) pointing at action_ref."""
    target = _target_of(action_ref)
    note = action_ref.partition("#")[2].strip()
    comment = f"{note} {ACTION_MARKER}" if note else ACTION_MARKER
    return _ACTION_LINE.sub(lambda m: f"{m['lead']} {target} # {comment}", workflow)


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


def _target_of(action_ref: str) -> str:
    return action_ref.partition("#")[0].strip()


def _sources(folder: str) -> list[tuple[str, str]]:
    """The `*.yml` files of a top-level folder (forms, workflows): (name, text), by name."""
    root = _source_root(folder)
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


def _source_root(folder: str) -> Traversable:
    packaged = resources.files("pmbot.data").joinpath(folder)
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / folder


def _install(target: Path, rel: str, kind: Kind, content: bytes, *, force: bool) -> InstalledFile:
    path = target.joinpath(*rel.split("/"))
    # Never write through a symbolic link or outside DIR.
    if path.is_symlink():
        return InstalledFile(rel, kind, Outcome.SKIPPED, "a symbolic link; left as it is")
    if not _inside(path, target):
        return InstalledFile(rel, kind, Outcome.SKIPPED, "its folder leads outside DIR")
    if path.exists():
        if not path.is_file():
            return InstalledFile(rel, kind, Outcome.SKIPPED, "not a regular file")
        if path.read_bytes() == content:
            return InstalledFile(rel, kind, Outcome.UNCHANGED)
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
