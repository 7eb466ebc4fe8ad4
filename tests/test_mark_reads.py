"""Reads into the count (issue 19): photos of real printed ballots, marked with demo.marked_ballots' pens, read by the
real reader (ballots.omr) and counted as taps are, or queued for two members; scanner batches; the images' purge."""
from __future__ import annotations

import io
from datetime import timedelta

import cv2
import numpy as np
import pytest
from factories_counting import client_for, print_ballots
from PIL import Image

from ballots import reading
from ballots.geometry import GEOMETRY_VERSION, BallotGeometry
from ballots.models import (
    Ballot,
    BallotBatch,
    BallotLayout,
    BallotScan,
    MarkRead,
    MarkReadState,
    ScanUpload,
    ballot_secret,
)
from ballots.omr import Refused
from ballots.printing import candidate_list_of, poll_election_hash, sheet_spec
from ballots.qr import BallotPayload, encode_payload, new_serial
from ballots.reading import geometry_for
from ballots.scanning import record_scan, scan_poll
from core import storage
from core.accounts import ApiToken, Role
from core.audit import AuditEntry
from core.dbapi import release_request_connection
from core.vietnamese import utcnow
from demo.marked_ballots import Design, mark_ballot, render_page
from election.models import CountEntry, Recognition
from extensions import db


class Ballots:
    """A poll's real printed batch (geometry version 1) and photos of its ballots, marked by demo.marked_ballots."""

    def __init__(self, setup, layout: BallotLayout = BallotLayout.A5) -> None:
        self.setup = setup
        poll = setup.poll
        batch = BallotBatch(poll=poll, election_hash=poll_election_hash(poll), layout=layout, count=6,
                            geometry_version=GEOMETRY_VERSION)
        db.session.add(batch)
        self.serials = [new_serial() for _ in range(6)]
        db.session.add_all(Ballot(batch=batch, poll_id=poll.id, serial=serial) for serial in self.serials)
        db.session.commit()
        self.texts = [encode_payload(BallotPayload(batch.election_hash, poll.hamlet_id, serial, False),
                                     ballot_secret()) for serial in self.serials]
        spec = sheet_spec(poll, candidate_list_of(poll), layout, False)
        self.design = Design(spec, tuple(setup.ids), poll.hamlet_id, batch.election_hash)

    def image(self, index: int, kind: str, seed: int = 1, dpi: float = 150) -> tuple[np.ndarray, object]:
        page, frames = render_page(self.design, [self.texts[index]], dpi)
        truth = mark_ballot(page, frames[0], self.design, self.texts[index], kind, np.random.default_rng(seed),
                            stamp=False)
        return page, truth

    def photo(self, index: int, kind: str, seed: int = 1, quality: int = 85) -> tuple[bytes, object]:
        page, truth = self.image(index, kind, seed)
        ok, data = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        return data.tobytes(), truth


def send_photo(client, poll, data: bytes):
    return client.post(f"/polls/{poll.id}/scan/read", data={"image": (io.BytesIO(data), "phieu.jpg")},
                       content_type="multipart/form-data")


def scans() -> int:
    return db.session.scalar(db.select(db.func.count(BallotScan.id)))


def test_geometry_for_refuses_what_a_tap_refuses_and_ballots_printed_before_the_marks(app, election):
    setup = election(households=6, present=5)
    ballots = Ballots(setup)
    old_texts = print_ballots(setup.poll, 2)  # a batch printed before reading marks existed: geometry_version None
    test_texts = print_ballots(setup.poll, 1, test=True)
    poll = scan_poll(setup.poll.id)
    callback = geometry_for(poll)
    geometry = callback(ballots.texts[0])
    assert isinstance(geometry, BallotGeometry) and len(geometry.names) == 2
    forged = ballots.texts[1][:-1] + ("A" if ballots.texts[1][-1] != "A" else "B")
    for text, code in [(old_texts[0], "no_geometry"), (test_texts[0], "test_ballot"), (forged, "bad_signature")]:
        with pytest.raises(Refused) as refused:
            callback(text)
        assert refused.value.code == code, (code, refused.value.message)
    with pytest.raises(Refused) as refused:
        callback(old_texts[1])
    assert refused.value.message == "Phiếu in trước khi có dấu định vị: quét mã và bấm lựa chọn như trước"
    record_scan(poll, setup.team_a, ballots.texts[2], setup.ids[0], "", "tap-1")
    with pytest.raises(Refused) as refused:
        callback(ballots.texts[2])
    assert refused.value.code == "already_counted"
    release_request_connection()


ONE = ("Nguyễn Thị Ánh Tuyết",)  # one candidate: agree / disagree boxes


