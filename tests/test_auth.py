"""Login throttling that a third party cannot turn against a user, sessions revoked on the server, API tokens listed
and revoked within scope (issue 14, parts 1 and 3)."""
from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta

import pytest
from conftest import PASSWORD

from app import create_app
from core.accounts import ApiToken, LoginAttempt, LoginOutcome, Role, User
from core.audit import AuditEntry
from core.throttle import FailureCounts, ThrottlePolicy, growing_delay, login_wait
from core.vietnamese import utcnow
from extensions import db

A = {"REMOTE_ADDR": "203.0.113.10"}
B = {"REMOTE_ADDR": "198.51.100.20"}


def post_login(client, username: str, password: str, environ: dict | None = None):
    return client.post("/login", data={"username": username, "password": password}, environ_base=environ or A)


# --------------------------------------------------------------------------------------------------------------
# The rule, pure
# --------------------------------------------------------------------------------------------------------------

def test_delay_grows_after_the_free_failures_up_to_the_cap():
    cap = timedelta(minutes=15)
    assert [growing_delay(n, 5, cap).total_seconds() for n in range(4, 10)] == [0, 1, 2, 4, 8, 16]
    assert growing_delay(40, 5, cap) == growing_delay(10_000, 5, cap) == cap


def test_many_failures_of_an_account_elsewhere_slow_this_address_only_gently():
    now = datetime(2022, 5, 22, 7, 0)
    policy = ThrottlePolicy()
    everywhere = FailureCounts(account_failures=500, account_last_try_here=None)
    assert login_wait(everywhere, now, policy) == timedelta(0)  # the team's first try from its phone passes
    just_tried = FailureCounts(account_failures=500, account_last_try_here=now - timedelta(seconds=4))
    assert login_wait(just_tried, now, policy) == timedelta(seconds=6)


# --------------------------------------------------------------------------------------------------------------
# The login page
# --------------------------------------------------------------------------------------------------------------

def test_wrong_passwords_from_one_address_never_lock_the_account_out_of_another(make_user, client):
    user = make_user(Role.POLLING_TEAM, username="tbc.an-phu")
    statuses = [post_login(client, user.username, "sai-mat-khau").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]  # the sixth waits a second: a growing delay from this address
    refused = post_login(client, user.username, PASSWORD)  # the attacker's address now waits, even with the password
    assert refused.status_code == 429
    assert "Đăng nhập sai nhiều lần: hãy thử lại sau" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) >= 1

    response = post_login(client, user.username, PASSWORD, B)  # the team's phone, at once
    assert response.status_code == 302
    outcomes = db.session.execute(db.select(LoginAttempt.remote_addr, LoginAttempt.outcome)
                                  .order_by(LoginAttempt.id)).all()
    assert outcomes == [(A["REMOTE_ADDR"], LoginOutcome.FAILED)] * 5 + [
        (A["REMOTE_ADDR"], LoginOutcome.THROTTLED)] * 2 + [(B["REMOTE_ADDR"], LoginOutcome.OK)]


def test_one_address_trying_many_usernames_is_slowed_before_the_twentieth(make_user, client):
    make_user(Role.COMMUNE_COMMITTEE, username="bcd.binh-hai")
    statuses = [post_login(client, f"bcd.xa-{i}" if i != 7 else "bcd.binh-hai", "doan-thu").status_code
                for i in range(1, 20)]
    assert 429 in statuses
    assert statuses.index(429) < 19
    assert db.session.scalar(db.select(db.func.count()).select_from(LoginAttempt)) == 19  # every attempt recorded


def test_a_long_or_hostile_username_is_recorded_bounded(client):
    response = post_login(client, "x" * 500, "sai")
    assert response.status_code == 200
    assert db.session.scalar(db.select(LoginAttempt.username)) == "x" * 64
    # Control characters are refused before the login is looked at (core.bounds), so they never reach the table.
    refused = post_login(client, "bcd.binh-hai\x00\x1b", "sai")
    assert refused.status_code == 400 and "ký tự điều khiển" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(LoginAttempt)) == 1


