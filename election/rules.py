"""Pure rules of the hamlet-chief election (rules.md §2): recognition deadline, quorum, outcome, count consistency.

No Flask or database import: pages, API, CLI and PDFs call these functions.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal

from core.calendar import DateProblem, day_with_weekday, decision_date_problem
from core.vietnamese import format_number, format_percent

# ---------------------------------------------------------------------------------------------------------
# Recognition deadline (the term's calendar before election day is in core.calendar)
# ---------------------------------------------------------------------------------------------------------

# R-V9 (Decree 59/2023/NĐ-CP art. 8): the commune people's committee recognises the result or orders a
# re-vote within 5 working days of receiving the minutes.
RECOGNITION_WORKING_DAYS = 5


def add_working_days(start: date, days: int, holidays: frozenset[date] = frozenset()) -> date:
    """The date `days` working days (Monday–Friday, not a holiday) after `start`."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            remaining -= 1
    return current


def recognition_deadline(received_on: date, holidays: frozenset[date] = frozenset()) -> date:
    """R-V9: last day for the commune's recognition (or re-vote order) after the minutes arrive."""
    return add_working_days(received_on, RECOGNITION_WORKING_DAYS, holidays)


# ---------------------------------------------------------------------------------------------------------
# Secret ballot against order (issue 15, part 9)
# ---------------------------------------------------------------------------------------------------------
#
# A team that hands ballots out from the top of the stack gives the i-th household checked in the i-th ballot:
# whoever could read both orders could join households to votes. The print order is never stored
# (ballots/printing.py); the order of check-ins is kept no finer than this grain. The turnout figures
# (check-in page, API, board) are counts and need no time at all; the quarter hour is kept only so that a
# check-in can be told to fall within the voting hours.
CHECKIN_TIME_GRAIN = timedelta(minutes=15)


