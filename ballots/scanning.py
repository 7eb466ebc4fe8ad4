"""Counting by scanning the printed ballots (per-ballot mode): each ballot's signed QR read and its choice tapped,
the running totals, and the tally that enters the count as one of the two entries (election.counting).

A scan runs on the request's own DBAPI connection (core.dbapi) and commits itself, with its audit entry.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from ballots.models import (
    Ballot,
    BallotBatch,
    BallotScan,
    BallotState,
    MarkRead,
    MarkReadState,
    UndoneScan,
    ballot_keys,
    ballot_secret,
)
from ballots.qr import BallotPayload, BallotQRError, ShortCodeError, decode_payload, encode_payload, typed_serial
from ballots.verification import verify_ballot
from candidates.models import Candidacy, CandidateList, ListState
from core import dbapi
from core.audit import append_entries, created
from core.errors import RuleViolation
from core.models import Commune, Hamlet, Person, unit_name
from core.vietnamese import nfc, utcnow
from election.counting import (
    AGREE,
    DISAGREE,
    INVALID_REASONS,
    SCANNING,
    SEATS,
    require_candidates,
    scan_open,
    submit_entry,
)
from election.models import CountEntry, CountMethod, Figures, Poll, PollStatus, poll_label
from election.rules import ballot_validity
from extensions import db


class ScanRefused(RuleViolation):
    """A scanned ballot refused on the spot (forged, foreign, test, already scanned…)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, "ballot")
        self.code = code


def _candidates(poll: Poll | ScanPoll) -> list[tuple[str, str]]:
    """(candidacy id, full name) of the poll's confirmed list, in ballot order (one query, cached once ballots
    exist)."""
    # Per app: poll id → candidates, only for lists locked for good (ballots printed), which never change again.
    cache = current_app.extensions.setdefault("locked_candidates", {})
    if poll.id in cache:
        return cache[poll.id]
    rows = db.session.execute(db.select(Candidacy.id, Person.full_name, CandidateList.ballots_printed)
                              .join(CandidateList, Candidacy.list_id == CandidateList.id)
                              .join(Person, Candidacy.person_id == Person.id)
                              .where(CandidateList.term_id == poll.term_id, CandidateList.hamlet_id == poll.hamlet_id,
                                     CandidateList.round_no == poll.round_no,
                                     CandidateList.state == ListState.CONFIRMED)
                              .order_by(Candidacy.position)).all()
    if not rows:
        raise RuleViolation("Danh sách người ứng cử của cuộc bầu này chưa được xác nhận (R-V3).")
    candidates = [(str(row.id), row.full_name) for row in rows]
    if rows[0].ballots_printed:
        cache[poll.id] = candidates
    return candidates


def candidate_ids(poll: Poll | ScanPoll) -> list[str]:
    """The candidacy ids of the poll's confirmed list, in ballot order."""
    return [cid for cid, _name in _candidates(poll)]


def candidate_names(poll: Poll | ScanPoll) -> dict[str, str]:
    """Candidacy id → full name, for saying whom a scan recorded."""
    return dict(_candidates(poll))


def _validity(ids: list[str], choice: str, reason: str):
    """R-B1 for what the board member tapped: a kept name, agree/disagree, or invalid with a reason."""
    single = len(ids) == 1
    if reason and reason != "valid":
        if reason not in INVALID_REASONS:
            raise RuleViolation("Lý do phiếu không hợp lệ không đúng.", "reason")
        if single and reason in ("no_name_kept", "too_many_kept"):
            raise RuleViolation("Lý do này chỉ dùng khi có từ hai người ứng cử.", "reason")
        if not single and reason in ("no_box", "both_boxes"):
            raise RuleViolation("Lý do này chỉ dùng khi có một người ứng cử.", "reason")
        marks = {"no_box": "none", "both_boxes": "both"}
        kept = {"no_name_kept": [], "too_many_kept": ids}.get(reason, ids[:1])
        return ballot_validity(ids, kept, SEATS, single_candidate_mark=marks.get(reason, AGREE) if single else None,
                               extra_marks=reason == "extra_marks")
    if single:
        if choice not in (AGREE, DISAGREE):
            raise RuleViolation("Chọn “Đồng ý”, “Không đồng ý” hoặc “Không hợp lệ”.", "choice")
        return ballot_validity(ids, [], SEATS, single_candidate_mark=choice)
    if choice not in ids:
        raise RuleViolation("Chọn người được giữ lại tên trên phiếu, hoặc “Không hợp lệ”.", "choice")
    return ballot_validity(ids, [choice], SEATS)


