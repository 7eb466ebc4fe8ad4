"""Minutes PDF with a verification QR, the public verification page, signed minutes, recognition (R-V9)."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

import pypdfium2 as pdfium
from factories_counting import client_for, enter_twice, figures

from core.enums import Post
from core.models import Position
from election.models import MinutesUpload, PollStatus
from election.recognition import poll_recognition, recognition_due
from extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


def pdf_text(data: bytes) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))


def submitted(election, votes=(160, 50), **kwargs):
    setup = election(households=310, present=216, **kwargs)
    enter_twice(setup, figures(setup, 216, 214, 210, 4, *votes), acknowledged=True)
    return setup


def test_minutes_pdf_shows_board_witnesses_figures_and_three_percentages(app, election):
    setup = submitted(election, votes=(150, 60))  # api.md's example: 48.39% of households, nobody elected
    response = client_for(app, setup.team_a).get(f"/polls/{setup.poll.id}/minutes.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(pdf_text(response.data).split())
    for expected in ["BIÊN BẢN KIỂM PHIẾU", "Trần Văn Bình", "Lê Thị Hồng Nhung", "Võ Thị Mỹ Lệ", "Huỳnh Văn Ước",
                     "Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước", "Tổng số hộ gia đình của thôn 310",
                     "48,39%", "69,44%", "71,43%", "không ai trúng cử", "bầu lại", "TRƯỞNG BAN KIỂM PHIẾU"]:
        assert expected in text, expected


def test_verification_page_is_public_and_shows_server_figures(app, election):
    from election.service import verification_token

    setup = submitted(election)
    token = verification_token(setup.poll)
    page = app.test_client().get(f"/minutes/verify/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nguyễn Thị Ánh Tuyết" in html and "310" in html and "214" in html
    assert app.test_client().get(f"/minutes/verify/{token}x").status_code == 404


def test_upload_validate_and_recognise_puts_the_winner_in_office(app, election, make_person):
    setup = submitted(election)
    old_chief = make_person("Bùi Văn Cũ", setup.hamlet)
    db.session.add(Position(hamlet_id=setup.hamlet.id, person=old_chief, post=Post.HAMLET_CHIEF,
                            started_on=date(2019, 11, 1)))
    db.session.commit()
    team = client_for(app, setup.team_a)
    response = team.post(f"/polls/{setup.poll.id}/minutes/upload",
                         data={"file": (io.BytesIO(b"not an image"), "x.txt")}, content_type="multipart/form-data",
                         follow_redirects=True)
    assert "JPG, PNG" in response.get_data(as_text=True)
    response = team.post(f"/polls/{setup.poll.id}/minutes/upload",
                         data={"file": (io.BytesIO(PNG), "bien-ban.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    upload = db.session.scalar(db.select(MinutesUpload))
    assert upload.content_type == "image/png" and upload.size == len(PNG)
    committee = client_for(app, setup.committee)
    side_by_side = committee.get(f"/polls/{setup.poll.id}/minutes/validate").get_data(as_text=True)
    assert "minutes/file" in side_by_side and "210" in side_by_side
    assert committee.get(f"/polls/{setup.poll.id}/minutes/file").data == PNG
    committee.post(f"/polls/{setup.poll.id}/minutes/validate", data={"version": setup.poll.version})
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.VALIDATED
    # winner not in office before recognition
    assert db.session.scalar(db.select(Position).where(Position.person_id == setup.candidates[0].person_id)) is None
    response = committee.post(f"/polls/{setup.poll.id}/recognise", data={
        "version": setup.poll.version, "decision_no": "45/QĐ-UBND", "decided_on": "2022-05-25",
        "signer_name": "Phạm Văn Chủ"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.RECOGNISED
    chief = db.session.scalar(db.select(Position).where(Position.person_id == setup.candidates[0].person_id))
    assert chief.post == Post.HAMLET_CHIEF and chief.started_on == date(2022, 5, 25) and not chief.acting
    old = db.session.scalar(db.select(Position).where(Position.person_id == old_chief.id))
    assert old.ended_on == date(2022, 5, 24)
    assert poll_recognition(setup.poll).decision_no == "45/QĐ-UBND"
    pdf = committee.get(f"/polls/{setup.poll.id}/recognition.pdf")
    text = " ".join(pdf_text(pdf.data).split())
    assert "QUYẾT ĐỊNH" in text and "Nguyễn Thị Ánh Tuyết" in text and "Số: 45/QĐ-UBND" in text


def test_recognition_deadline_is_five_working_days_and_overdue_is_highlighted(app, election):
    setup = submitted(election)
    setup.poll.submitted_at = datetime(2022, 5, 22, 10, 0)  # 17:00 on Sunday in Vietnam (stored as UTC)
    db.session.commit()
    assert recognition_due(setup.poll) == date(2022, 5, 27)
    page = client_for(app, setup.committee).get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert "đã quá hạn" in page


def test_recognition_needs_validated_minutes(app, election):
    setup = submitted(election)
    response = client_for(app, setup.committee).post(f"/polls/{setup.poll.id}/recognise", data={
        "version": setup.poll.version, "decision_no": "1", "decided_on": "2022-05-25", "signer_name": "A"},
        follow_redirects=True)
    assert re.search("Không thể công nhận", response.get_data(as_text=True))
    assert poll_recognition(setup.poll) is None


def test_polling_team_cannot_recognise(app, election):
    setup = submitted(election)
    assert client_for(app, setup.team_a).get(f"/polls/{setup.poll.id}/recognise").status_code == 403


def test_outcome_api_reports_three_percentages(app, election):
    from core.accounts import ApiToken

    setup = submitted(election, votes=(150, 60))
    record, token = ApiToken.issue(setup.team_a, "thử")
    db.session.add(record)
    db.session.commit()
    body = app.test_client().get(f"/api/v1/polls/{setup.poll.id}/outcome",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    first = body["result"]["candidates"][0]
    assert (first["of_total_households"], first["of_present"], first["of_valid_ballots"]) == (0.4839, 0.6944, 0.7143)
    assert body["result"]["outcome"] == "no_winner" and body["result"]["next_step"] == "revote"


def test_recognition_deadline_counts_from_the_day_in_vietnam(app, election):
    # Stored moments are UTC: minutes submitted at 23:30 UTC on Sunday arrive at 06:30 on Monday in Vietnam,
    # and R-V9's five working days count from Monday, not Sunday.
    setup = submitted(election)
    setup.poll.submitted_at = datetime(2022, 5, 22, 23, 30)
    db.session.commit()
    assert recognition_due(setup.poll) == date(2022, 5, 30)
    setup.poll.submitted_at = datetime(2022, 5, 22, 16, 59)  # 23:59 on Sunday in Vietnam
    db.session.commit()
    assert recognition_due(setup.poll) == date(2022, 5, 27)


def test_statuses_outcomes_and_modes_read_in_english_on_pages_but_the_pdf_stays_vietnamese(app, election):
    setup = submitted(election, votes=(150, 60))  # nobody elected: a re-vote is the next step
    client = client_for(app, setup.team_a)
    client.get("/lang/en")
    page = client.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    for english in ("Result submitted", "Voters&#39; meeting", "Secret ballot", "Aggregate figures", "Nobody elected",
                    "Re-vote (R-V8)"):
        assert english in page, english
    assert "Đã gửi kết quả" not in page and "Không ai trúng cử" not in page
    board = client.get("/board.json").get_json()
    row = next(r for r in board["rows"] if r["poll_id"] == setup.poll.id)
    assert (row["status_label"], row["mode_label"], row["outcome_label"]) == (
        "Result submitted", "Voters' meeting", "Nobody elected")
    assert "Not started" in {s["label"] for s in board["summary"]["by_status"]}
    text = " ".join(pdf_text(client.get(f"/polls/{setup.poll.id}/minutes.pdf").data).split())
    assert "không ai trúng cử" in text  # an official document: Vietnamese whatever the page's language
