from __future__ import annotations

from pmbot.core.model import FactorCategory, FactorWeight
from pmbot.core.parse.common import FieldReader
from pmbot.core.parse.factors import parse_factors


def reader(start: int | None = 60) -> FieldReader:
    return FieldReader("contributing_factors", "Contributing factors", start)


def test_lines_with_and_without_keys() -> None:
    text = """\
- CF1 [technical] Schema accepts any pool size.
- [process] Config pushes skip canary.
- **CF3** (organisational): Owners not asked to review.
* external: Marketing campaign doubled traffic,
  which saturated the pool within minutes.
"""
    r = reader()
    factors = parse_factors(text, r)
    assert r.problems == []
    assert [f.key for f in factors] == ["CF1", "CF2", "CF3", "CF4"]
    assert [f.category for f in factors] == list(FactorCategory)
    assert factors[1].description == "Config pushes skip canary."
    assert factors[3].description.endswith("which saturated the pool within minutes.")
    assert [f.line for f in factors] == [60, 61, 62, 63]


def test_assigned_keys_skip_keys_already_written() -> None:
    factors = parse_factors("- [process] a\n- CF1 [technical] b\n- [external] c", reader())
    assert [f.key for f in factors] == ["CF2", "CF1", "CF3"]


def test_table() -> None:
    text = (
        "| ID | Category | Factor |\n|--|--|--|\n"
        "| cf7 | Technical | Disk full |\n| | process | No runbook |\n"
    )
    factors = parse_factors(text, reader(1))
    assert [(f.key, f.category, f.description, f.line) for f in factors] == [
        ("CF7", FactorCategory.TECHNICAL, "Disk full", 3),
        ("CF1", FactorCategory.PROCESS, "No runbook", 4),
    ]


def test_bad_and_missing_categories() -> None:
    r = reader(10)
    factors = parse_factors("- CF1 [human error] Bob typed it\n- No category here", r)
    assert factors == []
    assert [p.line for p in r.problems] == [10, 11]
    assert "'human error' is not a category" in r.problems[0].message
    assert "no category" in r.problems[1].message
    assert "technical, process, organizational, external" in r.problems[0].fix


def test_duplicate_keys() -> None:
    r = reader()
    parse_factors("- CF1 [technical] a\n- CF1 [process] b", r)
    assert "CF1 is used twice" in r.problems[0].message


def test_weight_in_the_tag_a_second_tag_or_a_column() -> None:
    text = """\
- CF1 [technical, primary] Schema accepts any pool size.
- CF2 [process] [contributing] Config pushes skip canary.
- CF3 [organizational] [draft] Owners not asked to review.
- [external][Main] Marketing campaign doubled traffic.
"""
    r = reader()
    factors = parse_factors(text, r)
    assert r.problems == []
    assert [f.weight for f in factors] == [
        FactorWeight.PRIMARY, FactorWeight.CONTRIBUTING, None, FactorWeight.PRIMARY
    ]  # fmt: skip
    # A second bracket that names no weight is part of the text, as it always was.
    assert factors[2].description == "[draft] Owners not asked to review."
    assert [f.category for f in factors] == list(FactorCategory)


def test_weight_column_and_a_weight_that_is_not_one() -> None:
    text = """\
| ID | Category | Weight | Factor |
|---|---|---|---|
| CF1 | technical | Primary | Schema accepts any pool size. |
| CF2 | process | | Config pushes skip canary. |
| CF3 | process | huge | Owners not asked. |
"""
    r = reader(10)
    factors = parse_factors(text, r)
    assert [f.weight for f in factors[:2]] == [FactorWeight.PRIMARY, None]
    assert [(p.line, p.message) for p in r.problems] == [
        (14, "'huge' is not a weight for factor 'Owners not asked.'.")
    ]
    assert "primary or contributing" in r.problems[0].fix