def decision_verdict(poll: Poll | ScanPoll, choice: str, reason: str) -> tuple[str, str]:
    """(choice, reason) as a scan records them, for what a member decided on a ballot (as for a tap); raises
    RuleViolation when it is no valid decision."""
    verdict = _validity(candidate_ids(poll), choice, reason)
    return (choice if verdict.valid else ""), verdict.reason


# A scan is the busiest write of election Sunday (every ballot of every hamlet): its statements are built
# once and run on the request's own DBAPI connection (core.dbapi), with no ORM object, its audit entry
# chained in the same transaction. bench/scans.py measures it.
_scan_sql: dict[str, dict[str, sa.Executable]] = {}  # per dialect name: statement name → statement


# PostgreSQL advisory locks of the poll's scans (namespace, poll id): scans share it, finish_scanning takes it
# alone. In memory, unlike a row lock shared by concurrent scans (a MultiXact written per scan).
SCAN_LOCKS = 0x5CA9


COUNTED_ELSEWHERE = "Phiếu này vừa được quét trên một máy khác: không tính lần nữa."
WAITING = ("Phiếu này đang chờ hai thành viên Tổ bầu cử quyết định (đọc dấu chưa rõ): xem ở trang “Phiếu chờ quyết "
           "định”.")
UNDONE_KEY = "Lần quét gửi với mã chống gửi trùng này đã bị hủy; hãy quét lại phiếu (một lần quét mới)."


def _scan_statement(name: str) -> sa.Executable:
    dialect = db.engine.dialect.name
    if dialect not in _scan_sql:
        _scan_sql[dialect] = _scan_statements(dialect)
    return _scan_sql[dialect][name]


def _scan_statements(dialect: str) -> dict[str, sa.Executable]:

    scan = BallotScan.__table__
    ballot = Ballot.__table__
    undone = UndoneScan.__table__
    waiting = MarkRead.__table__
    closed = (sa.exists().where(CountEntry.poll_id == sa.bindparam("for_poll"),
                                CountEntry.method == CountMethod.PER_BALLOT))
    written = ("poll_id", "ballot_id", "serial", "idempotency_key", "valid", "choice", "reason", "by_user_id", "at")
    return dict(
        # On PostgreSQL the scan takes the poll's scan lock, shared: scans never wait for each other, but
        # hold off finish_scanning's tally until they commit. SQLite serialises writers anyway.
        poll=(sa.select(Poll.id, Poll.term_id, Poll.hamlet_id, Poll.round_no, Poll.status, Hamlet.kind,
                        Hamlet.name, Hamlet.commune_id, Commune.district_id,
                        *([sa.func.pg_advisory_xact_lock_shared(SCAN_LOCKS, Poll.id).label("scan_lock")]
                          if dialect == "postgresql" else []))
              .join(Hamlet, Poll.hamlet_id == Hamlet.id).join(Commune, Hamlet.commune_id == Commune.id)
              .where(Poll.id == sa.bindparam("poll_id"))),
        # The ballot, and the poll's scan totals so far (the phone's counter; this scan is added to them).
        # … whether the request's key is one of an undone scan (ballots.scanning.undo_scan), and whether the ballot
        # waits for two members (an unclear read, ballots.reading): a tap must not settle it alone.
        ballot=(sa.select(ballot.c.id, ballot.c.serial, ballot.c.poll_id, ballot.c.state,
                          BallotBatch.election_hash, BallotBatch.test, *_totals_columns(scan),
                          sa.exists().where(undone.c.idempotency_key == sa.bindparam("key")).label("key_undone"),
                          sa.exists().where(waiting.c.serial == ballot.c.serial,
                                            waiting.c.state == MarkReadState.PENDING).label("waiting"))
                .join(BallotBatch, ballot.c.batch_id == BallotBatch.id)
                .where(ballot.c.serial == sa.bindparam("serial"))),
        # A typed short code: the ballot of that serial, to sign its QR text again (typed_ballot_text).
        typed=(sa.select(ballot.c.poll_id, BallotBatch.election_hash, BallotBatch.test)
               .join(BallotBatch, ballot.c.batch_id == BallotBatch.id)
               .where(ballot.c.serial == sa.bindparam("serial"))),
        insert=sa.insert(scan).values({name: sa.bindparam(name) for name in written}).returning(scan.c.id),
        # Guarded: a ballot moves printed → counted once, and never after the scans became an entry.
        count=(sa.update(ballot).where(ballot.c.id == sa.bindparam("ballot_id"),
                                       ballot.c.state == BallotState.PRINTED, ~closed)
               .values(state=BallotState.COUNTED)),
        closed=sa.select(closed),
        by_key=sa.select(scan).where(scan.c.idempotency_key == sa.bindparam("key")),
        totals=sa.select(*_totals_columns(scan)),
    )


