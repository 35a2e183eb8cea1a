"""An issue form's YAML → `Form`, validated enough to parse bodies with it; every problem is
named with its element, key and line.
https://docs.github.com/en/communities/using-templates-to-encourage-useful-issues-and-pull-requests/syntax-for-githubs-form-schema
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from pmbot.core import yamlread
from pmbot.core.forms.model import ELEMENT_TYPES, Field, Form, heading_key, option_key
from pmbot.core.yamlread import line_of
from pmbot.errors import FormError, Problem

_ID = re.compile(r"[A-Za-z0-9_-]+")


class _FormLoader(yaml.SafeLoader):
    """Scalars as GitHub reads them (YAML 1.2): `Yes`, `1.10`, `2024-01-01` stay text."""


_FormLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag.endswith((":null", ":merge"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FormLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_form(text: str, *, source: str = "form") -> Form:
    """Validate an issue-form YAML enough to parse bodies with it; FormError lists every problem."""
    data, root = _load_yaml(text, source)
    problems: list[Problem] = []
    body = data.get("body") if isinstance(data, dict) else None
    if not isinstance(body, list) or not body:
        raise FormError(
            [
                Problem(
                    field=f"{source}: body",
                    message="the form has no `body:` list of elements.",
                    fix="add `body:` with at least one input, textarea, dropdown or checkboxes.",
                    line=line_of(root, "body"),
                )
            ]
        )
    placed: list[tuple[_Where, Field]] = []
    for index, element in enumerate(body):
        where = _Where(source, index, root)
        built = _build_field(element, where, problems)
        if built is not None:
            placed.append((where, built))
    problems += _duplicates(placed)
    fields = [f for _, f in placed]
    if not fields and not problems:
        problems.append(
            Problem(
                field=f"{source}: body",
                message="the form has no fields to parse (only markdown elements).",
                fix="add at least one input, textarea, dropdown or checkboxes element.",
                line=line_of(root, "body"),
            )
        )
    if problems:
        raise FormError(problems)
    name = data.get("name")
    return Form(fields=tuple(fields), name=name if isinstance(name, str) else None, source=source)


def _load_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    try:
        data, root = yamlread.compose(text, _FormLoader)
    except yaml.YAMLError as exc:
        reason, line = yamlread.syntax_error(exc)
        raise FormError(
            [
                Problem(
                    field=source,
                    message=f"is not valid YAML: {reason}.",
                    fix="correct the YAML syntax at that line (indentation, quotes, colons).",
                    line=line,
                )
            ]
        ) from None
    if not isinstance(data, dict):
        raise FormError(
            [
                Problem(
                    field=source,
                    message="is not an issue form: the top level must be a mapping.",
                    fix="start the file with `name:`, `description:` and `body:` keys.",
                    line=1,
                )
            ]
        )
    return data, root


@dataclass(frozen=True)
class _Where:
    source: str
    index: int
    root: yaml.Node | None

    def problem(self, key: str, message: str, fix: str) -> Problem:
        path = [k for k in key.split(".") if k]
        line = line_of(self.root, "body", self.index, *path)
        return Problem(f"{self.source}: body[{self.index}].{key}".rstrip("."), message, fix, line)


def _answerable(
    element: object, where: _Where, problems: list[Problem]
) -> tuple[dict[str, Any], str, dict[str, Any], str] | None:
    """(element, type, attributes, label) of an element that is a field; None for anything
    else (with its problem noted, unless it is a markdown element)."""
    if not isinstance(element, dict):
        problems.append(
            where.problem("", "is not a mapping.", "write `- type: input` then `attributes:`.")
        )
        return None
    kind = element.get("type")
    if kind not in ELEMENT_TYPES:
        problems.append(
            where.problem(
                "type",
                f"has unknown element type {kind!r}.",
                f"use one of: {', '.join(ELEMENT_TYPES)}.",
            )
        )
        return None
    if kind == "markdown":
        return None
    attributes = element.get("attributes")
    if not isinstance(attributes, dict):
        problems.append(
            where.problem("attributes", "is missing.", "add `attributes:` with a `label:`.")
        )
        return None
    label = attributes.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.append(
            where.problem(
                "attributes.label",
                "is missing or empty: sections are found by their label.",
                "give the element a non-empty `label:`.",
            )
        )
        return None
    return element, str(kind), attributes, label.strip()


def _build_field(element: object, where: _Where, problems: list[Problem]) -> Field | None:
    found = _answerable(element, where, problems)
    if found is None:
        return None
    element, kind, attributes, label = found
    field_id = _field_id(element.get("id"), label, where, problems)
    options, required_options = _options(kind, attributes, where, problems)
    multiple = _bool(attributes, "multiple", "attributes.multiple", where, problems)
    validations = element.get("validations") or {}
    required = isinstance(validations, dict) and _bool(
        validations, "required", "validations.required", where, problems
    )
    render = attributes.get("render") if kind == "textarea" else None
    if field_id is None or options is None:
        return None
    return Field(
        id=field_id,
        label=label,
        type=kind,
        options=options,
        multiple=multiple and kind == "dropdown",
        render=str(render) if render else None,
        required=required,
        required_options=required_options,
    )


def _field_id(raw: object, label: str, where: _Where, problems: list[Problem]) -> str | None:
    if raw is None:
        slug = id_from_label(label)
        if slug:
            return slug
        problems.append(
            where.problem("id", f"cannot be derived from the label {label!r}.", "add an `id:`.")
        )
        return None
    if not isinstance(raw, str) or not _ID.fullmatch(raw):
        problems.append(
            where.problem(
                "id",
                f"{raw!r} is not a valid id.",
                "use only letters, digits, `-` and `_` (GitHub's rule).",
            )
        )
        return None
    return raw


def _options(
    kind: str, attributes: dict[str, Any], where: _Where, problems: list[Problem]
) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    if kind not in ("dropdown", "checkboxes"):
        return (), ()
    raw = attributes.get("options")
    if not isinstance(raw, list) or not raw:
        problems.append(
            where.problem(
                "attributes.options",
                f"is missing: a {kind} needs a non-empty `options:` list.",
                "add `options:` with one entry per choice.",
            )
        )
        return None, ()
    if kind == "dropdown":
        labels = [o.strip() if isinstance(o, str) else "" for o in raw]
        required: list[str] = []
    else:
        labels = [_checkbox_label(o) for o in raw]
        required = [lab for o, lab in zip(raw, labels, strict=True) if _option_required(o)]
    bad = [i for i, lab in enumerate(labels) if not lab]
    if bad:
        example = "- a choice" if kind == "dropdown" else "- label: a choice"
        problems.append(
            where.problem(
                f"attributes.options.{bad[0]}",
                "has an empty or malformed option.",
                f"write each option as `{example}`.",
            )
        )
        return None, ()
    keys = [option_key(lab) for lab in labels]
    if len(set(keys)) != len(keys):
        dup = next(lab for lab, key in zip(labels, keys, strict=True) if keys.count(key) > 1)
        problems.append(
            where.problem(
                "attributes.options", f"lists {dup!r} twice.", "make every option distinct."
            )
        )
        return None, ()
    return tuple(labels), tuple(required)


def _checkbox_label(option: object) -> str:
    label = option.get("label") if isinstance(option, dict) else None
    return label.strip() if isinstance(label, str) else ""


def _option_required(option: object) -> bool:
    return isinstance(option, dict) and option.get("required") is True


def _bool(
    mapping: dict[str, Any], key: str, where_key: str, where: _Where, problems: list[Problem]
) -> bool:
    value = mapping.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        problems.append(
            where.problem(where_key, f"must be true or false, not {value!r}.", "write `true`.")
        )
        return False
    return value


def _duplicates(placed: Sequence[tuple[_Where, Field]]) -> list[Problem]:
    problems: list[Problem] = []
    seen_ids: dict[str, Field] = {}
    seen_labels: dict[str, Field] = {}
    for where, f in placed:
        if f.id in seen_ids:
            problems.append(
                where.problem(
                    "id",
                    f"{f.id!r} is used twice (also by {seen_ids[f.id].label!r}).",
                    "give every field a unique `id:`.",
                )
            )
        key = heading_key(f.label)
        if key in seen_labels:
            problems.append(
                where.problem(
                    "attributes.label",
                    f"{f.label!r} repeats the label {seen_labels[key].label!r}: "
                    "the issue body could not tell their sections apart.",
                    "give every field a distinct label.",
                )
            )
        seen_ids.setdefault(f.id, f)
        seen_labels.setdefault(key, f)
    return problems


def id_from_label(label: str) -> str:
    """A key for a field without `id`, as stefanbuck/github-issue-parser makes it (underscores:
    its convention, which other tools reading the same forms share; file names use
    `core.slug.slugify`, with dashes)."""
    return re.sub(r"[\W_]+", "_", label.lower()).strip("_")
