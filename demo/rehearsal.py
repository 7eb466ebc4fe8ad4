"""A rehearsal of election Sunday on the demo district: `flask rehearsal`, after `flask seed`.

The demo seed stops before the election (units, households, people, the previous term's chiefs still in office), so
the pages of election Sunday would all be empty. This takes hamlets of the demo communes (Bình Hải first, whose
polling-team login it prepares for a whole Sunday, then Bình Trị, then the others) through the real workflow, each
hamlet to a different step: the candidate list proposed and confirmed, the voter roll imported from a CSV file,
the ballots printed (PDF), households checked in, the meeting recorded, the count entered twice (or differently),
the signed minutes kept, the result recognised, a re-vote ordered, the distribution fallback. The district's board
then shows every status. The demo commune's other hamlets stay before election Sunday, each with another step of
its checklist undone (BEFORE_STEPS): no candidate yet, a list being prepared, an exception request waiting for the
approving authority, no voter roll, no ballots printed; so the README's commune can still register a candidate,
import a roll or print ballots. The district's supervision of the demo commune (59-KH/HU §2.6–2.7, chapters.supervision)
goes in on its days too: supervisors assigned, visits, commendations (_Supervision).

Each step is taken on its day (demo.clock.on_day): candidates proposed on 04/05, teams set up on 06/05, the
exception asked for on 09/05, lists confirmed on 10/05 (posted with the notice of 12/05, R-V2), rolls imported on
11/05, ballots printed on 18/05, election Sunday on 22/05; so every date the app stamps or prints agrees with the
seeded term's calendar, and the audit log runs in the order of the days.

Every step goes through the functions the pages and the API call (rules, audit log), in one transaction:
either the whole rehearsal is there, or nothing. Each hamlet of the demo commune (and every rehearsed hamlet) gets
its own polling-team login (tbc.<hamlet code>; the seed's tobaucu.binhhai for its hamlet), and a second team member
where the count is entered twice (tbc.<hamlet code>.2): two different people enter it, and the commune committee
(bcd.<commune code> when the seed made none) resolves differences, validates the minutes and records the
recognition.
"""
from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import click
import sqlalchemy as sa
from flask import current_app

from ballots.accounting import account_for
from ballots.models import BallotLayout
from ballots.printing import print_batch
from candidates.models import CandidateList, ExceptionRequest, ProposedBy, RemediationPlan, RemedyKind, person_facts
from candidates.rules import Status, assess_both, get_rule_set
from chapters.supervision import (
    AwardKind,
    Commendation,
    SupervisionAssignment,
    SupervisionKind,
    Supervisor,
    SupervisorRank,
    difficulties,
)
from core.accounts import Role, User
from core.audit import AuditEntry, describe, set_actor
from core.enums import Post
from core.errors import RuleViolation
from core.models import (
    Chapter,
    Commune,
    District,
    Hamlet,
    Household,
    PartyMembership,
    Person,
    Position,
    Term,
    current_term,
)
from core.vietnamese import VIETNAM_TIME, fold, vietnam_today
from demo.clock import on_day
from demo.seed import BINH_SON_NAME, DEMO_USERS, refresh_statistics
from election.counting import evaluate, poll_result, require_candidates, submit_entry
from election.models import Figures, Poll, VoterEntry, VotingForm, household_total
from election.pdf import counting_minutes_pdf
from election.recognition import keep_minutes, recognise, start_revote, validate_minutes
from election.rolls import TEMPLATE_HEADERS, RollRules, full_years, read_rows
from election.service import check_in, check_roll, poll_roll_fingerprint, replace_roll, roll_for, verification_url
from extensions import db
from training.models import Audience, Course, CourseKind, CourseSession, EnrolFilter, current_holdings, people_by_filter

# The steps, in the order hamlets are given them; hamlets beyond the list stay "not started".
STEPS: tuple[str, ...] = ("ready", "scanning", "voting", "first_entry", "differences", "submitted", "validated",
                          "recognised", "revote", "distribution")
