"""Candidate eligibility rules R-E1…R-E8 and R-X1 (rules.md §1) at their boundaries."""
from __future__ import annotations

import unicodedata
from dataclasses import FrozenInstanceError, replace
from datetime import date

import pytest

from candidates.rules import (
    BINH_SON_59,
    RULE_SETS,
    CandidateFacts,
    RuleKind,
    RuleSet,
    Status,
    applicable_rules,
    assess,
    assess_both,
    check_max_age,
    check_min_age,
    exception_possible,
    full_years,
    get_rule_set,
    remediation_met,
)
from core.enums import CommuneClass, Education, PartyMembership, PoliticalTheory, Post, at_least

ELECTION_DAY = date(2022, 5, 22)  # the Bình Sơn election Sunday
CHAPTER_POSTS = [Post.CHAPTER_SECRETARY, Post.CHAPTER_DEPUTY_SECRETARY, Post.CHAPTER_COMMITTEE_MEMBER]


def facts(**changes: object) -> CandidateFacts:
    """A candidate who meets every standard in a plain commune, with `changes` applied."""
    base = CandidateFacts(
        birth_date=date(1970, 1, 1),
        education=Education.UPPER_SECONDARY,
        political_theory=PoliticalTheory.ELEMENTARY,
        party_member=PartyMembership.OFFICIAL,
    )
    return replace(base, **changes)


def finding(assessment, rule: str):
    return next(f for f in assessment.findings if f.rule == rule)


# --- reference values -----------------------------------------------------------------------------------

def test_education_is_ordered_by_level_not_alphabet():
    assert Education.PRIMARY < Education.LOWER_SECONDARY < Education.UPPER_SECONDARY
    assert sorted([Education.UPPER_SECONDARY, Education.PRIMARY, Education.LOWER_SECONDARY]) == list(Education)
    assert Education.UPPER_SECONDARY.rank == 2


def test_political_theory_is_ordered():
    assert PoliticalTheory.NONE < PoliticalTheory.ELEMENTARY < PoliticalTheory.INTERMEDIATE < PoliticalTheory.ADVANCED
    assert at_least(PoliticalTheory.ADVANCED, PoliticalTheory.ELEMENTARY)
    assert not at_least(PoliticalTheory.NONE, PoliticalTheory.ELEMENTARY)


def test_at_least_refuses_to_compare_different_scales():
    with pytest.raises(TypeError):
        at_least(Education.UPPER_SECONDARY, PoliticalTheory.NONE)


def test_enums_are_their_json_codes_with_labels():
    assert Post("chapter_deputy_secretary") is Post.CHAPTER_DEPUTY_SECRETARY
    assert Education.LOWER_SECONDARY == "lower_secondary"
    assert Education.LOWER_SECONDARY.label == "THCS (lớp 9/12)"
    assert PoliticalTheory.ELEMENTARY.label == "Sơ cấp"


@pytest.mark.parametrize("enum", [Post, Education, PoliticalTheory, PartyMembership, CommuneClass, RuleKind, Status])
def test_every_label_is_nfc_vietnamese(enum):
    """One Vietnamese label per member (its English is in the catalogue: tests/test_translations.py)."""
    for member in enum:
        assert member.label
        assert unicodedata.normalize("NFC", member.label) == member.label


# --- age ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("birth, on, expected", [
    (date(1956, 5, 23), date(2022, 5, 22), 65),  # 65 years and 364 days
    (date(1956, 5, 22), date(2022, 5, 22), 66),  # the 66th birthday
    (date(2001, 5, 23), date(2022, 5, 22), 20),  # the day before the 21st birthday
    (date(2001, 5, 22), date(2022, 5, 22), 21),
    (date(2000, 2, 29), date(2021, 2, 28), 20),  # 29 Feb birthday falls on 1 March in common years
    (date(2000, 2, 29), date(2021, 3, 1), 21),
    (date(2000, 2, 29), date(2024, 2, 29), 24),
    (date(2000, 2, 29), date(2024, 2, 28), 23),
    (date(2022, 5, 22), date(2022, 5, 22), 0),
])
def test_full_years(birth, on, expected):
    assert full_years(birth, on) == expected


def test_full_years_rejects_a_reference_date_before_birth():
    with pytest.raises(ValueError):
        full_years(date(2022, 5, 23), date(2022, 5, 22))


@pytest.mark.parametrize("birth, ok", [
    (date(1956, 5, 23), True),   # 65 years 364 days on election day
    (date(1956, 5, 22), False),  # 66th birthday on election day
])
def test_max_age_65_in_full_years(birth, ok):
    result = check_max_age(birth, ELECTION_DAY)
    assert (result.rule, result.ok, result.kind) == ("R-E3", ok, RuleKind.HARD)