def checkin_time(at: datetime) -> datetime:
    """The stored time of a check-in: `at` truncated to the quarter hour (CHECKIN_TIME_GRAIN) it falls in."""
    grain = int(CHECKIN_TIME_GRAIN.total_seconds() // 60)
    return at.replace(minute=at.minute - at.minute % grain, second=0, microsecond=0)


# ---------------------------------------------------------------------------------------------------------
# The hamlet's total households: the denominator of R-V5 and R-V7
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdDifference:
    """The voter roll (one entry per household, R-V1) against the hamlet's household register.

    Any difference moves the denominator of the quorum (R-V5) and of the elected threshold (R-V7), so the commune
    committee confirms it with a written reason before the roll is used."""

    roll: int
    register: int

    @property
    def difference(self) -> int:
        return self.roll - self.register

    @property
    def share(self) -> Fraction:
        """The difference as a share of the register (the register is not empty)."""
        return Fraction(self.difference, self.register)

    def percent(self, lang: str = "vi") -> str:
        """"+74,42%" or "−3,1%": signed, at most 2 decimals."""
        sign = "+" if self.difference > 0 else "−"
        return sign + _percent(abs(self.share), lang)

    def describe(self) -> str:
        """"nhiều hơn sổ hộ 128 hộ (+74,42%)" – how the roll differs from the register, in Vietnamese."""
        more = "nhiều hơn" if self.difference > 0 else "ít hơn"
        return f"{more} sổ hộ ({format_number(self.register)} hộ) {format_number(abs(self.difference))} hộ " \
               f"({self.percent()})"


def household_difference(roll: int, register: int) -> HouseholdDifference | None:
    """The difference to confirm, or None: the counts agree, or the hamlet keeps no register to compare with."""
    if register <= 0 or roll == register:
        return None
    return HouseholdDifference(roll, register)


# ---------------------------------------------------------------------------------------------------------
# Counting: quorum, outcome, count consistency, ballot validity, what comes next
# ---------------------------------------------------------------------------------------------------------
#
# Thresholds "more than half" are compared exactly: `part > share * whole` with `share` a Fraction, which
# for share 1/2 is `2 * part > whole`. Floats are only produced for display (the calculator rounds them).

Denominator = Literal["total_households", "present", "valid_ballots"]
DENOMINATORS: tuple[Denominator, ...] = ("total_households", "present", "valid_ballots")
CountMode = Literal["meeting", "distribution"]
COUNT_MODES: tuple[CountMode, ...] = ("meeting", "distribution")
Outcome = Literal["elected", "no_winner", "no_quorum", "inconsistent"]
NextStep = Literal["recognise", "revote", "appoint_acting_chief", "fix_count", "distribute"]
SingleCandidateMark = Literal["agree", "disagree", "both", "none"]


@dataclass(frozen=True)
class ElectionRuleSet:
    """The settings of the hamlet-chief election count (rules.md §2); a new jurisdiction gets a new id."""

    id: str = "decree-59-2023"
    # R-V5 (Decree 59/2023/NĐ-CP art. 7): quorum = strictly more than this share of ALL households present.
    quorum_share: Fraction = Fraction(1, 2)
    # R-V7 (source uncertain for Decree 59; setting): elected = strictly more than this share of the
    # denominator below; "total_households" by default, "present" or "valid_ballots" configurable.
    winner_share: Fraction = Fraction(1, 2)
    winner_denominator: Denominator = "total_households"
    # R-V3 (candidates per hamlet) lives in candidates.rules.RuleSet: the list is checked at registration.
    # R-V8 (old rule, Decree 59 silent; setting): the re-vote is held within 15 days of the first vote,
    # and after this many rounds without a winner the commune chairman appoints an acting chief.
    revote_within_days: int = 15
    voting_rounds: int = 2
    # R-C6 (setting): warnings that must be acknowledged, not blocking errors.
    invalid_warning_share: Fraction = Fraction(3, 100)  # invalid ≥ 3% of ballots returned
    unreturned_warning_share: Fraction = Fraction(2, 100)  # issued − returned ≥ 2% of ballots issued …
    unreturned_warning_min: int = 15  # … and ≥ 15 ballots

    def __post_init__(self) -> None:
        if self.winner_denominator not in DENOMINATORS:
            raise ValueError(f"unknown winner denominator {self.winner_denominator!r}")
        for name in ("quorum_share", "winner_share", "invalid_warning_share", "unreturned_warning_share"):
            share = getattr(self, name)
            if not isinstance(share, Fraction) or not 0 <= share < 1:
                raise ValueError(f"{name} must be a Fraction in [0, 1)")
        if self.revote_within_days < 1 or self.voting_rounds < 1 or self.unreturned_warning_min < 0:
            raise ValueError("revote_within_days and voting_rounds must be ≥ 1, unreturned_warning_min ≥ 0")


DEFAULT_ELECTION_RULES = ElectionRuleSet()


def _more_than(part: int, share: Fraction, whole: int) -> bool:
    """Exactly: part > share × whole."""
    return part > share * whole


def _votes_needed(share: Fraction, whole: int) -> int:
    """The smallest whole number of votes strictly more than share × whole."""
    return math.floor(share * whole) + 1


def _percent(value: Fraction, lang: str) -> str:
    """A share as a percentage with at most 2 decimals, with a decimal comma in Vietnamese."""
    return format_percent(value, 2, lang, trim=True)


def quorum_met(total_households: int, households_present: int,
               rules: ElectionRuleSet = DEFAULT_ELECTION_RULES) -> bool:
    """R-V5: strictly more than half of all households present (exactly half is no quorum)."""
    return _more_than(households_present, rules.quorum_share, total_households)


@dataclass(frozen=True)
class CountIssue:
    rule: str
    message: str
    message_en: str


@dataclass(frozen=True)
class CountInput:
    """One hamlet's count as entered (mirrors the POST /api/v1/rules/count request).

    With one candidate, its votes are the "Đồng ý" ballots and `against` the "Không đồng ý" ones; with
    several candidates `against` is ignored. `denominator` None means the rule set's R-V7 setting.
    """

    mode: CountMode
    total_households: int
    households_present: int | None  # may be None in distribution mode only
    ballots_issued: int
    ballots_returned: int
    valid_ballots: int
    invalid_ballots: int
    candidates: tuple[tuple[str, int], ...]  # (candidate id, votes), in ballot order
    against: int = 0
    seats: int = 1
    denominator: Denominator | None = None

    def __post_init__(self) -> None:
        # Structural nonsense is a programming error here; the calculator reports it field by field first.
        if self.mode not in COUNT_MODES:
            raise ValueError(f"unknown mode {self.mode!r}")
        if self.denominator is not None and self.denominator not in DENOMINATORS:
            raise ValueError(f"unknown denominator {self.denominator!r}")
        if self.mode == "meeting" and self.households_present is None:
            raise ValueError("households_present is required in meeting mode")
        numbers = [self.total_households, self.ballots_issued, self.ballots_returned, self.valid_ballots,
                   self.invalid_ballots, self.against, *(votes for _, votes in self.candidates)]
        if self.households_present is not None:
            numbers.append(self.households_present)
        if any(type(n) is not int or n < 0 for n in numbers):
            raise ValueError("every count must be a non-negative int")
        if type(self.seats) is not int or self.seats < 1:
            raise ValueError("seats must be an int ≥ 1")
        ids = [candidate_id for candidate_id, _ in self.candidates]
        if not ids:
            raise ValueError("at least one candidate is needed (R-V3)")
        if len(set(ids)) != len(ids):
            raise ValueError("candidate ids must be unique")


@dataclass(frozen=True)
class CandidateShares:
    """A candidate's votes as exact shares of the three R-V7 denominators; None when that one is 0 or unknown."""

    candidate_id: str
    votes: int
    of_total_households: Fraction | None
    of_present: Fraction | None
    of_valid_ballots: Fraction | None


@dataclass(frozen=True)
class CountOutcome:
    quorum_met: bool | None  # None in distribution mode (R-V5 not checked)
    outcome: Outcome
    winners: tuple[str, ...]  # by votes, most first; at most `seats`; empty unless outcome is "elected"
    errors: tuple[CountIssue, ...]  # R-C1…R-C5: blocking
    warnings: tuple[CountIssue, ...]  # R-C6: must be acknowledged
    shares: tuple[CandidateShares, ...]  # in the input's candidate order
    denominator: Denominator  # the R-V7 denominator that applied
    votes_needed: int  # the fewest votes that are strictly more than the share of that denominator

    @property
    def winner(self) -> str | None:
        """The elected candidate (the one with most votes when several seats are filled)."""
        return self.winners[0] if self.winners else None


def _share(votes: int, whole: int | None) -> Fraction | None:
    return Fraction(votes, whole) if whole else None


def _consistency_errors(count: CountInput) -> list[CountIssue]:
    """R-C1…R-C5: the blocking count checks."""
    errors: list[CountIssue] = []
    total, present = count.total_households, count.households_present
    issued, returned = count.ballots_issued, count.ballots_returned
    valid, invalid = count.valid_ballots, count.invalid_ballots

    if present is not None and present > total:  # R-C1
        errors.append(CountIssue(
            "R-C1",
            f"Số hộ có mặt ({present}) lớn hơn tổng số hộ của thôn ({total}).",
            f"Households present ({present}) exceed the hamlet's total households ({total}).",
        ))
    if count.mode == "meeting":  # R-C2: against those present at the meeting
        assert present is not None  # CountInput guarantees it in meeting mode
        if issued > present:
            errors.append(CountIssue(
                "R-C2",
                f"Số phiếu phát ra ({issued}) lớn hơn số hộ có mặt ({present}).",
                f"Ballots issued ({issued}) exceed the households present ({present}).",
            ))
    elif issued > total:  # R-C2: distribution to each household, against all households
        errors.append(CountIssue(
            "R-C2",
            f"Số phiếu phát ra ({issued}) lớn hơn tổng số hộ của thôn ({total}).",
            f"Ballots issued ({issued}) exceed the hamlet's total households ({total}).",
        ))
    if returned > issued:  # R-C3
        errors.append(CountIssue(
            "R-C3",
            f"Số phiếu thu vào ({returned}) lớn hơn số phiếu phát ra ({issued}).",
            f"Ballots returned ({returned}) exceed ballots issued ({issued}).",
        ))
    if valid + invalid != returned:  # R-C4
        errors.append(CountIssue(
            "R-C4",
            f"Số phiếu hợp lệ ({valid}) cộng số phiếu không hợp lệ ({invalid}) bằng {valid + invalid}, "
            f"khác số phiếu thu vào ({returned}).",
            f"Valid ({valid}) plus invalid ({invalid}) ballots make {valid + invalid}, "
            f"not the {returned} ballots returned.",
        ))
    errors.extend(_vote_sum_errors(count))
    return errors


def _vote_sum_errors(count: CountInput) -> list[CountIssue]:
    """R-C5: the votes add up to the valid ballots.

    One candidate: agree + disagree = valid. Several candidates, 1 seat: sum of votes = valid. Several
    candidates, k seats (not in rules.md; derived from R-B1, each valid ballot keeps 1…k names): valid ≤
    sum ≤ min(k, candidates) × valid, and nobody has more votes than there are valid ballots.
    """
    valid = count.valid_ballots
    votes = [v for _, v in count.candidates]
    if len(votes) == 1:
        agree = votes[0]
        if agree + count.against != valid:
            return [CountIssue(
                "R-C5",
                f"Số phiếu “Đồng ý” ({agree}) cộng số phiếu “Không đồng ý” ({count.against}) bằng "
                f"{agree + count.against}, khác số phiếu hợp lệ ({valid}).",
                f"\"Agree\" ({agree}) plus \"disagree\" ({count.against}) make {agree + count.against}, "
                f"not the {valid} valid ballots.",
            )]
        return []
    total_votes = sum(votes)
    if count.seats == 1:
        if total_votes != valid:
            return [CountIssue(
                "R-C5",
                f"Tổng số phiếu bầu cho các người ứng cử ({total_votes}) khác số phiếu hợp lệ ({valid}).",
                f"The candidates' votes add up to {total_votes}, not the {valid} valid ballots.",
            )]
        return []
    errors: list[CountIssue] = []
    names_per_ballot = min(count.seats, len(votes))
    most = names_per_ballot * valid
    if not valid <= total_votes <= most:
        errors.append(CountIssue(
            "R-C5",
            f"Tổng số phiếu bầu ({total_votes}) phải từ {valid} đến {most}: mỗi phiếu hợp lệ giữ lại từ 1 "
            f"đến {names_per_ballot} tên.",
            f"The votes ({total_votes}) must be between {valid} and {most}: each valid ballot keeps "
            f"1 to {names_per_ballot} names.",
        ))
    for candidate_id, candidate_votes in count.candidates:
        if candidate_votes > valid:
            errors.append(CountIssue(
                "R-C5",
                f"Người ứng cử {candidate_id} được {candidate_votes} phiếu, nhiều hơn số phiếu hợp lệ ({valid}).",
                f"Candidate {candidate_id} has {candidate_votes} votes, more than the {valid} valid ballots.",
            ))
    return errors


def _count_warnings(count: CountInput, rules: ElectionRuleSet) -> list[CountIssue]:
    """R-C6: findings that must be acknowledged."""
    warnings: list[CountIssue] = []
    returned, issued, invalid = count.ballots_returned, count.ballots_issued, count.invalid_ballots
    # R-C6: invalid ballots ≥ 3% of those returned.
    if returned > 0 and invalid >= rules.invalid_warning_share * returned:
        share = Fraction(invalid, returned)
        warnings.append(CountIssue(
            "R-C6",
            f"Số phiếu không hợp lệ ({invalid}) chiếm {_percent(share, 'vi')} số phiếu thu vào, từ "
            f"{_percent(rules.invalid_warning_share, 'vi')} trở lên: cần kiểm tra lại và xác nhận.",
            f"Invalid ballots ({invalid}) are {_percent(share, 'en')} of those returned, at least "
            f"{_percent(rules.invalid_warning_share, 'en')}: check again and acknowledge.",
        ))
    # R-C6: ballots not returned ≥ 2% of those issued AND ≥ 15 ballots (both conditions).
    unreturned = issued - returned
    if (issued > 0 and unreturned >= rules.unreturned_warning_min
            and unreturned >= rules.unreturned_warning_share * issued):
        share = Fraction(unreturned, issued)
        warnings.append(CountIssue(
            "R-C6",
            f"Có {unreturned} phiếu phát ra không thu về ({_percent(share, 'vi')} số phiếu phát ra), từ "
            f"{_percent(rules.unreturned_warning_share, 'vi')} và từ {rules.unreturned_warning_min} phiếu "
            "trở lên: cần kiểm tra lại và xác nhận.",
            f"{unreturned} ballots issued were not returned ({_percent(share, 'en')} of those issued), at "
            f"least {_percent(rules.unreturned_warning_share, 'en')} and {rules.unreturned_warning_min} "
            "ballots: check again and acknowledge.",
        ))
    return warnings


def _denominator_value(count: CountInput, denominator: Denominator) -> int:
    if denominator == "total_households":
        return count.total_households
    if denominator == "valid_ballots":
        return count.valid_ballots
    if count.households_present is None:
        raise ValueError("households_present is needed for the 'present' denominator (R-V7)")
    return count.households_present


def _winners(count: CountInput, share: Fraction, whole: int) -> tuple[str, ...]:
    """R-V7: candidates with strictly more than the share, most votes first, at most `seats`.

    Guard: candidates tied at the last seat cannot all take it, so none of them is elected (a consistent
    1-seat count never has two candidates over half of a denominator ≥ valid ballots, but a distribution
    count judged on "present" can).
    """
    passing = sorted((c for c in count.candidates if _more_than(c[1], share, whole)), key=lambda c: -c[1])
    if len(passing) <= count.seats:
        return tuple(candidate_id for candidate_id, _ in passing)
    cut_votes = passing[count.seats][1]
    return tuple(candidate_id for candidate_id, votes in passing[:count.seats] if votes > cut_votes)


def evaluate_count(count: CountInput, rules: ElectionRuleSet = DEFAULT_ELECTION_RULES) -> CountOutcome:
    """R-C1…R-C6, R-V5, R-V7: the outcome of one hamlet's count.

    Precedence (api.md): "inconsistent" if any of R-C1…R-C5 fails; else "no_quorum" for a meeting
    without quorum; else "elected" if someone has strictly more than half of the denominator; else
    "no_winner" (a re-vote, R-V8).
    """
    denominator = count.denominator or rules.winner_denominator
    whole = _denominator_value(count, denominator)
    needed = _votes_needed(rules.winner_share, whole)
    quorum = (quorum_met(count.total_households, count.households_present, rules)
              if count.mode == "meeting" and count.households_present is not None else None)
    errors = tuple(_consistency_errors(count))
    warnings = tuple(_count_warnings(count, rules))
    shares = tuple(
        CandidateShares(candidate_id, votes, _share(votes, count.total_households),
                        _share(votes, count.households_present), _share(votes, count.valid_ballots))
        for candidate_id, votes in count.candidates
    )

    winners: tuple[str, ...] = ()
    outcome: Outcome
    if errors:
        outcome = "inconsistent"
    elif quorum is False:
        outcome = "no_quorum"
    else:
        winners = _winners(count, rules.winner_share, whole)
        outcome = "elected" if winners else "no_winner"
    return CountOutcome(quorum, outcome, winners, errors, warnings, shares, denominator, needed)


def next_step_after(outcome: Outcome, round_no: int = 1,
                    rules: ElectionRuleSet = DEFAULT_ELECTION_RULES) -> NextStep:
    """R-V5, R-V8, R-V9: what the commune does after a count of voting round `round_no` (1 = first vote).

    elected → the commune recognises the result (R-V9); inconsistent → the board fixes the count; no quorum
    at the meeting → ballots are taken to each household (R-V5); nobody elected → a re-vote, or after the
    last round an acting chief appointed by the commune chairman (R-V8).
    """
    if round_no < 1:
        raise ValueError("round_no starts at 1")
    if outcome == "elected":
        return "recognise"
    if outcome == "inconsistent":
        return "fix_count"
    if outcome == "no_quorum":
        return "distribute"
    if outcome == "no_winner":
        return "revote" if round_no < rules.voting_rounds else "appoint_acting_chief"
    raise ValueError(f"unknown outcome {outcome!r}")


def revote_deadline(first_day: date, rules: ElectionRuleSet = DEFAULT_ELECTION_RULES) -> date:
    """R-V8: the re-vote is held no later than this date (counted from the first election day)."""
    return first_day + timedelta(days=rules.revote_within_days)


# ---------------------------------------------------------------------------------------------------------
# Date rules: the day voting opens, the re-vote day, the dates of the commune's decisions
# ---------------------------------------------------------------------------------------------------------

def voting_day_problem(today: date, allowed: date | None, round_no: int = 1) -> DateProblem | None:
    """R-V4 (round 1: the term's single election Sunday) and R-V8 (a re-vote: the day the commune ordered):
    voting opens only on that day, in Vietnam's date (`today` is core.vietnamese.vietnam_today())."""
    rule = "R-V4" if round_no == 1 else "R-V8"
    if allowed is None:
        return DateProblem("R-V8", "Chưa ghi ngày bầu lại trong quyết định bầu lại: chưa thể khai mạc (R-V8).")
    if today != allowed:
        what = "ngày bầu cử của nhiệm kỳ" if round_no == 1 else "ngày bầu lại đã quyết định"
        return DateProblem(rule, f"Chỉ khai mạc bỏ phiếu vào {what}: {day_with_weekday(allowed)}. Hôm nay là "
                                 f"{day_with_weekday(today)} ({rule}).")
    return None


def revote_day_problem(day: date, first_day: date, ordered_on: date,
                       rules: ElectionRuleSet = DEFAULT_ELECTION_RULES) -> DateProblem | None:
    """R-V8: the re-vote day is after the first vote, not before the day it is ordered, and no later than the
    re-vote deadline (`revote_within_days` after the first election day)."""
    deadline = revote_deadline(first_day, rules)
    if day <= first_day:
        return DateProblem("R-V8", f"Ngày bầu lại {day:%d/%m/%Y} phải sau ngày bầu cử {first_day:%d/%m/%Y} (R-V8).",
                           "voting_day")
    if day < ordered_on:
        return DateProblem("R-V8", f"Ngày bầu lại {day:%d/%m/%Y} đã qua (hôm nay là {ordered_on:%d/%m/%Y}) (R-V8).",
                           "voting_day")
    if day > deadline:
        return DateProblem("R-V8", f"Ngày bầu lại {day:%d/%m/%Y} quá hạn: bầu lại chậm nhất "
                                   f"{rules.revote_within_days} ngày sau ngày bầu cử, tức "
                                   f"{day_with_weekday(deadline)} (R-V8).", "voting_day")
    return None


def recognition_date_problem(decided_on: date, today: date, poll_day: date, due: date | None) -> DateProblem | None:
    """R-V9: the recognition decision is dated not before the vote it recognises, not after the deadline of 5
    working days from the minutes (`due`, recognition_deadline) and not in the future."""
    return decision_date_problem("R-V9", decided_on, today, not_before=poll_day, not_before_what="ngày bỏ phiếu",
                                 due=due, due_what="hạn công nhận 5 ngày làm việc")


def acting_date_problem(decided_on: date, today: date, poll_day: date) -> DateProblem | None:
    """R-V8: the acting chief is appointed after the last round failed: not before that round's voting day and
    not in the future."""
    return decision_date_problem("R-V8", decided_on, today, not_before=poll_day,
                                 not_before_what="ngày bỏ phiếu của vòng bầu lại")


# ---------------------------------------------------------------------------------------------------------
# Ballot validity (R-B1; source uncertain, national-election analogy)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BallotValidity:
    valid: bool
    reason: str  # "valid", "not_genuine", "extra_marks", "no_name_kept", "too_many_kept", "no_box", "both_boxes"
    message: str
    message_en: str


_BALLOT_VERDICTS: dict[str, tuple[str, str]] = {
    "valid": ("Phiếu hợp lệ.", "Valid ballot."),
    "not_genuine": ("Phiếu không hợp lệ: không phải phiếu do Tổ bầu cử phát ra (sai số sê-ri hoặc sai thôn).",
                    "Invalid: not a ballot issued by the election team (wrong serial or hamlet)."),
    "extra_marks": ("Phiếu không hợp lệ: có ghi thêm tên người hoặc viết thêm nội dung khác.",
                    "Invalid: a name or other text was added."),
    "no_name_kept": ("Phiếu không hợp lệ: gạch hết tên tất cả người ứng cử.",
                     "Invalid: every candidate's name is struck out."),
    "too_many_kept": ("Phiếu không hợp lệ: để lại nhiều tên hơn số người được bầu ({seats}).",
                      "Invalid: more names kept than seats ({seats})."),
    "no_box": ("Phiếu không hợp lệ: không đánh dấu ô “Đồng ý” hoặc “Không đồng ý”.",
               "Invalid: neither \"Agree\" nor \"Disagree\" is marked."),
    "both_boxes": ("Phiếu không hợp lệ: đánh dấu cả hai ô “Đồng ý” và “Không đồng ý”.",
                   "Invalid: both \"Agree\" and \"Disagree\" are marked."),
}


def _verdict(reason: str, seats: int) -> BallotValidity:
    message, message_en = _BALLOT_VERDICTS[reason]
    return BallotValidity(reason == "valid", reason, message.format(seats=seats), message_en.format(seats=seats))


def ballot_validity(candidate_ids: Sequence[str], kept_ids: Collection[str], seats: int = 1,
                    single_candidate_mark: SingleCandidateMark | None = None,
                    extra_marks: bool = False, genuine: bool = True) -> BallotValidity:
    """R-B1: is one ballot valid?

    Several candidates: `kept_ids` are the names left unstruck; valid iff genuine, nothing added, and
    1 ≤ kept ≤ seats. One candidate: `single_candidate_mark` says which box is marked ("agree",
    "disagree", "both", "none"/None); valid iff genuine, nothing added and exactly one box marked
    (`kept_ids` is ignored). Not being genuine or having added names/text invalidates either kind.
    """
    if not candidate_ids:
        raise ValueError("a ballot lists at least one candidate (R-V3)")
    if seats < 1:
        raise ValueError("seats must be ≥ 1")
    if not genuine:
        return _verdict("not_genuine", seats)
    if extra_marks:
        return _verdict("extra_marks", seats)
    if len(candidate_ids) == 1:
        if single_candidate_mark in ("agree", "disagree"):
            return _verdict("valid", seats)
        if single_candidate_mark == "both":
            return _verdict("both_boxes", seats)
        if single_candidate_mark in (None, "none"):
            return _verdict("no_box", seats)
        raise ValueError(f"unknown mark {single_candidate_mark!r}")
    kept = set(kept_ids)
    unknown = kept - set(candidate_ids)
    if unknown:
        raise ValueError(f"kept ids not on the ballot: {sorted(unknown)}")
    if not kept:
        return _verdict("no_name_kept", seats)
    if len(kept) > seats:
        return _verdict("too_many_kept", seats)
    return _verdict("valid", seats)


# ---------------------------------------------------------------------------------------------------------
# Four eyes and corrections (issue 15)
# ---------------------------------------------------------------------------------------------------------

# R-C7 (four eyes): the account that entered a count entry does not also decide on it — neither choose between
# the entries, nor validate the signed minutes, nor recognise the result; the ballot accounting is recorded by
# someone other than the two who entered the count, where the hamlet's team has that many members. A hamlet
# whose team is one person is set "single member" by the commune committee (with a reason): the rule then
# yields, and the district board flags the poll.
FourEyesAction = Literal["enter", "choose", "validate", "recognise", "account"]
ACCOUNTING_TEAM_SIZE = 3  # two people enter the count, a third records the ballot accounting
CORRECTION_REASON_MIN = 10  # a written reason, not "sai" or "nhầm"

FOUR_EYES_MESSAGES: dict[str, str] = {
    "enter": "Hai lần nhập phải do hai người khác nhau thực hiện: bạn đã nhập một lần cho cuộc bầu này (R-C7).",
    "choose": "Bạn đã nhập một lần kết quả kiểm phiếu của cuộc bầu này nên không thể chọn lần nhập đúng: cần "
              "một thành viên khác của Ban chỉ đạo xã (R-C7).",
    "validate": "Bạn đã nhập kết quả kiểm phiếu của cuộc bầu này nên không thể xác nhận biên bản: cần một thành "
                "viên khác của Ban chỉ đạo xã (R-C7).",
    "recognise": "Bạn đã nhập kết quả kiểm phiếu của cuộc bầu này nên không thể ghi quyết định công nhận: cần "
                 "một thành viên khác của Ban chỉ đạo xã (R-C7).",
    "account": "Sổ theo dõi phiếu bầu phải do người khác với hai người đã nhập kết quả kiểm phiếu ghi (R-C7).",
}


def four_eyes_refusal(action: FourEyesAction, actor_id: int | None, entry_user_ids: Collection[int | None],
                      single_member: bool = False, team_size: int = ACCOUNTING_TEAM_SIZE) -> str | None:
    """R-C7: why `actor_id` may not take `action` on a poll whose count entries were made by `entry_user_ids`
    (None: allowed). `team_size` counts the hamlet's polling team (the accounting rule needs three people)."""
    if single_member or actor_id is None or actor_id not in set(entry_user_ids):
        return None
    if action == "account" and team_size < ACCOUNTING_TEAM_SIZE:
        return None
    return FOUR_EYES_MESSAGES[action]


def correction_reason_problem(reason: str) -> str | None:
    """A reopened count needs a written reason of at least CORRECTION_REASON_MIN characters."""
    if len(" ".join(reason.split())) < CORRECTION_REASON_MIN:
        return (f"Cần ghi rõ lý do mở lại kết quả (ít nhất {CORRECTION_REASON_MIN} ký tự): ví dụ biên bản giấy đã "
                "ký khác số liệu đã nhập ở dòng nào.")
    return None
