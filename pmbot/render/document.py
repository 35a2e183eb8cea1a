"""A postmortem → its Markdown document: a typed context first, then a Jinja2 template.

The shipped template is `pmbot/templates/postmortem.md.j2`; a repository can supply its
own, which receives the same context (the fields of `DocumentContext`). The output is a
function of the postmortem and its `Tracking` (each item's issue, due date and state, and
the status lifecycle) — no clock — so re-rendering an unchanged postmortem changes nothing
in the repository.

The front matter stays short and flat (title, date, severity, status, services, tags,
issue): GitHub shows it as a table above the title, and a static site needs no more. The
rest of what the library index records (figures, people, times, categories, action items,
lifecycle, progress) is one hidden `pmbot:document` marker at the end of the document,
appended after the template so a repository's own template cannot lose it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, Template, TemplateError, TemplateNotFound
from jinja2 import Environment as JinjaEnvironment

from pmbot.core import markers
from pmbot.core.lifecycle import Tracking
from pmbot.core.model import Postmortem
from pmbot.core.shipped import PACKAGE
from pmbot.core.slug import document_name
from pmbot.errors import ConfigError, Problem
from pmbot.render.bounded import BoundedEnvironment, TemplateLimit, render_bounded
from pmbot.render.context import DocumentContext, build_context, document_data, planned
from pmbot.render.library import (
    DATA_MARKER,
    LibraryEntry,
    link_text,
)

SHIPPED_TEMPLATE = PACKAGE / "render" / "templates" / "postmortem.md.j2"
_SAFE_NAME = re.compile(r"[0-9]{4}/[0-9]{4}-[0-9]{2}-[0-9]{2}-[a-z0-9]+(?:-[a-z0-9]+)*\.md")


def document_path(
    pm: Postmortem, docs_dir: str = "docs/postmortems", *, legacy: bool = False
) -> PurePosixPath:
    """`docs/postmortems/YYYY/YYYY-MM-DD-<slug>-issue-<N>.md` (see `core.slug.document_name`);
    FormError naming started_at if undated."""
    name = document_name(pm, legacy=legacy)
    # The slug cannot hold a separator or "..", but this is the security boundary, so it is
    # checked rather than assumed (and not with `assert`, which `python -O` removes).
    if not _SAFE_NAME.fullmatch(name.as_posix()):
        raise ValueError(f"document name {name} would not stay inside {docs_dir}")
    return PurePosixPath(docs_dir) / name


def is_document_name(name: str) -> bool:
    """A path inside the docs folder of the shape pmbot writes (nothing that could escape)."""
    return _SAFE_NAME.fullmatch(name) is not None


# --- the template --------------------------------------------------------------------------


def _cell(value: object) -> str:
    """Text for one Markdown table cell: a `|` or a newline would break the table."""
    text = "—" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def _person(login: str | None) -> str:
    return "—" if not login else f"@{login}"


class _OneFile(BaseLoader):
    """A document template is one file: include, import and extends have nothing to load."""

    def get_source(self, environment: JinjaEnvironment, template: str) -> Any:
        raise TemplateNotFound(
            template,
            f"cannot load {template!r}: a document template is one file, so "
            "{% include %}, {% import %} and {% extends %} are not available",
        )


@functools.cache
def _environment() -> BoundedEnvironment:
    # Sandboxed and bounded because a repository's template is configuration, not pmbot's
    # code: it must neither reach Python's internals nor hang or exhaust the runner.
    env = BoundedEnvironment(
        loader=_OneFile(),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # the output is Markdown; GitHub sanitises any HTML in it
    )
    env.filters["cell"] = _cell
    env.filters["person"] = _person
    env.filters["link_text"] = link_text
    return env


@functools.cache
def _shipped_template() -> Template:
    return _compile(SHIPPED_TEMPLATE.read_text(encoding="utf-8"))


def _template(source: str | None) -> Template:
    return _shipped_template() if source is None else _compile(source)


def _compile(source: str) -> Template:
    try:
        return _environment().from_string(source)
    except TemplateError as exc:
        raise template_error(exc) from None


TEMPLATE_FIELD = "templates.document"
# Errors a template can raise at render time: Jinja's own, pmbot's bounds, and the Python
# errors its expressions can cause (1/0, 'a' + 1, a missing key, runaway macro recursion).
_RENDER_ERRORS = (
    TemplateError,
    TemplateLimit,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    RecursionError,
)


def template_error(exc: BaseException) -> ConfigError:
    """A template failure as a user error naming the template line (exit 1, no traceback)."""
    line = getattr(exc, "lineno", None) if isinstance(exc, TemplateError) else None
    if line is None:
        line = _template_line(exc)
    message = str(exc).strip() or type(exc).__name__
    if isinstance(exc, RecursionError):
        message = "a macro calls itself without end"
    fix = (
        "change the template at that line: it is rendered in a sandbox with StrictUndefined "
        "and no other files, and its context is pmbot.render.context.DocumentContext."
    )
    problem = Problem(TEMPLATE_FIELD, f"the template failed: {message}.", fix, line)
    return ConfigError([problem])


def _template_line(exc: BaseException) -> int | None:
    """The last template line in the traceback (Jinja rewrites frames to template lines)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_document(
    pm: Postmortem,
    *,
    figures: Mapping[str, float | None] | None = None,
    findings: Iterable[object] | None = None,
    similar: Sequence[LibraryEntry] = (),
    template: str | None = None,
    now: datetime | None = None,
    tracking: Tracking | None = None,
) -> str:
    """The postmortem's Markdown document: flat front matter, the template, the data marker.

    The marker's `source` fingerprints the document as the form alone makes it (every item
    not opened yet), so intake can tell an edit of the form from a change of item states,
    which it leaves to the batched refresh.
    """
    findings = list(findings or ())

    def text_for(track: Tracking) -> tuple[str, DocumentContext]:
        context = build_context(
            pm, figures=figures, findings=findings, similar=similar, now=now, tracking=track
        )
        values = {f.name: getattr(context, f.name) for f in fields(context)}
        try:
            return render_bounded(_template(template), values), context
        except _RENDER_ERRORS as exc:
            raise template_error(exc) from None

    plain = planned(pm)
    text, context = text_for(tracking or plain)
    source = text if tracking is None else text_for(plain)[0]
    data = document_data(pm, context.figures.numbers(), tracking or plain)
    data["source"] = hashlib.sha256(source.encode()).hexdigest()[:16]
    return f"{text.rstrip()}\n\n{markers.encode(DATA_MARKER, data)}\n"
