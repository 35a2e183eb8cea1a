"""`.github/pmbot.yml`: typed, validated once at load, every default in `data/defaults.yml`.

`schema` holds the models, `load` reads and merges the YAML (with line numbers), and
`problems` turns validation errors into messages naming the key, the line and the fix.
"""

from pmbot.core.config.load import (
    CONFIG_PATH,
    DEFAULTS_NAME,
    default_config,
    defaults_text,
    load_config,
    merge,
)
from pmbot.core.config.schema import (
    CHECK_IDS,
    SECTIONS,
    TEXT_FIELDS,
    AllowSpec,
    Budget,
    Config,
    Escalation,
    Labels,
    LabelSpec,
    Limits,
    NearMiss,
    Reminders,
    ReportSettings,
    Review,
    RuleSpec,
    Scoring,
    Similar,
    Templates,
)

__all__ = [
    "CHECK_IDS",
    "CONFIG_PATH",
    "DEFAULTS_NAME",
    "SECTIONS",
    "TEXT_FIELDS",
    "AllowSpec",
    "Budget",
    "Config",
    "Escalation",
    "LabelSpec",
    "Labels",
    "Limits",
    "NearMiss",
    "Reminders",
    "ReportSettings",
    "Review",
    "RuleSpec",
    "Scoring",
    "Similar",
    "Templates",
    "default_config",
    "defaults_text",
    "load_config",
    "merge",
]
