"""Commands that need no GitHub: form parse, render, review, index."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from pmbot.app.forms import postmortem_form
from pmbot.core.config import Config, load_config
from pmbot.core.forms import form_parse as parse_to_values
from pmbot.core.forms import load_form
from pmbot.core.reading import Intake, read_postmortem
from pmbot.core.review import format_findings
from pmbot.errors import ConfigError, Problem
from pmbot.render import library
from pmbot.render.document import TEMPLATE_FIELD, document_path, render_document


def form_parse(form_text: str, body_text: str) -> int:
    values = parse_to_values(form_text, body_text)
    print(json.dumps(values, indent=2, ensure_ascii=False))
    return 0


def _intake(body_text: str, form_text: str | None, config: Config) -> Intake:
    form = load_form(form_text, source="--form") if form_text is not None else postmortem_form()
    return read_postmortem(body_text, config, form=form)


def render(
    body_text: str, *, form_text: str | None, out_dir: Path | None, config_path: Path | None
) -> int:
    config = load_config(config_path)
    result = _intake(body_text, form_text, config)
    pm = result.postmortem
    rel = document_path(pm, config.docs_dir)
    similar: list[library.LibraryEntry] = []
    if out_dir is not None:
        docs = out_dir / config.docs_dir
        entries = library.scan_library(docs) if docs.is_dir() else []
        similar = library.similar_incidents(pm, entries, window_days=config.similar.window_days)
    text = render_document(
        pm,
        findings=list(result.findings) if config.review.in_document else [],
        similar=similar,
        template=read_template(config),
        now=datetime.now(UTC),
    )
    if out_dir is None:
        sys.stdout.write(text)
        return 0
    target = out_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    library.write_index(out_dir / config.docs_dir)
    print(f"wrote {target} and the library index in {out_dir / config.docs_dir}")
    return 0


def read_template(config: Config) -> str | None:
    """`templates.document` from this checkout (None: the shipped template)."""
    if not config.templates.document:
        return None
    try:
        return Path(config.templates.document).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fix = "commit the template as UTF-8 text, or set templates.document to null."
        raise ConfigError([Problem(TEMPLATE_FIELD, f"cannot read it: {exc}.", fix)]) from None


def review(body_text: str, *, form_text: str | None, config_path: Path | None) -> int:
    result = _intake(body_text, form_text, load_config(config_path))
    sys.stdout.write(format_findings(result.findings, result.postmortem.labels))
    return 0


def index(docs_dir: Path) -> int:
    entries = library.write_index(docs_dir)
    unreadable = sum(1 for e in entries if e.problem)
    note = f" ({unreadable} could not be read; listed in the index)" if unreadable else ""
    noun = "document" if len(entries) == 1 else "documents"
    print(f"indexed {len(entries)} {noun} in {docs_dir}: README.md and index.json{note}")
    return 0
