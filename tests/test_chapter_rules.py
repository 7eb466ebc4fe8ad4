"""Chapter-congress rules (R-P1…R-P4) and targets (R-T1…R-T5) at their boundaries."""
import time
import unicodedata
from dataclasses import FrozenInstanceError
from datetime import date, timedelta

import pytest

from chapters.rules import (
    DEFAULT_CONGRESS_RULES,
    Attendance,
    ChapterFacts,
    ChapterRuleError,
    CongressRuleSet,
    Exclusions,
    HamletFacts,
    RemediationFacts,
    TallyOutcome,
    ballot_result,
    check_candidate_list,
    committee_target,
    compute_targets,
    compute_targets_by_commune,
    congress_structure,
    floor_nominee_accepted,
    max_candidate_surplus,
    remediation_state,
    remediation_targets,
    secretary_round_outcome,
    vote_base,
)
from core.enums import Post
from core.targets import RuleInputError, TargetFigure
from training.rules import WorkerFacts

CEIL = CongressRuleSet(surplus_rounding="ceil")
FLOOR = CongressRuleSet(surplus_rounding="floor")


def codes(problems):
    return [p.code for p in problems]


# R-P1 -----------------------------------------------------------------------------------------------------


def test_eight_official_members_elect_secretary_and_optional_deputy_without_committee():
    structure = congress_structure(8)
    assert not structure.elects_committee
    assert structure.max_committee_seats == 0
    assert [s.post for s in structure.steps] == [Post.CHAPTER_SECRETARY, Post.CHAPTER_DEPUTY_SECRETARY]
    assert [s.optional for s in structure.steps] == [False, True]
    assert not any(s.from_committee for s in structure.steps)


def test_nine_official_members_elect_committee_then_secretary_then_deputy_from_it():
    structure = congress_structure(9)
    assert structure.elects_committee
    assert structure.max_committee_seats == 7
    assert [s.post for s in structure.steps] == [
        Post.CHAPTER_COMMITTEE_MEMBER, Post.CHAPTER_SECRETARY, Post.CHAPTER_DEPUTY_SECRETARY]
    assert [s.from_committee for s in structure.steps] == [False, True, True]
    assert structure.steps[2].max_seats == 1


def test_committee_never_exceeds_seven_seats_in_a_large_chapter():
    assert congress_structure(120).max_committee_seats == 7


def test_lower_configured_threshold_keeps_seats_below_member_count():
    # Assumption: seats < official members, so R-P3 can have more candidates than seats.
    structure = congress_structure(5, CongressRuleSet(committee_threshold=5))
    assert structure.max_committee_seats == 4


def test_structure_message_is_vietnamese_nfc_with_english_twin():
    structure = congress_structure(8)
    assert "chi ủy" in structure.message
    assert unicodedata.normalize("NFC", structure.message) == structure.message
    assert "no committee" in structure.message_en


def test_negative_member_count_is_refused():
    with pytest.raises(ChapterRuleError):
        congress_structure(-1)


def test_rule_set_is_frozen_and_rejects_unknown_rounding():
    with pytest.raises(FrozenInstanceError):
        DEFAULT_CONGRESS_RULES.committee_threshold = 5  # type: ignore[misc]
    with pytest.raises(ValueError):
        CongressRuleSet(surplus_rounding="nearest")  # type: ignore[arg-type]


# R-P2 -----------------------------------------------------------------------------------------------------


def test_vote_base_without_exclusions_is_members_convened():
    assert vote_base(Attendance(20)) == 20


def test_each_exclusion_reduces_the_vote_base():
    exclusions = Exclusions(temporarily_transferred_out=1, exempted_and_absent=2, suspended=1,
                            prosecuted_or_detained=1, absent_with_approved_reason=3)
    assert vote_base(Attendance(20, exclusions)) == 12


def test_exclusions_equal_to_members_leave_zero_base():
    assert vote_base(Attendance(3, Exclusions(exempted_and_absent=3))) == 0


def test_exclusions_above_members_convened_are_refused():
    with pytest.raises(ChapterRuleError) as error:
        vote_base(Attendance(3, Exclusions(suspended=2, absent_with_approved_reason=2)))
    assert "triệu tập" in error.value.message


def test_negative_exclusion_is_refused():
    with pytest.raises(ChapterRuleError):
        Exclusions(suspended=-1)


def test_exactly_half_of_even_base_is_not_elected():
    result = ballot_result({"An": 5}, valid_ballots=10, base=10, seats=1)
    assert result.elected == ()
    assert result.tallies[0].outcome is TallyOutcome.NO_MAJORITY
    assert result.votes_needed == 6
    assert result.unfilled_seats == 1


