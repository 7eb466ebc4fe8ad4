"""What the election's pages, API and CLI share: the voter roll's import (all or nothing), the uploads kept
between preview and commit, check-in and turnout (R-V1, R-V5), a hamlet's polls, the minutes' verification link."""
from __future__ import annotations

import gc
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_login import current_user
from itsdangerous import URLSafeSerializer

from core import storage
from core.access import sees_full_citizen_id
from core.accounts import User
from core.audit import describe, record
from core.errors import RuleViolation, StaleWrite
from core.keys import retired_keys, signing_keys
from core.models import Commune, Hamlet, Person, Term, current_term
from core.vietnamese import fold, local_time, utcnow
from election.access import load_entry, load_hamlet_term
from election.models import (
    CheckIn,
    HouseholdTotal,
    Poll,
    VoterEntry,
    VoterRoll,
    checkin_now,
    confirmation_note,
    household_total,
    problems_from,
    registered_households,
    roll_replacing,
)
from election.rolls import RawTable, RollContext, RollPreview, RollRow, RowProblem, roll_fingerprint, validate_roll
from election.rules import HouseholdDifference, household_difference, quorum_met
from extensions import db

# Column sizes the pure validator does not know about (it checks content, not storage).
_MAX_HOUSEHOLD_NO = 20


_MAX_NAME = 120


_MAX_ADDRESS = 200


def fast_fold(name: str) -> str:
    """fold() for a cleaned name (NFC, single spaces) with C-level calls only (the import folds 100k names):
    NFD, then drop the combining marks by encoding to ASCII. Exact when every character became exactly one
    ASCII letter; otherwise fold()."""
    plain = name.replace("đ", "d").replace("Đ", "D")
    ascii_bytes = unicodedata.normalize("NFD", plain).encode("ascii", "ignore")
    if len(ascii_bytes) == len(plain):
        return ascii_bytes.decode("ascii").lower()
    return fold(name)


def roll_for(term: Term, hamlet: Hamlet, create: bool = False) -> VoterRoll | None:
    roll = db.session.scalar(db.select(VoterRoll).where(VoterRoll.term_id == term.id,
                                                         VoterRoll.hamlet_id == hamlet.id))
    if roll is None and create:
        roll = VoterRoll(term=term, hamlet=hamlet)
        db.session.add(roll)
        db.session.flush()
    return roll


def registered_elsewhere(term: Term, hamlet: Hamlet, reader_commune_id: int | None = None) -> dict[str, str | None]:
    """citizen ID -> the other hamlet where the person is registered (people registry of the district, then
    the other hamlets' rolls of the term): a household representative votes in one hamlet only (R-V1).

    `reader_commune_id`: the commune of the user who will read the answer; a hamlet of another commune is not named
    to them (None in the mapping: "another hamlet"). None: the district office, which may see every name."""
    def label(name: str, commune: str, commune_id: int) -> str | None:
        if reader_commune_id is not None and commune_id != reader_commune_id:
            return None
        return f"{name} ({commune})"

    found: dict[str, str | None] = {}
    people = db.session.execute(
        db.select(Person.citizen_id, Hamlet.name, Commune.name, Commune.id).select_from(Person)
        .join(Hamlet, Person.hamlet_id == Hamlet.id).join(Commune, Hamlet.commune_id == Commune.id).where(Commune.district_id == term.district_id, Hamlet.id != hamlet.id))
    for citizen_id, hamlet_name, commune_name, commune_id in people:
        found[citizen_id] = label(hamlet_name, commune_name, commune_id)
    entries = db.session.execute(
        db.select(VoterEntry.citizen_id, Hamlet.name, Commune.name, Commune.id).select_from(VoterEntry)
        .join(VoterRoll, VoterEntry.roll_id == VoterRoll.id).join(Hamlet, VoterRoll.hamlet_id == Hamlet.id)
        .join(Commune, Hamlet.commune_id == Commune.id)
        .where(VoterRoll.term_id == term.id, VoterRoll.hamlet_id != hamlet.id))
    for citizen_id, hamlet_name, commune_name, commune_id in entries:
        found.setdefault(citizen_id, label(hamlet_name, commune_name, commune_id))
    # Someone registered in this hamlet too is not "elsewhere" (moved, registry not updated): keep quiet.
    here = set(db.session.scalars(db.select(Person.citizen_id).where(Person.hamlet_id == hamlet.id)))
    return {cid: name for cid, name in found.items() if cid not in here}


