"""Pure rules of paper ballots: how many to print, and the ballot accounting of a poll (R-C3).

No Flask or database import: ballots/accounting.py gathers the figures, pages and the count call these.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

# Spare ballots printed beyond one per household (replacements for spoiled ballots). Setting, not law:
# the app reads BALLOT_SPARE_PERCENT from the configuration, this is the default.
DEFAULT_SPARE_PERCENT = 5
MIN_SPARE = 2  # even a tiny hamlet gets a couple of replacements


def spare_ballots(households: int, percent: float = DEFAULT_SPARE_PERCENT) -> int:
    """Spare ballots for `households` (rounded up, at least MIN_SPARE when there are households)."""
    if households <= 0:
        return 0
    return max(MIN_SPARE, math.ceil(households * percent / 100))


class AccountingProblem(NamedTuple):
    """(rule or code, Vietnamese message, English message): unpacks like a plain tuple."""

    rule: str  # rule id or code: "balance", "R-C3", "negative"
    message: str  # Vietnamese
    message_en: str


@dataclass(frozen=True)
class Reconciliation:
    """The ballot accounting of one poll and whether it balances.

    printed = issued + spoiled + cancelled (every printed ballot is in a voter's hands, spoiled and
    replaced, or cancelled unused); R-C3: returned ≤ issued. `returned` None = not known yet (not checked).
    """

    printed: int
    issued: int
    spoiled: int
    cancelled: int
    returned: int | None
    problems: tuple[AccountingProblem, ...] = field(default_factory=tuple)

    @property
    def balanced(self) -> bool:
        return not self.problems

    @property
    def unaccounted(self) -> int:
        """Printed ballots neither issued, spoiled nor cancelled (negative: more used than printed)."""
        return self.printed - self.issued - self.spoiled - self.cancelled

    @property
    def complete(self) -> bool:
        """Balanced and the returned figure is known: the count may be confirmed."""
        return self.balanced and self.returned is not None


def reconcile(printed: int, issued: int, spoiled: int, cancelled: int, returned: int | None) -> Reconciliation:
    problems: list[AccountingProblem] = []
    figures = {"issued": ("phát ra", issued), "spoiled": ("hỏng, đã đổi", spoiled),
               "cancelled": ("không dùng, đã hủy", cancelled), "returned": ("thu vào", returned)}
    for name, (label, value) in figures.items():
        if value is not None and value < 0:
            problems.append(AccountingProblem("negative", f"Số phiếu {label} không thể âm.",
                                              f"The number of {name} ballots cannot be negative."))
    used = issued + spoiled + cancelled
    if used != printed:
        difference = printed - used
        if difference > 0:
            message = (f"Chưa khớp: in {printed} phiếu, nhưng phát ra {issued} + hỏng {spoiled} + hủy {cancelled}"
                       f" = {used}; còn {difference} phiếu chưa rõ.")
            message_en = (f"Does not balance: {printed} printed but issued {issued} + spoiled {spoiled} + "
                          f"cancelled {cancelled} = {used}; {difference} ballot(s) unaccounted for.")
        else:
            message = (f"Chưa khớp: phát ra {issued} + hỏng {spoiled} + hủy {cancelled} = {used}, "
                       f"nhiều hơn {printed} phiếu đã in.")
            message_en = (f"Does not balance: issued {issued} + spoiled {spoiled} + cancelled {cancelled} = "
                          f"{used}, more than the {printed} printed.")
        problems.append(AccountingProblem("balance", message, message_en))
    if returned is not None and returned > issued:
        # R-C3: ballots returned ≤ ballots issued.
        problems.append(AccountingProblem(
            "R-C3", f"Số phiếu thu vào ({returned}) nhiều hơn số phiếu phát ra ({issued}) (R-C3).",
            f"Ballots returned ({returned}) exceed ballots issued ({issued}) (R-C3)."))
    return Reconciliation(printed=printed, issued=issued, spoiled=spoiled, cancelled=cancelled, returned=returned,
                          problems=tuple(problems))


# R-B19-IMG (source uncertain: rules.md has no rule on how long ballot images are kept; the app's choice, by analogy
# with the complaint period after the commune recognises the result, R-V9). The image of a ballot the reader of marks
# left unclear, and a scanner batch, are evidence of the count while the result can still be contested: kept until
# IMAGE_APPEAL_DAYS after the commune people's committee recognises the result, then purged. Until the poll is
# recognised they are kept at most IMAGE_KEEP_MAX_DAYS (a poll never recognised, e.g. a re-vote ordered).
IMAGE_APPEAL_DAYS = 30
IMAGE_KEEP_MAX_DAYS = 180


def image_expiry(recognised_on: date | None, stored_at: datetime) -> datetime:
    """R-B19-IMG: when a ballot image (or scanner batch) stored at `stored_at` is purged: the end of the appeal period
    after the recognition of `recognised_on`, else IMAGE_KEEP_MAX_DAYS after it was stored."""
    if recognised_on is None:
        return stored_at + timedelta(days=IMAGE_KEEP_MAX_DAYS)
    return datetime.combine(recognised_on + timedelta(days=IMAGE_APPEAL_DAYS + 1), time())
