"""Reads into the count (issue 19): a photo or a scanner page read by ballots.omr becomes the same idempotent scan
record as a tap, or waits for two members when the reader is not sure.

- geometry_for(poll): the callback ballots.omr.read.read_page calls for each QR it finds: the QR checked exactly as a
  tapped scan checks it (ballots.scanning.check_scanned_ballot: signature, this poll's hamlet and round, real not
  test, printed, not counted yet), then the geometry of the batch's ballots; refused otherwise (ballots.omr.Refused).
- A decided read (ballots.omr.read.verdict) is recorded by ballots.scanning.record_scan, as a tap is: the same
  BallotScan row, the same refusal of a ballot counted twice, the same audit entry, which names the image's SHA-256.
  Its idempotency key is derived from the image's hash and the serial: the same photo sent again replays.
- An unclear read waits in the adjudication queue (ballots.models.MarkRead) with its rectified image (core.storage,
  kind BALLOT_IMAGE); two different members decide it (decide_read), then it is recorded as above.
- A scanner batch (PDF, TIFF or image) is stored whole (kind BALLOT_SCAN) and read one page per request
  (read_next_page): no background worker, and any app host continues where another stopped.
Images are never linked to a household or a check-in; they are purged once the recognition's appeal period ends
(ballots.rules.image_expiry, purge_images).
"""
from __future__ import annotations

import hashlib
import io
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import cv2
import numpy as np
import pypdfium2 as pdfium
import sqlalchemy as sa
from PIL import Image

from ballots.geometry import BallotGeometry, ballot_geometry
from ballots.models import Ballot, BallotBatch, MarkRead, MarkReadState, ScanUpload, ballot_keys
from ballots.omr import BallotRead, Refused
from ballots.omr.load import MAX_BYTES
from ballots.omr.read import load_pages, read_page, verdict
from ballots.printing import candidate_list_of, sheet_spec
from ballots.qr import BallotQRError, decode_payload
from ballots.rules import IMAGE_KEEP_MAX_DAYS, image_expiry
from ballots.scanning import (
    WAITING,
    ScanPoll,
    ScanRefused,
    candidate_ids,
    check_scanned_ballot,
    decision_verdict,
    end_reads,
    record_scan,
    scan_by_key,
    scan_poll,
    scan_totals,
)
from core import storage
from core.audit import describe, record
from core.errors import RuleViolation
from core.transactions import act
from core.vietnamese import utcnow
from election.counting import SEATS
from election.models import Poll, Recognition
from extensions import db

NO_GEOMETRY = "Phiếu in trước khi có dấu định vị: quét mã và bấm lựa chọn như trước"
MAX_BATCH_BYTES = MAX_BYTES  # load_pages' own bound, a feeder's PDF of a few hundred pages (a request: 64 MB)
MAX_BATCH_PAGES = 400
MAX_PROBLEMS = 200  # what a batch's summary lists (refused and waiting ballots)
KEEP = timedelta(days=IMAGE_KEEP_MAX_DAYS)  # until the recognition sets the end of the appeal period


def read_key(source_sha256: str, serial: str) -> str:
    """The idempotency key of the scan a read records: the same image of the same ballot, the same key."""
    return "read-" + hashlib.sha256(f"{source_sha256}:{serial}".encode()).hexdigest()[:48]


def pixels_sha256(image: np.ndarray) -> str:
    """The hash of a decoded page (a scanner page has no bytes of its own: its file's page, decoded)."""
    digest = hashlib.sha256(repr((image.shape, str(image.dtype))).encode())
    digest.update(np.ascontiguousarray(image).tobytes())
    return digest.hexdigest()


def _serial(text: str) -> str:
    try:
        return decode_payload((text or "").strip(), *ballot_keys()).serial
    except BallotQRError:
        return ""


def pending_read(serial: str) -> MarkRead | None:
    return db.session.scalar(sa.select(MarkRead).where(MarkRead.serial == serial))


