"""Fixtures: app (a fresh schema per test), client, runner, login, make_* factories, and rehearsed_demo.

The database comes from TEST_DATABASE_URL (PostgreSQL in CI's second run); by default each test gets its
own SQLite file. On PostgreSQL the schema is created once per run and every table is emptied after each
test (the tables a test wrote to are emptied and every sequence restarts), which is equivalent to a fresh schema
and much faster. On SQLite the schema is created once per run and copied into each test's file.

rehearsed_demo is the seeded and rehearsed demo district, built once per run in a database of its own (a SQLite
file, or on PostgreSQL a database beside TEST_DATABASE_URL's, dropped at the end): the modules that read it share it.
"""
from __future__ import annotations

import functools
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing.rules import Rule
from werkzeug.security import generate_password_hash

from app import create_app
from core.accounts import Role, User
from core.citizen_id import make_citizen_id
from core.dbapi import release_request_connection
from core.enums import CommuneClass, Education, HamletKind, PartyMembership, PoliticalTheory, Sex
from core.models import Chapter, Commune, District, Hamlet, Household, Person, Province, Term
from demo.seed import seed_demo
from extensions import db

# The feature factories: fixtures shared by several test modules, registered once for the whole suite.
pytest_plugins = ["factories_ballots", "factories_candidates", "factories_counting", "factories_training"]


