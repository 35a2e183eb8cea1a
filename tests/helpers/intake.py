"""A postmortem repository in the sandbox and one intake run over HTTP, for the intake and
command tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import PLACEHOLDER_TOKEN, REPO, settings_for

from pmbot.app.intake import IntakeRun, run_intake
from pmbot.core import markers
from pmbot.core.config import Config, default_config
from pmbot.github.client import GitHub
from pmbot.sandbox import Sandbox

EXAMPLE = Path(__file__).parents[2] / "examples" / "postmortem-issue.md"
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
PEOPLE = ("mrivera", "jchen", "dkim", "spatel")  # lnguyen is not: GitHub cannot assign them
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def example() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


# The action-item table's columns before `ID` and `Depends on` were added: the rows tests write.
ITEM_HEAD = "| What | Owner | Priority | Due | Type | Success | Addresses |\n" + "|---" * 7 + "|\n"


def with_item_rows(rows: list[str], body: str | None = None) -> str:
    """The example (or `body`) with its action-item table replaced by `rows`, written in the
    columns of ITEM_HEAD."""
    return with_item_table(ITEM_HEAD + "\n".join(rows), body)


def with_item_table(table: str, body: str | None = None) -> str:
    """The example (or `body`) with `table` as its action items."""
    text = body or example()
    start = text.index("### Action items\n\n") + len("### Action items\n\n")
    return text[:start] + table.rstrip("\n") + text[text.index("\n\n### Lessons learned") :]


def seed(sb: Sandbox, body: str, association: str = "MEMBER") -> int:
    for login in PEOPLE:
        sb.seed_user(login, association="MEMBER")
    sb.seed_user("outsider", association="NONE", permission="read")
    sb.seed_file("README.md", "# web\n")
    user = "mrivera" if association == "MEMBER" else "outsider"
    return sb.seed_issue(title="Postmortem", body=body, labels=["postmortem"], user=user).number


def adapter(sb: Sandbox) -> GitHub:
    return GitHub(settings_for(sb), pace=False, sleep=lambda s: None)


def run(sb: Sandbox, number: int, *, config: Config | None = None, **kw: Any) -> IntakeRun:
    lines: list[str] = kw.pop("lines", [])
    return run_intake(
        kw.pop("gh", None) or adapter(sb),
        number,
        now=kw.pop("now", NOW),
        config=config or default_config(),
        dry_run=kw.pop("dry_run", False),
        log=lines.append,
    )


def items(sb: Sandbox) -> list[Any]:
    return [i for _, i in sorted(sb.state.issues.items()) if "action-item" in i.labels]


def summaries(sb: Sandbox, number: int) -> list[str]:
    return [
        c.body
        for c in sb.state.comments.values()
        if c.issue == number and markers.has(c.body, "summary")
    ]


def env(sb: Sandbox, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": PLACEHOLDER_TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": sb.base_url,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **extra,
    }
