"""The secret key fails closed (core/keys.py), and the minutes' links are signed with their own key and rotate."""
from __future__ import annotations

import os
import secrets

import pytest
from factories_counting import enter_twice, figures
from itsdangerous import BadSignature, URLSafeSerializer

from app import create_app
from core.keys import (
    DEVELOPMENT_KEY_FILE,
    InsecureConfiguration,
    configure_secret_key,
    environment,
    key_problem,
    purpose_key,
)
from election.service import verification_token

STRONG = secrets.token_hex(32)
DATABASE = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}


@pytest.fixture(autouse=True)
def _no_key_from_the_environment(monkeypatch):
    # `make test` exports FLASK_ENV_NAME=development; a developer may have FLASK_SECRET_KEY set.
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("key", [None, "", "x", "dev-only-secret-change-me", "test-secret",
                                 "0123456789abcdef" * 2,  # 32 hex digits: only 16 bytes
                                 "a" * 64, "ab" * 40,
                                 pytest.param(secrets.token_urlsafe(24), id="random-24-bytes")])
@pytest.mark.parametrize("env_name", [None, "production", "Production", "PRODUCTION ", "prod", "staging"])
def test_app_refuses_to_start_outside_development_without_a_strong_key(env_name, key):
    config = {**DATABASE, "SECRET_KEY": key}
    if env_name is not None:
        config["ENV_NAME"] = env_name
    with pytest.raises(InsecureConfiguration) as error:
        create_app(config)
    message = str(error.value)
    assert "FLASK_SECRET_KEY" in message and "secrets.token_hex(32)" in message and "FLASK_ENV_NAME" in message


def test_app_refuses_to_start_when_the_environment_variable_says_production_in_another_case(monkeypatch):
    monkeypatch.setenv("FLASK_ENV_NAME", "Production")
    monkeypatch.setenv("FLASK_SECRET_KEY", "x")
    with pytest.raises(InsecureConfiguration):
        create_app(DATABASE)


@pytest.mark.parametrize("key", [secrets.token_hex(32), secrets.token_urlsafe(32), os.urandom(32)],
                         ids=["hex", "urlsafe", "bytes"])  # named: the same test ids in every xdist worker
def test_app_starts_in_production_with_a_strong_key(key, monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", key.hex() if isinstance(key, bytes) else key)
    app = create_app(DATABASE)
    assert app.config["ENV_NAME"] == "production"
    assert create_app({**DATABASE, "SECRET_KEY": key, "ENV_NAME": "Production"}).config["ENV_NAME"] == "production"


@pytest.mark.parametrize("env_name", ["development", "Development", "test", " TEST "])
def test_app_starts_with_a_weak_key_when_the_environment_says_development(env_name):
    app = create_app({**DATABASE, "ENV_NAME": env_name, "SECRET_KEY": "x"})
    assert app.config["ENV_NAME"] == env_name.strip().lower() and app.config["SECRET_KEY"] == "x"


def test_development_without_a_key_generates_one_kept_in_the_instance_folder(tmp_path):
    first, second = {"ENV_NAME": "development"}, {"ENV_NAME": "Development"}
    configure_secret_key(first, str(tmp_path))
    configure_secret_key(second, str(tmp_path))  # the next start (or another worker) reads the same key
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and key_problem(first["SECRET_KEY"]) is None
    assert (tmp_path / DEVELOPMENT_KEY_FILE).stat().st_mode & 0o077 == 0  # readable by its owner only
    production = {"ENV_NAME": "prod"}
    with pytest.raises(InsecureConfiguration):
        configure_secret_key(production, str(tmp_path))  # never outside development


def test_retired_keys_may_not_be_published_ones():
    with pytest.raises(InsecureConfiguration):
        create_app({**DATABASE, "SECRET_KEY": STRONG, "SIGNING_KEYS_RETIRED": ["dev-only-secret-change-me"]})


def test_unknown_environment_names_are_production():
    assert [environment(n) for n in (None, "", "prod", "Production", "dev", "development", "TEST")] == \
        ["production"] * 5 + ["development", "test"]


def test_minutes_links_are_signed_with_their_own_key_and_survive_a_rotation(app, election):
    setup = election(households=310, present=216)
    enter_twice(setup, figures(setup, 216, 214, 210, 4, 160, 50), acknowledged=True)
    poll_id = setup.poll.id
    token = verification_token(setup.poll)
    old_key = app.config["SECRET_KEY"]
    signed_with_the_session_key = URLSafeSerializer(old_key, salt="minutes-verification")
    with pytest.raises(BadSignature):
        signed_with_the_session_key.loads(token)
    assert URLSafeSerializer(purpose_key(old_key, "minutes-qr"), salt="minutes-verification").loads(token) == \
        {"poll": poll_id, "v": 1}  # the minutes' version (issue 15: a correction prints version 2)
    legacy = signed_with_the_session_key.dumps({"poll": poll_id})  # a link printed before purpose keys
    client = app.test_client()
    app.config.update(SECRET_KEY=STRONG, SIGNING_KEYS_RETIRED=[old_key])
    assert client.get(f"/minutes/verify/{token}").status_code == 200
    assert client.get(f"/minutes/verify/{legacy}").status_code == 200
    assert URLSafeSerializer(purpose_key(STRONG, "minutes-qr"), salt="minutes-verification").loads(
        verification_token(setup.poll)) == {"poll": poll_id, "v": 1}  # new links: the new key
    app.config.update(SIGNING_KEYS_RETIRED=[])
    assert client.get(f"/minutes/verify/{token}").status_code == 404