def test_max_age_message_states_age_date_and_limit():
    assert check_max_age(date(1956, 5, 22), ELECTION_DAY).message == \
        "Tuổi 66 vào ngày 22/05/2022, vượt quá 65 tuổi (R-E3)."


@pytest.mark.parametrize("birth, ok", [
    (date(2001, 5, 23), False),  # the day before the 21st birthday
    (date(2001, 5, 22), True),   # the 21st birthday
])
def test_min_age_21_in_full_years(birth, ok):
    result = check_min_age(birth, ELECTION_DAY)
    assert (result.rule, result.ok, result.kind) == ("R-E2", ok, RuleKind.HARD)


def test_min_age_message_states_age_date_and_limit():
    assert check_min_age(date(2001, 5, 23), ELECTION_DAY).message == \
        "Tuổi 20 vào ngày 22/05/2022, chưa đủ 21 tuổi (R-E2)."


def test_age_thresholds_come_from_the_rule_set():
    younger = RuleSet(id="test-60", title="test", max_age=60)
    assert not check_max_age(date(1961, 5, 22), ELECTION_DAY, younger).ok
    assert check_max_age(date(1961, 5, 22), ELECTION_DAY).ok


# --- which rules apply ----------------------------------------------------------------------------------

def test_hamlet_chief_rules():
    assert applicable_rules(Post.HAMLET_CHIEF) == ("R-E1", "R-E2", "R-E3", "R-E4", "R-E7", "R-E8")


@pytest.mark.parametrize("post", CHAPTER_POSTS)
def test_chapter_post_rules(post):
    assert applicable_rules(post) == ("R-E3", "R-E4", "R-E5", "R-E6", "R-E8")


def test_assessment_has_one_finding_per_applicable_rule_in_order():
    result = assess(Post.HAMLET_CHIEF, facts(), ELECTION_DAY, CommuneClass.PLAIN)
    assert [f.rule for f in result.findings] == list(applicable_rules(Post.HAMLET_CHIEF))
    assert all(f.ok for f in result.findings)
    assert result.status is Status.ELIGIBLE


# --- education (R-E4) -----------------------------------------------------------------------------------

@pytest.mark.parametrize("commune_class, education, ok", [
    (CommuneClass.MOUNTAIN, Education.PRIMARY, False),
    (CommuneClass.MOUNTAIN, Education.LOWER_SECONDARY, True),
    (CommuneClass.MOUNTAIN, Education.UPPER_SECONDARY, True),
    (CommuneClass.PLAIN, Education.PRIMARY, False),
    (CommuneClass.PLAIN, Education.LOWER_SECONDARY, False),
    (CommuneClass.PLAIN, Education.UPPER_SECONDARY, True),
])
@pytest.mark.parametrize("post", [Post.HAMLET_CHIEF, Post.CHAPTER_SECRETARY])
def test_education_minimum_depends_on_commune_class(post, commune_class, education, ok):
    result = assess(post, facts(education=education), ELECTION_DAY, commune_class)
    r_e4 = finding(result, "R-E4")
    assert r_e4.ok is ok
    assert r_e4.kind is RuleKind.EXCEPTIONABLE
    assert result.status is (Status.ELIGIBLE if ok else Status.NEEDS_EXCEPTION)


def test_plain_commune_needs_thpt():
    result = assess(Post.HAMLET_CHIEF, facts(education=Education.LOWER_SECONDARY), ELECTION_DAY, CommuneClass.PLAIN)
    assert finding(result, "R-E4").message == \
        "Trình độ học vấn: THCS (lớp 9/12), chưa đạt THPT (lớp 12/12) trở lên ở xã đồng bằng (R-E4)."


def test_mountain_commune_accepts_thcs():
    result = assess(Post.HAMLET_CHIEF, facts(education=Education.LOWER_SECONDARY), ELECTION_DAY,
                    CommuneClass.MOUNTAIN)
    assert finding(result, "R-E4").ok


# --- political theory (R-E5) ----------------------------------------------------------------------------

@pytest.mark.parametrize("theory, ok", [
    (PoliticalTheory.NONE, False),
    (PoliticalTheory.ELEMENTARY, True),
    (PoliticalTheory.INTERMEDIATE, True),
    (PoliticalTheory.ADVANCED, True),
])
@pytest.mark.parametrize("post", CHAPTER_POSTS)
def test_chapter_posts_need_elementary_theory(post, theory, ok):
    result = assess(post, facts(political_theory=theory), ELECTION_DAY, CommuneClass.PLAIN)
    assert finding(result, "R-E5").ok is ok
    assert result.status is (Status.ELIGIBLE if ok else Status.NEEDS_EXCEPTION)


