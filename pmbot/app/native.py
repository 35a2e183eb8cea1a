"""GitHub's issue types and issue fields of a repository's owner, read once per run and only
when the configuration asks for them (`issues`), for intake and the sweeps."""

from __future__ import annotations

from pmbot.core.config import Config
from pmbot.flows.native import NONE, Native, decide, wanted
from pmbot.github.base import RepoBase
from pmbot.github.models import IssueFieldDef
from pmbot.github.org import GitHubOrg


class NativeReader:
    """The owners' issue types and fields, each read at most once (two requests) per run,
    through `github`'s transport so they count with the run's other requests."""

    def __init__(self, github: RepoBase) -> None:
        self.github = github
        self._read: dict[str, tuple[tuple[str, ...], dict[str, IssueFieldDef]]] = {}

    def native(self, config: Config, owner: str) -> Native:
        """What of `config`'s `issues` `owner` has (NONE, with no request, when it asks for
        nothing)."""
        if not wanted(config):
            return NONE
        key = owner.lower()
        if key not in self._read:
            org = GitHubOrg(self.github.settings, org=owner)
            org.http, org.identity = self.github.http, self.github.identity
            self._read[key] = (org.issue_types(), org.issue_fields())
        types, fields = self._read[key]
        return decide(config, owner, types, fields)
