"""Candidate lists, candidacies, exception requests (R-X1) and remediation plans.

Lifecycles are model methods: each checks the state and raises RuleViolation with a Vietnamese message,
so an illegal transition is impossible from any caller (page, API, CLI). Only views and CLI commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from candidates.rules import (
    Assessment,
    CandidateFacts,
    DualAssessment,
    RuleSet,
    appointment_problem,
    assess,
    assess_both,
    exception_decision_problem,
    exception_possible,
    get_rule_set,
    remediation_met,
)
from core.enums import Education, PartyMembership, PoliticalTheory, Post
from core.errors import RuleViolation
from core.labels import N_, LabelledEnum
from core.models import Hamlet, Person, Term, enum_column, qualifications_changed
from core.vietnamese import local_date, utcnow, vietnam_today
from extensions import Model, db


class ListState(LabelledEnum):
    DRAFT = "draft", N_("Đang lập")
    CONFIRMED = "confirmed", N_("Đã xác nhận (khóa)")  # the official candidate list: locked


class ProposedBy(LabelledEnum):
    # Ban công tác Mặt trận, after consulting the chapter
    FRONT_COMMITTEE = "front_committee", N_("Ban công tác Mặt trận (sau khi thống nhất với chi bộ)")
    FLOOR = "floor", N_("Đề cử tại hội nghị")  # nomination from the floor (hamlet meeting)


class CandidateList(Model):
    """The hamlet-chief candidates of one hamlet for one term and voting round."""

    __table_args__ = (sa.UniqueConstraint("term_id", "hamlet_id", "round_no", name="uq_candidate_list_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("term.id"), index=True)
    hamlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hamlet.id"), index=True)
    round_no: Mapped[int] = mapped_column(default=1)  # 2 = the re-vote (R-V8)
    state: Mapped[ListState] = enum_column(ListState, default=ListState.DRAFT)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # Set when ballots are printed for this list: from then on it can never be reopened.
    ballots_printed: Mapped[bool] = mapped_column(default=False)
    reopened_reason: Mapped[str] = mapped_column(sa.String(300), default="")  # the last explicit reopening
    version: Mapped[int] = mapped_column(default=1)

    term: Mapped[Term] = relationship()
    hamlet: Mapped[Hamlet] = relationship()
    candidacies: Mapped[list[Candidacy]] = relationship(back_populates="candidate_list", order_by="Candidacy.position",
                                                        cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.hamlet_id

    @classmethod
    def for_hamlet(cls, term: Term, hamlet: Hamlet, round_no: int = 1, create: bool = False) -> CandidateList | None:
        """The list of `hamlet` for `term` and round; a new draft (added to the session) when `create`."""
        found = db.session.scalar(db.select(cls).where(cls.term_id == term.id, cls.hamlet_id == hamlet.id,
                                                       cls.round_no == round_no))
        if found is None and create:
            found = cls(term=term, term_id=term.id, hamlet=hamlet, hamlet_id=hamlet.id, round_no=round_no,
                        state=ListState.DRAFT)
            db.session.add(found)
        return found

    @property
    def rule_set(self) -> RuleSet:
        return get_rule_set(self.term.rule_set)

    @property
    def summary_state(self) -> str:
        """For the hamlet overview: confirmed | pending_exception | needs_exception | ineligible | draft."""
        if self.locked:
            return "confirmed"
        if any(c.pending_exception for c in self.candidacies):
            return "pending_exception"
        if any(c.needs_exception for c in self.candidacies):
            return "needs_exception"
        if any(c.chief_assessment.failed_hard for c in self.candidacies):
            return "ineligible"
        return "draft"

    @property
    def locked(self) -> bool:
        return self.state == ListState.CONFIRMED

    def ensure_editable(self) -> None:
        if self.locked:
            raise RuleViolation("Danh sách người ứng cử đã được xác nhận và khóa; cần mở lại trước khi sửa.")

    def add(self, person: Person, proposed_by: ProposedBy, note: str = "") -> Candidacy:
        """R-V3: at least 1 and at most `max_candidates_per_hamlet` candidates; a person once per list."""
        self.ensure_editable()
        if person.hamlet_id != self.hamlet_id:
            raise RuleViolation(f"{person.full_name} không thường trú tại {self.hamlet.full_name} (R-E1).")
        if any(c.person_id == person.id for c in self.candidacies):
            raise RuleViolation(f"{person.full_name} đã có trong danh sách.")
        limit = self.rule_set.max_candidates_per_hamlet
        if len(self.candidacies) >= limit:
            raise RuleViolation(f"Mỗi thôn, tổ dân phố có tối đa {limit} người ứng cử (R-V3).")
        candidacy = Candidacy(person=person, proposed_by=proposed_by, proposal_note=note,
                              position=len(self.candidacies) + 1)
        self.candidacies.append(candidacy)
        return candidacy

    def remove(self, candidacy: Candidacy) -> None:
        """Only while the list is a draft, and never a candidate whose exception was approved (R-T5 tracks it)."""
        self.ensure_editable()
        if candidacy.approved_exception is not None:
            raise RuleViolation(f"{candidacy.person.full_name} đã được chấp thuận ngoại lệ và có kế hoạch khắc "
                                "phục đang theo dõi; không thể xóa khỏi danh sách.")
        self.candidacies.remove(candidacy)
        for index, other in enumerate(self.candidacies, start=1):
            other.position = index

    def blocking_problems(self) -> list[str]:
        """What stops confirmation: count (R-V3) and every candidate eligible or excepted (R-X1)."""
        problems = []
        minimum = self.rule_set.min_candidates_per_hamlet
        if len(self.candidacies) < minimum:
            problems.append(f"Cần ít nhất {minimum} người ứng cử (R-V3).")
        for candidacy in self.candidacies:
            if not candidacy.may_stand:
                problems.append(f"{candidacy.person.full_name}: {candidacy.standing_problem}")
        return problems

    def confirm(self, user_id: int) -> None:
        self.ensure_editable()
        problems = self.blocking_problems()
        if problems:
            raise RuleViolation("Chưa thể xác nhận danh sách: " + "; ".join(problems))
        self.state = ListState.CONFIRMED
        self.confirmed_at = utcnow()
        self.confirmed_by_id = user_id

    def reopen(self, reason: str) -> None:
        """An explicit, audited reopening (the reason is kept); impossible once ballots are printed."""
        if not self.locked:
            raise RuleViolation("Danh sách chưa được xác nhận.")
        if self.ballots_printed:
            raise RuleViolation("Phiếu bầu đã được in theo danh sách này; không thể mở lại danh sách.")
        if len((reason or "").strip()) < 5:
            raise RuleViolation("Cần ghi rõ lý do mở lại danh sách.", field="reason")
        self.reopened_reason = reason.strip()[:300]
        self.state = ListState.DRAFT
        self.confirmed_at = None
        self.confirmed_by_id = None


def person_facts(p: Person, hamlet_id: int) -> CandidateFacts:
    """What the standards are checked against, for `p` standing in hamlet `hamlet_id`."""
    # Coerced: a form may have just set the raw string value on the person (before any reload).
    return CandidateFacts(birth_date=p.birth_date, education=Education(p.education),
                          political_theory=PoliticalTheory(p.political_theory),
                          party_member=PartyMembership(p.party_member), resident=p.hamlet_id == hamlet_id,
                          fit_for_term=bool(p.fit_for_term))


class Candidacy(Model):
    """A person on a hamlet's candidate list."""

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("candidate_list.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    position: Mapped[int] = mapped_column(default=1)  # order on the list and the ballot
    proposed_by: Mapped[ProposedBy] = enum_column(ProposedBy)
    proposal_note: Mapped[str] = mapped_column(sa.String(500), default="")

    candidate_list: Mapped[CandidateList] = relationship(back_populates="candidacies")
    person: Mapped[Person] = relationship()
    # Removing a candidate from a draft list removes its (never approved) requests; the audit log keeps them.
    exception_requests: Mapped[list[ExceptionRequest]] = relationship(back_populates="candidacy",
                                                                      order_by="ExceptionRequest.id",
                                                                      cascade="all, delete-orphan")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        if self.candidate_list is not None:
            return None, None, self.candidate_list.hamlet_id
        return None, None, self.person.hamlet_id if self.person else None

    def facts(self) -> CandidateFacts:
        return person_facts(self.person, self.candidate_list.hamlet_id)

    def assessments(self) -> DualAssessment:
        """As hamlet chief (on election day) and as future chapter secretary (rules.md §1)."""
        lst = self.candidate_list
        return assess_both(self.facts(), lst.term.election_day, lst.hamlet.commune.commune_class, lst.rule_set)

    @property
    def chief_assessment(self) -> Assessment:
        return self.assessments().hamlet_chief

    @property
    def needs_exception(self) -> bool:
        """Fails only exceptionable rules as hamlet chief and has no approved or pending request yet."""
        return (exception_possible(self.chief_assessment) and self.approved_exception is None
                and self.pending_exception is None)

    def rules_to_except(self) -> tuple[str, ...]:
        """R-X1: the exceptionable rules failed as hamlet chief, plus R-E5 as future chapter secretary.

        The model introduces the winner to the chapter congress (rules.md §1), so a request also covers the
        secretary's exceptionable standards when nothing hard stands in the way of that post.
        """
        both = self.assessments()
        rules = list(both.hamlet_chief.failed_exceptionable)
        if not both.chapter_secretary.failed_hard:
            rules += [r for r in both.chapter_secretary.failed_exceptionable if r not in rules]
        return tuple(sorted(rules))

    @property
    def approved_exception(self) -> ExceptionRequest | None:
        return next((r for r in self.exception_requests if r.state == RequestState.APPROVED), None)

    @property
    def pending_exception(self) -> ExceptionRequest | None:
        return next((r for r in self.exception_requests if r.state == RequestState.PENDING), None)

    @property
    def standing_problem(self) -> str | None:
        """Why this candidate may not stand yet (None when eligible or excepted)."""
        assessment = self.chief_assessment
        if assessment.failed_hard:
            return "không đạt tiêu chuẩn bắt buộc " + ", ".join(assessment.failed_hard) + \
                " (không thể xin ngoại lệ)"
        needed = set(assessment.failed_exceptionable)
        if not needed:
            return None
        approved = self.approved_exception
        if approved is None:
            return "cần được cấp có thẩm quyền chấp thuận ngoại lệ cho " + ", ".join(sorted(needed)) + " (R-X1)"
        missing = needed - set(approved.rule_ids)
        if missing:
            return "ngoại lệ đã duyệt không bao gồm " + ", ".join(sorted(missing))
        return None

    @property
    def may_stand(self) -> bool:
        return self.standing_problem is None


class RequestState(LabelledEnum):
    PENDING = "pending", N_("Chờ quyết định")
    APPROVED = "approved", N_("Đã chấp thuận")
    REJECTED = "rejected", N_("Không chấp thuận")
    WITHDRAWN = "withdrawn", N_("Đã rút")


class ExceptionRequest(Model):
    """R-X1: the commune party committee asks the approving authority to let a candidate stand."""

    id: Mapped[int] = mapped_column(primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(sa.ForeignKey("candidacy.id"), index=True)
    rules: Mapped[str] = mapped_column(sa.String(40))  # comma-separated rule ids, e.g. "R-E4,R-E5"
    shortage_reason: Mapped[str] = mapped_column(sa.Text)  # why the hamlet truly lacks people
    state: Mapped[RequestState] = enum_column(RequestState, default=RequestState.PENDING)
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decision_number: Mapped[str] = mapped_column(sa.String(60), default="")
    decision_date: Mapped[date | None]
    signer: Mapped[str] = mapped_column(sa.String(120), default="")
    decision_notes: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]

    candidacy: Mapped[Candidacy] = relationship(back_populates="exception_requests")
    remediation_plans: Mapped[list[RemediationPlan]] = relationship(back_populates="exception_request",
                                                                    order_by="RemediationPlan.id")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.candidacy.candidate_list.hamlet_id

    @property
    def commune(self):
        return self.candidacy.candidate_list.hamlet.commune

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r for r in self.rules.split(",") if r)

    @classmethod
    def file(cls, candidacy: Candidacy, reason: str, user_id: int) -> ExceptionRequest:
        """R-X1: only for a candidate failing exceptionable rules and no hard one (as hamlet chief)."""
        assessment = candidacy.chief_assessment
        if assessment.failed_hard:
            raise RuleViolation("Không thể xin ngoại lệ: người ứng cử không đạt tiêu chuẩn bắt buộc "
                                + ", ".join(assessment.failed_hard) + " (R-X1).")
        rules = candidacy.rules_to_except()
        if not rules:
            raise RuleViolation("Người ứng cử đã đạt các tiêu chuẩn; không cần xin ngoại lệ.")
        if candidacy.pending_exception or candidacy.approved_exception:
            raise RuleViolation("Người ứng cử này đã có đề nghị ngoại lệ đang xử lý hoặc đã được chấp thuận.")
        if len((reason or "").strip()) < 20:
            raise RuleViolation("Cần nêu rõ lý do thôn, tổ dân phố thiếu nhân sự (ít nhất 20 ký tự).",
                                field="shortage_reason")
        return cls(candidacy=candidacy, rules=",".join(rules), shortage_reason=reason.strip(), filed_by_id=user_id,
                   state=RequestState.PENDING)

    def _ensure_pending(self) -> None:
        if self.state != RequestState.PENDING:
            raise RuleViolation(f"Đề nghị đã ở trạng thái «{self.state.label}»; không thể quyết định lại.")

    def approve(self, *, user_id: int, number: str, on: date, signer: str, notes: str,
                plans: list[RemediationPlan]) -> None:
        """Approval records the decision and at least one remediation plan per excepted rule (R-X1)."""
        self._ensure_pending()
        self._check_decision_date(on)
        if not number.strip() or not signer.strip():
            raise RuleViolation("Quyết định chấp thuận cần số quyết định và người ký.", field="decision_number")
        term_end = self.candidacy.candidate_list.term.ends_on
        covered = {plan.rule for plan in plans}
        missing = set(self.rule_ids) - covered
        if missing:
            raise RuleViolation("Cần kế hoạch khắc phục cho " + ", ".join(sorted(missing)) + " (R-X1).")
        for plan in plans:
            if plan.rule not in self.rule_ids:
                raise RuleViolation(f"Kế hoạch khắc phục cho {plan.rule} không thuộc các tiêu chuẩn xin ngoại lệ.")
            if plan.deadline > term_end:
                raise RuleViolation(f"Hạn khắc phục {plan.deadline:%d/%m/%Y} phải không muộn hơn ngày kết thúc "
                                    f"nhiệm kỳ {term_end:%d/%m/%Y} (R-X1).", field="deadline")
            if plan.deadline < on:
                raise RuleViolation(f"Hạn khắc phục {plan.deadline:%d/%m/%Y} không thể trước ngày quyết định "
                                    f"{on:%d/%m/%Y}.", field="deadline")
            plan.person_id = self.candidacy.person_id
            self.remediation_plans.append(plan)
        self.state = RequestState.APPROVED
        self._decide(user_id, number, on, signer, notes)

    def reject(self, *, user_id: int, number: str, on: date, signer: str, notes: str) -> None:
        self._ensure_pending()
        self._check_decision_date(on)
        if not notes.strip():
            raise RuleViolation("Cần ghi lý do không chấp thuận.", field="decision_notes")
        self.state = RequestState.REJECTED
        self._decide(user_id, number, on, signer, notes)

    def withdraw(self) -> None:
        self._ensure_pending()
        self.state = RequestState.WITHDRAWN

    def _check_decision_date(self, on: date) -> None:
        """R-X1: decided after it was asked for, and only once signed (not a date in the future)."""
        today = vietnam_today()
        problem = exception_decision_problem(on, local_date(self.filed_at) if self.filed_at else today, today)
        if problem is not None:
            raise RuleViolation(problem.message, field=problem.field)

    def _decide(self, user_id: int, number: str, on: date, signer: str, notes: str) -> None:
        self.decided_by_id = user_id
        self.decided_at = utcnow()
        self.decision_number = number.strip()
        self.decision_date = on
        self.signer = signer.strip()
        self.decision_notes = notes.strip()


