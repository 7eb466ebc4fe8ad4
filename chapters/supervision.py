"""Supervision and commendation (plan 59-KH/HU §2.6–2.7): the district's supervisors, their assignments to communes
and to chapters "still difficult in cadres", the Fatherland Front's supervision, visits, and commendations of the
non-specialised hamlet workers.

Supervisors are district cadres (Huyện ủy viên, Ủy viên Ban Thường vụ, the Front's cadres), not hamlet residents:
a small record of their own (name, post, rank) in the district, not a Person of the registry (which needs a hamlet,
a citizen ID and a birth date). Every change is a guarded method raising RuleViolation; only views commit.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from candidates.models import Candidacy, CandidateList, ExceptionRequest, RequestState
from candidates.rules import Status
from chapters.rules import CadreDifficulty, CadreFacts, cadre_difficulty
from core.enums import Post
from core.errors import RuleViolation
from core.labels import N_, LabelledEnum
from core.models import Chapter, Commune, District, Hamlet, Person, Position, Term, enum_column
from core.vietnamese import nfc, utcnow
from election.models import ActingAppointment, Poll
from extensions import Model, db


class SupervisorRank(LabelledEnum):
    DISTRICT_COMMITTEE = "district_committee", N_("Huyện ủy viên")
    STANDING_COMMITTEE = "standing_committee", N_("Ủy viên Ban Thường vụ Huyện ủy")
    FRONT = "front", N_("Ủy ban Mặt trận Tổ quốc huyện")


class SupervisionKind(LabelledEnum):
    # 59-KH/HU §2.7: "phân công Huyện ủy viên trực tiếp phụ trách cơ sở"
    COMMUNE = "commune", N_("Huyện ủy viên phụ trách xã, thị trấn")
    # §2.7: "phân công đồng chí Ủy viên Ban Thường vụ Huyện ủy sinh hoạt tại những chi bộ … còn khó khăn về cán bộ"
    CHAPTER = "chapter", N_("Ủy viên Ban Thường vụ sinh hoạt tại chi bộ khó khăn về cán bộ")
    # §2.7: "vai trò giám sát của Mặt trận Tổ quốc … đối với cấp ủy chi bộ và thôn, tổ dân phố" (per commune)
    FRONT = "front", N_("Mặt trận Tổ quốc giám sát")


# Who may take which assignment: a standing-committee member is a district committee member too.
ALLOWED_RANKS = {
    SupervisionKind.COMMUNE: (SupervisorRank.DISTRICT_COMMITTEE, SupervisorRank.STANDING_COMMITTEE),
    SupervisionKind.CHAPTER: (SupervisorRank.STANDING_COMMITTEE,),
    SupervisionKind.FRONT: (SupervisorRank.FRONT,),
}


def _text(value: str | None, limit: int, field: str, label: str, required: bool = True) -> str:
    text = nfc(value)
    if required and not text:
        raise RuleViolation(f"Cần ghi {label}.", field)
    if len(text) > limit:
        raise RuleViolation(f"{label[0].upper()}{label[1:]} dài quá {limit} ký tự.", field)
    return text


def _not_future(day: date | None, today: date, field: str, label: str) -> date:
    if day is None:
        raise RuleViolation(f"Cần ghi {label}.", field)
    if day > today:
        raise RuleViolation(f"{label[0].upper()}{label[1:]} ({day:%d/%m/%Y}) không được sau hôm nay "
                            f"({today:%d/%m/%Y}).", field)
    return day


class Supervisor(Model):
    """A district cadre who supervises: name, post and rank."""

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("district.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    post: Mapped[str] = mapped_column(sa.String(200))  # e.g. "Phó Bí thư Thường trực Huyện ủy"
    rank: Mapped[SupervisorRank] = enum_column(SupervisorRank)

    district: Mapped[District] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return self.district_id, None, None

    @property
    def description(self) -> str:
        return f"{self.full_name} – {self.post}"

    @classmethod
    def create(cls, district: District, full_name: str, post: str, rank: SupervisorRank) -> Supervisor:
        name = _text(full_name, 120, "full_name", "họ và tên")
        return cls(district=district, full_name=name, post=_text(post, 200, "post", "chức vụ"),
                   rank=SupervisorRank(rank))


class SupervisionAssignment(Model):
    """One supervisor assigned to a commune (district committee member, Front) or a difficult chapter (standing
    committee member), from a day until ended; a unit has at most one assignment of each kind in force."""

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("term.id"), index=True)
    kind: Mapped[SupervisionKind] = enum_column(SupervisionKind)
    commune_id: Mapped[int] = mapped_column(sa.ForeignKey("commune.id"), index=True)  # a chapter's commune too
    chapter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chapter.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("supervisor.id"), index=True)
    assigned_on: Mapped[date]
    decision: Mapped[str] = mapped_column(sa.String(120), default="")  # the assignment's document, if any
    ended_on: Mapped[date | None]
    end_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(default=1)

    term: Mapped[Term] = relationship()
    commune: Mapped[Commune] = relationship()
    chapter: Mapped[Chapter | None] = relationship()
    supervisor: Mapped[Supervisor] = relationship()
    visits: Mapped[list[SupervisionVisit]] = relationship(back_populates="assignment",
                                                          order_by="SupervisionVisit.visited_on.desc()",
                                                          cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, self.commune_id, self.chapter.hamlet_id if self.chapter else None

    @property
    def unit_name(self) -> str:
        return self.chapter.name if self.chapter is not None else self.commune.full_name

    @property
    def active(self) -> bool:
        return self.ended_on is None

    @classmethod
    def in_force(cls, term: Term, kind: SupervisionKind, *, commune_id: int | None = None,
                 chapter_id: int | None = None) -> SupervisionAssignment | None:
        stmt = db.select(cls).where(cls.term_id == term.id, cls.kind == kind, cls.ended_on.is_(None))
        stmt = stmt.where(cls.chapter_id == chapter_id) if kind == SupervisionKind.CHAPTER else \
            stmt.where(cls.commune_id == commune_id)
        return db.session.scalar(stmt.limit(1))

    @classmethod
    def assign(cls, term: Term, kind: SupervisionKind, supervisor: Supervisor, *, on: date | None, today: date,
               user_id: int | None, commune: Commune | None = None, chapter: Chapter | None = None,
               decision: str = "") -> SupervisionAssignment:
        """59-KH/HU §2.7; refused for a supervisor of another district or rank, a unit outside the term's district,
        a day in the future, and a unit that already has an assignment of this kind in force."""
        kind = SupervisionKind(kind)
        if supervisor.district_id != term.district_id:
            raise RuleViolation(f"{supervisor.full_name} không thuộc huyện của nhiệm kỳ {term.name}.", "supervisor_id")
        if supervisor.rank not in ALLOWED_RANKS[kind]:
            allowed = " hoặc ".join(rank.label for rank in ALLOWED_RANKS[kind])
            raise RuleViolation(f"«{kind.label}» cần người thuộc: {allowed}; {supervisor.full_name} thuộc: "
                                f"{supervisor.rank.label}.", "supervisor_id")
        if kind == SupervisionKind.CHAPTER:
            if chapter is None:
                raise RuleViolation("Chọn chi bộ được phân công.", "chapter_id")
            commune = chapter.hamlet.commune
        elif commune is None:
            raise RuleViolation("Chọn xã, thị trấn được phân công.", "commune_id")
        if commune.district_id != term.district_id:
            raise RuleViolation(f"{commune.full_name} không thuộc huyện của nhiệm kỳ {term.name}.", "commune_id")
        on = _not_future(on, today, "assigned_on", "ngày phân công")
        if on > term.ends_on:
            raise RuleViolation(f"Ngày phân công phải trước khi nhiệm kỳ {term.name} kết thúc.", "assigned_on")
        current = cls.in_force(term, kind, commune_id=commune.id, chapter_id=chapter.id if chapter else None)
        if current is not None:
            unit = chapter.name if chapter is not None else commune.full_name
            raise RuleViolation(f"{unit} đã có phân công «{kind.label}» ({current.supervisor.full_name}, từ "
                                f"{current.assigned_on:%d/%m/%Y}): hãy kết thúc phân công đó trước.", "supervisor_id")
        return cls(term=term, kind=kind, commune=commune, chapter=chapter, supervisor=supervisor, assigned_on=on,
                   decision=_text(decision, 120, "decision", "văn bản phân công", required=False),
                   assigned_by_id=user_id)

    def end(self, on: date | None, reason: str, today: date) -> None:
        if self.ended_on is not None:
            raise RuleViolation(f"Phân công này đã kết thúc ngày {self.ended_on:%d/%m/%Y}.")
        on = _not_future(on, today, "ended_on", "ngày kết thúc")
        if on < self.assigned_on:
            raise RuleViolation(f"Ngày kết thúc không được trước ngày phân công ({self.assigned_on:%d/%m/%Y}).",
                                "ended_on")
        last_visit = max((v.visited_on for v in self.visits), default=None)
        if last_visit is not None and on < last_visit:
            raise RuleViolation(f"Ngày kết thúc không được trước lần làm việc cuối ({last_visit:%d/%m/%Y}).",
                                "ended_on")
        self.ended_on = on
        self.end_reason = _text(reason, 300, "end_reason", "lý do kết thúc")

    def record_visit(self, visited_on: date | None, notes: str, findings: str, today: date,
                     user_id: int | None) -> SupervisionVisit:
        """A visit or a meeting attended (date, what was done, what was found), recorded by the district office."""
        visited_on = _not_future(visited_on, today, "visited_on", "ngày làm việc")
        if visited_on < self.assigned_on:
            raise RuleViolation(f"Ngày làm việc không được trước ngày phân công ({self.assigned_on:%d/%m/%Y}).",
                                "visited_on")
        if self.ended_on is not None and visited_on > self.ended_on:
            raise RuleViolation(f"Phân công đã kết thúc ngày {self.ended_on:%d/%m/%Y}.", "visited_on")
        visit = SupervisionVisit(visited_on=visited_on, notes=_text(notes, 2000, "notes", "nội dung làm việc"),
                                 findings=_text(findings, 2000, "findings", "kết quả, kiến nghị", required=False),
                                 recorded_by_id=user_id)
        self.visits.append(visit)
        return visit


class SupervisionVisit(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("supervision_assignment.id"), index=True)
    visited_on: Mapped[date]
    notes: Mapped[str] = mapped_column(sa.Text)
    findings: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignment: Mapped[SupervisionAssignment] = relationship(back_populates="visits")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return self.assignment.audit_scope if self.assignment else (None, None, None)


class AwardKind(LabelledEnum):
    """The forms of recognition (Law on Emulation and Commendation 2022), as §2.6 asks "with suitable forms"."""

    CERTIFICATE = "certificate", N_("Giấy khen")
    MERIT = "merit", N_("Bằng khen")
    TITLE = "title", N_("Danh hiệu thi đua")
    OTHER = "other", N_("Hình thức khác")


# The posts §2.6 commends, highest first: the post a commendation names is the highest one held that year.
COMMENDED_POSTS = (Post.CHAPTER_SECRETARY, Post.HAMLET_CHIEF, Post.CHAPTER_DEPUTY_SECRETARY, Post.FRONT_HEAD,
                   Post.CHAPTER_COMMITTEE_MEMBER, Post.OTHER)


def posts_held_in(person_id: int, year: int) -> list[Post]:
    """The posts `person_id` held in a hamlet at some time of `year`, highest first (COMMENDED_POSTS order)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    held = set(db.session.scalars(db.select(Position.post).where(
        Position.person_id == person_id, Position.started_on <= end,
        Position.ended_on.is_(None) | (Position.ended_on >= start))))
    return [post for post in COMMENDED_POSTS if post in held]


