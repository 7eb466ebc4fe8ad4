"""Administrative-style PDFs (ballots/document.py)."""

from __future__ import annotations

import io
import unicodedata
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp

from core.documents import OfficialDocument, Signature, date_line

NAMES = ["Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước", "Lê Thị Hồng Nhung"]


def _document(motto: str = "state", rows: int = 3) -> OfficialDocument:
    doc = OfficialDocument(
        ["UBND XÃ BÌNH HẢI", "TỔ BẦU CỬ THÔN AN PHÚ"], "Số: 01/BB-TBC", motto=motto,  # type: ignore[arg-type]
        place="Bình Hải", date=date(2022, 5, 22), title="BIÊN BẢN KIỂM PHIẾU",
        subtitle="Bầu trưởng thôn An Phú, nhiệm kỳ 2022 – 2025",
    )
    doc.paragraph("Tổ bầu cử tiến hành kiểm phiếu với sự chứng kiến của hai cử tri & <khách mời>.")
    doc.table(["STT", "Họ và tên", "Số phiếu"],
              [[i + 1, NAMES[i % 3], 100 - i] for i in range(rows)], col_widths=[1, 5, 2])
    doc.signatures([Signature("THƯ KÝ", "Lê Văn Bình"), Signature("TỔ TRƯỞNG", "Nguyễn Văn An", "TM. TỔ BẦU CỬ")])
    return doc


def _build(doc: OfficialDocument) -> bytes:
    out = io.BytesIO()
    doc.build(out)
    return out.getvalue()


def _texts(data: bytes) -> list[str]:
    return [page.get_textpage().get_text_bounded() for page in pdfium.PdfDocument(data)]


def test_state_document_shows_motto_title_and_table_cells_with_diacritics():
    [text] = _texts(_build(_document()))
    for expected in ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "UBND XÃ BÌNH HẢI", "TỔ BẦU CỬ THÔN AN PHÚ", "Số: 01/BB-TBC",
                     "Bình Hải, ngày 22 tháng 5 năm 2022", "BIÊN BẢN KIỂM PHIẾU",
                     "Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước", "(Ký, ghi rõ họ tên)", "TM. TỔ BẦU CỬ"]:
        assert expected in text


def test_user_text_is_escaped_not_parsed_as_markup():
    [text] = _texts(_build(_document()))
    assert "& <khách mời>" in " ".join(text.split())


def test_party_document_shows_the_party_instead_of_the_state_motto():
    [text] = _texts(_build(_document(motto="party")))
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA" not in text


def test_unknown_motto_is_refused():
    with pytest.raises(ValueError):
        OfficialDocument(["UBND XÃ BÌNH HẢI"], motto="royal")  # type: ignore[arg-type]


def test_long_table_repeats_its_header_and_numbers_pages():
    texts = _texts(_build(_document(rows=80)))
    assert len(texts) >= 2
    for number, text in enumerate(texts, 1):
        assert "Họ và tên" in text
        assert f"Trang {number}/{len(texts)}" in text
    assert "Lê Văn Bình" in texts[-1]


def test_decomposed_input_is_printed_precomposed():
    doc = OfficialDocument([unicodedata.normalize("NFD", "UBND XÃ BÌNH HẢI")], title="QUYẾT ĐỊNH")
    doc.paragraph(unicodedata.normalize("NFD", "Công nhận ông Đặng Văn Ước trúng cử."))
    [text] = _texts(_build(doc))
    assert "Đặng Văn Ước" in text and "UBND XÃ BÌNH HẢI" in text


def test_fonts_are_embedded():
    data = _build(_document())
    assert b"FontFile2" in data
    assert b"NotoSans" in data


def test_footer_and_corner_qr_are_printed_and_readable():
    doc = _document().qr("HTTPS://DANTIN.VN/V/7K3M9QX2").footer("Mã kiểm tra: 7K3M-9QX2")
    data = _build(doc)
    page = pdfium.PdfDocument(data)[0]
    assert "Mã kiểm tra: 7K3M-9QX2" in page.get_textpage().get_text_bounded()
    results = zxingcpp.read_barcodes(page.render(scale=200 / 72).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in results] == ["HTTPS://DANTIN.VN/V/7K3M9QX2"]


def test_landscape_page_is_wider_than_tall():
    doc = OfficialDocument(["UBND XÃ BÌNH HẢI"], title="DANH SÁCH CỬ TRI", orientation="landscape")
    doc.table(["STT", "Họ và tên"], [[1, "Đặng Văn Ước"]])
    width, height = pdfium.PdfDocument(_build(doc))[0].get_size()
    assert width > height


@pytest.mark.parametrize("day, expected", [
    (date(2022, 5, 22), "Bình Hải, ngày 22 tháng 5 năm 2022"),
    (date(2022, 2, 5), "Bình Hải, ngày 05 tháng 02 năm 2022"),  # Decree 30: leading 0 for day < 10, months 1–2
    (date(2022, 3, 9), "Bình Hải, ngày 09 tháng 3 năm 2022"),
])
def test_date_line_follows_decree_30(day, expected):
    assert date_line("Bình Hải", day) == expected


def test_table_rows_must_match_headers():
    with pytest.raises(ValueError):
        OfficialDocument(["X"]).table(["A", "B"], [[1]])


def test_date_line_without_a_place_starts_with_a_capital():
    assert date_line("", date(2022, 5, 22)) == "Ngày 22 tháng 5 năm 2022"
