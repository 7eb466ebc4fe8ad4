"""The public count calculator behind POST /api/v1/rules/count (api.md), without Flask.

`count_response(json_body)` returns `(http_status, json_dict)`; the view only serialises it. Validation
errors are Vietnamese, one per field (nested ones named like "candidates[1].votes"), in the api.md shape
`{"errors": {field: message}}`. Unknown extra fields are ignored so that later clients may send more.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from election.rules import (
    COUNT_MODES,
    DEFAULT_ELECTION_RULES,
    DENOMINATORS,
    CountInput,
    CountIssue,
    CountOutcome,
    ElectionRuleSet,
    evaluate_count,
)

BODY_FIELD = "body"  # the error key used when the body itself is not a JSON object
SHARE_DECIMALS = 4  # api.md: shares are rounded to 4 decimals (half up)

# Counts every request carries; households_present is handled apart (optional in distribution mode).
_REQUIRED_COUNTS = ("total_households", "ballots_issued", "ballots_returned", "valid_ballots", "invalid_ballots")

MSG_MISSING = "Trường này là bắt buộc."
MSG_NOT_OBJECT = "Nội dung yêu cầu phải là một đối tượng JSON."
MSG_NOT_COUNT = "Phải là một số nguyên không âm."
MSG_NOT_STRING = "Phải là một chuỗi mã."
MSG_SEATS = "Số người được bầu phải là một số nguyên từ 1 trở lên."
MSG_CANDIDATES_NOT_LIST = "Phải là một danh sách người ứng cử."
MSG_CANDIDATES_EMPTY = "Phải có ít nhất một người ứng cử (R-V3)."
MSG_CANDIDATE_NOT_OBJECT = "Mỗi người ứng cử phải là một đối tượng {\"id\", \"votes\"}."
MSG_CANDIDATE_ID = "Mã người ứng cử phải là một chuỗi không rỗng."
MSG_PRESENT_MEETING = "Bắt buộc khi bầu tại hội nghị (mode “meeting”)."
MSG_PRESENT_DENOMINATOR = "Bắt buộc khi tính tỷ lệ trên số hộ có mặt (denominator “present”)."


def _shown(value: str) -> str:
    """The user's value quoted in a message, cut short so a message stays readable."""
    return value if len(value) <= 40 else value[:40] + "…"


def _is_count(value: Any) -> bool:
    """A JSON integer ≥ 0: not a bool (True is an int in Python), not 3.0, not "3"."""
    return type(value) is int and value >= 0


def _parse_code(value: Any, allowed: tuple[str, ...]) -> str | None:
    """The error message for a code field, or None when the code is allowed."""
    if not isinstance(value, str):
        return MSG_NOT_STRING
    if value not in allowed:
        return f"Mã “{_shown(value)}” không hợp lệ; chọn một trong: {', '.join(allowed)}."
    return None


def _parse_candidates(value: Any, errors: dict[str, str]) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, list):
        errors["candidates"] = MSG_CANDIDATES_NOT_LIST
        return ()
    if not value:
        errors["candidates"] = MSG_CANDIDATES_EMPTY
        return ()
    candidates: list[tuple[str, int]] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        field = f"candidates[{index}]"
        if not isinstance(item, dict):
            errors[field] = MSG_CANDIDATE_NOT_OBJECT
            continue
        candidate_id, votes = item.get("id"), item.get("votes")
        if not isinstance(candidate_id, str) or not candidate_id.strip():
            errors[f"{field}.id"] = MSG_CANDIDATE_ID if "id" in item else MSG_MISSING
        elif candidate_id in seen:
            errors[f"{field}.id"] = f"Mã người ứng cử “{_shown(candidate_id)}” bị trùng."
        else:
            seen.add(candidate_id)
        if votes is None:
            errors[f"{field}.votes"] = MSG_MISSING
        elif not _is_count(votes):
            errors[f"{field}.votes"] = MSG_NOT_COUNT
        else:
            candidates.append((candidate_id, votes))
    return tuple(candidates)


