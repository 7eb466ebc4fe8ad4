"""Security headers and caching (issue 14, part 4), asserted on an application created in production configuration."""
from __future__ import annotations

import pathlib
import re
import secrets

import pytest

from app import create_app
from core.accounts import Role
from core.headers import CONTENT_SECURITY_POLICY

TEMPLATES = pathlib.Path(__file__).resolve().parent.parent / "templates"


@pytest.fixture
def production(app):
    """The application as it runs in production (a strong key), on the test's database."""
    return create_app({"ENV_NAME": "production", "SECRET_KEY": secrets.token_hex(32), "SERVER_NAME": "localhost",
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "WTF_CSRF_ENABLED": False})


def signed_in(production, user, base_url="https://localhost"):
    client = production.test_client()
    response = client.post("/login", data={"username": user.username, "password": "mat-khau-thu-nghiem"},
                           base_url=base_url)
    assert response.status_code == 302
    return client


def directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def assert_secure_page(response) -> None:
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_carry_csp_nosniff_referrer_policy_hsts_and_no_store(production, make_user):
    login_page = production.test_client().get("/login", base_url="https://localhost")
    assert login_page.status_code == 200
    assert_secure_page(login_page)
    assert login_page.headers["Strict-Transport-Security"].startswith("max-age=")
    office = signed_in(production, make_user(Role.DISTRICT_OFFICE))
    for url in ("/", "/people", "/board"):
        page = office.get(url, base_url="https://localhost")
        assert page.status_code == 200, url
        assert_secure_page(page)
        assert "Strict-Transport-Security" in page.headers


def test_downloads_and_json_are_not_stored(production, make_user):
    office = signed_in(production, make_user(Role.DISTRICT_OFFICE))
    for url in ("/board.csv", "/board.xlsx", "/board.json"):
        response = office.get(url, base_url="https://localhost")
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    error = office.get("/no-such-page", base_url="https://localhost")
    assert error.status_code == 404 and error.headers["Cache-Control"] == "no-store"


def test_hsts_only_over_tls(production):
    assert "Strict-Transport-Security" not in production.test_client().get("/login").headers


def test_public_static_files_may_be_cached(production):
    response = production.test_client().get("/static/app.css", base_url="https://localhost")
    assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    font = production.test_client().get("/fonts/regular.ttf")
    assert "public" in font.headers["Cache-Control"]


def test_the_policy_has_no_inline_script_escape_hatch():
    script = directives(CONTENT_SECURITY_POLICY)["script-src"]
    assert "unsafe" not in script and "nonce" not in script and "data:" not in script


def test_no_template_holds_inline_script_event_handlers_or_javascript_urls():
    """The policy would block them in the browser: each behaviour lives in a static file (static/*.js)."""
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{path.name}: {tag}")
        found += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text)]
        found += [f"{path.name}: javascript:" for _ in re.findall(r"javascript:", text, re.IGNORECASE)]
    assert found == []


def test_confirmation_questions_are_data_attributes_handled_by_the_static_script(production):
    macros = (TEMPLATES / "macros.html").read_text(encoding="utf-8")
    assert 'data-confirm="{{ confirm }}"' in macros
    script = production.test_client().get("/static/app.js").get_data(as_text=True)
    assert "data-confirm" in script or "dataset.confirm" in script
