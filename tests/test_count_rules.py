"""The counting rules of the hamlet-chief election (rules.md §2: R-V5, R-V7, R-V8, R-B1, R-C1…R-C6)."""
from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest

from election.rules import (
    DEFAULT_ELECTION_RULES,
    CountInput,
    ElectionRuleSet,
    ballot_validity,
    evaluate_count,
    next_step_after,
    quorum_met,
    revote_deadline,
)


def meeting_count(**changes: object) -> CountInput:
    """The api.md example: 310 households, 216 present, consistent, A 150 / B 60."""
    base = CountInput(
        mode="meeting", total_households=310, households_present=216, ballots_issued=216,
        ballots_returned=214, valid_ballots=210, invalid_ballots=4,
        candidates=(("A", 150), ("B", 60)),
    )
    return replace(base, **changes)


def full_count(total: int, votes: tuple[tuple[str, int], ...], **changes: object) -> CountInput:
    """Every household present, every ballot returned and valid."""
    valid = sum(v for _, v in votes) if len(votes) > 1 else votes[0][1] + int(changes.get("against", 0))
    base = CountInput(
        mode="meeting", total_households=total, households_present=valid, ballots_issued=valid,
        ballots_returned=valid, valid_ballots=valid, invalid_ballots=0, candidates=votes,
    )
    return replace(base, **changes)


def rule_ids(issues: tuple) -> list[str]:
    return [issue.rule for issue in issues]


# R-V5 quorum ----------------------------------------------------------------------------------------------

def test_quorum_exactly_half_of_households_fails() -> None:
    assert quorum_met(310, 155) is False


def test_quorum_half_plus_one_passes() -> None:
    assert quorum_met(310, 156) is True


def test_quorum_with_odd_households_needs_more_than_the_half() -> None:
    assert quorum_met(311, 155) is False
    assert quorum_met(311, 156) is True


def test_quorum_of_an_empty_hamlet_is_never_met() -> None:
    assert quorum_met(0, 0) is False


def test_meeting_without_quorum_is_no_quorum_even_with_a_majority_of_households() -> None:
    count = meeting_count(households_present=155, ballots_issued=155, ballots_returned=155,
                          valid_ballots=155, invalid_ballots=0, candidates=(("A", 155),))
    result = evaluate_count(count)
    assert result.quorum_met is False
    assert result.outcome == "no_quorum"
    assert result.winner is None


# R-V7 elected ---------------------------------------------------------------------------------------------

def test_exactly_half_of_the_households_is_not_elected() -> None:
    result = evaluate_count(full_count(310, (("A", 155), ("B", 61))))
    assert result.outcome == "no_winner"
    assert result.winner is None


def test_half_of_the_households_plus_one_is_elected() -> None:
    result = evaluate_count(full_count(310, (("A", 156), ("B", 60))))
    assert result.outcome == "elected"
    assert result.winner == "A"
    assert result.winners == ("A",)


def test_votes_needed_is_more_than_half_of_the_denominator() -> None:
    assert evaluate_count(full_count(310, (("A", 156), ("B", 60)))).votes_needed == 156
    assert evaluate_count(full_count(311, (("A", 156), ("B", 60)))).votes_needed == 156
    assert evaluate_count(full_count(312, (("A", 156), ("B", 60)))).votes_needed == 157


def test_api_example_is_no_winner_on_total_households_by_default() -> None:
    result = evaluate_count(meeting_count())  # A has 150 of 310 households: 48.4%
    assert result.denominator == "total_households"
    assert result.quorum_met is True
    assert result.outcome == "no_winner"


# A has 90 of 150 valid ballots (60%) but only 90 of 200 households (45%) and of 190 present (47.4%).
SIXTY_PERCENT_OF_VALID = dict(total_households=200, households_present=190, ballots_issued=190,
                              ballots_returned=150, valid_ballots=150, invalid_ballots=0,
                              candidates=(("A", 90), ("B", 60)))


@pytest.mark.parametrize(("denominator", "outcome"), [
    ("total_households", "no_winner"),
    ("present", "no_winner"),
    ("valid_ballots", "elected"),
])
def test_denominator_in_the_request_decides_the_outcome(denominator: str, outcome: str) -> None:
    result = evaluate_count(meeting_count(**SIXTY_PERCENT_OF_VALID, denominator=denominator))
    assert result.outcome == outcome
    assert result.denominator == denominator


def test_denominator_setting_of_the_rule_set_applies_when_the_count_names_none() -> None:
    count = meeting_count(**SIXTY_PERCENT_OF_VALID)
    assert evaluate_count(count).outcome == "no_winner"
    on_valid = ElectionRuleSet(winner_denominator="valid_ballots")
    result = evaluate_count(count, on_valid)
    assert result.outcome == "elected"
    assert result.denominator == "valid_ballots"


