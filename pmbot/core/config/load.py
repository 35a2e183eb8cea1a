"""Loading `.github/pmbot.yml`: the shipped defaults with the user's YAML merged over them,
every problem reported at once with its key path, line and fix."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pmbot.core.config.problems import dotted, problem
from pmbot.core.config.schema import Config
from pmbot.core.shipped import data_text
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


def _build(user: dict[str, Any], lines: dict[tuple[str, ...], int], source: str) -> Config:
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


# --- YAML with line numbers -------------------------------------------------------------


def _parse(text: str, source: str) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    """The YAML document as data, plus the line of every key path (list items by id/index)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        fix = "fix the YAML syntax there (check indentation, quotes and colons)."
        raise ConfigError([Problem(source, f"invalid YAML: {reason}.", fix, line)]) from None
    if data is None or node is None:
        return {}, {}
    if not isinstance(data, dict):
        fix = "write `key: value` settings, e.g. `sla_days: {P0: 7}`."
        raise ConfigError([Problem(source, "must be a mapping of settings.", fix, 1)])
    lines: dict[tuple[str, ...], int] = {}
    problems = list(_walk(node, (), lines))
    if problems:
        raise ConfigError([Problem(f"{source}: {f}", m, x, ln) for f, m, x, ln in problems])
    return data, lines


def _walk(
    node: yaml.Node, path: tuple[str, ...], lines: dict[tuple[str, ...], int]
) -> Iterator[tuple[str, str, str, int]]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, str(key_node.value))
            line = key_node.start_mark.line + 1
            if key in lines:
                fix = f"remove one; the first is on line {lines[key]}."
                yield dotted(key), "duplicate key.", fix, line
            lines[key] = line
            yield from _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*path, _item_key(item, index))
            lines[key] = item.start_mark.line + 1
            yield from _walk(item, key, lines)


def _item_key(node: yaml.Node, index: int) -> str:
    # Rules are merged by id, so their errors are located by id rather than position.
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == "id" and isinstance(value_node, yaml.ScalarNode):
                return f"[{value_node.value}]"
    return f"[{index}]"
