"""An organisation in the sandbox (several repositories, action items as intake files them),
for the org-mode tests (`sweep --org`, `report --org`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from conftest import PLACEHOLDER_TOKEN

from pmbot.core.config import default_config
from pmbot.core.model import Priority
from pmbot.flows.tracking import ItemInfo, with_markers
from pmbot.sandbox import Sandbox, State

DUE = date(2026, 3, 2)
OVERDUE = datetime(2026, 3, 3, 6, tzinfo=UTC)
EXAMPLE = Path(__file__).parents[2] / "examples" / "postmortem-issue.md"
CONFIG = "escalation:\n  leadership_team: acme/eng-leads\n"


def env(sb: Sandbox, tmp: Path) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": PLACEHOLDER_TOKEN,
        "GITHUB_REPOSITORY": "acme/web",
        "GITHUB_API_URL": sb.base_url,
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
    }


def postmortem(repo: State, severity: str) -> int:
    """A postmortem issue as the form files it (the example's, with `severity`)."""
    body = EXAMPLE.read_text(encoding="utf-8").replace("SEV-2", severity, 1)
    issue = repo.seed_issue(title=f"Postmortem ({severity})", body=body, labels=["postmortem"])
    return issue.number


def item(
    repo: State,
    n: int,
    due: date = DUE,
    priority: Priority = Priority.P1,
    user: str | None = None,
    pm: int = 1,
) -> int:
    """An action item of postmortem #`pm` exactly as intake files it (as `user`: an App's
    bot, say), due on `due`."""
    info = ItemInfo(
        pm=pm,
        key=f"AI-{n}",
        priority=priority,
        due=due,
        opened=due - timedelta(days=28),
        owner="alice",
        commander="carol",
        authors=("carol", "dave"),
        type="prevent",
    )
    text = f"Action item **AI-{n}** from the postmortem #{pm}.\n\n**What:** fix {n}\n"
    labels = (default_config().labels.action_item.name, str(priority))
    issue = repo.seed_issue(
        title=f"[AI-{n}] fix {n}",
        body=with_markers(text, info, None),
        labels=labels,
        assignees=["alice"],
        user=user,
    )
    return issue.number


def organisation(sb: Sandbox, empty_repos: int = 0) -> tuple[State, State, State]:
    web, api, docs = sb.state, sb.org.add_repo("api"), sb.org.add_repo("docs")
    web.seed_file(".github/pmbot.yml", CONFIG)
    api.seed_file(".github/pmbot.yml", CONFIG)  # docs has items but no pmbot
    for i in range(empty_repos):
        sb.org.add_repo(f"team{i}").seed_file(".github/pmbot.yml", CONFIG)
    for n in range(3):
        item(web, n)
        item(api, n)
    item(docs, 1)
    return web, api, docs
