"""API: chapters of the term with their congress, a congress (read / record), the targets (R-T1…R-T5)."""
from __future__ import annotations

from datetime import date

from flask import abort, jsonify, request
from flask_login import current_user

from chapters.access import DASHBOARD_READERS, READERS, RECORDERS
from chapters.models import EXCLUSION_FIELDS, Congress, NomineeSource, chapter_post
from chapters.targets import load_facts
from core.access import (
    NOT_IN_SCOPE,
    allow,
    authorise_district,
    authorise_hamlet,
    current_term_or_404,
    person_in_scope,
    scope_hamlets,
    user_district_id,
)
from core.api import LIST_PARAMS, PAGE_SCHEMA, api_bp, field_errors, json_body, operation, page_args
from core.enums import CHAPTER_POSTS, Post
from core.errors import RuleViolation
from core.models import Chapter, Commune, Hamlet, Person
from core.targets import TargetFigure
from core.transactions import commit
from core.vietnamese import vietnam_today
from extensions import db

# Until the posts became one enum (core.enums.Post) the API named the chapter posts "secretary", "deputy_secretary"
# and "committee_member"; requests with those names are still understood.
LEGACY_POSTS = {"secretary": Post.CHAPTER_SECRETARY, "deputy_secretary": Post.CHAPTER_DEPUTY_SECRETARY,
                "committee_member": Post.CHAPTER_COMMITTEE_MEMBER}
POST_NAMES = [p.value for p in CHAPTER_POSTS] + list(LEGACY_POSTS)
FIGURE_SCHEMA = {"type": "object", "properties": {
    "rule": {"type": "string"}, "key": {"type": "string"}, "label": {"type": "string"},
    "numerator": {"type": "integer"}, "denominator": {"type": "integer"}, "share": {"type": ["number", "null"]},
    "target_share": {"type": ["number", "null"]}, "met": {"type": "boolean"}}}
CONGRESS_REQUEST = {"type": "object", "properties": {
    "held_on": {"type": "string", "format": "date", "description": "opens the congress when none exists"},
    "attendance": {"type": "object", "properties": {
        "official_members_convened": {"type": "integer"}, "present": {"type": "integer"},
        "committee_seats": {"type": ["integer", "null"]},
        **{name: {"type": "integer"} for name in EXCLUSION_FIELDS}}},
    "nominees": {"type": "array", "items": {"type": "object", "required": ["person_id"], "properties": {
        "person_id": {"type": "integer"}, "post": {"enum": POST_NAMES},
        "source": {"enum": ["chapter", "floor"]}, "agreeing": {"type": "integer"}}}},
    "ballots": {"type": "array", "items": {"type": "object", "required": ["post", "valid", "invalid", "votes"],
                                           "properties": {
        "post": {"enum": POST_NAMES}, "valid": {"type": "integer"},
        "invalid": {"type": "integer"},
        "votes": {"type": "object", "description": "person id → votes", "additionalProperties": {"type": "integer"}}}}},
    "finish": {"type": "boolean"}}}


def _post(value: str) -> Post:
    return chapter_post(LEGACY_POSTS.get(value, value))


def figure_json(f: TargetFigure) -> dict:
    return {"rule": f.rule, "key": f.key, "label": f.label_text, "numerator": f.numerator,
            "denominator": f.denominator, "share": f.share, "target_share": f.target_share, "met": f.met}


def congress_json(congress: Congress) -> dict:
    return {
        "id": congress.id, "chapter_id": congress.chapter_id, "term_id": congress.term_id,
        "held_on": congress.held_on.isoformat(), "state": congress.state.value,
        "attendance": {"official_members_convened": congress.official_members_convened,
                       **{name: getattr(congress, name) for name in EXCLUSION_FIELDS},
                       "present": congress.present, "base": congress.base,
                       "committee_seats": congress.committee_seats},
        "nominees": [{"id": n.id, "person_id": n.person_id, "full_name": n.person.full_name, "post": n.post.value,
                      "source": n.source.value, "agreeing": n.floor_agreeing,
                      "assessment": n.assessment().to_dict()} for n in congress.nominees],
        "ballots": [{"post": b.post.value, "round_no": b.round_no, "seats": b.seats, "valid": b.valid_ballots,
                     "invalid": b.invalid_ballots,
                     "votes": {str(n.person_id): t.votes for n, t in b.rows()},
                     "elected": [congress.nominee(i).person_id for i in b.result().elected]}
                    for b in congress.ballots],
        "results": [{"post": post.value, "person_id": person.id, "full_name": person.full_name}
                    for post, person in congress.results()],
        "appointment": {"person_id": congress.appointed_person_id, "number": congress.appointment_number,
                        "date": congress.appointment_date.isoformat() if congress.appointment_date else None},
        "approval": {"number": congress.approval_number,
                     "date": congress.approval_date.isoformat() if congress.approval_date else None},
    }


@api_bp.get("/chapter-congresses")
@allow(*READERS)
@operation("Chi bộ thôn, TDP của nhiệm kỳ hiện hành và trạng thái đại hội", tag="chapters",
           parameters=LIST_PARAMS + [{"name": "commune_id", "in": "query", "schema": {"type": "integer"}}],
           response_schema=PAGE_SCHEMA)
