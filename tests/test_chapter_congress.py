"""Chapter congresses: the whole path from the recognised chief to the dashboard, and the R-P1…R-P5 pages."""
from __future__ import annotations

import re
from datetime import date, datetime

import pypdfium2 as pdfium
import pytest

from chapters.models import Congress, CongressState, Nominee, NomineeSource
from core.accounts import Role
from core.enums import PartyMembership, Post
from core.models import Position
from extensions import db

CONGRESS_DAY = date(2022, 6, 20)


@pytest.fixture
def setting(make_district, make_commune, make_hamlet, make_term, make_person, make_user):
    """A district with a current term, a commune, a hamlet (chapter of `official` members) and its chief."""

    def make(official: int = 9, chief_member: PartyMembership = PartyMembership.OFFICIAL):
        district = make_district()
        term = make_term(district)
        commune = make_commune("Bình Hải", district=district)
        hamlet = make_hamlet("An Phú", commune=commune, official_members=official)
        chief = make_person("Nguyễn Văn Trưởng", hamlet, party_member=chief_member)
        # Issue 5 creates this Position when the commune recognises the result (R-V9).
        db.session.add(Position(hamlet=hamlet, person=chief, post=Post.HAMLET_CHIEF, term_id=term.id,
                                started_on=date(2022, 5, 25)))
        db.session.commit()
        recorder = make_user(Role.PARTY_COMMITTEE, commune=commune)
        office = make_user(Role.DISTRICT_OFFICE, district=district)
        return district, term, commune, hamlet, chief, recorder, office

    return make


def _open(client, hamlet):
    return client.post(f"/chapters/{hamlet.chapter.id}/congress/open", data={"held_on": CONGRESS_DAY.isoformat()})


def _attendance(client, congress_id, convened, present, seats=None, **exclusions):
    data = {"official_members_convened": convened, "present": present,
            "committee_seats": "" if seats is None else seats}
    for name in ("temporarily_transferred_out", "exempted_and_absent", "suspended", "prosecuted_or_detained",
                 "absent_with_approved_reason"):
        data[name] = exclusions.get(name, 0)
    return client.post(f"/chapters/congresses/{congress_id}/attendance", data=data)


def _ballot(client, congress_id, post, votes, valid, invalid=0):
    data = {"post": post, "valid_ballots": valid, "invalid_ballots": invalid}
    data.update({f"votes_{nid}": v for nid, v in votes.items()})
    return client.post(f"/chapters/congresses/{congress_id}/ballots", data=data, follow_redirects=True)


def _congress() -> Congress:
    return db.session.scalar(db.select(Congress))


def _text(data: bytes) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))


def _add(client, congress_id, person, post="chapter_committee_member", source="chapter", agreeing=""):
    return client.post(f"/chapters/congresses/{congress_id}/nominees",
                       data={"person_id": person.id, "post": post, "source": source, "agreeing": agreeing},
                       follow_redirects=True)


def test_whole_path_recognised_chief_becomes_secretary_and_dashboard_counts_him(setting, login, client,
                                                                                make_person):
    district, term, commune, hamlet, chief, recorder, office = setting(official=8)
    login(recorder)
    assert _open(client, hamlet).status_code == 302
    congress = _congress()
    nominee = congress.chief_nominee
    assert nominee.person_id == chief.id and nominee.post == Post.CHAPTER_SECRETARY
    assert nominee.source == NomineeSource.HAMLET_CHIEF
    page = client.get(f"/chapters/{hamlet.chapter.id}/congress").get_data(as_text=True)
    assert "Nguyễn Văn Trưởng" in page and "Tiêu chuẩn trưởng thôn" in page and "R-E6" in page

    # 8 convened, 1 suspended, 1 absent with approved reason → base 6; 4 votes > 3 elect him.
    _attendance(client, congress.id, 8, 6, suspended=1, absent_with_approved_reason=1)
    db.session.expire_all()
    assert _congress().base == 6
    response = _ballot(client, congress.id, "chapter_secretary", {nominee.id: 4}, valid=6)
    assert "Đã lưu" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _congress().secretary_person.id == chief.id
    client.post(f"/chapters/congresses/{congress.id}/finish")
    db.session.expire_all()
    assert _congress().state == CongressState.RECORDED

    old_secretary = make_person("Trần Cũ", hamlet)
    db.session.add(Position(hamlet=hamlet, person=old_secretary, post=Post.CHAPTER_SECRETARY,
                            term_id=term.id, started_on=date(2020, 1, 1)))
    db.session.commit()
    client.post("/logout")
    login(office)
    response = client.post(f"/chapters/congresses/{congress.id}/approve",
                           data={"number": "15-QĐ/ĐU", "on": "2022-06-25"})
    assert response.status_code == 302
    db.session.expire_all()
    assert _congress().state == CongressState.APPROVED
    positions = db.session.scalars(db.select(Position).where(Position.post == Post.CHAPTER_SECRETARY)
                                   .order_by(Position.id)).all()
    assert positions[0].ended_on == date(2022, 6, 24)
    assert positions[1].person_id == chief.id and positions[1].started_on == date(2022, 6, 25)
    assert positions[1].term_id == term.id and positions[1].ended_on is None

    data = client.get("/api/v1/targets?as_of=2022-07-01",
                      headers={"Authorization": "Bearer " + _token(office)}).get_json()
    figures = {f["key"]: f for f in data["district"]}
    assert (figures["chief_is_secretary"]["numerator"], figures["chief_is_secretary"]["denominator"]) == (1, 1)
    listing = client.get("/chapters/dashboard/list?key=chief_is_secretary&as_of=2022-07-01").get_data(as_text=True)
    assert "Nguyễn Văn Trưởng" in listing and "Bí thư chi bộ" in listing


