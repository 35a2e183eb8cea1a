"""The locks in requirements/: every dependency pyproject.toml declares is pinned there at a
version its specifier accepts, every entry is pinned exactly and hashed, and the action
installs from its lock with pip's hash checking. Offline: the files are only read."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
ACTION_LOCK = REQUIREMENTS / "action.lock"
DEV_LOCK = REQUIREMENTS / "dev.lock"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    hashes: tuple[str, ...]
    line: int


def read_lock(path: Path) -> dict[str, Pin]:
    """A lock's entries by canonical name; each entry is `name==version [; marker]` followed
    by its `--hash` options on continuation lines (pip's requirements-file format)."""
    pins: dict[str, Pin] = {}
    entry: list[str] = []
    start = 0
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, raw in enumerate([*lines, ""], start=1):
        text = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if entry and not raw.startswith((" ", "\t")):
            pin = _pin(" ".join(entry), start, path)
            assert pin.name not in pins, f"{path.name}:{start}: {pin.name} pinned twice"
            pins[pin.name] = pin
            entry = []
        if text:
            if not entry:
                start = number
            entry.append(text.rstrip("\\").strip())
    return pins


def _pin(entry: str, line: int, path: Path) -> Pin:
    spec, *options = entry.split(" --hash=")
    hashes = tuple(f"--hash={h.strip()}" for h in options)
    requirement = Requirement(spec.strip())
    (specifier,) = list(requirement.specifier) or [None]
    where = f"{path.name}:{line}: {spec.strip()}"
    assert specifier is not None and specifier.operator == "==", f"{where}: pin it with =="
    assert hashes and all(HASH.fullmatch(h) for h in hashes), f"{where}: no sha256 hash"
    return Pin(canonicalize_name(requirement.name), Version(specifier.version), hashes, line)


def declared(*extras: str) -> list[Requirement]:
    """pyproject.toml's runtime dependencies, the given extras' and the build requirements,
    without pmbot's references to its own extras."""
    texts = list(PYPROJECT["project"]["dependencies"])
    for extra in extras:
        texts += PYPROJECT["project"]["optional-dependencies"][extra]
    texts += PYPROJECT["build-system"]["requires"]
    found = [Requirement(t) for t in texts]
    return [r for r in found if canonicalize_name(r.name) != "pmbot"]


@pytest.mark.parametrize(
    ("lock", "extras"), [(ACTION_LOCK, ()), (DEV_LOCK, ("test", "dev"))], ids=["action", "dev"]
)
def test_every_declared_dependency_is_locked_at_an_accepted_version(
    lock: Path, extras: tuple[str, ...]
) -> None:
    pins = read_lock(lock)
    for requirement in declared(*extras):
        pin = pins.get(canonicalize_name(requirement.name))
        assert pin is not None, f"{requirement} is not in {lock.name}: run `make lock`"
        assert requirement.specifier.contains(pin.version, prereleases=True), (
            f"{lock.name}:{pin.line}: {pin.name}=={pin.version} does not satisfy {requirement}; "
            "run `make lock`"
        )


def test_the_action_lock_holds_runtime_dependencies_only() -> None:
    action = set(read_lock(ACTION_LOCK))
    tools = {"pytest", "vcrpy", "check-jsonschema", "zizmor", "ruff", "mypy", "uv"}
    assert not action & tools, "test and dev tools do not belong in the action's lock"
    assert {"pygithub", "pydantic", "pyyaml", "jinja2", "requests"} <= action


def test_both_locks_pin_the_same_versions() -> None:
    """The tests run on exactly the versions the action installs."""
    action, dev = read_lock(ACTION_LOCK), read_lock(DEV_LOCK)
    assert set(action) <= set(dev)
    for name, pin in action.items():
        assert dev[name].version == pin.version, name
        assert set(dev[name].hashes) == set(pin.hashes), name


def test_build_in_is_the_build_system_requirements() -> None:
    listed = [
        line.strip()
        for line in (REQUIREMENTS / "build.in").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert listed == PYPROJECT["build-system"]["requires"]


def test_the_reader_refuses_what_pip_would_not_check(tmp_path: Path) -> None:
    sha = "0" * 64
    good = tmp_path / "good.lock"
    good.write_text(f"# header\nfoo==1.0 ; python_version >= '3'\\\n    --hash=sha256:{sha}\n")
    assert read_lock(good)["foo"].version == Version("1.0")
    unhashed, unpinned = "foo==1.0\n", f"foo>=1.0 \\\n    --hash=sha256:{sha}\n"
    for body in (unhashed, unpinned, "foo==1.0 \\\n  --hash=md5:x\n"):
        bad = tmp_path / "bad.lock"
        bad.write_text(body)
        with pytest.raises(AssertionError):
            read_lock(bad)


def test_the_action_installs_from_its_lock_with_hashes() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    scripts = [s["run"] for s in action["runs"]["steps"] if "pip install" in s.get("run", "")]
    (script,) = scripts
    installs = [" ".join(cmd.split()) for cmd in script.replace("\\\n", " ").splitlines()]
    installs = [c for c in installs if '"${pip[@]}"' in c]
    assert len(installs) == 2, script
    dependencies, pmbot = installs
    assert '-r "$GITHUB_ACTION_PATH/requirements/action.lock"' in dependencies
    for flag in ("--require-hashes", "--no-deps", "--only-binary :all:"):
        assert flag in dependencies
    assert pmbot.endswith('"$GITHUB_ACTION_PATH"')
    # pmbot itself: nothing resolved or fetched, built with the locked setuptools.
    assert "--no-deps" in pmbot and "--no-build-isolation" in pmbot
    assert "python -m pip install" in script and "pip install" not in script.replace(
        "python -m pip install", ""
    )
