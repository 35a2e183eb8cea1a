"""The issue forms pmbot ships, loaded once per run here in the app layer and handed to the
core and the planners as data (they read no files themselves)."""

from __future__ import annotations

import functools

from pmbot.core.forms import Form, load_form
from pmbot.core.shipped import data_text

POSTMORTEM_FORM = ("issue_templates", "postmortem.yml")
ACTION_ITEM_FORM = ("issue_templates", "action-item.yml")


@functools.cache
def postmortem_form() -> Form:
    """The Postmortem issue form (the one `pmbot init` installs)."""
    return load_form(data_text(*POSTMORTEM_FORM), source=POSTMORTEM_FORM[-1])


@functools.cache
def action_item_form() -> Form:
    """The Action item issue form, for items filed by hand."""
    return load_form(data_text(*ACTION_ITEM_FORM), source=ACTION_ITEM_FORM[-1])
