"""The app core: configuration, login and sessions, CSRF, languages, error pages, the OpenAPI document."""
from __future__ import annotations

import pytest

from app import create_app
from core.accounts import LoginAttempt, LoginOutcome, Role, User
from extensions import db


def test_production_refuses_the_default_secret():
    with pytest.raises(RuntimeError):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "dev-only-secret-change-me",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_postgres_url_uses_psycopg3():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://u:p@localhost/x", "ENV_NAME": "test",
                      "SECRET_KEY": "test-secret"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_instance_folder_comes_from_the_environment(monkeypatch, tmp_path):
    """Two app hosts on one machine (bench/province.py) each get their own instance folder."""
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path / "host-b"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ENV_NAME": "test", "SECRET_KEY": "test-secret"})
    assert app.instance_path == str(tmp_path / "host-b")
    monkeypatch.delenv("FLASK_INSTANCE_PATH")
    default = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ENV_NAME": "test", "SECRET_KEY": "test-secret"})
    assert default.instance_path.endswith("instance") and default.instance_path != app.instance_path


def test_passwords_are_hashed(make_user):
    user = make_user()
    assert "mat-khau" not in user.password_hash and user.check_password("mat-khau-thu-nghiem")


def test_successful_login_is_recorded_and_session_expires(app, make_user, client):
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": "mat-khau-thu-nghiem"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(LoginAttempt.outcome).order_by(LoginAttempt.id.desc())) == LoginOutcome.OK
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie


def test_login_redirect_refuses_other_hosts(make_user, client):
    user = make_user()
    response = client.post("/login?next=https://evil.example/", data={"username": user.username,
                                                                      "password": "mat-khau-thu-nghiem"})
    assert response.headers["Location"].endswith("/")
    assert "evil" not in response.headers["Location"]


def test_forms_require_a_csrf_token(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": "mat-khau-thu-nghiem"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_interface_is_vietnamese_by_default_and_english_on_request(client):
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en")
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_a_background_request_answered_after_a_language_switch_does_not_undo_it(app, make_user, login, client):
    """The live board refreshes itself every few seconds: a refresh sent before "English" was clicked and answered
    after it carried the old session; re-sending that session's cookie (to extend its expiry) undid the switch. A
    background GET (Sec-Fetch-Dest other than document) leaves the cookie alone; a page load still extends it."""
    login(make_user(role=Role.DISTRICT_OFFICE))
    name = app.config["SESSION_COOKIE_NAME"]
    before = client.get_cookie(name)
    assert before is not None
    background = {"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors", "Accept": "application/json"}
    client.get("/lang/en")
    switched = client.get_cookie(name)
    assert switched is not None and switched.value != before.value
    client.set_cookie(name, before.value)  # the refresh was sent with the cookie of before the switch
    refresh = client.get("/board.json", headers=background)
    assert refresh.status_code == 200 and "Set-Cookie" not in refresh.headers
    client.set_cookie(name, switched.value)  # the browser's cookie: still the switched one
    page = client.get("/board", headers={"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"})
    assert "Election day board" in page.get_data(as_text=True)
    assert name in page.headers.get("Set-Cookie", "")  # a page load extends the session (8 hours from now)
    old_browser = client.get("/board.json")  # no Sec-Fetch-Dest (an old browser, a script): extended as before
    assert name in old_browser.headers.get("Set-Cookie", "")


def test_unknown_page_shows_a_vietnamese_message(make_user, login, client):
    login(make_user())
    response = client.get("/communes/999999")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)


def test_unexpected_error_shows_no_traceback(app, client):
    from core.access import public

    @public
    def boom():
        raise ZeroDivisionError("secret detail")

    app.add_url_rule("/boom-test", "boom_test", boom)
    response = client.get("/boom-test")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "secret detail" not in text and "lỗi hệ thống" in text


def test_openapi_documents_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = {path for path in document["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi_document":
            path = rule.rule.removeprefix("/api/v1")
            for arg in rule.arguments:
                path = path.replace(f"<int:{arg}>", "{" + arg + "}").replace(f"<{arg}>", "{" + arg + "}")
            assert path in documented, rule.rule


def test_api_errors_are_json(client):
    response = client.get("/api/v1/communes")
    assert response.status_code == 401 and response.is_json
    response = client.post("/api/v1/rules/eligibility", json={"post": "king"})
    assert response.status_code == 422 and "post" in response.get_json()["errors"]


def test_web_font_is_served(client):
    response = client.get("/fonts/regular.ttf")
    assert response.status_code == 200 and response.mimetype == "font/ttf" and len(response.data) > 100_000


def test_cli_creates_the_first_admin(runner):
    result = runner.invoke(args=["users", "create-admin", "--username", "root", "--password", "mot-mat-khau-dai"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).where(User.username == "root"))
    assert user.role == Role.ADMIN and user.check_password("mot-mat-khau-dai")