def _token(user) -> str:
    from core.accounts import ApiToken

    row, secret = ApiToken.issue(user, "test")
    db.session.add(row)
    db.session.commit()
    return secret


def test_eight_members_elect_no_committee_and_nine_start_with_the_committee(setting, login, client, make_person):
    *_, hamlet, chief, recorder, _office = setting(official=8)
    login(recorder)
    _open(client, hamlet)
    congress = _congress()
    assert not congress.structure.elects_committee
    response = _add(client, congress.id, make_person("Lê Ủy Viên", hamlet))
    assert "không bầu chi ủy" in response.get_data(as_text=True)

    db.session.delete(congress)
    db.session.commit()
    hamlet.chapter.official_members = 9
    db.session.commit()
    _open(client, hamlet)
    congress = _congress()
    assert congress.structure.elects_committee
    _attendance(client, congress.id, 9, 9, seats=3)
    response = _ballot(client, congress.id, "chapter_secretary", {congress.chief_nominee.id: 9}, valid=9)
    assert "bầu chi ủy viên" in response.get_data(as_text=True)  # R-P1: the committee first


def _committee_congress(client, hamlet, make_person, seats=3, candidates=4):
    _open(client, hamlet)
    congress = _congress()
    _attendance(client, congress.id, 10, 10, seats=seats)
    for i in range(candidates - 1):
        _add(client, congress.id, make_person(f"Đảng Viên {i}", hamlet))
    db.session.expire_all()
    return _congress()


def test_surplus_above_the_limit_is_refused(setting, login, client, make_person):
    *_, hamlet, _chief, recorder, _office = setting(official=10)
    login(recorder)
    congress = _committee_congress(client, hamlet, make_person, seats=3, candidates=5)  # surplus 2 > ceil(0.9)
    votes = {n.id: v for n, v in zip(congress.nominees, (9, 8, 7, 2, 1))}
    response = _ballot(client, congress.id, "chapter_committee_member", votes, valid=10)
    assert "vượt quá 30%" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _congress().ballots == []
    four = dict(list(votes.items())[:4])  # 4 for 3 seats: allowed with the default ceil rounding
    _ballot(client, congress.id, "chapter_committee_member", four, valid=10)
    db.session.expire_all()
    assert len(_congress().committee_ids) == 3


def test_exactly_half_of_the_base_is_not_elected(setting, login, client):
    *_, hamlet, _chief, recorder, _office = setting(official=8)
    login(recorder)
    _open(client, hamlet)
    congress = _congress()
    _attendance(client, congress.id, 8, 8)
    _ballot(client, congress.id, "chapter_secretary", {congress.chief_nominee.id: 4}, valid=8)
    db.session.expire_all()
    congress = _congress()
    assert congress.secretary_person is None
    assert congress.secretary_outcome == "next_round"
    assert congress.next_ballot() == (Post.CHAPTER_SECRETARY, 2, 1)