def _worker_database() -> None:
    """`make test` runs the suite in two pytest-xdist workers: on PostgreSQL each takes a database of its own,
    `<TEST_DATABASE_URL's database>_<worker>` on the same server (made afresh here, dropped at the end), and every
    module that reads TEST_DATABASE_URL (the e2e and two-host databases are named after it) sees that one."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("TEST_DATABASE_URL", "")
    if not worker or not url.startswith("postgresql"):
        return
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    _run_on(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    os.environ["TEST_DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)
    os.environ["DANTIN_TEST_WORKER_DATABASE_OF"] = url


def _run_on(url: sa.engine.URL, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))
    engine.dispose()


def pytest_unconfigure(config) -> None:
    """The worker's own database dropped (see _worker_database)."""
    source = os.environ.pop("DANTIN_TEST_WORKER_DATABASE_OF", "")
    if source:
        name = sa.engine.make_url(os.environ["TEST_DATABASE_URL"]).database
        os.environ["TEST_DATABASE_URL"] = source
        _run_on(sa.engine.make_url(source), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_worker_database()
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "mat-khau-thu-nghiem"


def _config(database_uri: str) -> dict:
    return {
        "TESTING": True,
        "ENV_NAME": "test",  # explicitly not production: the weak key below is allowed (core/keys.py)
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
    }


def _memoise_url_builders() -> None:
    """Every test builds an application, and werkzeug compiles two URL-building functions for each of its ~200 routes
    (Python source through `compile`, about half of create_app's time). A builder depends only on what the key below
    names (the rule's text carries its converters' arguments), and is bound to its rule afterwards (`__get__`), so one
    per distinct key serves every application."""
    compile_builder = Rule._compile_builder
    builders: dict[tuple, Callable] = {}

    def memoised(self: Rule, append_unknown: bool = True) -> Callable:
        key = (type(self), self.rule, self.subdomain, self.host, repr(sorted((self.defaults or {}).items())),
               tuple(self._trace), tuple((name, type(c)) for name, c in self._converters.items()), append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = memoised  # type: ignore[method-assign]


_memoise_url_builders()


@pytest.fixture(scope="session")
def _pg_schema():
    if not PG_URL:
        yield None
        return
    app = create_app(_config(PG_URL))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield PG_URL


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> str | None:
    """On SQLite: the schema created once, in a file each test's database starts as a copy of."""
    if PG_URL:
        return None
    path = tmp_path_factory.mktemp("schema") / "schema.sqlite"
    application = create_app(_config(f"sqlite:///{path}"), instance_path=str(path.parent / "instance"))
    with application.app_context():
        db.create_all()
        db.engine.dispose()
    return str(path)


def _empty_pg_tables() -> None:
    """Empty what the test wrote (a DELETE of the few tables that hold rows, children first) and restart every
    sequence: as good as TRUNCATE … RESTART IDENTITY of all 48 tables, at a tenth of its cost."""
    tables = db.metadata.sorted_tables
    probe = " UNION ALL ".join(f"SELECT {i} WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for i, t in enumerate(tables))
    with db.engine.begin() as connection:
        filled = {row[0] for row in connection.execute(sa.text(probe))}
        for i in sorted(filled, reverse=True):
            connection.execute(sa.text(f'DELETE FROM "{tables[i].name}"'))
        connection.execute(sa.text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
                                   "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()"))


@contextmanager
def fresh_app(uri: str, pg: bool, instance_path: str | None = None, schema_copied: bool = False) -> Iterator[Flask]:
    """An application on a fresh schema, in an app context; emptied again afterwards on PostgreSQL. `instance_path`:
    its own instance folder (the `app` fixture's is under the test's tmp_path, never the checkout's instance/).
    `schema_copied`: the SQLite file already holds the schema (a copy of _sqlite_template's)."""
    application = create_app(_config(uri), instance_path=instance_path)
    with application.app_context():
        if not pg and not schema_copied:
            db.create_all()
        yield application
        db.session.remove()
        release_request_connection()  # a test that called core.dbapi's helpers outside a request
        if pg:
            _empty_pg_tables()
        db.engine.dispose()


@dataclass(frozen=True)
class RehearsedDemo:
    app: Flask
    output: str  # what `flask rehearsal` printed (which hamlet each step took, the team logins)
    password: str  # every demo account's


DEMO_PASSWORD = "mat-khau-dien-tap"


@contextmanager
def _demo_database(tmp_path_factory) -> Iterator[str]:
    """A database of its own for the shared demo: a SQLite file, or on PostgreSQL `<test database>_demo` created
    beside TEST_DATABASE_URL's (the `app` fixture empties that one after every test) and dropped at the end."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
        return
    url = sa.engine.make_url(PG_URL)
    name = f"{url.database}_demo"
    _run_on(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')  # (an old run's)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        _run_on(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def rehearsed_demo(tmp_path_factory) -> Iterator[RehearsedDemo]:
    """The demo district seeded (`flask seed`) and rehearsed (`flask rehearsal`) once per run: seeding and rehearsing
    take most of a minute, and tests/test_rehearsal_steps.py and tests/test_document_check.py both read it.

    Tests only READ it (logging in through the form is allowed): a test that changes it would change what the
    other modules see. No app context is left pushed: a module pushes `rehearsed_demo.app.app_context()` for its
    reads, and ends them (db.session.remove()) before the next module's test runs."""
    with _demo_database(tmp_path_factory) as uri:
        application = create_app(_config(uri))
        with application.app_context():
            db.create_all()
            seed_demo(scale="district", password=DEMO_PASSWORD, progress=False)
            result = application.test_cli_runner().invoke(args=["rehearsal", "--quiet", "--password", DEMO_PASSWORD])
            assert result.exit_code == 0, result.output
            db.session.remove()
        try:
            yield RehearsedDemo(application, result.output, DEMO_PASSWORD)
        finally:
            with application.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def app(tmp_path, _pg_schema, _sqlite_template):
    if _sqlite_template:
        shutil.copyfile(_sqlite_template, tmp_path / "test.sqlite")
    with fresh_app(_pg_schema or f"sqlite:///{tmp_path / 'test.sqlite'}", bool(_pg_schema),
                   str(tmp_path / "instance"), schema_copied=bool(_sqlite_template)) as application:
        yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    """login(user) signs `user` in on the test client (through the real login form)."""

    def do_login(user: User, password: str = PASSWORD):
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do_login


_codes = itertools.count(1)


@pytest.fixture
def make_district(app):
    def make(name: str = "Bình Sơn") -> District:
        n = next(_codes)
        province = Province(code=f"P{n}", name="Quảng Ngãi")
        district = District(province=province, code=f"D{n}", name=name,
                            approver_name="Ban Thường vụ Huyện ủy " + name)
        db.session.add(district)
        db.session.commit()
        return district

    return make


@pytest.fixture
def make_commune(make_district):
    def make(name: str = "Bình Hải", commune_class: CommuneClass = CommuneClass.PLAIN,
             district: District | None = None) -> Commune:
        district = district or make_district()
        commune = Commune(district=district, code=f"C{next(_codes)}", name=name, commune_class=commune_class,
                          class_basis="Thử nghiệm")
        db.session.add(commune)
        db.session.commit()
        return commune

    return make


@pytest.fixture
def make_hamlet(make_commune):
    def make(name: str = "An Phú", commune: Commune | None = None, households: int = 0,
             official_members: int = 10) -> Hamlet:
        commune = commune or make_commune()
        hamlet = Hamlet(commune=commune, code=f"H{next(_codes)}", name=name, kind=HamletKind.HAMLET)
        db.session.add(hamlet)
        db.session.add(Chapter(hamlet=hamlet, name=f"Chi bộ thôn {name}", official_members=official_members))
        for i in range(households):
            db.session.add(Household(hamlet=hamlet, number=f"H{i + 1:04d}", head_name=f"Chủ hộ {i + 1}"))
        db.session.commit()
        return hamlet

    return make


_tails = itertools.count(1)


@pytest.fixture
def make_person(make_hamlet):
    def make(full_name: str = "Nguyễn Văn An", hamlet: Hamlet | None = None, birth_date: date = date(1970, 3, 1),
             sex: Sex = Sex.MALE, education: Education = Education.UPPER_SECONDARY,
             political_theory: PoliticalTheory = PoliticalTheory.ELEMENTARY,
             party_member: PartyMembership = PartyMembership.OFFICIAL, **extra) -> Person:
        hamlet = hamlet or make_hamlet()
        person = Person(birth_date=birth_date, sex=sex, hamlet=hamlet, education=education,
                        political_theory=political_theory, party_member=party_member,
                        citizen_id=make_citizen_id("051", birth_date, sex.value, next(_tails)), **extra)
        if party_member != PartyMembership.NONE:
            person.party_joined_on = person.party_joined_on or date(2000, 1, 1)
        if party_member == PartyMembership.OFFICIAL:
            person.party_official_on = person.party_official_on or date(2001, 1, 1)
        person.set_name(full_name)
        db.session.add(person)
        db.session.commit()
        return person

    return make


@functools.cache
def _password_hash() -> str:
    """PASSWORD hashed once for the run by the production hasher (werkzeug's scrypt, ~0.1 s a hash): every user the
    fixtures make shares it. Logging in still checks it the production way."""
    return generate_password_hash(PASSWORD)


@pytest.fixture
def make_user(app):
    def make(role: Role = Role.DISTRICT_OFFICE, *, district: District | None = None, commune: Commune | None = None,
             hamlet: Hamlet | None = None, username: str | None = None) -> User:
        if commune is not None and district is None:
            district = commune.district
        user = User(username=username or f"{role.value}-{next(_codes)}", full_name="Người dùng thử", role=role,
                    district=district, commune=commune, hamlet=hamlet)
        user.password_hash = _password_hash()  # as set_password(PASSWORD) would, without paying scrypt per user
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_term(make_district):
    def make(district: District | None = None, election_day: date = date(2022, 5, 22), name: str = "2022–2025",
             is_current: bool = True) -> Term:
        district = district or make_district()
        term = Term(district=district, name=name, starts_on=election_day, ends_on=date(2025, 11, 22),
                    length_months=30, election_day=election_day, is_current=is_current)
        db.session.add(term)
        db.session.commit()
        return term

    return make
