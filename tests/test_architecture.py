"""The import rule that keeps the layout honest: imports only point down.

Layers, lowest first (a module may import its own layer and the ones below):

    pmbot (version), pmbot.errors
    pmbot.core          postmortems, forms, config, review: knows nothing of GitHub
    pmbot.render        the document, the library index
    pmbot.github.models the adapter's data vocabulary (frozen snapshots, no PyGithub)
    pmbot.plan          actions, budget, apply
    pmbot.flows         the planners: intake, publish, ladder, owner commands, report
    pmbot.github        the adapter: the only package that imports PyGithub
    pmbot.app           one module per command (and the demo, which starts the sandbox)
    pmbot.cli           argv, environment, exit codes

The sandbox stands apart: it imports nothing of pmbot but itself, so it can answer as GitHub
does without borrowing pmbot's idea of GitHub.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pmbot"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("pmbot", "pmbot.errors"),
    ("pmbot.core",),
    ("pmbot.render",),
    ("pmbot.github.models",),
    ("pmbot.plan",),
    ("pmbot.flows",),
    ("pmbot.github",),
    ("pmbot.app",),
    ("pmbot.cli", "pmbot.__main__"),
)
# Third-party HTTP clients and who may import them: PyGithub only in the adapter; requests also
# in the demo, which plays the humans (merging a pull request) against the sandbox.
CLIENTS = {
    "github": ("pmbot.github.",),
    "requests": ("pmbot.github.", "pmbot.app.demo"),
    "urllib3": ("pmbot.github.",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int | None:
    """The index of the most specific layer prefix that names `module`."""
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            # "pmbot" names the package root itself (its version), not everything under it
            matches = module == prefix or (prefix != "pmbot" and module.startswith(prefix + "."))
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def imports(source: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import in a module, function-local ones included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pmbot.core import markers` imports the module pmbot.core.markers
            submodules = [f"{node.module}.{a.name}" for a in node.names]
            submodules = [name for name in submodules if is_module(name)]
            found += [(node.lineno, name) for name in submodules or [node.module]]
    return found


def violations(here: str, source: str) -> list[str]:
    mine = layer(here)
    wrong = []
    for line, target in imports(source):
        where = f"{here}:{line}"
        if here.startswith("pmbot.sandbox"):
            if target.startswith("pmbot") and not target.startswith("pmbot.sandbox"):
                wrong.append(f"{where}: the sandbox imports {target}")
            continue
        allowed = CLIENTS.get(target.split(".")[0])
        if allowed is not None and not here.startswith(allowed):
            wrong.append(f"{where}: {here} imports the HTTP/GitHub client {target}")
        if not target.startswith("pmbot"):
            continue
        if target.startswith("pmbot.sandbox"):
            if layer(here) is None or layer(here) < layer("pmbot.app"):  # type: ignore[operator]
                wrong.append(f"{where}: only the app layer may start the sandbox ({target})")
            continue
        theirs = layer(target)
        if mine is not None and theirs is not None and theirs > mine:
            wrong.append(f"{where}: {here} (layer {mine}) imports {target} (layer {theirs})")
    return wrong


def all_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    orphans = [
        module_name(p)
        for p in all_modules()
        if layer(module_name(p)) is None and not module_name(p).startswith("pmbot.sandbox")
    ]
    assert orphans == []


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: module_name(p))
def test_imports_point_down(path: Path) -> None:
    assert violations(module_name(path), path.read_text(encoding="utf-8")) == []


def test_the_rule_catches_upward_imports() -> None:
    """The checker itself: a core module importing the adapter, PyGithub or a command, a
    planner importing the sandbox, and the sandbox importing pmbot are all reported."""
    core = "from pmbot.github.client import GitHub\nimport github\nfrom pmbot.app import sweep\n"
    found = violations("pmbot.core.probe", core)
    assert [f.split(":")[1] for f in found] == ["1", "2", "3"]
    assert "pmbot.core.probe (layer 1) imports pmbot.github.client (layer 6)" in found[0]
    assert "HTTP/GitHub client github" in found[1]
    assert "imports pmbot.app.sweep (layer 7)" in found[2]
    assert violations("pmbot.flows.probe", "from pmbot.sandbox import Sandbox\n") != []
    assert violations("pmbot.sandbox.probe", "from pmbot.core import markers\n") != []
    assert violations("pmbot.flows.probe", "from pmbot.github.models import IssueSnapshot\n") == []


# Modules that read files (package data, the working tree) stay out of the planners: the
# app layer loads forms, config and templates once per run and passes them in as data.
FILE_READERS = ("pmbot.core.shipped", "importlib.resources", "tempfile")
PURE = ("pmbot.plan", "pmbot.flows", "pmbot.core.reading", "pmbot.core.postmortem")


def io_violations(here: str, source: str) -> list[str]:
    """Imports of file readers, and calls of open() or .read_text(), in a pure module."""
    if not here.startswith(PURE):
        return []
    found = [
        f"{here}:{line}: imports {target}"
        for line, target in imports(source)
        if target.startswith(FILE_READERS)
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in ("open", "read_text", "read_bytes"):
                found.append(f"{here}:{node.lineno}: calls {name}()")
    return found


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: module_name(p))
def test_planners_and_the_core_reader_read_no_files(path: Path) -> None:
    assert io_violations(module_name(path), path.read_text(encoding="utf-8")) == []


def test_the_io_rule_catches_a_planner_reading_a_file() -> None:
    source = "from pmbot.core.shipped import data_text\nx = PATH.read_text()\n"
    assert len(io_violations("pmbot.flows.probe", source)) == 2
    assert io_violations("pmbot.app.probe", source) == []


def test_test_modules_do_not_import_each_other() -> None:
    """Shared test helpers live in conftest.py or tests/helpers/, so a test module can be read,
    moved or deleted alone."""
    tests = Path(__file__).resolve().parent
    wrong = [
        f"{path.name}:{line} imports {target}"
        for path in sorted(tests.glob("test_*.py"))
        for line, target in imports(path.read_text(encoding="utf-8"))
        if target.split(".")[0].startswith("test_")
    ]
    assert wrong == []
