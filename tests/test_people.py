"""People registry: citizen-ID validation, NFC input, search without diacritics."""
from __future__ import annotations

import unicodedata
from datetime import UTC, date

import pytest

from core.accounts import ApiToken, Role
from core.citizen_id import citizen_id_problem, make_citizen_id
from core.enums import Sex
from core.models import Person
from core.vietnamese import fold, format_date, local_date, local_time
from extensions import db


@pytest.mark.parametrize("value, ok", [
    ("051070000123", True),
    ("05107000012", False),  # 11 digits
    ("0510700001234", False),  # 13 digits
    ("05107000012A", False),
    ("999070000123", False),  # no such province code
])
def test_citizen_id_shape(value, ok):
    assert (citizen_id_problem(value) is None) is ok


def test_citizen_id_must_match_birth_year_and_sex():
    number = make_citizen_id("051", date(1985, 6, 1), "female", 42)
    assert number[3] == "1" and number[4:6] == "85"
    assert citizen_id_problem(number, date(1985, 6, 1), "female") is None
    assert citizen_id_problem(number, date(1986, 6, 1), "female") is not None
    assert citizen_id_problem(number, date(1985, 6, 1), "male") is not None
    born_2003 = make_citizen_id("051", date(2003, 1, 1), "male", 7)
    assert born_2003[3] == "2" and citizen_id_problem(born_2003, date(2003, 1, 1), "male") is None


def test_fold_removes_diacritics_and_d_stroke():
    assert fold("Nguyễn Văn Đức") == "nguyen van duc"
    assert fold(unicodedata.normalize("NFD", "Đặng Thị Ánh Tuyết")) == "dang thi anh tuyet"


def _form(person_hamlet_id: int, **changes) -> dict:
    data = {"full_name": "Nguyễn Văn A", "birth_date": "1980-04-30", "sex": "male",
            "citizen_id": make_citizen_id("051", date(1980, 4, 30), "male", 555), "hamlet_id": person_hamlet_id,
            "education": "upper_secondary", "political_theory": "none", "party_member": "none", "fit_for_term": "y"}
    data.update(changes)
    return data


@pytest.fixture
def committee(make_hamlet, make_user, login):
    hamlet = make_hamlet("An Phú")
    login(make_user(Role.COMMUNE_COMMITTEE, commune=hamlet.commune))
    return hamlet


def test_registering_a_person_normalises_the_name_to_nfc(committee, client):
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Văn   Ước")
    response = client.post("/people/new", data=_form(committee.id, full_name=decomposed))
    assert response.status_code == 302
    person = db.session.scalar(db.select(Person))
    assert person.full_name == "Nguyễn Văn Ước" and unicodedata.is_normalized("NFC", person.full_name)
    assert person.name_folded == "nguyen van uoc"


def test_invalid_citizen_id_is_refused_with_a_vietnamese_message(committee, client):
    response = client.post("/people/new", data=_form(committee.id, citizen_id="12345"))
    assert response.status_code == 200
    assert "12 chữ số" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 0


def test_citizen_id_of_another_birth_year_is_refused(committee, client):
    response = client.post("/people/new", data=_form(committee.id, birth_date="1981-04-30"))
    assert "không khớp năm sinh" in response.get_data(as_text=True)


def test_duplicate_citizen_id_is_refused(committee, client, make_person):
    existing = make_person("Trần Văn B", hamlet=committee)
    response = client.post("/people/new", data=_form(committee.id, citizen_id=existing.citizen_id,
                                                      birth_date=existing.birth_date.isoformat()))
    assert "đã có trong sổ đăng ký" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 1


def test_search_without_diacritics_finds_the_person(make_person, make_user, login, client):
    person = make_person("Nguyễn Văn A")
    make_person("Trần Thị Bé", hamlet=person.hamlet)
    login(make_user(Role.COMMUNE_COMMITTEE, commune=person.hamlet.commune))
    page = client.get("/people?q=nguyen van a").get_data(as_text=True)
    assert "Nguyễn Văn A" in page and "Trần Thị Bé" not in page
    assert "Nguyễn Văn A" in client.get("/people?q=NGUYỄN văn").get_data(as_text=True)
    by_id = client.get(f"/people?q={person.citizen_id}").get_data(as_text=True)
    assert "Nguyễn Văn A" in by_id


