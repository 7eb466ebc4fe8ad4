"""JSON resources of the candidates package under /api/v1 (documented with @operation, scoped, audited).

Refusals by a lifecycle rule (RuleViolation: list locked, R-V3 count, hard standard, …) answer 422
{"errors": {field or "rule": message}} through the app's handler, like any bad input.
"""
from __future__ import annotations

from datetime import date

from flask import abort, jsonify, request
from flask_login import current_user

from candidates.access import (
    CANDIDATE_LIST_ROUNDS,
    FILERS,
    LIST_EDITORS,
    READERS,
    may_decide_exception,
    may_edit_list,
    may_file_exception,
)
from candidates.calculator import eligibility_response
from candidates.models import (
    Candidacy,
    CandidateList,
    ExceptionRequest,
    ListState,
    ProposedBy,
    RemediationPlan,
    RemedyKind,
    RequestState,
)
from candidates.rules import Assessment
from core.access import (
    NOT_IN_SCOPE,
    allow,
    authorise_hamlet,
    current_term_or_404,
    person_in_scope,
    public,
    scope_hamlets,
)
from core.accounts import Role
from core.api import (
    LIST_PARAMS,
    PAGE_SCHEMA,
    api_bp,
    enum_arg,
    enum_param,
    field_errors,
    json_body,
    operation,
    paginated,
    person_json,
)
from core.models import Commune, Hamlet
from core.transactions import act, commit
from core.vietnamese import vietnam_today
from extensions import db

TAG = "candidates"


# ---------------------------------------------------------------------------------------------------------
# Serialisers
# ---------------------------------------------------------------------------------------------------------

def assessment_json(assessment: Assessment) -> dict:
    return {"on": assessment.on.isoformat(), **assessment.to_dict()}


def candidacy_json(candidacy: Candidacy) -> dict:
    both = candidacy.assessments()
    latest = candidacy.exception_requests[-1] if candidacy.exception_requests else None
    return {
        "id": candidacy.id, "position": candidacy.position, "person": person_json(candidacy.person),
        "proposed_by": candidacy.proposed_by.value, "proposal_note": candidacy.proposal_note,
        "may_stand": candidacy.may_stand, "standing_problem": candidacy.standing_problem,
        "assessments": {"hamlet_chief": assessment_json(both.hamlet_chief),
                        "chapter_secretary": assessment_json(both.chapter_secretary)},
        "exception_request": None if latest is None else {"id": latest.id, "state": latest.state.value},
    }


def list_json(candidate_list: CandidateList, full: bool = False) -> dict:
    data = {
        "id": candidate_list.id, "term_id": candidate_list.term_id, "hamlet_id": candidate_list.hamlet_id,
        "commune_id": candidate_list.hamlet.commune_id, "round_no": candidate_list.round_no,
        "state": candidate_list.state.value, "summary_state": candidate_list.summary_state,
        "confirmed_at": candidate_list.confirmed_at.isoformat() if candidate_list.confirmed_at else None,
        "ballots_printed": candidate_list.ballots_printed, "candidate_count": len(candidate_list.candidacies),
    }
    if full:
        data["blocking_problems"] = candidate_list.blocking_problems()
        data["candidacies"] = [candidacy_json(c) for c in candidate_list.candidacies]
    return data


def plan_json(plan: RemediationPlan, today: date | None = None) -> dict:
    return {"id": plan.id, "rule": plan.rule, "kind": plan.kind.value, "description": plan.description,
            "deadline": plan.deadline.isoformat(), "met_on": plan.met_on.isoformat() if plan.met_on else None,
            "met_note": plan.met_note, "state": plan.state_on(today or vietnam_today())}


def request_json(exception_request: ExceptionRequest) -> dict:
    candidacy = exception_request.candidacy
    return {
        "id": exception_request.id, "candidacy_id": candidacy.id, "person_id": candidacy.person_id,
        "person_name": candidacy.person.full_name, "hamlet_id": candidacy.candidate_list.hamlet_id,
        "commune_id": exception_request.commune.id, "rules": list(exception_request.rule_ids),
        "shortage_reason": exception_request.shortage_reason, "state": exception_request.state.value,
        "filed_at": exception_request.filed_at.isoformat(),
        "decision": None if exception_request.decided_at is None else {
            "number": exception_request.decision_number,
            "date": exception_request.decision_date.isoformat() if exception_request.decision_date else None,
            "signer": exception_request.signer, "notes": exception_request.decision_notes},
        "remediation_plans": [plan_json(p) for p in exception_request.remediation_plans],
    }


