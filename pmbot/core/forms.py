"""Read any GitHub issue form's rendered issue body back into values, with the form YAML as schema.

GitHub renders a submitted form as one `### <label>` section per field, in form order:
`_No response_` for an empty answer, a ```` ```lang ```` fence around a `render:` textarea,
the chosen dropdown options joined by ", ", and `- [X] option` / `- [ ] option` for checkboxes.
People then edit that body by hand, so the parser finds sections by the form's own labels only
and tolerates edited headings, line endings, reordered, missing and added sections.
https://docs.github.com/en/communities/using-templates-to-encourage-useful-issues-and-pull-requests/syntax-for-githubs-form-schema
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from pmbot.errors import FormError, Problem

Value = str | list[str] | None

NO_RESPONSE = "_No response_"
# What GitHub writes for an optional dropdown left unchosen (a choice only if the form offers it).
NO_CHOICE = "None"
FIELD_TYPES = ("input", "textarea", "dropdown", "checkboxes", "upload")
ELEMENT_TYPES = ("markdown", *FIELD_TYPES)
_ID = re.compile(r"[A-Za-z0-9_-]+")
_FENCE_OPEN = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")
_CHECKBOX = re.compile(r"[ \t]*[-*+][ \t]+\[([ xX]?)\][ \t]*(.*)")


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


# --- loading the form YAML -------------------------------------------------------------------


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
                    line=_line(root, "body"),
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
                line=_line(root, "body"),
            )
        )
    if problems:
        raise FormError(problems)
    name = data.get("name")
    return Form(fields=tuple(fields), name=name if isinstance(name, str) else None, source=source)


def _load_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    loader = _FormLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise FormError(
            [
                Problem(
                    field=source,
                    message=f"is not valid YAML: {exc.problem or exc.context}.",
                    fix="correct the YAML syntax at that line (indentation, quotes, colons).",
                    line=mark.line + 1 if mark is not None else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise FormError(
            [Problem(field=source, message=f"is not valid YAML: {exc}.", fix="correct the YAML.")]
        ) from None
    finally:
        loader.dispose()
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


def _line(node: yaml.Node | None, *path: str | int) -> int | None:
    """The 1-based line of the deepest node along `path` that exists."""
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


@dataclass(frozen=True)
class _Where:
    source: str
    index: int
    root: yaml.Node | None

    def problem(self, key: str, message: str, fix: str) -> Problem:
        path = [k for k in key.split(".") if k]
        line = _line(self.root, "body", self.index, *path)
        return Problem(f"{self.source}: body[{self.index}].{key}".rstrip("."), message, fix, line)


def _build_field(element: object, where: _Where, problems: list[Problem]) -> Field | None:
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
    label = label.strip()
    field_id = _field_id(element.get("id"), label, where, problems)
    options, required_options = _options(str(kind), attributes, where, problems)
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
        type=str(kind),
        options=options,
        multiple=multiple and kind == "dropdown",
        render=str(render) if render else None,
        required=required,
        required_options=required_options,
    )


def _field_id(raw: object, label: str, where: _Where, problems: list[Problem]) -> str | None:
    if raw is None:
        slug = slugify(label)
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
    keys = [_option_key(lab) for lab in labels]
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


def slugify(label: str) -> str:
    """A key for a field without `id`, as stefanbuck/github-issue-parser makes it."""
    return re.sub(r"[\W_]+", "_", label.lower()).strip("_")


# --- parsing an issue body -------------------------------------------------------------------


@dataclass(frozen=True)
class _Heading:
    index: int  # 0-based line index
    level: int
    text: str
    fenced: bool


def heading_key(text: str) -> str:
    """Compare headings as a person reads them: case, spacing and a trailing colon do not count."""
    return " ".join(text.split()).casefold().rstrip(":").rstrip()


def parse_body(form: Form, body: str | None) -> ParsedForm:
    """Map every field id to its value in `body` (see DESIGN "Form values")."""
    lines = (body or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    by_key = {heading_key(f.label): f for f in form.fields}
    headings = list(_headings(lines))
    starts = _field_headings(headings, by_key)
    extra = [h.text for h in headings if _exact(h) and h.text and heading_key(h.text) not in by_key]
    bounds = [*sorted(starts.values()), len(lines)]
    values: dict[str, Value] = {}
    where: dict[str, int] = {}
    for f in form.fields:
        if f.id not in starts:
            values[f.id] = None
            continue
        start = starts[f.id]
        end = next(b for b in bounds if b > start)
        first, text = _section(lines, start + 1, end)
        where[f.id] = (first if first is not None else start) + 1
        values[f.id] = _value(f, text)
    missing = [f.id for f in form.fields if f.id not in starts]
    return ParsedForm(values=values, lines=where, missing=missing, extra=extra)


def _headings(lines: list[str]) -> Iterator[_Heading]:
    """ATX headings in order; inside fenced code only those of a fence that looks like a typo.

    A fence is a typo when it never closes, or when it holds a line like ```` ```lang ````
    that could not close it: the author meant to open a new block there, so the "fence" is
    a stray ``` that swallowed the sections that follow.
    """
    fence: str | None = None
    inside: list[_Heading] = []
    typo = False
    for index, line in enumerate(lines):
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                yield from inside if typo else ()
                fence = None
            elif stripped.startswith(fence):
                typo = True
            elif (heading := _heading(index, line, fenced=True)) is not None:
                inside.append(heading)
            continue
        opening = _FENCE_OPEN.match(line)
        if opening and not (opening[1][0] == "`" and "`" in opening[2]):
            fence, inside, typo = opening[1], [], False
        elif (heading := _heading(index, line, fenced=False)) is not None:
            yield heading
    yield from inside if fence is not None else ()


def _heading(index: int, line: str, *, fenced: bool) -> _Heading | None:
    text = line.lstrip(" ")
    if not text.startswith("#") or len(line) - len(text) > 3:
        return None
    level = len(text) - len(text.lstrip("#"))
    if level > 6:
        return None
    text = text[level:].strip()
    closed = text.rstrip("#")  # an optional closing sequence: `### Label ###`
    if closed != text and (not closed or closed[-1] in " \t"):
        text = closed.rstrip()
    return _Heading(index, level, text, fenced)


def _field_headings(headings: list[_Heading], by_key: dict[str, Field]) -> dict[str, int]:
    """Field id → heading line index; for each label the first heading of the best rank wins.

    Ranks: `### label` outside code; an edited level (`## label`) outside code; `### label`
    inside a typo fence, which rescues sections a stray ``` swallowed but never beats a
    heading outside code.
    """
    starts: dict[str, int] = {}
    for rank in (_exact, _edited, _fenced):
        for h in headings:
            f = by_key.get(heading_key(h.text))
            if f is not None and f.id not in starts and rank(h):
                starts[f.id] = h.index
    return starts


def _exact(h: _Heading) -> bool:
    return h.level == 3 and not h.fenced


def _edited(h: _Heading) -> bool:
    return h.level != 3 and not h.fenced


def _fenced(h: _Heading) -> bool:
    return h.level == 3 and h.fenced


def _section(lines: list[str], start: int, end: int) -> tuple[int | None, str]:
    """The first non-blank line index of lines[start:end] and the text, trimmed of blank edges."""
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    if start == end:
        return None, ""
    return start, "\n".join(lines[start:end]).rstrip()


def _value(f: Field, text: str) -> Value:
    if f.type == "checkboxes":
        return _checked(f, text)
    if f.type == "dropdown":
        return _dropdown(f, text)
    if not text or text.strip() == NO_RESPONSE:
        return None
    if f.render:
        return _unfence(text)
    return text


def _checked(f: Field, text: str) -> list[str]:
    canonical = {_option_key(o): o for o in f.options}
    checked = []
    for line in text.split("\n"):
        box = _CHECKBOX.fullmatch(line.rstrip())
        if box and box[1] in ("x", "X"):
            checked.append(canonical.get(_option_key(box[2]), box[2].strip()))
    return checked


def _dropdown(f: Field, text: str) -> Value:
    answer = " ".join(text.split())
    canonical = {_option_key(o): o for o in f.options}
    unanswered = not answer or answer == NO_RESPONSE
    if unanswered or (answer == NO_CHOICE and _option_key(NO_CHOICE) not in canonical):
        return [] if f.multiple else None
    if f.multiple:
        return _split_choices(answer, canonical)
    return canonical.get(_option_key(answer), answer)


def _split_choices(answer: str, canonical: dict[str, str]) -> list[str]:
    """Undo GitHub's ", " join, keeping an option that itself contains a comma whole."""
    parts = [" ".join(part.split()) for part in answer.split(",")]
    keys = [part.casefold() for part in parts]
    widest = 1 + max(key.count(",") for key in canonical)
    tails = {key.rsplit(", ", 1)[-1] for key in canonical if "," in key}
    # best[i]: (unknown parts, choices, cut) for parts[:i]; fewest unknown, then fewest choices.
    best: list[tuple[int, int, int]] = [(0, 0, 0)]
    for end in range(1, len(parts) + 1):
        unknown, count, _ = best[end - 1]
        blank = not parts[end - 1]
        known = keys[end - 1] in canonical
        choice = (unknown + (not known and not blank), count + (not blank), end - 1)
        for begin in range(max(0, end - widest), end - 1) if keys[end - 1] in tails else ():
            unknown, count, _ = best[begin]
            if ", ".join(keys[begin:end]) in canonical and (unknown, count + 1) < choice[:2]:
                choice = (unknown, count + 1, begin)
        best.append(choice)
    choices: list[str] = []
    end = len(parts)
    while end > 0:
        begin = best[end][2]
        group = ", ".join(parts[begin:end])
        if group:
            choices.append(canonical.get(group.casefold(), group))
        end = begin
    return choices[::-1]


def _option_key(text: str) -> str:
    return re.sub(r" ?, ?", ", ", " ".join(text.split()).casefold())


def _unfence(text: str) -> str | None:
    """The code inside the fence GitHub puts around a `render:` textarea."""
    lines = text.split("\n")
    opening = _FENCE_OPEN.fullmatch(lines[0])
    closing = lines[-1].strip()
    if (
        len(lines) >= 2
        and opening
        and closing.startswith(opening[1])
        and not closing.strip(opening[1][0])
    ):
        code = "\n".join(lines[1:-1]).rstrip()
        return code.strip("\n") or None
    return text


# --- validation and the command --------------------------------------------------------------


def validate_required(form: Form, parsed: ParsedForm) -> list[Problem]:
    """One Problem per required value the body lacks (GitHub checks only in public repos)."""
    problems: list[Problem] = []
    for f in form.fields:
        value = parsed.values.get(f.id)
        heading = f"### {f.label}"
        if f.required and (value is None or value == [] or value == ""):
            if f.id in parsed.missing:
                message = f'"{f.label}" is required, but the body has no "{heading}" section.'
                fix = f'add a "{heading}" line followed by the answer, or edit the issue form.'
            else:
                message = f'"{f.label}" is required but has no answer.'
                fix = _answer_hint(f, heading)
            problems.append(Problem(f.id, message, fix, parsed.lines.get(f.id)))
        for option in f.required_options:
            if f.id in parsed.missing or option not in (value or []):
                problems.append(
                    Problem(
                        f.id,
                        f'"{f.label}": the box "{option}" must be checked.',
                        f'check it: "- [x] {option}" under "{heading}".',
                        parsed.lines.get(f.id),
                    )
                )
    return problems


def _answer_hint(f: Field, heading: str) -> str:
    if f.type == "dropdown":
        many = "one or more of" if f.multiple else "one of"
        return f'under "{heading}", write {many}: {", ".join(f.options)}.'
    if f.type == "checkboxes":
        return f'under "{heading}", check at least one box: "- [x] {f.options[0]}".'
    return f'write the answer under "{heading}" instead of "{NO_RESPONSE}".'


def form_parse(form_text: str, body_text: str | None, *, source: str = "form") -> dict[str, Value]:
    """`pmbot form parse`: the form YAML and an issue body → `{field id: value}` (JSON-ready)."""
    return parse_body(load_form(form_text, source=source), body_text).values