def test_unknown_and_known_usernames_cost_the_same(make_user, client):
    user = make_user(username="bcd.tinh-ky")
    # The production hasher: the fixtures create users with werkzeug's default (scrypt), no fast test hasher.
    assert user.password_hash.startswith("scrypt:")
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    post_login(client, "khong-co-ai", "sai", {"REMOTE_ADDR": "192.0.2.250"})  # warm up (the dummy hash is made once)
    for i in range(10):
        for kind, name in (("known", user.username), ("unknown", f"bcd.khong-co-{i}")):
            started = time.perf_counter()
            response = post_login(client, name, "sai-mat-khau", {"REMOTE_ADDR": f"192.0.2.{i * 2 + len(kind)}"})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 200
    # The fastest of each: the work itself, without what other processes on the machine add to some runs.
    known, unknown = min(timings["known"]), min(timings["unknown"])
    assert abs(known - unknown) <= 0.2 * max(known, unknown), (known, unknown, timings)


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(tmp_path, make_user, client):
    user = make_user()
    post_login(client, user.username, "sai", {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "10.9.9.9"})
    assert db.session.scalar(db.select(LoginAttempt.remote_addr)) == "203.0.113.5"

    behind_proxy = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "TRUSTED_PROXIES": 1, "ENV_NAME": "test",
                               "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxy.sqlite'}"})
    with behind_proxy.app_context():
        db.create_all()
        behind_proxy.test_client().post("/login", data={"username": "ai-do", "password": "sai"},
                                        environ_base={"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9"})
        assert db.session.scalar(db.select(LoginAttempt.remote_addr)) == "10.9.9.9"
        db.session.remove()
        db.engine.dispose()


# --------------------------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------------------------

def test_logout_revokes_a_copied_session_cookie(make_user, login, client):
    login(make_user())
    assert client.get("/communes").status_code == 200
    copied = client.get_cookie("session").value
    client.post("/logout")
    client.set_cookie("session", copied)
    response = client.get("/communes")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_signs_out_the_other_sessions(app, make_user, login, client):
    user = make_user()
    login(user)
    phone = app.test_client()
    post_login(phone, user.username, PASSWORD, B)
    assert phone.get("/communes").status_code == 200

    wrong = client.post("/account/password", data={"current_password": "sai", "new_password": "mat-khau-moi-dai",
                                                   "confirm": "mat-khau-moi-dai"})
    assert "Mật khẩu hiện tại không đúng" in wrong.get_data(as_text=True)
    assert phone.get("/communes").status_code == 200

    changed = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "mat-khau-moi-dai",
                                                     "confirm": "mat-khau-moi-dai"})
    assert changed.status_code == 302
    assert client.get("/communes").status_code == 200  # the browser that changed it stays signed in
    response = phone.get("/communes")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(db.select(AuditEntry.summary).where(AuditEntry.record_type == "User")
                             .order_by(AuditEntry.id.desc())).startswith("Đổi mật khẩu")


def test_session_cookies_are_secure_outside_development(tmp_path):
    production = create_app({"ENV_NAME": "production", "SECRET_KEY": secrets.token_hex(32), "WTF_CSRF_ENABLED": False,
                             "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite'}"})
    with production.app_context():
        db.create_all()
        user = User(username="bcd.binh-hai", full_name="Thử", role=Role.DISTRICT_OFFICE)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        response = production.test_client().post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        db.session.remove()
        db.engine.dispose()


# --------------------------------------------------------------------------------------------------------------
# API tokens
# --------------------------------------------------------------------------------------------------------------

