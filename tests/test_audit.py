"""Every change writes the audit log in its transaction; the hash chain detects tampering."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from core import audit
from core.accounts import Role
from core.audit import AuditEntry, AuditHead, verify_chain
from extensions import db


def entries(record_type: str | None = None) -> list[AuditEntry]:
    stmt = db.select(AuditEntry).order_by(AuditEntry.id)
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


def test_each_commune_has_its_own_chain(make_person, make_hamlet, make_commune):
    make_person()
    make_person("Võ Văn Bảy")
    other = make_hamlet("Xa Lạ", make_commune("Bình Trị"))
    make_person("Trần Thị Chín", hamlet=other)
    chains: dict[str, list[AuditEntry]] = {}
    for entry in entries():
        chains.setdefault(entry.chain, []).append(entry)
    communes = {e.commune_id for e in entries("Person")}
    assert len(communes) == 3 and {f"commune:{c}" for c in communes} <= chains.keys()
    for name, chain in chains.items():
        assert chain[0].prev_hash == audit.GENESIS and chain[0].seq == 1, name
        assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:])), name
        assert [e.seq for e in chain] == list(range(1, len(chain) + 1)), name
        assert all(audit.chain_of(e.district_id, e.commune_id) == name for e in chain)
        head = db.session.scalar(sa.select(AuditHead).where(AuditHead.chain == name))
        assert (head.seq, head.hash) == (chain[-1].seq, chain[-1].hash)
    assert verify_chain().chains == len(chains)


def _anchors(district_id: int) -> list[AuditEntry]:
    return [e for e in entries("AuditChains") if e.chain == f"district:{district_id}"]


def test_a_poll_changing_state_anchors_its_communes_heads_in_the_district_chain(election):
    setup = election(counting=False)
    commune, district = setup.hamlet.commune_id, setup.hamlet.commune.district_id
    anchors = _anchors(district)
    assert len(anchors) == 1  # opened and the meeting recorded in one transaction: one anchor
    head = db.session.scalar(sa.select(AuditHead).where(AuditHead.chain == f"commune:{commune}"))
    recorded = json.loads(anchors[-1].after)["chains"][f"commune:{commune}"]
    assert recorded == {"seq": head.seq, "hash": head.hash}
    poll_entry = [e for e in entries("Poll") if e.action == "update"][-1]
    assert poll_entry.chain == f"commune:{commune}" and anchors[-1].id > poll_entry.id
    setup.poll.record_meeting(60, setup.poll.voting_form, ["Trần Văn Bình", "Lê Thị Hồng Nhung", "Phạm Đức Thắng"],
                              ["Võ Thị Mỹ Lệ", "Huỳnh Văn Ước"])  # the same state: no anchor
    db.session.commit()
    assert len(_anchors(district)) == 1
    setup.poll.start_counting()
    db.session.commit()
    assert len(_anchors(district)) == 2 and verify_chain().ok


def test_an_altered_entry_in_any_communes_chain_is_found(make_person, make_hamlet, make_commune, runner):
    make_person()
    victim_person = make_person("Trần Thị Chín", hamlet=make_hamlet("Xa Lạ", make_commune("Bình Trị")))
    make_person("Lê Văn Mười", hamlet=victim_person.hamlet)
    victim = [e for e in entries("Person") if e.record_id == str(victim_person.id)][0]
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == victim.id)
                       .values(after=victim.after.replace("Trần Thị Chín", "Trần Thị Chính")))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and (report.chain, report.first_bad_seq) == (victim.chain, victim.seq)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"bản ghi số {victim.seq} của chuỗi của xã Bình Trị (số {victim.commune_id})" in result.output


def _rewrite(chain: str, seq: int, after: str) -> None:
    """Alter entry `seq` of `chain` and recompute every hash after it, and the head: a rewrite that the chain alone
    cannot show."""
    rows = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)).all()
    prev = audit.GENESIS
    for entry in rows:
        if entry.seq == seq:
            entry.after = after
        entry.prev_hash = prev
        entry.hash = prev = audit.chain_hash(prev, entry.payload())
    db.session.execute(sa.update(AuditHead).where(AuditHead.chain == chain).values(hash=prev))
    db.session.commit()


def test_a_communes_chain_rewritten_whole_no_longer_matches_its_anchor(election, runner):
    setup = election()
    chain = f"commune:{setup.hamlet.commune_id}"
    victim = [e for e in entries("Poll") if e.chain == chain][0]
    _rewrite(chain, victim.seq, victim.after.replace("not_started", "recognised"))
    assert all(e.chain != chain for e in _anchors(setup.hamlet.commune.district_id)) and entries("AuditChains")
    report = verify_chain()
    assert not report.ok and report.chain == chain and "mốc neo" in report.message
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_an_altered_anchor_is_found(election):
    setup = election()
    anchor = _anchors(setup.hamlet.commune.district_id)[0]
    forged = anchor.after.replace('"seq": ', '"seq": 1')
    assert forged != anchor.after
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == anchor.id).values(after=forged))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and (report.chain, report.first_bad_seq) == (anchor.chain, anchor.seq)


def test_anchoring_on_demand_records_every_chain_up_to_the_installation(election, make_commune, make_hamlet,
                                                                         make_person, runner):
    setup = election()
    make_person("Trần Thị Chín", hamlet=make_hamlet("Xa Lạ", make_commune("Bình Trị", district=setup.hamlet.commune.district)))
    result = runner.invoke(args=["audit", "anchor"])
    assert result.exit_code == 0, result.output
    district = setup.hamlet.commune.district_id
    communes = set(db.session.scalars(sa.select(AuditHead.chain).where(AuditHead.district_id == district,
                                                                        AuditHead.commune_id.is_not(None))))
    assert len(communes) == 2 and set(json.loads(_anchors(district)[-1].after)["chains"]) == communes
    top = db.session.scalar(sa.select(AuditHead).where(AuditHead.chain == audit.INSTALLATION))
    assert top.hash in result.output
    last = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.chain == audit.INSTALLATION,
                                                         AuditEntry.seq == top.seq))
    assert f"district:{district}" in json.loads(last.after)["chains"]
    report = verify_chain()
    assert report.ok and report.anchors == 3  # the poll's states, the district's, the installation's
    # Rewriting the district's chain whole (its anchors included) is caught by the installation's anchor.
    district_entry = _anchors(district)[0]
    _rewrite(district_entry.chain, district_entry.seq, district_entry.after.replace('"seq"', '"seq" '))
    assert not verify_chain().ok


def test_a_savepoint_rolled_back_takes_its_entries_with_it(make_person):
    person = make_person()
    before = len(entries())
    with db.session.begin_nested() as savepoint:
        person.full_name = "Tên Bỏ Đi"
        db.session.flush()
        savepoint.rollback()
    person.full_name = "Tên Giữ Lại"
    db.session.commit()
    added = entries()[before:]
    assert [json.loads(e.after)["full_name"] for e in added] == ["Tên Giữ Lại"]
    assert all("Tên Bỏ Đi" not in e.after for e in added) and verify_chain().ok


def test_writers_in_different_communes_do_not_wait_on_each_other(app, make_person, make_hamlet, make_commune):
    """PostgreSQL: a transaction holding commune A's chain does not block one writing in commune B."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time whatever the chains")
    first = make_person()
    second = make_person("Trần Thị Chín", hamlet=make_hamlet("Xa Lạ", make_commune("Bình Trị")))
    with db.engine.connect() as holder:
        audit.append_entries(lambda st, params=None: holder.execute(st, params or {}), (None, "test"),
                       [audit.created("Person", first.id, {}, summary="giữ khóa", scope=(None, first.hamlet.commune_id,
                                                                                    None))])
        second.full_name = "Trần Thị Mười"
        db.session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        db.session.commit()  # would time out if the chains shared one lock
        with db.engine.connect() as waiter:
            waiter.execute(sa.text("SET lock_timeout = '300ms'"))
            with pytest.raises(sa.exc.OperationalError):  # the same commune does wait: one chain, one writer
                audit.append_entries(lambda st, params=None: waiter.execute(st, params or {}), (None, "test"),
                               [audit.created("Person", first.id, {}, summary="chờ", scope=(None, first.hamlet.commune_id,
                                                                                       None))])
        holder.commit()
    assert verify_chain().ok


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
