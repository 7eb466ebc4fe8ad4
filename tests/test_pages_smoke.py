"""Every page that needs no parameter answers each demo role without a server error (seeded tiny district)."""
from __future__ import annotations

import pytest

from core.accounts import User
from core.models import Commune, Hamlet, Person
from demo.seed import seed_demo
from extensions import db

PASSWORD = "mat-khau-demo-thu"
SKIP = {"core.logout", "core.set_language", "core.web_font", "static"}


@pytest.fixture
def seeded(app):
    return seed_demo(scale="tiny", random_seed=7, password=PASSWORD, progress=False)


def _parameterless_pages(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint not in SKIP \
                and not rule.rule.startswith("/api/"):
            urls.append(rule.rule)
    return sorted(urls)


def test_every_page_renders_for_every_demo_role(app, client, seeded):
    users = db.session.scalars(db.select(User).order_by(User.id)).all()
    assert len(users) >= 7
    commune = db.session.scalar(db.select(Commune).order_by(Commune.id))
    hamlet = db.session.scalar(db.select(Hamlet).where(Hamlet.commune_id == commune.id).order_by(Hamlet.id))
    person = db.session.scalar(db.select(Person).where(Person.hamlet_id == hamlet.id).order_by(Person.id))
    details = [f"/communes/{commune.id}", f"/hamlets/{hamlet.id}", f"/people/{person.id}"]
    failures = []
    for user in users:
        client.post("/login", data={"username": user.username, "password": PASSWORD})
        for url in _parameterless_pages(app) + details:
            status = client.get(url).status_code
            if status >= 500:
                failures.append((user.username, url, status))
        client.post("/logout")
    assert failures == []
