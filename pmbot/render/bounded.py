"""A Jinja2 sandbox bounded in time and size, for templates a repository supplies.

Jinja's sandbox keeps a template away from Python's internals, but not from the machine:
`{{ 'x' * 10**10 }}` asks for 10 GB, `10**10**10` never finishes, and three nested loops over
a long string run for days. A repository's template is configuration anyone with write
access can change, so rendering one must end, quickly, with an answer:

- operators that can multiply sizes (`*`, `**`, `%`, `~`) and the filters and string
  methods that take a width or a repeat count are checked *before* they allocate;
- every `{% for %}` loop, call and concatenation draws on one budget per render
  (iterations and wall-clock time);
- the output is streamed and stops at a size cap.

Past any bound a `TemplateLimit` is raised, which the caller reports with the template line.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jinja2 import nodes
from jinja2.filters import do_center, do_indent, do_join, do_replace, do_wordwrap, make_attrgetter
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_eval_context
from jinja2.visitor import NodeTransformer

MAX_TEXT = 1_000_000  # characters in any one value a template builds
MAX_OUTPUT = 2_000_000  # characters of the rendered document
MAX_ITERATIONS = 200_000  # loop iterations and calls in one render
MAX_SECONDS = 5.0
MAX_INT_BITS = 4_096  # numbers a document could need are far smaller
_LOOP, _CONCAT = "pmbot_loop", "pmbot_concat"
# printf-style widths and precisions ("%9999999s", "%.*f").
_PRINTF_WIDTH = re.compile(r"%[-#0 +]*(?:\*|\d{7,})|%[-#0 +]*\d*\.(?:\*|\d{7,})")
# Methods of built-in values a template may call: none of them grows its result by an
# argument (`center`, `ljust`, `zfill`, `expandtabs`, `format`, `join`, `replace` and
# `int.to_bytes` do, and are refused; the `center`, `join`, `replace`… filters are checked).
_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        {
            "capitalize",
            "casefold",
            "count",
            "endswith",
            "find",
            "index",
            "isalnum",
            "isalpha",
            "isascii",
            "isdecimal",
            "isdigit",
            "isidentifier",
            "islower",
            "isnumeric",
            "isprintable",
            "isspace",
            "istitle",
            "isupper",
            "lower",
            "lstrip",
            "partition",
            "removeprefix",
            "removesuffix",
            "rfind",
            "rindex",
            "rpartition",
            "rsplit",
            "rstrip",
            "split",
            "splitlines",
            "startswith",
            "strip",
            "swapcase",
            "title",
            "upper",
        }
    ),
    int: frozenset({"bit_length", "is_integer"}),
    float: frozenset({"is_integer"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "items", "keys", "values"}),
}


class TemplateLimit(Exception):
    """A template went past a bound; the message says which and how to stay within it."""


@dataclass
class _Budget:
    deadline: float
    left: int = MAX_ITERATIONS
    started: float = field(default_factory=time.monotonic)

    def spend(self, what: str) -> None:
        self.left -= 1
        if self.left < 0:
            raise TemplateLimit(
                f"the template ran more than {MAX_ITERATIONS:,} loop iterations and calls "
                f"(last: {what}); loop over the postmortem's own lists, not long ranges"
            )
        if self.left % 256 == 0 and time.monotonic() > self.deadline:
            raise TemplateLimit(f"rendering took longer than {MAX_SECONDS:g} seconds")


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("budget", default=None)


def _spend(what: str) -> None:
    budget = _budget.get()
    if budget is not None:
        budget.spend(what)


def _sized(length: int, what: str) -> None:
    if length > MAX_TEXT:
        raise TemplateLimit(f"{what} would be {length:,} characters; the limit is {MAX_TEXT:,}")


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple)) else None


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment with the bounds above; render with `render_bounded`."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)  # lipsum(n=10**9): no use in a postmortem
        self.filters.update(
            {
                _LOOP: _loop,
                _CONCAT: _concat,
                "center": _checked(do_center, _width_arg),
                "indent": _checked(do_indent, _indent_size),
                "wordwrap": _checked(do_wordwrap, _wrap_size),
                "replace": _checked(do_replace, _replace_size),
                "format": _format,
            }
        )
        self.filters["join"] = _join

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _Bounds().visit(super()._parse(source, name, filename))  # type: ignore[no-any-return]

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _spend(f"`{operator}`")
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(
        __self,
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        _spend(f"a call of {getattr(__obj, '__name__', 'a function')}")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> None:
        # str.format's widths ("{:>9999999999}") allocate before anything can check them;
        # refusing it leaves the checked `format` filter for printf-style formatting.
        return None

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if not callable(value) or isinstance(obj, (date, datetime)):
            return True
        for kind, allowed in _SAFE_METHODS.items():
            if isinstance(obj, kind):
                return attr in allowed
        return True


class _Bounds(NodeTransformer):
    """Route every loop's iterable and every `~` through the budgeted filters."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _LOOP, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(parts, _CONCAT, [], [], None, None, lineno=node.lineno)