def roll_context(term: Term, hamlet: Hamlet, reader_commune_id: int | None = None) -> RollContext:
    return RollContext(hamlet_name=hamlet.name, election_day=term.election_day, hamlet_aliases=(hamlet.full_name,),
                       registered_elsewhere=registered_elsewhere(term, hamlet, reader_commune_id))


def check_roll(table: RawTable, term: Term, hamlet: Hamlet, reader_commune_id: int | None = None) -> RollPreview:
    """validate_roll plus the storage limits of VoterEntry (a too-long value would fail on PostgreSQL);
    `reader_commune_id` as in registered_elsewhere."""
    preview = validate_roll(table, roll_context(term, hamlet, reader_commune_id))
    extra = []
    for row in preview.rows:
        if len(row.household_no) > _MAX_HOUSEHOLD_NO:
            extra.append(RowProblem(row.line, "household_no",
                                    f"Số hộ «{row.household_no}» dài quá {_MAX_HOUSEHOLD_NO} ký tự.",
                                    f"Household number longer than {_MAX_HOUSEHOLD_NO} characters.",
                                    "household_too_long"))
        if len(row.full_name) > _MAX_NAME:
            extra.append(RowProblem(row.line, "full_name", f"Họ và tên dài quá {_MAX_NAME} ký tự.",
                                    f"Full name longer than {_MAX_NAME} characters.", "name_too_long"))
    if not extra:
        return preview
    return RollPreview(rows=preview.rows,
                       problems=tuple(sorted((*preview.problems, *extra), key=lambda p: p.line)))


def import_lock_reason(term: Term, hamlet: Hamlet) -> str | None:
    """Why the roll can no longer be replaced as a whole (None = it can)."""
    poll_ids = select_poll_ids(term, hamlet)
    checked_in = db.session.scalar(db.select(sa.func.count(CheckIn.id)).where(CheckIn.poll_id.in_(poll_ids)))
    if checked_in:
        return (f"Đã có {checked_in} hộ nhận phiếu bầu theo danh sách này; không thể nhập lại danh sách "
                "(chỉ sửa từng dòng).")
    problems = problems_from(roll_replacing.send(term, hamlet=hamlet, poll_ids=poll_ids))
    return problems[0] if problems else None


def select_poll_ids(term: Term, hamlet: Hamlet):
    return db.select(Poll.id).where(Poll.term_id == term.id, Poll.hamlet_id == hamlet.id).scalar_subquery()


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic collector while ~100k parameter dicts exist: they hold no cycles, and repeated
    collections walking them cost more than building them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


ENTRY_COLUMNS = ("roll_id", "household_no", "full_name", "name_folded", "citizen_id", "birth_date", "birth_year",
                 "sex", "address")


def entry_rows(roll_id: int, rows: Iterable[RollRow], iso_dates: bool = False) -> list[tuple]:
    """RollRow tuples -> parameter tuples in ENTRY_COLUMNS order for one executemany INSERT."""
    return [(roll_id, r.household_no, r.full_name, fast_fold(r.full_name), r.citizen_id,
             r.birth_date.isoformat() if iso_dates and r.birth_date else r.birth_date,
             r.birth_year, r.sex or "", (r.address or "")[:_MAX_ADDRESS])
            for r in rows]


def insert_entries(roll_id: int, rows: Iterable[RollRow]) -> None:
    """Bulk insert through the driver, in the session's transaction: at 100k rows the per-row bind
    processing of a Core insert is the slowest step of an import. PostgreSQL: COPY; SQLite: executemany,
    dates as ISO text (as SQLAlchemy's Date stores them)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.cursor()
        with cursor.copy(f"COPY {VoterEntry.__tablename__} ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as copy:
            for row in entry_rows(roll_id, rows):
                copy.write_row(row)
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {VoterEntry.__tablename__} ({', '.join(ENTRY_COLUMNS)}) "
           f"VALUES ({', '.join([marker] * len(ENTRY_COLUMNS))})")
    connection.exec_driver_sql(sql, entry_rows(roll_id, rows, iso_dates=connection.dialect.name == "sqlite"))


def roll_version(term: Term, hamlet: Hamlet) -> int:
    """The version of the hamlet's roll (0: none yet), which an import page sends back with its commit."""
    return db.session.scalar(db.select(VoterRoll.version).where(VoterRoll.term_id == term.id,
                                                                 VoterRoll.hamlet_id == hamlet.id)) or 0


