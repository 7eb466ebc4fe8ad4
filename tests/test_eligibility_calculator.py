"""The eligibility calculator behind POST /api/v1/rules/eligibility (api.md): validation and response shape."""
from __future__ import annotations

from datetime import date

import pytest

from candidates.calculator import (
    BODY_FIELD,
    MSG_MISSING,
    MSG_NOT_BOOLEAN,
    MSG_NOT_OBJECT,
    eligibility_response,
    parse_eligibility_request,
)
from core.enums import CommuneClass, Education, PartyMembership, PoliticalTheory, Post

REQUIRED = ("post", "birth_date", "on", "commune_class", "education", "political_theory", "party_member")


def body(**changes: object) -> dict[str, object]:
    """A valid request for an eligible hamlet chief in a plain commune, with `changes` applied."""
    data: dict[str, object] = {
        "post": "hamlet_chief",
        "birth_date": "1960-05-17",
        "on": "2022-05-22",
        "commune_class": "plain",
        "education": "upper_secondary",
        "political_theory": "elementary",
        "party_member": "official",
    }
    data.update(changes)
    return data


# --- parsing --------------------------------------------------------------------------------------------

def test_valid_body_parses_with_defaults():
    request, errors = parse_eligibility_request(body())
    assert errors == {}
    assert request is not None
    assert request.post is Post.HAMLET_CHIEF
    assert request.on == date(2022, 5, 22)
    assert request.commune_class is CommuneClass.PLAIN
    assert request.facts.birth_date == date(1960, 5, 17)
    assert request.facts.education is Education.UPPER_SECONDARY
    assert request.facts.political_theory is PoliticalTheory.ELEMENTARY
    assert request.facts.party_member is PartyMembership.OFFICIAL
    assert request.facts.resident is True and request.facts.fit_for_term is True


def test_explicit_flags_are_kept():
    request, _ = parse_eligibility_request(body(resident=False, fit_for_term=False))
    assert request is not None
    assert (request.facts.resident, request.facts.fit_for_term) == (False, False)


def test_unknown_extra_fields_are_ignored():
    request, errors = parse_eligibility_request(body(note="x"))
    assert request is not None and errors == {}


@pytest.mark.parametrize("field", REQUIRED)
def test_each_required_field_reports_missing(field):
    data = body()
    del data[field]
    request, errors = parse_eligibility_request(data)
    assert request is None
    assert errors == {field: MSG_MISSING}


def test_null_required_field_counts_as_missing():
    _, errors = parse_eligibility_request(body(education=None))
    assert errors == {"education": MSG_MISSING}


def test_empty_object_lists_every_required_field():
    _, errors = parse_eligibility_request({})
    assert set(errors) == set(REQUIRED)


@pytest.mark.parametrize("field, value", [
    ("post", "village_chief"),
    ("commune_class", "coastal"),
    ("education", "university"),
    ("political_theory", "basic"),
    ("party_member", "yes"),
    ("education", "Upper_Secondary"),  # codes are exact
])
def test_unknown_code_is_rejected_with_the_allowed_codes(field, value):
    _, errors = parse_eligibility_request(body(**{field: value}))
    assert set(errors) == {field}
    assert f"“{value}” không hợp lệ" in errors[field]


def test_unknown_post_message_lists_allowed_codes():
    _, errors = parse_eligibility_request(body(post="x"))
    assert errors["post"] == ("Mã “x” không hợp lệ; chọn một trong: hamlet_chief, chapter_secretary, "
                              "chapter_deputy_secretary, chapter_committee_member.")


@pytest.mark.parametrize("field, value, expected", [
    ("on", "2022-02-30", "Ngày 2022-02-30 không tồn tại."),
    ("birth_date", "1961-02-29", "Ngày 1961-02-29 không tồn tại."),
    ("on", "2022-13-01", "Ngày 2022-13-01 không tồn tại."),
    ("on", "22/05/2022", "“22/05/2022” không phải một ngày dạng YYYY-MM-DD."),
    ("on", "20220522", "“20220522” không phải một ngày dạng YYYY-MM-DD."),
    ("birth_date", "", "“” không phải một ngày dạng YYYY-MM-DD."),
    ("on", "2022-05-22T00:00", "“2022-05-22T00:00” không phải một ngày dạng YYYY-MM-DD."),
    ("on", 20220522, "Phải là một ngày dạng chuỗi YYYY-MM-DD."),
])
def test_bad_dates(field, value, expected):
    _, errors = parse_eligibility_request(body(**{field: value}))
    assert errors == {field: expected}


def test_birth_date_after_reference_date():
    _, errors = parse_eligibility_request(body(birth_date="2022-05-23"))
    assert errors == {"birth_date": "Ngày sinh 23/05/2022 sau ngày tham chiếu 22/05/2022; "
                                    "ngày sinh phải trước hoặc bằng ngày tham chiếu."}


