"""Loading `.github/pmbot.yml`: the shipped defaults with the user's YAML merged over them,
every problem reported at once with its key path, line and fix."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pmbot.core import yamlread
from pmbot.core.config.problems import dotted, problem
from pmbot.core.config.schema import Config
from pmbot.core.shipped import data_text
from pmbot.core.yamlread import KeyPath
from pmbot.errors import ConfigError, Problem

CONFIG_PATH = ".github/pmbot.yml"  # in the repository pmbot runs for
DEFAULTS_NAME = "defaults.yml"


def defaults_text() -> str:
    """The shipped, commented defaults (what `pmbot init` installs)."""
    return data_text(DEFAULTS_NAME)


@cache
def default_config() -> Config:
    return _build({}, {}, "pmbot.yml")


def load_config(path: Path | None = None, text: str | None = None) -> Config:
    """The defaults with the user's YAML (`text`, or the file at `path`) merged over them."""
    if text is None and path is None:
        return default_config()
    source = str(path) if path is not None else CONFIG_PATH
    if text is None:
        assert path is not None
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            fix = f"create it (`pmbot init` writes a commented one) or pass another path: {exc}"
            raise ConfigError([Problem(source, "cannot read the file.", fix)]) from None
    data, lines = _parse(text, source)
    return _build(data, lines, source)


def _build(user: dict[str, Any], lines: dict[KeyPath, int], source: str) -> Config:
    defaults, _ = _parse(defaults_text(), DEFAULTS_NAME)
    merged = merge(defaults, user)
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        problems = [problem(err, merged, lines, source) for err in exc.errors()]
        raise ConfigError(sorted(problems, key=lambda p: p.line or 0)) from None


def merge(base: Any, over: Any) -> Any:
    """Deep merge: mappings key by key, lists of `id`'d mappings by id, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    if _is_id_list(base) and _is_id_list(over):
        by_id = {item["id"]: item for item in base}
        for item in over:
            by_id[item["id"]] = merge(by_id.get(item["id"], {}), item)
        return list(by_id.values())
    return over


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "id" in i for i in value)


def _parse(text: str, source: str) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """The YAML document as data, plus the line of every key path (list items by id/index)."""
    try:
        data, node = yamlread.compose(text)
    except yaml.YAMLError as exc:
        reason, line = yamlread.syntax_error(exc)
        fix = "fix the YAML syntax there (check indentation, quotes and colons)."
        raise ConfigError([Problem(source, f"invalid YAML: {reason}.", fix, line)]) from None
    if data is None or node is None:
        return {}, {}
    if not isinstance(data, dict):
        fix = "write `key: value` settings, e.g. `sla_days: {P0: 7}`."
        raise ConfigError([Problem(source, "must be a mapping of settings.", fix, 1)])
    lines, duplicates = yamlread.key_lines(node)
    if duplicates:
        raise ConfigError(
            [
                Problem(
                    f"{source}: {dotted(key)}",
                    "duplicate key.",
                    f"remove one; the first is on line {first}.",
                    line,
                )
                for key, line, first in duplicates
            ]
        )
    return data, lines
