"""The demo seed: deterministic, valid people, one Sunday, one login per role, refuses a second run."""
from __future__ import annotations

import unicodedata
from datetime import date

import click
import pytest
import sqlalchemy as sa

from core.accounts import Role, User
from core.audit import AuditEntry, verify_chain
from core.calendar import election_day_problem, election_timeline
from core.citizen_id import citizen_id_problem
from core.enums import CommuneClass, PartyMembership, Post
from core.models import Chapter, Commune, District, Hamlet, Household, Person, Position, Term, current_term
from core.vietnamese import fold, local_date
from demo.seed import seed_demo
from extensions import db

PASSWORD = "mat-khau-demo-thu"
COUNTED = (Commune, Hamlet, Household, Person, Chapter, Position, Term, User)


@pytest.fixture
def logins(app):
    return seed_demo(scale="tiny", random_seed=59, password=PASSWORD, progress=False)


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in COUNTED}


def _fingerprint() -> list[tuple]:
    return db.session.execute(
        sa.select(Person.full_name, Person.citizen_id, Person.birth_date, Person.party_member).order_by(Person.id)
    ).all()


def test_tiny_scale_builds_three_communes_two_plain_one_mountain(logins):
    communes = db.session.scalars(sa.select(Commune)).all()
    assert sorted(c.commune_class for c in communes) == [CommuneClass.MOUNTAIN, CommuneClass.PLAIN, CommuneClass.PLAIN]
    for commune in communes:
        assert 2 <= len(commune.hamlets) <= 3
        for hamlet in commune.hamlets:
            households = db.session.scalar(sa.select(sa.func.count()).where(Household.hamlet_id == hamlet.id))
            assert 10 <= households <= 20
    mountain = next(c for c in communes if c.commune_class is CommuneClass.MOUNTAIN)
    assert "861/QĐ-TTg" in mountain.class_basis
    district = db.session.scalar(sa.select(District))
    assert (district.name, district.province.code, district.approver_name, district.approver_level) == (
        "Bình Sơn", "51", "Ban Thường vụ Huyện ủy Bình Sơn", "district")


def test_same_seed_gives_the_same_data(app, logins):
    first_counts, first_people = _counts(), _fingerprint()
    db.session.rollback()  # end the read transaction before the schema is dropped (PostgreSQL waits on it)
    db.drop_all()
    db.create_all()
    seed_demo(scale="tiny", random_seed=59, password=PASSWORD, progress=False)
    assert _counts() == first_counts
    assert _fingerprint() == first_people
    assert first_counts["Hamlet"] == 8 and first_counts["Commune"] == 3


def test_another_seed_gives_other_people(app, logins):
    first_people = _fingerprint()
    db.session.rollback()  # end the read transaction before the schema is dropped (PostgreSQL waits on it)
    db.drop_all()
    db.create_all()
    seed_demo(scale="tiny", random_seed=60, password=PASSWORD, progress=False)
    assert _fingerprint() != first_people


def test_one_person_per_household_with_valid_citizen_id_and_nfc_name(logins):
    people = db.session.scalars(sa.select(Person)).all()
    households = db.session.scalars(sa.select(Household)).all()
    assert len(people) == len(households)
    assert len({p.household_id for p in people}) == len(households)
    heads = {h.id: h.head_name for h in households}
    for person in people:
        assert citizen_id_problem(person.citizen_id, person.birth_date, person.sex.value) is None
        assert person.citizen_id.startswith("051")
        assert unicodedata.is_normalized("NFC", person.full_name)
        assert person.name_folded == fold(person.full_name)
        assert heads[person.household_id] == person.full_name
        age = (date(2022, 5, 22) - person.birth_date).days / 365.25
        assert 18 <= age < 91
        if person.party_member is PartyMembership.OFFICIAL:
            assert person.party_joined_on < person.party_official_on
        if person.party_member is PartyMembership.PROBATIONARY:
            assert person.party_joined_on is not None and person.party_official_on is None
    assert len({p.citizen_id for p in people}) == len(people)


def test_terms_have_a_sunday_election_and_milestones_in_time(logins):
    district = db.session.scalar(sa.select(District))
    terms = db.session.scalars(sa.select(Term).order_by(Term.starts_on)).all()
    assert [(t.name, t.is_current) for t in terms] == [("2019–2022", False), ("2022–2025", True)]
    current = current_term(district.id)
    assert (current.election_day, current.starts_on, current.ends_on, current.length_months) == (
        date(2022, 5, 22), date(2022, 5, 22), date(2025, 11, 22), 30)
    for term in terms:
        assert election_day_problem(term.election_day) is None
        done = {"decision": term.decision_done_on, "team": term.team_done_on, "notice": term.notice_done_on}
        assert all(done[m.key] <= m.deadline for m in election_timeline(term.election_day))


