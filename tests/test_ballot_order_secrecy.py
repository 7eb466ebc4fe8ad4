"""Secret ballot against order (issue 15, part 9): the join of households to votes by order recovers nothing.

A hamlet of 200 households goes through the real pages: the roll imported, the ballots printed and downloaded,
every household checked in one by one (in the order they arrive, over two hours) and handed the ballot on top
of the stack (the downloaded PDF's order, read page by page), the poll counted by scanning every ballot cast
with a known choice. Then the attacker reads everything stored — every row with its id and time, the audit log
in its sequence, every file left in the instance folder — and tries every order-based join: i-th household
checked in (by time, id, audit sequence) ↔ i-th ballot (by id, serial, kept PDF; from either end) ↔ its scan.

The best join must recover no more households' votes than chance would: chance + 4 binomial sigmas. The same
attack run on deliberately order-preserving variants (the print order of the ids; exact check-in times, or an
audit entry naming the household) recovers nearly every vote: the test can fail.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
from factories_ballots import confirmed_list, csv_bytes, import_through_pages, roll_rows
from factories_counting import client_for
from flask_migrate import downgrade, upgrade

import ballots.printing
import core.audit
import election.models
from app import create_app
from ballots.models import Ballot, BallotBatch, BallotScan, ballot_secret
from ballots.qr import BallotPayload, encode_payload
from core.accounts import Role
from core.audit import AuditEntry
from core.models import Term
from election.models import CheckIn, Poll, VoterEntry, VotingForm
from election.rules import CHECKIN_TIME_GRAIN, checkin_time
from extensions import db

HOUSEHOLDS = 200
CONTROL_HOUSEHOLDS = 60  # the controls only need to show the join working
ELECTION_DAY = date(2025, 6, 8)
OPENING = datetime(2025, 6, 8, 0, 30)  # 07:30 in Vietnam, stored as naive UTC
ARRIVAL_GAP = timedelta(seconds=36)  # 200 households over two hours
SERIAL = re.compile(r"Mã:\s*([0-9A-Z]{4}) ([0-9A-Z]{4}) ([0-9A-Z]{2})[0-9A-Z]")  # the short code: serial + check


class Clock:
    """The moment check-ins and audit entries are written at: advanced by the test between households."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Hamlet:
    """What the test (not the attacker) knows: who got which ballot and how they voted."""

    poll: Poll
    serial_of: dict[int, str]  # entry id -> serial handed out
    choice_of: dict[int, str]  # entry id -> choice scanned
    printed: int  # ballots printed (households + spare)


def _pdf_serials(pdf: bytes) -> list[str]:
    """The serials of a ballot PDF, page by page, in the order drawn on each page."""
    serials: list[str] = []
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:  # an upload of the other tests that is no PDF
        return serials
    for page in document:
        serials += ["".join(groups) for groups in SERIAL.findall(page.get_textpage().get_text_range())]
    return serials


