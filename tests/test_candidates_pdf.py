"""The candidates PDFs: posting list (R-V2), exception request (party), decision; text extracted with pdfium."""
from __future__ import annotations

import re
from datetime import date, datetime

import pypdfium2 as pdfium
import pytest

from candidates.models import ExceptionRequest
from candidates.pdf import candidate_list_pdf, exception_decision_pdf, exception_request_pdf
from core.accounts import Role
from demo.document_check import check_document
from extensions import db


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pdfium.PdfDocument(data))


RULE_ID = re.compile(r"R-[A-Z]{1,2}\d")  # the app's internal rule ids: never in a document (issue 17)


def test_candidate_list_for_posting_names_the_candidates_and_the_posting_deadline(world, draft_list, make_user):
    world.commune.chairman_name = "Huỳnh Thị Thủy"
    candidate_list = draft_list(world.eligible, world.needs_exception)
    text = _text(candidate_list_pdf(candidate_list, today=date(2022, 5, 10)))
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "UBND XÃ BÌNH HẢI", "DANH SÁCH NGƯỜI ỨNG CỬ TRƯỞNG THÔN",
                     "Thôn An Phú", "Nguyễn Văn Ánh", "Trần Thị Ước", "Huỳnh Thị Thủy", "22/05/2022",
                     "chậm nhất ngày 15/05/2022", "ít nhất 07 ngày trước ngày bầu cử", "BẢN DỰ THẢO"):
        assert expected in text, expected
    assert not RULE_ID.search(text), RULE_ID.findall(text)


def test_confirmed_list_is_not_marked_as_a_draft(world, draft_list, make_user):
    candidate_list = draft_list(world.eligible)
    candidate_list.confirm(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune).id)
    db.session.commit()
    text = _text(candidate_list_pdf(candidate_list))
    assert "BẢN DỰ THẢO" not in text and "Nguyễn Văn Ánh" in text and "được xác nhận ngày" in text


def test_the_official_list_is_dated_the_day_it_was_confirmed_in_vietnam(world, draft_list, make_user):
    candidate_list = draft_list(world.eligible)
    candidate_list.confirm(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune).id)
    candidate_list.confirmed_at = datetime(2022, 5, 9, 23, 30)  # 06:30 on 10/05 in Vietnam (UTC+7)
    db.session.commit()
    text = _text(candidate_list_pdf(candidate_list))
    assert "được xác nhận ngày 10/05/2022" in text and "ngày 10 tháng 5 năm 2022" in text  # dated when confirmed


def test_the_decision_names_the_day_the_request_was_filed_in_vietnam(approved_exception):
    request = approved_exception()
    request.filed_at = datetime(2022, 4, 28, 20, 0)  # 03:00 on 29/04 in Vietnam
    db.session.commit()
    text = _text(exception_decision_pdf(request))
    assert f"Xét Tờ trình số {request.id:02d}-TTr/ĐU ngày 29/04/2022 của Đảng ủy xã Bình Hải" in text


def test_exception_request_is_a_party_document_with_the_reason(world, approved_exception):
    request = approved_exception()
    text = _text(exception_request_pdf(request))
    for expected in ("ĐẢNG CỘNG SẢN VIỆT NAM", "ĐẢNG ỦY XÃ BÌNH HẢI", "TỜ TRÌNH", "Trần Thị Ước",
                     "Kính gửi: Ban Thường vụ Huyện ủy Bình Sơn", "– Trình độ học vấn: THCS (lớp 9/12), chưa đạt THPT (lớp 12/12) trở lên ở xã đồng bằng.",
                     "– Lý luận chính trị: Chưa qua đào tạo, chưa đạt sơ cấp trở lên.",
                     "Thôn An Phú không có đảng viên nào đạt THPT", "T/M ĐẢNG ỦY"):
        assert expected in text, expected
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA" not in text
    assert not RULE_ID.search(text), RULE_ID.findall(text)


def test_the_decision_cites_its_bases_and_names_its_recipients(approved_exception):
    text = _text(exception_decision_pdf(approved_exception()))
    assert text.index("BAN THƯỜNG VỤ HUYỆN ỦY BÌNH SƠN") < text.index("Căn cứ Điều lệ Đảng Cộng sản Việt Nam;")
    assert "Căn cứ Thông tư số 04/2012/TT-BNV" in text and "Căn cứ Kế hoạch số 59-KH/HU" in text
    assert text.index("Căn cứ") < text.index("QUYẾT ĐỊNH:") < text.index("Điều 1.") < text.index("Điều 3.")
    assert "Nơi nhận:" in text and "- Như Điều 3;" in text and "- Lưu: VT." in text
    assert "T/M BAN THƯỜNG VỤ" in text


