"""User text that pmbot re-posts must notify nobody: only pmbot decides whom it pings.

GitHub turns `@login` and `@org/team` into notifications wherever it reads them: issue and
pull-request titles and bodies, comments, commit messages, and the plain-text email a reply
quotes. A zero-width space after the `@` (U+200B) breaks the pattern everywhere and renders
as nothing; wrapping the name in backticks does not, because a user's own backticks can
close the code span early and markup is gone in email replies (dependabot-core, pull
request 3157, moved from code spans to this). `&#64;` and `&commat;` are decoded first, since
GitHub decodes them before it looks for mentions.

Issue references in user text (`#123`, `owner/repo#123`, `GH-123`) get the same treatment,
so a postmortem that cites a hundred issues does not add pmbot's copies to each of their
timelines. pmbot's own references and mentions are written outside `silence`.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
_ENTITY_AT = re.compile(r"&(?:#0*64|#[xX]0*40|commat);?")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_REFERENCE = re.compile(r"(?<!&)#(?=[0-9])")  # `&#8212;` is an entity, not a reference
_GH_REFERENCE = re.compile(r"\b(GH-)(?=[0-9])", re.IGNORECASE)


def silence(text: str) -> str:
    """text as it reads, with no @mention or issue reference GitHub would act on."""
    if "@" not in text and "#" not in text and "&" not in text and "-" not in text:
        return text
    text = _ENTITY_AT.sub("@", text)
    text = _MENTION.sub("@" + ZWSP, text)
    text = _REFERENCE.sub("#" + ZWSP, text)
    return _GH_REFERENCE.sub(r"\g<1>" + ZWSP, text)
