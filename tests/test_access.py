"""Access is declared on every route, and a commune user never reaches another commune's records."""
from __future__ import annotations

import pytest

from core.access import BUILTIN_PUBLIC
from core.accounts import ApiToken, Role
from extensions import db


def test_every_route_declares_access(app):
    undeclared = [
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint not in BUILTIN_PUBLIC and getattr(app.view_functions[rule.endpoint], "access", None) is None
    ]
    assert undeclared == []


def test_undeclared_route_is_refused(app, client):
    app.add_url_rule("/undeclared-test", "undeclared_test", lambda: "secret")
    assert client.get("/undeclared-test").status_code == 403


def test_pages_require_login(client):
    response = client.get("/communes")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_api_requires_token_not_cookie(client, make_user, login):
    user = make_user(Role.DISTRICT_OFFICE)
    login(user)
    response = client.get("/api/v1/communes")  # session cookie alone is not accepted by the API
    assert response.status_code == 401
    assert "error" in response.get_json()


@pytest.fixture
def two_communes(make_commune, make_district, make_hamlet, make_person):
    district = make_district()
    mine = make_commune("Bình Hải", district=district)
    other = make_commune("Bình Trị", district=district)
    my_hamlet = make_hamlet("An Phú", commune=mine, households=2)
    other_hamlet = make_hamlet("Tân Hy", commune=other, households=2)
    other_person = make_person("Trần Thị Bình", hamlet=other_hamlet)
    return district, mine, other, my_hamlet, other_hamlet, other_person


COMMUNE_ROLES = [Role.COMMUNE_COMMITTEE, Role.POLLING_TEAM, Role.PARTY_COMMITTEE]


@pytest.mark.parametrize("role", COMMUNE_ROLES)
def test_commune_user_cannot_reach_other_commune_pages(role, two_communes, make_user, login, client):
    _, mine, other, my_hamlet, other_hamlet, other_person = two_communes
    login(make_user(role, commune=mine))
    assert client.get(f"/communes/{mine.id}").status_code == 200
    assert client.get(f"/communes/{other.id}").status_code == 404
    assert client.get(f"/hamlets/{other_hamlet.id}").status_code == 404
    assert client.get(f"/people/{other_person.id}").status_code == 404
    listing = client.get("/communes").get_data(as_text=True)
    assert "Bình Hải" in listing and "Bình Trị" not in listing
    people = client.get("/people?q=tran thi binh").get_data(as_text=True)
    assert "Trần Thị Bình" not in people


@pytest.mark.parametrize("role", COMMUNE_ROLES)
def test_commune_user_cannot_reach_other_commune_api(role, two_communes, make_user, client):
    _, mine, other, my_hamlet, other_hamlet, other_person = two_communes
    user = make_user(role, commune=mine)
    record, token = ApiToken.issue(user, "test")
    db.session.add(record)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/communes/{mine.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/communes/{other.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/hamlets/{other_hamlet.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/people/{other_person.id}", headers=headers).status_code == 404
    names = [c["name"] for c in client.get("/api/v1/communes", headers=headers).get_json()["items"]]
    assert names == ["Bình Hải"]
    hamlets = client.get("/api/v1/hamlets", headers=headers).get_json()["items"]
    assert {h["name"] for h in hamlets} == {"An Phú"}


def test_district_office_sees_all_communes_of_its_district_only(two_communes, make_commune, make_user, login, client):
    district, mine, other, *_ = two_communes
    foreign = make_commune("Ba Thành")  # another district
    login(make_user(Role.DISTRICT_OFFICE, district=district))
    assert client.get(f"/communes/{mine.id}").status_code == 200
    assert client.get(f"/communes/{other.id}").status_code == 200
    assert client.get(f"/communes/{foreign.id}").status_code == 404


def test_polling_team_with_hamlet_sees_only_its_hamlet(two_communes, make_hamlet, make_user, login, client):
    _, mine, _, my_hamlet, *_ = two_communes
    sibling = make_hamlet("Phú Long", commune=mine)
    login(make_user(Role.POLLING_TEAM, commune=mine, hamlet=my_hamlet))
    assert client.get(f"/hamlets/{my_hamlet.id}").status_code == 200
    assert client.get(f"/hamlets/{sibling.id}").status_code == 404


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.POLLING_TEAM, Role.PARTY_COMMITTEE, Role.APPROVING_AUTHORITY])
def test_read_only_roles_cannot_edit_people(role, two_communes, make_user, login, client):
    district, mine, other, my_hamlet, other_hamlet, other_person = two_communes
    commune = mine if role in COMMUNE_ROLES else None
    login(make_user(role, district=district, commune=commune))
    assert client.get("/people/new").status_code == 403


def test_only_district_office_manages_users(two_communes, make_user, login, client):
    _, mine, *_ = two_communes
    login(make_user(Role.COMMUNE_COMMITTEE, commune=mine))
    assert client.get("/users").status_code == 403


def test_district_office_creates_a_commune_level_approving_authority(two_communes, make_user, login, client):
    district, mine, *_ = two_communes
    login(make_user(Role.DISTRICT_OFFICE, district=district))
    response = client.post("/users", data={"username": "btv.binhhai", "full_name": "Ban Thường vụ Đảng ủy xã",
                                           "role": "approving_authority", "commune_id": mine.id, "hamlet_id": 0})
    assert response.status_code == 200
    assert "Mã đăng nhập dùng một lần" in response.get_data(as_text=True)  # no typed password: a one-time code
    from core.accounts import User

    created = db.session.scalar(db.select(User).where(User.username == "btv.binhhai"))
    assert (created.role, created.commune_id, created.district_id) == (Role.APPROVING_AUTHORITY, mine.id, district.id)


def test_revoked_expired_and_inactive_tokens_are_refused(make_user, client):
    from datetime import timedelta

    from core.vietnamese import utcnow

    user = make_user(Role.DISTRICT_OFFICE)
    records = {}
    for case in ("ok", "revoked", "expired", "inactive"):
        holder = make_user(Role.DISTRICT_OFFICE, district=user.district) if case == "inactive" else user
        records[case] = ApiToken.issue(holder, case)
        db.session.add(records[case][0])
    records["revoked"][0].revoked = True
    records["expired"][0].expires_at = utcnow() - timedelta(minutes=1)
    records["inactive"][0].user.active = False
    db.session.commit()
    codes = {case: client.get("/api/v1/communes", headers={"Authorization": f"Bearer {token}"}).status_code
             for case, (_, token) in records.items()}
    assert codes == {"ok": 200, "revoked": 401, "expired": 401, "inactive": 401}
    assert client.get("/api/v1/communes", headers={"Authorization": "Bearer dt_not-a-token"}).status_code == 401


def test_token_user_carries_scope_columns_and_loads_the_rest(app, make_user):
    from core.accounts import TokenUser, user_for_token

    user = make_user(Role.POLLING_TEAM)
    record, token = ApiToken.issue(user, "phone")
    db.session.add(record)
    db.session.commit()
    found = user_for_token(token)
    assert isinstance(found, TokenUser)
    assert (found.id, found.role, found.commune_id, found.username) == (user.id, Role.POLLING_TEAM, user.commune_id,
                                                                        user.username)
    assert found.scope_label == user.scope_label  # not a column: read from the full record
    with pytest.raises(AttributeError):
        found.role = Role.ADMIN
