"""Read a form's rendered issue body back into values, with the form as schema.

GitHub renders a submitted form as one `### <label>` section per field, in form order:
`_No response_` for an empty answer, a ```` ```lang ```` fence around a `render:` textarea,
the chosen dropdown options joined by ", ", and `- [X] option` / `- [ ] option` for checkboxes.
People then edit that body by hand, so the parser finds sections by the form's own labels only
and tolerates edited headings, line endings, reordered, missing and added sections.
https://docs.github.com/en/communities/using-templates-to-encourage-useful-issues-and-pull-requests/syntax-for-githubs-form-schema
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pmbot.core.forms.load import load_form
from pmbot.core.forms.model import (
    NO_CHOICE,
    NO_RESPONSE,
    Field,
    Form,
    ParsedForm,
    Value,
    heading_key,
    option_key,
)
from pmbot.errors import Problem

_FENCE_OPEN = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")
_CHECKBOX = re.compile(r"[ \t]*[-*+][ \t]+\[([ xX]?)\][ \t]*(.*)")


@dataclass(frozen=True)
class _Heading:
    index: int  # 0-based line index
    level: int
    text: str
    fenced: bool


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


def set_answer(
    form: Form, body: str, field_id: str, answer: str, *, view: str | None = None
) -> str:
    """body with a one-line field's answer (an `input`) set to `answer`: its first line is
    replaced, or the section added when absent; every other line stays as it was (line
    endings come back as `\\n`). `view`: the body as it is read (e.g. with hidden text
    blanked, same lines), which decides where the answer is."""
    lines = _lines(body)
    seen = _lines(view) if view is not None else lines
    if len(seen) != len(lines):
        raise ValueError("view must have the body's lines")
    by_key = {heading_key(f.label): f for f in form.fields}
    starts = _field_headings(list(_headings(seen)), by_key)
    if field_id not in starts:
        label = form.field(field_id).label
        return f"{body.rstrip()}\n\n### {label}\n\n{answer}\n"
    start = starts[field_id]
    end = min([b for b in starts.values() if b > start] or [len(lines)])
    first = next((i for i in range(start + 1, end) if seen[i].strip()), None)
    if first is None:
        lines[start + 1 : start + 1] = ["", answer]
    else:
        lines[first] = answer
    return "\n".join(lines)


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


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
    canonical = {option_key(o): o for o in f.options}
    checked = []
    for line in text.split("\n"):
        box = _CHECKBOX.fullmatch(line.rstrip())
        if box and box[1] in ("x", "X"):
            checked.append(canonical.get(option_key(box[2]), box[2].strip()))
    return checked


def _dropdown(f: Field, text: str) -> Value:
    answer = " ".join(text.split())
    canonical = {option_key(o): o for o in f.options}
    unanswered = not answer or answer == NO_RESPONSE
    if unanswered or (answer == NO_CHOICE and option_key(NO_CHOICE) not in canonical):
        return [] if f.multiple else None
    if f.multiple:
        return _split_choices(answer, canonical)
    return canonical.get(option_key(answer), answer)


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