@pytest.fixture
def token_of(app):
    def issue(user: User, name: str = "điện thoại") -> tuple[ApiToken, str]:
        record, secret = ApiToken.issue(user, name)
        db.session.add(record)
        db.session.commit()
        return record, secret

    return issue


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_revoked_token_answers_401(make_user, login, client, token_of):
    user = make_user()
    record, secret = token_of(user)
    assert client.get("/api/v1/communes", headers=bearer(secret)).status_code == 200
    login(user)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "điện thoại" in page and "còn hiệu lực" in page
    assert client.post(f"/tokens/{record.id}/revoke").status_code == 302
    assert client.get("/api/v1/communes", headers=bearer(secret)).status_code == 401
    assert "đã thu hồi" in client.get("/account/tokens").get_data(as_text=True)
    assert db.session.scalar(db.select(AuditEntry.summary).where(AuditEntry.record_type == "ApiToken")
                             .order_by(AuditEntry.id.desc())).startswith("Thu hồi mã truy cập API")
    assert client.post(f"/tokens/{record.id}/revoke").status_code == 409  # once only


def test_a_commune_user_cannot_revoke_another_communes_token(make_commune, make_district, make_user, login, client,
                                                              token_of):
    district = make_district()
    mine, other = make_commune("Bình Hải", district=district), make_commune("Bình Trị", district=district)
    theirs, secret = token_of(make_user(Role.POLLING_TEAM, commune=other))
    neighbour, _ = token_of(make_user(Role.POLLING_TEAM, commune=mine))
    login(make_user(Role.COMMUNE_COMMITTEE, commune=mine))
    assert client.post(f"/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post("/tokens/999999/revoke").status_code == 404  # answered like a missing one
    assert client.post(f"/tokens/{neighbour.id}/revoke").status_code == 404  # only one's own
    assert client.get(f"/users/{theirs.user_id}/tokens").status_code == 403
    assert client.get("/api/v1/communes", headers=bearer(secret)).status_code == 200


def test_the_district_office_lists_and_revokes_tokens_within_its_district(make_commune, make_district, make_user,
                                                                           login, client, token_of):
    here, elsewhere = make_district(), make_district("Sơn Tịnh")
    team = make_user(Role.POLLING_TEAM, commune=make_commune(district=here))
    record, secret = token_of(team, "máy quét")
    outside, _ = token_of(make_user(Role.POLLING_TEAM, commune=make_commune(district=elsewhere)))
    admin_token, _ = token_of(make_user(Role.ADMIN))
    login(make_user(Role.DISTRICT_OFFICE, district=here))
    assert "máy quét" in client.get(f"/users/{team.id}/tokens").get_data(as_text=True)
    assert client.get(f"/users/{outside.user_id}/tokens").status_code == 404
    assert client.get(f"/users/{admin_token.user_id}/tokens").status_code == 404
    assert client.post(f"/tokens/{outside.id}/revoke").status_code == 404
    assert client.post(f"/tokens/{record.id}/revoke").status_code == 302
    assert client.get("/api/v1/communes", headers=bearer(secret)).status_code == 401


def test_an_address_shared_by_many_phones_waits_a_minute_at_most_for_a_strangers_failures():
    """Carrier-grade NAT on election Sunday: many failures over many usernames from one address cap at a minute,
    while one username tried again and again from it waits longer."""
    now = datetime(2026, 6, 7, 8, 0)
    policy = ThrottlePolicy()
    sweep = FailureCounts(address_failures=40, address_last_failure=now)
    assert login_wait(sweep, now, policy) == timedelta(minutes=1)
    hammered = FailureCounts(address_failures=40, address_last_failure=now, pair_failures=30, pair_last_failure=now)
    assert login_wait(hammered, now, policy) == timedelta(minutes=15)


def test_old_login_attempts_are_pruned_by_the_cli_and_recent_ones_kept(app, runner):
    now = utcnow()
    db.session.add_all([LoginAttempt(username="cu", remote_addr="192.0.2.1", outcome=LoginOutcome.FAILED,
                                     at=now - timedelta(days=120)),
                        LoginAttempt(username="moi", remote_addr="192.0.2.1", outcome=LoginOutcome.FAILED,
                                     at=now - timedelta(days=2))])
    db.session.commit()
    result = runner.invoke(args=["users", "prune-login-attempts", "--days", "90"])
    assert result.exit_code == 0 and "Đã xoá 1 lần đăng nhập" in result.output
    assert list(db.session.scalars(db.select(LoginAttempt.username))) == ["moi"]