def test_half_plus_one_of_even_base_is_elected():
    result = ballot_result({"An": 6}, valid_ballots=10, base=10, seats=1)
    assert result.elected == ("An",)
    assert result.tallies[0].share_of_base == pytest.approx(0.6)


def test_odd_base_needs_the_next_whole_vote_above_half():
    assert ballot_result({"An": 5}, valid_ballots=9, base=9, seats=1).elected == ("An",)
    assert ballot_result({"An": 4}, valid_ballots=9, base=9, seats=1).elected == ()


def test_majority_is_of_the_base_not_of_valid_ballots():
    # 5 of 8 valid ballots is 62.5%, but the base is 11: 5 is not more than 5.5.
    result = ballot_result({"An": 5}, valid_ballots=8, base=11, seats=1)
    assert result.elected == ()
    assert result.tallies[0].share_of_valid == pytest.approx(0.625)
    assert result.tallies[0].share_of_base == pytest.approx(5 / 11)


def test_exclusions_can_turn_a_minority_into_a_majority():
    attendance = Attendance(12, Exclusions(absent_with_approved_reason=2))
    assert ballot_result({"An": 6}, valid_ballots=9, base=vote_base(attendance), seats=1).elected == ("An",)
    assert ballot_result({"An": 6}, valid_ballots=9, base=12, seats=1).elected == ()


def test_more_majorities_than_seats_take_the_highest_votes():
    result = ballot_result({"An": 7, "Bình": 9, "Cường": 8, "Dũng": 2}, valid_ballots=10, base=10, seats=2)
    assert result.elected == ("Bình", "Cường")
    outcomes = {t.candidate: t.outcome for t in result.tallies}
    assert outcomes["An"] is TallyOutcome.OUTRANKED
    assert outcomes["Dũng"] is TallyOutcome.NO_MAJORITY
    assert not result.tie_needs_new_round
    assert result.unfilled_seats == 0


def test_tie_at_last_seat_elects_nobody_tied_and_asks_for_a_new_round():
    result = ballot_result({"An": 9, "Bình": 7, "Cường": 7}, valid_ballots=10, base=10, seats=2)
    assert result.elected == ("An",)
    assert result.tied == ("Bình", "Cường")
    assert result.tie_needs_new_round
    assert result.unfilled_seats == 1
    tied_tally = next(t for t in result.tallies if t.candidate == "Bình")
    assert tied_tally.outcome is TallyOutcome.TIED_FOR_LAST_SEAT
    assert "bầu lại" in tied_tally.message and "new round" in tied_tally.message_en


def test_equal_votes_that_all_fit_the_seats_are_not_a_tie():
    result = ballot_result({"An": 7, "Bình": 7}, valid_ballots=10, base=10, seats=2)
    assert result.elected == ("An", "Bình")
    assert not result.tie_needs_new_round


def test_tally_messages_show_the_shares_in_both_languages():
    tally = ballot_result({"An": 6}, valid_ballots=8, base=10, seats=1).tallies[0]
    assert "60,0%" in tally.message and "75,0%" in tally.message
    assert "60.0%" in tally.message_en and "75.0%" in tally.message_en
    assert tally.message.startswith("Trúng cử")


def test_votes_above_valid_ballots_are_refused():
    with pytest.raises(ChapterRuleError):
        ballot_result({"An": 9}, valid_ballots=8, base=10, seats=1)


def test_valid_ballots_above_base_are_refused():
    with pytest.raises(ChapterRuleError):
        ballot_result({"An": 5}, valid_ballots=11, base=10, seats=1)


def test_zero_base_elects_nobody():
    result = ballot_result({"An": 0}, valid_ballots=0, base=0, seats=1)
    assert result.elected == ()
    assert result.tallies[0].share_of_base is None


# R-P3 -----------------------------------------------------------------------------------------------------


def test_surplus_of_exactly_thirty_percent_is_accepted():
    assert check_candidate_list(10, 13) == []


def test_surplus_above_thirty_percent_is_refused():
    problems = check_candidate_list(10, 14)
    assert codes(problems) == ["surplus_too_large"]
    assert problems[0].rule == "R-P3"
    assert "30%" in problems[0].message


def test_as_many_candidates_as_seats_is_refused():
    assert codes(check_candidate_list(7, 7)) == ["too_few_candidates"]


def test_seven_seats_round_the_surplus_up_to_three_by_default():
    assert check_candidate_list(7, 10) == []
    assert codes(check_candidate_list(7, 11)) == ["surplus_too_large"]


def test_seven_seats_round_the_surplus_down_to_two_with_floor():
    assert check_candidate_list(7, 9, FLOOR) == []
    assert codes(check_candidate_list(7, 10, FLOOR)) == ["surplus_too_large"]