def household_check(hamlet: Hamlet, preview: RollPreview) -> HouseholdDifference | None:
    """How the previewed roll's households differ from the hamlet's register (None: they agree, or no register)."""
    return household_difference(len(preview.rows), registered_households([hamlet.id]).get(hamlet.id, 0))


def replace_roll(term: Term, hamlet: Hamlet, preview: RollPreview, filename: str,
                 expected_version: int | None = None, households_note: str = "",
                 user: User | None = None) -> VoterRoll:
    """Replace the hamlet's roll by the checked rows in the current transaction (the caller commits).

    All or nothing: refuses a preview with any problem, and a roll already used on election day. The roll row is
    locked first (SELECT … FOR UPDATE on PostgreSQL; SQLite's single writer serialises), so two imports of the same
    hamlet run one after the other; `expected_version` (the version previewed, 0 for no roll) makes the second of
    a double submit a StaleWrite (409) instead of a second replacement. Two first imports at once meet on the
    unique (term, hamlet) key: IntegrityError, 409 too.

    When the roll's households differ from the hamlet's register, `user` (the commune committee) confirms the
    difference with `households_note`, the written reason; without it nothing is imported (R-V5/R-V7 denominator).
    """
    if not preview.ok:
        raise RuleViolation(f"Tệp còn {len(preview.problems)} lỗi; chưa nhập dòng nào.")
    if not preview.rows:
        raise RuleViolation("Tệp không có dòng cử tri nào.")
    reason = import_lock_reason(term, hamlet)
    if reason:
        raise RuleViolation(reason)
    existing: VoterRoll | None = db.session.scalar(db.select(VoterRoll).where(VoterRoll.term_id == term.id,
                                                             VoterRoll.hamlet_id == hamlet.id)
                                 .with_for_update().execution_options(populate_existing=True))
    if expected_version is not None and (existing.version if existing else 0) != expected_version:
        raise StaleWrite()
    register = registered_households([hamlet.id]).get(hamlet.id, 0)
    difference = household_difference(len(preview.rows), register)
    if difference is not None:  # refused before the entries are touched
        confirmation_note(difference, households_note, user.role if user else None)
    previous = existing.entry_count if existing else 0
    summary = (f"Nhập danh sách cử tri {hamlet.full_name} ({hamlet.commune.full_name}) từ «{filename}»: "
               f"{len(preview.rows)} hộ" + (f", thay {previous} hộ trước đó" if previous else ""))
    describe(summary[:300])
    roll = existing
    if roll is None:  # the first import; a concurrent first import meets this one on the unique key: 409
        roll = VoterRoll(term=term, hamlet=hamlet)
        db.session.add(roll)
        db.session.flush()
    db.session.execute(sa.delete(VoterEntry).where(VoterEntry.roll_id == roll.id))
    with _no_gc():
        insert_entries(roll.id, preview.rows)
        roll.fingerprint = roll_fingerprint(((r.household_no, r.full_name, r.citizen_id) for r in preview.rows),
                                            already_clean=True)
    roll.entry_count = len(preview.rows)
    roll.source_filename = (filename or "")[:200]
    roll.updated_at = utcnow()
    after: dict = {"entries": roll.entry_count, "fingerprint": roll.fingerprint, "file": filename,
                   "register": register}
    if difference is None:
        _clear_household_confirmation(roll)
    else:
        roll.confirm_households(register, households_note, user.id if user else None, user.role if user else None)
        summary += f"; {difference.describe()}, xác nhận: {roll.households_note}"
        after["households_note"] = roll.households_note
    record("event", "VoterRoll", roll.id, summary=summary[:300],
           scope=(hamlet.commune.district_id, hamlet.commune_id, hamlet.id), after=after)
    return roll


