"""Wording rules: the `review.rules` and `review.allow` data compiled once, run over text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from pmbot.core.config import TEXT_FIELDS, AllowSpec, Review, RuleSpec
from pmbot.core.model import Postmortem


@dataclass(frozen=True)
class Segment:
    """One piece of free text from the postmortem and the body line it starts on."""

    field: str
    text: str
    line: int | None


@dataclass(frozen=True)
class Hit:
    rule: RuleSpec
    field: str
    line: int | None
    quote: str


@dataclass(frozen=True)
class _Allow:
    rule: str | None
    regex: re.Pattern[str] | None


@dataclass(frozen=True)
class _Matcher:
    """A regex, and strings one of which must occur in the normalised text for it to match."""

    regex: re.Pattern[str]
    triggers: tuple[str, ...] = ()  # empty: always run

    def finditer(self, text: str, lowered: str) -> Iterator[re.Match[str]]:
        # A substring test is ~100x cheaper than a regex pass over 64 KiB, and most
        # postmortems contain none of a phrase rule's words.
        if self.triggers and not any(map(lowered.__contains__, self.triggers)):
            return iter(())
        return self.regex.finditer(text)


@dataclass(frozen=True)
class _Rule:
    spec: RuleSpec
    matchers: tuple[_Matcher, ...]
    fields: frozenset[str]


@dataclass(frozen=True)
class Compiled:
    """A review configuration ready to run: regexes compiled, allow-list split."""

    rules: tuple[_Rule, ...]
    allows: tuple[_Allow, ...]
    disabled: frozenset[str]  # rule ids switched off entirely

    def scan(self, segments: Iterable[Segment]) -> Iterator[Hit]:
        for segment in segments:
            if segment.text.strip():
                yield from self._scan_one(segment)

    def _scan_one(self, segment: Segment) -> Iterator[Hit]:
        # Rules run on the visible text, so "c\u200bareless" or "ｃａｒｅｌｅｓｓ" cannot dodge
        # them; newlines survive folding, so a match still points at its line.
        text = folded(segment.text)
        lowered = _normalised(text)
        allowed: list[tuple[str | None, int, int]] | None = None  # computed on first hit
        for rule in self.rules:
            if segment.field not in rule.fields:
                continue
            for matcher in rule.matchers:
                for match in matcher.finditer(text, lowered):
                    if allowed is None:
                        allowed = self._allowed_spans(text)
                    if not _covered(rule.spec.id, match.span(), allowed):
                        line = _line_of(segment, match.start())
                        yield Hit(rule.spec, segment.field, line, match[0])

    def _allowed_spans(self, text: str) -> list[tuple[str | None, int, int]]:
        return [
            (allow.rule, *m.span())
            for allow in self.allows
            if allow.regex is not None
            for m in allow.regex.finditer(text)
        ]


def _covered(
    rule_id: str, span: tuple[int, int], allowed: list[tuple[str | None, int, int]]
) -> bool:
    start, end = span
    return any(
        (rule is None or rule == rule_id) and lo < end and start < hi for rule, lo, hi in allowed
    )


def _line_of(segment: Segment, offset: int) -> int | None:
    if segment.line is None:
        return None
    return segment.line + segment.text.count("\n", 0, offset)


@cache
def compile_review(review: Review, known_ids: frozenset[str] = frozenset()) -> Compiled:
    """Compile once per configuration (`Review` is frozen and hashable, so it is the key)."""
    ids = known_ids | {rule.id for rule in review.rules}
    allows = tuple(_allow(spec, ids) for spec in review.allow)
    disabled = frozenset(a.rule for a in allows if a.rule is not None and a.regex is None)
    rules = tuple(_compile(rule) for rule in review.rules if rule.id not in disabled)
    return Compiled(rules=rules, allows=allows, disabled=disabled)


def _compile(rule: RuleSpec) -> _Rule:
    matchers = [_Matcher(re.compile(pattern), _minimal(rule.requires)) for pattern in rule.patterns]
    if rule.phrases:
        matchers.append(_Matcher(phrase_regex(rule.phrases), _triggers(rule.phrases)))
    fields = TEXT_FIELDS if "*" in rule.applies_to else rule.applies_to
    return _Rule(rule, tuple(matchers), frozenset(fields))


# Invisible code points outside category Cf that still join or pad words: the combining
# grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian and Unicode variation
# selectors (Unicode's Default_Ignorable_Code_Point property, less what Cf already covers).
_IGNORABLE = frozenset(
    (
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0),
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    )
)


def folded(text: str) -> str:
    """Text as a reader sees it: NFKC (full-width, ligatures) with invisible format characters
    (zero-width spaces and joiners, soft hyphens, bidi controls) dropped. Line breaks stay."""
    if text.isascii():
        return text  # the common case: nothing to fold, and no copy of 64 KiB
    kept = "".join(
        ch for ch in text if unicodedata.category(ch) != "Cf" and ord(ch) not in _IGNORABLE
    )
    return unicodedata.normalize("NFKC", kept)


def _normalised(text: str) -> str:
    """Lower case, straight apostrophes, single spaces: what triggers are looked up in."""
    return " ".join(text.lower().replace("’", "'").split())


def _triggers(phrases: Iterable[str]) -> tuple[str, ...]:
    """Each whole phrase, normalised: every match of the phrase regex contains one."""
    return _minimal(_normalised(phrase) for phrase in phrases)


def _minimal(words: Iterable[str]) -> tuple[str, ...]:
    """Drop words containing another one ("blamed" when "blame" is there): fewer scans."""
    unique = set(words)
    return tuple(sorted(w for w in unique if not any(o != w and o in w for o in unique)))


def phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    """Whole words, any case, any run of spaces, straight or curly apostrophes."""
    parts = sorted({_phrase(p) for p in phrases}, key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)", re.IGNORECASE)


def _phrase(phrase: str) -> str:
    words = (re.escape(w).replace("'", "['’]") for w in phrase.split())
    return r"\s+".join(words)


def _allow(spec: AllowSpec, rule_ids: frozenset[str]) -> _Allow:
    if spec.phrase is not None and spec.rule is None and spec.phrase in rule_ids:
        return _Allow(rule=spec.phrase, regex=None)  # `- some-rule-id` disables that rule
    if spec.pattern is not None:
        return _Allow(rule=spec.rule, regex=re.compile(spec.pattern))
    if spec.phrase is not None:
        return _Allow(rule=spec.rule, regex=phrase_regex([spec.phrase]))
    return _Allow(rule=spec.rule, regex=None)


def segments(pm: Postmortem) -> Iterator[Segment]:
    """Every free-text field of the postmortem, each with the line it starts on."""
    lines = pm.lines
    for name in ("summary", "detection_method", "went_well", "went_poorly", "got_lucky"):
        yield Segment(name, getattr(pm, name) or "", lines.get(name))
    yield Segment("lessons", pm.lessons or "", lines.get("lessons"))
    yield Segment("impact", pm.impact.description or "", lines.get("impact"))
    for event in pm.timeline:
        yield Segment("timeline", event.text, event.line or lines.get("timeline"))
    for factor in pm.contributing_factors:
        yield Segment(
            "contributing_factors",
            factor.description,
            factor.line or lines.get("contributing_factors"),
        )
    for chain in pm.whys:
        # `line` is the title's line when there is one; steps follow, one a line.
        text = "\n".join((chain.title, *chain.steps) if chain.title else chain.steps)
        yield Segment("five_whys", text, chain.line or lines.get("five_whys"))
    for item in pm.action_items:
        yield Segment("action_items", item.what, item.line or lines.get("action_items"))
