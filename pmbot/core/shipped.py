"""What pmbot ships inside its package — defaults, issue forms, workflows, the example, the
document template — found one way: as files next to the code.

Not `importlib.resources`: pmbot is never imported from a zip, and `resources.files()` fails
when an editable install exposes pmbot as a namespace package.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
DATA = PACKAGE / "data"


def data_path(*parts: str) -> Path:
    """A shipped file or folder under `pmbot/data`. The checkout's `issue_templates`,
    `workflows` and `examples` are linked there; where the links did not survive (a checkout
    without symbolic links), the checkout's own folder."""
    packaged = DATA.joinpath(*parts)
    return packaged if packaged.exists() else PACKAGE.parent.joinpath(*parts)


def data_text(*parts: str) -> str:
    return data_path(*parts).read_text(encoding="utf-8")
