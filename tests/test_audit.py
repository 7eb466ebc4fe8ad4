"""Every change writes the audit log in its transaction; the hash chain detects tampering."""
from __future__ import annotations

import json

import sqlalchemy as sa

from core.accounts import Role
from core.audit import AuditEntry, verify_chain
from extensions import db


def entries(record_type: str | None = None) -> list[AuditEntry]:
    stmt = db.select(AuditEntry).order_by(AuditEntry.seq)
    if record_type:
        stmt = stmt.where(AuditEntry.record_type == record_type)
    return list(db.session.scalars(stmt))


def test_editing_a_person_writes_before_and_after(make_person, make_user, login, client):
    person = make_person("Nguyễn Văn An")
    user = make_user(Role.COMMUNE_COMMITTEE, commune=person.hamlet.commune)
    login(user)
    form = {
        "full_name": "Nguyễn Văn Ân", "birth_date": "1970-03-01", "sex": "male", "citizen_id": person.citizen_id,
        "hamlet_id": person.hamlet_id, "education": "upper_secondary", "political_theory": "elementary",
        "party_member": "official", "party_joined_on": "2000-01-01", "party_official_on": "2001-01-01",
        "fit_for_term": "y",
    }
    response = client.post(f"/people/{person.id}/edit", data=form)
    assert response.status_code == 302
    updates = [e for e in entries("Person") if e.action == "update"]
    assert len(updates) == 1
    entry = updates[0]
    assert json.loads(entry.before)["full_name"] == "Nguyễn Văn An"
    assert json.loads(entry.after)["full_name"] == "Nguyễn Văn Ân"
    assert entry.user_id == user.id and entry.actor == user.username
    assert entry.commune_id == person.hamlet.commune_id
    assert entry.district_id == person.hamlet.commune.district_id


def test_creation_is_audited_and_secrets_are_not(make_user):
    user = make_user(Role.OBSERVER)
    created = [e for e in entries("User") if e.record_id == str(user.id)]
    assert len(created) == 1 and created[0].action == "create"
    assert "password_hash" not in json.loads(created[0].after)


def test_rolled_back_change_leaves_no_entry(make_person):
    person = make_person()
    before = len(entries())
    person.full_name = "Đổi tên"
    db.session.flush()
    db.session.rollback()
    assert len(entries()) == before


def test_chain_verifies_then_detects_a_tampered_row(make_person, runner):
    make_person("Lê Thị Hoa")
    make_person("Phạm Văn Hùng")
    assert verify_chain().ok
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    victim = entries("Person")[0]
    altered = victim.after.replace("Lê Thị Hoa", "Lê Thị Hoà")
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == victim.id).values(after=altered))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == victim.seq
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and str(victim.seq) in result.output


def test_chain_detects_a_deleted_last_entry(make_person):
    make_person()
    last = entries()[-1]
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == last.id))
    db.session.commit()
    assert not verify_chain().ok


def test_entries_chain_to_each_other(make_person):
    make_person()
    make_person("Võ Văn Bảy")
    chain = entries()
    assert chain[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:]))
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))


def test_audit_page_is_scoped_to_the_commune(make_person, make_commune, make_user, login, client):
    mine = make_person("Người Xã Mình")
    other_commune = make_commune("Bình Trị", district=mine.hamlet.commune.district)
    from core.enums import HamletKind
    from core.models import Hamlet

    other_hamlet = Hamlet(commune=other_commune, code="HX9", name="Xa Lạ", kind=HamletKind.HAMLET)
    db.session.add(other_hamlet)
    db.session.commit()
    login(make_user(Role.COMMUNE_COMMITTEE, commune=mine.hamlet.commune))
    page = client.get("/audit").get_data(as_text=True)
    assert "Người Xã Mình" in page
    assert "Xa Lạ" not in page


def test_rows_deleted_by_a_cascade_are_audited(make_hamlet, make_person, make_term):
    from candidates.models import CandidateList, ProposedBy

    hamlet = make_hamlet()
    person = make_person(hamlet=hamlet)
    candidate_list = CandidateList(term=make_term(district=hamlet.commune.district), hamlet=hamlet)
    db.session.add(candidate_list)
    candidacy = candidate_list.add(person, ProposedBy.FRONT_COMMITTEE)
    db.session.commit()
    candidacy_id = candidacy.id
    candidate_list.candidacies.remove(candidacy)  # delete-orphan: no explicit session.delete()
    db.session.commit()
    deletes = [e for e in entries("Candidacy") if e.action == "delete"]
    assert [e.record_id for e in deletes] == [str(candidacy_id)]
    assert json.loads(deletes[0].before)["person_id"] == person.id


def test_a_column_left_empty_at_insert_then_set_in_the_same_transaction_is_audited(make_hamlet):
    from datetime import date

    from core.citizen_id import make_citizen_id
    from core.enums import Education, Sex
    from core.models import Person

    hamlet = make_hamlet()
    person = Person(birth_date=date(1980, 1, 1), sex=Sex.MALE, hamlet_id=hamlet.id, education=Education.PRIMARY,
                    citizen_id=make_citizen_id("051", date(1980, 1, 1), "male", 4242))
    person.set_name("Hồ Văn Tư")
    db.session.add(person)
    db.session.flush()  # INSERT; party_joined_on was never set, so never loaded
    person.party_joined_on = date(2020, 2, 3)
    db.session.commit()
    update = [e for e in entries("Person") if e.action == "update"][-1]
    assert json.loads(update.before)["party_joined_on"] is None
    assert json.loads(update.after)["party_joined_on"] == "2020-02-03"