def test_api_search_without_diacritics(make_person, make_user, client):
    person = make_person("Đặng Văn Ước")
    user = make_user(Role.DISTRICT_OFFICE, district=person.hamlet.commune.district)
    record, token = ApiToken.issue(user, "t")
    db.session.add(record)
    db.session.commit()
    items = client.get("/api/v1/people?q=dang van uoc", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [p["full_name"] for p in items["items"]] == ["Đặng Văn Ước"]


def test_people_list_is_paginated(make_hamlet, make_person, make_user, login, client, app):
    hamlet = make_hamlet()
    for i in range(app.config["PER_PAGE"] + 5):
        make_person(f"Người Số {i:03d}", hamlet=hamlet)
    login(make_user(Role.DISTRICT_OFFICE, district=hamlet.commune.district))
    first = client.get("/people").get_data(as_text=True)
    second = client.get("/people?page=2").get_data(as_text=True)
    assert "Người Số 000" in first and "Người Số 054" not in first
    assert "Người Số 054" in second


def test_stored_moments_are_shown_in_vietnam_time():
    from datetime import datetime

    at = datetime(2026, 11, 28, 19, 44)  # naive UTC, as app.utcnow stores it: 02:44 on the 29th in Vietnam
    assert local_time(at) == "29/11/2026 02:44"
    assert format_date(at) == "29/11/2026" and local_date(at).isoformat() == "2026-11-29"
    assert format_date(at.date()) == "28/11/2026"  # a calendar date is shown as it is
    assert format_date(None) == "" and local_time(None) == ""


def test_today_is_vietnam_s_day_whatever_the_server_zone(monkeypatch):
    from datetime import date, datetime

    import core.vietnamese as vietnamese

    class Clock(datetime):  # the server's clock at 23:30 UTC on Saturday: 06:30 on Sunday in Vietnam
        @classmethod
        def now(cls, tz=None):
            moment = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    monkeypatch.setattr(vietnamese, "datetime", Clock)
    assert vietnamese.vietnam_today() == date(2026, 11, 29)
    assert vietnamese.vietnam_today(datetime(2026, 11, 28, 16, 59)) == date(2026, 11, 28)  # 23:59 in Vietnam
    assert vietnamese.vietnam_today(datetime(2026, 11, 28, 17, 0)) == date(2026, 11, 29)  # midnight there


def test_a_polling_team_reaches_its_hamlet_s_election_pages_from_home(make_hamlet, make_term, make_user, login,
                                                                      client):
    hamlet = make_hamlet("Phước Thiện")
    make_term(hamlet.commune.district)
    login(make_user(Role.POLLING_TEAM, commune=hamlet.commune, hamlet=hamlet))
    home = client.get("/")  # the team's home is its hamlet's poll page (before any poll: the page to open it)
    assert home.status_code == 302 and home.headers["Location"].endswith(f"/hamlets/{hamlet.id}/election")
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    for path in (f"/hamlets/{hamlet.id}/election", f"/hamlets/{hamlet.id}/checkin?round_no=1",
                 f"/ballots/hamlets/{hamlet.id}/accounting?round_no=1"):
        assert f'href="{path}' in home, path
    assert client.get(f"/ballots/hamlets/{hamlet.id}/accounting").status_code == 200


def test_english_pages_show_enum_labels_in_english(make_hamlet, make_person, make_user, login, client):
    hamlet = make_hamlet("Phước Thiện")
    woman = make_person("Trần Thị Bé", hamlet=hamlet, sex=Sex.FEMALE)
    login(make_user(Role.DISTRICT_OFFICE, district=hamlet.commune.district))
    client.get("/lang/en")
    person = client.get(f"/people/{woman.id}").get_data(as_text=True)
    assert "Female" in person and ">Nữ<" not in person
    users = client.get("/users").get_data(as_text=True)
    assert "Organisation–Interior office" in users  # the role column and the role select
    client.get("/lang/vi")
    assert ">Nữ<" in client.get(f"/people/{woman.id}").get_data(as_text=True)
