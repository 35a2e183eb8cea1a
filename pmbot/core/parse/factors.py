"""Contributing factors: a table (id, category, weight, factor) or lines
`- CF1 [technical] text`, `- CF1 [technical, primary] text`. The weight (primary or
contributing) is optional, so factors written before it existed read as they always did."""

from __future__ import annotations

import re

from pmbot.core.model import ContributingFactor, FactorCategory, FactorWeight
from pmbot.core.parse.common import (
    FieldReader,
    Row,
    is_empty_marker,
    read_table,
    short,
    strip_bullet,
)

COLUMNS = {
    "id": ("id", "key", "cf", "#"),
    "category": ("category", "type", "kind"),
    "weight": ("weight", "primary or contributing"),
    "factor": ("factor", "description", "contributing factor", "what", "details"),
}
ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
_CATEGORY_WORDS = {
    "tech": "technical", "organisational": "organizational", "organization": "organizational",
    "organisation": "organizational", "org": "organizational", "ext": "external",
    "third-party": "external", "third party": "external", "vendor": "external",
}  # fmt: skip
_WEIGHT_WORDS = {
    "main": "primary", "root": "primary", "root cause": "primary", "primary factor": "primary",
    "secondary": "contributing", "minor": "contributing", "contributory": "contributing",
    "contributing factor": "contributing",
}  # fmt: skip
MAX_FACTORS = 50  # a safety cap on untrusted input, far above any real postmortem
CATEGORY_FIX = "use one of technical, process, organizational, external, e.g. '- CF1 [process] …'."
WEIGHT_FIX = "use primary or contributing (or leave it empty), e.g. '- CF1 [process, primary] …'."

_KEY = re.compile(r"^(?P<key>[A-Za-z]{1,4}-?\d{1,3})\b[\s:.)\-–—]*")
_TAGGED = re.compile(r"^[\[(](?P<cat>[^\])]{1,30})[\])]\s*[:\-–—]?\s*")
_WORD = re.compile(r"^(?P<cat>[A-Za-z -]{2,20}?)\s*:\s+")


def category(text: str) -> FactorCategory | None:
    word = text.strip().strip("*`").lower()
    try:
        return FactorCategory(_CATEGORY_WORDS.get(word, word))
    except ValueError:
        return None


def weight(text: str) -> FactorWeight | None:
    word = " ".join(text.strip().strip("*`").lower().split())
    try:
        return FactorWeight(_WEIGHT_WORDS.get(word, word))
    except ValueError:
        return None


def parse_factors(text: str | None, reader: FieldReader) -> list[ContributingFactor]:
    """Factors in order; keys CF1, CF2 … are given to those written without one."""
    if not text:
        return []
    table, outside = read_table(text, ALIASES)
    rows = list(table.rows) if table else []
    rows += _line_rows(outside)
    rows.sort(key=lambda row: row.offset)
    if len(rows) > MAX_FACTORS:
        reader.problem(
            f"{len(rows)} contributing factors; pmbot reads at most {MAX_FACTORS}.",
            "group related conditions into one factor.",
            rows[MAX_FACTORS].offset,
        )
        rows = rows[:MAX_FACTORS]
    return _with_keys([f for row in rows if (f := _factor(row, reader)) is not None], reader)


def _line_rows(lines: list[tuple[int, str]]) -> list[Row]:
    factors: list[tuple[int, str, list[str]]] = []
    for offset, line in lines:
        content, bulleted = strip_bullet(line.replace("**", ""))
        if factors and not bulleted and not _starts_factor(content):
            factors[-1][2].append(content)  # a wrapped line: part of the factor above
        elif not content.startswith("#"):
            factors.append((offset, content, []))
    return [Row(offset, _line_cells(" ".join([first, *more]))) for offset, first, more in factors]


def _starts_factor(content: str) -> bool:
    rest = _KEY.sub("", content, count=1)
    return bool(_TAGGED.match(rest) or ((m := _WORD.match(rest)) and category(m["cat"])))


def _line_cells(content: str) -> dict[str, str]:
    cells: dict[str, str] = {}
    if match := _KEY.match(content):
        cells["id"], content = match["key"], content[match.end() :]
    match = _TAGGED.match(content) or _WORD.match(content)
    if match and (_TAGGED.match(content) or category(match["cat"])):
        cells["category"], content = match["cat"], content[match.end() :]
        _split_weight(cells)
        # `[technical] [primary]`: a second tag is the weight only when it names one, so a
        # bracket that is part of the text stays text.
        second = _TAGGED.match(content)
        if second and "weight" not in cells and weight(second["cat"]) is not None:
            cells["weight"], content = second["cat"], content[second.end() :]
    cells["factor"] = content.strip()
    return cells


def _split_weight(cells: dict[str, str]) -> None:
    """`[technical, primary]` or `[primary, technical]`: the category and the weight."""
    parts = [p.strip() for p in re.split(r"[,;/]", cells["category"]) if p.strip()]
    weights = [p for p in parts if weight(p) is not None]
    if len(parts) == 2 and len(weights) == 1:
        cells["weight"] = weights[0]
        cells["category"] = next(p for p in parts if p is not weights[0])


def _factor(row: Row, reader: FieldReader) -> ContributingFactor | None:
    text, written = row.cells.get("factor", "").strip(), row.cells.get("category", "").strip()
    if not text:
        reader.problem("a contributing factor has no description.", "describe it.", row.offset)
        return None
    found = category(written) if written else None
    if found is None:
        what = f"'{short(written)}' is not a category" if written else "no category"
        reader.problem(f"{what} for factor '{short(text)}'.", CATEGORY_FIX, row.offset)
        return None
    key = row.cells.get("id", "").strip().upper()
    return ContributingFactor(
        key=key,
        category=found,
        description=text,
        weight=_weight(row, text, reader),
        line=reader.line(row.offset),
    )


def _weight(row: Row, text: str, reader: FieldReader) -> FactorWeight | None:
    written = row.cells.get("weight", "").strip()
    if is_empty_marker(written):
        return None
    found = weight(written)
    if found is None:
        message = f"'{short(written)}' is not a weight for factor '{short(text)}'."
        reader.problem(message, WEIGHT_FIX, row.offset)
    return found


def _with_keys(factors: list[ContributingFactor], reader: FieldReader) -> list[ContributingFactor]:
    """Fill missing keys with the next free CFn; report keys written twice."""
    taken = [f.key for f in factors if f.key]
    for key in {k for k in taken if taken.count(k) > 1}:
        reader.problem(
            f"factor key {key} is used twice.", "give each factor its own key (CF1, CF2 …)."
        )
    result, number = [], 0
    for factor in factors:
        if not factor.key:
            number = _next_free(number, taken)
            factor = factor.model_copy(update={"key": f"CF{number}"})
            taken.append(factor.key)
        result.append(factor)
    return result


def _next_free(number: int, taken: list[str]) -> int:
    number += 1
    while f"CF{number}" in taken:
        number += 1
    return number
