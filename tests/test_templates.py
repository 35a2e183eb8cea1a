"""A repository's document template: every failure is a user error naming its line, and
rendering stays bounded in time and memory whatever the template computes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pmbot.app.offline import read_template
from pmbot.core.config import default_config
from pmbot.core.model import Postmortem, Severity
from pmbot.errors import ConfigError
from pmbot.render.bounded import MAX_OUTPUT
from pmbot.render.document import SHIPPED_TEMPLATE, render_document

PM = Postmortem(
    title="Checkout outage",
    severity=Severity.SEV2,
    started=datetime(2026, 3, 1, 14, 0, tzinfo=UTC),
    summary="The pool was exhausted.",
)


def render_with(tmp_path: Path, source: str) -> str:
    return render_document(PM, template=source)


def failure(tmp_path: Path, source: str) -> tuple[int | None, str]:
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        render_with(tmp_path, source)
    assert time.perf_counter() - started < 10
    problem = caught.value.problems[0]
    assert problem.field == "templates.document" and problem.fix
    return problem.line, problem.message


# (template, the line the error names, words the message contains)
BROKEN = [
    ("# {{ title }}\n{{ nope }}\n", 2, "'nope' is undefined"),
    ("# {{ title }}\n\n{% for x in %}\n", 3, "Expected an expression"),
    ("{{ title }}\n{{ ''.__class__.__mro__ }}\n", 2, "unsafe"),
    ("{{ title }}\n{{ title.__class__ }}\n", 2, "__class__"),
    ("one\n{% include 'secrets.md' %}\n", 2, "one file"),
    ("{% extends '/etc/passwd' %}\n", 1, "one file"),
    ("{% import 'macros.j2' as m %}\n", 1, "one file"),
    ("\n\n{{ 1 / 0 }}\n", 3, "division by zero"),
    ("{{ title }}\n{{ title + 1 }}\n", 2, "concatenate"),
    ("{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}\n", None, "calls itself"),
    ("{% set x = [] %}{{ x.append(1) }}\n", 1, "unsafe"),
]


@pytest.mark.parametrize(("source", "line", "words"), BROKEN)
def test_template_errors_name_the_line(
    tmp_path: Path, source: str, line: int | None, words: str
) -> None:
    found_line, message = failure(tmp_path, source)
    assert words in message
    if line is not None:
        assert found_line == line


# Each would take gigabytes or hours without the bounds.
HUGE = [
    "{{ 'x' * 10**10 }}",
    "{{ ('x' * 1000) * 10**7 }}",
    "{{ [1] * 10**10 }}",
    "{{ 10 ** (10 ** 10) }}",
    "{% set n = 2 ** 4000 %}{{ n * n }}",
    "{{ 9 ** 999999 }}",
    "{{ '%9999999999d' % 1 }}",
    "{{ '%.*f' | format(999999999, 1.0) }}",
    "{{ 'x' | center(10**10) }}",
    "{{ 'x' | indent(10**10) }}",
    "{{ ('x' * 1000) | replace('x', 'y' * 100000) }}",
    "{{ ('a b ' * 1000) | wordwrap(1, wrapstring='z' * 100000) }}",
    "{{ range(100000) | join('x' * 100000) }}",
    "{{ 'x'.ljust(10**10) }}",
    "{{ '{:>9999999999}'.format(1) }}",
    "{{ (10).to_bytes(10**10, 'big') }}",
    "{{ 'ab'.replace('a', 'x' * 999999) }}",
    "{% set s = 'x' * 999999 %}{{ s ~ s ~ s }}",
    "{% set s = 'x' * 999999 %}{{ s + s }}",
    "{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s | length }}",
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "{% set s = 'x' * 100000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{% for a in range(100000) %}{{ 'x' * 100000 }}{% endfor %}",
    "{{ lipsum(10**9) }}",
]


@pytest.mark.parametrize("source", HUGE)
def test_rendering_is_bounded_in_time_and_size(tmp_path: Path, source: str) -> None:
    line, message = failure(tmp_path, source)
    assert message.startswith("the template failed:") and line in (1, None)


def test_output_is_capped(tmp_path: Path) -> None:
    _, message = failure(tmp_path, "{% for i in range(5000) %}{{ 'x' * 1000 }}{% endfor %}")
    assert f"{MAX_OUTPUT:,} characters" in message


def test_ordinary_templates_still_work(tmp_path: Path) -> None:
    source = (
        "# {{ title | upper }}\n{{ '%s: %d' | format(severity, 2) }}\n"
        "{% for s in services %}{{ loop.index }}{% else %}none{% endfor +%}\n"
        "{{ ['a', 'b'] | join(', ') }} {{ 'x' * 3 }} {{ 2 ** 10 }} {{ title.split() | length }}\n"
        "{{ summary | replace('pool', 'connection pool') | wordwrap(20) | indent(2) }}\n"
        "{{ 'ab' | center(6) }}|{{ title ~ '!' }}|{{ title.lower().startswith('check') }}\n"
    )
    out = render_with(tmp_path, source)
    assert out.splitlines()[:4] == [
        "# CHECKOUT OUTAGE",
        "SEV-2: 2",
        "none",
        "a, b xxx 1024 2",
    ]
    assert "connection pool" in out and "  ab  |Checkout outage!|True" in out


def test_the_shipped_template_renders_within_the_bounds(tmp_path: Path) -> None:
    shipped = render_document(PM)
    assert render_with(tmp_path, SHIPPED_TEMPLATE.read_text(encoding="utf-8")) == shipped


def test_an_unreadable_template_is_a_user_error(tmp_path: Path) -> None:
    template = tmp_path / "document.md.j2"
    template.write_bytes(b"\xff\xfe{{ title }}")
    config = default_config()
    templates = config.templates.model_copy(update={"document": str(template)})
    config = config.model_copy(update={"templates": templates})
    with pytest.raises(ConfigError, match=r"templates\.document"):
        read_template(config)
