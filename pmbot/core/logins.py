"""GitHub's name rules, written once: user and organisation logins, team slugs, repositories.

A login is 1 to 39 letters, digits or single hyphens, not at either end (`a--b`, `-a` and
`a-` are not logins). A team is `org/slug`; a repository `owner/name`.
"""

from __future__ import annotations

import re

LOGIN = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
TEAM_SLUG = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
TEAM = rf"{LOGIN}/{TEAM_SLUG}"
REPOSITORY = rf"{LOGIN}/[A-Za-z0-9._-]{{1,100}}"

LOGIN_OR_TEAM = re.compile(rf"{LOGIN}(?:/{TEAM_SLUG})?")
