"""Printing a poll's ballots: a batch of random serials (Core bulk insert), signed QR payloads, the PDF.

Secret ballot against order (issue 15, part 9). A team that hands ballots out from the top of the stack gives
the i-th household checked in the i-th ballot printed; a scan stores serial and choice. So the print order of
the serials is never stored anywhere:
- Ballot rows are inserted sorted by serial (a random string), so their ids follow the serials, not the paper.
- The PDF is not kept: every download renders the batch again, in a fresh random order (secrets.SystemRandom,
  drawn at that moment and forgotten), to an unnamed temporary file sent once. Two downloads hold the same
  ballots (same serials, same QR payloads) in different orders; nothing (supplementary and test batches, the
  progress figures, the tests) relies on identical re-rendering. The files kept by earlier releases under
  instance/ballots/ are deleted by migration 0007_order, and at the batch's next download.
- The page count is worked out from the layout when the batch is created (nothing is rendered then).
What leaves the server is the downloaded file, which does give the order of the stack printed from it: the
print page and the accounting page tell the team to shuffle each stack before voting (SHUFFLE_INSTRUCTION).
The check-in side keeps no order finer than a quarter hour (election.models.CheckIn; on PostgreSQL the rows'
storage order too, once `flask ballots forget-order` has run). tests/test_ballot_order_secrecy.py tries the join.
"""
from __future__ import annotations

import math
import secrets
import tempfile
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from ballots.geometry import GEOMETRY_VERSION
from ballots.models import Ballot, BallotBatch, BallotLayout, ballot_secret
from ballots.pdf import BallotSheetSpec, render_ballots
from ballots.qr import BallotPayload, election_definition, election_hash, encode_payload, new_serial
from ballots.rules import DEFAULT_SPARE_PERCENT, spare_ballots
from candidates.models import CandidateList, ListState
from core.audit import describe, record
from core.errors import RuleViolation
from election.models import Poll
from election.service import roll_for
from extensions import db

MAX_TEST_BALLOTS = 200
MAX_SUPPLEMENT = 5000
_CHUNK = 5000
BALLOTS_PER_PAGE = {BallotLayout.A5: 1, BallotLayout.A6: 1, BallotLayout.A4X2: 2, BallotLayout.A4X4: 4}  # pdf._grid
SHUFFLE_INSTRUCTION = _l("Trước khi bỏ phiếu, Tổ bầu cử xáo trộn kỹ từng xấp phiếu (kể cả phiếu in bổ sung); không "
                         "phát phiếu theo thứ tự in. Thứ tự in không được lưu ở đâu, để không ai ghép được hộ nhận "
                         "phiếu với lá phiếu của hộ.")


def candidate_list_of(poll: Poll) -> CandidateList | None:
    return CandidateList.for_hamlet(poll.term, poll.hamlet, poll.round_no)


def poll_election_hash(poll: Poll, candidate_list: CandidateList | None = None) -> str:
    """The short hash of the poll's election definition (term, hamlet, round, candidates, 1 seat)."""
    candidate_list = candidate_list or candidate_list_of(poll)
    candidates = [(c.id, c.person.full_name) for c in candidate_list.candidacies] if candidate_list else []
    return election_hash(election_definition(poll.term.name, poll.hamlet_id, poll.round_no, candidates, seats=1))


def sheet_spec(poll: Poll, candidate_list: CandidateList, layout: BallotLayout, test: bool,
               geometry_version: int | None = GEOMETRY_VERSION) -> BallotSheetSpec:
    hamlet, commune = poll.hamlet, poll.hamlet.commune
    return BallotSheetSpec(
        term_label=f"Nhiệm kỳ {poll.term.name}", hamlet_name=hamlet.name, commune_name=commune.name,
        election_date=poll.term.election_day,
        candidates=tuple(c.person.full_name for c in candidate_list.candidacies),
        hamlet_kind=hamlet.kind.label, commune_kind=commune.kind.label, district_name=commune.district.name,
        seats=1, layout=layout.value, test=test, geometry_version=geometry_version)


def real_batches(poll: Poll) -> list[BallotBatch]:
    return list(db.session.scalars(db.select(BallotBatch).where(BallotBatch.poll_id == poll.id,
                                                                BallotBatch.test.is_(False))
                                   .order_by(BallotBatch.id)))


def planned_count(poll: Poll, spare_percent: float | None = None) -> tuple[int, int]:
    """(households on the roll, spare) for a first real batch."""
    roll = roll_for(poll.term, poll.hamlet)
    households = roll.entry_count if roll else 0
    if spare_percent is None:
        spare_percent = current_app.config.get("BALLOT_SPARE_PERCENT", DEFAULT_SPARE_PERCENT)
    return households, spare_ballots(households, spare_percent)


def _unique_serials(count: int) -> list[str]:
    """`count` fresh serials, unique among themselves and against every stored ballot."""
    serials: set[str] = set()
    while len(serials) < count:
        wanted = {new_serial() for _ in range(count - len(serials))} - serials
        for start in range(0, len(wanted), _CHUNK):
            chunk = list(wanted)[start:start + _CHUNK]
            taken = set(db.session.scalars(db.select(Ballot.serial).where(Ballot.serial.in_(chunk))))
            serials.update(s for s in chunk if s not in taken)
    return list(serials)[:count]