def _loop(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        _spend("a loop")
        yield item


def _concat(parts: Iterable[Any]) -> str:
    texts = [str(part) for part in parts]
    _sized(sum(map(len, texts)), "a `~` concatenation")
    return "".join(texts)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            size = _length(seq)
            if size is not None and isinstance(count, int):
                _sized(size * max(count, 0), "a repeated value")
        if isinstance(left, int) and isinstance(right, int):
            _bits(abs(left).bit_length() + abs(right).bit_length())
    elif operator == "**" and isinstance(left, int) and isinstance(right, int):
        _bits(abs(left).bit_length() * max(right, 0))
    elif operator == "+":
        if _length(left) is not None and _length(right) is not None:
            _sized(len(left) + len(right), "a `+` concatenation")
    elif operator == "%" and isinstance(left, str):
        _printf(left)


def _bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateLimit(f"a number of about {bits:,} bits; the limit is {MAX_INT_BITS:,}")


def _printf(fmt: str) -> None:
    if _PRINTF_WIDTH.search(fmt):
        raise TemplateLimit("a %-format width or precision above 999,999 (or `*`)")


def _checked(func: Callable[..., Any], size: Callable[..., int]) -> Callable[..., Any]:
    """A filter whose result size is estimated from its arguments before it runs."""

    def checked(*args: Any, **kwargs: Any) -> Any:
        _sized(size(*args, **kwargs), f"the result of `{func.__name__.removeprefix('do_')}`")
        return func(*args, **kwargs)

    checked.__name__ = func.__name__
    # Filters that take the eval context (replace) or environment (wordwrap) say so.
    for flag in ("jinja_pass_arg",):
        if hasattr(func, flag):
            setattr(checked, flag, getattr(func, flag))
    return checked


def _width_arg(value: Any, width: int = 80) -> int:
    return len(str(value)) + (width if isinstance(width, int) else 0)


def _indent_size(s: Any, width: int | str = 4, *_: Any, **__: Any) -> int:
    text = str(s)
    pad = width if isinstance(width, int) else len(str(width))
    return len(text) + (text.count("\n") + 1) * max(pad, 0)


def _wrap_size(_env: Any, s: Any, width: int = 79, *args: Any, **kwargs: Any) -> int:
    text = str(s)
    wrap = kwargs.get("wrapstring", args[1] if len(args) > 1 else None) or "\n"
    return len(text) * (1 + len(str(wrap)))


def _replace_size(_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> int:
    text, old, new = str(s), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * len(new)


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    if args and kwargs:
        raise TemplateLimit("`format` takes positional or keyword arguments, not both")
    fmt = str(value)
    _printf(fmt)
    return fmt % (kwargs or args)


@pass_eval_context
def _join(eval_ctx: EvalContext, value: Iterable[Any], d: str = "", attribute: Any = None) -> Any:
    items = list(value)
    if attribute is not None:
        items = list(map(make_attrgetter(eval_ctx.environment, attribute), items))
    _sized(
        sum(len(str(item)) for item in items) + max(len(items) - 1, 0) * len(str(d)),
        "the result of `join`",
    )
    return do_join(eval_ctx, items, d)


def render_bounded(template: Any, values: dict[str, Any]) -> str:
    """template.render(values) within the budget; TemplateLimit past any bound."""
    budget = _Budget(deadline=time.monotonic() + MAX_SECONDS)
    token = _budget.set(budget)
    try:
        out: list[str] = []
        size = 0
        for chunk in template.generate(values):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateLimit(f"the document would exceed {MAX_OUTPUT:,} characters")
            out.append(chunk)
        return "".join(out)
    finally:
        _budget.reset(token)