def geometry_for(poll: ScanPoll) -> Callable[[str], BallotGeometry]:
    """read_page's callback for `poll`: the geometry of the ballot a QR names, when a tap could count it now."""
    geometries: dict[int, BallotGeometry] = {}

    def callback(text: str) -> BallotGeometry:
        try:
            serial = check_scanned_ballot(poll, text)
        except ScanRefused as refused:
            raise Refused(refused.code, refused.message) from refused
        except RuleViolation as error:
            raise Refused("closed", error.message) from error
        batch = db.session.execute(sa.select(BallotBatch.id, BallotBatch.layout, BallotBatch.test,
                                             BallotBatch.geometry_version)
                                   .join(Ballot, Ballot.batch_id == BallotBatch.id)
                                   .where(Ballot.serial == serial)).one()
        if batch.geometry_version is None:
            raise Refused("no_geometry", NO_GEOMETRY)
        if batch.id not in geometries:
            orm_poll = db.session.get(Poll, poll.id)
            candidate_list = candidate_list_of(orm_poll) if orm_poll is not None else None
            if orm_poll is None or candidate_list is None:
                raise Refused("foreign", "Phiếu này không thuộc cuộc bầu đang kiểm.")
            geometries[batch.id] = ballot_geometry(sheet_spec(orm_poll, candidate_list, batch.layout, batch.test,
                                                              batch.geometry_version))
        return geometries[batch.id]

    return callback


@dataclass
class Outcome:
    """What became of one ballot found on an image."""

    status: str  # "counted", "waiting" or "refused"
    serial: str
    message: str = ""
    code: str = ""
    scan: dict | None = None
    replayed: bool = False
    read_id: int | None = None
    extra: dict = field(default_factory=dict)


def take_page(poll: ScanPoll, user, image: np.ndarray, source_sha256: str) -> list[Outcome]:
    """Read one image (a photo or a scanner page) and count, queue or refuse each ballot on it."""
    page = read_page(image, geometry_for(poll))
    db.session.commit()  # the ORM's reads end before anything is written (SQLite: one writer, fresh snapshots)
    end_reads()
    outcomes = [_take_ballot(poll, user, ballot, source_sha256) for ballot in page.ballots]
    outcomes += [_refused(poll, text, code, message, source_sha256) for text, code, message in page.refused]
    return outcomes


def _locked(poll: ScanPoll) -> ScanPoll:
    """The poll read again by the scan path's first statement, which on PostgreSQL takes the poll's scan lock (shared)
    for the transaction that records the scan, as a tap's request does (the checks in between ended it)."""
    return scan_poll(poll.id) or poll


def _take_ballot(poll: ScanPoll, user, ballot: BallotRead, source_sha256: str) -> Outcome:
    serial = _serial(ballot.qr_text)
    decided = verdict(ballot, candidate_ids(poll), SEATS) if ballot.decided else None
    if decided is None:
        return _queue(poll, user, ballot, source_sha256, serial)
    choice, reason = (decided.choice, "") if decided.valid else ("", decided.reason)
    try:
        scan, replayed = record_scan(_locked(poll), user, ballot.qr_text, choice, reason, read_key(source_sha256, serial),
                                     source_sha256)
    except ScanRefused as refused:
        return Outcome("refused", serial, refused.message, refused.code)
    except RuleViolation as error:
        return Outcome("refused", serial, error.message, "rule")
    return Outcome("counted", serial, scan=scan, replayed=replayed)


def _queue(poll: ScanPoll, user, ballot: BallotRead, source_sha256: str, serial: str) -> Outcome:
    try:
        read = act(None, lambda: queue_read(poll, user.id, ballot, source_sha256, serial))
    except RuleViolation as error:
        db.session.rollback()
        # The same image queued meanwhile by another request (a batch's page read on two devices at once): what
        # that request did, as a resend gets (_refused), so the batch's figures say «waiting», not «refused».
        earlier = pending_read(serial)
        if earlier is not None and earlier.state == MarkReadState.PENDING and earlier.source_sha256 == source_sha256:
            return Outcome("waiting", serial, WAITING, replayed=True, read_id=earlier.id)
        return Outcome("refused", serial, error.message, "waiting")
    return Outcome("waiting", serial, WAITING, read_id=read.id)


def _lines_json(ballot: BallotRead) -> str:
    return json.dumps([{"index": line.index, "mark": line.mark, "confidence": round(float(line.confidence), 3),
                        "box": [int(v) for v in line.box]} for line in ballot.lines])


