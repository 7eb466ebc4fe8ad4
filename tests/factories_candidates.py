"""Factory fixtures for the candidates tests (imported by tests/test_candidates_*.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from candidates.models import CandidateList, ExceptionRequest, ProposedBy, RemediationPlan, RemedyKind
from core.accounts import ApiToken, Role, User
from core.enums import Education, PoliticalTheory
from core.models import Commune, District, Hamlet, Person, Term
from extensions import db

ELECTION_DAY = date(2022, 5, 22)
FILED_AT = datetime(2022, 4, 25, 2, 0)  # 09:00 on 25/04/2022 in Vietnam: exception requests are filed then


@dataclass
class World:
    district: District
    commune: Commune  # Bình Hải, plain: THPT required (R-E4)
    other_commune: Commune
    hamlet: Hamlet
    other_hamlet: Hamlet
    term: Term
    eligible: Person  # passes everything, both posts
    needs_exception: Person  # THCS in a plain commune (R-E4) and no political theory (R-E5 as secretary)
    too_old: Person  # 66 on election day: a hard failure (R-E3)
    other_person: Person  # lives in the other commune


@pytest.fixture
def world(make_district, make_commune, make_hamlet, make_person, make_term) -> World:
    district = make_district()
    commune = make_commune("Bình Hải", district=district)
    other_commune = make_commune("Bình Trị", district=district)
    hamlet = make_hamlet("An Phú", commune=commune, households=3)
    other_hamlet = make_hamlet("Tân Hy", commune=other_commune)
    term = make_term(district, election_day=ELECTION_DAY)
    return World(
        district=district, commune=commune, other_commune=other_commune, hamlet=hamlet, other_hamlet=other_hamlet,
        term=term,
        eligible=make_person("Nguyễn Văn Ánh", hamlet=hamlet, birth_date=date(1975, 4, 2)),
        needs_exception=make_person("Trần Thị Ước", hamlet=hamlet, birth_date=date(1980, 8, 9),
                                    education=Education.LOWER_SECONDARY, political_theory=PoliticalTheory.NONE),
        too_old=make_person("Lê Văn Đức", hamlet=hamlet, birth_date=date(1956, 5, 22)),
        other_person=make_person("Phạm Thị Hồng", hamlet=other_hamlet, birth_date=date(1978, 1, 1)),
    )


@pytest.fixture
def draft_list(world):
    """make a draft list of world.hamlet with the given people (committed)."""

    def make(*people: Person, proposed_by: ProposedBy = ProposedBy.FRONT_COMMITTEE) -> CandidateList:
        candidate_list = CandidateList.for_hamlet(world.term, world.hamlet, create=True)
        for person in people:
            candidate_list.add(person, proposed_by)
        db.session.commit()
        return candidate_list

    return make


@pytest.fixture
def approved_exception(world, draft_list, make_user):
    """A draft list with the needs-exception candidate, whose request (R-E4, R-E5) is approved with plans."""

    def make() -> ExceptionRequest:
        candidate_list = draft_list(world.needs_exception)
        filer = make_user(Role.PARTY_COMMITTEE, commune=world.commune)
        approver = make_user(Role.APPROVING_AUTHORITY, district=world.district)
        request = ExceptionRequest.file(candidate_list.candidacies[0], "Thôn An Phú không có đảng viên nào đạt THPT.",
                                        filer.id)
        request.filed_at = FILED_AT  # filed before the decision of 01/05/2022 (R-X1)
        db.session.add(request)
        request.approve(user_id=approver.id, number="15-QĐ/HU", on=date(2022, 5, 1), signer="Nguyễn Văn Bình",
                        notes="", plans=[
                            RemediationPlan(rule="R-E4", kind=RemedyKind.TRAINING, description="Học bổ túc THPT",
                                            deadline=date(2024, 12, 31)),
                            RemediationPlan(rule="R-E5", kind=RemedyKind.TRAINING, description="Lớp sơ cấp LLCT",
                                            deadline=date(2023, 6, 30))])
        db.session.commit()
        return request

    return make


@pytest.fixture
def api_headers(app):
    def make(user: User) -> dict[str, str]:
        record, token = ApiToken.issue(user, "test")
        db.session.add(record)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return make