def test_exactly_half_of_valid_ballots_is_not_elected_on_that_denominator() -> None:
    count = full_count(300, (("A", 100), ("B", 100)), denominator="valid_ballots")
    assert evaluate_count(count).outcome == "no_winner"


def test_present_denominator_with_half_present_plus_one() -> None:
    count = meeting_count(candidates=(("A", 109), ("B", 101)), denominator="present")  # 216 present
    assert evaluate_count(count).outcome == "elected"
    count = meeting_count(candidates=(("A", 108), ("B", 102)), denominator="present")
    assert evaluate_count(count).outcome == "no_winner"


def test_shares_are_exact_for_each_denominator() -> None:
    shares = evaluate_count(meeting_count()).shares
    assert [s.candidate_id for s in shares] == ["A", "B"]
    assert shares[0].of_total_households == Fraction(150, 310)
    assert shares[0].of_present == Fraction(150, 216)
    assert shares[0].of_valid_ballots == Fraction(150, 210)


def test_share_is_none_when_its_denominator_is_zero_or_unknown() -> None:
    count = CountInput(mode="distribution", total_households=10, households_present=None, ballots_issued=0,
                       ballots_returned=0, valid_ballots=0, invalid_ballots=0, candidates=(("A", 0), ("B", 0)))
    share = evaluate_count(count).shares[0]
    assert share.of_total_households == 0
    assert share.of_present is None
    assert share.of_valid_ballots is None


# One candidate: "Đồng ý" / "Không đồng ý" ---------------------------------------------------------------

def test_single_candidate_with_more_than_half_of_households_agreeing_is_elected() -> None:
    result = evaluate_count(meeting_count(candidates=(("A", 160),), against=50))
    assert result.errors == ()
    assert result.outcome == "elected"
    assert result.winner == "A"


def test_single_candidate_with_exactly_half_agreeing_is_not_elected() -> None:
    result = evaluate_count(meeting_count(candidates=(("A", 155),), against=55))
    assert result.outcome == "no_winner"


def test_single_candidate_agree_plus_disagree_must_equal_valid_ballots() -> None:
    result = evaluate_count(meeting_count(candidates=(("A", 160),), against=49))
    assert result.outcome == "inconsistent"
    assert rule_ids(result.errors) == ["R-C5"]


def test_against_is_ignored_with_several_candidates() -> None:
    assert evaluate_count(meeting_count(against=7)).errors == ()


# R-C1…R-C5 blocking checks ------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "rule"), [
    (dict(households_present=311), "R-C1"),  # present > total
    (dict(ballots_issued=217), "R-C2"),  # issued > present at the meeting
    (dict(ballots_issued=213), "R-C3"),  # returned (214) > issued
    (dict(invalid_ballots=5), "R-C4"),  # 210 + 5 ≠ 214
    (dict(candidates=(("A", 151), ("B", 60))), "R-C5"),  # 211 ≠ 210 valid
    (dict(candidates=(("A", 149), ("B", 60))), "R-C5"),  # 209 ≠ 210 valid
])
def test_each_blocking_check_makes_the_count_inconsistent(changes: dict, rule: str) -> None:
    result = evaluate_count(meeting_count(**changes, denominator="valid_ballots"))
    assert rule_ids(result.errors) == [rule]
    assert result.outcome == "inconsistent"
    assert result.winner is None  # A would have 71% of valid ballots otherwise


def test_inconsistency_takes_precedence_over_a_missing_quorum() -> None:
    result = evaluate_count(meeting_count(households_present=100))  # issued 216 > present 100
    assert result.quorum_met is False
    assert rule_ids(result.errors) == ["R-C2"]
    assert result.outcome == "inconsistent"


def test_blocking_messages_are_vietnamese_and_english() -> None:
    result = evaluate_count(meeting_count(households_present=311, invalid_ballots=5))
    first = result.errors[0]
    assert first.message == "Số hộ có mặt (311) lớn hơn tổng số hộ của thôn (310)."
    assert first.message_en == "Households present (311) exceed the hamlet's total households (310)."
    assert all(unicodedata.is_normalized("NFC", issue.message) for issue in result.errors)


# Distribution mode (R-V5 fallback) ----------------------------------------------------------------------

def distribution_count(**changes: object) -> CountInput:
    base = CountInput(
        mode="distribution", total_households=310, households_present=None, ballots_issued=300,
        ballots_returned=290, valid_ballots=288, invalid_ballots=2, candidates=(("A", 200), ("B", 88)),
    )
    return replace(base, **changes)


def test_distribution_mode_does_not_check_the_quorum() -> None:
    result = evaluate_count(distribution_count())
    assert result.quorum_met is None
    assert result.outcome == "elected"
    assert result.winner == "A"