def _totals_columns(scan: sa.Table) -> tuple:
    def count(valid: bool):
        return (sa.select(sa.func.count(scan.c.id)).where(scan.c.poll_id == sa.bindparam("for_poll"),
                                                          scan.c.valid.is_(valid))
                .scalar_subquery().label("valid_so_far" if valid else "invalid_so_far"))

    return count(True), count(False)


def _run(name: str, params: dict | None = None) -> dbapi.Rows:
    return dbapi.request_runner()(_scan_statement(name), params)


@dataclass(frozen=True)
class ScanPoll:
    """What a scan needs of its poll and the poll's units, read in one statement."""

    id: int
    term_id: int
    hamlet_id: int
    round_no: int
    status: PollStatus
    hamlet_name: str
    commune_id: int
    district_id: int

    @property
    def label(self) -> str:
        return poll_label(self.hamlet_name, self.round_no)

    @property
    def scope(self) -> tuple[int, int, int]:
        return self.district_id, self.commune_id, self.hamlet_id


def scan_poll(poll_id: int) -> ScanPoll | None:
    row = _run("poll", {"poll_id": poll_id}).first()
    if row is None:
        return None
    return ScanPoll(row.id, row.term_id, row.hamlet_id, row.round_no, row.status, unit_name(row.kind, row.name),
                    row.commune_id, row.district_id)


def scan_json(scan: dict, replayed: bool = False) -> dict:
    """A scan as the API returns it."""
    return {"id": scan["id"], "serial": scan["serial"], "valid": scan["valid"], "choice": scan["choice"],
            "reason": scan["reason"], "replayed": replayed}


def scan_by_key(poll_id: int, key: str) -> dict | None:
    """The scan an Idempotency-Key already made in this poll (a retried request), if any."""
    row = _run("by_key", {"key": key}).first()
    if row is None:
        return None
    if row.poll_id != poll_id:
        raise RuleViolation("Mã chống gửi trùng đã dùng cho một cuộc bầu khác.", "idempotency_key")
    return row._asdict()


# What a scan request asks to record, as the scan row stores it: (serial, valid, choice, reason).
Asked = tuple[str | None, bool, str, str]


def asked_scan(poll: ScanPoll, text: str, choice: str, reason: str) -> Asked:
    """What a request asks to record (serial None when the text is no ballot; choice and reason "\\0" when the tap
    is no valid choice: such a request never matches a recorded scan)."""
    try:
        serial: str | None = decode_payload((text or "").strip(), *ballot_keys()).serial
    except BallotQRError:
        serial = None
    try:
        verdict = _validity(candidate_ids(poll), choice, reason)
    except RuleViolation:
        return serial, False, "\0", "\0"
    return serial, verdict.valid, choice if verdict.valid else "", verdict.reason