def test_default_rounding_is_ceil_so_a_three_seat_committee_has_a_valid_list():
    assert DEFAULT_CONGRESS_RULES.surplus_rounding == "ceil"
    assert max_candidate_surplus(3) == 1
    assert check_candidate_list(3, 4) == []


def test_floor_rounding_leaves_a_three_seat_committee_without_any_valid_list():
    assert max_candidate_surplus(3, FLOOR) == 0
    assert "no_valid_list_size" in codes(check_candidate_list(3, 4, FLOOR))
    assert "no_valid_list_size" in codes(check_candidate_list(3, 3, FLOOR))


def test_ceil_rounding_allows_one_extra_candidate_for_three_seats():
    assert max_candidate_surplus(3, CEIL) == 1
    assert check_candidate_list(3, 4, CEIL) == []
    assert codes(check_candidate_list(3, 5, CEIL)) == ["surplus_too_large"]


def test_ceil_rounding_does_not_widen_an_exact_thirty_percent():
    assert max_candidate_surplus(10, CEIL) == 3


def test_floor_nominee_at_exactly_thirty_percent_is_refused():
    assert not floor_nominee_accepted(3, 10)


def test_floor_nominee_above_thirty_percent_is_accepted():
    assert floor_nominee_accepted(4, 10)
    assert floor_nominee_accepted(4, 13)  # 30.77%


def test_floor_nominee_with_nobody_present_is_refused():
    assert not floor_nominee_accepted(0, 0)


def test_more_agreeing_than_present_is_refused():
    with pytest.raises(ChapterRuleError):
        floor_nominee_accepted(11, 10)


# R-P4 -----------------------------------------------------------------------------------------------------


def test_secretary_elected_in_any_round_is_elected():
    assert secretary_round_outcome(3, True) == "elected"


def test_failed_first_and_second_rounds_lead_to_another_round():
    assert secretary_round_outcome(1, False) == "next_round"
    assert secretary_round_outcome(2, False) == "next_round"


def test_failed_third_round_goes_to_higher_committee_appointment():
    assert secretary_round_outcome(3, False) == "appoint_by_higher_committee"


def test_a_fourth_round_is_refused():
    with pytest.raises(ChapterRuleError):
        secretary_round_outcome(4, False)


# Targets --------------------------------------------------------------------------------------------------


def by_key(figures):
    return {f.key: f for f in figures}


def test_empty_denominator_has_no_share_and_counts_as_met():
    figure = TargetFigure("R-T1", "x", "nhãn", 0, 0)
    assert figure.share is None
    assert figure.met


def test_one_short_of_all_is_not_met():
    figure = TargetFigure("R-T1", "x", "nhãn", 99, 100)
    assert figure.share == pytest.approx(0.99)
    assert not figure.met


def test_numerator_above_denominator_is_refused():
    with pytest.raises(RuleInputError):
        TargetFigure("R-T1", "x", "nhãn", 2, 1)


def test_chapters_below_nine_members_are_not_in_the_committee_denominator():
    figure = committee_target([ChapterFacts(1, 8, False), ChapterFacts(2, 9, True), ChapterFacts(3, 30, False)])
    assert (figure.numerator, figure.denominator) == (1, 2)
    assert not figure.met


def test_committee_target_with_only_small_chapters_is_empty_and_met():
    figure = committee_target([ChapterFacts(1, 8, False)])
    assert figure.denominator == 0 and figure.share is None and figure.met


def test_compute_targets_counts_members_posts_and_secretaries():
    hamlets = [
        HamletFacts(1, True, Post.CHAPTER_SECRETARY, True),
        HamletFacts(2, True, Post.CHAPTER_COMMITTEE_MEMBER, False),
        HamletFacts(3, False, None, None),  # Front head post vacant
        HamletFacts(4, None, None, True),  # no chief in office
    ]
    figures = by_key(compute_targets(hamlets, [], [], [], date(2025, 6, 1)))
    assert (figures["chief_is_member"].numerator, figures["chief_is_member"].denominator) == (2, 3)
    assert (figures["front_head_is_member"].numerator, figures["front_head_is_member"].denominator) == (2, 3)
    assert (figures["chief_holds_chapter_post"].numerator, figures["chief_holds_chapter_post"].denominator) == (2, 3)
    secretary = figures["chief_is_secretary"]
    assert (secretary.numerator, secretary.denominator) == (1, 3)
    assert secretary.target_share is None and secretary.met  # encouraged, not a target
    assert figures["chapter_has_committee"].share is None


def test_chief_post_stored_as_plain_string_still_counts_as_secretary():
    figures = by_key(compute_targets([HamletFacts(1, True, "chapter_secretary", True)], [], [], [],  # type: ignore[arg-type]
                                     date(2025, 6, 1)))
    assert figures["chief_is_secretary"].numerator == 1


