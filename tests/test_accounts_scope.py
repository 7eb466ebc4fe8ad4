"""Accounts within scope (issue 16, part 1): a polling team's account reaches its own hamlet only; a commune committee
manages its own teams' accounts (create, edit, lock, one-time code), the district office its district's; a one-time
code works once and forces a new password; a term that is no longer current closes its teams' accounts; nothing
secret reaches the audit log; the printable sheet of a hamlet's logins."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
from conftest import PASSWORD
from factories_counting import UserClient, client_for

from core.accounts import ApiToken, LoginAttempt, LoginOutcome, Role, User, format_code, manages, normalise_code
from core.audit import AuditEntry
from core.vietnamese import utcnow
from extensions import db

NEW_PASSWORD = "mat-khau-moi-cua-to"
CODE = re.compile(r'id="one-time-code"[^>]*>([A-Z0-9-]+)<')


def code_on(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    found = CODE.search(response.get_data(as_text=True))
    assert found, "the page shows no one-time code"
    return found[1]


def fresh_client(app) -> UserClient:
    return UserClient(app.test_client())


def user_named(username: str) -> User:
    user = db.session.scalar(db.select(User).where(User.username == username))
    assert user is not None
    return user


def token_for(user: User) -> dict[str, str]:
    record, token = ApiToken.issue(user, "phone")
    db.session.add(record)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def communes(election, make_commune, make_user):
    """Bình Hải with two hamlets on election Sunday (An Phú, Phú Lộc) and its committee; Bình Trị (same district)
    with a hamlet, its committee and a team."""
    mine = election(households=10, present=8)
    sibling = election(households=10, present=8, commune=mine.hamlet.commune, hamlet_name="Phú Lộc")
    district = mine.hamlet.commune.district
    other_commune = make_commune("Bình Trị", district=district)
    other = election(households=10, present=8, commune=other_commune, hamlet_name="Tân Hy")
    office = make_user(Role.DISTRICT_OFFICE, district=district)
    return mine, sibling, other, office


# ---------------------------------------------------------------------------------------------------------
# Who manages whom: the pure function
# ---------------------------------------------------------------------------------------------------------

def _user(uid: int, role: Role, district: int | None = 1, commune: int | None = None, hamlet: int | None = None):
    return User(id=uid, username=f"u{uid}", full_name="x", role=role, district_id=district, commune_id=commune,
                hamlet_id=hamlet)


def test_manages_matrix():
    admin = _user(1, Role.ADMIN, district=None)
    office = _user(2, Role.DISTRICT_OFFICE)
    far_office = _user(3, Role.DISTRICT_OFFICE, district=2)
    committee = _user(4, Role.COMMUNE_COMMITTEE, commune=10)
    team = _user(5, Role.POLLING_TEAM, commune=10, hamlet=100)
    foreign_team = _user(6, Role.POLLING_TEAM, commune=11, hamlet=110)
    colleague = _user(7, Role.COMMUNE_COMMITTEE, commune=10)
    party = _user(8, Role.PARTY_COMMITTEE, commune=10)
    approver = _user(9, Role.APPROVING_AUTHORITY)
    other_admin = _user(10, Role.ADMIN, district=None)
    assert manages(admin, office) and manages(admin, team) and manages(admin, other_admin)
    assert manages(office, committee) and manages(office, team) and manages(office, approver)
    assert manages(office, _user(11, Role.DISTRICT_OFFICE))  # another account of the district office
    assert not manages(office, admin) and not manages(office, _user(12, Role.POLLING_TEAM, district=2, commune=20))
    assert not manages(far_office, team)
    assert manages(committee, team)
    assert not manages(committee, foreign_team) and not manages(committee, colleague) and not manages(committee, party)
    assert not manages(committee, office) and not manages(committee, admin)
    for role_user in (team, party, approver, _user(13, Role.OBSERVER)):
        assert not any(manages(role_user, other) for other in (team, foreign_team, committee, office))
    for user in (admin, office, committee, team):
        assert not manages(user, user)  # nobody through these pages


def test_codes_are_readable_and_normalised():
    from core.accounts import CODE_ALPHABET, CODE_LENGTH, new_code

    codes = {new_code() for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    assert format_code("ABCDEFGHJK") == "ABCDE-FGHJK"
    assert normalise_code(" abcde-fghjk ") == "ABCDEFGHJK"


# ---------------------------------------------------------------------------------------------------------
# A team account reaches its own hamlet only (page and API)
# ---------------------------------------------------------------------------------------------------------

def test_a_team_account_made_in_the_app_reaches_its_hamlet_only(app, communes):
    mine, sibling, _, _ = communes
    committee = client_for(app, mine.committee)
    response = committee.post(f"/communes/{mine.hamlet.commune_id}/teams",
                              data={"username": "tbc.anphu.3", "full_name": "Lê Thị Hồng Nhung",
                                    "hamlet_id": mine.hamlet.id})
    code = code_on(response)
    created = user_named("tbc.anphu.3")
    assert (created.role, created.hamlet_id, created.term_id) == (Role.POLLING_TEAM, mine.hamlet.id, mine.term.id)

    member = fresh_client(app)
    assert member.post("/login", data={"username": "tbc.anphu.3", "password": code}).status_code == 302
    assert member.post("/account/password", data={"new_password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD}).status_code == 302
    # Its own hamlet: check-in, count entry.
    assert member.get(f"/hamlets/{mine.hamlet.id}/checkin").status_code == 200
    assert member.get(f"/polls/{mine.poll.id}/count").status_code == 200
    # Another hamlet of the same commune: as if it did not exist.
    assert member.get(f"/hamlets/{sibling.hamlet.id}/checkin").status_code == 404
    assert member.get(f"/hamlets/{sibling.hamlet.id}/checkin/search?q=a").status_code == 404
    assert member.get(f"/polls/{sibling.poll.id}/count").status_code == 404
    assert member.post(f"/polls/{sibling.poll.id}/count", data={"ballots_issued": 1}).status_code == 404

    headers = token_for(user_named("tbc.anphu.3"))
    assert app.test_client().get(f"/api/v1/hamlets/{mine.hamlet.id}/turnout", headers=headers).status_code == 200
    assert app.test_client().get(f"/api/v1/polls/{mine.poll.id}/count-entries", headers=headers).status_code == 200
    api = app.test_client()
    assert api.get(f"/api/v1/hamlets/{sibling.hamlet.id}/turnout", headers=headers).status_code == 404
    assert api.get(f"/api/v1/polls/{sibling.poll.id}/count-entries", headers=headers).status_code == 404
    assert api.post(f"/api/v1/polls/{sibling.poll.id}/count-entries", headers=headers,
                    json={"ballots_issued": 8}).status_code in (403, 404)
    assert api.post(f"/api/v1/hamlets/{sibling.hamlet.id}/checkins", headers=headers,
                    json={"entry_id": 1}).status_code in (403, 404)


def test_the_team_form_requires_a_hamlet_of_the_commune(app, communes):
    mine, _, other, office = communes
    committee = client_for(app, mine.committee)
    url = f"/communes/{mine.hamlet.commune_id}/teams"
    for hamlet_id in (0, other.hamlet.id):  # none, another commune's
        page = committee.post(url, data={"username": "tbc.sai", "full_name": "Người Sai", "hamlet_id": hamlet_id})
        assert page.status_code == 200 and 'id="one-time-code"' not in page.get_data(as_text=True)
    assert db.session.scalar(db.select(User.id).where(User.username == "tbc.sai")) is None

    # The district office: a polling team needs a hamlet of the chosen commune.
    district = client_for(app, office)
    base = {"username": "tbc.huyen", "full_name": "Tổ bầu cử do huyện tạo", "role": "polling_team",
            "commune_id": mine.hamlet.commune_id}
    for hamlet_id in (0, other.hamlet.id):
        page = district.post("/users", data={**base, "hamlet_id": hamlet_id})
        assert "Tài khoản tổ bầu cử cần một thôn" in page.get_data(as_text=True)
    code_on(district.post("/users", data={**base, "hamlet_id": mine.hamlet.id}))
    made = user_named("tbc.huyen")
    assert (made.hamlet_id, made.commune_id, made.term_id) == (mine.hamlet.id, mine.hamlet.commune_id, mine.term.id)


# ---------------------------------------------------------------------------------------------------------
# A commune committee manages its own teams, and nobody else
# ---------------------------------------------------------------------------------------------------------

def test_a_committee_manages_its_own_teams(app, communes):
    mine, sibling, _, _ = communes
    committee = client_for(app, mine.committee)
    team = mine.team_a
    page = committee.get(f"/communes/{mine.hamlet.commune_id}/teams")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert team.username in html and f"/users/{team.id}/reset" in html and "data-confirm" in html
    assert committee.get(f"/communes/{mine.hamlet.commune_id}/teams?q={team.username}").status_code == 200
    assert f"/communes/{mine.hamlet.commune_id}/teams" in committee.get("/people").get_data(as_text=True)  # nav

    assert committee.get(f"/users/{team.id}/edit").status_code == 200
    # The role cannot be changed by a commune committee: a posted role is ignored.
    response = committee.post(f"/users/{team.id}/edit", data={"full_name": "Trần Văn Mới", "role": "district_office",
                                                              "hamlet_id": sibling.hamlet.id})
    assert response.status_code == 302
    db.session.refresh(team)
    assert (team.full_name, team.role, team.hamlet_id, team.term_id) == ("Trần Văn Mới", Role.POLLING_TEAM,
                                                                         sibling.hamlet.id, mine.term.id)

    member = client_for(app, team)
    assert committee.post(f"/users/{team.id}/toggle").status_code == 302
    db.session.refresh(team)
    assert not team.active
    assert member.get("/").status_code == 302  # its open session ended with the lock
    assert fresh_client(app).post("/login", data={"username": team.username, "password": PASSWORD}).status_code == 200
    assert committee.post(f"/users/{team.id}/reset").status_code == 409  # unlock first
    assert committee.post(f"/users/{team.id}/toggle").status_code == 302
    db.session.refresh(team)
    assert team.active
    code_on(committee.post(f"/users/{team.id}/reset"))


def test_a_committee_cannot_touch_other_accounts(app, communes, make_user):
    mine, _, other, office = communes
    committee = client_for(app, mine.committee)
    colleague = make_user(Role.COMMUNE_COMMITTEE, commune=mine.hamlet.commune)
    party = make_user(Role.PARTY_COMMITTEE, commune=mine.hamlet.commune)
    for target in (other.team_a, other.committee, office, colleague, party, mine.committee):
        assert committee.get(f"/users/{target.id}/edit").status_code == 404, target.role
        assert committee.post(f"/users/{target.id}/edit", data={"full_name": "X", "hamlet_id": 0}).status_code == 404
        assert committee.post(f"/users/{target.id}/toggle").status_code == 404
        assert committee.post(f"/users/{target.id}/reset").status_code == 404
    assert committee.get("/users/2000000000/edit").status_code == 404
    assert committee.get(f"/communes/{other.hamlet.commune_id}/teams").status_code == 404
    assert committee.get(f"/hamlets/{other.hamlet.id}/team-logins.pdf").status_code == 404
    assert committee.get("/users").status_code == 403  # the district office's page
    db.session.refresh(other.team_a)
    assert other.team_a.active and other.team_a.check_password(PASSWORD)


def test_the_district_office_manages_its_district_but_not_the_admin(app, communes, make_user, make_commune):
    mine, _, other, office = communes
    admin = make_user(Role.ADMIN)
    far_team = make_user(Role.POLLING_TEAM, commune=make_commune("Ba Thành"))
    district = client_for(app, office)
    users = district.get("/users").get_data(as_text=True)
    assert f"/users/{other.team_a.id}/reset" in users and f"/users/{mine.committee.id}/edit" in users
    assert f"/users/{office.id}/reset" not in users and f"/users/{admin.id}/edit" not in users
    assert f"/communes/{other.hamlet.commune_id}/teams" in users
    for target in (other.team_a, mine.committee, make_user(Role.APPROVING_AUTHORITY, district=office.district)):
        assert district.get(f"/users/{target.id}/edit").status_code == 200
    assert district.get(f"/communes/{mine.hamlet.commune_id}/teams").status_code == 200
    for target in (admin, far_team, office):
        assert district.get(f"/users/{target.id}/edit").status_code == 404
        assert district.post(f"/users/{target.id}/reset").status_code == 404
    # Moving a committee member to the polling team of a hamlet: the hamlet and the term come with it.
    response = district.post(f"/users/{mine.committee.id}/edit", data={
        "full_name": "Phạm Đức Thắng", "role": "polling_team", "commune_id": mine.hamlet.commune_id,
        "hamlet_id": mine.hamlet.id})
    assert response.status_code == 302
    moved = db.session.get(User, mine.committee.id)
    assert (moved.role, moved.hamlet_id, moved.term_id) == (Role.POLLING_TEAM, mine.hamlet.id, mine.term.id)


@pytest.mark.parametrize("role", [Role.POLLING_TEAM, Role.PARTY_COMMITTEE, Role.OBSERVER, Role.APPROVING_AUTHORITY])
def test_other_roles_reach_no_account_page(app, communes, make_user, role):
    mine, *_ = communes
    user = make_user(role, commune=mine.hamlet.commune if role in (Role.POLLING_TEAM, Role.PARTY_COMMITTEE) else None,
                     district=mine.hamlet.commune.district)
    client = client_for(app, user)
    target = mine.team_b
    assert client.get(f"/communes/{mine.hamlet.commune_id}/teams").status_code == 403
    assert client.get(f"/users/{target.id}/edit").status_code == 403
    assert client.post(f"/users/{target.id}/toggle").status_code == 403
    assert client.post(f"/users/{target.id}/reset").status_code == 403
    assert client.get(f"/hamlets/{mine.hamlet.id}/team-logins.pdf").status_code == 403


def test_every_account_form_needs_its_csrf_token(app, communes):
    mine, *_ = communes
    committee = client_for(app, mine.committee)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        team = mine.team_a
        for url, data in ((f"/users/{team.id}/reset", {}), (f"/users/{team.id}/toggle", {}),
                          (f"/users/{team.id}/edit", {"full_name": "X", "hamlet_id": mine.hamlet.id}),
                          (f"/communes/{mine.hamlet.commune_id}/teams",
                           {"username": "tbc.csrf", "full_name": "X", "hamlet_id": mine.hamlet.id})):
            assert committee.post(url, data=data).status_code == 400, url
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.refresh(team)
    assert team.active and team.check_password(PASSWORD) and team.full_name != "X"


# ---------------------------------------------------------------------------------------------------------
# One-time codes
# ---------------------------------------------------------------------------------------------------------

def test_a_reset_code_works_once_and_forces_a_new_password(app, communes):
    mine, sibling, _, _ = communes
    team = mine.team_a
    headers = token_for(team)
    before = client_for(app, team)  # a session opened with the old password
    committee = client_for(app, mine.committee)
    code = code_on(committee.post(f"/users/{team.id}/reset"))

    assert before.get(f"/hamlets/{mine.hamlet.id}/checkin").status_code == 302  # sessions revoked
    assert app.test_client().get("/api/v1/communes", headers=headers).status_code == 401  # tokens too
    old = fresh_client(app).post("/login", data={"username": team.username, "password": PASSWORD})
    assert old.status_code == 200 and "không đúng" in old.get_data(as_text=True)

    member = fresh_client(app)
    # Typed in lower case without the dash: still the code.
    response = member.post("/login", data={"username": team.username, "password": code.replace("-", "").lower()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    # Every page leads to the password page until a password is chosen; the API refuses a new token meanwhile.
    for url in ("/", f"/hamlets/{mine.hamlet.id}/checkin", "/account/tokens"):
        moved = member.get(url)
        assert moved.status_code == 302 and moved.headers["Location"].endswith("/account/password"), url
    db.session.refresh(team)
    assert team.must_change_password and team.reset_code_hash is None
    assert app.test_client().get("/api/v1/communes", headers=token_for(team)).status_code == 401
    page = member.get("/account/password").get_data(as_text=True)
    assert "Đặt mật khẩu mới" in page and "current_password" not in page
    short = member.post("/account/password", data={"new_password": "ngan", "confirm": "ngan"})
    assert short.status_code == 200
    done = member.post("/account/password", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    home = member.get("/")
    assert home.status_code == 302 and f"/hamlets/{mine.hamlet.id}/election" in home.headers["Location"]
    assert member.get(f"/hamlets/{mine.hamlet.id}/checkin").status_code == 200
    assert member.get(f"/hamlets/{sibling.hamlet.id}/checkin").status_code == 404

    again = fresh_client(app).post("/login", data={"username": team.username, "password": code})
    assert again.status_code == 200 and "Tên đăng nhập hoặc mật khẩu không đúng." in again.get_data(as_text=True)
    assert fresh_client(app).post("/login", data={"username": team.username,
                                                  "password": NEW_PASSWORD}).status_code == 302
    outcomes = db.session.scalars(db.select(LoginAttempt.outcome).where(LoginAttempt.username == team.username)
                                  .order_by(LoginAttempt.id)).all()
    assert outcomes[-4:] == [LoginOutcome.FAILED, LoginOutcome.OK, LoginOutcome.FAILED, LoginOutcome.OK]


def test_an_expired_code_fails_like_a_wrong_password_and_is_throttled(app, communes):
    mine, *_ = communes
    team = mine.team_b
    code = team.issue_code()
    team.reset_code_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client = fresh_client(app)
    response = client.post("/login", data={"username": team.username, "password": code})
    assert response.status_code == 200 and "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    db.session.refresh(team)
    assert team.reset_code_hash is not None  # an expired code is not taken either: it simply fails

    # A fresh code after five failures of that name from this address: the throttle answers before the code.
    code = team.issue_code()
    db.session.commit()
    for _ in range(5):
        client.post("/login", data={"username": team.username, "password": "ABCDE-FGHJK"})
    assert client.post("/login", data={"username": team.username, "password": code}).status_code == 429


def test_a_team_account_of_a_past_term_cannot_log_in(app, communes, make_term):
    mine, *_ = communes
    team = mine.team_a
    team.term_id = mine.term.id
    db.session.commit()
    session = client_for(app, team)
    headers = token_for(team)
    assert session.get(f"/hamlets/{mine.hamlet.id}/checkin").status_code == 200
    mine.term.is_current = False
    new_term = make_term(mine.hamlet.commune.district, election_day=date(2025, 11, 23), name="2025–2030")
    assert session.get(f"/hamlets/{mine.hamlet.id}/checkin").status_code == 302  # the open session ended
    assert app.test_client().get("/api/v1/communes", headers=headers).status_code == 401
    refused = fresh_client(app).post("/login", data={"username": team.username, "password": PASSWORD})
    assert refused.status_code == 200
    assert "thuộc nhiệm kỳ 2022–2025, nay không còn là nhiệm kỳ hiện hành" in refused.get_data(as_text=True)
    # The committee moves the account to the current term by saving it.
    committee = client_for(app, mine.committee)
    assert committee.post(f"/users/{team.id}/edit", data={"full_name": team.full_name,
                                                          "hamlet_id": mine.hamlet.id}).status_code == 302
    db.session.refresh(team)
    assert team.term_id == new_term.id
    assert fresh_client(app).post("/login", data={"username": team.username, "password": PASSWORD}).status_code == 302


def test_accounts_are_audited_without_secrets(app, communes):
    mine, *_ = communes
    committee = client_for(app, mine.committee)
    code = code_on(committee.post(f"/communes/{mine.hamlet.commune_id}/teams", data={
        "username": "tbc.audit", "full_name": "Võ Thị Mỹ Lệ", "hamlet_id": mine.hamlet.id}))
    user = user_named("tbc.audit")
    hashes = {user.password_hash, user.reset_code_hash}
    second = code_on(committee.post(f"/users/{user.id}/reset"))
    db.session.refresh(user)
    hashes |= {user.password_hash, user.reset_code_hash}
    member = fresh_client(app)
    member.post("/login", data={"username": "tbc.audit", "password": second})
    member.post("/account/password", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    committee.post(f"/users/{user.id}/toggle")
    db.session.refresh(user)
    hashes.add(user.password_hash)
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.record_type == "User",
                                                             AuditEntry.record_id == str(user.id))).all()
    summaries = " | ".join(e.summary for e in entries)
    for expected in ("Tạo tài khoản tổ bầu cử tbc.audit", "Cấp mã đăng nhập dùng một lần cho tbc.audit",
                     "Đăng nhập bằng mã dùng một lần: tbc.audit", "Đặt mật khẩu mới sau mã dùng một lần: tbc.audit",
                     "Khóa tài khoản tbc.audit"):
        assert expected in summaries
    everything = " ".join(f"{e.summary} {e.before} {e.after}" for e in db.session.scalars(db.select(AuditEntry)))
    for secret in {code, second, code.replace("-", ""), second.replace("-", ""), NEW_PASSWORD} | hashes:
        assert secret and secret not in everything


# ---------------------------------------------------------------------------------------------------------
# The printable sheet of a hamlet's team logins
# ---------------------------------------------------------------------------------------------------------

def test_the_team_logins_sheet_prints_in_vietnamese_without_secrets(app, communes):
    mine, sibling, _, _ = communes
    committee = client_for(app, mine.committee)
    code = code_on(committee.post(f"/communes/{mine.hamlet.commune_id}/teams", data={
        "username": "tbc.nguyet", "full_name": "Nguyễn Thị Ánh Nguyệt", "hamlet_id": mine.hamlet.id}))
    page = committee.get(f"/communes/{mine.hamlet.commune_id}/teams").get_data(as_text=True)
    assert f"/hamlets/{mine.hamlet.id}/team-logins.pdf" in page and f"/hamlets/{sibling.hamlet.id}/team-logins.pdf" in page
    response = committee.get(f"/hamlets/{mine.hamlet.id}/team-logins.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = pdfium.PdfDocument(io.BytesIO(response.data))
    text = " ".join(" ".join(page.get_textpage().get_text_bounded().split()) for page in pdf)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "UBND XÃ BÌNH HẢI",
                     "DANH SÁCH TÀI KHOẢN TỔ BẦU CỬ", "Thôn An Phú, Xã Bình Hải, nhiệm kỳ 2022–2025",
                     "Nguyễn Thị Ánh Nguyệt", "tbc.nguyet", "Tổ bầu cử thôn, TDP", "Đơn vị: Thôn An Phú, Xã Bình Hải",
                     "http://localhost/login", "Cách đăng nhập lần đầu", "mã dùng một lần"):
        assert expected in text, expected
    squeezed = "".join(text.split())  # a long username or state may wrap in its cell
    assert "Chờđăngnhậplầnđầu" in squeezed
    assert mine.team_a.username in squeezed and sibling.team_a.username not in squeezed
    for secret in (code, code.replace("-", ""), PASSWORD):
        assert secret not in text