def test_third_failed_round_needs_the_higher_committees_appointment(setting, login, client):
    *_, hamlet, chief, recorder, _office = setting(official=8)
    login(recorder)
    _open(client, hamlet)
    congress = _congress()
    _attendance(client, congress.id, 8, 8)
    for _round in range(3):
        _ballot(client, congress.id, "chapter_secretary", {congress.chief_nominee.id: 3}, valid=8)
    db.session.expire_all()
    congress = _congress()
    assert congress.secretary_outcome == "appoint_by_higher_committee"
    response = _ballot(client, congress.id, "chapter_secretary", {congress.chief_nominee.id: 8}, valid=8)
    assert "Không còn cuộc bầu" in response.get_data(as_text=True)
    assert "chỉ định" in client.get(f"/chapters/{hamlet.chapter.id}/congress").get_data(as_text=True)
    client.post(f"/chapters/congresses/{congress.id}/appointment",
                data={"person_id": chief.id, "number": "20-QĐ/ĐU", "on": "2022-06-22"})
    db.session.expire_all()
    congress = _congress()
    assert congress.secretary_person.id == chief.id
    text = _text(client.get(f"/chapters/congresses/{congress.id}/minutes.pdf").data)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "ĐẢNG BỘ XÃ BÌNH HẢI" in text
    assert "CHI BỘ THÔN AN PHÚ" in text and "BIÊN BẢN ĐẠI HỘI CHI BỘ" in text
    assert "vòng 3" in text and "20-QĐ/ĐU" in text and "THƯ KÝ ĐẠI HỘI" in text
    # issue 17: rules in words, never the app's rule ids; the sections keep their words
    assert not re.search(r"R-[A-Z]{1,2}\d", text), re.findall(r"R-[A-Z]{1,2}\d", text)
    words = " ".join(text.split())
    assert "căn cứ tính kết quả bầu cử" in words and "cấp ủy cấp trên chỉ định" in words
    assert "có hiệu lực sau khi được cấp ủy cấp trên chuẩn y" in words


def test_floor_nominee_with_exactly_thirty_percent_is_refused(setting, login, client, make_person):
    *_, hamlet, _chief, recorder, _office = setting(official=10)
    login(recorder)
    _open(client, hamlet)
    congress = _congress()
    _attendance(client, congress.id, 10, 10, seats=3)
    response = _add(client, congress.id, make_person("Phạm Đề Cử", hamlet), source="floor", agreeing=3)
    assert "cần nhiều hơn 30%" in response.get_data(as_text=True)
    _add(client, congress.id, make_person("Võ Đề Cử", hamlet), source="floor", agreeing=4)
    db.session.expire_all()
    floor = [n for n in _congress().nominees if n.source == NomineeSource.FLOOR]
    assert [(n.person.full_name, n.floor_agreeing) for n in floor] == [("Võ Đề Cử", 4)]


def test_only_the_district_office_approves(setting, login, client, make_user):
    _district, _term, commune, hamlet, _chief, recorder, office = setting(official=8)
    login(recorder)
    _open(client, hamlet)
    congress = _congress()
    _attendance(client, congress.id, 8, 8)
    _ballot(client, congress.id, "chapter_secretary", {congress.chief_nominee.id: 6}, valid=8)
    client.post(f"/chapters/congresses/{congress.id}/finish")
    assert client.post(f"/chapters/congresses/{congress.id}/approve",
                       data={"number": "1", "on": "2022-06-25"}).status_code == 403
    client.post("/logout")
    login(make_user(Role.OBSERVER, district=commune.district))
    assert client.post(f"/chapters/congresses/{congress.id}/approve",
                       data={"number": "1", "on": "2022-06-25"}).status_code == 403
    assert client.get(f"/chapters/{hamlet.chapter.id}/congress").status_code == 200
    db.session.expire_all()
    assert _congress().state == CongressState.RECORDED


def test_a_party_committee_of_another_commune_gets_404(setting, login, client, make_commune, make_user):
    district, _term, _commune, hamlet, _chief, recorder, _office = setting(official=8)
    login(recorder)
    _open(client, hamlet)
    congress = _congress()
    client.post("/logout")
    other = make_user(Role.PARTY_COMMITTEE, commune=make_commune("Bình Châu", district=district))
    login(other)
    assert client.get(f"/chapters/{hamlet.chapter.id}/congress").status_code == 404
    assert client.post(f"/chapters/congresses/{congress.id}/finish").status_code == 404
    assert client.get(f"/chapters/congresses/{congress.id}/minutes.pdf").status_code == 404
    assert "An Phú" not in client.get("/chapters/").get_data(as_text=True)


