"""The command line end to end: bad input of every kind ends in exit 1 with field, line, fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmbot.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "examples" / "postmortem-issue.md").read_text(encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def body_file(tmp_path: Path, text: str, name: str = "body.md") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("\nSEV-2\n", "\nSEV-5\n", ["Severity", "line 7", "SEV-5", "Fix: choose one of SEV-1"]),
        ("2026-11-03 14:09", "2026-13-45 09:00", ["Detected (UTC)", "line 27", "Fix:"]),
        ("| P0 |", "| P9 |", ["Action items", "line 140", "'P9' is not a priority", "Fix: use P0"]),
        ("- [X] This postmortem", "- [ ] This postmortem", ["pledge", "must be checked", "Fix:"]),
    ],
)
def test_bad_values_exit_1_naming_field_line_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: list[str]
) -> None:
    assert old in EXAMPLE
    code, _, err = run(
        capsys, "review", "--body", body_file(tmp_path, EXAMPLE.replace(old, new, 1))
    )
    assert code == 1
    assert "Traceback" not in err
    for text in expected:
        assert text in err


def test_oversized_body_is_refused_with_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "render", "--body", body_file(tmp_path, EXAMPLE + "x" * 70 * 1024))
    assert code == 1
    assert "pmbot reads at most 65,536" in err
    assert "limits.max_body_bytes" in err


def test_empty_body_lists_each_missing_required_field_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "review", "--body", body_file(tmp_path, ""))
    assert code == 1
    assert err.count("### Incident title") >= 1
    assert err.count("[title]") == 0  # the builder's vaguer duplicate is dropped


@pytest.mark.parametrize("title", ["../../etc/passwd", "/etc/passwd", "..", "C:\\Windows\\x", "."])
def test_hostile_title_never_leaves_the_docs_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], title: str
) -> None:
    body = EXAMPLE.replace("Checkout failures after a connection-pool config push", title, 1)
    out_dir = tmp_path / "out"
    code, _, _ = run(capsys, "render", "--body", body_file(tmp_path, body), "--out", str(out_dir))
    assert code == 0
    docs = (out_dir / "docs" / "postmortems").resolve()
    written = [p for p in out_dir.rglob("*") if p.is_file()]
    assert written
    assert all(docs in p.resolve().parents for p in written)


def test_imitated_markers_are_defused_in_the_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = '<!-- pmbot:item {"pm": 1, "key": "x"} -->'
    body = EXAMPLE.replace("### What went well\n\n", f"### What went well\n\n{forged}\n", 1)
    code, out, _ = run(capsys, "render", "--body", body_file(tmp_path, body))
    assert code == 0
    assert "<!-- pmbot:item" not in out
    assert "&lt;!-- pmbot:item" in out


def test_unreadable_files_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "review", "--body", str(tmp_path / "missing.md"))
    assert (code, "does not exist" in err) == (1, True)
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\xff\xfe\x00")
    code, _, err = run(capsys, "review", "--body", str(binary))
    assert (code, "not UTF-8" in err) == (1, True)


def test_form_parse_prints_json_and_rejects_broken_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form = str(ROOT / "issue_templates" / "postmortem.yml")
    code, out, _ = run(
        capsys, "form", "parse", "--form", form, "--body", body_file(tmp_path, EXAMPLE)
    )
    assert code == 0
    values = json.loads(out)
    assert values["severity"] == "SEV-2"
    assert values["incident_commander"] == "@mrivera"
    broken = tmp_path / "form.yml"
    broken.write_text("body: [\n", encoding="utf-8")
    code, _, err = run(capsys, "form", "parse", "--form", str(broken), "--body", form)
    assert code == 1
    assert "line 2" in err


def test_review_of_the_example_reports_findings_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "review", "--body", body_file(tmp_path, EXAMPLE))
    assert code == 0
    assert "careless" in out
    assert "Improve monitoring" in out


def test_index_rebuilds_readme_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    assert (
        run(capsys, "render", "--body", body_file(tmp_path, EXAMPLE), "--out", str(out_dir))[0] == 0
    )
    docs = out_dir / "docs" / "postmortems"
    (docs / "README.md").unlink()
    code, out, _ = run(capsys, "index", str(docs))
    assert code == 0
    assert out.startswith(f"indexed 1 document in {docs}:")
    assert "Checkout failures" in (docs / "README.md").read_text(encoding="utf-8")
    assert json.loads((docs / "index.json").read_text(encoding="utf-8"))


def test_usage_errors_exit_2_and_module_entry_point_works() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pmbot", "review"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "--body" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "pmbot", "--version"], capture_output=True, text=True, check=False
    )
    assert (proc.returncode, proc.stdout.startswith("pmbot ")) == (0, True)


def test_bad_now_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sweep", "--now", "next tuesday")
    assert code == 1
    assert "--now" in err and "ISO 8601" in err


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path: Path) -> None:
    # `pmbot init ... | head -1`: here the pipe's reading end is closed before pmbot writes.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pmbot", "init", str(tmp_path), "--action", "a/b@" + "0" * 40],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (141, "")
    assert (tmp_path / ".github" / "pmbot.yml").is_file()  # the work itself was done
