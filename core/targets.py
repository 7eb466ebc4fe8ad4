"""A target figure (numerator / denominator against a target share), the shape of every end-of-term target
(R-T1…R-T5) on the dashboards; pure, no Flask or database import."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class RuleInputError(ValueError):
    """Impossible input to a rule (negative counts, a part larger than its whole…), in both languages."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message = message
        self.message_en = message_en


def check_counts(error: type[RuleInputError], **counts: int) -> None:
    for name, value in counts.items():
        if value < 0:
            raise error(f"Số liệu «{name}» không được âm ({value}).",
                        f"The count '{name}' must not be negative ({value}).")


def share_of(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


@dataclass(frozen=True)
class TargetFigure:
    """One dashboard line: numerator / denominator against a target share.

    `share` is None when the denominator is 0; an empty denominator has nothing falling short, so `met`
    is True. `target_share` None marks an encouraged or informational figure (no target; `met` True).
    `at_most` turns the target into a ceiling (overdue remediations: at most 0%). `label` is Vietnamese, marked for
    the catalogue (core/labels.py), with `label_values` in its %(name)s placeholders: pages show
    `label|tr(**label_values)`, PDFs and workbooks `label_text`.
    """

    rule: str
    key: str  # stable machine key, e.g. "chief_is_member"
    label: str
    numerator: int
    denominator: int
    target_share: float | None = 1.0
    at_most: bool = False
    label_values: Mapping[str, int] = field(default_factory=dict)
    share: float | None = field(init=False)
    met: bool = field(init=False)

    def __post_init__(self) -> None:
        check_counts(RuleInputError, numerator=self.numerator, denominator=self.denominator)
        if self.numerator > self.denominator:
            raise RuleInputError(f"Tử số ({self.numerator}) lớn hơn mẫu số ({self.denominator}).",
                                   f"Numerator ({self.numerator}) exceeds denominator ({self.denominator}).")
        share = share_of(self.numerator, self.denominator)
        if share is None or self.target_share is None:
            met = True
        elif self.at_most:
            met = share <= self.target_share
        else:
            met = share >= self.target_share
        object.__setattr__(self, "share", share)
        object.__setattr__(self, "met", met)

    @property
    def label_text(self) -> str:
        """The Vietnamese label with its values filled in."""
        return self.label % self.label_values if self.label_values else self.label