def test_birth_date_on_reference_date_is_accepted():
    request, errors = parse_eligibility_request(body(birth_date="2022-05-22"))
    assert request is not None and errors == {}


@pytest.mark.parametrize("field, value", [
    ("resident", "true"),
    ("resident", 1),
    ("resident", None),
    ("fit_for_term", 0),
    ("fit_for_term", "yes"),
])
def test_flags_must_be_json_booleans(field, value):
    _, errors = parse_eligibility_request(body(**{field: value}))
    assert errors == {field: MSG_NOT_BOOLEAN}


@pytest.mark.parametrize("value", [3, True, ["plain"], {"code": "plain"}])
def test_codes_must_be_strings(value):
    _, errors = parse_eligibility_request(body(commune_class=value))
    assert errors == {"commune_class": "Phải là một chuỗi mã."}


@pytest.mark.parametrize("data", [None, [], ["hamlet_chief"], "hamlet_chief", 42])
def test_body_must_be_an_object(data):
    request, errors = parse_eligibility_request(data)
    assert request is None
    assert errors == {BODY_FIELD: MSG_NOT_OBJECT}


def test_several_errors_are_reported_together():
    _, errors = parse_eligibility_request(body(post="x", on="2022-02-30", resident="no", education=None))
    assert set(errors) == {"post", "on", "resident", "education"}


# --- response -------------------------------------------------------------------------------------------

def test_invalid_body_answers_422_with_field_errors():
    status, payload = eligibility_response(body(on="2022-02-30"))
    assert status == 422
    assert payload == {"errors": {"on": "Ngày 2022-02-30 không tồn tại."}}


def test_eligible_hamlet_chief_answers_200_with_every_applicable_finding():
    status, payload = eligibility_response(body())
    assert status == 200
    assert set(payload) == {"status", "findings"}
    assert payload["status"] == "eligible"
    assert [f["rule"] for f in payload["findings"]] == ["R-E1", "R-E2", "R-E3", "R-E4", "R-E7", "R-E8"]
    for f in payload["findings"]:
        assert set(f) == {"rule", "ok", "kind", "message"}
        assert f["ok"] is True
        assert type(f["kind"]) is str and type(f["message"]) is str


def test_findings_report_kind_and_vietnamese_message():
    _, payload = eligibility_response(body(birth_date="1956-05-22", education="lower_secondary"))
    by_rule = {f["rule"]: f for f in payload["findings"]}
    assert payload["status"] == "ineligible"
    assert by_rule["R-E3"] == {"rule": "R-E3", "ok": False, "kind": "hard",
                               "message": "Tuổi 66 vào ngày 22/05/2022, vượt quá 65 tuổi (R-E3)."}
    assert (by_rule["R-E4"]["ok"], by_rule["R-E4"]["kind"]) == (False, "exceptionable")


@pytest.mark.parametrize("changes, expected_status", [
    ({}, "eligible"),
    ({"party_member": "none"}, "eligible"),  # R-E7 is a target only
    ({"education": "lower_secondary"}, "needs_exception"),
    ({"education": "lower_secondary", "commune_class": "mountain"}, "eligible"),
    ({"resident": False}, "ineligible"),
    ({"fit_for_term": False}, "ineligible"),
    ({"birth_date": "1956-05-23"}, "eligible"),  # 65 years 364 days
    ({"birth_date": "1956-05-22"}, "ineligible"),  # 66th birthday
    ({"birth_date": "2001-05-23"}, "ineligible"),  # the day before the 21st birthday
    ({"birth_date": "2001-05-22"}, "eligible"),
    ({"post": "chapter_secretary", "political_theory": "none"}, "needs_exception"),
    ({"post": "chapter_deputy_secretary", "party_member": "probationary"}, "ineligible"),
    ({"post": "chapter_committee_member", "political_theory": "none", "party_member": "probationary"},
     "ineligible"),
])
def test_status(changes, expected_status):
    status, payload = eligibility_response(body(**changes))
    assert status == 200
    assert payload["status"] == expected_status


def test_non_member_hamlet_chief_is_flagged_but_eligible():
    _, payload = eligibility_response(body(party_member="none"))
    r_e7 = next(f for f in payload["findings"] if f["rule"] == "R-E7")
    assert (r_e7["ok"], r_e7["kind"]) == (False, "target")
    assert payload["status"] == "eligible"


def test_chapter_post_findings_in_rule_order():
    _, payload = eligibility_response(body(post="chapter_committee_member"))
    assert [f["rule"] for f in payload["findings"]] == ["R-E3", "R-E4", "R-E5", "R-E6", "R-E8"]
