"""Minutes PDF with a verification QR, the public verification page, signed minutes, recognition (R-V9)."""
from __future__ import annotations

import base64
import io
import re
import zlib
from datetime import date, datetime

import pypdfium2 as pdfium
import pytest
from factories_counting import client_for, enter_twice, figures
from PIL import Image

from core.enums import Post
from core.models import Position
from election.models import MinutesUpload, PollStatus
from election.recognition import minutes_original, poll_recognition, recognition_due
from extensions import db


def png_bytes(size=(60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    return buffer.getvalue()


PNG = png_bytes()


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
    served = committee.get(f"/polls/{setup.poll.id}/minutes/file")
    assert served.mimetype == "image/png" and Image.open(io.BytesIO(served.data)).size == (60, 40)
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


def upload(app, setup, data: bytes, name: str):
    return client_for(app, setup.team_a).post(f"/polls/{setup.poll.id}/minutes/upload",
                                              data={"file": (io.BytesIO(data), name)},
                                              content_type="multipart/form-data", follow_redirects=True)


def test_a_png_with_html_appended_is_kept_as_sent_but_served_as_a_clean_png(app, election):
    setup = submitted(election)
    polyglot = PNG + b"<html><body><script>alert(document.cookie)</script></body></html>"
    assert upload(app, setup, polyglot, "bien-ban.png").status_code == 200
    record = db.session.scalar(db.select(MinutesUpload))
    assert record.size == len(polyglot)  # the original, for the record (its SHA-256 on the row)
    assert minutes_original(record) == polyglot
    served = client_for(app, setup.committee).get(f"/polls/{setup.poll.id}/minutes/file")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert b"<html" not in served.data and b"script" not in served.data
    image = Image.open(io.BytesIO(served.data))
    image.load()
    assert image.size == (60, 40) and served.data.endswith(b"IEND\xaeB`\x82")  # nothing after the last chunk
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "no-store"


def test_a_file_that_only_starts_like_a_png_is_refused(app, election):
    setup = submitted(election)
    page = upload(app, setup, b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "x.png")
    assert "Không đọc được ảnh biên bản" in page.get_data(as_text=True)
    assert db.session.scalar(db.select(MinutesUpload)) is None


PLAIN_PDF = (b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
             b"2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")


@pytest.mark.parametrize("active", [
    b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
    b"/AA << /O << /S /Launch /F (cmd.exe) >> >>",
    b"/Names << /EmbeddedFiles 3 0 R >>",
    b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>",  # names spelled with #xx escapes
])
def test_a_pdf_with_active_content_is_refused_in_vietnamese(app, election, active):
    setup = submitted(election)
    pdf = PLAIN_PDF.replace(b"/Pages 2 0 R", b"/Pages 2 0 R " + active)
    page = upload(app, setup, pdf, "bien-ban.pdf").get_data(as_text=True)
    assert "Tệp PDF có nội dung tự chạy" in page
    assert db.session.scalar(db.select(MinutesUpload)) is None


def test_a_pdf_with_javascript_hidden_in_a_compressed_object_stream_is_refused(app, election):
    setup = submitted(election)
    hidden = zlib.compress(b"3 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj")
    pdf = PLAIN_PDF.replace(b"trailer", b"4 0 obj <</Type/ObjStm/Filter/FlateDecode/Length %d>>\nstream\n"
                            % len(hidden) + hidden + b"\nendstream endobj\ntrailer")
    assert "Tệp PDF có nội dung tự chạy" in upload(app, setup, pdf, "bien-ban.pdf").get_data(as_text=True)


def test_javascript_in_an_uncompressed_object_stream_is_refused(app, election):
    setup = submitted(election)
    plain = b"3 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj"
    pdf = PLAIN_PDF.replace(b"trailer", b"4 0 obj <</Type/ObjStm/Length %d>>\nstream\n" % len(plain) + plain
                            + b"\nendstream endobj\ntrailer")
    assert "Tệp PDF có nội dung tự chạy" in upload(app, setup, pdf, "bien-ban.pdf").get_data(as_text=True)


def test_image_bytes_that_happen_to_spell_a_name_are_not_active_content(app, election):
    """A scan's JPEG bytes are random: "/JS" followed by a delimiter turns up in one PDF of a few hundred (the
    rehearsal's minutes once did); only PDF syntax, inflated streams and plain-text streams are read for names."""
    setup = submitted(election)
    jpeg = bytes(range(128, 256)) * 4 + b"\xff/JS \x00\x91/OpenAction\x07" + bytes(range(200, 256)) * 8
    pdf = PLAIN_PDF.replace(b"trailer", b"4 0 obj <</Type/XObject/Subtype/Image/Filter/DCTDecode/Length %d>>\n"
                            b"stream\n" % len(jpeg) + jpeg + b"\nendstream endobj\ntrailer")
    response = upload(app, setup, pdf, "bien-ban.pdf")
    assert "Tệp PDF có nội dung tự chạy" not in response.get_data(as_text=True)
    assert db.session.scalar(db.select(MinutesUpload)).content_type == "application/pdf"


def _a85_flate_stream(content: bytes) -> bytes:
    """A stream as ReportLab writes it: /Filter [/ASCII85Decode /FlateDecode]."""
    body = base64.a85encode(zlib.compress(content), wrapcol=72) + b"~>"
    return (b"4 0 obj <</Filter [/ASCII85Decode /FlateDecode] /Length %d>>\nstream\n" % len(body) + body
            + b"\nendstream endobj\n")


def test_javascript_in_an_ascii85_flate_object_stream_is_refused(app, election):
    setup = submitted(election)
    pdf = PLAIN_PDF.replace(b"trailer", _a85_flate_stream(b"3 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj")
                            + b"trailer")
    assert "Tệp PDF có nội dung tự chạy" in upload(app, setup, pdf, "bien-ban.pdf").get_data(as_text=True)


def test_text_that_spells_a_name_inside_a_string_is_not_active_content(app, election):
    """A page's text is glyph codes in string literals: "(…/JS …) Tj" is not an action. The encoded bytes of an
    ASCII85 stream are not PDF syntax either (the minutes PDF of one key held "/JS" there by chance)."""
    setup = submitted(election)
    content = b"BT /F1 12 Tf (Trang /JS \\) 1 /OpenAction \\() Tj (a(b/JS)c) Tj ET"
    pdf = PLAIN_PDF.replace(b"trailer", _a85_flate_stream(content) + b"trailer")
    assert "Tệp PDF có nội dung tự chạy" not in upload(app, setup, pdf, "bien-ban.pdf").get_data(as_text=True)
    assert db.session.scalar(db.select(MinutesUpload)) is not None


def test_a_plain_pdf_is_served_as_a_sandboxed_attachment(app, election):
    setup = submitted(election)
    upload(app, setup, PLAIN_PDF, "bien-ban.pdf")
    assert db.session.scalar(db.select(MinutesUpload)).content_type == "application/pdf"
    committee = client_for(app, setup.committee)
    served = committee.get(f"/polls/{setup.poll.id}/minutes/file")
    assert served.status_code == 200 and served.data == PLAIN_PDF and served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["Content-Security-Policy"].startswith("sandbox")
    assert served.headers["X-Content-Type-Options"] == "nosniff" and served.headers["Cache-Control"] == "no-store"
    page = committee.get(f"/polls/{setup.poll.id}/minutes/validate").get_data(as_text=True)
    assert "<iframe" not in page and "minutes/file" in page


RULE_ID = re.compile(r"R-[A-Z]{1,2}\d")


def test_minutes_and_recognition_read_as_people_write_numbers_and_keep_the_hamlets_name(app, election):
    # issue 17: counts with the thousands dot, shares with the decimal comma, the hamlet's proper name in capitals
    # ("thôn An Phú", never "thôn an phú"), no internal rule id in either document.
    setup = election(households=1250, present=700)
    enter_twice(setup, figures(setup, 700, 700, 690, 10, 660, 30), acknowledged=True)
    team = client_for(app, setup.team_a)
    minutes = " ".join(pdf_text(team.get(f"/polls/{setup.poll.id}/minutes.pdf").data).split())
    for expected in ("Tổng số hộ gia đình của thôn 1.250", "Tổng số hộ gia đình (1.250)", "Bầu trưởng thôn An Phú",
                     "tại thôn An Phú, xã Bình Hải", "52,80%", "trúng cử trưởng thôn An Phú"):
        assert expected in minutes, expected
    assert "an phú" not in minutes and "AN PHÚ" in minutes  # the heading in capitals, the text in its own case
    assert not RULE_ID.search(minutes), RULE_ID.findall(minutes)
    team.post(f"/polls/{setup.poll.id}/minutes/upload", data={"file": (io.BytesIO(PNG), "bien-ban.png")},
              content_type="multipart/form-data")
    committee = client_for(app, setup.committee)
    committee.post(f"/polls/{setup.poll.id}/minutes/validate", data={"version": setup.poll.version})
    db.session.refresh(setup.poll)
    response = committee.post(f"/polls/{setup.poll.id}/recognise", data={
        "version": setup.poll.version, "decision_no": "46/QĐ-UBND", "decided_on": "2022-05-25",
        "signer_name": "Phạm Văn Chủ"})
    assert response.status_code == 302, response.get_data(as_text=True)
    decision = " ".join(pdf_text(committee.get(f"/polls/{setup.poll.id}/recognition.pdf").data).split())
    for expected in ("kết quả bầu trưởng thôn An Phú", "trúng cử trưởng thôn An Phú, xã Bình Hải",
                     "với 660/1.250 phiếu, đạt 52,80% tổng số hộ gia đình", "Ban công tác Mặt trận thôn An Phú"):
        assert expected in decision, expected
    assert "an phú" not in decision and not RULE_ID.search(decision)