# ---------------------------------------------------------------------------------------------------------
# Schemas (OpenAPI)
# ---------------------------------------------------------------------------------------------------------

FINDING = {"type": "object", "properties": {"rule": {"type": "string"}, "ok": {"type": "boolean"},
                                            "kind": {"enum": ["hard", "exceptionable", "target"]},
                                            "message": {"type": "string"}}}
ASSESSMENT = {"type": "object", "properties": {"on": {"type": "string", "format": "date"},
                                               "status": {"enum": ["eligible", "needs_exception", "ineligible"]},
                                               "findings": {"type": "array", "items": FINDING}}}
CANDIDACY = {"type": "object", "properties": {
    "id": {"type": "integer"}, "position": {"type": "integer"}, "person": {"type": "object"},
    "proposed_by": {"enum": [p.value for p in ProposedBy]}, "may_stand": {"type": "boolean"},
    "standing_problem": {"type": ["string", "null"]},
    "assessments": {"type": "object", "properties": {"hamlet_chief": ASSESSMENT, "chapter_secretary": ASSESSMENT}},
    "exception_request": {"type": ["object", "null"]}}}
LIST = {"type": "object", "properties": {
    "id": {"type": "integer"}, "term_id": {"type": "integer"}, "hamlet_id": {"type": "integer"},
    "commune_id": {"type": "integer"}, "round_no": {"type": "integer"},
    "state": {"enum": [s.value for s in ListState]},
    "summary_state": {"enum": ["draft", "ineligible", "needs_exception", "pending_exception", "confirmed"]},
    "confirmed_at": {"type": ["string", "null"]}, "ballots_printed": {"type": "boolean"},
    "candidate_count": {"type": "integer"}, "blocking_problems": {"type": "array", "items": {"type": "string"}},
    "candidacies": {"type": "array", "items": CANDIDACY}}}
PLAN = {"type": "object", "required": ["rule", "kind", "description", "deadline"], "properties": {
    "rule": {"enum": ["R-E4", "R-E5"]}, "kind": {"enum": [k.value for k in RemedyKind]},
    "description": {"type": "string"}, "deadline": {"type": "string", "format": "date"}}}
REQUEST = {"type": "object", "properties": {
    "id": {"type": "integer"}, "candidacy_id": {"type": "integer"}, "rules": {"type": "array"},
    "shortage_reason": {"type": "string"}, "state": {"enum": [s.value for s in RequestState]},
    "decision": {"type": ["object", "null"]}, "remediation_plans": {"type": "array", "items": PLAN}}}
ADD_CANDIDACY = {"type": "object", "required": ["person_id", "proposed_by"], "properties": {
    "person_id": {"type": "integer"}, "proposed_by": {"enum": [p.value for p in ProposedBy]},
    "proposal_note": {"type": "string"}, "round_no": {"type": "integer", "default": 1}}}
FILE_REQUEST = {"type": "object", "required": ["shortage_reason"],
                "properties": {"shortage_reason": {"type": "string", "minLength": 20}}}
DECISION = {"type": "object", "required": ["decision", "decision_number", "decision_date", "signer"], "properties": {
    "decision": {"enum": ["approve", "reject"]}, "decision_number": {"type": "string"},
    "decision_date": {"type": "string", "format": "date"}, "signer": {"type": "string"},
    "notes": {"type": "string", "description": "required for a rejection"},
    "plans": {"type": "array", "items": PLAN, "description": "approval: one per excepted rule"}}}


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------

def _date(value, field: str, errors: dict[str, str]) -> date | None:
    if not isinstance(value, str):
        errors[field] = "Phải là một ngày dạng YYYY-MM-DD."
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = f"“{value[:40]}” không phải một ngày hợp lệ (YYYY-MM-DD)."
        return None


