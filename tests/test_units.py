"""Renames and mergers keep history; the approving authority is configurable per district."""
from __future__ import annotations

from core.accounts import Role
from core.enums import Post
from core.models import Hamlet, Household, Person, Position, UnitEvent
from extensions import db


def test_renaming_a_hamlet_records_the_old_name(make_hamlet, make_user, login, client):
    hamlet = make_hamlet("An Phú")
    login(make_user(Role.DISTRICT_OFFICE, district=hamlet.commune.district))
    response = client.post(f"/hamlets/{hamlet.id}/rename", data={
        "new_name": "An Phú Đông", "effective_on": "2025-07-01", "decision": "Nghị quyết 12/NQ-HĐND"})
    assert response.status_code == 302
    db.session.refresh(hamlet)
    assert hamlet.name == "An Phú Đông"
    event = db.session.scalar(db.select(UnitEvent))
    assert (event.old_name, event.new_name, event.kind) == ("An Phú", "An Phú Đông", "rename")


def test_merging_hamlets_keeps_the_old_units_and_their_positions(make_commune, make_hamlet, make_person, make_user,
                                                                 login, client):
    from datetime import date

    commune = make_commune()
    first = make_hamlet("Tân Hy", commune=commune, households=3, official_members=6)
    second = make_hamlet("Tân Hòa", commune=commune, households=2, official_members=5)
    chief = make_person("Lê Văn Chín", hamlet=first)
    db.session.add(Position(hamlet=first, person=chief, post=Post.HAMLET_CHIEF, started_on=date(2022, 6, 1)))
    db.session.commit()
    login(make_user(Role.DISTRICT_OFFICE, district=commune.district))
    response = client.post(f"/communes/{commune.id}/merge", data={
        "sources": [first.id, second.id], "new_name": "Tân Hy Hòa", "kind": "hamlet", "code": "TXH1",
        "effective_on": "2025-07-01", "decision": "Nghị quyết 35/NQ-HĐND"})
    assert response.status_code == 302, response.get_data(as_text=True)
    target = db.session.scalar(db.select(Hamlet).where(Hamlet.code == "TXH1"))
    db.session.refresh(first)
    assert first.merged_into_id == target.id and first.ended_on == date(2025, 7, 1)
    assert db.session.scalar(db.select(db.func.count(Household.id)).where(Household.hamlet_id == target.id)) == 5
    assert db.session.get(Person, chief.id).hamlet_id == target.id
    position = db.session.scalar(db.select(Position))
    assert position.hamlet_id == first.id  # history keeps the post in the old hamlet
    assert target.chapter.official_members == 11
    assert db.session.scalar(db.select(db.func.count(UnitEvent.id))) == 2


def test_merging_across_communes_is_refused(make_commune, make_hamlet, make_user, login, client):
    commune = make_commune()
    first = make_hamlet("Một", commune=commune)
    other = make_hamlet("Hai")
    login(make_user(Role.DISTRICT_OFFICE, district=commune.district))
    response = client.post(f"/communes/{commune.id}/merge", data={
        "sources": [first.id, other.id], "new_name": "Gộp", "kind": "hamlet", "code": "G1",
        "effective_on": "2025-07-01", "decision": "NQ"})
    assert response.status_code == 200  # the other commune's hamlet is not even a choice
    assert db.session.scalar(db.select(db.func.count(Hamlet.id)).where(Hamlet.code == "G1")) == 0


def test_district_office_configures_the_approving_authority(make_district, make_user, login, client):
    district = make_district()
    login(make_user(Role.DISTRICT_OFFICE, district=district))
    response = client.post("/district", data={"approver_name": "Ban Thường vụ Đảng ủy xã", "approver_level": "commune"})
    assert response.status_code == 302
    db.session.refresh(district)
    assert (district.approver_name, district.approver_level) == ("Ban Thường vụ Đảng ủy xã", "commune")
