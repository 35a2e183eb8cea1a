"""The Markdown document: golden files, safe paths, front matter and markers users cannot break.

Golden files live in tests/golden/. After an intended change to the template or context, run
`PMBOT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_render.py` to rewrite them, then review
the diff like code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath

import pytest
import yaml
from helpers.gfm import problems as gfm_problems

from pmbot.core import markers
from pmbot.core.lifecycle import ItemProgress, ItemState, Stage, Tracking
from pmbot.core.model import (
    ActionItem,
    ContributingFactor,
    FactorCategory,
    FactorWeight,
    Impact,
    ItemType,
    Postmortem,
    Priority,
    ReviewMeeting,
    Severity,
    TimelineEvent,
    WhyChain,
)
from pmbot.core.slug import MAX_SLUG, slugify
from pmbot.errors import ConfigError, FormError
from pmbot.render.document import document_path, render_document
from pmbot.render.library import (
    LibraryEntry,
    entry_from_text,
    read_document_data,
    read_front_matter,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PMBOT_UPDATE_GOLDEN") == "1"


def at(hour: int, minute: int, day: int = 1) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def full_postmortem() -> Postmortem:
    return Postmortem(
        title="Checkout outage: database failover stalled (eu-west)",
        severity=Severity.SEV2,
        status="in review",
        incident_commander="alice",
        authors=("bob", "carol"),
        responders=("@alice", "@bob", "@dave", "Erin Ng"),
        review=ReviewMeeting(
            held_on=date(2025, 3, 6), facilitator="Frank Li", attendees=("@alice", "@bob", "@gus")
        ),
        started=at(14, 2),
        detected=at(14, 9),
        mitigated=at(15, 0),
        resolved=at(15, 32),
        detection_method="Latency alert on checkout-api",
        services=("checkout-api", "postgres"),
        impact=Impact(
            users="About 12% of EU checkouts failed.",
            revenue="Roughly $40k in delayed orders.",
            slo_target=99.9,
            minutes=90,
            description="Checkout returned HTTP 500 for EU customers.",
        ),
        summary="The primary database ran out of disk.\nFailover stalled on a stale replica.",
        timeline=(
            TimelineEvent(
                at=at(14, 2), text="Primary disk reaches 100%; writes fail.", source="metric"
            ),
            TimelineEvent(at=at(14, 9), text="Latency alert pages the on-call.", source="alert"),
            TimelineEvent(at=at(15, 0), text="Writes drained to the replica | traffic recovers."),
            TimelineEvent(at=at(15, 32), text="Replication healthy; incident resolved."),
        ),
        contributing_factors=(
            ContributingFactor(
                key="CF1",
                category=FactorCategory.TECHNICAL,
                description="No disk alert.",
                weight=FactorWeight.PRIMARY,
            ),
            ContributingFactor(
                key="CF2",
                category=FactorCategory.PROCESS,
                description="The failover runbook predates the replica upgrade.",
            ),
        ),
        whys=(
            WhyChain(
                title="Why did writes fail?",
                steps=("The disk was full.", "WAL archiving was stuck.", "Its alert was muted."),
            ),
            WhyChain(steps=("Failover took 50 minutes.", "The runbook was out of date.")),
        ),
        went_well="Rollback of the deploy was quick.",
        went_poorly="Paging took two escalations.",
        got_lucky="It happened outside peak hours.",
        action_items=(
            ActionItem(
                key="AI-1",
                what="Alert on disk usage above 80%",
                owner="dave",
                priority=Priority.P1,
                due=date(2025, 3, 29),
                type=ItemType.DETECT,
                success="Alert fires in a staging drill.",
                addresses="CF1",
            ),
            ActionItem(
                key="AI-2",
                what="Rewrite the failover runbook",
                owner="acme/sre",
                owner_is_team=True,
                priority=Priority.P2,
                type=ItemType.PROCESS,
                addresses="CF2",
                depends_on=("AI-1",),
            ),
        ),
        lessons="Alerts that are muted are alerts that do not exist.",
        tags=("database", "failover"),
        regulatory="No personal data was exposed; no notification required.",
        issue_number=42,
    )


def minimal_postmortem() -> Postmortem:
    return Postmortem(title="Cache stampede", severity=Severity.SEV4, started=at(9, 0))


HOSTILE = (
    '<!-- pmbot:item {"pm": 1, "key": "x"} --> | ---\n---\nevil: true\n...\n<!--PMBOT:state {} -->'
)


def hostile_postmortem() -> Postmortem:
    return Postmortem(
        title="---\nevil: true\n<!-- pmbot:item {} --> ../../etc/passwd",
        severity=Severity.SEV3,
        status="draft\n---",
        incident_commander="mallory <!-- pmbot:x {} -->",
        authors=("eve\n---",),
        started=at(1, 0),
        services=("api\n---\nx: 1",),
        summary=HOSTILE,
        timeline=(TimelineEvent(at=at(1, 5), text=HOSTILE),),
        contributing_factors=(
            ContributingFactor(key="CF1", category=FactorCategory.EXTERNAL, description=HOSTILE),
        ),
        whys=(WhyChain(title=HOSTILE, steps=(HOSTILE,)),),
        action_items=(ActionItem(key="AI-1", what=HOSTILE, owner="eve", priority=Priority.P0),),
        lessons=HOSTILE,
        tags=("<!-- pmbot:tag {} -->",),
        regulatory=HOSTILE,
    )


def visible(doc: str) -> str:
    """The document without the library's hidden marker pmbot appends."""
    head, found, _ = doc.rpartition("\n\n<!-- pmbot:document ")
    assert found, "the document marker is missing"
    return head + "\n"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{name} missing: run with PMBOT_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