def _election_sunday(app, make_commune, make_hamlet, make_term, make_person, make_user, households: int) -> Hamlet:
    commune = make_commune("Bình Hải")
    place = make_hamlet("An Phú", commune, households=households)
    term = db.session.scalar(sa.select(Term).where(Term.district_id == commune.district_id)) or make_term(
        commune.district, election_day=ELECTION_DAY, name="2025–2027")
    people = [make_person(name, place, birth_date=date(1975, 4, 2 + i))
              for i, name in enumerate(("Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước"))]
    committee = make_user(Role.COMMUNE_COMMITTEE, commune=commune)
    candidate_list = confirmed_list(term, place, people, committee.id)
    team = make_user(Role.POLLING_TEAM, commune=commune, hamlet=place)
    office, phone = client_for(app, committee), client_for(app, team)
    import_through_pages(office, place, csv_bytes(roll_rows(households)))
    assert office.post(f"/ballots/hamlets/{place.id}/print", data={"layout": "A4x4", "kind": "real"}).status_code == 302
    batch = db.session.scalar(sa.select(BallotBatch))
    pdf = office.get(f"/ballots/batches/{batch.id}.pdf")
    stack = _pdf_serials(pdf.data)  # top of the stack first
    assert len(stack) == batch.count == len(set(stack))

    poll = db.session.scalar(sa.select(Poll))
    poll.open(households, ELECTION_DAY, at=OPENING)
    db.session.commit()
    luck = random.Random(15)
    entries = list(db.session.scalars(sa.select(VoterEntry.id)))
    luck.shuffle(entries)  # households arrive in no particular order
    ids = [str(c.id) for c in candidate_list.candidacies]
    serial_of, choice_of = {}, {}
    clock = Clock(OPENING)
    with pytest.MonkeyPatch.context() as time_of_day:
        time_of_day.setattr(election.models, "utcnow", clock)
        time_of_day.setattr(core.audit, "utcnow", clock)
        for position, entry_id in enumerate(entries):
            clock.now += ARRIVAL_GAP + timedelta(seconds=luck.uniform(-20, 20))
            answer = phone.post(f"/hamlets/{place.id}/checkin/{entry_id}?round_no=1").get_json()
            assert answer["created"], answer
            assert set(answer) == {"entry", "created", "turnout"}  # nothing about when, nor which ballot
            serial_of[entry_id] = stack[position]  # the ballot on top of the stack
            choice_of[entry_id] = ids[0] if luck.random() < 0.6 else ids[1]

    poll = db.session.scalar(sa.select(Poll))
    poll.record_meeting(households, VotingForm.SECRET_BALLOT, ["Trần Văn Bình", "Lê Thị Hồng Nhung", "Phạm Đức Thắng"],
                        ["Võ Thị Mỹ Lệ", "Huỳnh Văn Ước"])
    poll.start_counting()
    db.session.commit()
    box = list(serial_of.items())
    luck.shuffle(box)  # the ballot box mixes them
    secret = ballot_secret()
    for entry_id, serial in box:
        text = encode_payload(BallotPayload(batch.election_hash, place.id, serial, False), secret)
        response = phone.post(f"/polls/{poll.id}/scan", json={"text": text, "choice": choice_of[entry_id], "reason": ""},
                              headers={"Idempotency-Key": f"scan-{serial}"})
        assert response.status_code == 201, response.get_json()
    return Hamlet(poll, serial_of, choice_of, batch.count)


# ---------------------------------------------------------------------------------------------------------
# The attacker: everything stored, no knowledge of who got which ballot
# ---------------------------------------------------------------------------------------------------------

# Where a row lies in the table's storage: SQLite's rowid (a check-in's random id), PostgreSQL's heap position.
_STORAGE_ORDER = {"sqlite": "rowid", "postgresql": "ctid"}


def _checkin_orders(poll_id: int) -> dict[str, list[int]]:
    """Orders of households (entry ids) the stored data could give, from the first checked in."""
    rows = db.session.execute(sa.select(CheckIn.id, CheckIn.at, CheckIn.entry_id)
                              .where(CheckIn.poll_id == poll_id)).all()
    by_id = {row.id: row.entry_id for row in rows}
    orders = {"time, id": [r.entry_id for r in sorted(rows, key=lambda r: (r.at, r.id))],
              "time, household": [r.entry_id for r in sorted(rows, key=lambda r: (r.at, r.entry_id))],
              "id": [r.entry_id for r in sorted(rows, key=lambda r: r.id)],
              "storage": list(db.session.scalars(sa.text(f"SELECT entry_id FROM check_in WHERE poll_id = :p "
                                                          f"ORDER BY {_STORAGE_ORDER[db.engine.dialect.name]}"),
                                                  {"p": poll_id}))}
    households = {str(e.household_no): e.id for e in db.session.scalars(sa.select(VoterEntry))}
    from_audit: list[int] = []
    for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.record_type == "CheckIn")
                                    .order_by(AuditEntry.id)):
        if entry.action != "create":
            continue
        after = json.loads(entry.after or "{}")
        named = re.search(r"[Hh]ộ (\d+)", entry.summary)
        if "entry_id" in after:
            from_audit.append(after["entry_id"])
        elif entry.record_id.isdigit() and int(entry.record_id) in by_id:
            from_audit.append(by_id[int(entry.record_id)])
        elif named and named.group(1) in households:
            from_audit.append(households[named.group(1)])
    if from_audit:
        orders["audit sequence"] = from_audit
    return orders


def _ballot_orders(app, poll_id: int) -> dict[str, list[str]]:
    """Orders of serials the stored data could give, top of the stack first (and from the other end)."""
    rows = db.session.execute(sa.select(Ballot.id, Ballot.serial).where(Ballot.poll_id == poll_id)).all()
    orders = {"id": [r.serial for r in sorted(rows, key=lambda r: r.id)],
              "serial": sorted(r.serial for r in rows),
              "storage": list(db.session.scalars(sa.text(f"SELECT serial FROM ballot WHERE poll_id = :p "
                                                          f"ORDER BY {_STORAGE_ORDER[db.engine.dialect.name]}"),
                                                  {"p": poll_id}))}
    for path in Path(app.instance_path).rglob("*.pdf"):  # any file left behind
        orders[f"kept file {path.name}"] = _pdf_serials(path.read_bytes())
    return {**orders, **{f"{name}, reversed": list(reversed(order)) for name, order in orders.items()}}


