"""Courses, their sessions, enrolments and attendance; the long-term source pool.

Lifecycles are model methods raising RuleViolation (Vietnamese message); only views and CLI commit.
Closing a course evaluates completion by the pure rule (training/rules.py) and, for a political-theory
course, raises the trainees' recorded level and re-checks their remediation plans (candidates, R-X1).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from candidates.models import RemediationPlan, recheck_remediation
from core.enums import PoliticalTheory, Post
from core.errors import RuleViolation
from core.labels import N_, LabelledEnum
from core.models import Commune, District, Hamlet, Person, Position, Term, enum_column
from extensions import Model, db
from training.rules import (
    DEFAULT_MIN_ATTENDANCE_PERCENT,
    Completion,
    CurrentPost,
    Holding,
    TermWindow,
    completion,
    newcomers,
    worker_facts,
)


class CourseKind(LabelledEnum):
    PRE_ELECTION = "pre_election", N_("Tập huấn nghiệp vụ bầu cử (trước ngày bầu cử)")
    PARTY_WORK = "party_work", N_("Bồi dưỡng nghiệp vụ công tác Đảng")
    MASS_MOBILISATION = "mass_mobilisation", N_("Bồi dưỡng công tác dân vận")
    STATE_MANAGEMENT = "state_management", N_("Bồi dưỡng kiến thức quản lý nhà nước")
    LEADERSHIP = "leadership", N_("Bồi dưỡng kỹ năng lãnh đạo, điều hành")
    POLITICAL_THEORY = "political_theory", N_("Sơ cấp lý luận chính trị")
    OTHER = "other", N_("Khác")


class Audience(LabelledEnum):
    NEWCOMERS = "newcomers", N_("Người mới đảm nhiệm chức danh")
    RE_ELECTED = "re_elected", N_("Người tái cử")
    ALL = "all", N_("Tất cả")


class PoolKind(LabelledEnum):
    VETERAN = "veteran", N_("Quân nhân hoàn thành nghĩa vụ trở về địa phương")
    GRADUATE = "graduate", N_("Sinh viên tốt nghiệp về địa phương")
    OTHER = "other", N_("Khác")


class Course(Model):
    """A training course planned by the district office (commune_id None) or by one commune."""

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("district.id"), index=True)
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commune.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("term.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[CourseKind] = enum_column(CourseKind)
    audience: Mapped[Audience] = enum_column(Audience, default=Audience.ALL)
    # Comma-separated Post values; "" = all non-specialised hamlet workers.
    target_posts: Mapped[str] = mapped_column(sa.String(200), default="")
    capacity: Mapped[int] = mapped_column(default=50)
    min_attendance_percent: Mapped[int] = mapped_column(default=DEFAULT_MIN_ATTENDANCE_PERCENT)
    # Political-theory courses: the level a completed trainee reaches (e.g. elementary, sơ cấp).
    raises_theory_to: Mapped[PoliticalTheory | None] = enum_column(PoliticalTheory, nullable=True)
    organiser: Mapped[str] = mapped_column(sa.String(200), default="")  # issuing body on sheets/certificates
    signer_title: Mapped[str] = mapped_column(sa.String(120), default="")
    signer_name: Mapped[str] = mapped_column(sa.String(120), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    closed_on: Mapped[date | None]

    district: Mapped[District] = relationship()
    commune: Mapped[Commune | None] = relationship()
    term: Mapped[Term] = relationship()
    sessions: Mapped[list[CourseSession]] = relationship(back_populates="course", cascade="all, delete-orphan",
                                                         order_by="(CourseSession.held_on, CourseSession.id)")
    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="course", cascade="all, delete-orphan",
                                                       order_by="Enrolment.id")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return self.district_id, self.commune_id, None

    # -- reading --------------------------------------------------------------------------------------
    @property
    def posts(self) -> tuple[Post, ...]:
        return tuple(Post(p) for p in self.target_posts.split(",") if p)

    @posts.setter
    def posts(self, values: Iterable[str]) -> None:
        chosen = {Post(v) for v in values}
        self.target_posts = ",".join(p.value for p in Post if p in chosen)

    @property
    def closed(self) -> bool:
        return self.closed_on is not None

    @property
    def owner_label(self) -> str:
        return self.commune.full_name if self.commune else f"Huyện {self.district.name}"

    @property
    def first_day(self) -> date | None:
        return self.sessions[0].held_on if self.sessions else None

    @property
    def last_day(self) -> date | None:
        return self.sessions[-1].held_on if self.sessions else None

    def enrolled_person_ids(self) -> set[int]:
        # person_id is only set at flush: fall back to the related person for enrolments added just now.
        return {e.person_id if e.person_id is not None else e.person.id for e in self.enrolments}

    def places_left(self) -> int:
        return max(self.capacity - len(self.enrolments), 0)

    def attended_counts(self) -> dict[int, int]:
        """enrolment id -> sessions attended (one query)."""
        rows = db.session.execute(
            db.select(Attendance.enrolment_id, db.func.count(Attendance.id))
            .join(CourseSession, Attendance.session_id == CourseSession.id)
            .where(CourseSession.course_id == self.id, Attendance.present.is_(True))
            .group_by(Attendance.enrolment_id)).all()
        return dict(rows)

    def completion_of(self, attended: int) -> Completion:
        return completion(attended, len(self.sessions), self.min_attendance_percent)

    # -- lifecycle ------------------------------------------------------------------------------------
    def ensure_open(self) -> None:
        if self.closed:
            raise RuleViolation(f"Khóa học đã kết thúc và đánh giá ngày {self.closed_on:%d/%m/%Y}; "
                                "không thể thay đổi.")

    def ensure_reaches(self, person: Person) -> None:
        """Trainees come from the course's district (and commune, for a commune's course)."""
        hamlet: Hamlet = person.hamlet
        if self.commune_id is not None and hamlet.commune_id != self.commune_id:
            raise RuleViolation(f"{person.full_name} không cư trú tại {self.commune.full_name}.")
        if hamlet.commune.district_id != self.district_id:
            raise RuleViolation(f"{person.full_name} không cư trú trong huyện tổ chức khóa học.")

    def enrol(self, person: Person, on: date, source: str = "") -> Enrolment:
        self.ensure_open()
        self.ensure_reaches(person)
        if person.id in self.enrolled_person_ids():
            raise RuleViolation(f"{person.full_name} đã được ghi danh vào khóa học này.")
        if len(self.enrolments) >= self.capacity:
            raise RuleViolation(f"Khóa học đã đủ {self.capacity} học viên; không thể ghi danh thêm.")
        enrolment = Enrolment(person=person, enrolled_on=on, source=source, completed_on=None)
        self.enrolments.append(enrolment)
        return enrolment

    def enrol_many(self, people: Iterable[Person], on: date, source: str) -> tuple[list[Enrolment], int]:
        """Enrol everyone not yet enrolled, all or nothing; returns (new enrolments, already enrolled)."""
        self.ensure_open()
        enrolled = self.enrolled_person_ids()
        chosen = list(dict.fromkeys(people))
        fresh = [p for p in chosen if p.id not in enrolled]
        skipped = len(chosen) - len(fresh)
        for person in fresh:
            self.ensure_reaches(person)
        left = self.places_left()
        if len(fresh) > left:
            raise RuleViolation(f"Bộ lọc chọn {len(fresh)} người chưa ghi danh nhưng khóa học chỉ còn {left} chỗ "
                                f"(sức chứa {self.capacity}). Hãy tăng sức chứa hoặc thu hẹp bộ lọc.")
        added = []
        for person in fresh:
            # completed_on given explicitly: the audit log compares it with its loaded value at closing.
            added.append(Enrolment(person=person, enrolled_on=on, source=source, completed_on=None))
            self.enrolments.append(added[-1])
        return added, skipped

    def withdraw(self, enrolment: Enrolment) -> None:
        self.ensure_open()
        # An explicit delete (not only the orphan cascade, resolved inside the flush) so the audit log,
        # which looks at session.deleted before the flush, records it and its attendance rows.
        with db.session.no_autoflush:
            self.enrolments.remove(enrolment)
            db.session.delete(enrolment)

    def remove_session(self, session: CourseSession) -> None:
        self.ensure_open()
        with db.session.no_autoflush:  # explicit delete, as in withdraw()
            self.sessions.remove(session)
            db.session.delete(session)

    def add_session(self, held_on: date, place: str, trainer: str, topic: str = "") -> CourseSession:
        self.ensure_open()
        session = CourseSession(held_on=held_on, place=place.strip(), trainer=trainer.strip(), topic=topic.strip())
        self.sessions.append(session)
        return session

    def close(self, on: date) -> CloseResult:
        """Evaluate completion over attendance, then raise theory levels and re-check remediation plans."""
        self.ensure_open()
        if not self.sessions:
            raise RuleViolation("Khóa học chưa có buổi học nào; chưa thể kết thúc và đánh giá.")
        if self.last_day and on < self.last_day:
            raise RuleViolation(f"Ngày kết thúc ({on:%d/%m/%Y}) không thể trước buổi học cuối "
                                f"({self.last_day:%d/%m/%Y}).")
        counts = self.attended_counts()
        result = CloseResult()
        for enrolment in self.enrolments:
            done = self.completion_of(counts.get(enrolment.id, 0)).completed
            enrolment.completed_on = on if done else None
            if not done:
                continue
            result.completed.append(enrolment)
            person = enrolment.person
            target = self.raises_theory_to
            if target is not None and person.political_theory < target:
                person.political_theory = target
                result.raised.append(person)
                result.plans_met.extend(recheck_remediation(person, on))
        self.closed_on = on
        return result


@dataclass
class CloseResult:
    completed: list[Enrolment] = field(default_factory=list)
    raised: list[Person] = field(default_factory=list)
    plans_met: list = field(default_factory=list)  # candidates.models.RemediationPlan


class CourseSession(Model):
    """One session (buổi học) of a course."""

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    held_on: Mapped[date]
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    trainer: Mapped[str] = mapped_column(sa.String(120), default="")
    topic: Mapped[str] = mapped_column(sa.String(300), default="")

    course: Mapped[Course] = relationship(back_populates="sessions")
    attendances: Mapped[list[Attendance]] = relationship(back_populates="session", cascade="all, delete-orphan")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        course = self.course or db.session.get(Course, self.course_id)  # None once removed from its course
        return course.district_id, course.commune_id, None

    @property
    def number(self) -> int:
        return self.course.sessions.index(self) + 1

    def mark(self, enrolment: Enrolment, present: bool) -> Attendance:
        """Record one trainee present or absent at this session (creates or updates the row)."""
        self.course.ensure_open()
        if enrolment.course_id != self.course_id:
            raise RuleViolation(f"{enrolment.person.full_name} không ghi danh khóa học này.")
        row = db.session.scalar(db.select(Attendance).where(Attendance.session_id == self.id,
                                                            Attendance.enrolment_id == enrolment.id))
        if row is None:
            row = Attendance(session=self, enrolment=enrolment, present=present)
            db.session.add(row)
        else:
            row.present = present
        return row

    def present_ids(self) -> set[int]:
        """Enrolment ids marked present at this session."""
        return set(db.session.scalars(db.select(Attendance.enrolment_id).where(
            Attendance.session_id == self.id, Attendance.present.is_(True))))


class Enrolment(Model):
    __table_args__ = (sa.UniqueConstraint("course_id", "person_id", name="uq_enrolment_course_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    enrolled_on: Mapped[date]
    source: Mapped[str] = mapped_column(sa.String(120), default="")  # how: individually or which filter
    completed_on: Mapped[date | None]  # set when the course is closed and the trainee completed it

    course: Mapped[Course] = relationship(back_populates="enrolments")
    person: Mapped[Person] = relationship()
    attendances: Mapped[list[Attendance]] = relationship(back_populates="enrolment", cascade="all, delete-orphan")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.person.hamlet_id if self.person else None


class Attendance(Model):
    __table_args__ = (sa.UniqueConstraint("session_id", "enrolment_id", name="uq_attendance_session_enrolment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("course_session.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolment.id"), index=True)
    present: Mapped[bool] = mapped_column(default=False)

    session: Mapped[CourseSession] = relationship(back_populates="attendances")
    enrolment: Mapped[Enrolment] = relationship(back_populates="attendances")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.enrolment.person.hamlet_id if self.enrolment else None


class SourcePoolEntry(Model):
    """A person of the long-term source pool (veterans, graduates) whom communes prepare early."""

    __table_args__ = (sa.UniqueConstraint("person_id", "kind", name="uq_source_pool_entry_person_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    kind: Mapped[PoolKind] = enum_column(PoolKind)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    recorded_on: Mapped[date]

    person: Mapped[Person] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.person.hamlet_id if self.person else None


# ---------------------------------------------------------------------------------------------------------
# Enrolment by filter
# ---------------------------------------------------------------------------------------------------------

class EnrolFilter(LabelledEnum):
    CHIEFS = "chiefs", N_("Trưởng thôn, tổ trưởng TDP đương nhiệm")
    WORKERS = "workers", N_("Tất cả người hoạt động không chuyên trách đương nhiệm")
    NEWCOMERS = "newcomers", N_("Người mới đảm nhiệm chức danh (không giữ chức danh đó ở nhiệm kỳ trước)")
    RE_ELECTED = "re_elected", N_("Người tái cử (giữ chức danh từ nhiệm kỳ trước)")
    REMEDIATION_THEORY = "remediation_theory", N_("Người có kế hoạch khắc phục lý luận chính trị chưa hoàn thành (R-E5)")
    REMEDIATION_EDUCATION = ("remediation_education",
                             N_("Người có kế hoạch khắc phục trình độ học vấn chưa hoàn thành (R-E4)"))
    SOURCE_POOL = "source_pool", N_("Nguồn cán bộ lâu dài (quân nhân xuất ngũ, sinh viên tốt nghiệp)")


def _in_area(stmt, district_id: int, commune_id: int | None):
    """Restrict a statement that joins Person's Hamlet and Commune to a district (and commune)."""
    stmt = stmt.where(Commune.district_id == district_id)
    return stmt.where(Hamlet.commune_id == commune_id) if commune_id is not None else stmt