def test_distribution_mode_checks_ballots_issued_against_all_households() -> None:
    assert evaluate_count(distribution_count(ballots_issued=310)).errors == ()
    result = evaluate_count(distribution_count(ballots_issued=311))
    assert rule_ids(result.errors) == ["R-C2"]
    assert result.outcome == "inconsistent"


def test_distribution_mode_on_present_needs_households_present() -> None:
    with pytest.raises(ValueError):
        evaluate_count(distribution_count(denominator="present"))


# Several seats and the tie guard ------------------------------------------------------------------------

def test_two_seats_elect_the_two_candidates_over_half_most_votes_first() -> None:
    count = full_count(100, (("A", 60), ("B", 80), ("C", 40)), households_present=100, ballots_issued=100,
                       ballots_returned=100, valid_ballots=100, seats=2)
    result = evaluate_count(count)
    assert result.errors == ()
    assert result.winners == ("B", "A")
    assert result.winner == "B"


@pytest.mark.parametrize(("votes", "consistent"), [
    ((("A", 60), ("B", 40)), True),  # every ballot kept one name: sum = valid
    ((("A", 100), ("B", 100)), True),  # every ballot kept both: sum = 2 × valid
    ((("A", 60), ("B", 39)), False),  # fewer votes than valid ballots
    ((("A", 100), ("B", 101)), False),  # a candidate with more votes than valid ballots
])
def test_two_seats_votes_lie_between_valid_and_seats_times_valid(votes: tuple, consistent: bool) -> None:
    count = full_count(100, votes, households_present=100, ballots_issued=100, ballots_returned=100,
                       valid_ballots=100, seats=2)
    errors = evaluate_count(count).errors
    assert (errors == ()) is consistent
    assert set(rule_ids(errors)) <= {"R-C5"}


def test_tie_over_half_for_one_seat_elects_nobody() -> None:
    # Possible only when judged on "present" in distribution mode: present is not bound by ballots there.
    count = distribution_count(households_present=100, ballots_issued=300, ballots_returned=300,
                               valid_ballots=300, invalid_ballots=0, candidates=(("A", 150), ("B", 150)),
                               denominator="present")
    assert evaluate_count(count).outcome == "no_winner"


def test_two_over_half_for_one_seat_elects_the_one_with_more_votes() -> None:
    count = distribution_count(households_present=100, ballots_issued=300, ballots_returned=300,
                               valid_ballots=300, invalid_ballots=0, candidates=(("A", 140), ("B", 160)),
                               denominator="present")
    assert evaluate_count(count).winners == ("B",)


# R-C6 warnings and R-V3 ---------------------------------------------------------------------------------

def invalid_share_count(returned: int, invalid: int) -> CountInput:
    return full_count(300, (("A", returned - invalid), ("B", 0)), households_present=returned,
                      ballots_issued=returned, ballots_returned=returned, valid_ballots=returned - invalid,
                      invalid_ballots=invalid)


def test_invalid_ballots_at_exactly_three_percent_warn() -> None:
    result = evaluate_count(invalid_share_count(200, 6))
    assert rule_ids(result.warnings) == ["R-C6"]
    assert "3%" in result.warnings[0].message


def test_invalid_ballots_just_below_three_percent_do_not_warn() -> None:
    assert evaluate_count(invalid_share_count(201, 6)).warnings == ()  # 2.985%
    assert evaluate_count(invalid_share_count(200, 5)).warnings == ()


def unreturned_count(issued: int, returned: int) -> CountInput:
    return full_count(1000, (("A", returned), ("B", 0)), households_present=issued, ballots_issued=issued,
                      ballots_returned=returned, valid_ballots=returned)


def test_unreturned_ballots_at_two_percent_and_fifteen_warn() -> None:
    result = evaluate_count(unreturned_count(750, 735))  # 15 = 2% of 750
    assert rule_ids(result.warnings) == ["R-C6"]


def test_unreturned_ballots_need_both_two_percent_and_fifteen() -> None:
    assert evaluate_count(unreturned_count(751, 736)).warnings == ()  # 15 but 1.997%
    assert evaluate_count(unreturned_count(700, 686)).warnings == ()  # 2% but only 14
    assert rule_ids(evaluate_count(unreturned_count(100, 80)).warnings) == ["R-C6"]  # 20 and 20%


def test_warnings_do_not_block_the_outcome() -> None:
    result = evaluate_count(unreturned_count(750, 735))  # A has 735 of 1000 households
    assert result.warnings and result.outcome == "elected"
    result = evaluate_count(invalid_share_count(200, 6))  # A has 194 of 300 households
    assert result.warnings and result.outcome == "elected"


def test_warning_thresholds_are_settings() -> None:
    stricter = ElectionRuleSet(invalid_warning_share=Fraction(2, 100))
    assert rule_ids(evaluate_count(invalid_share_count(200, 5), stricter).warnings) == ["R-C6"]


