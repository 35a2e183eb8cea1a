"""What every field reader shares: problem reporting with body lines, and Markdown tables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pmbot.errors import Problem


class Unreadable(ValueError):
    """A value that cannot be read; carries the message and the fix for the user."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


MAX_PROBLEMS_PER_FIELD = 50  # past this, more of the same helps nobody


@dataclass
class FieldReader:
    """Reports problems for one form field, translating value offsets into body lines."""

    id: str
    label: str
    start: int | None = None  # body line where the value starts, 1-based
    problems: list[Problem] = field(default_factory=list)
    more: int = 0  # problems past MAX_PROBLEMS_PER_FIELD, summarised by `report`

    @property
    def name(self) -> str:
        return f"{self.label} [{self.id}]"

    def line(self, offset: int = 0) -> int | None:
        return None if self.start is None else self.start + offset

    @property
    def count(self) -> int:
        """How many problems were reported, including those past the cap."""
        return len(self.problems) + self.more

    def problem(self, message: str, fix: str, offset: int = 0) -> None:
        if len(self.problems) < MAX_PROBLEMS_PER_FIELD:
            self.problems.append(Problem(self.name, message, fix, self.line(offset)))
        else:
            self.more += 1

    def report(self) -> list[Problem]:
        """The problems found, with one line standing for any past the cap."""
        if not self.more:
            return list(self.problems)
        summary = Problem(
            self.name, f"{self.more} more problems like the ones above.", "fix those first."
        )
        return [*self.problems, summary]

    def unreadable(self, error: Unreadable, offset: int = 0, where: str = "") -> None:
        self.problem(f"{where}{error.message}", error.fix, offset)


@dataclass(frozen=True)
class Row:
    """A table row (or list item) as canonical column → cell text, with its value offset."""

    offset: int
    cells: Mapping[str, str]


@dataclass(frozen=True)
class Table:
    columns: tuple[str | None, ...]  # canonical name per column; None when unknown
    headers: tuple[str, ...]  # as written
    rows: tuple[Row, ...]
    extras: tuple[tuple[int, tuple[str, ...]], ...] = ()  # unknown-column cells per row


_SEPARATOR_CELL = re.compile(r":?-+:?")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def numbered_lines(text: str) -> list[tuple[int, str]]:
    """The value's lines with their 0-based offsets; CRLF and CR are line ends too."""
    return list(enumerate(text.splitlines()))


def split_cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.strip().replace("\\|", "|") for cell in _UNESCAPED_PIPE.split(inner)]


def _is_separator(line: str) -> bool:
    cells = split_cells(line)
    return "|" in line and all(_SEPARATOR_CELL.fullmatch(c) for c in cells if c) and any(cells)


def normalise_header(header: str) -> str:
    """'**Due date (UTC)**' → 'due date': headers are matched loosely."""
    text = re.sub(r"\([^)]*\)", "", header.replace("*", "").replace("`", "").replace("_", " "))
    return " ".join(text.lower().split()).rstrip(":").strip()


def read_table(text: str, aliases: Mapping[str, str]) -> tuple[Table | None, list[tuple[int, str]]]:
    """The first Markdown table in text, and the non-blank lines outside it."""
    lines = numbered_lines(text)
    for index in range(len(lines) - 1):
        line = lines[index][1]
        if "|" in line and _is_separator(lines[index + 1][1]):
            return _table_at(lines, index, aliases)
    return None, [(o, line) for o, line in lines if line.strip()]


def _table_at(
    lines: list[tuple[int, str]], index: int, aliases: Mapping[str, str]
) -> tuple[Table, list[tuple[int, str]]]:
    headers = tuple(split_cells(lines[index][1]))
    columns = tuple(aliases.get(normalise_header(h)) for h in headers)
    rows: list[Row] = []
    extras: list[tuple[int, tuple[str, ...]]] = []
    end = index + 2
    while end < len(lines) and "|" in lines[end][1]:
        offset, line = lines[end]
        cells = split_cells(line)
        if any(cells):
            rows.append(Row(offset, _cells_by_column(columns, cells)))
            extra = tuple(
                f"{headers[i]}: {c}"
                for i, c in enumerate(cells[: len(columns)])
                if columns[i] is None and c
            )
            extras.append((offset, extra))
        end += 1
    outside = [(o, line) for o, line in lines[:index] + lines[end:] if line.strip()]
    return Table(columns, headers, tuple(rows), tuple(extras)), outside


def _cells_by_column(columns: tuple[str | None, ...], cells: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, cell in zip(columns, cells, strict=False):
        if name is not None and cell and name not in found:
            found[name] = cell
    return found


_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")


def strip_bullet(line: str) -> tuple[str, bool]:
    """The line without its list marker (and task checkbox), and whether it had one."""
    match = _BULLET.match(line)
    return (line[match.end() :].strip(), True) if match else (line.strip(), False)


def split_list(text: str) -> list[str]:
    """'a, b; c' or one per line → ['a', 'b', 'c'], order kept, duplicates dropped."""
    items = (strip_bullet(part)[0] for part in re.split(r"[,;\n\r]+", text))
    return list(dict.fromkeys(item for item in items if item))


def is_empty_marker(text: str) -> bool:
    """Cells people write for 'nothing here'."""
    return text.strip().strip("_*").lower() in {"", "-", "—", "–", "n/a", "na", "none", "tbd", "?"}


def short(text: str, width: int = 40) -> str:
    """Text quoted in a message: long user text is cut, so messages stay readable."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
