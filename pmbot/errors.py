"""The one error family pmbot shows to users, and how a problem is described."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with user input: where it is, what is wrong, how to fix it."""

    field: str
    message: str
    fix: str
    line: int | None = None

    def describe(self) -> str:
        where = self.field if self.line is None else f"{self.field} (line {self.line})"
        return f"{where}: {self.message} Fix: {self.fix}"


class PmbotError(Exception):
    """A user-facing error: bad input or bad configuration. The CLI exits 1 with its text."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(field="input", message=problems, fix="see the message above")]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0].describe()
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p.describe()}" for p in self.problems]
        return "\n".join(lines)


class FormError(PmbotError):
    """The postmortem (or another issue form) cannot be read; lists every problem found."""


class ConfigError(PmbotError):
    """`.github/pmbot.yml` is invalid."""


class GitHubError(PmbotError):
    """GitHub (or the sandbox) refused a request in a way the user can act on."""
