"""GitHub issue forms: the form YAML is the schema (`load`), a rendered issue body is read
back into `{field id: value}` (`body`); `model` holds the shared vocabulary."""

from pmbot.core.forms.body import form_parse, parse_body, set_answer, validate_required
from pmbot.core.forms.load import id_from_label, load_form
from pmbot.core.forms.model import (
    ELEMENT_TYPES,
    FIELD_TYPES,
    NO_CHOICE,
    NO_RESPONSE,
    Field,
    Form,
    ParsedForm,
    Value,
    heading_key,
)

__all__ = [
    "ELEMENT_TYPES",
    "FIELD_TYPES",
    "NO_CHOICE",
    "NO_RESPONSE",
    "Field",
    "Form",
    "ParsedForm",
    "Value",
    "form_parse",
    "heading_key",
    "id_from_label",
    "load_form",
    "parse_body",
    "set_answer",
    "validate_required",
]
