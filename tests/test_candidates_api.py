"""The candidates JSON API: shapes, scope, 422 field errors, the exception workflow by token."""
from __future__ import annotations

from factories_candidates import FILED_AT

from candidates.models import ExceptionRequest, RequestState
from core.accounts import Role
from extensions import db

DECISION = {"decision": "approve", "decision_number": "15-QĐ/HU", "decision_date": "2022-05-01",
            "signer": "Nguyễn Văn Bình", "notes": "",
            "plans": [{"rule": "R-E4", "kind": "training", "description": "Học bổ túc THPT", "deadline": "2024-12-31"},
                      {"rule": "R-E5", "kind": "training", "description": "Sơ cấp LLCT", "deadline": "2023-06-30"}]}


def test_exception_workflow_through_the_api(world, make_user, api_headers, client):
    committee = api_headers(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    party = api_headers(make_user(Role.PARTY_COMMITTEE, commune=world.commune))
    approver = api_headers(make_user(Role.APPROVING_AUTHORITY, district=world.district))

    response = client.post(f"/api/v1/hamlets/{world.hamlet.id}/candidacies", headers=committee,
                           json={"person_id": world.needs_exception.id, "proposed_by": "front_committee"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "draft" and body["summary_state"] == "needs_exception"
    [candidacy] = body["candidacies"]
    chief, secretary = candidacy["assessments"]["hamlet_chief"], candidacy["assessments"]["chapter_secretary"]
    assert chief["status"] == "needs_exception" and chief["on"] == "2022-05-22"
    assert [f["rule"] for f in chief["findings"]] == ["R-E1", "R-E2", "R-E3", "R-E4", "R-E7", "R-E8"]
    assert [f["rule"] for f in secretary["findings"]] == ["R-E3", "R-E4", "R-E5", "R-E6", "R-E8"]
    assert candidacy["person"]["full_name"] == "Trần Thị Ước" and candidacy["may_stand"] is False

    refused = client.post(f"/api/v1/candidate-lists/{body['id']}/confirm", headers=committee)
    assert refused.status_code == 422 and "R-X1" in refused.get_json()["errors"]["rule"]

    filed = client.post(f"/api/v1/candidacies/{candidacy['id']}/exception-requests", headers=party,
                        json={"shortage_reason": "Thôn không có đảng viên nào tốt nghiệp THPT."})
    assert filed.status_code == 201
    request = filed.get_json()
    assert request["state"] == "pending" and request["rules"] == ["R-E4", "R-E5"]
    db.session.get(ExceptionRequest, request["id"]).filed_at = FILED_AT  # the test's calendar (R-X1 date order)
    db.session.commit()

    # The filer may not decide; the approving authority may.
    assert client.post(f"/api/v1/exception-requests/{request['id']}/decision", headers=party,
                       json=DECISION).status_code == 403
    decided = client.post(f"/api/v1/exception-requests/{request['id']}/decision", headers=approver, json=DECISION)
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["decision"]["number"] == "15-QĐ/HU"
    assert [p["rule"] for p in decided.get_json()["remediation_plans"]] == ["R-E4", "R-E5"]

    confirmed = client.post(f"/api/v1/candidate-lists/{body['id']}/confirm", headers=committee)
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "confirmed"
    locked = client.post(f"/api/v1/hamlets/{world.hamlet.id}/candidacies", headers=committee,
                         json={"person_id": world.eligible.id, "proposed_by": "floor"})
    assert locked.status_code == 422 and "khóa" in locked.get_json()["errors"]["rule"]


def test_bad_input_answers_422_with_field_errors(world, make_user, api_headers, client, draft_list):
    committee = api_headers(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    response = client.post(f"/api/v1/hamlets/{world.hamlet.id}/candidacies", headers=committee,
                           json={"person_id": world.other_person.id, "proposed_by": "someone"})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    # Someone of another commune is out of this committee's scope: answered like a missing id, not named.
    assert errors["person_id"] == "Không tìm thấy trong phạm vi của bạn." and "proposed_by" in errors
    assert world.other_person.full_name not in response.get_data(as_text=True)

    candidate_list = draft_list(world.needs_exception)
    party = api_headers(make_user(Role.PARTY_COMMITTEE, commune=world.commune))
    candidacy_id = candidate_list.candidacies[0].id
    assert client.post(f"/api/v1/candidacies/{candidacy_id}/exception-requests", headers=party,
                       json={}).get_json()["errors"] == {"shortage_reason": "Trường này là bắt buộc."}
    short = client.post(f"/api/v1/candidacies/{candidacy_id}/exception-requests", headers=party,
                        json={"shortage_reason": "thiếu"})
    assert short.status_code == 422 and "shortage_reason" in short.get_json()["errors"]

    client.post(f"/api/v1/candidacies/{candidacy_id}/exception-requests", headers=party,
                json={"shortage_reason": "Thôn không có đảng viên nào tốt nghiệp THPT."})
    request = db.session.scalar(db.select(ExceptionRequest))
    request.filed_at = FILED_AT  # the test's calendar (R-X1 date order)
    db.session.commit()
    approver = api_headers(make_user(Role.APPROVING_AUTHORITY, district=world.district))
    bad = client.post(f"/api/v1/exception-requests/{request.id}/decision", headers=approver,
                      json={**DECISION, "decision_date": "2022-02-30",
                            "plans": [{"rule": "R-E6", "kind": "x", "description": "", "deadline": "soon"}]})
    errors = bad.get_json()["errors"]
    assert bad.status_code == 422
    assert set(errors) == {"decision_date", "plans[0].rule", "plans[0].kind", "plans[0].description",
                           "plans[0].deadline"}
    late = client.post(f"/api/v1/exception-requests/{request.id}/decision", headers=approver,
                       json={**DECISION, "plans": [{**DECISION["plans"][0], "deadline": "2030-01-01"},
                                                   DECISION["plans"][1]]})
    assert late.status_code == 422 and "nhiệm kỳ" in late.get_json()["errors"]["deadline"]
    db.session.expire_all()
    assert db.session.get(ExceptionRequest, request.id).state == RequestState.PENDING


def test_hard_failure_cannot_be_filed_through_the_api(world, make_user, api_headers, client, draft_list):
    candidate_list = draft_list(world.too_old)
    party = api_headers(make_user(Role.PARTY_COMMITTEE, commune=world.commune))
    response = client.post(f"/api/v1/candidacies/{candidate_list.candidacies[0].id}/exception-requests",
                           headers=party, json={"shortage_reason": "Thôn không còn ai khác để giới thiệu."})
    assert response.status_code == 422 and "R-E3" in response.get_json()["errors"]["rule"]


def test_lists_and_requests_are_scoped_and_paginated(world, approved_exception, make_user, api_headers, client):
    request = approved_exception()
    mine = api_headers(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    other = api_headers(make_user(Role.COMMUNE_COMMITTEE, commune=world.other_commune))
    page = client.get("/api/v1/candidate-lists?per_page=10", headers=mine).get_json()
    assert page["total"] == 1 and page["page"] == 1 and page["items"][0]["hamlet_id"] == world.hamlet.id
    assert client.get("/api/v1/candidate-lists", headers=other).get_json()["total"] == 0
    list_id = page["items"][0]["id"]
    assert client.get(f"/api/v1/candidate-lists/{list_id}", headers=other).status_code == 404
    assert client.get(f"/api/v1/exception-requests/{request.id}", headers=other).status_code == 404
    assert client.post(f"/api/v1/hamlets/{world.hamlet.id}/candidacies", headers=other,
                       json={"person_id": world.eligible.id, "proposed_by": "floor"}).status_code == 404
    requests = client.get("/api/v1/exception-requests?state=approved", headers=mine).get_json()
    assert [r["person_name"] for r in requests["items"]] == ["Trần Thị Ước"]
    assert requests["items"][0]["remediation_plans"][0]["state"] in ("due", "overdue")
    assert client.get("/api/v1/exception-requests?state=pending", headers=mine).get_json()["total"] == 0


def test_candidate_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in (("/candidate-lists", "get"), ("/candidate-lists/{list_id}", "get"),
                         ("/hamlets/{hamlet_id}/candidacies", "post"), ("/candidate-lists/{list_id}/confirm", "post"),
                         ("/exception-requests", "get"), ("/exception-requests/{request_id}", "get"),
                         ("/candidacies/{candidacy_id}/exception-requests", "post"),
                         ("/exception-requests/{request_id}/decision", "post")):
        assert method in paths[path], path
    assert paths["/exception-requests/{request_id}/decision"]["post"]["x-roles"] == ["admin", "approving_authority"]