def test_chapters_list_shows_state_and_whether_the_chief_is_proposed(setting, login, client):
    *_, hamlet, _chief, recorder, _office = setting(official=8)
    login(recorder)
    page = client.get("/chapters/").get_data(as_text=True)
    assert "Chi bộ thôn An Phú" in page and "Chưa mở hồ sơ" in page
    _open(client, hamlet)
    page = client.get("/chapters/?q=truong").get_data(as_text=True)
    assert "Chi bộ thôn An Phú" in page and "Đang ghi nhận" in page and 'badge ok">Có' in page


def test_a_probationary_chief_is_proposed_but_cannot_be_on_a_ballot(setting, login, client):
    *_, hamlet, _chief, recorder, _office = setting(official=8, chief_member=PartyMembership.PROBATIONARY)
    login(recorder)
    _open(client, hamlet)
    congress = _congress()
    assert congress.chief_nominee.assessment().failed_hard == ("R-E6",)
    _attendance(client, congress.id, 8, 8)
    response = _ballot(client, congress.id, "chapter_secretary", {congress.chief_nominee.id: 8}, valid=8)
    assert "không đạt tiêu chuẩn bắt buộc R-E6" in response.get_data(as_text=True)


def test_api_records_a_congress_in_one_call(setting, client, make_person):
    *_, hamlet, chief, recorder, _office = setting(official=10)
    others = [make_person(f"Người {i}", hamlet) for i in range(3)]
    token = _token(recorder)
    body = {"held_on": CONGRESS_DAY.isoformat(),
            "attendance": {"official_members_convened": 10, "present": 9, "absent_with_approved_reason": 1,
                           "committee_seats": 3},
            # The names of the chapter posts before core.enums.Post ("committee_member") are still understood.
            "nominees": [{"person_id": p.id, "post": "committee_member"} for p in others],
            "ballots": [{"post": "chapter_committee_member", "valid": 9, "invalid": 0,
                         "votes": {str(chief.id): 9, str(others[0].id): 8, str(others[1].id): 7,
                                   str(others[2].id): 2}},
                        {"post": "chapter_secretary", "valid": 9, "invalid": 0, "votes": {str(chief.id): 9}},
                        {"post": "deputy_secretary", "valid": 9, "invalid": 0, "votes": {str(others[0].id): 6}}],
            "finish": True}
    response = client.post(f"/api/v1/chapters/{hamlet.chapter.id}/congress", json=body,
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["state"] == "recorded" and data["attendance"]["base"] == 9
    assert [(r["post"], r["person_id"]) for r in data["results"]] == [
        ("chapter_secretary", chief.id), ("chapter_deputy_secretary", others[0].id),
        ("chapter_committee_member", others[1].id)]
    listed = client.get("/api/v1/chapter-congresses", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert listed["items"][0]["congress"]["state"] == "recorded"
    bad = client.post(f"/api/v1/chapters/{hamlet.chapter.id}/congress",
                      json={"ballots": [{"post": "secretary", "valid": 9, "invalid": 0, "votes": {}}]},
                      headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422


def test_nominee_shows_an_approved_exception(setting, login, client, make_user):
    from candidates.models import CandidateList, ExceptionRequest, ProposedBy, RemediationPlan, RemedyKind
    from core.enums import Education

    _district, term, _commune, hamlet, chief, recorder, _office = setting(official=8)
    chief.education = Education.LOWER_SECONDARY
    candidate_list = CandidateList(term=term, hamlet=hamlet)
    db.session.add(candidate_list)
    candidacy = candidate_list.add(chief, ProposedBy.FRONT_COMMITTEE)
    db.session.flush()
    request = ExceptionRequest.file(candidacy, "Thôn thiếu người đủ chuẩn học vấn THPT để giới thiệu", recorder.id)
    request.filed_at = datetime(2022, 4, 25, 2, 0)  # before its decision of 01/05/2022 (R-X1)
    db.session.add(request)
    db.session.flush()
    request.approve(user_id=recorder.id, number="88-QĐ/HU", on=date(2022, 5, 1), signer="Bí thư",
                    notes="", plans=[RemediationPlan(rule="R-E4", kind=RemedyKind.TRAINING,
                                                     deadline=date(2024, 12, 31))])
    db.session.commit()
    login(recorder)
    _open(client, hamlet)
    page = client.get(f"/chapters/{hamlet.chapter.id}/congress").get_data(as_text=True)
    assert "88-QĐ/HU" in page and "R-E4" in page
    assert isinstance(_congress().chief_nominee, Nominee)