# Input and rule-set guards ------------------------------------------------------------------------------

@pytest.mark.parametrize("changes", [
    dict(candidates=(("A", -1), ("B", 60))),
    dict(candidates=(("A", True), ("B", 60))),
    dict(against=-1),
    dict(ballots_issued=-1),
    dict(households_present=None),  # meeting mode needs it
    dict(candidates=()),
    dict(candidates=(("A", 1), ("A", 2))),
    dict(seats=0),
    dict(mode="postal"),
    dict(denominator="voters"),
])
def test_count_input_rejects_impossible_values(changes: dict) -> None:
    with pytest.raises(ValueError):
        meeting_count(**changes)


def test_rule_set_rejects_incoherent_settings() -> None:
    with pytest.raises(ValueError):
        ElectionRuleSet(quorum_share=Fraction(3, 2))
    with pytest.raises(ValueError):
        ElectionRuleSet(winner_denominator="voters")  # type: ignore[arg-type]


def test_default_rules_match_rules_md() -> None:
    rules = DEFAULT_ELECTION_RULES
    assert (rules.quorum_share, rules.winner_share, rules.winner_denominator) == (
        Fraction(1, 2), Fraction(1, 2), "total_households")
    assert rules.revote_within_days == 15


# R-V8 what comes next ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("outcome", "round_no", "step"), [
    ("elected", 1, "recognise"),
    ("elected", 2, "recognise"),
    ("inconsistent", 1, "fix_count"),
    ("no_quorum", 1, "distribute"),
    ("no_winner", 1, "revote"),
    ("no_winner", 2, "appoint_acting_chief"),
])
def test_next_step_after_a_count(outcome: str, round_no: int, step: str) -> None:
    assert next_step_after(outcome, round_no) == step


def test_more_voting_rounds_allow_a_second_revote() -> None:
    assert next_step_after("no_winner", 2, ElectionRuleSet(voting_rounds=3)) == "revote"
    assert next_step_after("no_winner", 3, ElectionRuleSet(voting_rounds=3)) == "appoint_acting_chief"


def test_next_step_rejects_unknown_outcomes_and_rounds() -> None:
    with pytest.raises(ValueError):
        next_step_after("postponed", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        next_step_after("no_winner", 0)


def test_revote_within_fifteen_days_of_the_first_vote() -> None:
    assert revote_deadline(date(2022, 5, 22)) == date(2022, 6, 6)
    assert revote_deadline(date(2022, 5, 22), ElectionRuleSet(revote_within_days=10)) == date(2022, 6, 1)


# R-B1 ballot validity ------------------------------------------------------------------------------------

TWO = ("A", "B")


@pytest.mark.parametrize(("kept", "seats", "extra", "genuine", "reason"), [
    ({"A"}, 1, False, True, "valid"),
    ({"A", "B"}, 1, False, True, "too_many_kept"),
    (set(), 1, False, True, "no_name_kept"),
    ({"A"}, 1, True, True, "extra_marks"),
    ({"A"}, 1, False, False, "not_genuine"),
    ({"A", "B"}, 2, False, True, "valid"),
])
def test_ballot_with_several_candidates(kept: set, seats: int, extra: bool, genuine: bool, reason: str) -> None:
    verdict = ballot_validity(TWO, kept, seats, extra_marks=extra, genuine=genuine)
    assert verdict.reason == reason
    assert verdict.valid is (reason == "valid")
    assert verdict.message and verdict.message_en


def test_ballot_keeping_more_names_than_seats_of_three() -> None:
    assert ballot_validity(("A", "B", "C"), {"A", "B"}, 2).valid is True
    assert ballot_validity(("A", "B", "C"), {"A", "B", "C"}, 2).reason == "too_many_kept"


@pytest.mark.parametrize(("mark", "reason"), [
    ("agree", "valid"),
    ("disagree", "valid"),
    ("both", "both_boxes"),
    ("none", "no_box"),
    (None, "no_box"),
])
def test_ballot_with_one_candidate_needs_exactly_one_box(mark: str | None, reason: str) -> None:
    verdict = ballot_validity(("A",), (), single_candidate_mark=mark)
    assert verdict.reason == reason
    assert verdict.valid is (reason == "valid")


def test_single_candidate_ballot_must_be_genuine() -> None:
    assert ballot_validity(("A",), (), single_candidate_mark="agree", genuine=False).valid is False


def test_ballot_validity_message_is_vietnamese() -> None:
    verdict = ballot_validity(TWO, set(), 1)
    assert verdict.message == "Phiếu không hợp lệ: gạch hết tên tất cả người ứng cử."
    assert unicodedata.is_normalized("NFC", verdict.message)


def test_ballot_keeping_a_name_not_on_the_ballot_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        ballot_validity(TWO, {"Z"}, 1)