def replayed_scan(poll_id: int, key: str, asked: Callable[[], Asked]) -> dict | None:
    """The scan the key already made, when this request is its retry; None when the key is new. A key reused for
    another ballot or another choice is refused (422): replaying would report a ballot as counted that was not."""
    earlier = scan_by_key(poll_id, key)
    if earlier is None:
        return None
    if asked() != (earlier["serial"], bool(earlier["valid"]), earlier["choice"], earlier["reason"]):
        raise RuleViolation("Mã chống gửi trùng (Idempotency-Key) này đã dùng cho một phiếu hoặc một lựa chọn khác; "
                            "mỗi phiếu quét cần một mã mới.", "idempotency_key")
    return earlier


def scan_totals(poll_id: int) -> dict[str, int]:
    valid, invalid = _run("totals", {"for_poll": poll_id}).first()
    return {"valid": valid, "invalid": invalid}


def _scan_closed_message(poll: ScanPoll) -> str:
    return (f"Không quét phiếu: cuộc bầu đang ở trạng thái “{poll.status.label}” hoặc việc quét phiếu đã "
            "kết thúc.")


@dataclass(frozen=True)
class PlannedScan:
    """A genuine, printed ballot of the poll and the verdict on what was tapped: ready to write."""

    poll: ScanPoll
    key: str
    text: str
    ballot_id: int
    serial: str
    valid: bool
    choice: str
    reason: str
    totals: dict[str, int]  # the poll's scans so far, this one included
    image_sha256: str = ""  # a read from an image (ballots.reading): the image's hash, for the audit entry


def _printed_ballot(poll: ScanPoll, text: str, key: str = ""):
    """The ballot row (with the poll's scan totals) when `text` is a genuine, still uncounted ballot of the poll."""

    try:
        payload = decode_payload(text, *ballot_keys())
        ballot = _run("ballot", {"serial": payload.serial, "for_poll": poll.id, "key": key}).first()
    except BallotQRError:
        return None
    genuine = (ballot is not None and ballot.poll_id == poll.id and not ballot.test and not payload.test
               and ballot.election_hash == payload.election_hash and payload.hamlet_id == poll.hamlet_id)
    return ballot if genuine and ballot.state == BallotState.PRINTED else None


def end_reads() -> None:
    """End the scan path's reads so far (and PostgreSQL's shared scan lock) before slow work, such as decoding a
    photo."""
    dbapi.request_connection().rollback()


def check_scanned_ballot(poll: ScanPoll, text: str) -> str:
    """Before anything is tapped: the ballot's serial when it can be counted in this poll now, else raises
    ScanRefused (forged, foreign, already counted…) or RuleViolation (scanning closed). Writes nothing: the
    scan itself checks again (another phone may count the ballot in between)."""
    try:
        if poll.status not in SCANNING or _run("closed", {"for_poll": poll.id}).scalar():
            raise RuleViolation(_scan_closed_message(poll))
        text = (text or "").strip()
        ballot = _printed_ballot(poll, text)
        if ballot is None:
            raise _refusal(text, genuine=False)
        if ballot.waiting:
            raise ScanRefused("waiting", WAITING)
        return ballot.serial
    finally:
        dbapi.request_connection().rollback()  # ends the reads (and PostgreSQL's shared scan lock)


