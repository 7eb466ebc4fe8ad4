"""core.spreadsheets: the one reader (CSV in any of the encodings commune offices use, or Excel) and the one writer."""
from __future__ import annotations

import io

import pytest
from factories_ballots import csv_bytes
from openpyxl import load_workbook

from core.spreadsheets import SheetFileError, SheetSpec, read_sheet, workbook_bytes

ROWS = [["Số hộ", "Họ và tên"], ["1", "Nguyễn Văn Ánh"], ["", ""], ["2", "Trần Thị Bé"]]


def _csv(encoding: str, delimiter: str = ",") -> bytes:
    return csv_bytes(ROWS[1:], encoding, headers=ROWS[0], delimiter=delimiter)


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8", ","), ("utf-8-sig", ";"), ("utf-16", "\t"),
                                                     ("cp1258", ";")])
def test_csv_in_every_office_encoding_reads_the_same_lines(encoding, delimiter):
    sheet = read_sheet("ds.csv", _csv(encoding, delimiter))
    assert sheet.source == "csv" and sheet.delimiter == delimiter
    assert [(row.line, list(row.cells)) for row in sheet.rows] == [
        (1, ["Số hộ", "Họ và tên"]), (2, ["1", "Nguyễn Văn Ánh"]), (4, ["2", "Trần Thị Bé"])]


def test_written_workbook_reads_back_with_its_caption_drop_down_and_text_column():
    data = workbook_bytes([SheetSpec("Danh sách", ["Mã", "Tên", "Số định danh"], [["A", "Ánh", "051070000001"]],
                                     caption="Tiêu đề", choices={1: ("Có", "Không")}, text_columns=(2,))])
    sheet = read_sheet("x.xlsx", data)
    assert [list(row.cells) for row in sheet.rows] == [["Tiêu đề", "", ""], ["Mã", "Tên", "Số định danh"],
                                                      ["A", "Ánh", "051070000001"]]
    book = load_workbook(io.BytesIO(data))
    ws = book["Danh sách"]
    assert ws["A2"].font.bold and ws.freeze_panes == "A3"
    assert [v.formula1 for v in ws.data_validations.dataValidation] == ['"Có,Không"']


@pytest.mark.parametrize(("name", "data", "message"), [
    ("ds.csv", b"   ", "Tệp rỗng."),
    ("ds.xlsx", b"not an excel file", "Tệp Excel bị hỏng hoặc không phải tệp Excel."),
    ("ds.xlsx", b"PK\x03\x04broken", "Không đọc được tệp Excel (tệp hỏng hoặc có mật khẩu)."),
])
def test_unusable_files_are_refused_in_vietnamese(name, data, message):
    with pytest.raises(SheetFileError) as error:
        read_sheet(name, data)
    assert error.value.message == message


def test_columns_take_their_minimum_width_and_a_long_header_wraps_instead_of_widening_its_column():
    long_header = "R-T1 Trưởng thôn, tổ trưởng tổ dân phố là đảng viên"
    data = workbook_bytes([SheetSpec("Mẫu", ["Họ và tên", long_header], [["", "7/7"]], widths=(28,))])
    ws = load_workbook(io.BytesIO(data))["Mẫu"]
    assert ws.column_dimensions["A"].width >= 28
    assert ws.column_dimensions["B"].width <= 32 and ws["B1"].alignment.wrap_text