def test_theory_does_not_apply_to_hamlet_chief():
    result = assess(Post.HAMLET_CHIEF, facts(political_theory=PoliticalTheory.NONE), ELECTION_DAY,
                    CommuneClass.PLAIN)
    assert "R-E5" not in [f.rule for f in result.findings]
    assert result.status is Status.ELIGIBLE


# --- party membership (R-E6 hard, R-E7 target) ----------------------------------------------------------

@pytest.mark.parametrize("membership, ok", [
    (PartyMembership.NONE, False),
    (PartyMembership.PROBATIONARY, False),
    (PartyMembership.OFFICIAL, True),
])
@pytest.mark.parametrize("post", CHAPTER_POSTS)
def test_chapter_posts_need_an_official_member(post, membership, ok):
    result = assess(post, facts(party_member=membership), ELECTION_DAY, CommuneClass.PLAIN)
    r_e6 = finding(result, "R-E6")
    assert (r_e6.ok, r_e6.kind) == (ok, RuleKind.HARD)
    assert result.status is (Status.ELIGIBLE if ok else Status.INELIGIBLE)


def test_non_member_hamlet_chief_misses_the_target_but_stays_eligible():
    result = assess(Post.HAMLET_CHIEF, facts(party_member=PartyMembership.NONE), ELECTION_DAY, CommuneClass.PLAIN)
    r_e7 = finding(result, "R-E7")
    assert (r_e7.ok, r_e7.kind) == (False, RuleKind.TARGET)
    assert result.failed_targets == ("R-E7",)
    assert result.status is Status.ELIGIBLE
    assert not exception_possible(result)


@pytest.mark.parametrize("membership", [PartyMembership.PROBATIONARY, PartyMembership.OFFICIAL])
def test_member_hamlet_chief_meets_the_target(membership):
    result = assess(Post.HAMLET_CHIEF, facts(party_member=membership), ELECTION_DAY, CommuneClass.PLAIN)
    assert finding(result, "R-E7").ok


# --- residence and health (hard) ------------------------------------------------------------------------

@pytest.mark.parametrize("post, changes, rule", [
    (Post.HAMLET_CHIEF, {"resident": False}, "R-E1"),
    (Post.HAMLET_CHIEF, {"fit_for_term": False}, "R-E8"),
    (Post.CHAPTER_SECRETARY, {"fit_for_term": False}, "R-E8"),
    (Post.HAMLET_CHIEF, {"birth_date": date(1956, 5, 22)}, "R-E3"),
    (Post.CHAPTER_COMMITTEE_MEMBER, {"birth_date": date(1956, 5, 22)}, "R-E3"),
    (Post.HAMLET_CHIEF, {"birth_date": date(2001, 5, 23)}, "R-E2"),
])
def test_hard_failure_makes_candidate_ineligible(post, changes, rule):
    result = assess(post, facts(**changes), ELECTION_DAY, CommuneClass.PLAIN)
    assert result.status is Status.INELIGIBLE
    assert result.failed_hard == (rule,)


def test_residence_does_not_apply_to_chapter_posts():
    result = assess(Post.CHAPTER_SECRETARY, facts(resident=False), ELECTION_DAY, CommuneClass.PLAIN)
    assert result.status is Status.ELIGIBLE


def test_young_chapter_member_is_not_held_to_the_hamlet_chief_minimum_age():
    result = assess(Post.CHAPTER_COMMITTEE_MEMBER, facts(birth_date=date(2002, 1, 1)), ELECTION_DAY,
                    CommuneClass.PLAIN)
    assert "R-E2" not in [f.rule for f in result.findings]


# --- status and exceptions (R-X1) -----------------------------------------------------------------------

def test_hard_failure_outranks_exceptionable_failure():
    result = assess(Post.CHAPTER_SECRETARY,
                    facts(education=Education.PRIMARY, party_member=PartyMembership.PROBATIONARY),
                    ELECTION_DAY, CommuneClass.PLAIN)
    assert result.status is Status.INELIGIBLE
    assert result.failed_hard == ("R-E6",)
    assert result.failed_exceptionable == ("R-E4",)
    assert not exception_possible(result)


def test_exception_possible_when_only_exceptionable_rules_fail():
    result = assess(Post.CHAPTER_SECRETARY,
                    facts(education=Education.LOWER_SECONDARY, political_theory=PoliticalTheory.NONE),
                    ELECTION_DAY, CommuneClass.PLAIN)
    assert result.status is Status.NEEDS_EXCEPTION
    assert result.failed_exceptionable == ("R-E4", "R-E5")
    assert exception_possible(result)