def test_training_targets_count_posts_separately():
    workers = [
        WorkerFacts(1, trained=True, is_chief=True, trained_as_chief=True, is_secretary=True,
                    trained_as_secretary=False),
        WorkerFacts(2, trained=False),
        WorkerFacts(3, trained=True, is_secretary=True, trained_as_secretary=True),
    ]
    figures = by_key(compute_targets([], [], workers, [], date(2025, 6, 1)))
    assert (figures["worker_trained"].numerator, figures["worker_trained"].denominator) == (2, 3)
    assert (figures["chief_trained_for_post"].numerator, figures["chief_trained_for_post"].denominator) == (1, 1)
    assert figures["chief_trained_for_post"].met
    secretaries = figures["secretary_trained_for_post"]
    assert (secretaries.numerator, secretaries.denominator) == (1, 2)


def test_remediation_on_its_deadline_day_is_still_due():
    deadline = date(2025, 6, 30)
    assert remediation_state(RemediationFacts(1, deadline, None), deadline) == "due"


def test_remediation_is_overdue_the_day_after_its_deadline():
    deadline = date(2025, 6, 30)
    assert remediation_state(RemediationFacts(1, deadline, None), deadline + timedelta(days=1)) == "overdue"


def test_remediation_met_after_the_reference_date_is_not_yet_met():
    remediation = RemediationFacts(1, date(2025, 6, 30), met_on=date(2025, 7, 5))
    assert remediation_state(remediation, date(2025, 7, 1)) == "overdue"
    assert remediation_state(remediation, date(2025, 7, 5)) == "met"


def test_remediation_figures_split_met_due_overdue_and_fail_on_any_overdue():
    as_of = date(2025, 7, 1)
    figures = by_key(remediation_targets([
        RemediationFacts(1, date(2025, 6, 30), met_on=date(2025, 5, 1)),
        RemediationFacts(2, date(2025, 7, 1), None),
        RemediationFacts(3, date(2025, 6, 30), None),
    ], as_of))
    assert [figures[k].numerator for k in ("remediation_met", "remediation_due", "remediation_overdue")] == [1, 1, 1]
    assert all(figures[k].denominator == 3 for k in figures)
    assert not figures["remediation_overdue"].met
    assert figures["remediation_due"].met  # informational


def test_no_overdue_remediation_meets_the_ceiling():
    figures = by_key(remediation_targets([RemediationFacts(1, date(2025, 6, 30), None)], date(2025, 6, 30)))
    assert figures["remediation_overdue"].met
    assert figures["remediation_overdue"].share == 0.0


def test_all_targets_on_empty_input_have_no_share():
    figures = compute_targets([], [], [], [], date(2025, 6, 1))
    assert {f.rule for f in figures} == {"R-T1", "R-T2", "R-T3", "R-T4", "R-T5"}
    assert all(f.share is None and f.met for f in figures)
    assert all(unicodedata.normalize("NFC", f.label_text) == f.label_text for f in figures)


def test_targets_by_commune_keep_communes_apart():
    result = compute_targets_by_commune(
        [HamletFacts(1, True, None, True, commune_id="A"), HamletFacts(2, False, None, True, commune_id="B")],
        [ChapterFacts(1, 10, False, commune_id="B")], [], [], date(2025, 6, 1))
    assert set(result) == {"A", "B"}
    assert by_key(result["A"])["chief_is_member"].met
    assert not by_key(result["B"])["chief_is_member"].met
    assert by_key(result["A"])["chapter_has_committee"].denominator == 0
    assert by_key(result["B"])["chapter_has_committee"].denominator == 1


def test_province_scale_targets_are_fast():
    n = 20_000  # about ten provinces of 1,800 hamlets
    hamlets = [HamletFacts(i, i % 3 != 0, Post.CHAPTER_SECRETARY if i % 2 else None, True, commune_id=i % 150)
               for i in range(n)]
    chapters = [ChapterFacts(i, 5 + i % 20, i % 4 != 0, commune_id=i % 150) for i in range(n)]
    workers = [WorkerFacts(i, i % 5 != 0, is_chief=True, commune_id=i % 150) for i in range(3 * n)]
    remediations = [RemediationFacts(i, date(2025, 1, 1) + timedelta(days=i % 365), None, commune_id=i % 150)
                    for i in range(n)]
    # This process's CPU time, not the wall clock: other work on a loaded machine (a parallel suite, CI) must not
    # fail it; the bound is a guard against a quadratic slip, the measurement lives in bench/dashboard.py.
    start = time.process_time()
    figures = compute_targets(hamlets, chapters, workers, remediations, date(2025, 6, 1))
    compute_targets_by_commune(hamlets, chapters, workers, remediations, date(2025, 6, 1))
    assert time.process_time() - start < 1.0
    assert by_key(figures)["chief_is_member"].denominator == n