def current_holdings(district_id: int, commune_id: int | None = None, post: Post | None = None):
    """(Position rows) held now — ended_on None — in the area, with person, hamlet and commune joined."""
    stmt = (db.select(Position).join(Hamlet, Position.hamlet_id == Hamlet.id).join(Commune)
            .where(Position.ended_on.is_(None)).options(joinedload(Position.person)))
    if post is not None:
        stmt = stmt.where(Position.post == post)
    return db.session.scalars(_in_area(stmt, district_id, commune_id)).all()


def previous_term(term: Term) -> Term | None:
    return db.session.scalar(db.select(Term).where(Term.district_id == term.district_id,
                                                   Term.starts_on < term.starts_on)
                             .order_by(Term.starts_on.desc()).limit(1))


def split_newcomers(term: Term, district_id: int, commune_id: int | None) -> tuple[list[Person], list[Person]]:
    """Current workers of the area as (newcomers, re-elected) relative to the term before `term`."""
    current = current_holdings(district_id, commune_id)
    people = {h.person_id: h.person for h in current}
    history = db.session.scalars(db.select(Position).where(Position.person_id.in_(people))).all() if people else []
    prev = previous_term(term)
    window = TermWindow(prev.id, prev.starts_on, prev.ends_on) if prev else None

    def holding(p: Position) -> Holding:
        return Holding(p.person_id, p.post.value, p.started_on, p.ended_on, p.term_id)

    new_ids = newcomers([holding(p) for p in current], [holding(p) for p in history], window, term.starts_on)
    ordered = sorted(people.values(), key=lambda p: (p.name_folded, p.id))
    return [p for p in ordered if p.id in new_ids], [p for p in ordered if p.id not in new_ids]


