"""Training resources of the JSON API: courses, enrolment, attendance, coverage (scoped and audited)."""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from core.access import NOT_IN_SCOPE, allow, person_in_scope
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
)
from core.audit import describe
from core.models import Term, current_term
from core.transactions import commit
from core.vietnamese import vietnam_today
from extensions import db
from training.access import (
    EDITORS,
    READERS,
    home_district_id,
    load_course,
    load_session,
    scope_courses,
    visible_enrolments,
)
from training.models import Course, CourseKind, CourseSession, EnrolFilter, people_by_filter, training_facts
from training.rules import coverage, coverage_by_commune, gaps


def course_json(course: Course, enrolled: int | None = None) -> dict:
    return {"id": course.id, "name": course.name, "kind": course.kind.value, "audience": course.audience.value,
            "district_id": course.district_id, "commune_id": course.commune_id, "term_id": course.term_id,
            "posts": [p.value for p in course.posts], "capacity": course.capacity,
            "enrolled": len(course.enrolments) if enrolled is None else enrolled,
            "min_attendance_percent": course.min_attendance_percent,
            "raises_theory_to": course.raises_theory_to.value if course.raises_theory_to else None,
            "closed_on": course.closed_on.isoformat() if course.closed_on else None}


def figure_json(figure) -> dict:
    return {"key": figure.key, "numerator": figure.numerator, "denominator": figure.denominator,
            "share": figure.share, "met": figure.met}


COURSE_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"enum": [k.value for k in CourseKind]},
    "audience": {"enum": ["newcomers", "re_elected", "all"]}, "commune_id": {"type": ["integer", "null"]},
    "term_id": {"type": "integer"}, "posts": {"type": "array", "items": {"type": "string"}},
    "capacity": {"type": "integer"}, "enrolled": {"type": "integer"}, "min_attendance_percent": {"type": "integer"},
    "raises_theory_to": {"type": ["string", "null"]}, "closed_on": {"type": ["string", "null"], "format": "date"}}}


@api_bp.get("/training/courses")
@allow(*READERS)
@operation("Danh sách khóa bồi dưỡng trong phạm vi (lọc theo kind, term_id, commune_id)", tag="training",
           parameters=LIST_PARAMS + [enum_param("kind", CourseKind)] + [
               {"name": n, "in": "query", "schema": {"type": "integer"}} for n in ("term_id", "commune_id")],
           response_schema=PAGE_SCHEMA)
def api_list_courses():
    stmt = scope_courses(db.select(Course))
    if kind := enum_arg("kind", CourseKind):
        stmt = stmt.where(Course.kind == kind)
    if term_id := request.args.get("term_id", type=int):
        stmt = stmt.where(Course.term_id == term_id)
    if commune_id := request.args.get("commune_id", type=int):
        stmt = stmt.where(Course.commune_id == commune_id)
    return jsonify(paginated(stmt.order_by(Course.id.desc()), course_json))


@api_bp.get("/training/courses/<int:course_id>")
@allow(*READERS)
@operation("Một khóa bồi dưỡng: buổi học, học viên, số buổi dự và kết quả", tag="training")
def api_get_course(course_id: int):
    course = load_course(course_id)
    counts = course.attended_counts()
    data = course_json(course)
    data["sessions"] = [{"id": s.id, "held_on": s.held_on.isoformat(), "place": s.place, "trainer": s.trainer,
                         "topic": s.topic} for s in course.sessions]
    data["enrolments"] = []
    for e in visible_enrolments(course):
        result = course.completion_of(counts.get(e.id, 0))
        data["enrolments"].append({"id": e.id, "person_id": e.person_id, "full_name": e.person.full_name,
                                   "attended": result.attended, "meets_attendance_rule": result.completed,
                                   "completed_on": e.completed_on.isoformat() if e.completed_on else None})
    return jsonify(data)