class RemedyKind(LabelledEnum):
    TRAINING = "training", N_("Cử đi đào tạo, bồi dưỡng")  # send the person to a course that reaches the standard
    REPLACEMENT = "replacement", N_("Tìm người thay thế")  # find a replacement by the end of the term


class RemediationPlan(Model):
    """How an excepted standard will be met by the end of the term (59-KH/HU II.2.3; R-T5)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    exception_request_id: Mapped[int] = mapped_column(sa.ForeignKey("exception_request.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    rule: Mapped[str] = mapped_column(sa.String(8))  # R-E4 or R-E5
    kind: Mapped[RemedyKind] = enum_column(RemedyKind)
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    deadline: Mapped[date]
    met_on: Mapped[date | None]
    met_note: Mapped[str] = mapped_column(sa.String(300), default="")

    exception_request: Mapped[ExceptionRequest] = relationship(back_populates="remediation_plans")
    person: Mapped[Person] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.person.hamlet_id if self.person else None

    def state_on(self, day: date) -> str:
        """'met', 'due' (deadline not passed) or 'overdue' (R-T5: overdue from the day after the deadline)."""
        if self.met_on is not None and self.met_on <= day:
            return "met"
        return "overdue" if day > self.deadline else "due"

    def mark_met(self, on: date, note: str) -> None:
        """Recorded by hand (e.g. a replacement found, a diploma seen) with a note saying how."""
        if self.met_on is not None:
            raise RuleViolation(f"Kế hoạch đã được ghi nhận hoàn thành ngày {self.met_on:%d/%m/%Y}.")
        if self.exception_request.state != RequestState.APPROVED:
            raise RuleViolation("Chỉ ghi nhận kế hoạch của đề nghị ngoại lệ đã được chấp thuận.")
        if len((note or "").strip()) < 5:
            raise RuleViolation("Cần ghi chú cách đã khắc phục (ví dụ số văn bằng, người thay thế).", field="note")
        self.met_on = on
        self.met_note = note.strip()[:300]

    def check_met(self, on: date) -> bool:
        """Mark the plan met when the person's recorded level now reaches the standard (training link)."""
        if self.met_on is not None or self.kind != RemedyKind.TRAINING:
            return False
        candidate_list = self.exception_request.candidacy.candidate_list
        facts = self.exception_request.candidacy.facts()
        if remediation_met(self.rule, facts, candidate_list.hamlet.commune.commune_class, candidate_list.rule_set):
            self.met_on = on
            self.met_note = "Đạt chuẩn theo trình độ đã cập nhật"
            return True
        return False