def test_exception_decision_lists_the_remediation_plans(world, approved_exception):
    request = approved_exception()
    text = _text(exception_decision_pdf(request))
    for expected in ("BAN THƯỜNG VỤ HUYỆN ỦY BÌNH SƠN", "Số: 15-QĐ/HU", "QUYẾT ĐỊNH", "Về việc chấp thuận",
                     "Trần Thị Ước", "Học bổ túc THPT", "31/12/2024", "Lớp sơ cấp LLCT", "Nguyễn Văn Bình",
                     "Điều 1. Chấp thuận ngoại lệ tiêu chuẩn trình độ học vấn phổ thông (yêu cầu THPT (lớp 12/12) "
                     "trở lên ở xã đồng bằng) và tiêu chuẩn trình độ lý luận chính trị (yêu cầu sơ cấp trở lên) đối "
                     "với đồng chí Trần Thị Ước", "Trình độ học vấn phổ thông", "Trình độ lý luận chính trị",
                     "người ứng cử tại thôn An Phú", "Điều 3. Đảng ủy xã Bình Hải"):
        assert expected in text, expected
    assert not RULE_ID.search(text), RULE_ID.findall(text)


def test_pending_request_has_no_decision_document(world, draft_list, make_user):
    candidate_list = draft_list(world.needs_exception)
    filer = make_user(Role.PARTY_COMMITTEE, commune=world.commune)
    request = ExceptionRequest.file(candidate_list.candidacies[0], "Không có người đạt chuẩn trong thôn.", filer.id)
    db.session.add(request)
    db.session.commit()
    with pytest.raises(ValueError):
        exception_decision_pdf(request)


def test_pdf_routes_download_for_readers(world, approved_exception, make_user, login, client):
    request = approved_exception()
    list_id = request.candidacy.list_id
    login(make_user(Role.OBSERVER, district=world.district))
    for url in (f"/candidates/lists/{list_id}/list.pdf", f"/candidates/exceptions/{request.id}/request.pdf",
                f"/candidates/exceptions/{request.id}/decision.pdf"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf", url
        assert "Trần Thị Ước" in _text(response.data)


def test_pages_name_the_excepted_standards_in_words_with_the_rule_id_as_a_detail(world, approved_exception, make_user,
                                                                                 login, client):
    request = approved_exception()
    login(make_user(Role.OBSERVER, district=world.district))
    for url in (f"/candidates/exceptions/{request.id}", "/candidates/exceptions", "/candidates/remediation"):
        page = client.get(url).get_data(as_text=True)
        assert "Trình độ học vấn phổ thông" in page and "rình độ lý luận chính trị" in page, url
        assert 'title="R-E4' in page, url  # the id stays, as a detail


def test_the_targets_report_names_an_overdue_remediation_by_its_standard_in_words(world, approved_exception,
                                                                                  make_user, login, client):
    approved_exception()  # plans: THPT by 31/12/2024, political theory (sơ cấp) by 30/06/2023
    login(make_user(Role.DISTRICT_OFFICE, district=world.district))
    text = _text(client.get("/chapters/dashboard/report.pdf?period=year&year=2023").data)
    assert "Trần Thị Ước Thôn An Phú Trình độ lý luận chính trị 30/06/2023" in text
    assert not RULE_ID.search(text), RULE_ID.findall(text)


def test_a_refusal_passes_the_document_check_and_says_what_follows(world, draft_list, make_user):
    candidate_list = draft_list(world.needs_exception)
    request = ExceptionRequest.file(candidate_list.candidacies[0], "Thôn An Phú không có đảng viên nào đạt THPT.",
                                    make_user(Role.PARTY_COMMITTEE, commune=world.commune).id)
    request.filed_at = datetime(2022, 4, 28, 3, 0)
    db.session.add(request)
    request.reject(user_id=make_user(Role.APPROVING_AUTHORITY, district=world.district).id, number="16-QĐ/HU",
                   on=date(2022, 5, 1), signer="Nguyễn Văn Bình", notes="Thôn còn đảng viên đạt chuẩn chưa được giới thiệu.")
    db.session.commit()
    pdf = exception_decision_pdf(request)
    assert check_document("exception-decision-rejected", pdf) == []
    text = _text(pdf)
    assert "Điều 1. Không chấp thuận ngoại lệ" in text and "Lý do: Thôn còn đảng viên đạt chuẩn" in text
    assert "Điều 2." in text and "giới thiệu người ứng cử khác đạt tiêu chuẩn" in text and "Nơi nhận:" in text