def _clear_household_confirmation(roll: VoterRoll) -> None:
    roll.households_note, roll.households_confirmed, roll.households_register = "", None, None
    roll.households_confirmed_by_id, roll.households_confirmed_at = None, None


def refresh_roll(roll: VoterRoll) -> None:
    """Recompute fingerprint and count after an entry was added, edited or deleted (same transaction)."""
    db.session.flush()
    rows = db.session.execute(db.select(VoterEntry.household_no, VoterEntry.full_name, VoterEntry.citizen_id)
                              .where(VoterEntry.roll_id == roll.id)).all()
    roll.fingerprint = roll_fingerprint(rows) if rows else ""
    roll.entry_count = len(rows)
    roll.updated_at = utcnow()


def entry_search(stmt, q: str):
    """Name without diacritics, citizen ID (digits, 9+) or household number.

    A role that sees citizen IDs masked (the polling team) finds a person by the whole number only: a prefix search
    would let it read a masked number digit by digit (issue 14)."""
    q = q.strip()
    if not q:
        return stmt
    if q.isdigit() and len(q) >= 9:
        if sees_full_citizen_id():
            return stmt.where(VoterEntry.citizen_id.startswith(q))
        return stmt.where(VoterEntry.citizen_id == q)
    folded = fold(q)
    return stmt.where(sa.or_(VoterEntry.name_folded.contains(folded), VoterEntry.household_no == q,
                             VoterEntry.household_no.ilike(f"{q}%")))


_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


UPLOAD_MAX_AGE = timedelta(hours=6)  # a preview not imported by then is forgotten (its file purged)


def keep_upload(data: bytes, filename: str, hamlet_id: int, term_id: int, user_id: int) -> str:
    """Keep the uploaded bytes in the database under a random token until the import (any app host finds them);
    returns the token. Added to the session: the caller commits. Abandoned previews past their age are purged."""
    token = secrets.token_urlsafe(24)
    storage.purge_expired()
    storage.put(storage.ROLL_UPLOAD, token, data, filename=filename, keep_for=UPLOAD_MAX_AGE,
                owner_id=user_id, hamlet_id=hamlet_id, term_id=term_id)
    return token


def load_upload(token: str, hamlet_id: int, user_id: int) -> tuple[bytes, str, int] | None:
    """(bytes, filename, term id) of a kept upload of this user for this hamlet, not expired, or None."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    kept = storage.find(storage.ROLL_UPLOAD, token)
    if kept is None or kept.hamlet_id != hamlet_id or kept.owner_id != user_id or kept.term_id is None:
        return None
    return kept.data, kept.filename, kept.term_id


def drop_upload(token: str) -> None:
    """Forget a kept upload, in the caller's transaction (the import's own: both or neither)."""
    if _TOKEN.fullmatch(token or ""):
        storage.remove(storage.ROLL_UPLOAD, token)


@dataclass(frozen=True)
class Turnout:
    total: int  # the hamlet's total households (election.models.household_totals: R-V5's denominator)
    present: int  # households whose representative received a ballot
    quorum: bool  # R-V5: strictly more than half of ALL households
    needed: int  # households needed for the quorum
    households: Callable[[], HouseholdTotal | None] = field(default=lambda: None, compare=False, repr=False)

    @property
    def percent(self) -> float:
        return round(100 * self.present / self.total, 1) if self.total else 0.0

    @property
    def source(self) -> str:
        """Where the total comes from (HouseholdTotal.source_text), looked up when a page shows it."""
        households = self.households()
        return households.source_text if households else ""

    def as_dict(self) -> dict:
        return {"total": self.total, "present": self.present, "quorum_met": self.quorum,
                "needed_for_quorum": self.needed, "percent": self.percent}


def turnout(poll, roll: VoterRoll | None) -> Turnout:
    owner = roll if roll is not None else poll

    def households() -> HouseholdTotal | None:
        return household_total(owner.hamlet_id, owner.term_id, poll) if owner is not None else None

    if poll is not None and poll.total_households is not None:
        total = poll.total_households  # frozen when voting opened: household_total's answer, without its queries
    else:
        found = households()
        total = found.count if found else 0
    present = 0
    if poll is not None and poll.id is not None:
        present = db.session.scalar(db.select(sa.func.count(CheckIn.id)).where(CheckIn.poll_id == poll.id)) or 0
    needed = next((n for n in range(total + 1) if quorum_met(total, n)), total + 1) if total else 1
    return Turnout(total=total, present=present, quorum=bool(total) and quorum_met(total, present), needed=needed,
                   households=households)


def check_in(poll, entry: VoterEntry, user_id: int | None) -> tuple[CheckIn, bool]:
    """Mark that the household's representative received a ballot; (check-in, created). A repeated tap
    returns the existing record (the unique constraint guards concurrent taps). Only while the round is voting."""
    poll.require_check_in_open()
    existing = db.session.scalar(db.select(CheckIn).where(CheckIn.poll_id == poll.id, CheckIn.entry_id == entry.id))
    if existing is not None:
        return existing, False
    for _attempt in range(3):
        # A random id and the quarter hour (election.models.CheckIn): the row does not tell the order of households.
        record_ = CheckIn(poll_id=poll.id, entry=entry, by_user_id=user_id)
        try:
            with db.session.begin_nested():
                db.session.add(record_)
        except sa.exc.IntegrityError:  # another phone of the team tapped the same household at the same moment
            existing = db.session.scalar(db.select(CheckIn).where(CheckIn.poll_id == poll.id,
                                                                  CheckIn.entry_id == entry.id))
            if existing is not None:
                return existing, False
            continue  # the random id was taken (one chance in 2⁵³ per row): draw another
        return record_, True
    raise RuntimeError("no free check-in id after three draws")


def forget_checkin_order() -> None:
    """Rewrite the check-ins in the order of their random ids. PostgreSQL keeps a row where it was inserted until
    the table is rewritten, so the rows' positions (ctid) give the order of check-ins to whoever reads the
    database; CLUSTER rewrites the table (a brief lock on it) and drops the old versions. SQLite keeps the rows
    in the order of their ids (the rowid), which are random already: nothing to do. Run it once voting is over."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("CLUSTER check_in USING pk_check_in"))


