"""Mermaid charts GitHub draws well: a palette, honest axes, and no chart that says nothing.

GitHub renders ```mermaid blocks with Mermaid 11 and honours an `%%{init: …}%%` line, which
is how the bars get a colour that shows on white and on dark backgrounds (Mermaid's default
is a pale lavender). The rules the report follows, in one place:

- percentages on a 0→100 axis, with the target drawn as a line across the bars;
- counts on an axis whose top is at least 10, so Mermaid's ticks fall on whole numbers;
- no chart for fewer than two data points (the table beside it says it better), and none
  at all when there is no data.

Every function returns the chart's Markdown lines, or `[]` when no chart should be drawn.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

# GitHub's Primer colours: blue bars, a red target line, then green, orange, purple, grey.
PALETTE = ("#0969da", "#cf222e", "#1a7f37", "#bc4c00", "#8250df", "#57606a")
MIN_POINTS = 2
COUNT_AXIS_MIN_TOP = 10


def label(text: str) -> str:
    """Text safe inside a Mermaid string (and a Markdown table cell)."""
    return text.replace('"', "'").replace("|", "/").replace("`", "'").replace("\n", " ")


def init_line(kind: str, colors: Sequence[str] = PALETTE) -> str:
    """The `%%{init: …}%%` line setting a chart's colours (valid JSON, as Mermaid parses it)."""
    variables: dict[str, object]
    if kind == "pie":
        variables = {f"pie{n}": color for n, color in enumerate(colors, start=1)}
    else:
        variables = {"xyChart": {"plotColorPalette": ", ".join(colors)}}
    settings = {"theme": "base", "themeVariables": variables}
    return f"%%{{init: {json.dumps(settings, separators=(', ', ': '))}}}%%"


def _fence(lines: Sequence[str]) -> list[str]:
    kind = lines[0].split()[0]
    return ["```mermaid", init_line(kind), *lines, "```"]


def _number(value: float) -> str:
    return f"{value:g}"


def _axis(labels: Sequence[str]) -> str:
    return f"    x-axis [{', '.join(chr(34) + label(x) + chr(34) for x in labels)}]"


def count_top(values: Sequence[float]) -> int:
    """An axis top with whole-number ticks: at least 10, else the next multiple of 5."""
    top = max([*values, 0])
    return max(COUNT_AXIS_MIN_TOP, int(math.ceil(top / 5) * 5))


def bar_counts(title: str, labels: Sequence[str], values: Sequence[float], y: str) -> list[str]:
    """A bar chart of counts (whole-number ticks); nothing for fewer than two bars."""
    if len(labels) < MIN_POINTS or not any(values):
        return []
    return _fence(_xy(title, labels, y, count_top(values), ("bar", values)))


def bar_percent(
    title: str, labels: Sequence[str], percents: Sequence[float], y: str, target: float | None
) -> list[str]:
    """Percentages on a 0→100 axis, the target (a percentage too) as a line across them."""
    if len(labels) < MIN_POINTS:
        return []
    series = [("bar", percents)]
    if target is not None:
        series.append(("line", [target for _ in labels]))
    return _fence(_xy(title, labels, y, 100, *series))


def line_chart(title: str, labels: Sequence[str], values: Sequence[float], y: str) -> list[str]:
    """A trend as a line over counts or minutes; nothing for fewer than two points."""
    if len(labels) < MIN_POINTS:
        return []
    return _fence(_xy(title, labels, y, count_top(values), ("line", values)))


def _xy(
    title: str, labels: Sequence[str], y: str, top: int, *series: tuple[str, Sequence[float]]
) -> list[str]:
    """An xychart: a title, the x axis, a y axis from 0 to `top`, then each bar or line."""
    return [
        "xychart-beta",
        f'    title "{label(title)}"',
        _axis(labels),
        f'    y-axis "{label(y)}" 0 --> {top}',
        *(f"    {kind} [{', '.join(_number(v) for v in values)}]" for kind, values in series),
    ]


def pie(title: str, slices: Sequence[tuple[str, float]]) -> list[str]:
    """A pie of the non-empty slices; nothing when fewer than two remain (a full circle
    says only "all of them", in 450 pixels)."""
    shown = [(name, value) for name, value in slices if value > 0]
    if len(shown) < MIN_POINTS:
        return []
    body = [f'    "{label(name)}" : {_number(value)}' for name, value in shown]
    return _fence([f"pie title {label(title)}", *body])
