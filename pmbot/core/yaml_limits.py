"""Bounds on YAML that anyone can write: aliases that expand exponentially, or loop.

An anchor (`&a`) used through aliases (`*a`) is one node that the composer hands out many
times, so nine lines of `[*a, *a, …]` describe a billion values ("billion laughs"): cheap
to parse, but every walk, merge, validation or `str()` of the result expands it, and pmbot
would hang taking gigabytes. An alias inside its own anchor makes a cycle, which a walk
never leaves. Counting the nodes of the expanded tree, once per node, finds both before
anything walks it; a modest use of anchors (one colour shared by ten labels) passes.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml


class TooLarge(yaml.MarkedYAMLError):
    """The YAML expands beyond the limit, refers to itself, or nests too deeply. A YAML error
    like any other, so every reader reports it with its line (`problem`, `problem_mark`)."""

    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=message, problem_mark=mark)

    @property
    def line(self) -> int | None:
        return None if self.problem_mark is None else int(self.problem_mark.line) + 1


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def check_expanded_size(root: yaml.Node, limit: int) -> int:
    """The number of nodes `root` stands for with every alias expanded; TooLarge past
    `limit`, or when an alias refers to a node that contains it."""
    sizes: dict[int, int] = {}
    on_path = {id(root)}
    stack = [(root, _children(root))]
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            on_path.discard(id(node))
            size = 1 + sum(sizes[id(c)] for c in _children(node))
            if size > limit:
                raise TooLarge(
                    f"expands to more than {limit:,} values through aliases (*name); "
                    "write the values out instead",
                    node.start_mark,
                )
            sizes[id(node)] = size
        elif id(child) in on_path:
            raise TooLarge("an alias (*name) refers to a value that contains it", child.start_mark)
        elif id(child) not in sizes:
            on_path.add(id(child))
            stack.append((child, _children(child)))
    return sizes[id(root)]