def list_chapter_congresses():
    district_id = user_district_id()
    if district_id is None:
        abort(404)
    term = current_term_or_404(district_id)
    stmt = (db.select(Chapter, Congress).join(Hamlet, Chapter.hamlet_id == Hamlet.id).join(Commune)
            .outerjoin(Congress, (Congress.chapter_id == Chapter.id) & (Congress.term_id == term.id))
            .where(Commune.district_id == district_id))
    stmt = scope_hamlets(stmt, Hamlet, Commune).order_by(Chapter.id)
    if commune_id := request.args.get("commune_id", type=int):
        stmt = stmt.where(Commune.id == commune_id)

    def serialise(row) -> dict:
        chapter, congress = row
        return {"id": chapter.id, "name": chapter.name, "hamlet_id": chapter.hamlet_id,
                "official_members": chapter.official_members,
                "congress": None if congress is None else {"id": congress.id, "state": congress.state.value,
                                                           "held_on": congress.held_on.isoformat()}}

    page, per_page = page_args()
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    total = db.session.scalar(db.select(db.func.count()).select_from(stmt.order_by(None).subquery()))
    page = {"items": [serialise(row) for row in rows], "page": page, "per_page": per_page, "total": total}
    return jsonify(page)


def _chapter_and_term(chapter_id: int):
    chapter = db.get_or_404(Chapter, chapter_id)
    authorise_hamlet(chapter.hamlet)
    term = current_term_or_404(chapter.hamlet.commune.district_id)
    congress = db.session.scalar(db.select(Congress).where(Congress.chapter_id == chapter.id,
                                                           Congress.term_id == term.id))
    return chapter, term, congress


@api_bp.get("/chapters/<int:chapter_id>/congress")
@allow(*READERS)
@operation("Đại hội chi bộ của nhiệm kỳ hiện hành (số đảng viên, người được giới thiệu, kết quả bầu)",
           tag="chapters")
def get_congress(chapter_id: int):
    _chapter, _term, congress = _chapter_and_term(chapter_id)
    if congress is None:
        abort(404)
    return jsonify(congress_json(congress))


def _person(person_id) -> Person:
    person = person_in_scope(person_id)
    if person is None:  # a foreign id answers like a missing one
        raise RuleViolation(NOT_IN_SCOPE, "person_id")
    return person


@api_bp.post("/chapters/<int:chapter_id>/congress")
@allow(*RECORDERS)
@operation("Ghi đại hội chi bộ: mở, số đảng viên (R-P2), người được giới thiệu (R-P3), kết quả bầu (R-P1…R-P4), "
           "kết thúc — trong một giao dịch", tag="chapters", request_schema=CONGRESS_REQUEST)
def record_congress(chapter_id: int):
    chapter, term, congress = _chapter_and_term(chapter_id)
    body = json_body()
    if not isinstance(body, dict):
        return field_errors({"body": "Cần một đối tượng JSON."})
    try:
        if congress is None:
            try:
                held_on = date.fromisoformat(body.get("held_on", ""))
            except (TypeError, ValueError):
                return field_errors({"held_on": "Cần ngày đại hội (YYYY-MM-DD) để mở hồ sơ."})
            congress = Congress.open(chapter, term, held_on)
            db.session.add(congress)
        if (attendance := body.get("attendance")) is not None:
            congress.set_attendance(int(attendance.get("official_members_convened", 0)),
                                    {k: int(attendance.get(k, 0)) for k in EXCLUSION_FIELDS},
                                    int(attendance.get("present", 0)), attendance.get("committee_seats"))
        for item in body.get("nominees", []):
            source = NomineeSource(item.get("source", "chapter"))
            congress.add_nominee(_person(item.get("person_id")), _post(item.get("post", Post.CHAPTER_SECRETARY.value)), source,
                                 item.get("agreeing"))
        db.session.flush()
        for item in body.get("ballots", []):
            by_person = {n.person_id: n.id for n in congress.nominees}
            votes = {}
            for person_id, count in (item.get("votes") or {}).items():
                if not str(person_id).isdigit() or int(person_id) not in by_person:
                    raise RuleViolation(f"Người {person_id} không có trong danh sách giới thiệu.", "votes")
                votes[by_person[int(person_id)]] = int(count)
            congress.record_ballot(_post(item["post"]), int(item["valid"]), int(item["invalid"]), votes)
        if body.get("finish"):
            congress.finish()
    except (KeyError, TypeError, ValueError) as error:
        db.session.rollback()
        return field_errors({"body": f"Dữ liệu không hợp lệ: {error}"})
    commit(f"Ghi đại hội {chapter.name} qua API")
    return jsonify(congress_json(congress))


@api_bp.get("/targets")
@allow(*DASHBOARD_READERS)
@operation("Chỉ tiêu R-T1…R-T5 của huyện và từng xã (như bảng theo dõi chỉ tiêu)", tag="chapters",
           parameters=[{"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"}}])
def get_targets():
    district_id = user_district_id()
    if district_id is None:
        abort(404)
    if current_user.commune_id is None:
        authorise_district(district_id)
    term = current_term_or_404(district_id)
    try:
        as_of = date.fromisoformat(request.args["as_of"]) if request.args.get("as_of") else vietnam_today()
    except ValueError:
        return field_errors({"as_of": "Ngày không hợp lệ (YYYY-MM-DD)."})
    facts = load_facts(district_id, term, as_of, current_user.commune_id)
    return jsonify({
        "district_id": district_id, "term_id": term.id, "as_of": as_of.isoformat(),
        "training_note": facts.training_note,
        "district": [figure_json(f) for f in facts.figures()],
        "communes": [{"commune_id": cid, "name": facts.communes.get(cid, ""),
                      "figures": [figure_json(f) for f in figures]}
                     for cid, figures in facts.figures_by_commune().items()],
    })

