"""From an issue body to a reviewed postmortem: the offline half of intake, shared by the
CLI's `render`/`review` and by `intake` on GitHub."""

from __future__ import annotations

from dataclasses import dataclass

from pmbot.core.config import Config
from pmbot.core.forms import Form, ParsedForm, parse_body, validate_required
from pmbot.core.model import Postmortem
from pmbot.core.postmortem import build_postmortem
from pmbot.core.review import Finding, review
from pmbot.errors import FormError, Problem


@dataclass(frozen=True)
class Intake:
    """A body read against its form: the values, the model and the review findings."""

    parsed: ParsedForm
    postmortem: Postmortem
    findings: tuple[Finding, ...]


def check_size(body: str | None, config: Config) -> None:
    size = len((body or "").encode("utf-8"))
    limit = config.limits.max_body_bytes
    if size > limit:
        raise FormError(
            [
                Problem(
                    "body",
                    f"the issue body is {size:,} bytes; pmbot reads at most {limit:,}.",
                    "shorten it (link long logs or timelines instead of pasting them), "
                    "or raise limits.max_body_bytes in .github/pmbot.yml.",
                )
            ]
        )


def read_postmortem(
    body: str | None, config: Config, *, form: Form, issue_number: int | None = None
) -> Intake:
    """Parse, validate and review one postmortem body against `form` (loaded by the caller:
    the core reads no files). Raises FormError listing every problem."""
    check_size(body, config)
    parsed = parse_body(form, body)
    problems = validate_required(form, parsed)
    try:
        pm = build_postmortem(
            parsed.values,
            parsed.lines,
            labels=form.labels,
            issue_number=issue_number,
            max_action_items=config.limits.max_action_items,
            max_timeline_rows=config.limits.max_timeline_rows,
        )
    except FormError as exc:
        # A required field already reported as missing needs no second, vaguer problem.
        missing = {f"[{p.field}]" for p in problems}
        extra = [p for p in exc.problems if not any(p.field.endswith(m) for m in missing)]
        raise FormError([*problems, *extra]) from None
    if problems:
        raise FormError(problems)
    return Intake(parsed=parsed, postmortem=pm, findings=tuple(review(pm, config)))
