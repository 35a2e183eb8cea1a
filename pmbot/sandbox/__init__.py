"""A local, stateful stand-in for GitHub's REST API, for tests, the demo and benchmarks.

    with Sandbox(repo="acme/web", log_path=None) as sb:
        sb.seed_user("dana", association="MEMBER", permission="write")
        sb.seed_issue(title="SEV-2: checkout down", labels=["postmortem"], user="dana")
        gh = Github(base_url=sb.base_url, auth=Auth.Token("any"))

Any token acts as the repository owner unless it is declared (see `tokens.py`):
`Sandbox(users=["mallory=mallory-token:NONE"], apps=["acme-pmbot=ghs_x"],
actions_token="t")`, or `seed_user(..., token=...)` and `seed_app(slug, token)`. Installation
tokens (the Actions token, any undeclared `ghs_…` token, an app's) get 403 on `GET /user`
and write as their bot user. Faults are armed per request pattern and fire `times` times:

    sb.faults.add("drop_after_write", method="POST", path_regex=r"/issues$")
    sb.faults.add("secondary_rate_limit", retry_after=30)  # also too_many_requests,
    sb.faults.add("latency", seconds=0.5, times=None)      # server_error, bad_gateway,
                                                           # service_unavailable
    sb.rate.set_remaining(0, reset_in=60)                   # primary limit exhausted

`sb.counters` counts requests by method, endpoint and status, and applied writes.
"""

from __future__ import annotations

from pmbot.sandbox.faults import ContentLimits, Fault, Faults, RateLimit
from pmbot.sandbox.server import Counters, Sandbox, serve
from pmbot.sandbox.state import Comment, Issue, Label, State, User

__all__ = [
    "Comment",
    "ContentLimits",
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
