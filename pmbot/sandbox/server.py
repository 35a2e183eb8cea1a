"""The sandbox HTTP server: GitHub's REST API for an owner's repositories, on 127.0.0.1."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from pmbot.sandbox import (
    routes_actions,
    routes_assignees,
    routes_comments,
    routes_dependencies,
    routes_events,
    routes_git,
    routes_issues,
    routes_labels,
    routes_org,
    routes_projects,
    routes_pulls,
    routes_repo,
    routes_search,
    routes_sub_issues,
)
from pmbot.sandbox.faults import ContentLimits, Faults, RateLimit
from pmbot.sandbox.org import Org
from pmbot.sandbox.render import Renderer
from pmbot.sandbox.routing import ApiError, Request, Response, Router
from pmbot.sandbox.state import Clock, State
from pmbot.sandbox.tokens import AppToken, UserToken, declare

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_REPOSITORIES = re.compile(r"^/repositories/\d+(?=/|$)")


@dataclass
class Counters:
    """What the sandbox has answered since the last reset (for tests and benchmarks)."""

    by_method: Counter[str] = field(default_factory=Counter)
    by_endpoint: Counter[str] = field(default_factory=Counter)  # "GET /repos/{owner}/..."
    by_status: Counter[int] = field(default_factory=Counter)
    writes: int = 0  # mutating requests that were applied (2xx, dropped ones included)
    not_modified: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def requests(self) -> int:
        return sum(self.by_method.values())

    @property
    def reads(self) -> int:
        return self.by_method["GET"]

    def record(self, method: str, endpoint: str, status: int) -> None:
        with self._lock:
            self.by_method[method] += 1
            self.by_endpoint[f"{method} {endpoint}"] += 1
            self.by_status[status] += 1
            if method in WRITE_METHODS and 200 <= status < 300:
                self.writes += 1
            if status == 304:
                self.not_modified += 1

    def reset(self) -> None:
        with self._lock:
            self.by_method.clear()
            self.by_endpoint.clear()
            self.by_status.clear()
            self.writes = self.not_modified = 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": sum(self.by_method.values()),
                "by_method": dict(self.by_method),
                "by_endpoint": dict(self.by_endpoint),
                "by_status": dict(self.by_status),
                "writes": self.writes,
                "not_modified": self.not_modified,
            }


@dataclass
class Exchange:
    """One request and the answer the sandbox decided on."""

    method: str
    path: str
    query: dict[str, str]
    request_body: Any
    response: Response
    endpoint: str = "?"
    dropped: bool = False


class App:
    """Everything one request needs: routes, state, faults, limits, counters and the log."""

    def __init__(
        self,
        state: State,
        log_path: str | Path | None,
        rate_limit: int,
        search_rate_limit: int,
    ) -> None:
        self.state = state
        self.faults = Faults()
        self.counters = Counters()
        self.core = RateLimit(rate_limit, "core", 3600)
        self.search = RateLimit(search_rate_limit, "search", 60)
        self.content = ContentLimits()
        self.router = Router()
        for module in (
            routes_issues,
            routes_comments,
            routes_labels,
            routes_assignees,
            routes_sub_issues,
            routes_dependencies,
            routes_events,
            routes_repo,
            routes_git,
            routes_pulls,
            routes_search,
            routes_org,
            routes_projects,
            routes_actions,
        ):
            self.router.extend(module.router)
        self.router.add("GET", "/rate_limit", self.rate_limit)
        self.render = Renderer(state, "http://127.0.0.1")
        self._log_lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self._log: TextIO | None = None
        if log_path is not None:
            self._log = Path(log_path).open("a", encoding="utf-8")  # noqa: SIM115

    def close(self) -> None:
        with self._log_lock:
            if self._log is not None:
                self._log.close()
                self._log = None

    def rate_limit(self, req: Request) -> Response:
        core, search = self.core.snapshot(), self.search.snapshot()
        return Response(200, {"resources": {"core": core, "search": search}, "rate": core})

    # -- one exchange --------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Exchange:
        split = urlsplit(target)
        path = _REPOSITORIES.sub(self._repository_path, split.path)
        path = re.sub(r"^/api/v3(?=/)", "", path)
        query = {k: vals[-1] for k, vals in parse_qs(split.query, keep_blank_values=True).items()}
        ex = Exchange(method, split.path, query, None, Response(500))
        ex.endpoint = self._endpoint(method, path)
        try:
            ex.request_body = json.loads(raw) if raw.strip() else None
        except ValueError:
            ex.request_body = raw.decode("utf-8", "replace")
            ex.response = ApiError(400, "Problems parsing JSON").response()
            return ex
        limit = self.search if path.startswith("/search/") else self.core
        faults = self.faults.take(method, path)
        for fault in faults:
            if fault.kind == "latency":
                time.sleep(fault.seconds)
        failure = next((f for f in faults if f.kind not in ("latency", "drop_after_write")), None)
        if failure is not None:
            ex.response = failure.error().response()
            ex.response.headers.update(limit.headers())
            return ex
        wait = self.content.admit() if method in WRITE_METHODS else None
        if wait is not None:
            ex.response = self.content.refusal(wait).response()
            ex.response.headers.update(limit.headers())
            return ex
        who = self.state.identity(_token(headers))
        counted = path != "/rate_limit" and limit.consume()
        if path != "/rate_limit" and not counted:
            user = self.state.user(who.login)
            ex.response = limit.exceeded(user.id if user else 0).response()
            return ex
        req = Request(method, path, query, ex.request_body, who.login, self.state, self.render)
        req.integration, req.accept = who.integration, headers.get("accept", "")
        ex.response = self.dispatch(req)
        ex.dropped = any(f.kind == "drop_after_write" for f in faults)
        if ex.response.status == 200 and method == "GET" and not ex.dropped:
            self._conditional(ex, headers, limit if counted else None)
        ex.response.headers.update(limit.headers())
        return ex

    def request_id(self) -> str:
        return f"5B00:{next(self._request_ids):08X}"

    def dispatch(self, req: Request) -> Response:
        try:
            route, params = self.router.match(req.method, req.path)
            req.params = params
            req.state = self._repository(params)
            req.render = self.render.for_repo(req.state)
            with self.state.lock:
                return route.handler(req)
        except ApiError as error:
            return error.response()
        except Exception:  # noqa: BLE001 - a sandbox bug must answer 500, as GitHub would
            traceback.print_exc(file=sys.stderr)
            return ApiError(500, "Server Error").response()

    def _repository(self, params: dict[str, str]) -> State:
        """The repository a `/repos/{owner}/{repo}` path names (404 if the sandbox has none
        such); the first repository for every other path."""
        if "owner" not in params:
            return self.state
        repo = self.state.org.repo(params["owner"], params.get("repo"))
        if repo is None:
            raise ApiError(404, "Not Found")
        return repo

    def _repository_path(self, match: re.Match[str]) -> str:
        """`/repositories/ID` (the form of GitHub's `Link` headers) -> `/repos/OWNER/NAME`."""
        repo = self.state.org.repo_by_id(int(match.group(0).rsplit("/", 1)[1]))
        return f"/repos/{(repo or self.state).full_name}"

    def _endpoint(self, method: str, path: str) -> str:
        """The route template, so counters group faulted and refused requests too."""
        try:
            return self.router.match(method, path)[0].template
        except ApiError:
            return "?"

    def _conditional(self, ex: Exchange, headers: dict[str, str], limit: RateLimit | None) -> None:
        payload = ex.response.raw if ex.response.raw is not None else _encode(ex.response.body)
        digest = hashlib.sha256(payload).hexdigest()[:40]
        etag = f'W/"{digest}"'
        ex.response.headers["ETag"] = etag
        modified = _last_modified(ex.response.body)
        if modified is not None:
            ex.response.headers["Last-Modified"] = format_datetime(modified, usegmt=True)
        wanted = headers.get("if-none-match")
        since = _http_date(headers.get("if-modified-since"))
        # As on GitHub, If-None-Match wins; If-Modified-Since counts only without it.
        fresh = (
            _etag_matches(wanted, digest)
            if wanted
            else (since is not None and modified is not None and modified <= since)
        )
        if fresh:
            validators = {"ETag": etag}
            if modified is not None:
                validators["Last-Modified"] = ex.response.headers["Last-Modified"]
            ex.response = Response(304, None, validators)
            if limit is not None:
                limit.refund()

    def record(self, ex: Exchange) -> None:
        self.counters.record(ex.method, ex.endpoint, ex.response.status)
        if self._log is None:
            return
        entry: dict[str, Any] = {
            "method": ex.method,
            "path": ex.path,
            "query": ex.query,
            "request_body": ex.request_body,
            "status": ex.response.status,
            "response_body": ex.response.body,
        }
        if ex.dropped:
            entry["dropped"] = True  # applied, but the client never saw this answer
        if ex.response.raw is not None:
            entry["media_type"] = ex.response.media_type  # not JSON: the body is left out
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self._log_lock:
            if self._log is not None:
                self._log.write(line)
                self._log.flush()


def _token(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") and value else None


def _last_modified(body: Any) -> datetime | None:
    """One resource's `updated_at`, to the second (an HTTP date has no finer unit)."""
    stamp = body.get("updated_at") if isinstance(body, dict) else None
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(microsecond=0)


def _http_date(header: str | None) -> datetime | None:
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _etag_matches(header: str, digest: str) -> bool:
    tags = [t.strip().removeprefix("W/").strip('"') for t in header.split(",")]
    return "*" in tags or digest in tags


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pmbot-sandbox"
    disable_nagle_algorithm = True  # headers and body go out as two writes
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        app = self.server.app
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        ex = app.handle(self.command, self.path, headers, raw)
        app.record(ex)
        if ex.dropped:
            self.close_connection = True
            self.connection.close()
            return
        self._send(ex.response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        has_body = response.status not in (204, 304) and response.body is not None
        data = _encode(response.body) if has_body else b""
        if response.raw is not None and response.status not in (204, 304):
            data = response.raw
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
        self.send_header("X-GitHub-Request-Id", self.server.app.request_id())
        if response.status not in (204, 304):
            self.send_header("Content-Type", f"{response.media_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the JSON log (`log_path`) is the record of what happened."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: App


class Sandbox:
    """A running sandbox. `with Sandbox(repo="acme/web") as sb:` then point PyGithub at
    `sb.base_url`; seed through `sb.state` or the `seed_*` shortcuts."""

    def __init__(
        self,
        repo: str = "acme/web",
        log_path: str | Path | None = None,
        port: int = 0,
        default_branch: str = "main",
        clock: Clock | None = None,
        rate_limit: int = 5000,
        search_rate_limit: int = 30,
        writes_per_minute: int | None = None,
        writes_per_hour: int | None = None,
        users: Iterable[str | UserToken] = (),
        apps: Iterable[str | AppToken] = (),
        actions_token: str | None = None,
    ) -> None:
        self.state = State(repo, default_branch, clock)
        # users/apps take the CLI's LOGIN=TOKEN[:ASSOCIATION] and SLUG=TOKEN (see tokens.py)
        declare(self.state, users, apps, actions_token)
        # PMBOT_SANDBOX_LOG lets a whole test run append every sandbox's exchanges to one
        # file, so the suite's traffic can be checked against GitHub's OpenAPI description.
        log_path = log_path or os.environ.get("PMBOT_SANDBOX_LOG") or None
        self.app = App(self.state, log_path, rate_limit, search_rate_limit)
        self.app.content = ContentLimits(writes_per_minute, writes_per_hour)
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.seed_issue = self.state.seed_issue
        self.seed_issues = self.state.seed_issues
        self.seed_comment = self.state.seed_comment
        self.seed_label = self.state.seed_label
        self.seed_user = self.state.seed_user
        self.seed_app = self.state.seed_app
        self.seed_file = self.state.seed_file
        self.seed_files = self.state.seed_files
        self.create_branch = self.state.create_branch

    @property
    def org(self) -> Org:
        """The owner's level: `sb.org.add_repo("api")`, `sb.org.install_app(...)`,
        `sb.org.seed_project(...)`, `sb.org.seed_issue_type(...)`, `seed_issue_field`."""
        return self.state.org

    @property
    def faults(self) -> Faults:
        return self.app.faults

    @property
    def counters(self) -> Counters:
        return self.app.counters

    @property
    def rate(self) -> RateLimit:
        """The `core` primary rate limit; `sb.rate.set_remaining(0)` simulates exhaustion."""
        return self.app.core

    @property
    def content_limits(self) -> ContentLimits:
        """Secondary limits on writes; e.g. `sb.content_limits.per_minute = 80`."""
        return self.app.content

    @property
    def search_rate(self) -> RateLimit:
        return self.app.search

    @property
    def base_url(self) -> str:
        """The API root, e.g. http://127.0.0.1:PORT (PyGithub's `base_url`)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() or use `with`")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Sandbox:
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.app = self.app
        self._server = server
        self.app.render = Renderer(self.state, self.base_url)
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self.app.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    port: int,
    log: str | None,
    repo: str,
    users: Iterable[str | UserToken] = (),
    apps: Iterable[str | AppToken] = (),
    actions_token: str | None = None,
    more_repos: Iterable[str] = (),
) -> int:
    """Run a sandbox until interrupted; prints its base URL (one line) once it is ready.
    `more_repos` names further repositories of the same owner."""
    sandbox = Sandbox(
        repo=repo, log_path=log, port=port, users=users, apps=apps, actions_token=actions_token
    )
    for name in more_repos:
        sandbox.org.add_repo(name)
    sandbox.start()
    print(sandbox.base_url, flush=True)
    stopped = threading.Event()
    # `kill` (SIGTERM) stops it as Ctrl-C does: a job started in the background by a shell
    # script inherits SIGINT ignored, so SIGTERM is the signal that always arrives.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0