def test_every_hamlet_has_a_chapter_and_the_previous_terms_chief_still_in_office_on_election_day(logins):
    previous = db.session.scalar(sa.select(Term).where(Term.is_current.is_(False)))
    current = db.session.scalar(sa.select(Term).where(Term.is_current.is_(True)))
    for hamlet in db.session.scalars(sa.select(Hamlet)).all():
        assert hamlet.chapter is not None and hamlet.chapter.name.startswith("Chi bộ ")
        chiefs = db.session.scalars(sa.select(Position).where(
            Position.hamlet_id == hamlet.id, Position.post == Post.HAMLET_CHIEF,
            Position.ended_on.is_(None))).all()
        assert len(chiefs) == 1
        # Elected in 2019 and in office until the new chief is recognised (R-V9): nobody is chief of 2022–2025 yet.
        assert chiefs[0].term_id == previous.id and chiefs[0].holds_on(current.election_day)
        assert chiefs[0].started_on.year == 2019
        assert chiefs[0].person.hamlet_id == hamlet.id


def test_no_post_of_the_new_term_before_its_election_and_the_previous_holders_in_office(logins):
    current = db.session.scalar(sa.select(Term).where(Term.is_current.is_(True)))
    positions = db.session.scalars(sa.select(Position)).all()
    assert positions
    for position in positions:
        if position.post is Post.CHAPTER_SECRETARY:
            assert position.person.party_member is PartyMembership.OFFICIAL
            assert position.person.party_official_on < position.started_on
        assert not position.term.is_current  # the new term's posts come with its election and congresses
        assert position.ended_on is None and position.started_on.year == 2019
        assert position.started_on < current.election_day
        assert position.person.hamlet_id == position.hamlet_id


def test_the_demo_commune_has_room_for_every_step_and_the_seed_is_dated_at_the_terms_decision(app):
    from demo.rehearsal import BEFORE_STEPS, STEPS
    from demo.seed import BINH_HAI_HAMLETS, CURRENT_TERM, district_figures

    assert BINH_HAI_HAMLETS == len(STEPS) + len(BEFORE_STEPS)
    seed_demo(scale="tiny", random_seed=59, password=PASSWORD, progress=False)
    stamps = db.session.scalars(sa.select(AuditEntry.at)).all() + db.session.scalars(sa.select(User.created_at)).all()
    assert stamps and {local_date(at) for at in stamps} == {CURRENT_TERM.decision_done_on}
    figures = district_figures()
    assert (figures.communes, figures.towns, figures.hamlets + figures.residential_groups) == (3, (), 8)
    assert figures.households == figures.people == db.session.scalar(sa.select(sa.func.count()).select_from(Household))
    assert figures.summary.startswith("Huyện Bình Sơn: 3 xã; 8 thôn và 0 tổ dân phố; ")


def test_one_login_per_role_scoped_in_binh_son(logins):
    users = {u.username: u for u in db.session.scalars(sa.select(User)).all()}
    assert [name for name, _role, _scope in logins] == list(users)
    assert {u.role for u in users.values()} == set(Role)
    assert sorted(u.role for u in users.values()).count(Role.COMMUNE_COMMITTEE) == 2
    assert users["admin"].district_id is None and users["admin"].role is Role.ADMIN
    assert users["bcd.binhhai"].commune.name == "Bình Hải"
    assert users["bcd.binhtri"].commune.name == "Bình Trị"
    team = users["tobaucu.binhhai"]
    assert team.hamlet is not None and team.hamlet.commune_id == team.commune_id
    assert team.term_id == current_term(team.district_id).id  # a team's account serves one term
    assert all(u.term_id is None for u in users.values() if u is not team)
    assert all(u.check_password(PASSWORD) for u in users.values())
    assert ("btv.binhson", Role.APPROVING_AUTHORITY.label, "Huyện Bình Sơn") in logins


def test_seed_is_audited_once_as_an_event_and_the_chain_holds(logins):
    events = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "event")).all()
    assert len(events) == 1
    assert events[0].actor == "cli:seed" and events[0].summary.startswith("Khởi tạo dữ liệu mẫu")
    assert '"hamlets": 8' in events[0].after
    assert verify_chain().ok


def test_running_again_refuses_and_changes_nothing(logins):
    before = _counts()
    with pytest.raises(click.ClickException, match="đã có dữ liệu huyện"):
        seed_demo(scale="tiny", password=PASSWORD, progress=False)
    assert _counts() == before


def test_an_existing_admin_is_kept(app):
    admin = User(username="admin", full_name="Quản trị", role=Role.ADMIN)
    admin.set_password("mat-khau-cu-1234")
    db.session.add(admin)
    db.session.commit()
    logins = seed_demo(scale="tiny", password=PASSWORD, progress=False)
    assert "giữ mật khẩu cũ" in dict((u, s) for u, _r, s in logins)["admin"]
    assert db.session.scalar(sa.select(User).where(User.username == "admin")).check_password("mat-khau-cu-1234")


def test_unknown_scale_is_refused(app):
    with pytest.raises(click.ClickException, match="Quy mô"):
        seed_demo(scale="galaxy", progress=False)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(District)) == 0