def undo_check_in(poll, entry: VoterEntry) -> bool:
    poll.require_check_in_open()
    existing = db.session.scalar(db.select(CheckIn).where(CheckIn.poll_id == poll.id, CheckIn.entry_id == entry.id))
    if existing is None:
        return False
    db.session.delete(existing)
    return True


def hamlet_polls(hamlet: Hamlet) -> tuple[object, list[Poll]]:
    term = current_term(hamlet.commune.district_id)
    if term is None:
        return None, []
    polls = db.session.scalars(db.select(Poll).where(Poll.term_id == term.id, Poll.hamlet_id == hamlet.id)
                               .order_by(Poll.round_no)).all()
    return term, list(polls)


MINUTES_PURPOSE = "minutes-qr"


def _serializer() -> URLSafeSerializer:
    """Signs the minutes' verification links with the minutes' own key (core/keys.py). itsdangerous signs with the
    last key and accepts any: the retired keys' minutes still verify, and so do the links printed before purpose
    keys, which were signed with SECRET_KEY itself (never used to sign any more)."""
    config = current_app.config
    current, *retired = signing_keys(config, MINUTES_PURPOSE)
    legacy = [config["SECRET_KEY"], *retired_keys(config)]
    return URLSafeSerializer([*legacy, *retired, current], salt="minutes-verification")


def verification_token(poll: Poll, version: int | None = None) -> str:
    """The minutes' QR token names the poll and the minutes' version (a correction prints a new version)."""
    return _serializer().dumps({"poll": poll.id, "v": version or poll.minutes_version or 1})


def verification_url(poll: Poll) -> str:
    return url_for("election.verify_minutes", token=verification_token(poll), _external=True)


def poll_roll_fingerprint(poll: Poll) -> str:
    roll = db.session.scalar(db.select(VoterRoll).where(VoterRoll.term_id == poll.term_id,
                                                        VoterRoll.hamlet_id == poll.hamlet_id))
    return roll.fingerprint if roll else ""


def poll_of(term: Term, hamlet: Hamlet, round_no: int, create: bool) -> Poll | None:
    if create:
        return Poll.get_or_create(term, hamlet, round_no)
    return db.session.scalar(db.select(Poll).where(Poll.term_id == term.id, Poll.hamlet_id == hamlet.id,
                                                   Poll.round_no == round_no))