STEP_LABELS = {
    "ready": "Sẵn sàng: danh sách cử tri, danh sách ứng cử, phiếu đã in; chưa khai mạc",
    "scanning": "Đang kiểm phiếu (quét từng phiếu)",
    "voting": "Đang bỏ phiếu (đã ghi biên bản hội nghị)",
    "first_entry": "Đã nhập kết quả lần 1",
    "differences": "Hai lần nhập lệch nhau: chờ Ban chỉ đạo xã",
    "submitted": "Đã chốt kết quả: chờ biên bản đã ký",
    "validated": "Đã đối chiếu biên bản: chờ công nhận",
    "recognised": "Đã công nhận trưởng thôn",
    "revote": "Không ai trúng cử: bầu lại (vòng 2, danh sách chờ xác nhận)",
    "distribution": "Không đủ số hộ: phát phiếu đến từng hộ",
}
# The demo commune's hamlets left before election Sunday, in the order of the checklist: each stops at its step.
BEFORE_STEPS: tuple[str, ...] = ("not_started", "proposed", "exception", "no_roll", "not_printed")
BEFORE_LABELS = {
    "not_started": "Chưa có người ứng cử: Ban công tác Mặt trận chưa giới thiệu",
    "proposed": "Chưa xác nhận danh sách ứng cử: mới giới thiệu 1 người",
    "exception": "Chờ quyết định ngoại lệ: đề nghị đã gửi cấp có thẩm quyền (R-X1)",
    "no_roll": "Chưa nhập danh sách cử tri: danh sách ứng cử đã xác nhận",
    "not_printed": "Chưa in phiếu bầu: đã có danh sách ứng cử và danh sách cử tri",
}
SECOND_ENTRY_STEPS = ("differences", "submitted", "validated", "recognised", "revote")  # two members enter the count
# The days before election Sunday each step is taken, within the seeded term's R-V2 calendar (the chairman's
# decision 25/04, the teams 06/05, the notice with the candidate lists 12/05: demo/seed.py CURRENT_TERM).
PROPOSED_BEFORE = 18  # 04/05: the Front committee proposes the candidates
TEAMS_BEFORE = 16  # 06/05: the polling teams are set up and given their logins (R-V2: at least 10 days before)
REQUESTED_BEFORE = 13  # 09/05: the party committee asks for an exception (R-X1)
DECIDED_BEFORE = 11  # 11/05: the approving authority approves one, with its remediation plan (R-X1)
CONFIRMED_BEFORE = 12  # 10/05: the official lists confirmed, to be posted with the notice (R-V2: 7 days before)
ROLL_BEFORE = 11  # 11/05: the voter rolls imported and posted
PRINTED_BEFORE = 4  # 18/05: the ballots printed
# The district's supervision of the demo commune (59-KH/HU §2.7): the days before election Sunday of each step.
SUPERVISION_DAYS = {"commune": 26, "front": 24, "commune_visit": 12, "chapter": 10, "chapter_visit": 6,
                    "commendation": 2}  # 26/04, 28/04, 10/05, 12/05, 16/05, 20/05
SUPERVISORS = {
    SupervisorRank.STANDING_COMMITTEE: ("Nguyễn Văn Thường", "Phó Bí thư Thường trực Huyện ủy"),
    SupervisorRank.DISTRICT_COMMITTEE: ("Trần Thị Dân", "Trưởng Ban Dân vận Huyện ủy"),
    SupervisorRank.FRONT: ("Võ Văn Mặt", "Phó Chủ tịch Ủy ban MTTQ Việt Nam huyện"),
}
# The communes with committee logins in the demo seed (Bình Hải, Bình Trị), in the seed's order.
DEMO_COMMUNES = tuple(dict.fromkeys(commune for _user, _name, role, commune, _hamlet in DEMO_USERS
                                    if role is Role.COMMUNE_COMMITTEE))
PRESENT_SHARE = 0.85  # of the households, at a meeting that reaches its quorum
NO_QUORUM_SHARE = 0.40
WINNER_SHARE = 0.72  # of the valid ballots: elected (over half of all households, R-V7)
SPLIT_SHARE = 0.48  # of the valid ballots for the first of two candidates: nobody elected (R-V8)
REVOTE_AFTER_DAYS = 7  # the re-vote hamlet votes again the next Sunday (within the 15 days of R-V8)


@dataclass(frozen=True)
class Rehearsed:
    hamlet: str
    commune: str
    step: str
    team_login: str

    @property
    def label(self) -> str:
        return STEP_LABELS.get(self.step) or BEFORE_LABELS[self.step]

    @property
    def election_sunday(self) -> bool:
        """A hamlet of election Sunday's steps (else one left before it)."""
        return self.step in STEP_LABELS


def has_rehearsal(district_id: int) -> bool:
    term = current_term(district_id)
    return term is not None and db.session.scalar(
        sa.select(Poll.id).where(Poll.term_id == term.id).limit(1)) is not None


def rehearse(password: str, base_url: str = "http://127.0.0.1:5000", progress: bool = True) -> list[Rehearsed]:
    """Take hamlets of the demo district through election Sunday and leave the demo commune's others before it (see
    the module); commits once."""
    district = db.session.scalar(sa.select(District).where(District.name == BINH_SON_NAME))
    term = current_term(district.id) if district else None
    if term is None:
        raise click.ClickException("Chưa có dữ liệu mẫu huyện Bình Sơn: hãy chạy `flask seed` trước.")
    seeded = db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.actor == "cli:seed",
                                                              AuditEntry.record_type == "District").limit(1))
    if seeded is None:  # never on a real installation's data, even one whose district is called Bình Sơn
        raise click.ClickException("Cơ sở dữ liệu này không do `flask seed` tạo: chỉ diễn tập trên dữ liệu mẫu.")
    if has_rehearsal(district.id):
        raise click.ClickException("Nhiệm kỳ hiện hành đã có cuộc bầu: diễn tập chỉ chạy trên dữ liệu mẫu chưa bầu.")
    set_actor(db.session, None, "cli:rehearsal")
    try:
        plan = _plan(term, district.id)
        tasks = _tasks(term, plan, password)
        with click.progressbar(tasks, label="Diễn tập ngày bầu cử", file=None if progress else io.StringIO()) as bar:
            for day, summary, work in bar:
                with on_day(day), current_app.test_request_context(base_url=base_url):
                    # (a request context makes url_for absolute: the verification link printed on the minutes)
                    describe(summary[:300])
                    work()
        describe("Diễn tập ngày bầu cử trên dữ liệu mẫu")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    refresh_statistics()  # its check-ins, scans and counts, for the pages read next
    return [Rehearsed(h.hamlet.full_name, h.hamlet.commune.full_name, h.step, h.team.username if h.team else "")
            for h in plan]


