"""Ballot printing: households + spare, every QR scans and verifies, names with diacritics, the list locks."""
from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from factories_ballots import client_for, csv_bytes, import_through_pages, roll_rows

from ballots.models import Ballot, BallotBatch
from ballots.printing import poll_election_hash
from ballots.verification import verify_ballot
from candidates.models import CandidateList
from core.accounts import Role
from core.errors import RuleViolation
from extensions import db


def _scan(pdf_bytes: bytes) -> list[str]:
    texts = []
    for page in pdfium.PdfDocument(pdf_bytes):
        image = page.render(scale=200 / 72).to_pil()
        texts += [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    return texts


def _text(pdf_bytes: bytes) -> str:
    return "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf_bytes))


def _prepared(ready, app, households: int = 20, **kwargs):
    setup = ready(**kwargs)
    committee = client_for(app, setup.committee)
    import_through_pages(committee, setup.hamlet, csv_bytes(roll_rows(households)))
    return setup, committee


@pytest.mark.parametrize("layout", ["A5", "A4x4"])
def test_printed_ballots_scan_verify_and_lock_the_list(layout, ready, app):
    setup, committee = _prepared(ready, app, households=20)
    response = committee.post(f"/ballots/hamlets/{setup.hamlet.id}/print", data={"layout": layout, "kind": "real"})
    assert response.status_code == 302
    batch = db.session.scalar(db.select(BallotBatch))
    assert batch.count == 22 and batch.spare == 2 and not batch.test  # 20 households + spare (≥ 2)
    assert db.session.scalar(db.select(db.func.count(Ballot.id))) == 22
    pdf = committee.get(f"/ballots/batches/{batch.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    scanned = _scan(pdf.data)
    assert len(scanned) == 22
    serials = set(db.session.scalars(db.select(Ballot.serial)))
    for text in scanned:
        result = verify_ballot(text)
        assert result.ok and result.code == "genuine", result
        assert result.poll.hamlet_id == setup.hamlet.id
        assert result.ballot.batch.election_hash == poll_election_hash(result.poll)
        assert result.ballot.serial in serials
    text = _text(pdf.data)
    assert "Nguyễn Thị Ánh Tuyết" in text and "Đặng Văn Ước" in text
    candidate_list = db.session.scalar(db.select(CandidateList))
    assert candidate_list.ballots_printed
    with pytest.raises(RuleViolation):
        candidate_list.reopen("Sai tên người ứng cử")


def test_printing_again_needs_an_explicit_supplement(ready, app):
    setup, committee = _prepared(ready, app, households=10)
    url = f"/ballots/hamlets/{setup.hamlet.id}/print"
    committee.post(url, data={"layout": "A6", "kind": "real"})
    again = committee.post(url, data={"layout": "A6", "kind": "real"}, follow_redirects=True)
    assert "In bổ sung" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(BallotBatch.id))) == 1
    committee.post(url, data={"layout": "A6", "kind": "supplementary", "count": 3})
    batches = list(db.session.scalars(db.select(BallotBatch).order_by(BallotBatch.id)))
    assert [b.count for b in batches] == [12, 3] and batches[1].supplementary
    assert db.session.scalar(db.select(db.func.count(Ballot.id))) == 15
    assert len(set(db.session.scalars(db.select(Ballot.serial)))) == 15