def voting_poll(term: Term, hamlet: Hamlet, round_no: int) -> Poll:
    """The poll of this round, if households may be checked in now (it is voting); else RuleViolation naming its
    status and the open round."""
    poll = poll_of(term, hamlet, round_no, create=False)
    if poll is None:
        latest = Poll.latest_of(term.id, hamlet.id)
        message = f"Vòng {round_no} chưa khai mạc bỏ phiếu: chưa ghi nhận nhận phiếu được."
        if latest is not None and latest.round_no != round_no:
            message += f" Vòng đang mở là vòng {latest.round_no} (“{latest.status.label}”)."
        raise RuleViolation(message)
    poll.require_check_in_open()
    return poll


def checkin_summary(action: str, hamlet: Hamlet, round_no: int) -> str:
    """The audit summary of a check-in or its undo: the poll and the quarter hour, not the household. The log is a
    chain in the order of events: naming the household there would keep the order of check-ins that the
    CheckIn rows no longer keep, and with it the join of households to the stack of ballots."""
    quarter = local_time(checkin_now(), "%H:%M")
    return f"{action} (1 hộ), {hamlet.full_name}, vòng {round_no}, khung giờ từ {quarter}"


def mark_checked_in(hamlet_id: int, entry_id: int, round_no: int) -> dict:
    """Check a household in (page and API): idempotent and audited; the JSON answer (the caller commits)."""
    hamlet, term = load_hamlet_term(hamlet_id)
    roll, entry = load_entry(hamlet, term, entry_id)
    poll = voting_poll(term, hamlet, round_no)
    describe(checkin_summary("Ghi nhận nhận phiếu", hamlet, round_no))  # no household: secret ballot against order
    _record, created = check_in(poll, entry, current_user.id)
    return {"entry": entry_json(entry, True), "created": created, "turnout": turnout(poll, roll).as_dict()}


def undo_checked_in(hamlet_id: int, entry_id: int, round_no: int) -> dict:
    """Undo a mistaken check-in (page and API), audited; the JSON answer (the caller commits)."""
    hamlet, term = load_hamlet_term(hamlet_id)
    roll, entry = load_entry(hamlet, term, entry_id)
    poll = voting_poll(term, hamlet, round_no)
    describe(checkin_summary("Hủy ghi nhận nhận phiếu", hamlet, round_no))
    removed = undo_check_in(poll, entry)
    return {"entry": entry_json(entry, False), "removed": removed, "turnout": turnout(poll, roll).as_dict()}


def entry_json(entry: VoterEntry, checked_in: bool) -> dict:
    return {"id": entry.id, "household_no": entry.household_no, "full_name": entry.full_name,
            "birth_year": entry.birth_date.year if entry.birth_date else entry.birth_year,
            "citizen_id_tail": entry.citizen_id[-4:], "address": entry.address, "checked_in": checked_in}


SEARCH_LIMIT = 20  # matches the check-in page shows at once; it says how many more there are (search_total)


def search_total(roll: VoterRoll | None, q: str) -> int:
    """How many entries of the roll match `q` (search_entries shows the first SEARCH_LIMIT of them)."""
    if roll is None or not q.strip():
        return 0
    stmt = entry_search(db.select(sa.func.count(VoterEntry.id)).where(VoterEntry.roll_id == roll.id), q)
    return db.session.scalar(stmt) or 0


def search_entries(roll: VoterRoll | None, poll: Poll | None, q: str, limit: int = SEARCH_LIMIT) -> list[dict]:
    if roll is None or not q.strip():
        return []
    stmt = entry_search(db.select(VoterEntry).where(VoterEntry.roll_id == roll.id), q)
    entries = list(db.session.scalars(stmt.order_by(VoterEntry.household_no, VoterEntry.id).limit(limit)))
    done: set[int] = set()
    if poll is not None and poll.id is not None and entries:
        done = set(db.session.scalars(db.select(CheckIn.entry_id).where(
            CheckIn.poll_id == poll.id, CheckIn.entry_id.in_([e.id for e in entries]))))
    return [entry_json(e, e.id in done) for e in entries]