def people_by_filter(course: Course, key: EnrolFilter, commune_id: int | None) -> list[Person]:
    """The people a filter selects in the course's area (a commune's course: always its commune)."""
    commune_id = course.commune_id or commune_id
    district_id = course.district_id
    if key in (EnrolFilter.CHIEFS, EnrolFilter.WORKERS):
        post = Post.HAMLET_CHIEF if key == EnrolFilter.CHIEFS else None
        people = {h.person_id: h.person for h in current_holdings(district_id, commune_id, post)}
        return sorted(people.values(), key=lambda p: (p.name_folded, p.id))
    if key in (EnrolFilter.NEWCOMERS, EnrolFilter.RE_ELECTED):
        fresh, returning = split_newcomers(course.term, district_id, commune_id)
        return fresh if key == EnrolFilter.NEWCOMERS else returning
    base = db.select(Person).join(Hamlet, Person.hamlet_id == Hamlet.id).join(Commune)
    if key in (EnrolFilter.REMEDIATION_THEORY, EnrolFilter.REMEDIATION_EDUCATION):
        rule = "R-E5" if key == EnrolFilter.REMEDIATION_THEORY else "R-E4"
        open_plans = db.select(RemediationPlan.person_id).where(RemediationPlan.rule == rule,
                                                               RemediationPlan.met_on.is_(None))
        stmt = base.where(Person.id.in_(open_plans))
    else:
        stmt = base.where(Person.id.in_(db.select(SourcePoolEntry.person_id)))
    return db.session.scalars(_in_area(stmt, district_id, commune_id).order_by(Person.name_folded, Person.id)).all()