def test_a_decided_photo_is_counted_once_a_resend_replays_and_another_photo_is_refused(app, election):
    setup = election(households=6, present=5, names=ONE)
    ballots = Ballots(setup)
    client = client_for(app, setup.team_a)
    data, truth = ballots.photo(0, "box_x")
    response = send_photo(client, setup.poll, data)
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "counted" and body["valid"] is True and body["choice"] == truth.verdict.choice, body
    assert body["serial"] == ballots.serials[0] and body["totals"] == {"valid": 1, "invalid": 0}
    assert body["message"].startswith("Đã ghi: phiếu hợp lệ — ")
    sha = __import__("hashlib").sha256(data).hexdigest()
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.record_type == "BallotScan"))
    assert sha in entry.summary

    again = send_photo(client, setup.poll, data).get_json()  # the same photo sent again (a lost response)
    assert again["status"] == "counted" and again["replayed"] is True and again["id"] == body["id"]
    other, _truth = ballots.photo(0, "box_x", quality=70)  # another photo of the same ballot
    refused = send_photo(client, setup.poll, other).get_json()
    assert refused["status"] == "refused" and refused["code"] == "already_counted", refused
    assert scans() == 1
    # The JSON API reads the same way: a third photo of the ballot, refused as counted; another ballot counted.
    record, token = ApiToken.issue(setup.team_b, "đọc dấu")
    db.session.add(record)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    api = app.test_client()
    via_api = api.post(f"/api/v1/polls/{setup.poll.id}/scans/read", headers=headers, content_type="multipart/form-data",
                       data={"image": (io.BytesIO(ballots.photo(0, "box_x", quality=60)[0]), "p.jpg")}).get_json()
    assert via_api["status"] == "refused" and via_api["code"] == "already_counted", via_api
    second, _truth = ballots.photo(1, "box_x", seed=3)
    via_api = api.post(f"/api/v1/polls/{setup.poll.id}/scans/read", headers=headers, content_type="multipart/form-data",
                       data={"image": (io.BytesIO(second), "p.jpg")}).get_json()
    assert via_api["status"] == "counted" and via_api["totals"]["valid"] + via_api["totals"]["invalid"] == 2, via_api
    assert scans() == 2
    not_an_image = send_photo(client, setup.poll, b"<html>not a photo</html>")
    assert not_an_image.status_code == 422 and "Không đọc được tệp" in not_an_image.get_json()["errors"]["image"]
    blank = cv2.imencode(".png", np.full((800, 600), 255, np.uint8))[1].tobytes()
    nothing = send_photo(client, setup.poll, blank)
    assert nothing.status_code == 422 and "Không tìm thấy mã QR" in nothing.get_json()["errors"]["image"]


def test_struck_names_read_from_photos_count_as_the_taps_of_the_truth_would(app, election):
    """The count from images equals the count from taps for the same ballots: each decided read records what a
    member tapping the ballot's truth records (kept name, or invalid with its R-B1 reason)."""
    setup = election(households=6, present=5)
    ballots = Ballots(setup)
    client = client_for(app, setup.team_a)
    expected = []
    for index, kind in enumerate(["strike", "double", "blank", "all_struck"]):
        data, truth = ballots.photo(index, kind, seed=index)
        body = send_photo(client, setup.poll, data).get_json()
        assert body["status"] == "counted", (kind, body)
        expected.append((ballots.serials[index], truth.verdict.valid, truth.verdict.choice, truth.verdict.reason))
    recorded = {(s.serial, s.valid, s.choice, s.reason) for s in db.session.scalars(db.select(BallotScan))}
    assert recorded == set(expected)
    assert {reason for _s, _v, _c, reason in expected} == {"valid", "too_many_kept", "no_name_kept"}


