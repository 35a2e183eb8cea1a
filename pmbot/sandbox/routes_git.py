"""Git content routes."""

from __future__ import annotations

from pmbot.sandbox.routing import Router

router = Router()