# ---------------------------------------------------------------------------------------------------------
# Coverage (R-T4): the facts the coverage page and the chapters dashboard share
# ---------------------------------------------------------------------------------------------------------

def training_facts(district_id: int, term: Term, commune_id: int | None = None) -> list:
    """One chapters.rules.WorkerFacts per current non-specialised worker of the district (R-T4).

    Two queries whatever the size (current posts; completed enrolments of the term's courses), then the
    pure rule — the dashboard calls this at province scale.
    """
    post = sa.type_coerce(Position.post, sa.String)  # the plain value: no enum conversion for ~10k rows
    posts_stmt = (db.select(Position.person_id, post, Hamlet.commune_id)
                  .join(Hamlet, Position.hamlet_id == Hamlet.id).join(Commune)
                  .where(Position.ended_on.is_(None)).order_by(Hamlet.commune_id, Position.person_id))
    posts = [CurrentPost(*row) for row in db.session.execute(_in_area(posts_stmt, district_id, commune_id))]
    done_stmt = (db.select(Enrolment.person_id, Course.target_posts).join(Course)
                 .where(Course.term_id == term.id, Enrolment.completed_on.is_not(None)))
    completed: dict[int, list[frozenset[str]]] = {}
    for pid, target in db.session.execute(done_stmt):
        completed.setdefault(pid, []).append(frozenset(filter(None, target.split(","))))
    return worker_facts(posts, completed)
