"""The public eligibility calculator behind POST /api/v1/rules/eligibility (api.md), without Flask.

`eligibility_response(json_body)` returns `(http_status, json_dict)`; the view only serialises it.
Validation errors are Vietnamese, one per field, in the api.md shape `{"errors": {field: message}}`.
Unknown extra fields are ignored so that later clients may send more.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from candidates.rules import ASSESSED_POSTS, BINH_SON_59, CandidateFacts, RuleSet, assess
from core.enums import CommuneClass, Education, PartyMembership, PoliticalTheory, Post
from core.labels import LabelledEnum

BODY_FIELD = "body"  # the error key used when the body itself is not a JSON object

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # date.fromisoformat alone would also take "20220522"

_CODE_FIELDS: dict[str, tuple[LabelledEnum, ...]] = {  # the codes each field accepts, in the order they are listed
    "post": ASSESSED_POSTS,
    "commune_class": tuple(CommuneClass),
    "education": tuple(Education),
    "political_theory": tuple(PoliticalTheory),
    "party_member": tuple(PartyMembership),
}
_DATE_FIELDS = ("birth_date", "on")
_FLAG_FIELDS = ("resident", "fit_for_term")  # optional, default true (api.md)

MSG_MISSING = "Trường này là bắt buộc."
MSG_NOT_OBJECT = "Nội dung yêu cầu phải là một đối tượng JSON."
MSG_NOT_STRING = "Phải là một chuỗi mã."
MSG_NOT_BOOLEAN = "Phải là true hoặc false."
MSG_DATE_NOT_STRING = "Phải là một ngày dạng chuỗi YYYY-MM-DD."


@dataclass(frozen=True)
class EligibilityRequest:
    post: Post
    on: date
    commune_class: CommuneClass
    facts: CandidateFacts


def _shown(value: str) -> str:
    """The user's value quoted in a message, cut short so a message stays readable."""
    return value if len(value) <= 40 else value[:40] + "…"


def _parse_code(value: Any, members: tuple[LabelledEnum, ...]) -> tuple[LabelledEnum | None, str | None]:
    if not isinstance(value, str):
        return None, MSG_NOT_STRING
    for member in members:
        if member.value == value:
            return member, None
    allowed = ", ".join(member.value for member in members)
    return None, f"Mã “{_shown(value)}” không hợp lệ; chọn một trong: {allowed}."


def _parse_date(value: Any) -> tuple[date | None, str | None]:
    if not isinstance(value, str):
        return None, MSG_DATE_NOT_STRING
    if not _ISO_DATE.fullmatch(value):
        return None, f"“{_shown(value)}” không phải một ngày dạng YYYY-MM-DD."
    try:
        return date.fromisoformat(value), None
    except ValueError:
        return None, f"Ngày {value} không tồn tại."


def parse_eligibility_request(data: object) -> tuple[EligibilityRequest | None, dict[str, str]]:
    """Validate a JSON body: (request, {}) when valid, (None, {field: Vietnamese message}) otherwise."""
    if not isinstance(data, dict):
        return None, {BODY_FIELD: MSG_NOT_OBJECT}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    for field, members in _CODE_FIELDS.items():
        if data.get(field) is None:
            errors[field] = MSG_MISSING
            continue
        values[field], error = _parse_code(data[field], members)
        if error:
            errors[field] = error

    for field in _DATE_FIELDS:
        if data.get(field) is None:
            errors[field] = MSG_MISSING
            continue
        values[field], error = _parse_date(data[field])
        if error:
            errors[field] = error

    for field in _FLAG_FIELDS:
        value = data.get(field, True)
        if type(value) is not bool:  # a JSON boolean only: not 1, "true" or null
            errors[field] = MSG_NOT_BOOLEAN
        values[field] = value

    birth_date, on = values.get("birth_date"), values.get("on")
    if birth_date and on and birth_date > on:
        errors["birth_date"] = (f"Ngày sinh {birth_date:%d/%m/%Y} sau ngày tham chiếu {on:%d/%m/%Y}; "
                                "ngày sinh phải trước hoặc bằng ngày tham chiếu.")

    if errors:
        return None, errors
    facts = CandidateFacts(
        birth_date=values["birth_date"],
        education=values["education"],
        political_theory=values["political_theory"],
        party_member=values["party_member"],
        resident=values["resident"],
        fit_for_term=values["fit_for_term"],
    )
    return EligibilityRequest(post=values["post"], on=values["on"], commune_class=values["commune_class"],
                              facts=facts), {}


def eligibility_response(data: object, rule_set: RuleSet = BINH_SON_59) -> tuple[int, dict[str, Any]]:
    """(200, {"status", "findings"}) for a valid body, (422, {"errors": {...}}) otherwise (api.md)."""
    request, errors = parse_eligibility_request(data)
    if request is None:
        return 422, {"errors": errors}
    assessment = assess(request.post, request.facts, request.on, request.commune_class, rule_set)
    return 200, assessment.to_dict()