def test_test_ballots_any_time_never_lock_and_verify_as_test(ready, app):
    setup, committee = _prepared(ready, app, households=5, confirm=False)
    from candidates.models import ProposedBy

    draft = CandidateList(term=setup.term, hamlet=setup.hamlet, round_no=1)
    db.session.add(draft)
    draft.add(setup.people[0], ProposedBy.FRONT_COMMITTEE)
    db.session.commit()
    url = f"/ballots/hamlets/{setup.hamlet.id}/print"
    refused = committee.post(url, data={"layout": "A5", "kind": "real"}, follow_redirects=True)
    assert "chưa được xác nhận" in refused.get_data(as_text=True)
    committee.post(url, data={"layout": "A5", "kind": "test", "count": 2})
    batch = db.session.scalar(db.select(BallotBatch))
    assert batch.test and batch.count == 2
    assert not db.session.scalar(db.select(CandidateList)).ballots_printed
    pdf = committee.get(f"/ballots/batches/{batch.id}.pdf").data
    results = [verify_ballot(t) for t in _scan(pdf)]
    assert [(r.ok, r.code, r.test) for r in results] == [(False, "test_ballot", True)] * 2
    assert "PHIẾU THỬ" in _text(pdf)


def test_pdf_is_drawn_at_each_download_in_a_fresh_order_and_kept_nowhere(ready, app):
    """Secret ballot against order: the same ballots at every download, never in the same order, and no file kept
    (ballots/printing.py)."""
    setup, committee = _prepared(ready, app, households=38)
    committee.post(f"/ballots/hamlets/{setup.hamlet.id}/print", data={"layout": "A4x4", "kind": "real"})
    batch = db.session.scalar(db.select(BallotBatch))
    assert batch.count == 40 and batch.printed_pages == batch.total_pages == 10
    first, second = (committee.get(f"/ballots/batches/{batch.id}.pdf") for _ in range(2))
    assert first.headers["Cache-Control"] == "no-store"
    assert len(pdfium.PdfDocument(first.data)) == batch.total_pages
    orders = [_scan(response.data) for response in (first, second)]
    assert sorted(orders[0]) == sorted(orders[1]) and len(set(orders[0])) == 40
    assert orders[0] != orders[1]  # one chance in 40! of a false failure
    kept = Path(app.instance_path) / "ballots"
    assert not kept.exists() or not any(kept.iterdir())
    progress = committee.get(f"/ballots/batches/{batch.id}/progress").get_json()
    assert progress["done"] and progress["printed_pages"] == 10


def test_no_roll_no_print(ready, app):
    setup = ready()
    committee = client_for(app, setup.committee)
    page = committee.post(f"/ballots/hamlets/{setup.hamlet.id}/print", data={"layout": "A5", "kind": "real"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Chưa có danh sách cử tri" in page
    assert db.session.scalar(db.select(db.func.count(BallotBatch.id))) == 0


def test_other_commune_gets_404_and_polling_team_cannot_print(ready, app, make_commune, make_user):
    setup, committee = _prepared(ready, app, households=3)
    committee.post(f"/ballots/hamlets/{setup.hamlet.id}/print", data={"layout": "A5", "kind": "real"})
    batch = db.session.scalar(db.select(BallotBatch))
    outsider = client_for(app, make_user(Role.COMMUNE_COMMITTEE, commune=make_commune(
        "Bình Trị", district=setup.commune.district)))
    assert outsider.get(f"/ballots/hamlets/{setup.hamlet.id}/print").status_code == 404
    assert outsider.get(f"/ballots/batches/{batch.id}.pdf").status_code == 404
    assert outsider.get(f"/ballots/hamlets/{setup.hamlet.id}/accounting").status_code == 404
    team = client_for(app, setup.team)
    assert team.get(f"/ballots/hamlets/{setup.hamlet.id}/print").status_code == 403
    assert team.get("/ballots/").status_code == 200


def test_cli_prints_a_whole_commune_once(ready, app, runner):
    setup, _committee = _prepared(ready, app, households=6)
    result = runner.invoke(args=["ballots", "print", "--commune", setup.commune.code, "--layout", "A4x2"])
    assert result.exit_code == 0, result.output
    assert "Đã in phiếu cho 1 thôn" in result.output
    again = runner.invoke(args=["ballots", "print", "--commune", setup.commune.code])
    assert "Đã in phiếu cho 0 thôn" in again.output
    assert db.session.scalar(db.select(db.func.count(Ballot.id))) == 8