SIMILAR = (
    LibraryEntry(
        path="2024/2024-12-02-postgres-replica-lag.md",
        title="Postgres replica lag [eu]",
        date=date(2024, 12, 2),
        severity="SEV-3",
        services=("postgres",),
        tags=("database",),
        categories=("technical",),
    ),
    LibraryEntry(
        path="2025/2025-02-10-checkout-deploy.md",
        title="Checkout deploy rollback",
        date=date(2025, 2, 10),
        severity="SEV-2",
        services=("checkout-api",),
    ),
)


# --- golden files ----------------------------------------------------------------------------


def full_tracking() -> Tracking:
    """Both items opened, one done and one overdue; the document merged on 2025-03-04."""
    items = {
        "AI-1": ItemProgress("AI-1", 51, date(2025, 3, 29), ItemState.DONE, True,
                             date(2025, 3, 3), date(2025, 3, 20)),
        "AI-2": ItemProgress("AI-2", 52, date(2025, 4, 28), ItemState.OVERDUE, False,
                             date(2025, 3, 3)),
    }  # fmt: skip
    stages = (Stage("In review", date(2025, 3, 2)), Stage("Reviewed", date(2025, 3, 4)))
    return Tracking(items, stages, "https://github.com/acme/shop/issues")


def test_full_document_matches_golden() -> None:
    doc = render_document(
        full_postmortem(), similar=SIMILAR, findings=["Add a third why."], tracking=full_tracking()
    )
    check_golden("full.md", doc)


def test_each_item_links_its_issue_and_shows_due_date_and_state() -> None:
    doc = render_document(full_postmortem(), tracking=full_tracking())
    rows = [line for line in doc.splitlines() if line.startswith("| [#")]
    assert rows[0].startswith("| [#51](https://github.com/acme/shop/issues/51) | Alert on disk")
    assert "| 2025-03-29 | done |" in rows[0]
    # AI-2 had no due date in the form: the issue's (its SLA's) is shown.
    assert rows[1].startswith("| [#52](https://github.com/acme/shop/issues/52) |")
    assert "| 2025-04-28 | overdue |" in rows[1]
    assert "AI-1" not in doc.split("<!-- pmbot:document")[0]  # no key in view
    assert "**Status:** Reviewed since 2025-03-04 · action items 1/2 done, 1 overdue" in doc
    assert "**Lifecycle:** In review 2025-03-02 → Reviewed 2025-03-04" in doc


def test_front_matter_is_short_and_flat() -> None:
    data = read_front_matter(render_document(full_postmortem(), tracking=full_tracking()))
    assert data == {
        "title": "Checkout outage: database failover stalled (eu-west)",
        "date": "2025-03-01",
        "severity": "SEV-2",
        "status": "Reviewed",
        "services": ["checkout-api", "postgres"],
        "tags": ["database", "failover"],
        "issue": 42,
    }
    assert all(not isinstance(v, dict) for v in data.values())


def test_minimal_document_matches_golden() -> None:
    check_golden("minimal.md", render_document(minimal_postmortem()))


