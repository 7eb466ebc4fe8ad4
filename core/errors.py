"""The one domain error: a rule or lifecycle step refused, with a Vietnamese message for the user."""
from __future__ import annotations


class RuleViolation(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StaleWrite(Exception):
    """Someone changed the record since the page was loaded: answer 409."""

    message = "Dữ liệu vừa được người khác thay đổi, hãy tải lại trang."
