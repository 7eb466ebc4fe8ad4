"""The layout of imported sheets (core.sheet_layout, core.sheet_values) as the voter-roll import sees it: two-row
headers, footers left out and reported, dates and citizen-ID digits. Files are built in the test."""
from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from core.accounts import Role
from core.citizen_id import make_citizen_id
from core.sheet_values import DateError, ascii_digits, clean_citizen_id, parse_date
from election.rolls import RollContext, read_rows, validate_roll
from training.sheets import read_attendance

ELECTION_DAY = date(2025, 6, 8)
BORN_AN, BORN_BICH = date(1980, 9, 5), date(1992, 1, 31)
ID_AN = make_citizen_id("051", BORN_AN, "male", 1)
ID_BICH = make_citizen_id("051", BORN_BICH, "female", 2)
HEADER = ["Số hộ", "Họ và tên", "Số CCCD", "Ngày sinh", "Giới tính"]
AN = ["1", "Nguyễn Văn An", ID_AN, "05/09/1980", "Nam"]
BICH = ["2", "Trần Thị Bích", ID_BICH, "31/01/1992", "Nữ"]


def csv_bytes(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[object]], merged: tuple[str, ...] = ()) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cells in merged:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check(data: bytes, filename: str = "roll.csv"):
    table = read_rows(filename, data)
    return table, validate_roll(table, RollContext("Thôn An Phú", ELECTION_DAY))


def codes(preview) -> list[tuple[int, str]]:
    return [(problem.line, problem.code) for problem in preview.problems]


# --- two-row headers ------------------------------------------------------------------------------------------

SPLIT_TOP = ["STT", "Số hộ", "Họ và tên", "Số CCCD", "Năm sinh", None, "Ghi chú"]
SPLIT_SUB = [None, None, None, None, "Nam", "Nữ", None]


def split_rows() -> list[list[object]]:
    return [
        ["DANH SÁCH CỬ TRI THÔN AN PHÚ"],
        SPLIT_TOP, SPLIT_SUB,
        [1, "1", "Nguyễn Văn An", ID_AN, "05/09/1980", None, None],
        [2, "2", "Trần Thị Bích", ID_BICH, None, "31/01/1992", None],
    ]


def test_birth_year_under_nam_and_nu_gives_the_date_and_the_sex_in_xlsx_with_merged_cells():
    data = xlsx_bytes(split_rows(), merged=("A1:G1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:F2", "G2:G3"))
    table, preview = check(data, "roll.xlsx")
    assert (table.header_line, table.sub_header_line, table.header_lines) == (2, 3, "2–3")
    assert table.headers[4:6] == ("Năm sinh | Nam", "Năm sinh | Nữ")
    assert dict(table.columns) == {"household_no": 1, "full_name": 2, "citizen_id": 3, "birth_male": 4,
                                   "birth_female": 5}
    assert preview.problems == ()
    assert [(r.line, r.full_name, r.birth_date, r.sex) for r in preview.rows] == [
        (4, "Nguyễn Văn An", BORN_AN, "male"), (5, "Trần Thị Bích", BORN_BICH, "female")]


def test_birth_year_under_nam_and_nu_in_csv():
    table, preview = check(csv_bytes(split_rows()))
    assert table.header_lines == "2–3" and preview.problems == ()
    assert [(r.birth_date, r.sex) for r in preview.rows] == [(BORN_AN, "male"), (BORN_BICH, "female")]


def test_split_birth_columns_both_filled_or_contradicting_the_sex_column_are_row_problems():
    rows = [
        ["Số hộ", "Họ và tên", "Số CCCD", "Năm sinh", "", "Giới tính"],
        ["", "", "", "Nam", "Nữ", ""],
        ["1", "Nguyễn Văn An", ID_AN, "1980", "1981", ""],
        ["2", "Trần Thị Bích", ID_BICH, "", "31/01/1992", "Nam"],
        ["3", "Lê Thị Cúc", make_citizen_id("051", BORN_BICH, "female", 3), "31/01/1992", "", ""],
    ]
    table, preview = check(csv_bytes(rows))
    assert codes(preview) == [(3, "birth_in_both_sex_columns"), (4, "sex_contradicts_birth_column"),
                              (4, "invalid_citizen_id"), (5, "invalid_citizen_id")]
    assert preview.problems[0].message == (
        "Năm sinh ghi ở cả cột Nam («1980») và cột Nữ («1981»): chỉ ghi ở một cột.")
    assert preview.problems[1].message == "Giới tính «Nam» mâu thuẫn với cột năm sinh «Nữ»."
    assert preview.problems[3].message == "Số định danh không khớp giới tính đã khai."  # a woman's ID under Nam


