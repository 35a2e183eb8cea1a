"""An issue form reduced to what parsing a body needs, and the values a body holds."""

from __future__ import annotations

import re
from dataclasses import dataclass

Value = str | list[str] | None

NO_RESPONSE = "_No response_"
# What GitHub writes for an optional dropdown left unchosen (a choice only if the form offers it).
NO_CHOICE = "None"
FIELD_TYPES = ("input", "textarea", "dropdown", "checkboxes", "upload")
ELEMENT_TYPES = ("markdown", *FIELD_TYPES)


@dataclass(frozen=True)
class Field:
    """One answerable element of an issue form (markdown elements are not fields)."""

    id: str
    label: str
    type: str
    options: tuple[str, ...] = ()
    multiple: bool = False
    render: str | None = None
    required: bool = False
    # Checkbox options marked `required: true`: each must be checked.
    required_options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """An issue form reduced to what parsing and validating a body needs."""

    fields: tuple[Field, ...]
    name: str | None = None
    source: str = "form"

    @property
    def labels(self) -> dict[str, str]:
        """Field id → label, in form order: how messages name a field."""
        return {f.id: f.label for f in self.fields}

    def field(self, field_id: str) -> Field:
        for candidate in self.fields:
            if candidate.id == field_id:
                return candidate
        raise KeyError(field_id)


@dataclass(frozen=True)
class ParsedForm:
    """The values found in an issue body, and where they were found."""

    values: dict[str, Value]
    lines: dict[str, int]
    missing: list[str]
    extra: list[str]


def heading_key(text: str) -> str:
    """Compare headings as a person reads them: case, spacing and a trailing colon do not count."""
    return " ".join(text.split()).casefold().rstrip(":").rstrip()


def option_key(text: str) -> str:
    """Compare options as GitHub joins them: case, spacing and spaces around commas do not count."""
    return re.sub(r" ?, ?", ", ", " ".join(text.split()).casefold())
