"""The command line: the only place that knows about argv, the environment and files.

Each command is a small function that takes explicit arguments and returns an exit code.
Exit codes: 0 success; 1 a user-facing error (names the field, the line and the fix);
2 usage errors (argparse); 3 an unexpected failure, traceback shown.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pmbot import __version__
from pmbot.errors import PmbotError, Problem

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


def read_text(path: str, *, what: str) -> str:
    """A user's file as text, or a PmbotError that says which file and how to fix it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PmbotError(
            [Problem(what, f"file {path!r} does not exist.", "check the path.")]
        ) from None
    except UnicodeDecodeError as exc:
        raise PmbotError(
            [Problem(what, f"{path!r} is not UTF-8 text ({exc.reason}).", "save it as UTF-8.")]
        ) from None
    except OSError as exc:
        raise PmbotError(
            [Problem(what, f"cannot read {path!r}: {exc.strerror}.", "check the path.")]
        ) from None


def parse_now(text: str | None) -> datetime:
    """`--now`: an ISO 8601 instant (UTC when no offset is given); defaults to the real clock."""
    from pmbot.core.timestamps import parse_iso

    if text is None:
        return datetime.now(UTC)
    try:
        return parse_iso(text)
    except ValueError:
        raise PmbotError(
            [
                Problem(
                    "--now",
                    f"{text!r} is not an ISO 8601 date or time.",
                    "use e.g. 2026-11-23T09:00Z.",
                )
            ]
        ) from None


def _cmd_form_parse(args: argparse.Namespace) -> int:
    from pmbot.app.offline import form_parse

    return form_parse(read_text(args.form, what="--form"), read_text(args.body, what="--body"))


def _cmd_render(args: argparse.Namespace) -> int:
    from pmbot.app.offline import render

    form = read_text(args.form, what="--form") if args.form else None
    return render(
        read_text(args.body, what="--body"),
        form_text=form,
        out_dir=Path(args.out) if args.out else None,
        config_path=_config_path(args),
    )


def _cmd_review(args: argparse.Namespace) -> int:
    from pmbot.app.offline import review

    form = read_text(args.form, what="--form") if args.form else None
    return review(
        read_text(args.body, what="--body"), form_text=form, config_path=_config_path(args)
    )


def _cmd_index(args: argparse.Namespace) -> int:
    from pmbot.app.offline import index

    return index(Path(args.docs_dir))


def _cmd_intake(args: argparse.Namespace) -> int:
    now = parse_now(args.now)
    from pmbot.app.intake import intake

    return intake(
        os.environ,
        issue=args.issue,
        dry_run=args.dry_run,
        now=now,
        config_path=_config_path(args),
    )


def _cmd_event(args: argparse.Namespace) -> int:
    now = parse_now(args.now)
    from pmbot.app.event import event

    return event(os.environ, dry_run=args.dry_run, now=now, config_path=_config_path(args))


