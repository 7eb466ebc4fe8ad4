"""Factory fixtures for the training tests (imported by tests/test_training_*.py)."""
from __future__ import annotations

from datetime import date

import pytest

from core.enums import Post
from core.models import Position
from extensions import db
from training.models import Course, CourseKind


@pytest.fixture
def area(make_district, make_commune, make_hamlet, make_term):
    """A district with two communes (one hamlet each) and its current term."""
    district = make_district()
    mine = make_commune("Bình Hải", district=district)
    other = make_commune("Bình Trị", district=district)
    hamlet = make_hamlet("An Phú", commune=mine)
    other_hamlet = make_hamlet("Tân Hy", commune=other)
    term = make_term(district)
    return district, mine, other, hamlet, other_hamlet, term


@pytest.fixture
def make_course():
    def make(term, commune=None, *, kind=CourseKind.PARTY_WORK, capacity=50, posts=(), min_percent=80,
             raises=None, name="Bồi dưỡng nghiệp vụ công tác Đảng", sessions=0) -> Course:
        course = Course(district_id=term.district_id, commune_id=commune.id if commune else None, term_id=term.id,
                        name=name, kind=kind, capacity=capacity, min_attendance_percent=min_percent,
                        raises_theory_to=raises)
        course.posts = posts
        db.session.add(course)
        for n in range(sessions):
            course.add_session(date(2022, 7, 1 + n), "Hội trường UBND xã", "Trần Văn Giảng")
        db.session.commit()
        return course

    return make


@pytest.fixture
def make_position():
    def make(person, post=Post.HAMLET_CHIEF, started_on=date(2022, 5, 22), ended_on=None, term=None):
        position = Position(person=person, hamlet_id=person.hamlet_id, post=post, started_on=started_on,
                            ended_on=ended_on, term_id=term.id if term else None)
        db.session.add(position)
        db.session.commit()
        return position

    return make