def attacker_joins(app, poll_id: int) -> dict[str, dict[int, str]]:
    """Every order-based join the stored data allows: household (entry id) -> the serial it is taken to have had."""
    ballot_orders = _ballot_orders(app, poll_id)
    return {f"check-ins by {how_c} × ballots by {how_b}": dict(zip(households, serials))
            for how_c, households in _checkin_orders(poll_id).items()
            for how_b, serials in ballot_orders.items()}


def best_join(app, hamlet: Hamlet) -> tuple[float, int, str]:
    """(votes recovered / households, exact ballots recovered, how) of the best join, scored against the truth."""
    votes = dict(db.session.execute(sa.select(BallotScan.serial, BallotScan.choice)
                                    .where(BallotScan.poll_id == hamlet.poll.id)).tuples().all())
    best = (0.0, 0, "")
    for how, guessed in attacker_joins(app, hamlet.poll.id).items():
        rate = sum(1 for e, s in guessed.items() if votes.get(s) == hamlet.choice_of[e]) / len(hamlet.choice_of)
        exact = sum(1 for e, s in guessed.items() if hamlet.serial_of[e] == s)
        best = max(best, (rate, exact, how))
    return best


def chance_bounds(hamlet: Hamlet) -> tuple[float, float]:
    """(vote rate, exact ballots) a join by a random order reaches, plus 4 sigmas (binomial over the households)."""
    n = len(hamlet.choice_of)
    counts: dict[str, int] = {}
    for choice in hamlet.choice_of.values():
        counts[choice] = counts.get(choice, 0) + 1
    p = sum(c * c for c in counts.values()) / (n * hamlet.printed)  # the guessed ballot is any printed one
    exact = n / hamlet.printed
    return p + 4 * (p * (1 - p) / n) ** 0.5, exact + 7 * exact ** 0.5  # exact: Poisson(≈1), several joins tried


@pytest.fixture
def sunday(app, make_commune, make_hamlet, make_term, make_person, make_user):
    return lambda households=HOUSEHOLDS: _election_sunday(app, make_commune, make_hamlet, make_term, make_person,
                                                          make_user, households)


def test_the_order_join_recovers_no_more_votes_than_chance(app, sunday):
    hamlet = sunday()
    rate, exact, how = best_join(app, hamlet)
    vote_bound, exact_bound = chance_bounds(hamlet)
    assert rate <= vote_bound, f"{how}: {rate:.1%} of votes recovered, chance bound {vote_bound:.1%}"
    assert exact <= exact_bound, f"{how}: {exact} ballots recovered, chance bound {exact_bound:.1f}"
    # What made it so: no file kept, check-in times to the quarter hour, audit entries without the household.
    served = set(hamlet.serial_of.values())
    assert not any(served & set(_pdf_serials(path.read_bytes())) for path in Path(app.instance_path).rglob("*.pdf"))
    times = set(db.session.scalars(sa.select(CheckIn.at)))
    assert all(t.minute % 15 == 0 and t.second == 0 and t.microsecond == 0 for t in times) and len(times) <= 9
    for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.record_type == "CheckIn")):
        assert entry.record_id == str(hamlet.poll.id) and "entry_id" not in entry.after
        assert "(1 hộ)" in entry.summary and not re.search(r"[Hh]ộ \d", entry.summary)


@pytest.mark.parametrize("leak", ["exact check-in times", "audit names the household"])
def test_the_same_attack_succeeds_when_order_is_kept(app, sunday, monkeypatch, leak):
    """The controls: ballots drawn in the order of their ids (as before), and one way of keeping the order of
    check-ins. The attack above then recovers nearly every vote, so it can fail."""
    monkeypatch.setattr(ballots.printing, "print_order", list)
    if leak == "exact check-in times":
        monkeypatch.setattr(election.models, "checkin_time", lambda at: at)
    else:
        monkeypatch.setattr(CheckIn, "audit_exclude", frozenset())
    hamlet = sunday(CONTROL_HOUSEHOLDS)
    rate, exact, how = best_join(app, hamlet)
    vote_bound, _exact_bound = chance_bounds(hamlet)
    assert rate > 0.95 and rate > vote_bound and exact > 0.95 * CONTROL_HOUSEHOLDS, (how, rate, exact)