def plan_scan(poll: ScanPoll, text: str, choice: str = "", reason: str = "", idempotency_key: str = "",
              image_sha256: str = "", adjudicated: bool = False) -> PlannedScan | dict:
    """Read and check a scanned ballot: the scan to write, or the earlier scan a retried key replays.

    Raises RuleViolation (bad input, scanning closed) or ScanRefused (forged, foreign, already counted…).
    """
    key = (idempotency_key or "").strip()[:80]
    if not key:
        raise RuleViolation("Thiếu mã chống gửi trùng (Idempotency-Key).", "idempotency_key")
    if poll.status not in SCANNING:
        # the retry of a scan counted before the poll moved on
        earlier = replayed_scan(poll.id, key, lambda: asked_scan(poll, text, choice, reason))
        if earlier is None:
            raise RuleViolation(_scan_closed_message(poll))
        return earlier
    ids = candidate_ids(poll)
    text = (text or "").strip()
    ballot = _printed_ballot(poll, text, key)
    if ballot is None:
        return refused_scan(poll, key, text, genuine=False, asked=lambda: asked_scan(poll, text, choice, reason))
    if ballot.key_undone:  # the late retry of a scan undone since: counting it would silently redo it
        raise RuleViolation(UNDONE_KEY, "idempotency_key")
    if ballot.waiting and not adjudicated:  # two members decide it on the adjudication page, not one tap
        raise ScanRefused("waiting", WAITING)
    verdict = _validity(ids, choice, reason)
    return PlannedScan(poll, key, text, ballot.id, ballot.serial, verdict.valid, choice if verdict.valid else "",
                       verdict.reason, {"valid": ballot.valid_so_far + verdict.valid,
                                        "invalid": ballot.invalid_so_far + (not verdict.valid)}, image_sha256)


def write_scan(plan: PlannedScan, user) -> tuple[dict, bool]:
    """Count the planned ballot and chain its audit entry, in the request connection's transaction (the
    caller commits); (scan, replayed) as record_scan. A ballot is counted once: the scan's serial is unique,
    and the ballot row only moves printed → counted, in the same statement that checks the scans have not
    yet become a count entry. Nothing written refers to a voter or household (secret ballot).
    """
    # The guarded move first: when it moves nothing (counted on another device, or the scans closed in the
    # meantime), nothing has been written yet.
    if _run("count", {"ballot_id": plan.ballot_id, "for_poll": plan.poll.id}).rowcount != 1:
        return refused_scan(plan.poll, plan.key, plan.text, genuine=True,
                            asked=lambda: (plan.serial, plan.valid, plan.choice, plan.reason)), True
    values = {"poll_id": plan.poll.id, "ballot_id": plan.ballot_id, "serial": plan.serial,
              "idempotency_key": plan.key, "valid": plan.valid, "choice": plan.choice, "reason": plan.reason,
              "by_user_id": user.id, "at": utcnow()}
    scan = {"id": _run("insert", values).scalar(), **values}
    summary, after = f"Quét phiếu bầu {plan.poll.label}", scan
    if plan.image_sha256:  # read from an image: the audit entry names it by its hash
        summary += f" (đọc dấu từ ảnh SHA-256 {plan.image_sha256})"
        after = {**scan, "image_sha256": plan.image_sha256}
    append_entries(dbapi.request_runner(), (user.id, user.username), [
        created("BallotScan", scan["id"], after, summary=summary, scope=plan.poll.scope)])
    return scan, False


def refused_scan(poll: ScanPoll, key: str, text: str, genuine: bool, asked: Callable[[], Asked]) -> dict:
    """Why a scan is not counted (raises) — unless it is a retry whose first try was counted: that scan."""
    earlier = replayed_scan(poll.id, key, asked)
    if earlier is not None:
        return earlier
    if _run("closed", {"for_poll": poll.id}).scalar():
        raise RuleViolation(_scan_closed_message(poll))
    raise _refusal(text, genuine)


def _refusal(text: str, genuine: bool) -> ScanRefused:
    """Why a ballot that is not a printed ballot of the poll cannot be counted."""
    verification = verify_ballot(text)  # says exactly why: forged, counted, spoiled…
    if not verification.ok:
        return ScanRefused(verification.code, verification.message)
    if genuine:  # printed when read, counted by the time it was moved
        return ScanRefused("already_counted", COUNTED_ELSEWHERE)
    return ScanRefused("foreign", "Phiếu này không thuộc cuộc bầu đang kiểm (khác thôn hoặc khác vòng bầu).")


