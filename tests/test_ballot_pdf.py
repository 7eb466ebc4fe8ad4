"""Ballot PDFs (ballots/pdf.py): every QR on every page decodes and verifies, text is right."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp

from ballots.pdf import TEST_BAND_TEXT, BallotSheetSpec, render_ballots
from ballots.qr import (
    BallotPayload,
    check_payload,
    decode_payload,
    election_definition,
    election_hash,
    encode_payload,
    new_serial,
    short_code,
    typed_serial,
)

SECRET = b"ballot-pdf-test-secret"
HAMLET_ID = 41
SEVERAL = ("Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước")
SINGLE = ("Nguyễn Thị Ánh Tuyết",)
PER_PAGE = {"A5": 1, "A6": 1, "A4x2": 2, "A4x4": 4}


def _spec(candidates: tuple[str, ...], layout: str = "A5", test: bool = False) -> BallotSheetSpec:
    return BallotSheetSpec(
        term_label="Nhiệm kỳ 2022 – 2025", hamlet_name="An Phú", commune_name="Bình Hải",
        district_name="Bình Sơn", election_date=date(2022, 5, 22), candidates=candidates,
        layout=layout, test=test,  # type: ignore[arg-type]
    )


def _hash(candidates: tuple[str, ...]) -> str:
    return election_hash(election_definition("2022-2025", HAMLET_ID, 1, enumerate(candidates, 1), 1))


def _payloads(candidates: tuple[str, ...], count: int, test: bool = False) -> list[str]:
    return [encode_payload(BallotPayload(_hash(candidates), HAMLET_ID, new_serial(), test), SECRET)
            for _ in range(count)]


def _render(spec: BallotSheetSpec, payloads: list[str]) -> tuple[bytes, int]:
    out = io.BytesIO()
    pages = render_ballots(spec, payloads, out)
    return out.getvalue(), pages


def _page_texts(data: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(data)
    return [page.get_textpage().get_text_bounded() for page in pdf]


def _scanned(data: bytes) -> list[list[str]]:
    pdf = pdfium.PdfDocument(data)
    found = []
    for page in pdf:
        image = page.render(scale=200 / 72).to_pil()
        results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        found.append([r.text for r in results])
    return found


@pytest.mark.parametrize("layout", ["A5", "A6", "A4x2", "A4x4"])
@pytest.mark.parametrize("candidates", [SINGLE, SEVERAL], ids=["single", "several"])
def test_every_printed_qr_scans_and_verifies(layout, candidates):
    count = PER_PAGE[layout] + 1  # forces a last, partly filled page
    payloads = _payloads(candidates, count)
    data, pages = _render(_spec(candidates, layout), payloads)
    assert pages == 2
    scanned = _scanned(data)
    assert [len(found) for found in scanned] == [PER_PAGE[layout], 1]
    assert sorted(text for found in scanned for text in found) == sorted(payloads)
    for text in (t for found in scanned for t in found):
        payload = decode_payload(text, SECRET)
        assert check_payload(payload, _hash(candidates), HAMLET_ID) is None


def test_scanned_ballot_of_another_election_is_refused():
    data, _ = _render(_spec(SEVERAL), _payloads(SEVERAL, 1))
    [[text]] = _scanned(data)
    problem = check_payload(decode_payload(text, SECRET), _hash(SINGLE), HAMLET_ID)
    assert problem is not None and problem.code == "wrong_election"


def test_names_are_printed_with_their_diacritics_even_from_decomposed_input():
    decomposed = tuple(unicodedata.normalize("NFD", name) for name in SEVERAL)
    data, _ = _render(_spec(decomposed), _payloads(SEVERAL, 1))
    [text] = _page_texts(data)
    assert "Nguyễn Thị Ánh Tuyết" in text
    assert "Đặng Văn Ước" in text
    assert "PHIẾU BẦU TRƯỞNG THÔN" in text
    assert "Thôn An Phú, xã Bình Hải, huyện Bình Sơn" in text
    assert "Dấu của Tổ bầu cử" in text


def test_several_candidates_get_the_strike_through_instruction():
    [text] = _page_texts(_render(_spec(SEVERAL), _payloads(SEVERAL, 1))[0])
    assert "gạch ngang cả họ và tên" in " ".join(text.split())
    assert "Không đồng ý" not in text  # the boxes belong to single-candidate ballots only


def test_single_candidate_gets_agree_and_disagree_boxes():
    [text] = _page_texts(_render(_spec(SINGLE), _payloads(SINGLE, 1))[0])
    assert "Đồng ý" in text and "Không đồng ý" in text
    assert "gạch ngang" not in text


def test_each_ballot_shows_its_own_short_code():
    payloads = _payloads(SEVERAL, 2)
    texts = _page_texts(_render(_spec(SEVERAL), payloads)[0])
    for page_text, payload in zip(texts, payloads):
        assert f"Mã: {short_code(payload.split('.')[3])}" in page_text


@pytest.mark.parametrize("layout", ["A5", "A6", "A4x2", "A4x4"])
def test_the_short_code_is_printed_whole_under_every_qr_and_names_its_serial(layout):
    payloads = _payloads(SEVERAL, PER_PAGE[layout])
    [text] = _page_texts(_render(_spec(SEVERAL, layout), payloads)[0])
    codes = re.findall(r"Mã: ([0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{3})", text)
    assert [typed_serial(code) for code in codes] == [payload.split(".")[3] for payload in payloads]


def test_test_ballots_carry_the_no_value_band_and_real_ones_do_not():
    [test_text] = _page_texts(_render(_spec(SINGLE, test=True), _payloads(SINGLE, 1, test=True))[0])
    [real_text] = _page_texts(_render(_spec(SINGLE), _payloads(SINGLE, 1))[0])
    assert TEST_BAND_TEXT in test_text
    assert "PHIẾU THỬ" not in real_text


def test_tdp_ballot_is_titled_for_a_residential_group_head():
    spec = BallotSheetSpec("Nhiệm kỳ 2022 – 2025", "Tổ 3", "Châu Ổ", date(2022, 5, 22), SEVERAL,
                           hamlet_kind="Tổ dân phố", commune_kind="Thị trấn")
    [text] = _page_texts(_render(spec, _payloads(SEVERAL, 1))[0])
    assert "PHIẾU BẦU TỔ TRƯỞNG TỔ DÂN PHỐ" in text


def test_noto_fonts_are_embedded():
    data, _ = _render(_spec(SEVERAL), _payloads(SEVERAL, 1))
    assert b"FontFile2" in data
    assert b"NotoSans-Bold" in data


def test_progress_reports_every_page_up_to_the_total():
    calls: list[tuple[int, int]] = []
    out = io.BytesIO()
    pages = render_ballots(_spec(SEVERAL, "A4x4"), _payloads(SEVERAL, 9), out, progress=lambda d, t: calls.append((d, t)))
    assert pages == 3
    assert calls == [(4, 9), (8, 9), (9, 9)]


def test_spec_refuses_more_seats_than_candidates_or_an_unknown_layout():
    with pytest.raises(ValueError):
        BallotSheetSpec("Nhiệm kỳ", "An Phú", "Bình Hải", date(2022, 5, 22), SINGLE, seats=2)
    with pytest.raises(ValueError):
        BallotSheetSpec("Nhiệm kỳ", "An Phú", "Bình Hải", date(2022, 5, 22), ())
    with pytest.raises(ValueError):
        _spec(SEVERAL, layout="A3")


def test_an_empty_batch_is_refused_rather_than_printing_a_blank_page():
    with pytest.raises(ValueError):
        render_ballots(_spec(SEVERAL), [], io.BytesIO())


def test_a_very_long_name_is_shrunk_to_stay_on_the_ballot():
    long_name = "Tôn Nữ Thị Hoàng Phương Khánh Ngọc Bảo Trâm Nguyễn Phước"
    data, _ = _render(_spec((long_name, "Đặng Văn Ước"), "A6"), _payloads(SEVERAL, 1))
    page = pdfium.PdfDocument(data)[0]
    textpage = page.get_textpage()
    width, _ = page.get_size()
    assert long_name in textpage.get_text_bounded()
    boxes = [textpage.get_charbox(i) for i in range(textpage.count_chars())]
    assert all(0 <= left and right <= width for left, _, right, _ in boxes)
