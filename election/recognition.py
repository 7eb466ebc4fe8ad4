"""After the count: the signed minutes (files, validation), recognition by the commune (R-V9), the acting chief,
and the re-vote. Functions change the session but never commit."""
from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from candidates.models import AppointeeCheck, CandidateList, appointee_check
from core import storage
from core.enums import Post
from core.errors import RuleViolation
from core.models import Person, Position
from core.uploads import UploadRefused, clean_image, pdf_active_content
from core.vietnamese import local_date, utcnow, vietnam_today
from election.counting import poll_candidates, poll_result, require_four_eyes
from election.models import ActingAppointment, MinutesUpload, Poll, PollStatus, Recognition
from election.rules import acting_date_problem, recognition_date_problem, recognition_deadline, revote_deadline
from extensions import db

# What a photo or scan of the signed minutes may be, by its first bytes: (content type, file extension).
MINUTES_TYPES = {b"\xff\xd8\xff": ("image/jpeg", "jpg"), b"\x89PNG": ("image/png", "png"), b"%PDF": ("application/pdf", "pdf")}
MINUTES_MAX_BYTES = 10 * 1024 * 1024
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}  # content type → the format an image is encoded again in


def minutes_kind(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an accepted minutes file, None for anything else."""
    return next((kind for magic, kind in MINUTES_TYPES.items() if data.startswith(magic)), None)


def served_minutes_bytes(data: bytes, content_type: str) -> bytes:
    """What is served for a minutes file: an image encoded again (nothing appended survives: a PNG followed by
    HTML is a plain PNG), a PDF as it is once it holds no active content. Raises UploadRefused."""
    if content_type in IMAGE_FORMATS:
        return clean_image(data, IMAGE_FORMATS[content_type])
    active = pdf_active_content(data)
    if active:
        raise UploadRefused("pdf_active", ", ".join(active))
    return data


def keep_minutes(poll: Poll, data: bytes, original_name: str, user_id: int | None) -> MinutesUpload:
    """Keep the file of the signed minutes in the database and return its row, for the caller to add in its audited
    change: the files are in the session already, committed with the row or rolled back with it. The caller has
    checked the kind (minutes_kind); raises UploadRefused for an unreadable image or a PDF with active content. The
    original bytes are kept for the record (their SHA-256 on the row); an image is served from its clean copy."""
    kind = minutes_kind(data)
    if kind is None:
        raise ValueError("the signed minutes must be a JPG, PNG or PDF file")
    content_type, ext = kind
    served = served_minutes_bytes(data, content_type)
    stored = f"{poll.id}-{secrets.token_hex(8)}.{ext}"
    name = (original_name or "")[:200]
    storage.put(storage.MINUTES, stored, data, filename=name, content_type=content_type, hamlet_id=poll.hamlet_id)
    if served is not data:
        storage.put(storage.MINUTES_SERVED, stored, served, filename=name, content_type=content_type,
                    hamlet_id=poll.hamlet_id)
    upload = MinutesUpload(poll=poll, stored_name=stored, original_name=name,
                           content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                           uploaded_by_id=user_id, minutes_version=poll.minutes_version)
    return upload


def minutes_original(upload: MinutesUpload) -> bytes:
    """The file as uploaded (kept for the record). Raises LookupError when its bytes are missing (a file an earlier
    release kept in the instance folder that the migration to the database did not find)."""
    data = storage.read(storage.MINUTES, upload.stored_name)
    if data is None:
        raise LookupError(f"the signed minutes file {upload.stored_name} is not stored")
    return data


def served_minutes(upload: MinutesUpload) -> bytes:
    """The bytes to serve for an upload: the clean copy of an image (made now for one uploaded before copies
    were kept), a PDF as uploaded (checked then). Raises UploadRefused for an older file that fails the checks,
    LookupError for one whose bytes are missing."""
    if upload.content_type in IMAGE_FORMATS:
        copy = storage.read(storage.MINUTES_SERVED, upload.stored_name)
        if copy is not None:
            return copy
    return served_minutes_bytes(minutes_original(upload), upload.content_type)


def latest_minutes(poll: Poll) -> MinutesUpload | None:
    """The last upload of the signed minutes of the poll's current version (a correction asks for new ones)."""
    return db.session.scalar(db.select(MinutesUpload).where(MinutesUpload.poll_id == poll.id,
                                                            MinutesUpload.minutes_version == poll.minutes_version)
                             .order_by(MinutesUpload.id.desc()).limit(1))


# The signed minutes are uploaded once the count is accepted: before validation, and also for a round that ended
# in a re-vote or an acting chief (its minutes are kept for the record and validated without a status change).
UPLOADABLE = (PollStatus.SUBMITTED, PollStatus.REVOTE, PollStatus.ACTING_CHIEF)
RECORD_ONLY = (PollStatus.REVOTE, PollStatus.ACTING_CHIEF)


def minutes_uploadable(poll: Poll) -> bool:
    return poll.status in UPLOADABLE


def minutes_received_on(poll: Poll) -> date | None:
    """R-V9 counts from the day the commune received the minutes (first upload, else the submitted count)."""
    first = db.session.scalar(db.select(db.func.min(MinutesUpload.uploaded_at)).where(MinutesUpload.poll_id == poll.id))
    when = first or poll.submitted_at
    return local_date(when) if when else None


def recognition_due(poll: Poll) -> date | None:
    received = minutes_received_on(poll)
    return recognition_deadline(received) if received else None


def validate_minutes(poll: Poll, user) -> MinutesUpload:
    """The committee checked the signed minutes against the accepted figures (R-C7: not an entry's author)."""
    upload = latest_minutes(poll)
    if upload is None:
        raise RuleViolation("Chưa có bản chụp biên bản kiểm phiếu đã ký để đối chiếu.")
    require_four_eyes(poll, user, "validate")
    if poll.status in RECORD_ONLY:
        if upload.validated_at is not None:
            raise RuleViolation("Biên bản này đã được xác nhận.")
    else:
        poll.validate_minutes()
    upload.validated_by_id = user.id
    upload.validated_at = utcnow()
    return upload


def _take_office(poll: Poll, person: Person, started_on: date, acting: bool) -> Position:
    """End the current hamlet chief's position the day before and start the new one."""
    current = db.session.scalars(db.select(Position).where(
        Position.hamlet_id == poll.hamlet_id, Position.post == Post.HAMLET_CHIEF,
        Position.ended_on.is_(None))).all()
    for position in current:
        position.ended_on = max(position.started_on, started_on - timedelta(days=1))
    position = Position(hamlet_id=poll.hamlet_id, person=person, post=Post.HAMLET_CHIEF, term_id=poll.term_id,
                        started_on=started_on, acting=acting)
    db.session.add(position)
    return position


def recognise(poll: Poll, user, decision_no: str, decided_on: date, signer_name: str,
              today: date | None = None) -> Recognition:
    """R-V9: record the recognition; only now does the winner take office. `today`: Vietnam's date by default."""
    result = poll_result(poll)
    if result is None or result.outcome != "elected" or result.winner_candidacy_id is None:
        raise RuleViolation("Chỉ công nhận khi có người trúng cử.")
    if not decision_no.strip() or not signer_name.strip():
        raise RuleViolation("Cần số quyết định và người ký.")
    problem = recognition_date_problem(decided_on, today or vietnam_today(), poll.poll_day or poll.election_day,
                                       recognition_due(poll))
    if problem is not None:
        raise RuleViolation(problem.message, problem.field)
    winner = next((c for c in poll_candidates(poll) if c.id == result.winner_candidacy_id), None)
    if winner is None:
        raise RuleViolation("Không tìm thấy người trúng cử trong danh sách ứng cử.")
    require_four_eyes(poll, user, "recognise")
    poll.recognise()
    position = _take_office(poll, winner.person, decided_on, acting=False)
    db.session.flush()
    recognition = Recognition(poll=poll, decision_no=decision_no.strip(), decided_on=decided_on,
                              signer_name=signer_name.strip(), person=winner.person, position_id=position.id,
                              recorded_by_id=user.id, minutes_version=poll.minutes_version)
    db.session.add(recognition)
    return recognition


def poll_recognition(poll: Poll) -> Recognition | None:
    """The recognition in force (a correction supersedes one; its row stays)."""
    return db.session.scalar(db.select(Recognition).where(Recognition.poll_id == poll.id,
                                                          Recognition.superseded_at.is_(None))
                             .order_by(Recognition.id.desc()).limit(1))


def acting_check(poll: Poll, person: Person, on: date) -> AppointeeCheck:
    """The candidate standards (candidates.rules, R-E1…R-E8) for `person` as acting chief on `on`, with the
    approved exceptions (R-X1) that cover them."""
    return appointee_check(person, poll.term, poll.hamlet, on)


def appoint_acting_chief(poll: Poll, user, person: Person, decision_no: str, decided_on: date,
                         signer_name: str, today: date | None = None) -> ActingAppointment:
    """R-V8: the commune chairman appoints an acting chief who meets a candidate's standards (or is covered by an
    approved exception, R-X1), by a decision dated between the last round's voting day and today."""
    result = poll_result(poll)
    if result is None or result.next_step != "appoint_acting_chief":
        raise RuleViolation("Chỉ chỉ định trưởng thôn lâm thời khi bầu lại vẫn không có người trúng cử (R-V8).")
    if person.hamlet_id != poll.hamlet_id:
        raise RuleViolation(f"{person.full_name} không cư trú tại {poll.hamlet.full_name}.", "person_id")
    if not decision_no.strip() or not signer_name.strip():
        raise RuleViolation("Cần số quyết định và người ký.")
    problem = acting_date_problem(decided_on, today or vietnam_today(), poll.poll_day or poll.election_day)
    if problem is not None:
        raise RuleViolation(problem.message, problem.field)
    refusal = acting_check(poll, person, decided_on).problem
    if refusal is not None:
        raise RuleViolation(f"{person.full_name}: {refusal}", "person_id")
    poll.record_acting_chief()
    position = _take_office(poll, person, decided_on, acting=True)
    db.session.flush()
    appointment = ActingAppointment(poll=poll, person=person, decision_no=decision_no.strip(), decided_on=decided_on,
                                    signer_name=signer_name.strip(), position_id=position.id, recorded_by_id=user.id)
    db.session.add(appointment)
    return appointment


def poll_acting(poll: Poll) -> ActingAppointment | None:
    return db.session.scalar(db.select(ActingAppointment).where(ActingAppointment.poll_id == poll.id))


def start_revote(poll: Poll, user, voting_day: date, today: date | None = None) -> Poll:
    """R-V8: nobody elected: a new round with its own candidate list (a draft copy to confirm), ballots, count,
    voting on `voting_day` (within the re-vote deadline; the round opens only that day)."""
    result = poll_result(poll)
    if result is None or result.next_step != "revote":
        raise RuleViolation("Chỉ tổ chức bầu lại khi vòng bầu này không có người trúng cử (R-V8).")
    poll.order_revote()
    new_round = poll.round_no + 1
    revote = Poll.get_or_create(poll.term, poll.hamlet, new_round)
    revote.set_voting_day(voting_day, today or vietnam_today())
    exists = db.session.scalar(db.select(CandidateList).where(
        CandidateList.term_id == poll.term_id, CandidateList.hamlet_id == poll.hamlet_id,
        CandidateList.round_no == new_round))
    if exists is None:
        old = db.session.scalar(db.select(CandidateList).where(
            CandidateList.term_id == poll.term_id, CandidateList.hamlet_id == poll.hamlet_id,
            CandidateList.round_no == poll.round_no))
        copy = CandidateList(term=poll.term, hamlet=poll.hamlet, term_id=poll.term_id, hamlet_id=poll.hamlet_id,
                             round_no=new_round)
        db.session.add(copy)
        if old is not None:
            for c in old.candidacies:
                copy.add(c.person, c.proposed_by, c.proposal_note)
    return revote


def revote_due(poll: Poll) -> date | None:
    """R-V8: the day by which a re-vote round is held."""
    return revote_deadline(poll.election_day, poll.rules) if poll.round_no > 1 else None


def revote_window(poll: Poll, today: date | None = None) -> tuple[date, date]:
    """R-V8: the first and last day a re-vote ordered today after `poll` may be set on (for the order's form)."""
    first = max(poll.election_day + timedelta(days=1), today or vietnam_today())
    return first, revote_deadline(poll.election_day, poll.rules)