def record_scan(poll: ScanPoll, user, text: str, choice: str = "", reason: str = "",
                idempotency_key: str = "", image_sha256: str = "", adjudicated: bool = False) -> tuple[dict, bool]:
    """Count one scanned ballot and commit it; (scan, replayed) — a retried request with the same key replays,
    also when its twin was sent at the same time (the loser of the race on the key replays the winner's scan;
    the loser of the race on the ballot is refused as counted elsewhere).

    The reads and checks run first; then, queued for SQLite's single writer, the writes and their commit.
    `adjudicated`: the decision of two members on a ballot waiting for them (ballots.reading.decide_read); any other
    scan of a waiting ballot is refused.
    """
    try:
        return _record_scan(poll, user, text, choice, reason, idempotency_key, image_sha256, adjudicated)
    except dbapi.driver_errors() as error:  # already rolled back
        if not dbapi.is_conflict(error):
            raise
        earlier = replayed_scan(poll.id, (idempotency_key or "").strip()[:80],
                                lambda: asked_scan(poll, text, choice, reason))
        if earlier is None:
            raise ScanRefused("already_counted", COUNTED_ELSEWHERE) from error
        return earlier, True


def _record_scan(poll: ScanPoll, user, text: str, choice: str, reason: str, idempotency_key: str,
                 image_sha256: str = "", adjudicated: bool = False) -> tuple[dict, bool]:
    connection = dbapi.request_connection()
    with dbapi.rolled_back_on_error(connection):
        plan = plan_scan(poll, text, choice, reason, idempotency_key, image_sha256, adjudicated)
    if not isinstance(plan, PlannedScan):
        connection.commit()  # a replay: this ends its reads (and the poll's shared scan lock)
        return plan, True
    # SQLite's writers one at a time; the commit (or rollback) before leaving the queue.
    with dbapi.write_queue(), dbapi.rolled_back_on_error(connection):
        scan, replayed = write_scan(plan, user)
        connection.commit()
    return (scan if replayed else {**scan, "totals": plan.totals}), replayed


NO_SUCH_CODE = "Không có phiếu nào mang mã này trong cuộc bầu đang kiểm: hãy đọc lại mã trên phiếu."


def typed_ballot_text(poll: ScanPoll, code: str) -> str:
    """The QR text of the poll's ballot whose short code (or, printed before it, bare serial) was typed, signed
    again by the server, so a typed ballot takes the same checks and the same record path as a scanned one.

    Raises RuleViolation on a code the check character refuses (field "code"), ScanRefused when no ballot of the
    poll has that serial (nothing says which hamlet another poll's serial belongs to)."""
    try:
        serial = typed_serial(code)
    except ShortCodeError as error:
        raise RuleViolation(error.message, "code") from error
    row = _run("typed", {"serial": serial}).first()
    if row is None or row.poll_id != poll.id:
        raise ScanRefused("unknown_serial", NO_SUCH_CODE)
    return encode_payload(BallotPayload(row.election_hash, poll.hamlet_id, serial, bool(row.test)), ballot_secret())


UNDO_WINDOW = 10  # a poll's most recent scans the team may undo (the mis-tap it has just seen)


def recent_scans(poll: Poll, limit: int = UNDO_WINDOW) -> list[BallotScan]:
    """The poll's most recent scans, the latest first."""
    return list(db.session.scalars(db.select(BallotScan).where(BallotScan.poll_id == poll.id)
                                   .order_by(BallotScan.at.desc(), BallotScan.id.desc()).limit(limit)))