@dataclass
class _Hamlet:
    """One hamlet of the rehearsal: its step and, as the days go by, what was made for it."""

    hamlet: Hamlet
    step: str
    candidates: list[Person]
    team: User | None = None
    committee: User | None = None
    candidate_list: CandidateList | None = None
    ballots: int = 0
    excepted: bool = False  # its candidate stands by an exception asked for and approved before the list's step

    @property
    def election_sunday(self) -> bool:
        return self.step in STEP_LABELS

    def reaches(self, before_step: str) -> bool:
        """Whether this hamlet got past a step of the checklist before election Sunday (every voting hamlet did)."""
        return self.election_sunday or BEFORE_STEPS.index(self.step) > BEFORE_STEPS.index(before_step)


def _plan(term: Term, district_id: int) -> list[_Hamlet]:
    """The hamlets of election Sunday's steps, then the demo commune's hamlets left before it."""
    # Hamlets where enough members meet every standard (no exception to ask for) take the steps in order.
    plan: list[_Hamlet] = []
    steps = iter(STEPS)
    step = next(steps)
    hamlets = _hamlets_in_order(district_id)
    for hamlet in hamlets:
        wanted = 1 if step == "submitted" else 2  # one hamlet votes Đồng ý / Không đồng ý on one candidate
        candidates = _eligible_members(term, hamlet)[:wanted]
        if candidates:
            plan.append(_Hamlet(hamlet, step, candidates))
            step = next(steps, None)
            if step is None:
                break
    taken = {h.hamlet.id for h in plan}
    left = [h for h in hamlets if h.commune.name == DEMO_COMMUNES[0] and h.id not in taken]
    before: dict[str, _Hamlet] = {}
    # The exception goes where no member meets every standard (why a commune asks for one), if there is such a hamlet.
    left.sort(key=lambda h: bool(_eligible_members(term, h)))
    for step in ("exception", "not_printed", "no_roll", "proposed", "not_started"):
        for hamlet in left:
            people = _people_before(term, hamlet, step)
            if people is not None:
                # The hamlet still preparing its list proposes, where it can, someone an exception lets stand: the
                # request was approved, the list is not confirmed yet (the demo's approved exception).
                excepted = step == "proposed" and bool(people) and people[0] == _needing_exception(term, hamlet)
                before[step] = _Hamlet(hamlet, step, people, excepted=excepted)
                left.remove(hamlet)
                break
    # Any hamlet of the demo commune still left (a smaller seed) has nobody proposed yet either: it gets its team too.
    rest = [_Hamlet(hamlet, "not_started", []) for hamlet in left] if "not_started" in before else []
    return plan + [before[step] for step in BEFORE_STEPS if step in before] + rest


def _people_before(term: Term, hamlet: Hamlet, step: str) -> list[Person] | None:
    """Who is proposed in a hamlet left at `step` before election Sunday (None: this hamlet cannot show it)."""
    if step == "not_started":
        return []
    if step in ("exception", "proposed"):
        person = _needing_exception(term, hamlet)
        if person is not None or step == "exception":
            return [person] if person else None
    eligible = _eligible_members(term, hamlet)[:1 if step == "proposed" else 2]
    return eligible or None


def _tasks(term: Term, plan: list[_Hamlet], password: str) -> list[tuple[date, str, Callable[[], None]]]:
    """Every step of every hamlet on the day it is taken, in the order of the days (the audit log's order)."""
    day = term.election_day
    tasks: list[tuple[date, str, Callable[[], None]]] = []

    def add(days_before: int, summary: str, work: Callable[[], None]) -> None:
        tasks.append((day - timedelta(days=days_before), summary, work))

    for h in plan:
        if h.candidates:
            add(PROPOSED_BEFORE, f"Ban công tác Mặt trận giới thiệu người ứng cử {h.hamlet.full_name}",
                partial(_propose, term, h))
        add(TEAMS_BEFORE, f"Thành lập Tổ bầu cử {h.hamlet.full_name}", partial(_set_up_team, h, password))
        if h.step == "exception" or h.excepted:
            add(REQUESTED_BEFORE, f"Đề nghị ngoại lệ cho người ứng cử {h.hamlet.full_name}",
                partial(_ask_exception, h, password))
        if h.excepted:
            add(DECIDED_BEFORE, f"Chấp thuận ngoại lệ cho người ứng cử {h.hamlet.full_name}",
                partial(_approve_exception, h))
        if h.reaches("exception"):
            add(CONFIRMED_BEFORE, f"Xác nhận danh sách chính thức người ứng cử {h.hamlet.full_name}",
                partial(_confirm_list, h))
        if h.reaches("no_roll"):
            add(ROLL_BEFORE, f"Nhập danh sách cử tri {h.hamlet.full_name}", partial(_import_roll, term, h))
        if h.election_sunday:
            add(PRINTED_BEFORE, f"In phiếu bầu {h.hamlet.full_name}", partial(_print_ballots, term, h))
            add(0, f"Diễn tập ngày bầu cử: {h.hamlet.full_name}", partial(_election_day, term, h, password))
    supervision = _Supervision(term, plan)
    for days_before, summary, work in supervision.steps():
        add(days_before, summary, work)
    for days_before, summary, work in _Training(term, plan).steps():
        add(days_before, summary, work)
    tasks.sort(key=lambda task: task[0])  # stable: each day keeps the hamlets' order
    return tasks