def queue_read(poll: ScanPoll, user_id: int | None, ballot: BallotRead, source_sha256: str, serial: str
               ) -> MarkRead:
    """Add an unclear ballot to the poll's adjudication queue, its rectified image stored with it (the caller
    commits, through act())."""
    earlier = pending_read(serial)
    if earlier is not None:
        if earlier.state == MarkReadState.PENDING:
            raise RuleViolation(WAITING)
        # decided and counted once, its scan undone since (ballots.scanning.undo_scan): it waits again
        storage.remove(storage.BALLOT_IMAGE, earlier.image_key)
        db.session.delete(earlier)
        db.session.flush()
    ok, png = cv2.imencode(".png", ballot.image)
    if not ok:
        raise RuleViolation("Không lưu được ảnh phiếu.")
    key = f"{poll.id}/{serial}/{secrets.token_hex(6)}"
    stored = storage.put(storage.BALLOT_IMAGE, key, png.tobytes(), filename=f"{serial}.png",
                         content_type="image/png", keep_for=KEEP, hamlet_id=poll.hamlet_id, term_id=poll.term_id)
    read = MarkRead(poll_id=poll.id, serial=serial, qr_text=ballot.qr_text.strip(), source_sha256=source_sha256,
                    image_key=key, image_sha256=stored.sha256, lines=_lines_json(ballot),
                    stray_ink=bool(ballot.stray_ink), read_by_id=user_id)
    db.session.add(read)
    describe(f"Phiếu {serial} ({poll.label}) đọc dấu chưa rõ: chờ hai thành viên quyết định "
             f"(ảnh gửi SHA-256 {source_sha256}, ảnh phiếu SHA-256 {stored.sha256})")
    return read


def _refused(poll: ScanPoll, text: str, code: str, message: str, source_sha256: str) -> Outcome:
    """A ballot the reader did not read: refused — unless this very image was taken before (a resend): then what
    it did the first time."""
    serial = _serial(text)
    if serial and code == "already_counted":
        try:
            earlier = scan_by_key(poll.id, read_key(source_sha256, serial))
        except RuleViolation:
            earlier = None
        finally:
            end_reads()
        if earlier is not None:
            return Outcome("counted", serial, scan=earlier, replayed=True)
    if serial and code == "waiting":
        waiting = pending_read(serial)
        if waiting is not None and waiting.source_sha256 == source_sha256:
            return Outcome("waiting", serial, WAITING, replayed=True, read_id=waiting.id)
    return Outcome("refused", serial, message, code)


def decide_read(poll: ScanPoll, read: MarkRead, user, choice: str, reason: str) -> tuple[str, bool]:
    """A member's decision on a waiting ballot: (outcome, counted now). A second, different member deciding the same
    as the first records the scan (record_scan, the key of the read) and the read counted; a different decision
    sends it back to pending with both shown; the first decision waits. Every decision is audited with the image's
    hash. Raises RuleViolation (the same member twice, a decided read, a choice that is no valid decision)."""
    choice, reason = decision_verdict(poll, choice, reason)
    outcome = read.outcome(user.id, choice, reason)
    note = ""
    if outcome == "confirm":
        text, key, sha = read.qr_text, read_key(read.source_sha256, read.serial), read.source_sha256
        db.session.commit()  # the ORM's reads end before the scan path writes
        try:
            record_scan(_locked(poll), user, text, choice if reason == "valid" else "", reason if reason != "valid" else "",
                        key, sha, adjudicated=True)
        except ScanRefused as refused:
            if refused.code != "already_counted":
                raise
            note = " — phiếu đã được tính bằng một lần quét khác, không tính lần nữa"
        read = db.session.get(MarkRead, read.id) or read
    summary = {"first": "quyết định thứ nhất", "confirm": "xác nhận của thành viên thứ hai: tính phiếu",
               "disagree": "khác quyết định thứ nhất: phiếu chờ quyết định lại"}[outcome]
    act(f"Phiếu đọc dấu chưa rõ {read.serial} ({poll.label}): {summary} ({choice or reason}){note}, "
        f"ảnh phiếu SHA-256 {read.image_sha256}",
        lambda: read.decide(user.id, choice, reason))
    return outcome, outcome == "confirm" and not note


def waiting_list(poll_id: int) -> list[MarkRead]:
    return list(db.session.scalars(sa.select(MarkRead).where(MarkRead.poll_id == poll_id,
                                                             MarkRead.state == MarkReadState.PENDING)
                                   .order_by(MarkRead.id)))


def read_lines(read: MarkRead) -> list[dict]:
    try:
        return list(json.loads(read.lines or "[]"))
    except ValueError:
        return []