def undo_scan(poll: Poll, scan_id: int, user, reason: str) -> BallotScan:
    """Undo one of the poll's recent scans while scanning is open (the scans are not yet a count entry): the scan
    is deleted, its ballot printed again (scannable), its idempotency key kept as undone (a late retry of it is
    refused, not counted). The caller commits through act(), whose audit summary carries the reason."""
    reason = nfc(reason or "").strip()
    if len(reason) < 3:
        raise RuleViolation("Ghi lý do hủy lần quét này.", "reason")
    _hold_off_scans(poll, shared=True)
    if not scan_open(poll):
        raise RuleViolation("Không hủy được lần quét: việc quét phiếu đã kết thúc (đã lưu thành một lần nhập) "
                            "hoặc cuộc bầu không còn ở bước kiểm phiếu.")
    scan = db.session.get(BallotScan, scan_id)
    if scan is None or scan.poll_id != poll.id:
        raise RuleViolation("Lần quét này không thuộc cuộc bầu này.")
    if scan not in recent_scans(poll):
        raise RuleViolation(f"Chỉ hủy được một trong {UNDO_WINDOW} lần quét gần nhất.")
    ballot = db.session.get(Ballot, scan.ballot_id) if scan.ballot_id is not None else None
    if ballot is None:
        raise RuleViolation("Không tìm thấy phiếu của lần quét này.")
    ballot.uncount()
    db.session.add(UndoneScan(poll_id=poll.id, idempotency_key=scan.idempotency_key, reason=reason[:200],
                              by_user_id=user.id))
    db.session.delete(scan)
    return scan


def scan_tally(poll: Poll) -> tuple[int, int, Counter]:
    """(valid, invalid, votes by choice) of the scans so far, counted by the database."""
    rows = db.session.execute(db.select(BallotScan.valid, BallotScan.choice, db.func.count(BallotScan.id))
                              .where(BallotScan.poll_id == poll.id)
                              .group_by(BallotScan.valid, BallotScan.choice)).all()
    valid = sum(n for ok, _, n in rows if ok)
    invalid = sum(n for ok, _, n in rows if not ok)
    return valid, invalid, Counter({choice: n for ok, choice, n in rows if ok})


def scan_figures(poll: Poll, ballots_issued: int) -> Figures:
    """The aggregate derived from the scans (returned = ballots scanned)."""
    candidates = require_candidates(poll)
    valid, invalid, choices = scan_tally(poll)
    ids = [str(c.id) for c in candidates]
    if len(ids) == 1:
        votes, against = {ids[0]: choices.get(AGREE, 0)}, choices.get(DISAGREE, 0)
    else:
        votes, against = {i: choices.get(i, 0) for i in ids}, 0
    return Figures(ballots_issued, valid + invalid, valid, invalid, votes, against)


def _hold_off_scans(poll: Poll, shared: bool = False) -> None:
    """Let the scans in flight commit, and keep new ones out until this transaction ends, so the tally read
    next is final: scans that commit later find the per-ballot entry and are refused (record_scan). Shared (an
    undo): like a scan, it only holds off finish_scanning, whose tally then sees the undo or refuses it."""
    table = Poll.__table__
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":  # one writer at a time: take the write lock now, with a no-op write
        connection.execute(sa.update(table).where(table.c.id == poll.id).values(version=table.c.version))
    else:  # scans hold the poll's scan lock, shared, until they commit
        lock = sa.func.pg_advisory_xact_lock_shared if shared else sa.func.pg_advisory_xact_lock
        connection.execute(sa.select(lock(SCAN_LOCKS, poll.id)))


def waiting_reads(poll_id: int) -> int:
    """How many of the poll's ballots the reader left unclear wait for two members (ballots.reading)."""
    return db.session.scalar(sa.select(sa.func.count(MarkRead.id)).where(
        MarkRead.poll_id == poll_id, MarkRead.state == MarkReadState.PENDING)) or 0


def finish_scanning(poll: Poll, user, ballots_issued: int, acknowledged: bool = False,
                    expected_version: int | None = None) -> CountEntry:
    _hold_off_scans(poll)
    if not scan_open(poll):
        raise RuleViolation("Việc quét phiếu đã kết thúc hoặc cuộc bầu chưa ở bước kiểm phiếu.")
    if waiting := waiting_reads(poll.id):
        raise RuleViolation(f"Còn {waiting} phiếu đọc dấu chưa rõ đang chờ hai thành viên quyết định: quyết định "
                            "hết các phiếu đó trước khi kết thúc quét phiếu.")
    return submit_entry(poll, user, scan_figures(poll, ballots_issued), acknowledged=acknowledged,
                        method=CountMethod.PER_BALLOT, expected_version=expected_version)