class _Supervision:
    """59-KH/HU §2.6–2.7 on the demo commune, through chapters.supervision's guarded methods, each on its day: the
    district's supervisors, a district committee member and the Fatherland Front assigned to Bình Hải (26/04, 28/04),
    a standing-committee member to the chapter the exception request flagged difficult in cadres (12/05, after the
    request of 09/05), two visits (10/05, 16/05), and two hamlet workers in office commended (decision of 20/05).
    The district's other flagged chapters stay unassigned (the district office's page still has work to do)."""

    def __init__(self, term: Term, plan: list[_Hamlet]):
        self.term = term
        self.commune = plan[0].hamlet.commune if plan else None  # the demo commune (Bình Hải)
        self.plan = plan
        self.assignments: dict[SupervisionKind, SupervisionAssignment] = {}
        self.supervisors: dict[SupervisorRank, Supervisor] = {}

    def steps(self) -> list[tuple[int, str, Callable[[], None]]]:
        if self.commune is None:
            return []
        name = self.commune.full_name
        return [(SUPERVISION_DAYS["commune"], f"Phân công Huyện ủy viên phụ trách {name}", self._assign_commune),
                (SUPERVISION_DAYS["front"], f"Phân công Mặt trận Tổ quốc huyện giám sát {name}", self._assign_front),
                (SUPERVISION_DAYS["commune_visit"], f"Huyện ủy viên phụ trách làm việc tại {name}",
                 self._visit_commune),
                (SUPERVISION_DAYS["chapter"], f"Phân công Ủy viên Ban Thường vụ sinh hoạt tại chi bộ khó khăn ({name})",
                 self._assign_chapter),
                (SUPERVISION_DAYS["chapter_visit"], f"Ủy viên Ban Thường vụ dự sinh hoạt chi bộ ({name})",
                 self._visit_chapter),
                (SUPERVISION_DAYS["commendation"], f"Khen thưởng người hoạt động không chuyên trách ({name})",
                 self._commend)]

    def _user_id(self) -> int | None:
        return db.session.scalar(sa.select(User.id).where(User.role == Role.DISTRICT_OFFICE,
                                                          User.district_id == self.term.district_id)
                                 .order_by(User.id).limit(1))

    def _supervisor(self, rank: SupervisorRank) -> Supervisor:
        if rank not in self.supervisors:
            full_name, post = SUPERVISORS[rank]
            supervisor = Supervisor.create(self.term.district, full_name, post, rank)
            db.session.add(supervisor)
            db.session.flush()
            self.supervisors[rank] = supervisor
        return self.supervisors[rank]

    def _assign(self, kind: SupervisionKind, rank: SupervisorRank, decision: str = "",
                chapter: Chapter | None = None) -> None:
        assignment = SupervisionAssignment.assign(
            self.term, kind, self._supervisor(rank), on=vietnam_today(), today=vietnam_today(),
            user_id=self._user_id(), commune=None if chapter else self.commune, chapter=chapter, decision=decision)
        db.session.add(assignment)
        db.session.flush()
        self.assignments[kind] = assignment

    def _assign_commune(self) -> None:
        for rank in SUPERVISORS:  # the district's three supervisors, added the day the first is assigned
            self._supervisor(rank)
        self._assign(SupervisionKind.COMMUNE, SupervisorRank.DISTRICT_COMMITTEE, "Quyết định 112-QĐ/HU")

    def _assign_front(self) -> None:
        self._assign(SupervisionKind.FRONT, SupervisorRank.FRONT, "Kế hoạch 18/KH-MTTQ")

    def _assign_chapter(self) -> None:
        """The demo commune's first chapter flagged today (the exception hamlet's), if any."""
        assert self.commune is not None
        flagged = next((d for d in difficulties(self.term.district_id, self.term, vietnam_today(), self.commune.id)
                        if d.difficult), None)
        if flagged is not None:
            self._assign(SupervisionKind.CHAPTER, SupervisorRank.STANDING_COMMITTEE, "Quyết định 115-QĐ/HU",
                         chapter=db.session.get(Chapter, flagged.chapter_id))

    def _visit(self, kind: SupervisionKind, notes: str, findings: str) -> None:
        assignment = self.assignments.get(kind)
        if assignment is not None:
            assignment.record_visit(vietnam_today(), notes, findings, vietnam_today(), self._user_id())

    def _visit_commune(self) -> None:
        self._visit(SupervisionKind.COMMUNE, "Làm việc với Đảng ủy xã về chuẩn bị bầu cử trưởng thôn",
                    "Đôn đốc xác nhận danh sách người ứng cử và niêm yết đúng thời hạn")

    def _visit_chapter(self) -> None:
        self._visit(SupervisionKind.CHAPTER, "Dự sinh hoạt chi bộ, nắm tình hình chuẩn bị nhân sự trưởng thôn",
                    "Chưa có đảng viên đủ tiêu chuẩn: chờ quyết định ngoại lệ; chuẩn bị nhân sự cho đại hội chi bộ")

    def _commend(self) -> None:
        """The chief and the Front head of the demo commune's first hamlet, in office since 2019 (§2.6)."""
        hamlet = self.plan[0].hamlet
        for post, number in ((Post.HAMLET_CHIEF, "125/QĐ-UBND"), (Post.FRONT_HEAD, "126/QĐ-UBND")):
            person = db.session.scalar(sa.select(Person).join(Position, Position.person_id == Person.id).where(
                Position.hamlet_id == hamlet.id, Position.post == post, Position.ended_on.is_(None)).limit(1))
            if person is not None:
                db.session.add(Commendation.record(
                    person, vietnam_today().year, AwardKind.CERTIFICATE,
                    "Thành tích xuất sắc trong chuẩn bị ngày hội bầu trưởng thôn", number, vietnam_today(),
                    f"Chủ tịch UBND huyện {self.term.district.name}", vietnam_today(), self._user_id()))



