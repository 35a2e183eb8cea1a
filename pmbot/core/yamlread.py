"""YAML read once into both its data and its node tree, so every problem can name its line.

The config and the issue forms both report problems by line; both read their text here, in
one parse (the data is constructed from the composed nodes, not parsed a second time).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from pmbot.core.yaml_limits import TooLarge, check_expanded_size

KeyPath = tuple[str, ...]
# The shipped defaults are ~400 values and a large issue form a few thousand; aliases that
# expand a file past this are an alias bomb (see core.yaml_limits), refused with their line.
MAX_VALUES = 20_000


def compose(
    text: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader
) -> tuple[Any, yaml.Node | None]:
    """The document's data and its root node (both None for an empty document).

    Raises yaml.YAMLError (also for alias bombs and runaway nesting); `syntax_error` says
    what and where.
    """
    reader = loader(text)
    try:
        root = reader.get_single_node()
        if root is not None:
            check_expanded_size(root, MAX_VALUES)
        data = reader.construct_document(root) if root is not None else None
    except RecursionError:
        raise TooLarge("nested too deeply to read", None) from None
    finally:
        reader.dispose()
    return data, root


def syntax_error(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """What is wrong with the YAML, and its 1-based line when the parser knows it."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return str(exc.problem or exc.context or exc), mark.line + 1 if mark is not None else None
    return str(exc), None


def line_of(node: yaml.Node | None, *path: str | int) -> int | None:
    """The 1-based line of the deepest node along `path` (mapping keys, sequence indexes)."""
    if node is None:
        return None
    for step in path:
        child = _child(node, step)
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == step:
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]  # type: ignore[no-any-return]
    return None


def key_lines(node: yaml.Node | None) -> tuple[dict[KeyPath, int], list[tuple[KeyPath, int, int]]]:
    """The line of every key path (list items as `[id]` when they have an `id`, else `[index]`)
    and the duplicate keys as (path, line, line of the first)."""
    lines: dict[KeyPath, int] = {}
    duplicates = list(_walk(node, (), lines)) if node is not None else []
    return lines, duplicates


def _walk(
    node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]
) -> Iterator[tuple[KeyPath, int, int]]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, str(key_node.value))
            line = key_node.start_mark.line + 1
            if key in lines:
                yield key, line, lines[key]
            lines[key] = line
            yield from _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*path, _item_key(item, index))
            lines[key] = item.start_mark.line + 1
            yield from _walk(item, key, lines)


def _item_key(node: yaml.Node, index: int) -> str:
    # Lists of `id`'d mappings (review rules) are merged by id, so they are located by id.
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == "id" and isinstance(value_node, yaml.ScalarNode):
                return f"[{value_node.value}]"
    return f"[{index}]"