def _text(data: dict, field: str, errors: dict[str, str], required: bool = True) -> str:
    value = data.get(field, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = "Phải là một chuỗi."
        return ""
    if required and not value.strip():
        errors[field] = "Trường này là bắt buộc."
    return value.strip()


def _load_list(list_id: int) -> CandidateList:
    candidate_list = db.get_or_404(CandidateList, list_id)
    authorise_hamlet(candidate_list.hamlet)
    return candidate_list


def _load_request(request_id: int) -> ExceptionRequest:
    exception_request = db.get_or_404(ExceptionRequest, request_id)
    authorise_hamlet(exception_request.candidacy.candidate_list.hamlet)
    return exception_request


# ---------------------------------------------------------------------------------------------------------
# Candidate lists
# ---------------------------------------------------------------------------------------------------------

@api_bp.get("/candidate-lists")
@allow(*READERS)
@operation("Danh sách người ứng cử của các thôn (nhiệm kỳ hiện hành) trong phạm vi người dùng", tag=TAG,
           parameters=LIST_PARAMS + [{"name": "commune_id", "in": "query", "schema": {"type": "integer"}},
                                     enum_param("state", ListState)],
           response_schema=PAGE_SCHEMA)
def api_list_candidate_lists():
    term = current_term_or_404()
    stmt = scope_hamlets(db.select(CandidateList).join(Hamlet, CandidateList.hamlet_id == Hamlet.id).join(Commune),
                         Hamlet, Commune).where(CandidateList.term_id == term.id)
    if commune_id := request.args.get("commune_id", type=int):
        stmt = stmt.where(Commune.id == commune_id)
    if state := enum_arg("state", ListState):
        stmt = stmt.where(CandidateList.state == state)
    return jsonify(paginated(stmt.order_by(CandidateList.id), list_json))


@api_bp.get("/candidate-lists/<int:list_id>")
@allow(*READERS)
@operation("Một danh sách người ứng cử, với hai đánh giá tiêu chuẩn của từng người", tag=TAG, response_schema=LIST)
def api_get_candidate_list(list_id: int):
    return jsonify(list_json(_load_list(list_id), full=True))


@api_bp.post("/hamlets/<int:hamlet_id>/candidacies")
@allow(*LIST_EDITORS)
@operation("Thêm người trong sổ đăng ký vào danh sách người ứng cử của thôn (R-V3, R-E1)", tag=TAG,
           request_schema=ADD_CANDIDACY, response_schema=LIST, statuses=(201,))
def api_add_candidacy(hamlet_id: int):
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    if not may_edit_list(current_user, hamlet.commune):
        abort(403, "Chỉ Ban chỉ đạo bầu cử của xã mới lập danh sách người ứng cử.")
    data = json_body()
    if not isinstance(data, dict):
        return field_errors({"body": "Nội dung yêu cầu phải là một đối tượng JSON."})
    errors: dict[str, str] = {}
    person = None
    if type(data.get("person_id")) is not int:
        errors["person_id"] = "Trường này là bắt buộc (số nguyên)."
    else:
        person = person_in_scope(data["person_id"])
        if person is None:  # a foreign id answers like a missing one
            errors["person_id"] = NOT_IN_SCOPE
        elif person.hamlet_id != hamlet.id:
            errors["person_id"] = f"{person.full_name} không thường trú tại {hamlet.full_name} (R-E1)."
    try:
        proposed_by = ProposedBy(data.get("proposed_by"))
    except ValueError:
        proposed_by = None
        errors["proposed_by"] = "Chọn một trong: " + ", ".join(p.value for p in ProposedBy) + "."
    note = _text(data, "proposal_note", errors, required=False)
    round_no = data.get("round_no", 1)
    if type(round_no) is not int or not 1 <= round_no <= CANDIDATE_LIST_ROUNDS:
        errors["round_no"] = "Vòng bầu phải là 1, 2 hoặc 3."
    if errors:
        return field_errors(errors)
    candidate_list = CandidateList.for_hamlet(current_term_or_404(), hamlet, round_no, create=True)
    candidate_list.add(person, proposed_by, note[:500])
    commit(f"Thêm {person.full_name} vào danh sách ứng cử {hamlet.full_name} (API)")
    return jsonify(list_json(candidate_list, full=True)), 201


@api_bp.post("/candidate-lists/<int:list_id>/confirm")
@allow(*LIST_EDITORS)
@operation("Xác nhận danh sách chính thức (R-V3; mọi người đủ tiêu chuẩn hoặc được chấp thuận ngoại lệ); khóa "
           "danh sách", tag=TAG, response_schema=LIST)
def api_confirm_candidate_list(list_id: int):
    candidate_list = _load_list(list_id)
    if not may_edit_list(current_user, candidate_list.hamlet.commune):
        abort(403, "Chỉ Ban chỉ đạo bầu cử của xã mới xác nhận danh sách.")
    summary = f"Xác nhận danh sách chính thức người ứng cử {candidate_list.hamlet.full_name} (API)"

    def work() -> None:
        candidate_list.confirm(current_user.id)
        db.session.flush()  # a concurrent confirmation or reopening meets this one here: 409

    act(summary, work)
    return jsonify(list_json(candidate_list, full=True))


# ---------------------------------------------------------------------------------------------------------
# Exception requests (R-X1)
# ---------------------------------------------------------------------------------------------------------

@api_bp.get("/exception-requests")
@allow(*READERS)
@operation("Đề nghị ngoại lệ tiêu chuẩn trong phạm vi người dùng", tag=TAG,
           parameters=LIST_PARAMS + [enum_param("state", RequestState)],
           response_schema=PAGE_SCHEMA)
def api_list_exception_requests():
    stmt = scope_hamlets(db.select(ExceptionRequest)
                         .join(Candidacy, ExceptionRequest.candidacy_id == Candidacy.id)
                         .join(CandidateList, Candidacy.list_id == CandidateList.id)
                         .join(Hamlet, CandidateList.hamlet_id == Hamlet.id).join(Commune), Hamlet, Commune)
    if state := enum_arg("state", RequestState):
        stmt = stmt.where(ExceptionRequest.state == state)
    return jsonify(paginated(stmt.order_by(ExceptionRequest.id), request_json))


@api_bp.get("/exception-requests/<int:request_id>")
@allow(*READERS)
@operation("Một đề nghị ngoại lệ, với quyết định và kế hoạch khắc phục", tag=TAG, response_schema=REQUEST)
def api_get_exception_request(request_id: int):
    return jsonify(request_json(_load_request(request_id)))


@api_bp.post("/candidacies/<int:candidacy_id>/exception-requests")
@allow(*FILERS)
@operation("Đảng ủy xã lập đề nghị ngoại lệ cho người ứng cử chỉ chưa đạt tiêu chuẩn có thể ngoại lệ (R-X1)",
           tag=TAG, request_schema=FILE_REQUEST, response_schema=REQUEST, statuses=(201,))
def api_file_exception_request(candidacy_id: int):
    candidacy = db.get_or_404(Candidacy, candidacy_id)
    authorise_hamlet(candidacy.candidate_list.hamlet)
    if not may_file_exception(current_user, candidacy.candidate_list.hamlet.commune):
        abort(403, "Chỉ Đảng ủy xã của người ứng cử mới lập đề nghị ngoại lệ.")
    data = json_body()
    if not isinstance(data, dict):
        return field_errors({"body": "Nội dung yêu cầu phải là một đối tượng JSON."})
    errors: dict[str, str] = {}
    reason = _text(data, "shortage_reason", errors)
    if errors:
        return field_errors(errors)
    exception_request = ExceptionRequest.file(candidacy, reason, current_user.id)
    db.session.add(exception_request)
    commit(f"Đề nghị ngoại lệ {exception_request.rules} cho {candidacy.person.full_name} (API)")
    return jsonify(request_json(exception_request)), 201


@api_bp.post("/exception-requests/<int:request_id>/decision")
@allow(Role.APPROVING_AUTHORITY)
@operation("Cấp có thẩm quyền quyết định chấp thuận (kèm kế hoạch khắc phục cho từng tiêu chuẩn) hoặc không "
           "chấp thuận đề nghị ngoại lệ (R-X1)", tag=TAG, request_schema=DECISION, response_schema=REQUEST)
def api_decide_exception_request(request_id: int):
    exception_request = _load_request(request_id)
    if not may_decide_exception(current_user, exception_request.commune):
        abort(403, "Chỉ cấp có thẩm quyền phê duyệt của địa bàn này mới quyết định đề nghị ngoại lệ.")
    data = json_body()
    if not isinstance(data, dict):
        return field_errors({"body": "Nội dung yêu cầu phải là một đối tượng JSON."})
    errors: dict[str, str] = {}
    decision = data.get("decision")
    if decision not in ("approve", "reject"):
        errors["decision"] = "Chọn approve hoặc reject."
    number = _text(data, "decision_number", errors)
    signer = _text(data, "signer", errors)
    notes = _text(data, "notes", errors, required=decision == "reject")
    on = _date(data.get("decision_date"), "decision_date", errors)
    plans: list[RemediationPlan] = []
    if decision == "approve":
        raw_plans = data.get("plans")
        if not isinstance(raw_plans, list) or not raw_plans:
            errors["plans"] = "Cần ít nhất một kế hoạch khắc phục cho mỗi tiêu chuẩn được ngoại lệ."
        else:
            for i, raw in enumerate(raw_plans):
                prefix = f"plans[{i}]"
                if not isinstance(raw, dict):
                    errors[prefix] = "Phải là một đối tượng."
                    continue
                if raw.get("rule") not in exception_request.rule_ids:
                    errors[f"{prefix}.rule"] = "Chọn một trong: " + ", ".join(exception_request.rule_ids) + "."
                try:
                    kind = RemedyKind(raw.get("kind"))
                except ValueError:
                    kind = None
                    errors[f"{prefix}.kind"] = "Chọn training hoặc replacement."
                description = _text(raw, "description", errors)
                if "description" in errors:
                    errors[f"{prefix}.description"] = errors.pop("description")
                deadline = _date(raw.get("deadline"), f"{prefix}.deadline", errors)
                if kind is not None and deadline is not None:
                    plans.append(RemediationPlan(rule=raw.get("rule"), kind=kind, description=description[:500],
                                                 deadline=deadline))
    if errors:
        return field_errors(errors)
    if decision == "approve":
        exception_request.approve(user_id=current_user.id, number=number, on=on, signer=signer, notes=notes,
                                  plans=plans)
    else:
        exception_request.reject(user_id=current_user.id, number=number, on=on, signer=signer, notes=notes)
    commit(f"Quyết định {number}: {exception_request.state.label} ngoại lệ {exception_request.rules} cho "
             f"{exception_request.candidacy.person.full_name} (API)")
    return jsonify(request_json(exception_request))


# ---------------------------------------------------------------------------------------------------------
# Public calculators (api.md: fixed shape)
# ---------------------------------------------------------------------------------------------------------

FINDING_SCHEMA = {"type": "object", "properties": {
    "rule": {"type": "string"}, "ok": {"type": "boolean"},
    "kind": {"enum": ["hard", "exceptionable", "target"]}, "message": {"type": "string"}}}
ELIGIBILITY_REQUEST = {"type": "object", "required": [
    "post", "birth_date", "on", "commune_class", "education", "political_theory", "party_member"], "properties": {
    "post": {"enum": ["hamlet_chief", "chapter_secretary", "chapter_deputy_secretary", "chapter_committee_member"]},
    "birth_date": {"type": "string", "format": "date"}, "on": {"type": "string", "format": "date"},
    "commune_class": {"enum": ["mountain", "plain"]},
    "education": {"enum": ["primary", "lower_secondary", "upper_secondary"]},
    "political_theory": {"enum": ["none", "elementary", "intermediate", "advanced"]},
    "party_member": {"enum": ["none", "probationary", "official"]},
    "resident": {"type": "boolean", "default": True}, "fit_for_term": {"type": "boolean", "default": True}}}
ELIGIBILITY_RESPONSE = {"type": "object", "properties": {
    "status": {"enum": ["eligible", "needs_exception", "ineligible"]},
    "findings": {"type": "array", "items": FINDING_SCHEMA}}}


@api_bp.post("/rules/eligibility")
@public
@operation("Đánh giá tiêu chuẩn người ứng cử (R-E1…R-E8); không lưu gì", tag="rules",
           request_schema=ELIGIBILITY_REQUEST, response_schema=ELIGIBILITY_RESPONSE)
def rules_eligibility():
    status, payload = eligibility_response(json_body())
    return jsonify(payload), status
