"""Who may use the training pages, which courses a user sees and edits, and the scoped loaders."""
from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core.access import user_district_id
from core.accounts import Role
from core.models import Commune, Hamlet, Person
from extensions import db
from training.models import Course, CourseSession, Enrolment

READERS = (Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE, Role.PARTY_COMMITTEE, Role.APPROVING_AUTHORITY,
           Role.OBSERVER)
EDITORS = (Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE)


def home_district_id() -> int | None:
    if current_user.commune_id is not None:
        return db.session.get(Commune, current_user.commune_id).district_id
    return user_district_id()


def scope_courses(stmt):
    if current_user.role == Role.ADMIN:
        return stmt
    stmt = stmt.where(Course.district_id == home_district_id())
    if current_user.commune_id is not None:
        stmt = stmt.where(Course.commune_id.is_(None) | (Course.commune_id == current_user.commune_id))
    return stmt


def course_visible(course: Course) -> bool:
    if current_user.role == Role.ADMIN:
        return True
    if course.district_id != home_district_id():
        return False
    return current_user.commune_id is None or course.commune_id in (None, current_user.commune_id)


def may_edit(course: Course) -> bool:
    """District office: its district's courses; commune committee: its commune's courses."""
    if current_user.role == Role.ADMIN:
        return True
    if current_user.role == Role.DISTRICT_OFFICE:
        return course.district_id == current_user.district_id
    return current_user.role == Role.COMMUNE_COMMITTEE and course.commune_id == current_user.commune_id


def load_course(course_id: int, edit: bool = False) -> Course:
    course = db.get_or_404(Course, course_id)
    if not course_visible(course):
        abort(404)
    if edit and not may_edit(course):
        abort(403, _("Khóa học do cấp huyện tổ chức: chỉ Cơ quan Tổ chức – Nội vụ được thay đổi."))
    return course


def load_session(session_id: int, edit: bool = False) -> CourseSession:
    session = db.get_or_404(CourseSession, session_id)
    load_course(session.course_id, edit)
    return session


def visible_enrolments(course: Course) -> list[Enrolment]:
    """A commune user looking at a district course sees its own commune's trainees only."""
    stmt = (db.select(Enrolment).join(Person).join(Hamlet, Person.hamlet_id == Hamlet.id)
            .where(Enrolment.course_id == course.id).options(joinedload(Enrolment.person).joinedload(Person.hamlet))
            .order_by(Person.name_folded, Person.id))
    if current_user.commune_id is not None:
        stmt = stmt.where(Hamlet.commune_id == current_user.commune_id)
    return list(db.session.scalars(stmt).unique())