class Commendation(Model):
    """59-KH/HU §2.6: a non-specialised hamlet worker commended for a year's outstanding results."""

    __table_args__ = (sa.UniqueConstraint("person_id", "year", "decision_number", name="uq_commendation_decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    kind: Mapped[AwardKind] = enum_column(AwardKind)
    post: Mapped[Post] = enum_column(Post)  # the highest post held that year
    reason: Mapped[str] = mapped_column(sa.String(1000))
    decision_number: Mapped[str] = mapped_column(sa.String(60))
    decision_date: Mapped[date]
    issued_by: Mapped[str] = mapped_column(sa.String(200))  # e.g. "Chủ tịch UBND huyện Bình Sơn"
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.person.hamlet_id if self.person else None

    @classmethod
    def record(cls, person: Person, year: int | None, kind: AwardKind, reason: str, decision_number: str,
               decision_date: date | None, issued_by: str, today: date, user_id: int | None) -> Commendation:
        """Refused for a year to come, a decision dated in the future or before the year, a person who held no
        hamlet post that year (§2.6 is about non-specialised hamlet workers), and a decision recorded twice."""
        if year is None or not 2000 <= year <= today.year:
            raise RuleViolation(f"Năm khen thưởng phải từ 2000 đến {today.year}.", "year")
        decision_date = _not_future(decision_date, today, "decision_date", "ngày quyết định")
        if decision_date.year < year:
            raise RuleViolation(f"Quyết định khen thưởng năm {year} không thể ký trước năm đó.", "decision_date")
        posts = posts_held_in(person.id, year)
        if not posts:
            raise RuleViolation(f"{person.full_name} không giữ chức danh nào ở thôn, tổ dân phố trong năm {year}: "
                                "mục 2.6 khen thưởng người hoạt động không chuyên trách ở thôn, tổ dân phố.",
                                "person_id")
        number = _text(decision_number, 60, "decision_number", "số quyết định")
        if db.session.scalar(db.select(cls.id).where(cls.person_id == person.id, cls.year == year,
                                                     cls.decision_number == number)):
            raise RuleViolation(f"Đã ghi quyết định {number} khen thưởng {person.full_name} năm {year}.",
                                "decision_number")
        return cls(person=person, year=year, kind=AwardKind(kind), post=posts[0],
                   reason=_text(reason, 1000, "reason", "thành tích được khen"), decision_number=number,
                   decision_date=decision_date, issued_by=_text(issued_by, 200, "issued_by", "cấp khen thưởng"),
                   recorded_by_id=user_id)


# ---------------------------------------------------------------------------------------------------------
# Loaders: the difficulty of every chapter of a district (or commune), in a few bulk queries
# ---------------------------------------------------------------------------------------------------------

def cadre_facts(district_id: int, term: Term, as_of: date, commune_id: int | None = None) -> list[CadreFacts]:
    """CadreFacts of every chapter of the district's (or commune's) hamlets in office, for chapters.rules."""
    area = [Commune.district_id == district_id, Hamlet.ended_on.is_(None)]
    if commune_id is not None:
        area.append(Commune.id == commune_id)
    chapters = db.session.execute(
        db.select(Chapter.id, Chapter.hamlet_id, Chapter.official_members, Commune.id)
        .join(Hamlet, Chapter.hamlet_id == Hamlet.id).join(Commune, Hamlet.commune_id == Commune.id).where(*area)
        .order_by(Commune.name, Hamlet.name)).all()
    hamlet_ids = [row[1] for row in chapters]
    committees = set(db.session.scalars(db.select(Position.hamlet_id).where(
        Position.hamlet_id.in_(hamlet_ids), Position.post == Post.CHAPTER_COMMITTEE_MEMBER,
        Position.started_on <= as_of, Position.ended_on.is_(None) | (Position.ended_on >= as_of))))
    requests = Counter(db.session.scalars(
        db.select(CandidateList.hamlet_id).join(Candidacy, Candidacy.list_id == CandidateList.id)
        .join(ExceptionRequest, ExceptionRequest.candidacy_id == Candidacy.id)
        .where(CandidateList.term_id == term.id, CandidateList.hamlet_id.in_(hamlet_ids),
               ExceptionRequest.state != RequestState.WITHDRAWN)))
    candidates: Counter[int] = Counter()
    eligible: Counter[int] = Counter()
    for candidacy in db.session.scalars(
            db.select(Candidacy).join(CandidateList, Candidacy.list_id == CandidateList.id)
            .where(CandidateList.term_id == term.id, CandidateList.hamlet_id.in_(hamlet_ids))):
        hamlet_id = candidacy.candidate_list.hamlet_id
        candidates[hamlet_id] += 1
        eligible[hamlet_id] += candidacy.chief_assessment.status == Status.ELIGIBLE
    acting = set(db.session.scalars(db.select(Poll.hamlet_id).join(ActingAppointment, ActingAppointment.poll_id == Poll.id)
                                    .where(Poll.term_id == term.id, Poll.hamlet_id.in_(hamlet_ids))))
    return [CadreFacts(chapter_id, official, hamlet_id in committees, requests[hamlet_id], candidates[hamlet_id],
                       eligible[hamlet_id], hamlet_id in acting, commune)
            for chapter_id, hamlet_id, official, commune in chapters]


def difficulties(district_id: int, term: Term, as_of: date, commune_id: int | None = None) -> list[CadreDifficulty]:
    """Every chapter of the area judged by chapters.rules.cadre_difficulty (difficult or not)."""
    return [cadre_difficulty(facts) for facts in cadre_facts(district_id, term, as_of, commune_id)]
