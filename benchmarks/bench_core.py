"""Parse, review and render a maximal postmortem; index 10,000 documents.

A maximal postmortem is the largest pmbot accepts: a 64 KiB body with 25 action items and
100 timeline rows. Run: `make bench` or `.venv/bin/python benchmarks/bench_core.py`.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pmbot.app.forms import postmortem_form
from pmbot.core.config import default_config
from pmbot.core.forms import parse_body
from pmbot.core.reading import read_postmortem
from pmbot.core.review import review
from pmbot.render import library
from pmbot.render.document import document_path, render_document

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 64 * 1024


def _section(body: str, heading: str, text: str) -> str:
    pattern = re.compile(rf"(### {re.escape(heading)}\n\n)(.*?)(\n\n### )", re.DOTALL)
    return pattern.sub(lambda m: m.group(1) + text + m.group(3), body, count=1)


def maximal_body() -> str:
    body = (ROOT / "examples" / "postmortem-issue.md").read_text(encoding="utf-8")
    start = datetime(2026, 11, 3, 14, 2, tzinfo=UTC)
    rows = [
        f"| {(start + timedelta(minutes=i)):%H:%M} | Step {i}: the on-call engineer checked "
        f"dashboards, paged the database owner and posted an update in the incident channel |"
        for i in range(100)
    ]
    body = _section(body, "Timeline", "| Time (UTC) | Event |\n|---|---|\n" + "\n".join(rows))
    items = [
        f"| Add an automated check number {i} that rejects unsafe pool sizes in CI | @jchen "
        f"| P{i % 4} | 2027-0{1 + i % 9}-15 | prevent | CI fails on a pool below 100 ({i}) | CF1 |"
        for i in range(25)
    ]
    header = (
        "| What | Owner | Priority | Due | Type | Success | Addresses |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    body = _section(body, "Action items", header + "\n".join(items))
    filler = " ".join(
        ["The team followed the runbook and the checkout error rate recovered."] * 2000
    )
    room = MAX_BYTES - len(body.encode()) - 64
    return _section(body, "What went well", filler[: max(room, 0)])


def best_of(runs: int, fn: Callable[[], object]) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1000, statistics.median(times) * 1000


def bench_postmortem() -> None:
    config = default_config()
    body = maximal_body()
    form = postmortem_form()
    result = read_postmortem(body, config, form=form)
    pm = result.postmortem
    print(
        f"maximal postmortem: {len(body.encode()):,} bytes, {len(pm.action_items)} action items, "
        f"{len(pm.timeline)} timeline rows, {len(result.findings)} findings"
    )
    for name, fn in (
        ("parse form", lambda: parse_body(form, body)),
        ("parse + validate + build model", lambda: read_postmortem(body, config, form=form)),
        ("review", lambda: review(pm, config)),
        ("render document", lambda: render_document(pm, findings=list(result.findings))),
    ):
        best, median = best_of(20, fn)
        print(f"  {name:32s} best {best:7.2f} ms   median {median:7.2f} ms")


def fake_document(i: int) -> tuple[str, str]:
    day = date(2020, 1, 1) + timedelta(days=i % 2500)
    text = (
        "---\n"
        f"pmbot: 1\ntitle: Incident {i}\ndate: '{day.isoformat()}'\nseverity: SEV-{1 + i % 4}\n"
        f"status: final\nservices: [svc-{i % 37}, svc-{i % 11}]\ntags: [tag-{i % 23}]\n"
        f"categories: [technical]\nissue: {i}\n---\n\n# Incident {i}\n\nBody text.\n"
    )
    return f"{day.year}/{day.isoformat()}-incident-{i}.md", text


def bench_index(n: int = 10_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp)
        for i in range(n):
            rel, text = fake_document(i)
            path = docs / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        t0 = time.perf_counter()
        entries = library.write_index(docs)
        elapsed = time.perf_counter() - t0
        print(
            f"index {len(entries):,} documents (read front matter, write README.md + index.json): "
            f"{elapsed:.2f} s"
        )
        pm = read_postmortem(maximal_body(), default_config(), form=postmortem_form()).postmortem
        t0 = time.perf_counter()
        similar = library.similar_incidents(pm, entries, window_days=180)
        print(
            f"similar incidents over {len(entries):,} documents: "
            f"{(time.perf_counter() - t0) * 1000:.1f} ms ({len(similar)} found)"
        )
        _ = document_path(pm)


if __name__ == "__main__":
    bench_postmortem()
    bench_index()
