"""The one domain error: a rule or lifecycle step refused, with a Vietnamese message for the user."""
from __future__ import annotations


class RuleViolation(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
