"""Every page that needs no parameter answers each demo role without a server error (seeded tiny district), and in
English shows no label in Vietnamese."""
from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale, gettext

from chapters.rules import compute_targets
from core.accounts import User
from core.labels import LabelledEnum
from core.models import Commune, Hamlet, Person
from demo.seed import seed_demo
from election.counting import INVALID_REASONS, NEXT_STEP_LABELS, OUTCOME_LABELS
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


def _walk(app, client, language: str | None = None):
    """(user, url, response) for every demo user and every page of the walk, in `language` when given."""
    users = db.session.scalars(db.select(User).order_by(User.id)).all()
    assert len(users) >= 7
    commune = db.session.scalar(db.select(Commune).order_by(Commune.id))
    hamlet = db.session.scalar(db.select(Hamlet).where(Hamlet.commune_id == commune.id).order_by(Hamlet.id))
    person = db.session.scalar(db.select(Person).where(Person.hamlet_id == hamlet.id).order_by(Person.id))
    details = [f"/communes/{commune.id}", f"/hamlets/{hamlet.id}", f"/people/{person.id}"]
    for user in users:
        client.post("/login", data={"username": user.username, "password": PASSWORD})
        if language:
            client.get(f"/lang/{language}")
        for url in _parameterless_pages(app) + details:
            yield user.username, url, client.get(url)
        client.post("/logout")


def test_every_page_renders_for_every_demo_role(app, client, seeded):
    failures = [(user, url, response.status_code) for user, url, response in _walk(app, client)
                if response.status_code >= 500]
    assert failures == []


def _labelled_enums(cls: type = LabelledEnum) -> list[type[LabelledEnum]]:
    return [e for sub in cls.__subclasses__() for e in ([sub] if list(sub) else []) + _labelled_enums(sub)]


def vietnamese_labels() -> set[str]:
    """Every label kept in Vietnamese in code (enum members, outcomes, next steps, invalid-ballot reasons, target
    figures) that the catalogue translates into something else."""
    labels = {member.label for enum in _labelled_enums() for member in enum}
    labels |= {*OUTCOME_LABELS.values(), *NEXT_STEP_LABELS.values(), *INVALID_REASONS.values()}
    labels |= {f.label for f in compute_targets([], [], [], [], date(2025, 6, 1))}
    with force_locale("en"):
        return {label for label in labels if gettext(label) != label}


SKIPPED_TAGS = ("script", "style", "pre")


class _Texts(HTMLParser):
    """The text a reader sees: text nodes (not scripts, styles, nor the audit log's recorded JSON in <pre>) and the
    title, placeholder, aria-label and data-label attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in SKIPPED_TAGS
        self.texts += [value for name, value in attrs if value and name in ("title", "placeholder", "aria-label",
                                                                             "data-label")]

    def handle_endtag(self, tag):
        self._skip -= tag in SKIPPED_TAGS and self._skip > 0

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


SEPARATORS = re.compile(r"\s*[·,;:()\[\]–—|«»]\s*|\n")


def labels_in(html: str, labels: set[str]) -> set[str]:
    """The labels a page shows: a text segment (between separators) equal to a label, or a label of three words or
    more anywhere in a text. A one-word label inside a name ("Nguyễn Văn Nam", "Quảng Nam") does not count."""
    parser = _Texts()
    parser.feed(html)
    found = set()
    for text in parser.texts:
        segments = {segment.strip() for segment in SEPARATORS.split(text)}
        found |= {label for label in labels if label in segments or (len(label.split()) >= 3 and label in text)}
    return found


def test_labels_in_finds_a_label_but_not_a_name():
    labels = {"Nam", "Đang bỏ phiếu", "Trưởng thôn / Tổ trưởng TDP"}
    html = ("<p>Nguyễn Văn Nam · Quảng Nam</p><td title='Đang bỏ phiếu'>3</td>"
            "<li>A (Trưởng thôn / Tổ trưởng TDP)</li><script>x = 'Nam'</script>")
    assert labels_in(html, labels) == {"Đang bỏ phiếu", "Trưởng thôn / Tổ trưởng TDP"}
    assert labels_in("<p>Giới tính: Nam</p>", labels) == {"Nam"}


def test_english_pages_show_no_vietnamese_label(app, client, seeded):
    for user in db.session.scalars(db.select(User)):
        user.full_name = f"Cán bộ {user.id}"  # the demo names each user after their role's label: data, not a label
    db.session.commit()
    labels = vietnamese_labels()
    assert len(labels) > 80  # every enum's labels, not an empty set that would pass anything
    shown = {}
    for user, url, response in _walk(app, client, language="en"):
        assert response.status_code < 500, (user, url)
        if response.status_code == 200 and response.mimetype == "text/html":
            for label in labels_in(response.get_data(as_text=True), labels):
                shown.setdefault(label, set()).add(url)
    assert not shown, "Vietnamese labels on English pages:\n" + "\n".join(
        f"{label!r} on {', '.join(sorted(urls)[:5])}" for label, urls in sorted(shown.items()))
