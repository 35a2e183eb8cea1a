"""Helpers that several test modules share (pytest puts `tests/` on the import path, as it
does for conftest). Test modules import from here, never from each other."""