def crop_png(read: MarkRead, line: int | None) -> bytes | None:
    """The stored ballot image (line None), or the crop of one name line / box, as PNG; None once purged."""
    data = storage.read(storage.BALLOT_IMAGE, read.image_key)
    if data is None:
        return None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return None
    if line is not None:
        boxes = {item["index"]: item["box"] for item in read_lines(read)}
        if line not in boxes:
            return None
        x0, y0, x1, y1 = boxes[line]
        pad = max(4, (y1 - y0) // 6)
        height, width = image.shape[:2]
        image = image[max(0, y0 - pad):min(height, y1 + pad), max(0, x0 - pad):min(width, x1 + pad)]
    elif image.shape[1] > 800:
        image = cv2.resize(image, (800, round(image.shape[0] * 800 / image.shape[1])), interpolation=cv2.INTER_AREA)
    ok, png = cv2.imencode(".png", image)
    return png.tobytes() if ok else None


# Scanner batches ---------------------------------------------------------------------------------------------------

def _kind(data: bytes) -> str | None:
    if data.startswith(b"%PDF"):
        return "pdf"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data.startswith(b"\xff\xd8") or data.startswith(b"\x89PNG"):
        return "image"
    return None


def _page_count(kind: str, data: bytes) -> int:
    try:
        if kind == "pdf":
            document = pdfium.PdfDocument(data)
            try:
                return len(document)
            finally:
                document.close()
        if kind == "tiff":
            with Image.open(io.BytesIO(data)) as image:
                return int(getattr(image, "n_frames", 1))
        return 1
    except Exception as error:  # noqa: BLE001 — any decoder failure is an unreadable file
        raise RuleViolation("Tệp quét không đọc được: hãy quét lại thành PDF, TIFF hoặc JPEG.", "file") from error


def start_upload(poll: Poll, user_id: int | None, filename: str, data: bytes) -> ScanUpload:
    """Keep a scanner batch and its page count (the caller commits, through act()); raises RuleViolation on a file
    too large, of too many pages, or of another kind."""
    if not data:
        raise RuleViolation("Hãy chọn tệp quét (PDF, TIFF hoặc JPEG).", "file")
    if len(data) > MAX_BATCH_BYTES:
        raise RuleViolation(f"Tệp quét quá lớn (tối đa {MAX_BATCH_BYTES // (1024 * 1024)} MB): chia thành nhiều tệp.",
                            "file")
    kind = _kind(data)
    if kind is None:
        raise RuleViolation("Chỉ nhận tệp PDF, TIFF, JPEG hoặc PNG từ máy quét.", "file")
    pages = _page_count(kind, data)
    if pages < 1:
        raise RuleViolation("Tệp quét không có trang nào.", "file")
    if pages > MAX_BATCH_PAGES:
        raise RuleViolation(f"Tệp quét có {pages} trang, tối đa {MAX_BATCH_PAGES}: chia thành nhiều tệp.", "file")
    key = f"{poll.id}/{secrets.token_hex(12)}"
    stored = storage.put(storage.BALLOT_SCAN, key, data, filename=filename,
                         content_type={"pdf": "application/pdf", "tiff": "image/tiff"}.get(kind, "image/jpeg"),
                         keep_for=KEEP, hamlet_id=poll.hamlet_id, term_id=poll.term_id)
    upload = ScanUpload(poll_id=poll.id, file_key=key, filename=(filename or "")[:200], sha256=stored.sha256,
                        kind=kind, pages=pages, by_user_id=user_id)
    db.session.add(upload)
    describe(f"Tải lên tệp quét phiếu {poll.label}: {pages} trang, SHA-256 {stored.sha256}")
    return upload


def _page_bytes(kind: str, data: bytes, index: int) -> bytes:
    """One page of the batch as a file of its own (for load_pages): nothing before it is decoded again."""
    if kind == "pdf":
        source = pdfium.PdfDocument(data)
        single = pdfium.PdfDocument.new()
        try:
            single.import_pages(source, [index])
            out = io.BytesIO()
            single.save(out)
            return out.getvalue()
        finally:
            single.close()
            source.close()
    if kind == "tiff":
        with Image.open(io.BytesIO(data)) as image:
            image.seek(index)
            out = io.BytesIO()
            image.copy().save(out, format="PNG")
            return out.getvalue()
    return data


def upload_state(upload: ScanUpload) -> dict:
    return {"done": upload.done, "page": upload.next_page, "total": upload.pages, "counted": upload.counted,
            "waiting": upload.waiting, "refused": upload.refused}


def read_next_page(poll: ScanPoll, upload: ScanUpload, user) -> dict:
    """Read the batch's next page and move its cursor (once: a request that lost the race to another reading the
    same page does not add its figures twice; the scans themselves replay by their keys)."""
    if upload.done:
        return upload_state(upload)
    index, upload_id, kind = upload.next_page, upload.id, upload.kind
    data = storage.read(storage.BALLOT_SCAN, upload.file_key)
    if data is None:
        raise RuleViolation("Tệp quét này không còn lưu (đã hết thời hạn lưu giữ).")
    outcomes: list[Outcome] = []
    try:
        images = list(load_pages(_page_bytes(kind, data, index)))
    except Exception:  # noqa: BLE001 — a page that does not decode is reported, the batch goes on
        images = []
        outcomes.append(Outcome("refused", "", "Trang này không đọc được.", "unreadable"))
    for image in images:
        outcomes += take_page(poll, user, image, pixels_sha256(image))
    if images and not outcomes:
        outcomes.append(Outcome("refused", "", "Không tìm thấy phiếu nào trên trang này.", "no_ballot"))
    upload = db.session.get(ScanUpload, upload_id) or upload
    problems = json.loads(upload.problems or "[]")
    for outcome in outcomes:
        if outcome.status != "counted" and len(problems) < MAX_PROBLEMS:
            problems.append([index + 1, outcome.serial, outcome.message])
    counts = {status: sum(o.status == status for o in outcomes) for status in ("counted", "waiting", "refused")}
    last = index + 1 >= upload.pages
    db.session.execute(sa.update(ScanUpload).where(ScanUpload.id == upload_id, ScanUpload.next_page == index).values(
        next_page=index + 1, counted=ScanUpload.counted + counts["counted"],
        waiting=ScanUpload.waiting + counts["waiting"], refused=ScanUpload.refused + counts["refused"],
        problems=json.dumps(problems, ensure_ascii=False), finished_at=utcnow() if last else None),
        execution_options={"synchronize_session": False})
    db.session.commit()
    db.session.expire_all()
    return upload_state(db.session.get(ScanUpload, upload_id) or upload)


def batch_problems(upload: ScanUpload) -> list[tuple[int, str, str]]:
    try:
        return [tuple(item) for item in json.loads(upload.problems or "[]")]
    except ValueError:
        return []


def totals(poll_id: int) -> dict[str, int]:
    result = scan_totals(poll_id)
    end_reads()
    return result


# Retention ---------------------------------------------------------------------------------------------------------

def purge_images(now=None) -> int:
    """R-B19-IMG: set the expiry of the ballot images and scanner batches of recognised polls to the end of the
    appeal period, then delete every such file past its expiry; how many were deleted (audited; the caller
    commits)."""
    now = now or utcnow()
    recognised: dict[int, date] = dict(db.session.execute(  # type: ignore[arg-type]
        sa.select(Recognition.poll_id, sa.func.max(Recognition.decided_on))
        .where(Recognition.superseded_at.is_(None)).group_by(Recognition.poll_id)).all())
    files = [(MarkRead.poll_id, MarkRead.image_key, storage.BALLOT_IMAGE),
             (ScanUpload.poll_id, ScanUpload.file_key, storage.BALLOT_SCAN)]
    for poll_column, key_column, kind in files:
        rows = db.session.execute(sa.select(poll_column, key_column, storage.StoredFile.id,
                                            storage.StoredFile.created_at)
                                  .join(storage.StoredFile, sa.and_(storage.StoredFile.kind == kind,
                                                                    storage.StoredFile.key == key_column))
                                  .where(poll_column.in_(list(recognised)))).all()
        for _poll_id, _key, file_id, created_at in rows:
            db.session.execute(sa.update(storage.StoredFile).where(storage.StoredFile.id == file_id)
                               .values(expires_at=image_expiry(recognised[_poll_id], created_at)))
    expired = sa.and_(storage.StoredFile.kind.in_((storage.BALLOT_IMAGE, storage.BALLOT_SCAN)),
                      storage.StoredFile.expires_at <= now)
    gone = db.session.scalar(sa.select(sa.func.count(storage.StoredFile.id)).where(expired)) or 0
    db.session.execute(sa.delete(storage.StoredFile).where(expired))
    if gone:
        record("delete", "StoredFile", "ballot_images", summary=f"Xóa {gone} ảnh phiếu bầu và tệp quét đã hết thời "
               "hạn lưu giữ (R-B19-IMG: hết thời hạn khiếu nại sau khi công nhận kết quả)")
    return gone