def parse_count_request(data: object, rules: ElectionRuleSet = DEFAULT_ELECTION_RULES
                        ) -> tuple[CountInput | None, dict[str, str]]:
    """Validate a JSON body: (count, {}) when valid, (None, {field: Vietnamese message}) otherwise.

    `rules` only matters when its R-V7 denominator is "present": households_present is then required.
    """
    if not isinstance(data, dict):
        return None, {BODY_FIELD: MSG_NOT_OBJECT}
    errors: dict[str, str] = {}

    mode = data.get("mode")
    if mode is None:
        errors["mode"] = MSG_MISSING
    elif error := _parse_code(mode, COUNT_MODES):
        errors["mode"] = error

    for field in _REQUIRED_COUNTS:
        if data.get(field) is None:
            errors[field] = MSG_MISSING
        elif not _is_count(data[field]):
            errors[field] = MSG_NOT_COUNT

    against = data.get("against", 0)  # optional, default 0 (api.md)
    if against is None:
        against = 0
    elif not _is_count(against):
        errors["against"] = MSG_NOT_COUNT

    seats = data.get("seats")
    if seats is None:
        errors["seats"] = MSG_MISSING
    elif type(seats) is not int or seats < 1:
        errors["seats"] = MSG_SEATS

    denominator = data.get("denominator")  # optional: None means the rule set's R-V7 setting
    if denominator is not None and (error := _parse_code(denominator, DENOMINATORS)):
        errors["denominator"] = error

    present = data.get("households_present")
    if present is None:
        if mode == "meeting":
            errors["households_present"] = MSG_PRESENT_MEETING
        elif (denominator or rules.winner_denominator) == "present":
            errors["households_present"] = MSG_PRESENT_DENOMINATOR
    elif not _is_count(present):
        errors["households_present"] = MSG_NOT_COUNT

    if data.get("candidates") is None:
        errors["candidates"] = MSG_MISSING
        candidates: tuple[tuple[str, int], ...] = ()
    else:
        candidates = _parse_candidates(data["candidates"], errors)

    if errors:
        return None, errors
    return CountInput(
        mode=mode,
        total_households=data["total_households"],
        households_present=present,
        ballots_issued=data["ballots_issued"],
        ballots_returned=data["ballots_returned"],
        valid_ballots=data["valid_ballots"],
        invalid_ballots=data["invalid_ballots"],
        candidates=candidates,
        against=against,
        seats=seats,
        denominator=denominator,
    ), {}


def rounded_share(share: Fraction | None) -> float | None:
    """A share rounded half up to SHARE_DECIMALS decimals, computed exactly before the one float."""
    if share is None:
        return None
    scale = 10 ** SHARE_DECIMALS
    return ((share * scale * 2 + 1) // 2) / scale


def _issue(issue: CountIssue) -> dict[str, str]:
    return {"rule": issue.rule, "message": issue.message}


def outcome_json(result: CountOutcome) -> dict[str, Any]:
    """The api.md response body for an evaluated count."""
    return {
        "quorum_met": result.quorum_met,
        "outcome": result.outcome,
        "winner": result.winner,
        "errors": [_issue(issue) for issue in result.errors],
        "warnings": [_issue(issue) for issue in result.warnings],
        "shares": {
            share.candidate_id: {
                "of_total_households": rounded_share(share.of_total_households),
                "of_present": rounded_share(share.of_present),
                "of_valid_ballots": rounded_share(share.of_valid_ballots),
            }
            for share in result.shares
        },
    }


def count_response(data: object, rules: ElectionRuleSet = DEFAULT_ELECTION_RULES) -> tuple[int, dict[str, Any]]:
    """(200, the api.md result) for a valid body, (422, {"errors": {...}}) otherwise."""
    count, errors = parse_count_request(data, rules)
    if count is None:
        return 422, {"errors": errors}
    return 200, outcome_json(evaluate_count(count, rules))