def test_no_exception_needed_when_eligible():
    assert not exception_possible(assess(Post.HAMLET_CHIEF, facts(), ELECTION_DAY, CommuneClass.PLAIN))


# --- both assessments -----------------------------------------------------------------------------------

def test_hamlet_chief_candidate_is_also_assessed_as_chapter_secretary():
    both = assess_both(facts(political_theory=PoliticalTheory.NONE, party_member=PartyMembership.PROBATIONARY),
                       ELECTION_DAY, CommuneClass.MOUNTAIN)
    assert both.hamlet_chief.post is Post.HAMLET_CHIEF
    assert both.hamlet_chief.status is Status.ELIGIBLE
    assert both.chapter_secretary.post is Post.CHAPTER_SECRETARY
    assert both.chapter_secretary.status is Status.INELIGIBLE
    assert both.chapter_secretary.failed_hard == ("R-E6",)
    assert both.chapter_secretary.failed_exceptionable == ("R-E5",)


def test_chapter_assessment_uses_the_congress_day():
    # 65 years and 364 days on election day; the 66th birthday falls before the congress.
    candidate = facts(birth_date=date(1956, 5, 23))
    both = assess_both(candidate, ELECTION_DAY, CommuneClass.PLAIN, congress_day=date(2022, 6, 15))
    assert both.hamlet_chief.status is Status.ELIGIBLE
    assert both.chapter_secretary.on == date(2022, 6, 15)
    assert both.chapter_secretary.failed_hard == ("R-E3",)

    without_congress_day = assess_both(candidate, ELECTION_DAY, CommuneClass.PLAIN)
    assert without_congress_day.chapter_secretary.status is Status.ELIGIBLE


# --- remediation ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule, changes, commune_class, met", [
    ("R-E4", {"education": Education.LOWER_SECONDARY}, CommuneClass.PLAIN, False),
    ("R-E4", {"education": Education.UPPER_SECONDARY}, CommuneClass.PLAIN, True),
    ("R-E4", {"education": Education.LOWER_SECONDARY}, CommuneClass.MOUNTAIN, True),
    ("R-E5", {"political_theory": PoliticalTheory.NONE}, CommuneClass.PLAIN, False),
    ("R-E5", {"political_theory": PoliticalTheory.ELEMENTARY}, CommuneClass.PLAIN, True),
])
def test_remediation_met_by_recorded_level(rule, changes, commune_class, met):
    assert remediation_met(rule, facts(**changes), commune_class, BINH_SON_59) is met


@pytest.mark.parametrize("rule", ["R-E3", "R-E6", "R-E7", "R-X9"])
def test_remediation_only_for_exceptionable_rules(rule):
    with pytest.raises(ValueError):
        remediation_met(rule, facts(), CommuneClass.PLAIN, BINH_SON_59)


# --- rule sets ------------------------------------------------------------------------------------------

def test_default_rule_set_is_binh_son_59():
    assert get_rule_set() is BINH_SON_59
    assert get_rule_set("binh-son-59-KH-HU") is BINH_SON_59
    assert RULE_SETS[BINH_SON_59.id] is BINH_SON_59
    assert (BINH_SON_59.min_age, BINH_SON_59.max_age, BINH_SON_59.max_candidates_per_hamlet) == (21, 65, 2)
    assert BINH_SON_59.min_education(CommuneClass.MOUNTAIN) is Education.LOWER_SECONDARY
    assert BINH_SON_59.min_education(CommuneClass.PLAIN) is Education.UPPER_SECONDARY


def test_unknown_rule_set_raises():
    with pytest.raises(KeyError):
        get_rule_set("no-such-plan")


def test_rule_set_and_findings_are_frozen():
    with pytest.raises(FrozenInstanceError):
        BINH_SON_59.max_age = 70  # type: ignore[misc]
    result = assess(Post.HAMLET_CHIEF, facts(), ELECTION_DAY, CommuneClass.PLAIN)
    with pytest.raises(FrozenInstanceError):
        result.findings[0].ok = False  # type: ignore[misc]


def test_every_finding_has_vietnamese_and_english_messages_citing_the_rule():
    result = assess(Post.CHAPTER_SECRETARY, facts(political_theory=PoliticalTheory.NONE), ELECTION_DAY,
                    CommuneClass.PLAIN)
    for f in result.findings:
        assert f.message.endswith(f"({f.rule}).") and f.message_en.endswith(f"({f.rule}).")
        assert unicodedata.normalize("NFC", f.message) == f.message