def test_forget_order_rewrites_the_check_ins_in_the_order_of_their_random_ids(app, sunday, runner):
    """PostgreSQL keeps rows where they were inserted (ctid: the order of check-ins); `flask ballots forget-order`
    rewrites them in the order of their random ids. On SQLite the rows lie in id order already."""
    hamlet = sunday(CONTROL_HOUSEHOLDS)
    before = _checkin_orders(hamlet.poll.id)
    if db.engine.dialect.name == "postgresql":  # stored as they came, one after the other
        assert before["storage"] != before["id"]
    result = runner.invoke(args=["ballots", "forget-order"])
    assert result.exit_code == 0, result.output
    stored = _checkin_orders(hamlet.poll.id)
    assert stored["storage"] == stored["id"]


def test_checkin_time_keeps_the_quarter_hour():
    assert checkin_time(datetime(2025, 6, 8, 0, 44, 59, 999999)) == datetime(2025, 6, 8, 0, 30)
    assert checkin_time(datetime(2025, 6, 8, 0, 45)) == datetime(2025, 6, 8, 0, 45)
    assert CHECKIN_TIME_GRAIN == timedelta(minutes=15)


def test_0007_scrubs_what_earlier_releases_stored(tmp_path):
    """Check-ins already stored get random ids and quarter-hour times; kept ballot PDFs are deleted."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'order.sqlite'}", "TESTING": True,
                      "ENV_NAME": "test"})
    with app.app_context():
        upgrade(revision="0006_auth")
        kept = Path(app.instance_path) / "ballots" / "batch-999999-ABCDEFGH-0123456789ab.pdf"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(b"%PDF-1.4 the order of a stack")
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for i, at in enumerate(("2025-06-08 00:31:17.500000", "2025-06-08 00:47:59.000000",
                                    "2025-06-08 01:00:00.000000"), start=1):
                connection.execute(sa.text("INSERT INTO check_in (id, poll_id, entry_id, at) VALUES (:i, 1, :i, :at)"),
                                   {"i": i, "at": at})
            connection.commit()
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, entry_id, at FROM check_in ORDER BY entry_id")).all()
        assert [str(r.at)[:19] for r in rows] == ["2025-06-08 00:30:00", "2025-06-08 00:45:00", "2025-06-08 01:00:00"]
        assert all(r.id > 3 for r in rows) and len({r.id for r in rows}) == 3
        assert not kept.exists()
        downgrade(revision="0006_auth")
        with db.engine.connect() as connection:
            assert sorted(connection.scalars(sa.text("SELECT id FROM check_in"))) == [1, 2, 3]


def test_check_in_and_undo_are_audited_without_the_household(ready, app):
    """Accountability without order: who checked in and when (to the quarter hour), under the poll; the household
    is on the CheckIn row, never in the chained log; its undo likewise."""
    setup = ready()
    office, phone = client_for(app, setup.committee), client_for(app, setup.team)
    import_through_pages(office, setup.hamlet, csv_bytes(roll_rows(3)))
    entries = list(db.session.scalars(sa.select(VoterEntry).order_by(VoterEntry.household_no)))
    Poll.get_or_create(setup.term, setup.hamlet, 1).open(3, setup.term.election_day)  # check-in while voting only
    db.session.commit()
    base = f"/hamlets/{setup.hamlet.id}/checkin"
    for entry in entries:
        assert phone.post(f"{base}/{entry.id}?round_no=1").get_json()["created"]
    assert phone.post(f"{base}/{entries[1].id}/undo?round_no=1").get_json()["removed"]
    poll = db.session.scalar(sa.select(Poll))
    logged = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.record_type == "CheckIn")
                                     .order_by(AuditEntry.id)))
    assert [e.action for e in logged] == ["create"] * 3 + ["delete"]
    for entry in logged:
        assert entry.record_id == str(poll.id) and entry.user_id == setup.team.id
        body = json.loads(entry.after or entry.before)
        assert set(body) == {"poll_id", "at", "by_user_id"}, body
        assert "(1 hộ)" in entry.summary and setup.hamlet.name in entry.summary
        assert not any(e.household_no in entry.summary or e.full_name in entry.summary for e in entries)
    assert logged[-1].summary.startswith("Hủy ghi nhận nhận phiếu")
    rows = db.session.scalars(sa.select(CheckIn)).all()
    assert sorted(r.entry_id for r in rows) == [entries[0].id, entries[2].id]  # the household is on the row
    assert all(r.at.minute % 15 == 0 and r.at.second == r.at.microsecond == 0 for r in rows)