def _cmd_sweep(args: argparse.Namespace) -> int:
    now = parse_now(args.now)
    if not args.org and (args.shard or args.results):
        flag = "--shard" if args.shard else "--results"
        print(f"pmbot sweep: error: {flag} needs --org OWNER (an organisation's sweep)",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    if args.org:
        from pmbot.app.sweep_org import sweep_org

        return sweep_org(
            os.environ,
            args.org,
            dry_run=args.dry_run,
            now=now,
            config_path=_config_path(args),
            shard=args.shard,
            results=Path(args.results) if args.results else None,
        )
    from pmbot.app.sweep import sweep

    return sweep(os.environ, dry_run=args.dry_run, now=now, config_path=_config_path(args))


def _cmd_labels(args: argparse.Namespace) -> int:
    from pmbot.app.labels import labels

    return labels(os.environ, dry_run=args.dry_run, config_path=_config_path(args))


def _cmd_report(args: argparse.Namespace) -> int:
    now = parse_now(args.now)
    if args.org:
        from pmbot.app.report_org import report_org

        return report_org(
            os.environ,
            args.org,
            fmt=args.format,
            now=now,
            post=args.post,
            config_path=_config_path(args),
            dry_run=args.dry_run,
            sweep_results=Path(args.sweep_results) if args.sweep_results else None,
        )
    if args.sweep_results:
        print("pmbot report: error: --sweep-results needs --org OWNER", file=sys.stderr)
        return EXIT_USAGE
    from pmbot.app.report import report

    return report(
        os.environ,
        fmt=args.format,
        now=now,
        post=args.post,
        config_path=_config_path(args),
        dry_run=args.dry_run,
    )


def _cmd_agenda(args: argparse.Namespace) -> int:
    now = parse_now(args.now)
    from pmbot.app.report import agenda

    return agenda(os.environ, now=now, config_path=_config_path(args))


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from pmbot.sandbox import serve

    repos = args.repo or ["acme/web"]
    owners = {r.partition("/")[0].lower() for r in repos}
    if len(owners) > 1 or len({r.lower() for r in repos}) < len(repos):
        print("pmbot sandbox: each --repo once, all of the same owner", file=sys.stderr)
        return 2
    return serve(
        port=args.port,
        log=args.log,
        repo=repos[0],
        more_repos=[r.partition("/")[2] for r in repos[1:]],
        users=args.user,
        apps=args.app,
        actions_token=args.actions_token,
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    now = parse_now(args.now) if args.now else None
    if args.org:
        from pmbot.app.demo_org import run_demo_org

        return run_demo_org(Path(args.out or "demo-output-org"), now=now)
    from pmbot.app.demo import run_demo

    return run_demo(Path(args.out or "demo-output"), now=now)


def _cmd_init(args: argparse.Namespace) -> int:
    from pmbot.app.init import init, print_result

    return print_result(init(Path(args.dir), action=args.action, force=args.force, org=args.org))


def _config_path(args: argparse.Namespace) -> Path | None:
    if args.config:
        return Path(args.config)
    from pmbot.core.config import CONFIG_PATH

    default = Path(CONFIG_PATH)
    return default if default.is_file() else None


def _declared(kind: str) -> Callable[[str], object]:
    """An argparse `type=` for `--user`/`--app`: a malformed value is a usage error (exit 2)."""

    def convert(text: str) -> object:
        from pmbot.sandbox.tokens import parse_app, parse_user

        try:
            return parse_user(text) if kind == "user" else parse_app(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _shard(text: str) -> object:
    """An argparse `type=` for `--shard K/N`: a bad value is a usage error (exit 2)."""
    from pmbot.errors import PmbotError
    from pmbot.flows.shard import Shard

    try:
        return Shard.parse(text)
    except PmbotError as exc:
        (problem,) = exc.problems
        raise argparse.ArgumentTypeError(f"{problem.message} Fix: {problem.fix}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pmbot", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"pmbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, handler: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        p.add_argument("--config", help="pmbot config (default: .github/pmbot.yml when present)")
        return p

    form = sub.add_parser("form", help="issue-form tools").add_subparsers(
        dest="form_cmd", required=True
    )
    p = form.add_parser(
        "parse", help="an issue body → JSON {field id: value}, driven by the form YAML"
    )
    p.set_defaults(handler=_cmd_form_parse)
    p.add_argument("--form", required=True, help="the issue form YAML")
    p.add_argument("--body", required=True, help="the issue body as GitHub rendered it")

    p = command("render", _cmd_render, "a postmortem issue body → the Markdown document")
    p.add_argument("--body", required=True)
    p.add_argument("--form", help="the postmortem form (default: the shipped one)")
    p.add_argument("--out", help="write under DIR at the library path instead of stdout")

    p = command("review", _cmd_review, "review findings for a postmortem issue body, as Markdown")
    p.add_argument("--body", required=True)
    p.add_argument("--form", help="the postmortem form (default: the shipped one)")

    p = command("index", _cmd_index, "rebuild the library index (README.md, index.json)")
    p.add_argument("docs_dir", metavar="DOCS_DIR")

    for name, handler, help_ in (
        ("intake", _cmd_intake, "process one postmortem issue on GitHub"),
        ("sweep", _cmd_sweep, "the scheduled follow-up job over open action items"),
        ("event", _cmd_event, "handle the GitHub Actions event in GITHUB_EVENT_PATH"),
    ):
        p = command(name, handler, help_)
        if name == "intake":
            p.add_argument("--issue", type=int, required=True, metavar="N")
        if name == "sweep":
            p.add_argument(
                "--org",
                metavar="OWNER",
                help="every repository of OWNER with pmbot installed (org.repositories, or an "
                "App installation's), read through search",
            )
            p.add_argument(
                "--shard",
                type=_shard,
                metavar="K/N",
                help="with --org: only the repositories of shard K of N (by a hash of the "
                "name), for a job matrix; the run's write budget is the shard's",
            )
            p.add_argument(
                "--results",
                metavar="FILE",
                help="with --org: write what the run did as JSON (see the README's schema)",
            )
        p.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
        p.add_argument("--now", metavar="ISO", help="the clock (default: now)")

    p = command("labels", _cmd_labels, "create the labels pmbot and its forms use, if missing")
    p.add_argument("--dry-run", action="store_true", help="list what would be created")

    p = command("report", _cmd_report, "program metrics")
    p.add_argument("--now", metavar="ISO")
    p.add_argument("--format", choices=("md", "json", "csv"), default="md")
    p.add_argument("--post", action="store_true", help="also update the report issue on GitHub")
    p.add_argument(
        "--org",
        metavar="OWNER",
        help="every repository of OWNER with a .github/pmbot.yml (org.repositories, or an "
        "App installation's), read through search; --post keeps the report issue and the "
        "central library index in org.central_repository",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="with --post: print the plan, write nothing"
    )
    p.add_argument(
        "--sweep-results",
        metavar="DIR",
        help="with --org: the shards' `sweep --org --results` files (*.json in DIR), said "
        "in the run summary; exit 1 when a shard is missing or failed",
    )

    p = command(
        "agenda", _cmd_agenda, "the weekly review's agenda: due soon, overdue, awaiting review"
    )
    p.add_argument("--now", metavar="ISO", help="the clock (default: now)")

    p = sub.add_parser("sandbox", help="serve the local GitHub sandbox on 127.0.0.1")
    p.set_defaults(handler=_cmd_sandbox)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", help="append one JSON line per exchange to FILE")
    p.add_argument(
        "--repo",
        action="append",
        metavar="OWNER/NAME",
        help="the repository (default acme/web); repeat for more of the same owner",
    )
    p.add_argument(
        "--user",
        action="append",
        default=[],
        type=_declared("user"),
        metavar="LOGIN=TOKEN[:ASSOCIATION]",
        help="a personal token acting as LOGIN (association default COLLABORATOR); repeatable",
    )
    p.add_argument(
        "--app",
        action="append",
        default=[],
        type=_declared("app"),
        metavar="SLUG=TOKEN",
        help="a GitHub App installation token acting as SLUG[bot]; repeatable",
    )
    p.add_argument(
        "--actions-token",
        metavar="TOKEN",
        help="the token that acts as the Actions GITHUB_TOKEN (github-actions[bot]); "
        "undeclared ghs_… tokens do too",
    )

    p = sub.add_parser("demo", help="the whole flow against a sandbox it starts itself")
    p.set_defaults(handler=_cmd_demo)
    p.add_argument(
        "--out",
        help="folder for the document, index and report (default demo-output, or "
        "demo-output-org with --org)",
    )
    p.add_argument("--now", metavar="ISO", help="the demo's starting clock")
    p.add_argument(
        "--org",
        action="store_true",
        help="the organisation's flow: two teams' repositories, one Projects board, one report "
        "and one central library index",
    )

    p = sub.add_parser(
        "init", help="install the issue forms, workflows and config into a repository"
    )
    p.set_defaults(handler=_cmd_init)
    p.add_argument("dir", nargs="?", default=".", metavar="DIR")
    p.add_argument(
        "--action",
        metavar="OWNER/REPO@SHA",
        help="the pmbot action the workflows run, pinned by its 40-hex commit SHA "
        "(default: the one the installed workflows already name)",
    )
    p.add_argument("--force", action="store_true", help="overwrite files pmbot installed before")
    p.add_argument(
        "--org",
        action="store_true",
        help="also the organisation's workflow (sharded sweep --org, then report --org), "
        "for the organisation's home repository",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except PmbotError as exc:
        print(f"pmbot: error: {exc.render()}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left (`pmbot init | head`): stop quietly, and keep Python from failing
        # again when it flushes stdout at exit.
        # https://docs.python.org/3/library/signal.html#note-on-sigpipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command killed by it
    except Exception:  # noqa: BLE001 — the one place unexpected failures become exit 3
        traceback.print_exc()
        print(
            "pmbot: unexpected failure; please report it with the traceback above.", file=sys.stderr
        )
        return EXIT_BUG
    return code


if __name__ == "__main__":
    sys.exit(main())
