"""Hostile and awkward spreadsheets, generated here (never binaries in the repository): each is refused in
Vietnamese within a fraction of a second, or read from the right sheet; nothing is built in memory first."""
from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook

from core.spreadsheets import SheetFileError, SheetLimits, read_sheet

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
       'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
       'officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships"><sheets><sheet name="DS" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                  'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                  'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def _xlsx(sheet_data: str, extra: dict[str, bytes] | None = None, prefix: str = "") -> bytes:
    """A minimal workbook whose one sheet holds `sheet_data` (the <sheetData> content), written by hand."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns{':' + prefix if prefix else ''}"
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CT)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _cell(ref: str, text: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    return f'<{p}c r="{ref}" t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'


def _refused(data: bytes, name: str = "ds.xlsx", **kwargs) -> str:
    started = time.perf_counter()
    with pytest.raises(SheetFileError) as error:
        read_sheet(name, data, **kwargs)
    assert time.perf_counter() - started < 1.0  # refused before anything is built
    return error.value.message


def test_a_2_kb_file_with_cells_at_a1_and_the_far_corner_is_refused_not_allocated():
    data = _xlsx(f'<row r="1">{_cell("A1", "x")}</row><row r="1048576">{_cell("XFD1048576", "y")}</row>')
    assert len(data) < 2048
    message = _refused(data)
    assert message.startswith("Trang «DS» có dữ liệu đến dòng 1.048.576, cột XFD, vượt giới hạn 20.000 dòng")
    assert "Ctrl+End" in message


def test_a_wide_sheet_is_refused_by_its_area_even_within_the_row_and_column_limits():
    data = _xlsx(f'<row r="1">{_cell("A1", "x")}</row><row r="19000">{_cell("CV19000", "y")}</row>')
    assert "1.000.000 ô" in _refused(data)  # 19,000 rows × 100 columns
    assert read_sheet("ds.xlsx", data, limits=SheetLimits(max_cells=2_000_000)).rows[-1].line == 19000


def test_cells_and_rows_without_positions_count_where_they_land():
    cells = "".join(f'<c t="inlineStr"><is><t>{i}</t></is></c>' for i in range(150))
    assert "cột ET" in _refused(_xlsx(f"<row>{cells}</row>"))  # 150 unnamed cells: column 150
    rows = "".join('<row><c t="inlineStr"><is><t>x</t></is></c></row>' for _ in range(30))
    assert "dòng 30," in _refused(_xlsx(rows), limits=SheetLimits(max_rows=20))


def test_tags_with_a_namespace_prefix_are_measured_too():
    unnamed = "".join(_cell("", "y", "x").replace(' r=""', "") for _ in range(120))
    data = _xlsx(f'<x:row r="1">{_cell("A1", "x", "x")}</x:row><x:row>{unnamed}</x:row>', prefix="x")
    assert "vượt giới hạn" in _refused(data)


def test_a_deflate_bomb_is_refused_by_its_declared_size_and_by_its_real_size():
    zeros = b"<!--" + b" " * (300 * 2**20) + b"-->"
    bomb = _xlsx(f'<row r="1">{_cell("A1", "x")}</row>', extra={"xl/media/padding.xml": zeros})
    assert len(bomb) < 2 * 2**20
    assert "lớn hơn giới hạn 256 MB" in _refused(bomb)
    # An archive that lies about its sizes is caught while unpacking, before the running total passes the limit.
    lying = bytearray(bomb)
    header = lying.rfind(b"PK\x01\x02", 0, lying.find(b"xl/media/padding.xml", len(lying) - 2000))
    lying[header + 24:header + 28] = (1000).to_bytes(4, "little")  # central directory: uncompressed size
    assert _refused(bytes(lying)) == "Không đọc được tệp Excel (tệp hỏng hoặc có mật khẩu)."
    assert "lớn hơn giới hạn 1 MB" in _refused(bomb, limits=SheetLimits(max_unpacked_bytes=2**20, max_ratio=10**9))


def test_an_archive_of_many_tiny_entries_is_refused():
    extra = {f"xl/x/{i}.xml": b"" for i in range(1_001)}
    assert "thành phần, vượt giới hạn 1.000" in _refused(_xlsx(_cell("A1", "x"), extra=extra))


def _book(*sheets: tuple[str, str, list[list]], active: int = 0) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, state, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    workbook.active = active
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_hidden_first_sheet_is_never_read_unless_named():
    data = _book(("Năm 2019", "hidden", [["Số hộ"], ["cũ"]]), ("Năm 2025", "visible", [["Số hộ"], ["mới"]]),
                 ("Nháp", "veryHidden", [["x"]]), active=1)
    sheet = read_sheet("ds.xlsx", data)
    assert sheet.name == "Năm 2025" and [row.cells[0] for row in sheet.rows] == ["Số hộ", "mới"]
    assert [(info.name, info.visible, info.very_hidden) for info in sheet.other_sheets] == [
        ("Năm 2019", False, False), ("Nháp", False, True)]
    assert read_sheet("ds.xlsx", data, sheet="Năm 2019").rows[1].cells[0] == "cũ"
    assert _refused(data, sheet="Không có") == "Tệp không có trang «Không có»."


def test_the_active_visible_sheet_is_read_and_the_other_sheets_with_data_are_named():
    data = _book(("Hướng dẫn", "visible", [["Đọc kỹ"]]), ("Danh sách", "visible", [["Số hộ"], ["1"]]),
                 ("Trống", "visible", []), active=1)
    sheet = read_sheet("ds.xlsx", data)
    assert sheet.name == "Danh sách"
    assert [info.name for info in sheet.other_sheets] == ["Hướng dẫn"]


def test_only_hidden_sheets_with_data_is_refused_naming_them():
    data = _book(("Trống", "visible", []), ("DS", "hidden", [["Số hộ"]]))
    assert _refused(data).startswith("Chỉ có trang ẩn có dữ liệu («DS»)")


def test_formulas_without_saved_values_are_refused_with_what_to_do():
    data = _book(("DS", "visible", [["Số hộ", "Tổng"], ["1", "=A2*2"], ["2", "=A3*2"]]))
    message = _refused(data)
    assert message.startswith("Trang «DS» có công thức chưa có giá trị (ô B2, B3)")
    assert "mở tệp bằng Excel, bấm Lưu" in message
    saved = _xlsx('<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>""</f><v></v></c></row>')
    assert read_sheet("ds.xlsx", saved).rows[0].cells[0] == 2


def test_a_long_csv_is_refused_by_its_rows():
    data = ("Số hộ,Họ và tên\n" + "1,An\n" * 25).encode()
    assert _refused(data, "ds.csv", limits=SheetLimits(max_rows=20)).startswith(
        "Tệp CSV có dữ liệu đến dòng 26, cột 2, vượt giới hạn 20 dòng")


def _ods(content_rows: str) -> bytes:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
               'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="DS">{content_rows}</table:table></office:spreadsheet>'
               '</office:body></office:document-content>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return buffer.getvalue()


def _ods_row(*texts: str, repeat: int = 1) -> str:
    cells = "".join(f'<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>'
                    for t in texts)
    return f'<table:table-row table:number-rows-repeated="{repeat}">{cells}</table:table-row>'


def test_ods_is_read_in_a_bounded_child_process():
    sheet = read_sheet("ds.ods", _ods(_ods_row("Số hộ", "Họ và tên") + _ods_row("1", "Nguyễn Văn An")))
    assert sheet.name == "DS" and [list(row.cells) for row in sheet.rows] == [["Số hộ", "Họ và tên"],
                                                                               ["1", "Nguyễn Văn An"]]
    long = _ods(_ods_row("Số hộ") + _ods_row("x", repeat=1_000_000))
    assert _refused_slowly(long, "ds.ods").startswith("Trang «DS» có dữ liệu đến dòng 1.000.001, cột A, vượt")
    # Every cell of the sheet, by repetition: the child runs out of its memory and ends, the worker does not.
    bomb = ('<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated='
            '"16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>')
    assert _refused_slowly(_ods(_ods_row("Số hộ") + bomb), "ds.ods") == (
        "Không đọc được tệp Excel (tệp hỏng, có mật khẩu hoặc quá lớn).")


def _refused_slowly(data: bytes, name: str, **kwargs) -> str:
    """A child process takes a few seconds at most; the worker itself is never at risk."""
    started = time.perf_counter()
    with pytest.raises(SheetFileError) as error:
        read_sheet(name, data, **kwargs)
    assert time.perf_counter() - started < 35
    return error.value.message