def recheck_remediation(person: Person, on: date) -> list[RemediationPlan]:
    """After a person's education or political theory changed: the plans that are now met."""
    plans = db.session.scalars(db.select(RemediationPlan).where(RemediationPlan.person_id == person.id,
                                                                RemediationPlan.met_on.is_(None))).all()
    return [plan for plan in plans if plan.check_met(on)]


@qualifications_changed.connect
def _remediation_met(person: Person, on: date) -> list[RemediationPlan]:
    return recheck_remediation(person, on)


@dataclass(frozen=True)
class AppointeeCheck:
    """The standards of a hamlet-chief candidate applied to a person the commune appoints (the acting chief, R-V8)."""

    assessment: Assessment
    exceptions: tuple[ExceptionRequest, ...]  # approved exceptions for this person in this hamlet and term
    problem: str | None  # why the person may not be appointed; None: they may

    @property
    def excepted(self) -> frozenset[str]:
        return frozenset(rule for request in self.exceptions for rule in request.rule_ids)


def appointee_check(person: Person, term: Term, hamlet: Hamlet, on: date) -> AppointeeCheck:
    """Assess `person` as hamlet chief on `on` (the decision's day) with candidates.rules (R-E1…R-E8), and look for
    approved exceptions (R-X1) made for them as a candidate of this hamlet in this term."""
    assessment = assess(Post.HAMLET_CHIEF, person_facts(person, hamlet.id), on, hamlet.commune.commune_class,
                        get_rule_set(term.rule_set))
    exceptions = tuple(approved_exceptions(term, hamlet).get(person.id, ()))
    excepted = frozenset(rule for request in exceptions for rule in request.rule_ids)
    return AppointeeCheck(assessment, exceptions, appointment_problem(assessment, excepted))


def approved_exceptions(term: Term, hamlet: Hamlet) -> dict[int, list[ExceptionRequest]]:
    """The approved exception requests (R-X1) of the hamlet's candidates in `term`, by person id (one query)."""
    found: dict[int, list[ExceptionRequest]] = {}
    for request in db.session.scalars(
            db.select(ExceptionRequest).join(Candidacy).join(CandidateList)
            .where(CandidateList.term_id == term.id, CandidateList.hamlet_id == hamlet.id,
                   ExceptionRequest.state == RequestState.APPROVED)
            .order_by(ExceptionRequest.id)):
        found.setdefault(request.candidacy.person_id, []).append(request)
    return found
