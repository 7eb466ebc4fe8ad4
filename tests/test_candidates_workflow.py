"""Candidate lists and exception requests through the pages: registration, R-X1 workflow, locking, scope."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from factories_candidates import FILED_AT

from candidates.access import may_decide_exception
from candidates.models import (
    CandidateList,
    ExceptionRequest,
    ListState,
    RemediationPlan,
    RemedyKind,
    RequestState,
    recheck_remediation,
)
from core.accounts import Role
from core.audit import AuditEntry
from core.enums import Education, PoliticalTheory
from core.errors import RuleViolation
from core.vietnamese import vietnam_today
from extensions import db


def _list(world) -> CandidateList | None:
    db.session.expire_all()
    return CandidateList.for_hamlet(world.term, world.hamlet)


def _decision_form(**extra) -> dict:
    data = {"decision": "approve", "decision_number": "15-QĐ/HU", "decision_date": "2022-05-01",
            "signer": "Nguyễn Văn Bình", "decision_notes": "",
            "plans-0-rule": "R-E4", "plans-0-kind": "training", "plans-0-details": "Học bổ túc THPT",
            "plans-0-deadline": "2024-12-31",
            "plans-1-rule": "R-E5", "plans-1-kind": "training", "plans-1-details": "Lớp sơ cấp lý luận chính trị",
            "plans-1-deadline": "2023-06-30"}
    data.update(extra)
    return data


def test_exception_workflow_end_to_end(world, make_user, login, client):
    committee = make_user(Role.COMMUNE_COMMITTEE, commune=world.commune)
    party = make_user(Role.PARTY_COMMITTEE, commune=world.commune)
    approver = make_user(Role.APPROVING_AUTHORITY, district=world.district)

    # The commune committee registers a candidate from the registry who needs an exception.
    login(committee)
    response = client.post(f"/candidates/hamlets/{world.hamlet.id}/add",
                           data={"source": "registry", "person_id": world.needs_exception.id,
                                 "proposed_by": "front_committee"})
    assert response.status_code == 302, response.get_data(as_text=True)
    candidate_list = _list(world)
    [candidacy] = candidate_list.candidacies
    assert candidacy.rules_to_except() == ("R-E4", "R-E5")
    page = client.get(f"/candidates/hamlets/{world.hamlet.id}").get_data(as_text=True)
    assert "Làm trưởng thôn" in page and "Làm bí thư chi bộ" in page
    # each standard in words (issue 17), its rule id kept as a detail (the badge's title, the finding's end)
    assert "Trình độ học vấn phổ thông · có thể ngoại lệ" in page and "Không quá tuổi tối đa · bắt buộc" in page
    assert "Là đảng viên · chỉ tiêu" in page and 'title="R-E4"' in page
    # Not confirmable yet: the candidate needs an approved exception.
    client.post(f"/candidates/lists/{candidate_list.id}/confirm")
    assert _list(world).state == ListState.DRAFT

    # The commune party committee files the request.
    login(party)
    response = client.post(f"/candidates/candidacies/{candidacy.id}/exception",
                           data={"shortage_reason": "Thôn An Phú không có đảng viên nào tốt nghiệp THPT dưới 65 tuổi."})
    assert response.status_code == 302
    request = db.session.scalar(db.select(ExceptionRequest))
    assert request.state == RequestState.PENDING and request.rule_ids == ("R-E4", "R-E5")
    request.filed_at = FILED_AT  # the test's calendar: filed before the decision of 01/05/2022 (R-X1)
    db.session.commit()

    # The approving authority approves with one remediation plan per excepted rule.
    login(approver)
    assert "Ghi quyết định" in client.get(f"/candidates/exceptions/{request.id}").get_data(as_text=True)
    response = client.post(f"/candidates/exceptions/{request.id}/decide", data=_decision_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    request = db.session.get(ExceptionRequest, request.id)
    assert request.state == RequestState.APPROVED and request.decision_number == "15-QĐ/HU"
    assert [(p.rule, p.deadline) for p in request.remediation_plans] == [("R-E4", date(2024, 12, 31)),
                                                                        ("R-E5", date(2023, 6, 30))]

    # Now the list can be confirmed, and it is locked.
    login(committee)
    client.post(f"/candidates/lists/{candidate_list.id}/confirm")
    assert _list(world).state == ListState.CONFIRMED
    entries = db.session.scalars(db.select(AuditEntry.summary)).all()
    assert any("Xác nhận danh sách chính thức" in s for s in entries)
    assert any("Đã chấp thuận" in s for s in entries)

    # The level is edited on the person (the lead calls recheck_remediation after saving a person).
    person = request.candidacy.person
    person.education = Education.UPPER_SECONDARY
    met = recheck_remediation(person, date(2023, 1, 10))
    db.session.commit()
    assert [p.rule for p in met] == ["R-E4"]
    plans = {p.rule: p for p in db.session.scalars(db.select(RemediationPlan))}
    assert plans["R-E4"].state_on(date(2023, 1, 10)) == "met" and plans["R-E4"].met_on == date(2023, 1, 10)
    assert plans["R-E5"].met_on is None
    person.political_theory = PoliticalTheory.ELEMENTARY
    assert [p.rule for p in recheck_remediation(person, date(2023, 2, 1))] == ["R-E5"]


def test_approval_needs_a_plan_for_every_excepted_rule_within_the_term(world, draft_list, make_user):
    candidate_list = draft_list(world.needs_exception)
    user_id = make_user(Role.PARTY_COMMITTEE, commune=world.commune).id
    request = ExceptionRequest.file(candidate_list.candidacies[0], "Không có người đạt chuẩn trong thôn.", user_id)
    request.filed_at = FILED_AT
    db.session.add(request)
    plan = RemediationPlan(rule="R-E4", kind=RemedyKind.TRAINING, description="THPT", deadline=date(2024, 1, 1))
    with pytest.raises(RuleViolation, match="R-E5"):
        request.approve(user_id=1, number="1", on=date(2022, 5, 1), signer="A", notes="", plans=[plan])
    after_term = world.term.ends_on + timedelta(days=1)
    late = [RemediationPlan(rule=r, kind=RemedyKind.TRAINING, description="x", deadline=after_term)
            for r in ("R-E4", "R-E5")]
    with pytest.raises(RuleViolation, match="nhiệm kỳ"):
        request.approve(user_id=1, number="1", on=date(2022, 5, 1), signer="A", notes="", plans=late)


# ---------------------------------------------------------------------------------------------------------
# Who may decide (R-X1)
# ---------------------------------------------------------------------------------------------------------

def test_only_the_approving_authority_of_the_district_may_decide(world, make_user, make_district):
    other_district = make_district("Sơn Tịnh")
    assert may_decide_exception(make_user(Role.APPROVING_AUTHORITY, district=world.district), world.commune)
    assert may_decide_exception(make_user(Role.ADMIN), world.commune)
    for user in (make_user(Role.COMMUNE_COMMITTEE, commune=world.commune),
                 make_user(Role.PARTY_COMMITTEE, commune=world.commune),
                 make_user(Role.DISTRICT_OFFICE, district=world.district),
                 make_user(Role.OBSERVER, district=world.district),
                 make_user(Role.APPROVING_AUTHORITY, district=other_district),
                 make_user(Role.APPROVING_AUTHORITY, commune=world.commune)):  # commune level not configured
        assert not may_decide_exception(user, world.commune), user.role


def test_commune_level_approver_decides_only_for_its_commune(world, make_user):
    world.district.approver_level = "commune"
    db.session.commit()
    assert may_decide_exception(make_user(Role.APPROVING_AUTHORITY, commune=world.commune), world.commune)
    assert not may_decide_exception(make_user(Role.APPROVING_AUTHORITY, commune=world.other_commune), world.commune)
    assert not may_decide_exception(make_user(Role.APPROVING_AUTHORITY, district=world.district), world.commune)


@pytest.mark.parametrize("who, status", [
    ("commune_committee", 403), ("party_committee", 403), ("district_office", 403), ("other_district", 404),
])
def test_those_who_may_not_approve_are_refused(who, status, world, draft_list, make_user, make_district, login,
                                               client):
    candidate_list = draft_list(world.needs_exception)
    filer = make_user(Role.PARTY_COMMITTEE, commune=world.commune)
    request = ExceptionRequest.file(candidate_list.candidacies[0], "Không có người đạt chuẩn trong thôn.", filer.id)
    request.filed_at = FILED_AT
    db.session.add(request)
    db.session.commit()
    users = {
        "commune_committee": lambda: make_user(Role.COMMUNE_COMMITTEE, commune=world.commune),
        "party_committee": lambda: make_user(Role.PARTY_COMMITTEE, commune=world.commune),
        "district_office": lambda: make_user(Role.DISTRICT_OFFICE, district=world.district),
        "other_district": lambda: make_user(Role.APPROVING_AUTHORITY, district=make_district("Sơn Tịnh")),
    }
    login(users[who]())
    assert client.post(f"/candidates/exceptions/{request.id}/decide", data=_decision_form()).status_code == status
    db.session.expire_all()
    assert db.session.get(ExceptionRequest, request.id).state == RequestState.PENDING


def test_a_hard_failure_can_never_be_excepted(world, draft_list, make_user, login, client):
    candidate_list = draft_list(world.too_old)
    candidacy = candidate_list.candidacies[0]
    assert candidacy.chief_assessment.failed_hard == ("R-E3",)
    with pytest.raises(RuleViolation, match="R-E3"):
        ExceptionRequest.file(candidacy, "Thôn An Phú không còn ai khác để giới thiệu ứng cử.", 1)
    login(make_user(Role.PARTY_COMMITTEE, commune=world.commune))
    page = client.get(f"/candidates/hamlets/{world.hamlet.id}").get_data(as_text=True)
    assert "Lập đề nghị ngoại lệ" not in page and "không thể xin ngoại lệ" in page
    client.post(f"/candidates/candidacies/{candidacy.id}/exception",
                data={"shortage_reason": "Thôn An Phú không còn ai khác để giới thiệu ứng cử."})
    assert db.session.scalar(db.select(db.func.count(ExceptionRequest.id))) == 0
    # …and the list can never be confirmed with that candidate.
    with pytest.raises(RuleViolation, match="R-E3"):
        candidate_list.confirm(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune).id)


def test_rejection_needs_a_reason_and_keeps_the_list_unconfirmable(world, draft_list, make_user, login, client):
    candidate_list = draft_list(world.needs_exception)
    filer = make_user(Role.PARTY_COMMITTEE, commune=world.commune)
    request = ExceptionRequest.file(candidate_list.candidacies[0], "Không có người đạt chuẩn trong thôn.", filer.id)
    request.filed_at = FILED_AT
    db.session.add(request)
    db.session.commit()
    login(make_user(Role.APPROVING_AUTHORITY, district=world.district))
    response = client.post(f"/candidates/exceptions/{request.id}/decide", data=_decision_form(decision="reject"))
    assert response.status_code == 422 and "Cần ghi lý do" in response.get_data(as_text=True)
    client.post(f"/candidates/exceptions/{request.id}/decide",
                data=_decision_form(decision="reject", decision_notes="Thôn còn người đạt chuẩn."))
    db.session.expire_all()
    assert db.session.get(ExceptionRequest, request.id).state == RequestState.REJECTED
    assert "cần được cấp có thẩm quyền" in _list(world).blocking_problems()[0]


# ---------------------------------------------------------------------------------------------------------
# The list: R-V3, lock and reopen
# ---------------------------------------------------------------------------------------------------------

def test_at_most_two_candidates_per_hamlet(world, make_person, make_user, login, client):
    login(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    third = make_person("Võ Thị Lành", hamlet=world.hamlet)
    for person in (world.eligible, world.needs_exception, third):
        response = client.post(f"/candidates/hamlets/{world.hamlet.id}/add", follow_redirects=True,
                               data={"source": "registry", "person_id": person.id, "proposed_by": "floor"})
    assert "tối đa 2 người ứng cử (R-V3)" in response.get_data(as_text=True)
    assert [c.person.full_name for c in _list(world).candidacies] == ["Nguyễn Văn Ánh", "Trần Thị Ước"]


def test_adding_a_new_person_creates_them_in_the_registry(world, make_user, login, client):
    login(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    from core.citizen_id import make_citizen_id

    data = {"source": "new", "proposed_by": "front_committee", "p-full_name": "Đinh Văn Thưởng",
            "p-birth_date": "1979-02-03", "p-sex": "male", "p-citizen_id": make_citizen_id("051", date(1979, 2, 3),
                                                                                          "male", 777),
            "p-hamlet_id": world.hamlet.id, "p-education": "upper_secondary", "p-political_theory": "elementary",
            "p-party_member": "official", "p-party_joined_on": "2005-01-01", "p-party_official_on": "2006-01-01",
            "p-fit_for_term": "y"}
    response = client.post(f"/candidates/hamlets/{world.hamlet.id}/add", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    [candidacy] = _list(world).candidacies
    assert candidacy.person.full_name == "Đinh Văn Thưởng" and candidacy.person.hamlet_id == world.hamlet.id
    assert candidacy.may_stand
    # The same citizen ID again is refused like the people form does.
    response = client.post(f"/candidates/hamlets/{world.hamlet.id}/add", data=data)
    assert response.status_code == 200 and "đã có trong sổ đăng ký" in response.get_data(as_text=True)


def test_add_page_searches_the_registry_without_diacritics_and_loads_the_live_script(world, make_user, login,
                                                                                   client):
    login(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    page = client.get(f"/candidates/hamlets/{world.hamlet.id}/add?q=tran thi uoc").get_data(as_text=True)
    assert "Trần Thị Ước" in page and "Nguyễn Văn Ánh" not in page and "Phạm Thị Hồng" not in page
    assert "candidates.js" in page and "/api/v1/rules/eligibility" in page
    assert client.get("/static/candidates.js").status_code == 200


def _assessment_labels(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="assessment-labels">(.*?)</script>', page, re.S)
    assert found, "the add page embeds the live assessment's labels"
    return json.loads(found.group(1))


def test_live_assessment_reads_its_labels_from_the_page_in_the_readers_language(world, make_user, login, client):
    login(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    url = f"/candidates/hamlets/{world.hamlet.id}/add"
    vietnamese = _assessment_labels(client.get(url).get_data(as_text=True))
    assert vietnamese["status"]["needs_exception"] == "Cần ngoại lệ"
    assert vietnamese["posts"][0] == ["hamlet_chief", "Làm trưởng thôn (ngày bầu cử)"]
    client.get("/lang/en")
    english = _assessment_labels(client.get(url).get_data(as_text=True))
    assert english["status"] == {"eligible": "Eligible", "needs_exception": "Needs an exception",
                                 "ineligible": "Ineligible"}
    assert [post for post, _ in english["posts"]] == ["hamlet_chief", "chapter_secretary"]
    texts = [*english["status"].values(), *english["kind"].values(), english["offline"],
             *(title for _, title in english["posts"])]
    assert all(text.isascii() for text in texts), texts  # no Vietnamese left
    script = client.get("/static/candidates.js").get_data(as_text=True)
    assert all(label not in script for label in vietnamese["status"].values())  # nothing hard-coded


def test_confirmed_list_is_locked_and_reopens_only_with_a_reason(world, draft_list, make_user, login, client):
    candidate_list = draft_list(world.eligible)
    login(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    client.post(f"/candidates/lists/{candidate_list.id}/confirm")
    assert _list(world).locked
    # Locked: no adding, no removing.
    client.post(f"/candidates/hamlets/{world.hamlet.id}/add",
                data={"source": "registry", "person_id": world.needs_exception.id, "proposed_by": "floor"})
    response = client.post(f"/candidates/candidacies/{candidate_list.candidacies[0].id}/remove",
                           follow_redirects=True)
    assert "đã được xác nhận và khóa" in response.get_data(as_text=True)
    assert len(_list(world).candidacies) == 1
    # Reopening needs a reason, which the audit log keeps.
    response = client.post(f"/candidates/lists/{candidate_list.id}/reopen", data={"reason": ""})
    assert response.status_code == 200 and _list(world).locked
    client.post(f"/candidates/lists/{candidate_list.id}/reopen", data={"reason": "Người ứng cử xin rút."})
    reopened = _list(world)
    assert reopened.state == ListState.DRAFT and reopened.reopened_reason == "Người ứng cử xin rút."
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.summary.contains("Người ứng cử xin rút")))
    client.post(f"/candidates/candidacies/{reopened.candidacies[0].id}/remove")
    assert _list(world).candidacies == []


def test_reopening_is_impossible_once_ballots_are_printed(world, draft_list, make_user, login, client):
    committee = make_user(Role.COMMUNE_COMMITTEE, commune=world.commune)
    candidate_list = draft_list(world.eligible)
    candidate_list.confirm(committee.id)
    candidate_list.ballots_printed = True
    db.session.commit()
    login(committee)
    response = client.post(f"/candidates/lists/{candidate_list.id}/reopen", data={"reason": "Sửa tên người ứng cử."},
                           follow_redirects=True)
    assert "Phiếu bầu đã được in" in response.get_data(as_text=True)
    assert _list(world).locked
    with pytest.raises(RuleViolation, match="Phiếu bầu đã được in"):
        _list(world).reopen("Sửa tên người ứng cử.")


# ---------------------------------------------------------------------------------------------------------
# Scope and the overview
# ---------------------------------------------------------------------------------------------------------

def test_another_commune_gets_404(world, approved_exception, make_user, login, client):
    request = approved_exception()
    candidate_list = _list(world)
    login(make_user(Role.COMMUNE_COMMITTEE, commune=world.other_commune))
    for url in (f"/candidates/hamlets/{world.hamlet.id}", f"/candidates/hamlets/{world.hamlet.id}/add",
                f"/candidates/lists/{candidate_list.id}/list.pdf", f"/candidates/exceptions/{request.id}",
                f"/candidates/exceptions/{request.id}/request.pdf"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/candidates/lists/{candidate_list.id}/confirm").status_code == 404
    assert "An Phú" not in client.get("/candidates/").get_data(as_text=True)
    assert "Trần Thị Ước" not in client.get("/candidates/exceptions").get_data(as_text=True)
    assert "Trần Thị Ước" not in client.get("/candidates/remediation").get_data(as_text=True)


def test_party_committee_reads_but_cannot_register(world, make_user, login, client):
    login(make_user(Role.PARTY_COMMITTEE, commune=world.commune))
    assert client.get(f"/candidates/hamlets/{world.hamlet.id}").status_code == 200
    assert client.post(f"/candidates/hamlets/{world.hamlet.id}/add",
                       data={"source": "registry", "person_id": world.eligible.id,
                             "proposed_by": "floor"}).status_code == 403
    login(make_user(Role.POLLING_TEAM, commune=world.commune))
    assert client.get("/candidates/").status_code == 403


def test_index_shows_each_hamlet_with_its_list_state(world, draft_list, make_hamlet, make_user, login, client):
    make_hamlet("Đông Yên", commune=world.commune)
    draft_list(world.needs_exception)
    login(make_user(Role.DISTRICT_OFFICE, district=world.district))
    page = client.get("/candidates/").get_data(as_text=True)
    assert "Thôn An Phú" in page and "Cần xin ngoại lệ" in page
    assert "Thôn Đông Yên" in page and "Chưa có danh sách" in page and "Thôn Tân Hy" in page
    filtered = client.get(f"/candidates/?commune_id={world.other_commune.id}").get_data(as_text=True)
    assert "Thôn Tân Hy" in filtered and "Thôn An Phú" not in filtered
    searched = client.get("/candidates/?q=dong yen").get_data(as_text=True)
    assert "Thôn Đông Yên" in searched and "Thôn An Phú" not in searched


# ---------------------------------------------------------------------------------------------------------
# Remediation follow-up (R-T5)
# ---------------------------------------------------------------------------------------------------------

def test_remediation_list_shows_overdue_in_red_and_marks_met_by_hand(world, approved_exception, make_user, login,
                                                                     client):
    approved_exception()  # plans due 31/12/2024 (R-E4) and 30/06/2023 (R-E5): both past today
    login(make_user(Role.DISTRICT_OFFICE, district=world.district))
    page = client.get("/candidates/remediation?state=overdue").get_data(as_text=True)
    assert page.count('class="overdue"') == 2 and "Quá hạn" in page
    plan = db.session.scalar(db.select(RemediationPlan).where(RemediationPlan.rule == "R-E5"))
    client.post(f"/candidates/remediation/{plan.id}/met", data={"note": "Bằng sơ cấp LLCT số 123/2023"})
    db.session.expire_all()
    plan = db.session.get(RemediationPlan, plan.id)
    assert plan.met_on == vietnam_today() and plan.met_note == "Bằng sơ cấp LLCT số 123/2023"
    assert "Bằng sơ cấp" in client.get("/candidates/remediation?state=met").get_data(as_text=True)


def test_recheck_button_marks_plans_whose_level_was_raised(world, approved_exception, make_user, login, client):
    request = approved_exception()
    person = request.candidacy.person
    person.political_theory = PoliticalTheory.INTERMEDIATE  # edited without the lead's hook
    db.session.commit()
    login(make_user(Role.DISTRICT_OFFICE, district=world.district))
    response = client.post("/candidates/remediation/recheck", follow_redirects=True)
    assert "1 kế hoạch đạt chuẩn" in response.get_data(as_text=True)
    met = db.session.scalars(db.select(RemediationPlan.rule).where(RemediationPlan.met_on.is_not(None))).all()
    assert met == ["R-E5"]


def test_replacement_plans_are_never_met_automatically(world, approved_exception):
    request = approved_exception()
    plan = request.remediation_plans[0]
    plan.kind = RemedyKind.REPLACEMENT
    request.candidacy.person.education = Education.UPPER_SECONDARY
    db.session.commit()
    assert [p.rule for p in recheck_remediation(request.candidacy.person, date(2023, 1, 1))] == []


def test_editing_the_person_in_the_registry_meets_the_plan(world, approved_exception, make_user, login, client):
    request = approved_exception()
    person = request.candidacy.person
    login(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    data = {"full_name": person.full_name, "birth_date": person.birth_date.isoformat(), "sex": person.sex.value,
            "citizen_id": person.citizen_id, "hamlet_id": person.hamlet_id, "education": "upper_secondary",
            "political_theory": "none", "party_member": "official", "party_joined_on": "2000-01-01",
            "party_official_on": "2001-01-01", "fit_for_term": "y"}
    response = client.post(f"/people/{person.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    met = db.session.scalars(db.select(RemediationPlan.rule).where(RemediationPlan.met_on.is_not(None))).all()
    assert met == ["R-E4"]