@api_bp.post("/training/courses/<int:course_id>/enrolments")
@allow(*EDITORS)
@operation("Ghi danh một người (person_id) hoặc cả nhóm (filter, commune_id); kiểm tra sức chứa", tag="training",
           request_schema={"type": "object", "properties": {
               "person_id": {"type": "integer"}, "filter": {"enum": [f.value for f in EnrolFilter]},
               "commune_id": {"type": "integer"}}},
           response_schema={"type": "object", "properties": {"added": {"type": "array", "items": {"type": "integer"}},
                                                             "already_enrolled": {"type": "integer"}}})
def api_enrol(course_id: int):
    course = load_course(course_id, edit=True)
    body = json_body()
    if not isinstance(body, dict) or ("person_id" in body) == ("filter" in body):
        return field_errors({"person_id": "Cần đúng một trong hai: person_id hoặc filter."})
    if "person_id" in body:
        person = person_in_scope(body["person_id"])
        if person is None:  # a foreign id answers like a missing one
            return field_errors({"person_id": NOT_IN_SCOPE})
        enrolment = course.enrol(person, vietnam_today(), source="Ghi danh từng người (API)")
        added, skipped = [enrolment], 0
        describe(f"Ghi danh {person.full_name} vào khóa «{course.name}»")
    else:
        try:
            key = EnrolFilter(body["filter"])
        except ValueError:
            return field_errors({"filter": "Nhóm không hợp lệ."})
        commune_id = body.get("commune_id") if isinstance(body.get("commune_id"), int) else None
        added, skipped = course.enrol_many(people_by_filter(course, key, commune_id), vietnam_today(),
                                           source=key.label[:120])
        describe(f"Ghi danh {len(added)} người vào khóa «{course.name}» theo nhóm: {key.label}")
    commit()
    return jsonify({"added": [e.person_id for e in added], "already_enrolled": skipped})


@api_bp.post("/training/sessions/<int:session_id>/attendance")
@allow(*EDITORS)
@operation("Điểm danh một buổi học: danh sách {enrolment_id, present}; tất cả hoặc không gì cả", tag="training",
           request_schema={"type": "object", "required": ["items"], "properties": {"items": {
               "type": "array", "items": {"type": "object", "required": ["enrolment_id", "present"], "properties": {
                   "enrolment_id": {"type": "integer"}, "present": {"type": "boolean"}}}}}},
           response_schema={"type": "object", "properties": {"present_count": {"type": "integer"}}})
def api_attendance(session_id: int):
    session: CourseSession = load_session(session_id, edit=True)
    body = json_body()
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        return field_errors({"items": "Cần danh sách điểm danh."})
    enrolments = {e.id: e for e in session.course.enrolments}
    errors = {}
    for n, item in enumerate(items):
        if not isinstance(item, dict) or item.get("enrolment_id") not in enrolments:
            errors[f"items[{n}].enrolment_id"] = "Học viên không thuộc khóa học này."
        elif not isinstance(item.get("present"), bool):
            errors[f"items[{n}].present"] = "Cần true hoặc false."
    if errors:
        return field_errors(errors)
    for item in items:
        session.mark(enrolments[item["enrolment_id"]], item["present"])
    commit(f"Điểm danh buổi {session.held_on:%d/%m/%Y} khóa «{session.course.name}» ({len(items)} học viên)")
    return jsonify({"present_count": len(session.present_ids())})


@api_bp.get("/training/coverage")
@allow(*READERS)
@operation("Tỷ lệ bồi dưỡng (R-T4) theo xã và toàn huyện, với danh sách người còn thiếu", tag="training",
           parameters=[{"name": "term_id", "in": "query", "schema": {"type": "integer"}}])
def api_coverage():
    district_id = home_district_id()
    term = db.session.get(Term, request.args.get("term_id", type=int) or 0) or (
        current_term(district_id) if district_id else None)
    if term is None or term.district_id != district_id:
        abort(404)
    facts = training_facts(district_id, term, commune_id=current_user.commune_id)
    by_commune = coverage_by_commune(facts)
    return jsonify({
        "term_id": term.id,
        "total": [figure_json(f) for f in coverage(facts).figures],
        "communes": {str(cid): [figure_json(f) for f in cov.figures] for cid, cov in by_commune.items()},
        "missing": [{"person_id": g.person_id, "commune_id": g.commune_id, "reasons": g.reasons} for g in gaps(facts)],
    })