def print_batch(poll: Poll, layout: BallotLayout, *, user_id: int | None, test: bool = False,
                supplementary: int | None = None, test_count: int = 8, spare_percent: float | None = None
                ) -> BallotBatch:
    """Create a batch and its ballots, in the current transaction (the caller commits); the PDF is rendered at each
    download (batch_pdf), in a fresh random order.

    Real ballots: the poll's candidate list must be confirmed; the first batch is households + spare, a
    later one only as an explicit supplement of N ballots. Test ballots: any time, never lock the list.
    """
    candidate_list = candidate_list_of(poll)
    if candidate_list is None or not candidate_list.candidacies:
        raise RuleViolation("Thôn này chưa có danh sách người ứng cử; chưa thể in phiếu.")
    if not test and candidate_list.state != ListState.CONFIRMED:
        raise RuleViolation("Danh sách người ứng cử chưa được xác nhận chính thức; chỉ in được phiếu thử.")
    spare = 0
    if test:
        count = test_count
        if not 1 <= count <= MAX_TEST_BALLOTS:
            raise RuleViolation(f"Số phiếu thử từ 1 đến {MAX_TEST_BALLOTS}.", field="count")
    elif supplementary is not None:
        if not real_batches(poll):
            raise RuleViolation("Chưa in đợt phiếu chính thức nào; không có gì để in bổ sung.")
        count = supplementary
        if not 1 <= count <= MAX_SUPPLEMENT:
            raise RuleViolation(f"Số phiếu in bổ sung từ 1 đến {MAX_SUPPLEMENT}.", field="count")
    else:
        if real_batches(poll):
            raise RuleViolation("Phiếu bầu của cuộc bầu này đã được in. Muốn in thêm, hãy chọn «In bổ sung» "
                                "và ghi số phiếu cần in.")
        households, spare = planned_count(poll, spare_percent)
        if households == 0:
            raise RuleViolation("Chưa có danh sách cử tri (số hộ = 0); hãy nhập danh sách trước khi in phiếu.")
        count = households + spare

    sheet_spec(poll, candidate_list, layout, test)  # raises ValueError on an impossible design
    the_hash = poll_election_hash(poll, candidate_list)
    kind = "phiếu thử" if test else ("phiếu in bổ sung" if supplementary is not None else "phiếu bầu")
    summary = (f"In {count} {kind} ({layout.value}) cho {poll.hamlet.full_name}, {poll.hamlet.commune.full_name}, "
               f"vòng {poll.round_no}")
    describe(summary)
    batch = BallotBatch(poll=poll, election_hash=the_hash, layout=layout, count=count, spare=spare, test=test,
                        created_by_id=user_id, supplementary=supplementary is not None and not test,
                        geometry_version=GEOMETRY_VERSION)
    db.session.add(batch)
    db.session.flush()
    # Sorted by serial: the ids follow the random serials, never the order of the paper (drawn at each download).
    serials = sorted(_unique_serials(count))
    db.session.execute(sa.insert(Ballot.__table__),
                       [{"batch_id": batch.id, "poll_id": poll.id, "serial": s, "state": "printed"}
                        for s in serials])
    if not test:
        candidate_list.ballots_printed = True  # locks the list for good
    batch.total_pages = batch.printed_pages = math.ceil(count / BALLOTS_PER_PAGE[layout])
    record("event", "BallotBatch", batch.id, summary=summary,
           scope=(None, poll.hamlet.commune_id, poll.hamlet_id),
           after={"count": count, "spare": spare, "test": test, "election_hash": the_hash})
    return batch


def batch_payloads(batch: BallotBatch) -> list[str]:
    """The batch's QR payloads, in serial order (not an order of the paper: see batch_pdf)."""
    serials = db.session.scalars(db.select(Ballot.serial).where(Ballot.batch_id == batch.id).order_by(Ballot.serial))
    secret = ballot_secret()
    hamlet_id = batch.poll.hamlet_id
    return [encode_payload(BallotPayload(batch.election_hash, hamlet_id, s, batch.test), secret) for s in serials]


def print_order(payloads: list[str]) -> list[str]:
    """The order of the paper: a fresh permutation from the operating system's random source, kept nowhere."""
    shuffled = list(payloads)
    secrets.SystemRandom().shuffle(shuffled)
    return shuffled


def batch_pdf(batch: BallotBatch) -> IO[bytes]:
    """The batch's ballots as a PDF in a fresh random order, in an unnamed temporary file (at offset 0) that is gone
    once closed. A PDF kept by an earlier release (instance/ballots/) is deleted: it held the order of its stack."""
    forget_kept_pdfs(batch)
    spec = sheet_spec(batch.poll, candidate_list_of(batch.poll), batch.layout, batch.test, batch.geometry_version)
    out = tempfile.TemporaryFile()
    try:
        render_ballots(spec, print_order(batch_payloads(batch)), out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def forget_kept_pdfs(batch: BallotBatch) -> None:
    """Delete the files earlier releases kept for this batch (instance/ballots/batch-<id>-<hash>-*, and a .part left by a crash)."""
    folder = Path(current_app.instance_path) / "ballots"
    for path in folder.glob(f"batch-{batch.id}-{batch.election_hash}-*") if folder.is_dir() else ():
        path.unlink(missing_ok=True)