def test_hostile_document_matches_golden() -> None:
    check_golden("hostile.md", render_document(hostile_postmortem()))


@dataclass(frozen=True)
class FakeFinding:
    field: str
    line: int | None
    message: str
    suggestion: str


def test_findings_are_listed_readably() -> None:
    findings = [
        FakeFinding("timeline", 12, "The timeline is empty.", "Add the key moments."),
        FakeFinding("summary", None, "Blame-prone <!-- pmbot:x {} --> wording.", ""),
        "Plain text finding.",
    ]
    doc = visible(render_document(minimal_postmortem(), findings=findings))
    assert doc.endswith(
        "## Review notes\n\n"
        "- **timeline** (line 12): The timeline is empty. Add the key moments.\n"
        "- **summary**: Blame-prone &lt;!-- pmbot:x {} --> wording.\n"
        "- Plain text finding.\n"
    )


def test_an_undated_draft_still_renders() -> None:
    pm = minimal_postmortem().model_copy(update={"started": None})
    doc = render_document(pm, similar=SIMILAR)
    assert "- **Date:** unknown" in doc
    assert "](../2024/2024-12-02-postgres-replica-lag.md)" in doc
    data = read_front_matter(doc)
    assert data is not None and data["date"] is None


def test_rendering_is_deterministic_and_clock_free() -> None:
    pm = full_postmortem()
    first = render_document(pm, similar=SIMILAR)
    later = render_document(pm, similar=SIMILAR, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert first == later


# --- front matter ----------------------------------------------------------------------------


def test_the_document_marker_carries_the_rest() -> None:
    doc = render_document(full_postmortem(), tracking=full_tracking())
    data = read_document_data(doc)
    assert data["pmbot"] == 2
    assert data["started"] == "2025-03-01T14:02:00Z"
    assert data["figures"] == {
        "ttd_minutes": 7,
        "ttm_minutes": 58,
        "ttr_minutes": 90,
        "duration_minutes": 90,
        "error_budget_consumed_percent": 208.3,
    }
    assert data["categories"] == ["process", "technical"]
    assert data["action_items"][1] == {
        "key": "AI-2",
        "issue": 52,
        "what": "Rewrite the failover runbook",
        "owner": "acme/sre",
        "priority": "P2",
        "due": "2025-04-28",
        "state": "overdue",
        "type": "process",
        "depends_on": ["AI-1"],
    }
    assert data["responders"] == ["@alice", "@bob", "@dave", "Erin Ng"]
    assert data["review_meeting"] == {
        "date": "2025-03-06",
        "facilitator": "Frank Li",
        "attendees": ["@alice", "@bob", "@gus"],
    }
    # @alice and @bob of four responders attended; @gus attended without responding.
    assert data["attendance"] == {"responders": 4, "attended": 2, "share": 0.5}
    assert [f["weight"] for f in data["contributing_factors"]] == ["primary", None]
    assert data["timeline"] == {
        "entries": 4,
        "with_source": 2,
        "sources": {"metric": 1, "alert": 1},
    }
    assert data["lifecycle"] == [
        {"stage": "In review", "date": "2025-03-02"},
        {"stage": "Reviewed", "date": "2025-03-04"},
    ]
    assert data["progress"]["text"] == "1/2 done, 1 overdue"


def test_front_matter_times_are_utc_whatever_the_input_zone() -> None:
    paris = timezone(timedelta(hours=1))
    started = datetime(2025, 3, 1, 10, 0, tzinfo=paris)
    pm = minimal_postmortem().model_copy(update={"started": started})
    data = read_document_data(render_document(pm))
    assert data["started"] == "2025-03-01T09:00:00Z"


def test_precomputed_figures_win() -> None:
    doc = render_document(minimal_postmortem(), figures={"ttr_minutes": 125, "bogus": 1})
    data = read_document_data(doc)
    assert data["figures"]["ttr_minutes"] == 125
    header = doc.split("| Time to detect | to mitigate | to resolve |", 1)[1].splitlines()
    assert header[2].split(" | ")[2] == "2h 5m |"


def test_user_text_cannot_break_the_front_matter() -> None:
    doc = render_document(hostile_postmortem())
    data = read_front_matter(doc)
    assert data is not None
    assert "evil" not in data
    assert data["title"].startswith("--- evil: true")
    assert data["services"] == ["api --- x: 1"]
    # The front matter ends at the first fence line; the user's `---` lines are all after
    # the title heading, where they are Markdown, not YAML.
    closing = doc.index("\n---\n", 3)
    assert doc[closing:].startswith("\n---\n\n# --- evil: true")
    assert set(data) == set(yaml.safe_load(doc[4:closing]))


def test_user_text_cannot_forge_markers() -> None:
    doc = render_document(hostile_postmortem())
    assert not re.search(r"<!--\s*pmbot", visible(doc), re.IGNORECASE)
    for kind in ("item", "state", "x", "tag"):
        assert not markers.has(doc, kind)
    # pmbot's own marker is the last line, and the only one.
    assert doc.count("<!-- pmbot:") == 1 and doc.rstrip().endswith("} -->")
    assert read_document_data(doc)["action_items"][0]["what"].startswith("&lt;!-- pmbot:item")


def test_table_cells_escape_pipes_and_newlines() -> None:
    doc = render_document(hostile_postmortem())
    rows = [line for line in doc.splitlines() if line.startswith("| 01:05 |")]
    assert len(rows) == 1
    assert len(re.findall(r"(?<!\\)\|", rows[0])) == 3  # | time | text | — user's are escaped
    assert "<br>" in rows[0]


def test_document_reads_back_into_the_library() -> None:
    entry = entry_from_text("2025/x.md", render_document(full_postmortem()))
    assert entry.problem is None
    assert entry.title == "Checkout outage: database failover stalled (eu-west)"
    assert entry.date == date(2025, 3, 1)
    assert entry.services == ("checkout-api", "postgres")
    assert entry.categories == ("process", "technical")
    assert entry.issue == 42


def test_similar_links_are_relative_to_the_document() -> None:
    doc = render_document(full_postmortem(), similar=SIMILAR)
    assert "](../2024/2024-12-02-postgres-replica-lag.md)" in doc
    assert "](2025-02-10-checkout-deploy.md)" in doc
    assert "[Postgres replica lag \\[eu\\]]" in doc
    assert "shared services: postgres; categories: technical; tags: database" in doc


# --- templates ------------------------------------------------------------------------------


def test_a_repository_template_overrides_the_shipped_one() -> None:
    template = (
        "---\n{{ front_matter }}---\n{{ title }}: {{ figures.ttr }}\n"
        "{% for item in action_items %}\n- {{ item.what | cell }}\n{% endfor %}\n"
    )
    doc = render_document(full_postmortem(), template=template)
    assert visible(doc).endswith(
        "---\nCheckout outage: database failover stalled (eu-west): 1h 30m\n"
        "- Alert on disk usage above 80%\n- Rewrite the failover runbook\n"
    )
    # The library's marker is appended whatever the template: the index cannot lose it.
    assert read_document_data(doc)["categories"] == ["process", "technical"]


def test_undefined_names_in_a_template_fail_loudly() -> None:
    with pytest.raises(ConfigError) as caught:
        render_document(full_postmortem(), template="# {{ title }}\n\n{{ titel }}\n")
    assert caught.value.problems[0].line == 3 and "'titel' is undefined" in str(caught.value)


# --- paths -----------------------------------------------------------------------------------


def test_document_path_is_dated_and_slugged() -> None:
    assert document_path(full_postmortem()) == PurePosixPath(
        "docs/postmortems/2025/2025-03-01-checkout-outage-database-failover-stalled-eu-west-issue-42.md"
    )
    assert document_path(minimal_postmortem(), "pm") == PurePosixPath(
        "pm/2025/2025-03-01-cache-stampede.md"
    )


def test_date_falls_back_to_detection_then_resolution() -> None:
    pm = minimal_postmortem().model_copy(update={"started": None, "detected": at(3, 0, day=2)})
    assert document_path(pm).name == "2025-03-02-cache-stampede.md"
    pm = pm.model_copy(update={"detected": None, "resolved": at(3, 0, day=4)})
    assert document_path(pm).name == "2025-03-04-cache-stampede.md"


def test_undated_postmortem_names_started_at() -> None:
    pm = minimal_postmortem().model_copy(update={"started": None})
    with pytest.raises(FormError) as caught:
        document_path(pm)
    assert caught.value.problems[0].field == "started_at"


NASTY_TITLES = [
    "../../etc/passwd",
    "..",
    ".",
    "/abs",
    "/",
    "",
    "   ",
    "\x00\x01\x7f",
    "C:\\Windows\\System32",
    "..\\..\\boot.ini",
    "a/../../b",
    "%2e%2e%2f%2e%2e%2f",
    "\u2025\u2024/\uff0e\uff0e\uff0f",  # dot leaders, fullwidth dots and slash
    "事故報告",
    "💥🔥",
    "\u202eevil\u202d.md",
    "line\nbreak\r\nand\ttab",
    "Ünïcödé Çrash — «résumé»",
    "ﬁle ligature ß",
    "-" * 200,
    "a" * 500,
    "word " * 100,
    "~/.ssh/authorized_keys",
    "$(rm -rf /)",
    "name.md\x00.png",
    "CON",
]


@pytest.mark.parametrize("title", NASTY_TITLES)
def test_no_title_leaves_the_docs_folder(title: str, tmp_path: Path) -> None:
    docs = tmp_path / "docs" / "postmortems"
    pm = minimal_postmortem().model_copy(update={"title": title, "issue_number": 7})
    path = document_path(pm, str(docs))
    assert (Path(path)).resolve().is_relative_to(docs.resolve())
    assert path.parent == PurePosixPath(docs.as_posix(), "2025")
    slug = path.name.removeprefix("2025-03-01-").removesuffix(".md")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert len(slug) <= MAX_SLUG


def test_empty_slug_falls_back_to_the_issue_number() -> None:
    pm = minimal_postmortem().model_copy(update={"title": "../..", "issue_number": 7})
    assert document_path(pm).name == "2025-03-01-incident-issue-7.md"
    assert document_path(pm, legacy=True).name == "2025-03-01-incident-7.md"
    assert document_path(pm.model_copy(update={"issue_number": None})).name == (
        "2025-03-01-incident.md"
    )


def test_same_title_and_date_never_share_a_path() -> None:
    first = minimal_postmortem().model_copy(update={"issue_number": 1})
    second = first.model_copy(update={"issue_number": 2})
    assert document_path(first) == PurePosixPath(
        "docs/postmortems/2025/2025-03-01-cache-stampede-issue-1.md"
    )
    assert document_path(first) != document_path(second)
    assert document_path(first, legacy=True) == document_path(second, legacy=True)


def test_slugify_folds_and_trims() -> None:
    assert slugify("São Paulo: DB  failover!") == "sao-paulo-db-failover"
    assert slugify("a" * 70 + " tail") == "a" * 60
    assert slugify("word " * 30).endswith("word")
    assert len(slugify("word " * 30)) <= MAX_SLUG


def test_every_printable_character_is_safe() -> None:
    # A cheap exhaustive check over the BMP's printable characters, alone and in pairs.
    for code in range(0x20, 0x3000):
        char = chr(code)
        for text in (char, char * 2, f"..{char}..", f"{char}/{char}"):
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slugify(text, fallback="x"))


