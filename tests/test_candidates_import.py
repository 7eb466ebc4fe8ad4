"""Excel import of candidate lists: row errors in Vietnamese, all or nothing."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from candidates.imports import TEMPLATE_HEADERS
from candidates.models import Candidacy, CandidateList, ProposedBy
from core.accounts import Role
from extensions import db


def _xlsx(rows: list[list], headers=TEMPLATE_HEADERS, title: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, data: bytes):
    return client.post("/candidates/import", data={"file": (io.BytesIO(data), "danh-sach.xlsx")},
                       content_type="multipart/form-data", follow_redirects=True)


def _count() -> int:
    return db.session.scalar(db.select(db.func.count(Candidacy.id)))


@pytest.fixture
def committee(world, make_user, login):
    return login(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))


def test_good_file_adds_every_candidate(world, committee, client):
    data = _xlsx([
        [world.hamlet.code, "Nguyễn Văn Ánh", world.eligible.citizen_id, "02/04/1975", "Ban công tác Mặt trận"],
        ["thon an phu", "Tran Thi Uoc", float(world.needs_exception.citizen_id), date(1980, 8, 9),
         "Đề cử tại hội nghị"],
    ], title="DANH SÁCH NGƯỜI ỨNG CỬ XÃ BÌNH HẢI")
    response = _upload(client, data)
    assert "Đã nhập 2 người ứng cử" in response.get_data(as_text=True)
    candidate_list = CandidateList.for_hamlet(world.term, world.hamlet)
    assert [(c.person.full_name, c.proposed_by) for c in candidate_list.candidacies] == [
        ("Nguyễn Văn Ánh", ProposedBy.FRONT_COMMITTEE), ("Trần Thị Ước", ProposedBy.FLOOR)]


def test_bad_file_changes_nothing_and_lists_row_errors(world, make_person, make_hamlet, committee, client):
    mover = make_person("Đoàn Văn Tâm", hamlet=make_hamlet("Đông Yên", commune=world.commune))
    data = _xlsx([
        [world.hamlet.code, "Nguyễn Văn Ánh", world.eligible.citizen_id, "", ""],  # fine on its own
        ["Thôn Không Có", "Ai Đó", world.needs_exception.citizen_id, "", ""],
        [world.hamlet.code, "Người Lạ", "051099000001", "", ""],
        [world.hamlet.code, "Đoàn Văn Tâm", mover.citizen_id, "", ""],
        [world.hamlet.code, "Nguyễn Văn Ánh", world.eligible.citizen_id, "", ""],
        [world.other_hamlet.code, "Phạm Thị Hồng", world.other_person.citizen_id, "", ""],
        [world.hamlet.code, "Trần Thị Ước", world.needs_exception.citizen_id, "31/02/1980", "ai đó"],
    ])
    response = _upload(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Chưa nhập dòng nào" in page
    assert "Dòng 3: không có thôn, tổ dân phố «Thôn Không Có»" in page
    assert "Dòng 4: số định danh 051099000001 không có trong sổ đăng ký" in page
    assert "Dòng 5: Đoàn Văn Tâm không thường trú tại Thôn An Phú (R-E1)" in page
    assert "Dòng 6: số định danh " + world.eligible.citizen_id + " lặp lại trong tệp" in page
    assert "Dòng 7: không có thôn, tổ dân phố" in page  # another commune's hamlet
    assert "ngày sinh «31/02/1980» không hợp lệ" in page and "người giới thiệu «ai đó» không hợp lệ" in page
    assert _count() == 0


def test_too_many_candidates_and_a_confirmed_list_are_refused(world, draft_list, make_person, make_user, committee,
                                                              client):
    third = make_person("Võ Thị Lành", hamlet=world.hamlet)
    data = _xlsx([[world.hamlet.code, "", p.citizen_id, "", ""] for p in (world.eligible, world.needs_exception,
                                                                           third)])
    page = _upload(client, data).get_data(as_text=True)
    assert "Dòng 4: Thôn An Phú vượt quá 2 người ứng cử (R-V3)" in page
    assert _count() == 0

    candidate_list = draft_list(world.eligible)
    candidate_list.confirm(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune).id)
    db.session.commit()
    page = _upload(client, _xlsx([[world.hamlet.code, "", third.citizen_id, "", ""]])).get_data(as_text=True)
    assert "danh sách Thôn An Phú đã được xác nhận và khóa" in page
    assert _count() == 1


def test_unreadable_file_and_missing_columns(world, committee, client):
    assert "Tệp Excel bị hỏng hoặc không phải tệp Excel" in _upload(client, b"not an excel file").get_data(as_text=True)
    page = _upload(client, _xlsx([["x"]], headers=["Họ và tên", "Ghi chú"])).get_data(as_text=True)
    assert "Không tìm thấy dòng tiêu đề" in page or "Thiếu cột" in page


def test_template_download_has_the_headers_and_the_hamlets(world, committee, client):
    response = client.get("/candidates/import/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert [c.value for c in book.active[1]] == list(TEMPLATE_HEADERS)
    assert [row[1] for row in book["Thôn, TDP"].iter_rows(min_row=2, values_only=True)] == ["Thôn An Phú"]


def test_only_the_commune_committee_imports(world, make_user, login, client):
    login(make_user(Role.DISTRICT_OFFICE, district=world.district))
    assert client.get("/candidates/import").status_code == 403


def _serial(day: date) -> float:
    return float((day - date(1899, 12, 30)).days)  # how Excel stores a date typed into a General cell


def test_excel_serial_dates_are_read_like_the_roll_and_a_two_digit_year_is_refused_with_why(world, committee,
                                                                                            client):
    born = world.eligible.birth_date
    good = _xlsx([[world.hamlet.code, "", world.eligible.citizen_id, _serial(born), ""]])
    assert "Đã nhập 1 người ứng cử" in _upload(client, good).get_data(as_text=True)
    db.session.rollback()
    other = world.needs_exception
    bad = _xlsx([[world.hamlet.code, "", other.citizen_id, other.birth_date.strftime("%d-%m-%y"), ""]])
    page = _upload(client, bad).get_data(as_text=True)
    assert (f"Dòng 2: ngày sinh «{other.birth_date:%d-%m-%y}» không hợp lệ (năm phải ghi đủ 4 chữ số, "
            "không đoán được thế kỷ)") in page
    assert _count() == 1


def test_footer_is_left_out_and_named_and_a_superscript_in_an_id_is_a_row_error(world, committee, client):
    broken = world.needs_exception.citizen_id[:5] + "²" + world.needs_exception.citizen_id[6:]
    data = _xlsx([[world.hamlet.code, "", world.eligible.citizen_id, "", ""],
                  [world.hamlet.code, "", broken, "", ""],
                  [], ["Người lập biểu", "", "", "", "T/M BAN CÔNG TÁC MẶT TRẬN"]])
    page = _upload(client, data).get_data(as_text=True)
    assert f"Dòng 3: số định danh «{broken}» phải gồm đúng 12 chữ số" in page
    assert "Đã bỏ qua 1 dòng cuối tệp (từ dòng 5: «Người lập biểu»): tổng cộng, chữ ký." in page
    assert _count() == 0