def test_second_header_row_that_continues_the_labels():
    rows = [["Số hộ", "Họ và tên", "Số", "Ngày sinh"], ["", "", "CCCD", ""], AN[:4]]
    table, preview = check(csv_bytes(rows))
    assert (table.header_lines, table.columns["citizen_id"], table.headers[2]) == ("1–2", 2, "Số | CCCD")
    assert [r.citizen_id for r in preview.rows] == [ID_AN] and preview.problems == ()


def test_a_first_data_row_is_never_taken_for_a_second_header_row():
    table, preview = check(csv_bytes([HEADER, AN, BICH]))
    assert (table.header_lines, len(preview.rows), preview.problems) == ("1", 2, ())


# --- footers --------------------------------------------------------------------------------------------------

def test_signature_footer_after_a_blank_row_is_left_out_and_reported():
    rows = [HEADER, AN, BICH, [], ["", "Người lập biểu", "", "", "TRƯỞNG THÔN"],
            ["", "(Ký, ghi rõ họ tên)", "", "", "(Ký, ghi rõ họ tên)"], [],
            ["", "Lê Văn Lập", "", "", "Phạm Văn Trưởng"], ["", "Ngày 20 tháng 5 năm 2025"]]
    table, preview = check(csv_bytes(rows))
    assert [r.line for r in table.rows] == [2, 3] and preview.problems == ()
    footer = table.footer
    assert (footer.first_line, footer.last_line, footer.count, footer.first_text) == (5, 9, 4, "Người lập biểu")
    assert footer.message == "Đã bỏ qua 4 dòng cuối tệp (từ dòng 5: «Người lập biểu»)."


def test_totals_row_directly_under_the_data_is_a_footer():
    rows = [HEADER, AN, BICH, ["Tổng số: 2 hộ"], [], ["XÁC NHẬN CỦA UBND XÃ", "", "", "", "T/M BAN CÔNG TÁC MẶT TRẬN"]]
    table, preview = check(csv_bytes(rows))
    assert [r.line for r in table.rows] == [2, 3] and preview.problems == ()
    assert (table.footer.first_line, table.footer.count, table.footer.first_text) == (4, 2, "Tổng số: 2 hộ")


def test_a_footer_looking_block_followed_by_a_data_row_is_kept_as_data():
    rows = [HEADER, AN, [], ["", "Ghi chú: bổ sung"], BICH]
    table, preview = check(csv_bytes(rows))
    assert table.footer is None
    assert [r.line for r in table.rows] == [2, 4, 5]
    assert codes(preview) == [(4, "missing_household"), (4, "missing_birth_date"), (4, "missing_citizen_id")]


def test_a_file_with_a_footer_only_has_no_data_rows():
    with pytest.raises(Exception, match="không có dòng dữ liệu"):
        read_rows("roll.csv", csv_bytes([HEADER, [], ["Người lập biểu"]]))


# --- values ---------------------------------------------------------------------------------------------------

def test_full_width_digits_in_a_citizen_id_are_read_as_ascii_and_duplicates_found():
    full_width = ID_AN.translate({ord(str(d)): chr(0xFF10 + d) for d in range(10)})
    table, preview = check(csv_bytes([HEADER, AN, ["3", "Nguyễn Văn An", full_width, "05/09/1980", "Nam"]]))
    assert [r.citizen_id for r in preview.rows] == [ID_AN, ID_AN]
    assert codes(preview) == [(2, "duplicate_citizen_id"), (3, "duplicate_citizen_id")]