def test_yaml_front_matter_is_plain_safe_yaml() -> None:
    # safe_load must accept it: no Python tags, nothing only unsafe loaders read.
    doc = render_document(full_postmortem())
    front = doc.split("---\n")[1]
    assert isinstance(yaml.safe_load(front), dict)
    assert "!!python" not in front


def test_the_header_says_at_a_glance_how_bad_and_where_it_stands() -> None:
    doc = render_document(full_postmortem())
    body = doc.split("\n# ", 1)[1].splitlines()
    assert body[2].startswith("**SEV-2** · In review · 1h 30m · ")
    assert body[4:7] == [
        "| Time to detect | to mitigate | to resolve | Error budget |",
        "|---|---|---|---|",
        "| 7m | 58m | 1h 30m | 208.3% |",
    ]


def test_the_timeline_shows_each_day_once_and_times_as_hh_mm() -> None:
    pm = full_postmortem()
    last = pm.timeline[-1]
    late = last.model_copy(update={"at": last.at + timedelta(days=1)})
    doc = render_document(pm.model_copy(update={"timeline": (*pm.timeline[:-1], late)}))
    timeline = doc.split("## Timeline (UTC)", 1)[1].split("\n## ", 1)[0]
    assert [ln for ln in timeline.splitlines() if ln.startswith("**")] == [
        "**2025-03-01**",
        "**2025-03-02**",
    ]
    times = [
        ln.split(" | ")[0][2:]
        for ln in timeline.splitlines()
        if ln.startswith("| ") and ":" in ln[:8]
    ]
    assert times and all(re.fullmatch(r"\d\d:\d\d", t) for t in times)
    assert gfm_problems(doc) == []