def test_an_unclear_ballot_waits_for_two_different_members_who_must_agree(app, election, make_commune, make_user):
    setup = election(households=6, present=5)
    ballots = Ballots(setup)
    team_a, team_b = client_for(app, setup.team_a), client_for(app, setup.team_b)
    data, truth = ballots.photo(1, "tick")  # a tick on the kept name: only a person decides
    assert truth.verdict is None
    body = send_photo(team_a, setup.poll, data).get_json()
    assert body["status"] == "waiting" and body["waiting"] == 1, body
    assert send_photo(team_a, setup.poll, data).get_json()["status"] == "waiting"  # a resend: still once
    read = db.session.scalar(db.select(MarkRead))
    assert read.serial == ballots.serials[1] and read.state == MarkReadState.PENDING and scans() == 0
    # A tap cannot settle a waiting ballot alone, nor can the phone's check let it through.
    for path in ("/scan", "/scan/check"):
        tap = team_a.post(f"/polls/{setup.poll.id}{path}", json={
            "text": read.qr_text, "choice": setup.ids[0], "idempotency_key": "tap-of-a-waiting-ballot-01"})
        assert tap.status_code == 409 and "chờ hai thành viên" in str(tap.get_json()), (path, tap.get_json())
    assert scans() == 0
    stored = storage.find(storage.BALLOT_IMAGE, read.image_key)
    assert stored.sha256 == read.image_sha256 and stored.hamlet_id == setup.hamlet.id

    page = team_b.get(f"/polls/{setup.poll.id}/scan/reads")
    assert page.status_code == 200 and read.serial[:4] in page.get_data(as_text=True)
    crop = team_b.get(f"/polls/{setup.poll.id}/scan/reads/{read.id}/image?line=0")
    assert crop.status_code == 200 and crop.data.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(crop.data)).size[0] > 50

    # Pending reads block finishing the scans.
    finish = team_a.post(f"/polls/{setup.poll.id}/scan/finish", data={"ballots_issued": 5}, follow_redirects=True)
    assert "1 phiếu đọc dấu chưa rõ" in finish.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(CountEntry.id))) == 0

    # Another commune's team sees nothing of it.
    other = make_commune("Bình Trị")
    stranger = client_for(app, make_user(Role.POLLING_TEAM, commune=other))
    assert stranger.get(f"/polls/{setup.poll.id}/scan/reads").status_code == 404
    assert stranger.get(f"/polls/{setup.poll.id}/scan/reads/{read.id}/image").status_code == 404
    assert stranger.post(f"/polls/{setup.poll.id}/scan/reads/{read.id}/decide",
                         data={"decision": f"{setup.ids[0]}|"}).status_code == 404
    assert send_photo(stranger, setup.poll, data).status_code == 404

    url = f"/polls/{setup.poll.id}/scan/reads/{read.id}/decide"
    kept, other_name = setup.ids[0], setup.ids[1]
    team_a.post(url, data={"decision": f"{kept}|"})
    same = team_a.post(url, data={"decision": f"{kept}|"}, follow_redirects=True).get_data(as_text=True)
    assert "cần một thành viên khác" in same and scans() == 0
    team_b.post(url, data={"decision": f"{other_name}|"})  # disagreement: back to pending, both shown
    db.session.expire_all()
    read = db.session.get(MarkRead, read.id)
    assert read.state == MarkReadState.PENDING and read.first_by_id is None and read.disputed
    assert "Hai quyết định trước khác nhau" in team_a.get(f"/polls/{setup.poll.id}/scan/reads").get_data(as_text=True)
    team_b.post(url, data={"decision": f"{kept}|"})
    done = team_a.post(url, data={"decision": f"{kept}|"}, follow_redirects=True).get_data(as_text=True)
    assert "Hai thành viên cùng quyết định" in done
    db.session.expire_all()
    scan = db.session.scalar(db.select(BallotScan))
    assert scans() == 1 and scan.serial == read.serial and scan.choice == kept and scan.valid
    assert db.session.get(MarkRead, read.id).state == MarkReadState.COUNTED
    decisions = db.session.scalars(db.select(AuditEntry.summary).where(AuditEntry.summary.contains(read.image_sha256)))
    assert len(list(decisions)) >= 4  # queued, first, disagreement, first, confirmation
    again = send_photo(team_a, setup.poll, data).get_json()  # the photo sent again, after the decision
    assert again["status"] == "counted" and again["replayed"] is True and scans() == 1


