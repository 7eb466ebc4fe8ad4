"""The public count calculator behind POST /api/v1/rules/count (api.md): the fixed shape and the 422s."""
from __future__ import annotations

import copy
import unicodedata
from fractions import Fraction
from typing import Any

import pytest

from election.calculator import count_response, parse_count_request, rounded_share
from election.rules import ElectionRuleSet

API_EXAMPLE: dict[str, Any] = {
    "mode": "meeting",
    "total_households": 310,
    "households_present": 216,
    "ballots_issued": 216,
    "ballots_returned": 214,
    "valid_ballots": 210,
    "invalid_ballots": 4,
    "seats": 1,
    "candidates": [{"id": "A", "votes": 150}, {"id": "B", "votes": 60}],
    "against": 0,
}

EXAMPLE_SHARES = {
    "A": {"of_total_households": 0.4839, "of_present": 0.6944, "of_valid_ballots": 0.7143},
    "B": {"of_total_households": 0.1935, "of_present": 0.2778, "of_valid_ballots": 0.2857},
}


def body(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(API_EXAMPLE)
    data.update(changes)
    return data


def without(*fields: str) -> dict[str, Any]:
    data = copy.deepcopy(API_EXAMPLE)
    for field in fields:
        del data[field]
    return data


# 200 --------------------------------------------------------------------------------------------------------

def test_api_example_answers_the_exact_shape() -> None:
    status, answer = count_response(body(denominator="valid_ballots"))
    assert status == 200
    assert answer == {
        "quorum_met": True,
        "outcome": "elected",
        "winner": "A",
        "errors": [],
        "warnings": [],
        "shares": EXAMPLE_SHARES,
    }


def test_default_denominator_is_total_households() -> None:
    status, answer = count_response(body())  # A: 150 of 310 households
    assert status == 200
    assert answer["outcome"] == "no_winner"
    assert answer["winner"] is None
    assert answer["shares"] == EXAMPLE_SHARES


def test_rule_set_denominator_applies_when_the_request_names_none() -> None:
    _, answer = count_response(body(), ElectionRuleSet(winner_denominator="valid_ballots"))
    assert answer["outcome"] == "elected"


def test_inconsistent_count_lists_its_errors_and_has_no_winner() -> None:
    status, answer = count_response(body(invalid_ballots=5, denominator="valid_ballots"))
    assert status == 200
    assert answer["outcome"] == "inconsistent"
    assert answer["winner"] is None
    assert [set(e) for e in answer["errors"]] == [{"rule", "message"}]
    assert answer["errors"][0]["rule"] == "R-C4"
    assert answer["errors"][0]["message"].startswith("Số phiếu hợp lệ (210)")


def test_warnings_carry_rule_and_vietnamese_message() -> None:
    data = body(ballots_returned=200, valid_ballots=190, invalid_ballots=10,
                candidates=[{"id": "A", "votes": 170}, {"id": "B", "votes": 20}])
    _, answer = count_response(data)
    assert answer["outcome"] == "elected"
    assert answer["warnings"][0]["rule"] == "R-C6"
    assert "phiếu không hợp lệ" in answer["warnings"][0]["message"]
    assert set(answer["warnings"][0]) == {"rule", "message"}


def test_no_quorum_at_the_meeting() -> None:
    data = body(households_present=155, ballots_issued=155, ballots_returned=155, valid_ballots=155,
                invalid_ballots=0, candidates=[{"id": "A", "votes": 155}])
    _, answer = count_response(data)
    assert answer["quorum_met"] is False
    assert answer["outcome"] == "no_quorum"


def test_distribution_mode_may_omit_households_present() -> None:
    data = without("households_present")
    data.update(mode="distribution", ballots_issued=300, ballots_returned=290, valid_ballots=288,
                invalid_ballots=2, candidates=[{"id": "A", "votes": 200}, {"id": "B", "votes": 88}])
    status, answer = count_response(data)
    assert status == 200
    assert answer["quorum_met"] is None
    assert answer["outcome"] == "elected"
    assert answer["shares"]["A"]["of_present"] is None


def test_single_candidate_against_defaults_to_zero() -> None:
    data = without("against")
    data["candidates"] = [{"id": "A", "votes": 210}]
    _, answer = count_response(data)
    assert answer["errors"] == []
    assert answer["winner"] == "A"


def test_single_candidate_uses_against_for_r_c5() -> None:
    data = body(candidates=[{"id": "A", "votes": 160}], against=50)
    assert count_response(data)[1]["outcome"] == "elected"
    data = body(candidates=[{"id": "A", "votes": 160}], against=49)
    assert count_response(data)[1]["errors"][0]["rule"] == "R-C5"


def test_shares_are_null_when_their_denominator_is_zero() -> None:
    data = body(mode="distribution", households_present=0, ballots_issued=0, ballots_returned=0,
                valid_ballots=0, invalid_ballots=0, candidates=[{"id": "A", "votes": 0}])
    _, answer = count_response(data)
    assert answer["shares"]["A"] == {"of_total_households": 0.0, "of_present": None, "of_valid_ballots": None}


def test_shares_round_half_up_to_four_decimals() -> None:
    assert rounded_share(Fraction(1, 32)) == 0.0313  # 0.03125 exactly
    assert rounded_share(Fraction(2, 3)) == 0.6667
    assert rounded_share(Fraction(1, 3)) == 0.3333
    assert rounded_share(None) is None


def test_unknown_extra_fields_are_ignored() -> None:
    assert count_response(body(comment="thôn 3"))[0] == 200


# 422 --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [None, [], "mode=meeting", 3])
def test_body_must_be_an_object(data: object) -> None:
    assert count_response(data) == (422, {"errors": {"body": "Nội dung yêu cầu phải là một đối tượng JSON."}})


@pytest.mark.parametrize("field", [
    "mode", "total_households", "households_present", "ballots_issued", "ballots_returned",
    "valid_ballots", "invalid_ballots", "seats", "candidates",
])
def test_missing_required_field(field: str) -> None:
    status, answer = count_response(without(field))
    assert status == 422
    assert list(answer["errors"]) == [field]


@pytest.mark.parametrize(("changes", "field"), [
    (dict(total_households=True), "total_households"),  # a bool is not an int
    (dict(households_present=216.0), "households_present"),
    (dict(ballots_issued="216"), "ballots_issued"),
    (dict(ballots_returned=-1), "ballots_returned"),
    (dict(against=-1), "against"),
    (dict(against=False), "against"),
    (dict(mode="postal"), "mode"),
    (dict(mode=1), "mode"),
    (dict(denominator="voters"), "denominator"),
    (dict(seats=0), "seats"),
    (dict(seats=True), "seats"),
    (dict(candidates=[]), "candidates"),
    (dict(candidates={"A": 150}), "candidates"),
    (dict(candidates=[{"id": "A", "votes": 150}, "B"]), "candidates[1]"),
    (dict(candidates=[{"id": "A", "votes": 150}, {"votes": 60}]), "candidates[1].id"),
    (dict(candidates=[{"id": "A", "votes": 150}, {"id": " ", "votes": 60}]), "candidates[1].id"),
    (dict(candidates=[{"id": "A", "votes": 150}, {"id": 2, "votes": 60}]), "candidates[1].id"),
    (dict(candidates=[{"id": "A", "votes": 150}, {"id": "A", "votes": 60}]), "candidates[1].id"),
    (dict(candidates=[{"id": "A", "votes": 150}, {"id": "B"}]), "candidates[1].votes"),
    (dict(candidates=[{"id": "A", "votes": -150}, {"id": "B", "votes": 60}]), "candidates[0].votes"),
    (dict(candidates=[{"id": "A", "votes": True}, {"id": "B", "votes": 60}]), "candidates[0].votes"),
])
def test_bad_field_answers_422_on_that_field(changes: dict, field: str) -> None:
    status, answer = count_response(body(**changes))
    assert status == 422
    assert list(answer["errors"]) == [field]
    message = answer["errors"][field]
    assert message and unicodedata.is_normalized("NFC", message)


def test_meeting_mode_requires_households_present_even_as_null() -> None:
    status, answer = count_response(body(households_present=None))
    assert status == 422
    assert answer["errors"] == {"households_present": "Bắt buộc khi bầu tại hội nghị (mode “meeting”)."}


def test_distribution_on_present_requires_households_present() -> None:
    data = without("households_present")
    data.update(mode="distribution", denominator="present")
    assert list(count_response(data)[1]["errors"]) == ["households_present"]
    data.pop("denominator")
    assert count_response(data, ElectionRuleSet(winner_denominator="present"))[0] == 422


def test_every_bad_field_is_reported_at_once() -> None:
    _, answer = count_response({"mode": "meeting", "candidates": [{"id": "A", "votes": -1}]})
    assert set(answer["errors"]) == {
        "total_households", "households_present", "ballots_issued", "ballots_returned", "valid_ballots",
        "invalid_ballots", "seats", "candidates[0].votes",
    }


def test_parse_returns_the_count_input() -> None:
    count, errors = parse_count_request(body(denominator="present"))
    assert errors == {}
    assert count is not None
    assert count.candidates == (("A", 150), ("B", 60))
    assert (count.mode, count.households_present, count.seats, count.denominator) == ("meeting", 216, 1, "present")