class _Training:
    """59-KH/HU §2.5, training before election Sunday: the demo commune trains its hamlet workers in office (the chiefs
    and the Front work-committee heads, who prepare and hold the election in each hamlet) on the rules and the
    procedure, through training.models' guarded methods, each on its day: the course planned with its three sessions
    (28/04), the trainees enrolled once the polling teams are set up (06/05), attendance taken at each session (07/05,
    08/05, 14/05), the course closed and evaluated the last day (a trainee who missed a session does not complete it,
    below the course's 80 %). A course of the outgoing term (2019–2022): it trains that term's workers, and is not the
    training of the new term's workers that R-T4 counts."""

    NAME = "Tập huấn nghiệp vụ bầu cử trưởng thôn năm 2022"
    PLANNED_BEFORE = 24  # 28/04, after the chairman's decision (25/04)
    SESSIONS = (  # days before election Sunday, topic (59-KH/HU §2.5), trainer
        (15, "Tuyên truyền về ngày hội toàn dân bầu trưởng thôn; tiêu chuẩn, quy trình giới thiệu người ứng cử",
         "Trần Thị Dân"),
        (14, "Chuẩn bị bầu cử: danh sách cử tri đại diện hộ gia đình, danh sách người ứng cử, phiếu bầu",
         "Lê Văn Nội"),
        (8, "Quy trình hội nghị bầu, kiểm phiếu, lập biên bản; thực hành trên ứng dụng Dân tin", "Lê Văn Nội"),
    )
    PLACE = "Hội trường UBND xã"
    MISSES_EVERY = 9  # every ninth trainee misses one session (not the same one)

    def __init__(self, term: Term, plan: list[_Hamlet]):
        self.term = term
        self.commune = plan[0].hamlet.commune if plan else None  # the demo commune (Bình Hải)
        self.course: Course | None = None

    def steps(self) -> list[tuple[int, str, Callable[[], None]]]:
        if self.commune is None:
            return []
        name = self.commune.full_name
        steps = [(self.PLANNED_BEFORE, f"Lập kế hoạch tập huấn nghiệp vụ bầu cử ({name})", self._plan),
                 (TEAMS_BEFORE, f"Ghi danh học viên lớp tập huấn nghiệp vụ bầu cử ({name})", self._enrol)]
        for number, (days_before, _topic, _trainer) in enumerate(self.SESSIONS):
            steps.append((days_before, f"Điểm danh buổi tập huấn {number + 1} ({name})",
                          partial(self._attend, number)))
        steps.append((self.SESSIONS[-1][0], f"Kết thúc, đánh giá lớp tập huấn nghiệp vụ bầu cử ({name})",
                      self._close))
        return steps

    def _plan(self) -> None:
        assert self.commune is not None
        previous = db.session.scalar(sa.select(Term).where(Term.district_id == self.term.district_id,
                                                           Term.starts_on < self.term.starts_on)
                                     .order_by(Term.starts_on.desc()).limit(1))
        course = Course(district_id=self.commune.district_id, commune_id=self.commune.id,
                        term_id=(previous or self.term).id, name=self.NAME, kind=CourseKind.PRE_ELECTION,
                        audience=Audience.ALL, capacity=40, organiser="", signer_title="", signer_name="", min_attendance_percent=80, closed_on=None,
                        note="Kế hoạch 59-KH/HU mục 2.5: tập huấn trước ngày hội toàn dân bầu trưởng thôn cho người "
                             "hoạt động không chuyên trách ở thôn đương nhiệm.")
        course.posts = [Post.HAMLET_CHIEF.value, Post.FRONT_HEAD.value]
        db.session.add(course)
        for days_before, topic, trainer in self.SESSIONS:
            course.add_session(self.term.election_day - timedelta(days=days_before),
                               f"{self.PLACE} {self.commune.name}", trainer, topic)
        db.session.flush()
        self.course = course

    def _enrol(self) -> None:
        """The chiefs (the course's filter) and the Front work-committee heads in office in the commune."""
        course = self.course
        assert course is not None and self.commune is not None
        course.enrol_many(people_by_filter(course, EnrolFilter.CHIEFS, None), vietnam_today(),
                          EnrolFilter.CHIEFS.label[:120])
        heads = sorted({h.person for h in current_holdings(course.district_id, self.commune.id, Post.FRONT_HEAD)},
                       key=lambda p: (p.name_folded, p.id))
        course.enrol_many(heads, vietnam_today(), f"{Post.FRONT_HEAD.label} đương nhiệm")
        db.session.flush()

    def _attend(self, number: int) -> None:
        course = self.course
        assert course is not None
        session: CourseSession = course.sessions[number]
        for index, enrolment in enumerate(course.enrolments):
            absent = index % self.MISSES_EVERY == 0 and (index // self.MISSES_EVERY) % len(self.SESSIONS) == number
            session.mark(enrolment, not absent)

    def _close(self) -> None:
        assert self.course is not None
        self.course.close(vietnam_today())


def _hamlets_in_order(district_id: int) -> list[Hamlet]:
    communes = db.session.scalars(sa.select(Commune).where(Commune.district_id == district_id,
                                                           Commune.merged_into_id.is_(None))
                                  .order_by(Commune.id)).all()
    order = sorted(communes, key=lambda c: (DEMO_COMMUNES.index(c.name) if c.name in DEMO_COMMUNES
                                            else len(DEMO_COMMUNES), c.id))
    hamlets: list[Hamlet] = []
    for commune in order:
        hamlets += db.session.scalars(sa.select(Hamlet).where(Hamlet.commune_id == commune.id,
                                                              Hamlet.merged_into_id.is_(None))
                                      .order_by(Hamlet.id)).all()
    return hamlets


def _login(username: str, full_name: str, role: Role, commune: Commune, hamlet: Hamlet | None,
           password: str) -> User:
    term = current_term(commune.district_id) if role is Role.POLLING_TEAM else None  # a team serves one term
    user = User(username=username, full_name=full_name, role=role, district_id=commune.district_id,
                commune_id=commune.id, hamlet_id=hamlet.id if hamlet else None, term_id=term.id if term else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def _committee(commune: Commune, password: str) -> User:
    existing = db.session.scalar(sa.select(User).where(User.role == Role.COMMUNE_COMMITTEE,
                                                       User.commune_id == commune.id).order_by(User.id).limit(1))
    return existing or _login(f"bcd.{commune.code.lower()}", f"Ban chỉ đạo bầu cử {commune.full_name}",
                              Role.COMMUNE_COMMITTEE, commune, None, password)


def _team(hamlet: Hamlet, password: str) -> User:
    demo_team = next(name for name, _full, role, _c, _h in DEMO_USERS if role is Role.POLLING_TEAM)
    existing = db.session.scalar(sa.select(User).where(User.role == Role.POLLING_TEAM, User.hamlet_id == hamlet.id)
                                 .order_by(sa.case((User.username == demo_team, 0), else_=1), User.id).limit(1))
    return existing or _login(f"tbc.{hamlet.code.lower()}", f"Tổ bầu cử {hamlet.full_name}", Role.POLLING_TEAM,
                              hamlet.commune, hamlet, password)


def _party_committee(commune: Commune, password: str) -> User:
    """The commune party committee's login, which files exception requests (dangu.<commune code> when none)."""
    existing = db.session.scalar(sa.select(User).where(User.role == Role.PARTY_COMMITTEE,
                                                       User.commune_id == commune.id).order_by(User.id).limit(1))
    return existing or _login(f"dangu.{commune.code.lower()}", f"Đảng ủy {commune.name_in_text}",
                              Role.PARTY_COMMITTEE, commune, None, password)


def _second_member(hamlet: Hamlet, password: str) -> User:
    """The team member who enters the count the second time."""
    username = f"tbc.{hamlet.code.lower()}.2"
    existing = db.session.scalar(sa.select(User).where(User.username == username))
    return existing or _login(username, f"Tổ bầu cử {hamlet.full_name} (nhập lần 2)", Role.POLLING_TEAM,
                              hamlet.commune, hamlet, password)


def _set_up_team(h: _Hamlet, password: str) -> None:
    """The commune sets up the hamlet's polling team (R-V2) and gives it its login; a second member's where the count
    will be entered twice."""
    h.committee = _committee(h.hamlet.commune, password)
    h.team = _team(h.hamlet, password)
    if h.step in SECOND_ENTRY_STEPS:
        _second_member(h.hamlet, password)


def _propose(term: Term, h: _Hamlet) -> None:
    """The Front committee, after agreeing with the chapter, proposes the hamlet's candidates (a draft list)."""
    candidate_list = CandidateList(term=term, hamlet=h.hamlet, term_id=term.id, hamlet_id=h.hamlet.id, round_no=1)
    db.session.add(candidate_list)
    for person in h.candidates:
        candidate_list.add(person, ProposedBy.FRONT_COMMITTEE)
    h.candidate_list = candidate_list


def _ask_exception(h: _Hamlet, password: str) -> None:
    """R-X1: the commune party committee asks the approving authority to let the candidate stand (left waiting)."""
    assert h.candidate_list is not None
    candidacy = h.candidate_list.candidacies[0]
    reason = (f"{h.hamlet.full_name} không có đảng viên nào vừa đạt đủ tiêu chuẩn vừa được Ban công tác Mặt trận "
              f"và chi bộ thống nhất giới thiệu; {candidacy.person.full_name} được nhân dân trong thôn tín nhiệm.")
    db.session.add(ExceptionRequest.file(candidacy, reason, _party_committee(h.hamlet.commune, password).id))


def _approve_exception(h: _Hamlet) -> None:
    """R-X1: the approving authority approves the request, with a plan per excepted standard due within the term."""
    assert h.candidate_list is not None
    request = h.candidate_list.candidacies[0].pending_exception
    assert request is not None
    approver = db.session.scalar(sa.select(User).where(User.role == Role.APPROVING_AUTHORITY,
                                                       User.district_id == h.hamlet.commune.district_id)
                                 .order_by(User.id).limit(1))
    assert approver is not None, "the seed has the district's approving authority"
    term = h.candidate_list.term
    courses = {"R-E4": "Học bổ túc văn hóa, tốt nghiệp trung học phổ thông",
               "R-E5": "Học lớp sơ cấp lý luận chính trị tại Trung tâm Chính trị huyện"}
    plans = [RemediationPlan(rule=rule, kind=RemedyKind.TRAINING, description=courses.get(rule, ""),
                             deadline=term.ends_on) for rule in request.rule_ids]
    request.approve(user_id=approver.id, number="15-QĐ/HU", on=vietnam_today(), signer="Nguyễn Văn Bình",
                    notes="Đảng ủy xã theo dõi, báo cáo kết quả khắc phục mỗi 6 tháng.", plans=plans)


def _confirm_list(h: _Hamlet) -> None:
    """The commune committee confirms the official list, posted with the notice of election day (R-V2)."""
    assert h.candidate_list is not None and h.committee is not None
    h.candidate_list.confirm(h.committee.id)


def _print_ballots(term: Term, h: _Hamlet) -> None:
    poll = Poll.get_or_create(term, h.hamlet, 1)
    db.session.flush()
    h.ballots = print_batch(poll, BallotLayout.A4X4, user_id=h.committee.id if h.committee else None).count


def _election_day(term: Term, h: _Hamlet, password: str) -> None:
    """One hamlet's election Sunday up to its step: households checked in as their representatives take a ballot
    (election.service.check_in, as the team's phones do), then the meeting, the count, the minutes…"""
    hamlet, step, candidates, team, committee = h.hamlet, h.step, h.candidates, h.team, h.committee
    assert team is not None and committee is not None
    poll = Poll.get_or_create(term, hamlet, 1)
    if step == "ready":
        return
    households = household_total(hamlet.id, term.id).count
    present = math.ceil(households * (NO_QUORUM_SHARE if step == "distribution" else PRESENT_SHARE))
    helpers = [p for p in _residents(hamlet) if p not in candidates]  # the counting board and the witnesses
    poll.open(households, term.election_day, at=_on_election_day(term, time(7, 30)))  # the rehearsed Sunday
    _check_in(term, poll, present, team)
    # Present: the households checked in (None: the meeting record takes the check-in count, R-V5).
    poll.record_meeting(None, VotingForm.SECRET_BALLOT, [p.full_name for p in helpers[:3]],
                        [p.full_name for p in helpers[3:5]])
    if step == "distribution":
        poll.switch_to_distribution()
        return
    if step == "voting":
        return
    poll.start_counting()
    if step == "scanning":
        return
    account = account_for(poll, create=True)  # issued to the households present; the rest unused, cancelled
    account.issued, account.spoiled, account.cancelled, account.returned = present, 0, h.ballots - present, present
    db.session.flush()
    share = SPLIT_SHARE if step == "revote" else WINNER_SHARE
    figures = _figures(poll, present, share)
    submit_entry(poll, team, figures, acknowledged=True)
    if step == "first_entry":
        return
    second = figures if step != "differences" else _miscounted(figures)
    submit_entry(poll, _second_member(hamlet, password), second, acknowledged=True)
    if step in ("differences", "submitted"):
        return
    if step == "revote":
        # R-V8: ordered on election evening for the next Sunday (a demo clock set to that day can open round 2).
        start_revote(poll, committee, term.election_day + timedelta(days=REVOTE_AFTER_DAYS), today=term.election_day)
        return
    _keep_minutes(poll, team)
    validate_minutes(poll, committee)
    if step == "recognised":
        # The commune recognises the result on the evening of the vote: the new chief takes office that day (R-V9).
        recognise(poll, committee, f"{hamlet.id:02d}/QĐ-UBND", vietnam_today(),
                  hamlet.commune.chairman_name or "Chủ tịch UBND xã")


def _check_in(term: Term, poll: Poll, present: int, team: User) -> None:
    """`present` households of the roll (drawn per hamlet, the same each run) take their ballot: one check-in each."""
    roll = roll_for(term, poll.hamlet)
    assert roll is not None
    entries = db.session.scalars(sa.select(VoterEntry).where(VoterEntry.roll_id == roll.id)
                                 .order_by(VoterEntry.household_no)).all()
    describe(f"Ghi nhận nhận phiếu ({present} hộ), {poll.hamlet.full_name}, vòng {poll.round_no}")
    for entry in random.Random(poll.hamlet.id).sample(entries, present):
        check_in(poll, entry, team.id)


def _on_election_day(term: Term, at: time) -> datetime:
    """A moment of election Sunday in Vietnam's time, stored as naive UTC."""
    return datetime.combine(term.election_day, at, tzinfo=VIETNAM_TIME).astimezone(UTC).replace(tzinfo=None)


def _residents(hamlet: Hamlet) -> list[Person]:
    return db.session.scalars(sa.select(Person).where(Person.hamlet_id == hamlet.id).order_by(Person.id)).all()


def _import_roll(term: Term, h: _Hamlet) -> None:
    """The roll as a commune would type it from the household register: one representative per household
    (the head, else the oldest resident), through the same checks as an uploaded file; posted before election day."""
    hamlet, committee, people = h.hamlet, h.committee, _residents(h.hamlet)
    households = db.session.scalars(sa.select(Household).where(Household.hamlet_id == hamlet.id)
                                    .order_by(Household.id)).all()
    by_household: dict[int, list[Person]] = {}
    for person in people:
        if person.household_id is not None:
            by_household.setdefault(person.household_id, []).append(person)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADERS)
    for household in households:  # R-V1: the representative is an adult on election day (RollRules)
        members = [p for p in by_household.get(household.id, [])
                   if full_years(p.birth_date, term.election_day) >= RollRules.min_voter_age]
        if not members:
            continue
        head = next((p for p in members if fold(p.full_name) == fold(household.head_name)),
                    min(members, key=lambda p: p.birth_date))
        writer.writerow([household.number, head.full_name, head.citizen_id, head.birth_date.strftime("%d/%m/%Y"),
                         head.sex.label, hamlet.name, "", head.phone])
    filename = f"danh-sach-cu-tri-{hamlet.code}.csv"
    preview = check_roll(read_rows(filename, out.getvalue().encode("utf-8")), term, hamlet)
    # A household with no adult resident has no representative: the commune committee confirms the difference.
    replace_roll(term, hamlet, preview, filename, user=committee,
                 households_note="Hộ không có người đủ 18 tuổi không có người đại diện đi bầu.")


def _needing_exception(term: Term, hamlet: Hamlet) -> Person | None:
    """A resident who, as hamlet chief, fails only standards an exception may waive (R-X1): party members first."""
    rule_set = get_rule_set(term.rule_set)
    people = db.session.scalars(sa.select(Person).where(Person.hamlet_id == hamlet.id).order_by(
        sa.case((Person.party_member == PartyMembership.OFFICIAL, 0), else_=1), Person.id)).all()
    return next((person for person in people
                 if assess_both(person_facts(person, hamlet.id), term.election_day, hamlet.commune.commune_class,
                                rule_set).hamlet_chief.status is Status.NEEDS_EXCEPTION), None)


def _eligible_members(term: Term, hamlet: Hamlet) -> list[Person]:
    """Official party members who meet every standard as hamlet chief: the current chief first."""
    chief_ids = set(db.session.scalars(sa.select(Position.person_id).where(
        Position.hamlet_id == hamlet.id, Position.post == Post.HAMLET_CHIEF, Position.ended_on.is_(None))))
    rule_set = get_rule_set(term.rule_set)
    members = db.session.scalars(sa.select(Person).where(Person.hamlet_id == hamlet.id,
                                                         Person.party_member == PartyMembership.OFFICIAL)
                                 .order_by(Person.id)).all()
    eligible = [person for person in members
                if assess_both(person_facts(person, hamlet.id), term.election_day, hamlet.commune.commune_class,
                               rule_set).hamlet_chief.status is Status.ELIGIBLE]
    return sorted(eligible, key=lambda p: p.id not in chief_ids)


def _figures(poll: Poll, returned: int, share: float) -> Figures:
    """A plausible tally: 2 % invalid ballots, `share` of the valid ones for the first candidate (or Đồng ý)."""
    candidates = require_candidates(poll)
    invalid = max(1, returned // 50)
    valid = returned - invalid
    first = round(valid * share)
    if len(candidates) == 1:
        figures = Figures(returned, returned, valid, invalid, {str(candidates[0].id): first}, valid - first)
    else:
        figures = Figures(returned, returned, valid, invalid,
                          {str(candidates[0].id): first, str(candidates[1].id): valid - first}, 0)
    outcome = evaluate(poll, figures)
    if outcome.errors:  # the shares above always make a consistent tally; a change to them must too
        raise RuleViolation("Số liệu diễn tập không hợp lệ: " + "; ".join(e.message for e in outcome.errors))
    return figures


def _miscounted(figures: Figures) -> Figures:
    """The second entry of a 'differences' hamlet: two votes typed in the wrong column."""
    ids = list(figures.votes)
    votes = dict(figures.votes)
    votes[ids[0]] -= 2
    votes[ids[-1]] += 2 if len(ids) > 1 else 0
    return Figures(figures.ballots_issued, figures.ballots_returned, figures.valid_ballots, figures.invalid_ballots,
                   votes, figures.against + (2 if len(ids) == 1 else 0))


def _keep_minutes(poll: Poll, team: User) -> None:
    """The team's scan of the signed minutes: here the app's own printed minutes, as if signed and scanned."""

    data = counting_minutes_pdf(poll, poll_result(poll), verification_url(poll), poll_roll_fingerprint(poll))
    db.session.add(keep_minutes(poll, data, f"bien-ban-kiem-phieu-{poll.hamlet.code}-da-ky.pdf", team.id))
    db.session.flush()