def test_a_scanner_batch_is_read_page_by_page_and_resumes_where_it_stopped(app, election, monkeypatch):
    setup = election(households=6, present=5, names=ONE)
    ballots = Ballots(setup)
    kinds = ["box_x", "box_tick", "box_stray"]
    pages = [Image.fromarray(cv2.cvtColor(ballots.image(i, kind, seed=i)[0], cv2.COLOR_BGR2RGB))
             for i, kind in enumerate(kinds)]
    pdf = io.BytesIO()
    pages[0].save(pdf, format="PDF", save_all=True, append_images=pages[1:], resolution=150)
    office = client_for(app, setup.committee)
    response = office.post(f"/polls/{setup.poll.id}/scan/batches",
                           data={"file": (io.BytesIO(pdf.getvalue()), "may-quet.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    upload = db.session.scalar(db.select(ScanUpload))
    assert upload.pages == 3 and upload.next_page == 0
    url = f"/polls/{setup.poll.id}/scan/batches/{upload.id}/next"
    first = office.post(url).get_json()
    assert first == {"done": False, "page": 1, "total": 3, "counted": 1, "waiting": 0, "refused": 0}
    # The connection is lost; the team's phone (another session, maybe another host) goes on from page 2.
    team = client_for(app, setup.team_a)
    second = team.post(url).get_json()
    assert second["page"] == 2 and second["counted"] == 2
    last = office.post(url).get_json()
    assert last["done"] is True and last["waiting"] == 1 and last["counted"] == 2 and "summary_url" in last
    assert office.post(url).get_json()["counted"] == 2 and scans() == 2  # done: nothing read twice
    summary = office.get(last["summary_url"]).get_data(as_text=True)
    assert "2 phiếu đã tính, 1 phiếu chờ quyết định" in summary

    bad = office.post(f"/polls/{setup.poll.id}/scan/batches", data={"file": (io.BytesIO(b"hello"), "x.txt")},
                      content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "Chỉ nhận tệp PDF, TIFF, JPEG hoặc PNG" in bad
    monkeypatch.setattr(reading, "MAX_BATCH_PAGES", 2)
    too_long = office.post(f"/polls/{setup.poll.id}/scan/batches",
                           data={"file": (io.BytesIO(pdf.getvalue()), "may-quet.pdf")},
                           content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "Tệp quét có 3 trang, tối đa 2" in too_long

    # A multi-page TIFF from a feeder, grey.
    tiff = io.BytesIO()
    grey = [Image.fromarray(cv2.cvtColor(ballots.image(i, "box_x", seed=i)[0], cv2.COLOR_BGR2GRAY)) for i in (3, 4)]
    grey[0].save(tiff, format="TIFF", save_all=True, append_images=grey[1:], compression="tiff_deflate")
    office.post(f"/polls/{setup.poll.id}/scan/batches", data={"file": (io.BytesIO(tiff.getvalue()), "may-quet.tif")},
                content_type="multipart/form-data")
    upload = db.session.scalars(db.select(ScanUpload).order_by(ScanUpload.id.desc())).first()
    assert upload.kind == "tiff" and upload.pages == 2
    url = f"/polls/{setup.poll.id}/scan/batches/{upload.id}/next"
    office.post(url)
    assert office.post(url).get_json() | {"summary_url": ""} == {"done": True, "page": 2, "total": 2, "counted": 2,
                                                                 "waiting": 0, "refused": 0, "summary_url": ""}
    assert scans() == 4


def test_images_are_purged_once_the_recognition_s_appeal_period_ends(app, election, runner):
    setup = election(households=6, present=5)
    ballots = Ballots(setup)
    client = client_for(app, setup.team_a)
    data, _truth = ballots.photo(1, "tick")
    assert send_photo(client, setup.poll, data).get_json()["status"] == "waiting"
    read = db.session.scalar(db.select(MarkRead))
    result = runner.invoke(args=["ballots", "purge-images"])
    assert "Đã xóa 0 ảnh" in result.output and storage.read(storage.BALLOT_IMAGE, read.image_key) is not None
    db.session.add(Recognition(poll_id=setup.poll.id, decision_no="12/QĐ-UBND",
                               decided_on=(utcnow() - timedelta(days=40)).date(), signer_name="Trần Văn Bình",
                               person_id=setup.candidates[0].person_id))
    db.session.commit()
    result = runner.invoke(args=["ballots", "purge-images"])
    assert "Đã xóa 1 ảnh" in result.output, result.output
    assert storage.read(storage.BALLOT_IMAGE, read.image_key) is None
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.summary.contains("hết thời hạn lưu giữ")))
    assert db.session.get(BallotBatch, 1) is not None


def test_a_page_read_twice_at_once_waits_once_and_both_reads_say_it_waits(app, election):
    """A scanner batch open on two devices: both requests read the same page; the one that queues its unclear ballot
    second (its checks passed before the first had queued it) says «waiting», as a resend does — not «refused»."""
    setup = election(households=6, present=5)
    ballots = Ballots(setup)
    colour, truth = ballots.image(2, "tick")
    assert truth.verdict is None
    page = cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)  # as load_pages hands pages to the reader
    poll = scan_poll(setup.poll.id)
    sha = reading.pixels_sha256(page)
    second = reading.read_page(page, geometry_for(poll))  # the second request's read, checked before the first queued
    first = reading.take_page(poll, setup.team_a, page, sha)
    assert [(o.status, o.replayed) for o in first] == [("waiting", False)]
    again = reading._take_ballot(poll, setup.team_b, second.ballots[0], sha)
    assert (again.status, again.replayed, again.read_id) == ("waiting", True, first[0].read_id)
    # Another image of the same waiting ballot is refused, as before.
    other = reading._take_ballot(poll, setup.team_b, second.ballots[0], "0" * 64)
    assert (other.status, other.code) == ("refused", "waiting")
    assert db.session.scalar(db.select(db.func.count(MarkRead.id))) == 1 and scans() == 0
    release_request_connection()
