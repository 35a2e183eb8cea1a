"""A local, stateful stand-in for GitHub's REST API, for tests, the demo and benchmarks.

with Sandbox(repo="acme/web") as sb:
    sb.seed_issue(title="SEV-2: checkout down", labels=["postmortem"])
    gh = Github(base_url=sb.base_url, auth=Auth.Token("any"))
"""

from __future__ import annotations

from pmbot.sandbox.faults import Fault, Faults, RateLimit
from pmbot.sandbox.server import Counters, Sandbox, serve
from pmbot.sandbox.state import Comment, Issue, Label, State, User

__all__ = [
    "Comment",
    "Counters",
    "Fault",
    "Faults",
    "Issue",
    "Label",
    "RateLimit",
    "Sandbox",
    "State",
    "User",
    "serve",
]
