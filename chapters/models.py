"""Chapter congresses (rules.md §3): attendance, nominees, ballots and rounds, appointment, approval.

Lifecycle: draft → recorded (the congress is over: committee, secretary, deputy decided) → approved (R-P5,
chuẩn y by the higher committee). Every step is a model method that raises RuleViolation; the thresholds
are those of chapters/rules.py (called, never re-implemented). Only views and CLI commit.

Positions: the people elected become Position rows only on approval (R-P5), started_on = the approval
date, and the previous holders' chapter posts end the day before. Until the higher committee approves, a
result is not final, so the targets dashboard does not count it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from candidates.models import Candidacy, ExceptionRequest, RequestState
from candidates.rules import Assessment, CandidateFacts, assess, get_rule_set
from chapters.rules import (
    DEFAULT_CONGRESS_RULES,
    Attendance,
    BallotResult,
    ChapterRuleError,
    Exclusions,
    Structure,
    ballot_result,
    check_candidate_list,
    congress_structure,
    floor_nominee_accepted,
    secretary_round_outcome,
    vote_base,
)
from core.enums import CHAPTER_POSTS, CommuneClass, Post
from core.errors import RuleViolation
from core.labels import N_, LabelledEnum
from core.models import Chapter, Hamlet, Person, Position, Term, enum_column
from core.vietnamese import utcnow
from extensions import Model, db

RULES = DEFAULT_CONGRESS_RULES

EXCLUSION_FIELDS = ("temporarily_transferred_out", "exempted_and_absent", "suspended", "prosecuted_or_detained",
                    "absent_with_approved_reason")
EXCLUSION_LABELS = {
    "temporarily_transferred_out": N_("Chuyển sinh hoạt tạm thời"),
    "exempted_and_absent": N_("Được miễn công tác và sinh hoạt đảng, vắng mặt"),
    "suspended": N_("Đang bị đình chỉ sinh hoạt đảng"),
    "prosecuted_or_detained": N_("Bị khởi tố, truy tố, tạm giam"),
    "absent_with_approved_reason": N_("Vắng mặt suốt thời gian đại hội có lý do được cấp ủy đồng ý"),
}


def chapter_post(value: str) -> Post:
    """One of the posts the congress elects (R-P1) from its value; ValueError for any other post."""
    post = Post(value)
    if post not in CHAPTER_POSTS:
        raise ValueError(f"{value!r} is not a chapter post")
    return post


class CongressState(LabelledEnum):
    DRAFT = "draft", N_("Đang ghi nhận")
    RECORDED = "recorded", N_("Đã kết thúc, chờ chuẩn y")
    APPROVED = "approved", N_("Đã được cấp trên chuẩn y")


class NomineeSource(LabelledEnum):
    # the recognised hamlet chief, proposed automatically (59-KH/HU)
    HAMLET_CHIEF = "hamlet_chief", N_("Trưởng thôn mới (tự động giới thiệu)")
    CHAPTER = "chapter", N_("Chi bộ giới thiệu")  # proposed by the outgoing committee / the chapter
    FLOOR = "floor", N_("Đề cử tại đại hội")  # nominated at the congress (R-P3: > 30% of those present agreeing)


def current_chief(hamlet_id: int, term_id: int) -> Position | None:
    """The hamlet chief of the term now in office (the recognised winner; recognition creates the Position)."""
    return db.session.scalar(
        db.select(Position).where(Position.hamlet_id == hamlet_id, Position.term_id == term_id,
                                  Position.post == Post.HAMLET_CHIEF, Position.ended_on.is_(None))
        .order_by(Position.started_on.desc(), Position.id.desc()).limit(1))


class Congress(Model):
    """One chapter's congress in one term."""

    __table_args__ = (sa.UniqueConstraint("chapter_id", "term_id", name="uq_congress_chapter_term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(sa.ForeignKey("chapter.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("term.id"), index=True)
    held_on: Mapped[date]
    state: Mapped[CongressState] = enum_column(CongressState, default=CongressState.DRAFT)
    # R-P2 attendance: official members convened and the five exclusions from the vote base.
    official_members_convened: Mapped[int] = mapped_column(default=0)
    temporarily_transferred_out: Mapped[int] = mapped_column(default=0)
    exempted_and_absent: Mapped[int] = mapped_column(default=0)
    suspended: Mapped[int] = mapped_column(default=0)
    prosecuted_or_detained: Mapped[int] = mapped_column(default=0)
    absent_with_approved_reason: Mapped[int] = mapped_column(default=0)
    present: Mapped[int] = mapped_column(default=0)  # official members present and voting
    committee_seats: Mapped[int | None]  # R-P1: how many the congress elects (≤ the maximum); None: no committee
    # R-P4: the higher committee's appointment after a third failed secretary round.
    appointed_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    appointment_number: Mapped[str] = mapped_column(sa.String(60), default="")
    appointment_date: Mapped[date | None]
    recorded_at: Mapped[datetime | None]
    # R-P5: approval (chuẩn y) by the higher committee.
    approval_number: Mapped[str] = mapped_column(sa.String(60), default="")
    approval_date: Mapped[date | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    chapter: Mapped[Chapter] = relationship()
    term: Mapped[Term] = relationship()
    appointed_person: Mapped[Person | None] = relationship()
    nominees: Mapped[list[Nominee]] = relationship(back_populates="congress", order_by="Nominee.id",
                                                   cascade="all, delete-orphan")
    ballots: Mapped[list[CongressBallot]] = relationship(back_populates="congress", order_by="CongressBallot.id",
                                                         cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.chapter.hamlet_id

    @property
    def hamlet(self) -> Hamlet:
        return self.chapter.hamlet

    # -- opening ------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, chapter: Chapter, term: Term, held_on: date) -> Congress:
        """A draft congress; the current hamlet chief is proposed at once as nominee for secretary."""
        if held_on < term.starts_on or held_on > term.ends_on:
            raise RuleViolation(f"Ngày đại hội phải trong nhiệm kỳ {term.name}.", "held_on")
        congress = cls(chapter=chapter, term=term, held_on=held_on, state=CongressState.DRAFT,
                       official_members_convened=chapter.official_members, present=0,
                       **{name: 0 for name in EXCLUSION_FIELDS})
        congress.propose_chief()
        return congress

    def propose_chief(self) -> Nominee | None:
        """59-KH/HU: the recognised hamlet chief is introduced to the congress (secretary by default)."""
        chief = current_chief(self.chapter.hamlet_id, self.term_id or self.term.id)
        if chief is None or any(n.person_id == chief.person_id for n in self.nominees):
            return None
        nominee = Nominee(person=chief.person, post=Post.CHAPTER_SECRETARY, source=NomineeSource.HAMLET_CHIEF)
        self.nominees.append(nominee)
        return nominee

    @property
    def chief_nominee(self) -> Nominee | None:
        return next((n for n in self.nominees if n.source == NomineeSource.HAMLET_CHIEF), None)

    # -- attendance (R-P1, R-P2) --------------------------------------------------------------------------
    def ensure_draft(self) -> None:
        if self.state != CongressState.DRAFT:
            raise RuleViolation(f"Đại hội đã ở trạng thái «{self.state.label}»; không thể sửa.")

    @property
    def exclusions(self) -> Exclusions:
        return Exclusions(**{name: getattr(self, name) or 0 for name in EXCLUSION_FIELDS})

    @property
    def attendance(self) -> Attendance:
        return Attendance(self.official_members_convened or 0, self.exclusions)

    @property
    def base(self) -> int:
        """R-P2: the vote base (official members convened minus the exclusions)."""
        return vote_base(self.attendance)

    @property
    def structure(self) -> Structure:
        """R-P1 on the official members convened."""
        return congress_structure(self.official_members_convened or 0, RULES)

    def set_attendance(self, convened: int, exclusions: dict[str, int], present: int,
                       committee_seats: int | None) -> None:
        self.ensure_draft()
        if self.ballots:
            raise RuleViolation("Đã có kết quả bầu cử: không thể sửa số đảng viên triệu tập và căn cứ tính.")
        try:
            attendance = Attendance(convened, Exclusions(**{k: exclusions.get(k, 0) for k in EXCLUSION_FIELDS}))
            base = vote_base(attendance)
        except ChapterRuleError as error:
            raise RuleViolation(error.message, "official_members_convened") from error
        if present < 0 or present > base:
            raise RuleViolation(f"Số đảng viên có mặt biểu quyết ({present}) phải từ 0 đến số làm căn cứ tính "
                                f"({base}) (R-P2).", "present")
        structure = congress_structure(convened, RULES)
        if structure.elects_committee:
            if committee_seats is None or not 1 <= committee_seats <= structure.max_committee_seats:
                raise RuleViolation(f"Chi bộ có {convened} đảng viên chính thức bầu chi ủy: số lượng chi ủy viên "
                                    f"từ 1 đến {structure.max_committee_seats} (R-P1).", "committee_seats")
        else:
            committee_seats = None
            if any(n.post == Post.CHAPTER_COMMITTEE_MEMBER for n in self.nominees):
                raise RuleViolation("Chi bộ dưới 9 đảng viên chính thức không bầu chi ủy: hãy đổi chức danh "
                                    "giới thiệu của các người được giới thiệu vào chi ủy (R-P1).", "committee_seats")
        self.official_members_convened = convened
        for name in EXCLUSION_FIELDS:
            setattr(self, name, exclusions.get(name, 0))
        self.present = present
        self.committee_seats = committee_seats

    # -- nominees (R-P3) ----------------------------------------------------------------------------------
    def add_nominee(self, person: Person, post: Post, source: NomineeSource,
                    agreeing: int | None = None, note: str = "") -> Nominee:
        self.ensure_draft()
        post = chapter_post(post)
        if person.hamlet_id != self.chapter.hamlet_id:
            raise RuleViolation(f"{person.full_name} không thuộc {self.hamlet.full_name}.", "person_id")
        if any(n.person_id == person.id for n in self.nominees):
            raise RuleViolation(f"{person.full_name} đã được giới thiệu.", "person_id")
        self._check_post(post)
        if source == NomineeSource.FLOOR:
            if agreeing is None or not self.present:
                raise RuleViolation("Người được đề cử tại đại hội cần ghi số đảng viên có mặt đồng ý (R-P3); "
                                    "hãy ghi số có mặt trước.", "agreeing")
            try:
                accepted = floor_nominee_accepted(agreeing, self.present, RULES)
            except ChapterRuleError as error:
                raise RuleViolation(error.message, "agreeing") from error
            if not accepted:
                raise RuleViolation(
                    f"Đề cử tại đại hội không được đưa vào danh sách: {agreeing}/{self.present} đảng viên có mặt "
                    f"đồng ý, cần nhiều hơn {RULES.floor_nominee_min_percent}% (R-P3).", "agreeing")
        nominee = Nominee(person=person, post=post, source=source,
                          floor_agreeing=agreeing if source == NomineeSource.FLOOR else None, note=note.strip())
        self.nominees.append(nominee)
        return nominee

    def _check_post(self, post: Post) -> None:
        if post == Post.CHAPTER_COMMITTEE_MEMBER and not self.structure.elects_committee:
            raise RuleViolation(f"Chi bộ có {self.official_members_convened} đảng viên chính thức: không bầu chi ủy "
                                "(R-P1).", "post")

    def change_post(self, nominee: Nominee, post: Post) -> None:
        self.ensure_draft()
        post = chapter_post(post)
        self._check_post(post)
        nominee.post = post

    def remove_nominee(self, nominee: Nominee) -> None:
        self.ensure_draft()
        if any(str(nominee.id) in ballot.votes for ballot in self.ballots):
            raise RuleViolation(f"{nominee.person.full_name} đã có tên trong phiếu bầu; không thể xóa.")
        self.nominees.remove(nominee)

    def nominee(self, nominee_id: int) -> Nominee:
        found = next((n for n in self.nominees if n.id == nominee_id), None)
        if found is None:
            raise RuleViolation("Không tìm thấy người được giới thiệu trong đại hội này.", "nominee_id")
        return found

    # -- ballots (R-P1…R-P4) ------------------------------------------------------------------------------
    def ballots_for(self, post: Post) -> list[CongressBallot]:
        return [b for b in self.ballots if b.post == post]

    def elected_ids(self, post: Post) -> list[int]:
        return [nid for ballot in self.ballots_for(post) for nid in ballot.result().elected]

    @property
    def committee_ids(self) -> list[int]:
        return self.elected_ids(Post.CHAPTER_COMMITTEE_MEMBER)

    @property
    def secretary_person(self) -> Person | None:
        """Elected (R-P2) or, after the third round, appointed by the higher committee (R-P4)."""
        elected = self.elected_ids(Post.CHAPTER_SECRETARY)
        if elected:
            return self.nominee(elected[0]).person
        return self.appointed_person

    @property
    def deputy_person(self) -> Person | None:
        elected = self.elected_ids(Post.CHAPTER_DEPUTY_SECRETARY)
        return self.nominee(elected[0]).person if elected else None

    @property
    def secretary_outcome(self) -> str | None:
        """R-P4 after the last secretary round: elected | next_round | appoint_by_higher_committee."""
        rounds = self.ballots_for(Post.CHAPTER_SECRETARY)
        if not rounds:
            return None
        last = rounds[-1]
        return secretary_round_outcome(last.round_no, bool(last.result().elected), RULES)

    def next_ballot(self) -> tuple[Post, int, int] | None:
        """The ballot the congress holds next: (post, round_no, seats), or None when nothing is left."""
        structure = self.structure
        if structure.elects_committee:
            seats = self.committee_seats or structure.max_committee_seats
            held = self.ballots_for(Post.CHAPTER_COMMITTEE_MEMBER)
            if not held:
                return Post.CHAPTER_COMMITTEE_MEMBER, 1, seats
        if self.secretary_person is None:
            outcome = self.secretary_outcome
            if outcome == "appoint_by_higher_committee":
                return None  # R-P4: waiting for the appointment
            return Post.CHAPTER_SECRETARY, len(self.ballots_for(Post.CHAPTER_SECRETARY)) + 1, 1
        if not self.ballots_for(Post.CHAPTER_DEPUTY_SECRETARY):
            return Post.CHAPTER_DEPUTY_SECRETARY, 1, RULES.deputy_secretaries
        return None

    def eligible_for(self, post: Post) -> list[Nominee]:
        """Who may be on the ballot for `post`: from the committee when R-P1 says so."""
        if post == Post.CHAPTER_COMMITTEE_MEMBER:
            return list(self.nominees)
        step = next((s for s in self.structure.steps if s.post == post), None)
        pool = self.nominees
        if step is not None and step.from_committee:
            committee = set(self.committee_ids)
            pool = [n for n in pool if n.id in committee]
        if post == Post.CHAPTER_DEPUTY_SECRETARY:
            secretary = self.secretary_person
            pool = [n for n in pool if secretary is None or n.person_id != secretary.id]
        return list(pool)

    def record_ballot(self, post: Post, valid: int, invalid: int, votes: dict[int, int]) -> CongressBallot:
        """Record one secret ballot; the result is computed by the rules (R-P2) on the vote base."""
        self.ensure_draft()
        post = chapter_post(post)
        if not self.official_members_convened:
            raise RuleViolation("Hãy ghi số đảng viên triệu tập và có mặt trước khi ghi kết quả bầu (R-P2).")
        expected = self.next_ballot()
        if expected is None:
            raise RuleViolation("Không còn cuộc bầu nào cần ghi cho đại hội này.")
        if expected[0] != post:
            raise RuleViolation(f"Theo thứ tự bầu (R-P1), lúc này bầu {expected[0].label.lower()} "
                                f"(vòng {expected[1]}).", "post")
        _, round_no, seats = expected
        if not votes:
            raise RuleViolation("Phiếu bầu cần ít nhất một người trong danh sách.", "votes")
        allowed = {n.id: n for n in self.eligible_for(post)}
        for nominee_id in votes:
            if nominee_id not in allowed:
                raise RuleViolation("Có người trong phiếu không thuộc danh sách được bầu cho chức danh này (R-P1).",
                                    "votes")
            problem = allowed[nominee_id].ballot_problem
            if problem:
                raise RuleViolation(problem, "votes")
        if post == Post.CHAPTER_COMMITTEE_MEMBER:
            problems = check_candidate_list(seats, len(votes), RULES)  # R-P3
            if problems:
                raise RuleViolation(" ".join(p.message for p in problems), "votes")
        if valid < 0 or invalid < 0 or valid + invalid > self.present:
            raise RuleViolation(f"Số phiếu thu vào ({valid} hợp lệ + {invalid} không hợp lệ) không được vượt số "
                                f"đảng viên có mặt biểu quyết ({self.present}).", "valid_ballots")
        ballot = CongressBallot(post=post, round_no=round_no, seats=seats, valid_ballots=valid,
                                invalid_ballots=invalid, votes={str(k): v for k, v in votes.items()})
        try:
            ballot_result(votes, valid, self.base, seats)
        except ChapterRuleError as error:
            raise RuleViolation(error.message, "votes") from error
        self.ballots.append(ballot)
        return ballot

    def delete_last_ballot(self) -> None:
        """Correct a typing mistake: only the latest ballot, only while the congress is in draft."""
        self.ensure_draft()
        if not self.ballots:
            raise RuleViolation("Chưa có phiếu bầu nào.")
        self.ballots.remove(self.ballots[-1])

    def record_appointment(self, person: Person, number: str, on: date) -> None:
        """R-P4: after the third failed round, the higher committee appoints the secretary."""
        self.ensure_draft()
        if self.secretary_outcome != "appoint_by_higher_committee":
            raise RuleViolation(f"Chỉ ghi quyết định chỉ định bí thư khi bầu {RULES.max_secretary_rounds} vòng "
                                "không có người trúng cử (R-P4).")
        if person.hamlet_id != self.chapter.hamlet_id:
            raise RuleViolation(f"{person.full_name} không thuộc {self.hamlet.full_name}.", "person_id")
        if not number.strip():
            raise RuleViolation("Cần số quyết định chỉ định của cấp ủy cấp trên.", "appointment_number")
        if on < self.held_on:
            raise RuleViolation("Ngày chỉ định không được trước ngày đại hội.", "appointment_date")
        self.appointed_person = person
        self.appointment_number = number.strip()
        self.appointment_date = on

    # -- closing ------------------------------------------------------------------------------------------
    def completion_problems(self) -> list[str]:
        problems = []
        if self.structure.elects_committee and not self.ballots_for(Post.CHAPTER_COMMITTEE_MEMBER):
            problems.append("chưa bầu chi ủy (R-P1)")
        if self.secretary_person is None:
            problems.append("chưa có bí thư (bầu hoặc cấp trên chỉ định, R-P4)")
        return problems

    def finish(self) -> None:
        self.ensure_draft()
        problems = self.completion_problems()
        if problems:
            raise RuleViolation("Chưa thể kết thúc đại hội: " + "; ".join(problems) + ".")
        self.state = CongressState.RECORDED
        self.recorded_at = utcnow()

    def reopen(self) -> None:
        if self.state != CongressState.RECORDED:
            raise RuleViolation("Chỉ mở lại đại hội đã kết thúc và chưa được chuẩn y.")
        self.state = CongressState.DRAFT
        self.recorded_at = None

    def results(self) -> list[tuple[Post, Person]]:
        """The new holders: secretary, deputy, then the other committee members."""
        out: list[tuple[Post, Person]] = []
        secretary, deputy = self.secretary_person, self.deputy_person
        if secretary is not None:
            out.append((Post.CHAPTER_SECRETARY, secretary))
        if deputy is not None:
            out.append((Post.CHAPTER_DEPUTY_SECRETARY, deputy))
        taken = {p.id for _, p in out}
        for nominee_id in self.committee_ids:
            person = self.nominee(nominee_id).person
            if person.id not in taken:
                out.append((Post.CHAPTER_COMMITTEE_MEMBER, person))
        return out

    def approve(self, *, user_id: int, number: str, on: date) -> list[Position]:
        """R-P5: the higher committee's approval; the results become Positions from the approval date."""
        if self.state != CongressState.RECORDED:
            raise RuleViolation("Chỉ chuẩn y đại hội đã kết thúc (đã ghi đủ kết quả).")
        if not number.strip():
            raise RuleViolation("Cần số quyết định chuẩn y.", "approval_number")
        if on < self.held_on:
            raise RuleViolation("Ngày chuẩn y không được trước ngày đại hội.", "approval_date")
        self.state = CongressState.APPROVED
        self.approval_number = number.strip()
        self.approval_date = on
        self.approved_by_id = user_id
        self.approved_at = utcnow()
        hamlet_id = self.chapter.hamlet_id
        outgoing = db.session.scalars(db.select(Position).where(
            Position.hamlet_id == hamlet_id, Position.post.in_(CHAPTER_POSTS),
            Position.ended_on.is_(None))).all()
        for position in outgoing:
            position.ended_on = max(position.started_on, on - timedelta(days=1))
        created = [Position(hamlet_id=hamlet_id, person_id=person.id, post=post, term_id=self.term_id,
                            started_on=on) for post, person in self.results()]
        db.session.add_all(created)
        return created


class Nominee(Model):
    """A person introduced to the congress for a chapter post."""

    __table_args__ = (sa.UniqueConstraint("congress_id", "person_id", name="uq_nominee_congress_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(sa.ForeignKey("congress.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    post: Mapped[Post] = enum_column(Post, default=Post.CHAPTER_SECRETARY)
    source: Mapped[NomineeSource] = enum_column(NomineeSource)
    floor_agreeing: Mapped[int | None]  # R-P3: members present who agreed to a floor nomination
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    congress: Mapped[Congress] = relationship(back_populates="nominees")
    person: Mapped[Person] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.person.hamlet_id if self.person else None

    def _facts(self) -> CandidateFacts:
        p = self.person
        return CandidateFacts(birth_date=p.birth_date, education=p.education, political_theory=p.political_theory,
                              party_member=p.party_member, resident=p.hamlet_id == self.congress.chapter.hamlet_id,
                              fit_for_term=p.fit_for_term)

    @property
    def _context(self) -> tuple[CommuneClass, object]:
        congress = self.congress
        return congress.chapter.hamlet.commune.commune_class, get_rule_set(congress.term.rule_set)

    def assessment(self) -> Assessment:
        """R-E3…R-E6 for the proposed chapter post, on the congress day (rules.md §1)."""
        commune_class, rule_set = self._context
        return assess(chapter_post(self.post), self._facts(), self.congress.held_on, commune_class,
                      rule_set)

    def chief_assessment(self) -> Assessment:
        """As hamlet chief on the term's election day, shown beside the chapter-post assessment."""
        commune_class, rule_set = self._context
        return assess(Post.HAMLET_CHIEF, self._facts(), self.congress.term.election_day, commune_class, rule_set)

    def approved_exceptions(self) -> list:
        """Approved exception requests (R-X1) of this person, with their decision and remediation."""
        return db.session.scalars(
            db.select(ExceptionRequest).join(Candidacy)
            .where(Candidacy.person_id == self.person_id, ExceptionRequest.state == RequestState.APPROVED)
            .order_by(ExceptionRequest.id)).all()

    @property
    def ballot_problem(self) -> str | None:
        """A hard standard failed (R-E3, R-E6, R-E8) can never be excepted: not on a ballot (R-X1)."""
        failed = self.assessment().failed_hard
        if failed:
            return (f"{self.person.full_name} không đạt tiêu chuẩn bắt buộc {', '.join(failed)} cho chức danh "
                    f"{self.post.label.lower()}; không thể đưa vào phiếu bầu.")
        return None


class CongressBallot(Model):
    """One secret ballot of the congress (one post, one round)."""

    __table_args__ = (sa.UniqueConstraint("congress_id", "post", "round_no", name="uq_congress_ballot_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(sa.ForeignKey("congress.id"), index=True)
    post: Mapped[Post] = enum_column(Post)
    round_no: Mapped[int] = mapped_column(default=1)
    seats: Mapped[int] = mapped_column(default=1)
    valid_ballots: Mapped[int] = mapped_column(default=0)
    invalid_ballots: Mapped[int] = mapped_column(default=0)
    votes: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {nominee id (str): votes}
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    congress: Mapped[Congress] = relationship(back_populates="ballots")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.congress.chapter.hamlet_id if self.congress else None

    def result(self) -> BallotResult:
        """R-P2: computed by the rules on the congress's vote base, never stored."""
        votes = {int(k): v for k, v in self.votes.items()}
        return ballot_result(votes, self.valid_ballots, self.congress.base, self.seats)

    def rows(self) -> list[tuple[Nominee, object]]:
        """(nominee, tally) highest votes first."""
        result = self.result()
        return [(self.congress.nominee(t.candidate), t) for t in result.tallies]