def test_superscript_digit_in_a_citizen_id_is_a_row_problem_not_a_crash():
    broken = ID_AN[:3] + "²" + ID_AN[4:]
    table, preview = check(csv_bytes([HEADER, ["1", "Nguyễn Văn An", broken, "05/09/1980", "Nam"]]))
    assert codes(preview) == [(2, "invalid_citizen_id")]
    assert preview.problems[0].message == "Số định danh cá nhân phải gồm đúng 12 chữ số."


def _upload_roll(client, hamlet, data: bytes) -> str:
    response = client.post(f"/hamlets/{hamlet.id}/roll/import",
                           data={"file": (io.BytesIO(data), "roll.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_superscript_in_a_citizen_id_on_the_import_page_is_a_row_problem(world, make_user, login, client):
    login(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    page = _upload_roll(client, world.hamlet, csv_bytes(
        [HEADER, ["1", "Nguyễn Văn An", ID_AN[:4] + "²" + ID_AN[5:], "05/09/1980", "Nam"]]))
    assert "Số định danh cá nhân phải gồm đúng 12 chữ số." in page


def test_roll_preview_page_names_the_footer_left_out(world, make_user, login, client):
    login(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    page = _upload_roll(client, world.hamlet, csv_bytes(split_rows() + [[], ["", "Người lập biểu"]]))
    assert "Dòng tiêu đề: dòng 2–3" in page
    assert "Đã bỏ qua 1 dòng cuối tệp (từ dòng 7: «Người lập biểu»)" in page


@pytest.mark.parametrize(("cell", "expected"), [
    (29469.0, date(1980, 9, 5)), (29469, date(1980, 9, 5)), ("29469", date(1980, 9, 5)),
    ("5/9/1980", date(1980, 9, 5)), ("05-09-1980", date(1980, 9, 5)), ("1980-09-05", date(1980, 9, 5)),
    ("05.09.1980", date(1980, 9, 5)), ("０５/０９/１９８０", date(1980, 9, 5)), ("1980-09-05 00:00:00", date(1980, 9, 5)),
])
def test_one_date_parser_for_every_import(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize(("cell", "year_only", "code"), [
    ("05-09-80", False, "two_digit_year"), ("31/02/1980", False, "nonexistent_date"), ("1980", False, "year_only"),
    ("hôm qua", False, "unreadable_date"), ("5/9", False, "unreadable_date"), ("0²/09/1980", False, "unreadable_date"),
])
def test_date_parser_refusals_carry_their_reason(cell, year_only, code):
    with pytest.raises(DateError) as refused:
        parse_date(cell, year_only=year_only)
    assert refused.value.code == code


def test_year_only_where_allowed():
    assert parse_date("1980", year_only=True) == 1980 and parse_date(1980.0, year_only=True) == 1980


def test_citizen_id_digits():
    assert ascii_digits("０５１٣") == "0513" and ascii_digits("05²") == "05²"
    assert clean_citizen_id(51080000123.0) == "051080000123"
    assert clean_citizen_id(" 051 080.000 123 ") == "051080000123"
    assert clean_citizen_id("'051080000123") == "051080000123"


def test_attendance_sheet_stops_at_its_footer_and_keeps_an_absent_row_after_a_gap():
    rows = [["DANH SÁCH ĐIỂM DANH"], ["STT", "Họ và tên", "Số định danh", "Có mặt"],
            [1, "A", "051080000001", "x"], [], [2, "B", "０５１０８００００００２", ""], [],
            ["", "Tổng cộng", "", "1"], ["", "Người lập biểu"]]
    sheet = read_attendance("diem-danh.xlsx", xlsx_bytes(rows))
    assert [(r.line, r.citizen_id, r.present) for r in sheet.rows] == [
        (3, "051080000001", True), (5, "051080000002", False)]
    assert sheet.footer is not None
    assert (sheet.footer.first_line, sheet.footer.count, sheet.footer.first_text) == (7, 2, "Tổng cộng")
