"""Courses: enrolment by filter, capacity, completion on closing, the theory level meeting remediation plans."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from candidates.models import CandidateList, ExceptionRequest, ProposedBy, RemediationPlan, RemedyKind
from core.accounts import Role
from core.audit import AuditEntry
from core.enums import Education, PoliticalTheory, Post
from core.errors import RuleViolation
from extensions import db
from training.models import CourseKind, EnrolFilter, PoolKind, SourcePoolEntry, people_by_filter, training_facts

TODAY = date(2022, 6, 1)


def names(people):
    return sorted(p.full_name for p in people)


def test_filter_selects_current_chiefs_of_the_commune_only(area, make_person, make_position, make_course):
    _, mine, _, hamlet, other_hamlet, term = area
    chief = make_person("Nguyễn Văn Trưởng", hamlet=hamlet)
    former = make_person("Lê Văn Cũ", hamlet=hamlet)
    front = make_person("Phạm Thị Mặt Trận", hamlet=hamlet)
    elsewhere = make_person("Võ Văn Xa", hamlet=other_hamlet)
    make_position(chief)
    make_position(former, started_on=date(2019, 11, 17), ended_on=date(2022, 5, 21))
    make_position(front, post=Post.FRONT_HEAD)
    make_position(elsewhere)
    course = make_course(term)
    assert names(people_by_filter(course, EnrolFilter.CHIEFS, mine.id)) == ["Nguyễn Văn Trưởng"]
    assert names(people_by_filter(course, EnrolFilter.WORKERS, mine.id)) == ["Nguyễn Văn Trưởng",
                                                                            "Phạm Thị Mặt Trận"]
    assert len(people_by_filter(course, EnrolFilter.CHIEFS, None)) == 2  # the whole district


def test_commune_course_filter_stays_in_its_commune(area, make_person, make_position, make_course):
    _, mine, other, hamlet, other_hamlet, term = area
    make_position(make_person("Nguyễn Văn Trưởng", hamlet=hamlet))
    make_position(make_person("Võ Văn Xa", hamlet=other_hamlet))
    course = make_course(term, commune=mine)
    assert names(people_by_filter(course, EnrolFilter.CHIEFS, other.id)) == ["Nguyễn Văn Trưởng"]


def test_filter_newcomers_and_re_elected(area, make_person, make_position, make_course, make_term):
    district, mine, _, hamlet, _, term = area
    previous = make_term(district, election_day=date(2019, 11, 17), name="2019–2022", is_current=False)
    previous.ends_on = date(2022, 5, 22)
    new = make_person("Trần Văn Mới", hamlet=hamlet)
    again = make_person("Đỗ Văn Tái Cử", hamlet=hamlet)
    make_position(new, started_on=date(2022, 5, 22))
    make_position(again, started_on=date(2019, 11, 17))  # one row spanning both terms
    course = make_course(term)
    assert names(people_by_filter(course, EnrolFilter.NEWCOMERS, mine.id)) == ["Trần Văn Mới"]
    assert names(people_by_filter(course, EnrolFilter.RE_ELECTED, mine.id)) == ["Đỗ Văn Tái Cử"]


@pytest.fixture
def excepted(area, make_person, make_user):
    """A plain-commune candidate lacking THPT (R-E4) and political theory, excepted with two plans."""
    _, mine, _, hamlet, _, term = area
    person = make_person("Hồ Thị Ngoại Lệ", hamlet=hamlet, education=Education.LOWER_SECONDARY,
                         political_theory=PoliticalTheory.NONE)
    user = make_user(Role.COMMUNE_COMMITTEE, commune=mine)
    candidate_list = CandidateList(term=term, hamlet=hamlet)
    db.session.add(candidate_list)
    candidacy = candidate_list.add(person, ProposedBy.FRONT_COMMITTEE)
    # ExceptionRequest.file covers R-E4 (as hamlet chief) and R-E5 (as the future chapter secretary).
    request = ExceptionRequest.file(candidacy, "Thôn thiếu nhân sự có trình độ THPT và sơ cấp LLCT.", user.id)
    request.filed_at = datetime(2022, 4, 25, 2, 0)  # before its decision of 01/05/2022 (R-X1)
    db.session.add(request)
    db.session.flush()
    request.approve(user_id=user.id, number="15-QĐ/HU", on=date(2022, 5, 1), signer="Nguyễn Văn Ký", notes="",
                    plans=[RemediationPlan(rule="R-E4", kind=RemedyKind.TRAINING, deadline=date(2025, 6, 1)),
                           RemediationPlan(rule="R-E5", kind=RemedyKind.TRAINING, deadline=date(2025, 6, 1))])
    db.session.commit()
    return person, request


def test_filter_selects_people_with_open_theory_remediation(excepted, area, make_person, make_course):
    person, _ = excepted
    _, mine, _, hamlet, _, term = area
    make_person("Không Liên Quan", hamlet=hamlet)
    course = make_course(term)
    assert people_by_filter(course, EnrolFilter.REMEDIATION_THEORY, mine.id) == [person]
    assert people_by_filter(course, EnrolFilter.REMEDIATION_EDUCATION, None) == [person]


def test_filter_selects_the_source_pool(area, make_person, make_course):
    _, mine, _, hamlet, _, term = area
    veteran = make_person("Lý Văn Xuất Ngũ", hamlet=hamlet)
    db.session.add(SourcePoolEntry(person=veteran, kind=PoolKind.VETERAN, recorded_on=TODAY))
    db.session.commit()
    assert people_by_filter(make_course(term), EnrolFilter.SOURCE_POOL, mine.id) == [veteran]


def test_enrolment_beyond_capacity_is_refused_with_a_clear_message(area, make_person, make_course):
    _, _, _, hamlet, _, term = area
    course = make_course(term, capacity=1)
    course.enrol(make_person("Một", hamlet=hamlet), TODAY)
    with pytest.raises(RuleViolation, match="đủ 1 học viên"):
        course.enrol(make_person("Hai", hamlet=hamlet), TODAY)


def test_enrolment_by_filter_is_all_or_nothing_at_capacity(area, make_person, make_course):
    _, _, _, hamlet, _, term = area
    course = make_course(term, capacity=2)
    people = [make_person(f"Người {i}", hamlet=hamlet) for i in range(3)]
    with pytest.raises(RuleViolation, match="chỉ còn 2 chỗ"):
        course.enrol_many(people, TODAY, "thử")
    assert course.enrolments == []
    added, skipped = course.enrol_many(people[:2], TODAY, "thử")
    assert len(added) == 2 and skipped == 0
    added, skipped = course.enrol_many(people[:2], TODAY, "thử")  # repeated: no duplicates
    assert added == [] and skipped == 2


def test_person_is_enrolled_once(area, make_person, make_course):
    _, _, _, hamlet, _, term = area
    course = make_course(term)
    person = make_person(hamlet=hamlet)
    course.enrol(person, TODAY)
    with pytest.raises(RuleViolation, match="đã được ghi danh"):
        course.enrol(person, TODAY)


def test_commune_course_refuses_people_of_another_commune(area, make_person, make_course):
    _, mine, _, _, other_hamlet, term = area
    course = make_course(term, commune=mine)
    with pytest.raises(RuleViolation, match="không cư trú"):
        course.enrol(make_person(hamlet=other_hamlet), TODAY)


def _attend(course, enrolment, sessions_present):
    for index, session in enumerate(course.sessions):
        session.mark(enrolment, index < sessions_present)


def test_closing_completes_at_the_attendance_boundary(area, make_person, make_course):
    _, _, _, hamlet, _, term = area
    course = make_course(term, sessions=5, min_percent=80)
    four = course.enrol(make_person("Bốn Buổi", hamlet=hamlet), TODAY)
    three = course.enrol(make_person("Ba Buổi", hamlet=hamlet), TODAY)
    db.session.flush()
    _attend(course, four, 4)
    _attend(course, three, 3)
    result = course.close(date(2022, 7, 10))
    db.session.commit()
    assert four.completed_on == date(2022, 7, 10)
    assert three.completed_on is None
    assert result.completed == [four]
    with pytest.raises(RuleViolation, match="đã kết thúc"):
        course.enrol(make_person("Muộn", hamlet=hamlet), TODAY)


def test_closing_needs_a_session(area, make_course):
    course = make_course(area[5])
    with pytest.raises(RuleViolation, match="chưa có buổi học"):
        course.close(TODAY)


def test_completed_theory_course_raises_level_and_meets_the_remediation_plan(excepted, area, make_course):
    person, request = excepted
    term = area[5]
    course = make_course(term, kind=CourseKind.POLITICAL_THEORY, sessions=5,
                         raises=PoliticalTheory.ELEMENTARY, name="Sơ cấp lý luận chính trị khóa I")
    enrolment = course.enrol(person, TODAY)
    db.session.flush()
    _attend(course, enrolment, 5)
    result = course.close(date(2022, 8, 1))
    db.session.commit()
    db.session.refresh(person)
    assert person.political_theory == PoliticalTheory.ELEMENTARY
    plans = {p.rule: p for p in request.remediation_plans}
    assert plans["R-E5"].met_on == date(2022, 8, 1)
    assert plans["R-E4"].met_on is None  # education is not what this course teaches
    assert result.plans_met == [plans["R-E5"]]
    audited = db.session.scalars(db.select(AuditEntry.record_type).where(AuditEntry.action == "update")).all()
    assert {"Person", "RemediationPlan", "Enrolment", "Course"} <= set(audited)


def test_theory_course_never_lowers_a_higher_level(area, make_person, make_course):
    _, _, _, hamlet, _, term = area
    person = make_person(hamlet=hamlet, political_theory=PoliticalTheory.INTERMEDIATE)
    course = make_course(term, kind=CourseKind.POLITICAL_THEORY, sessions=1, raises=PoliticalTheory.ELEMENTARY)
    enrolment = course.enrol(person, TODAY)
    db.session.flush()
    _attend(course, enrolment, 1)
    result = course.close(date(2022, 8, 1))
    assert person.political_theory == PoliticalTheory.INTERMEDIATE and result.raised == []


def test_training_facts_counts_completed_courses_of_the_term(area, make_person, make_position, make_course):
    district, mine, other, hamlet, other_hamlet, term = area
    chief = make_person("Trưởng Thôn", hamlet=hamlet)
    secretary = make_person("Bí Thư", hamlet=other_hamlet)
    make_position(chief)
    make_position(secretary, post=Post.CHAPTER_SECRETARY)
    course = make_course(term, sessions=1, posts=["hamlet_chief"])
    enrolment = course.enrol(chief, TODAY)
    db.session.flush()
    _attend(course, enrolment, 1)
    course.close(date(2022, 7, 5))
    db.session.commit()
    facts = {f.person_id: f for f in training_facts(district.id, term)}
    assert facts[chief.id].trained and facts[chief.id].trained_as_chief and facts[chief.id].commune_id == mine.id
    assert not facts[secretary.id].trained and facts[secretary.id].is_secretary
    assert [f.person_id for f in training_facts(district.id, term, commune_id=other.id)] == [secretary.id]
