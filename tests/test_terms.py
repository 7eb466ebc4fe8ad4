"""Terms: the election day must be a Sunday (R-V4); the R-V2 timeline."""
from __future__ import annotations

from core.accounts import Role
from core.models import Term
from extensions import db


def _form(**changes) -> dict:
    data = {"name": "2025–2030", "starts_on": "2025-11-23", "ends_on": "2030-11-23", "length_months": "60",
            "election_day": "2025-11-23", "is_current": "y"}
    data.update(changes)
    return data


def test_sunday_election_day_is_accepted(make_district, make_user, login, client):
    district = make_district()
    login(make_user(Role.DISTRICT_OFFICE, district=district))
    assert client.post("/terms/new", data=_form()).status_code == 302
    term = db.session.scalar(db.select(Term))
    assert term.election_day.isoformat() == "2025-11-23" and term.district_id == district.id


def test_saturday_election_day_is_refused(make_district, make_user, login, client):
    login(make_user(Role.DISTRICT_OFFICE, district=make_district()))
    response = client.post("/terms/new", data=_form(election_day="2025-11-22"))
    assert response.status_code == 200
    assert "phải là Chủ nhật" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Term.id))) == 0


def test_timeline_shows_r_v2_deadlines(make_term, make_user, login, client):
    term = make_term()
    login(make_user(Role.DISTRICT_OFFICE, district=term.district))
    page = client.get("/terms").get_data(as_text=True)
    assert "02/05/2022" in page  # decision: 20 days before 22/05/2022
    assert "12/05/2022" in page  # election team: 10 days before
    assert "15/05/2022" in page  # public notice: 7 days before


def test_only_one_current_term(make_term, make_user, login, client):
    old = make_term()
    login(make_user(Role.DISTRICT_OFFICE, district=old.district))
    client.post("/terms/new", data=_form())
    db.session.refresh(old)
    assert old.is_current is False
