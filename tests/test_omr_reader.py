"""The reader of marks (issue 19, part 2): real ballots as the app prints them, rendered with pypdfium2, marks drawn
on them with OpenCV, read back by ballots.omr.read. No database."""
from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from ballots.geometry import BOX_H, BOX_W, MARGIN, BallotGeometry, ballot_geometry
from ballots.omr import BallotRead, LineRead, Refused, Verdict
from ballots.omr.load import MAX_PAGES
from ballots.omr.marks import darkness, decide_names
from ballots.omr.read import load_pages, read_page, verdict
from ballots.pdf import BallotSheetSpec, placements, render_ballots
from ballots.qr import BallotPayload, BallotQRError, decode_payload, encode_payload, new_serial

SECRET = b"omr-reader-test-secret"
THREE = ("Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước", "Lê Hoàng Phúc")
IDS = ("11", "12", "13")
DPI = 200
MM = 72 / 25.4  # points per millimetre


def _spec(candidates: Sequence[str], layout: str = "A5", version: int | None = 1) -> BallotSheetSpec:
    return BallotSheetSpec("Nhiệm kỳ 2025 – 2030", "An Phú", "Bình Hải", date(2025, 6, 1), tuple(candidates),
                           layout=layout, geometry_version=version)  # type: ignore[arg-type]


@lru_cache(maxsize=16)
def _rendered(candidates: tuple[str, ...], layout: str, version: int | None = 1
              ) -> tuple[np.ndarray, tuple[str, ...]]:
    """One page of `layout` at DPI (grayscale) and the payloads printed on it, in reading order."""
    spec = _spec(candidates, layout, version)
    payloads = tuple(encode_payload(BallotPayload("ABCDEFGH", 41, new_serial()), SECRET)
                     for _ in placements(layout))
    out = io.BytesIO()
    render_ballots(spec, payloads, out)
    page = pdfium.PdfDocument(out.getvalue())[0]
    return np.array(page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L")), payloads


class Page:
    """A rendered page to draw on, in each ballot's design-box points."""

    def __init__(self, candidates: Sequence[str], layout: str = "A5", version: int | None = 1) -> None:
        image, self.payloads = _rendered(tuple(candidates), layout, version)
        self.image = image.copy()
        self.geometry = ballot_geometry(_spec(candidates, layout, version))
        self.places = placements(layout)
        self.refuse: dict[str, Refused] = {}

    def px(self, ballot: int, x: float, y: float) -> tuple[int, int]:
        bx, by, scale = self.places[ballot]
        k = DPI / 72
        return round((bx + x * scale) * k), round(self.image.shape[0] - (by + y * scale) * k)

    def stroke(self, ballot: int, points: Sequence[tuple[float, float]], width_mm: float = 0.6) -> None:
        width = max(1, round(width_mm / 25.4 * DPI * self.places[ballot][2]))
        pts = np.array([self.px(ballot, x, y) for x, y in points], dtype=np.int32)
        cv2.polylines(self.image, [pts], False, 30, width, cv2.LINE_AA)

    def strike(self, ballot: int, index: int, share: float = 1.0) -> None:
        line = self.geometry.names[index]
        y = line.baseline + 0.3 * line.font_size
        x0 = line.text.x0 - 3
        x1 = line.text.x0 + (line.text.x1 - line.text.x0) * share + (3 if share >= 1 else 0)
        self.stroke(ballot, [(x0, y - 1), ((x0 + x1) / 2, y + 1), (x1, y + 2)])

    def tick(self, ballot: int, index: int) -> None:
        line = self.geometry.names[index]
        x, y, s = line.text.x1 + 12, line.baseline, line.font_size
        self.stroke(ballot, [(x - 0.3 * s, y + 0.45 * s), (x, y), (x + 0.5 * s, y + 0.95 * s)])

    def cross(self, ballot: int, choice: int) -> None:
        box = self.geometry.choices[choice].box
        self.stroke(ballot, [(box.x0 + 3, box.y0 + 3), (box.x1 - 3, box.y1 - 3)])
        self.stroke(ballot, [(box.x0 + 3, box.y1 - 3), (box.x1 - 3, box.y0 + 3)])

    def geometry_for(self, text: str) -> BallotGeometry:
        if text in self.refuse:
            raise self.refuse[text]
        try:
            decode_payload(text, SECRET)
        except BallotQRError as error:
            raise Refused("forged", error.message) from error
        return self.geometry

    def read(self, image: np.ndarray | None = None):
        return read_page(self.image if image is None else image, self.geometry_for)


def _marks(read: BallotRead) -> list[str]:
    return [line.mark for line in read.lines]


def _by_text(page_read, payloads: Sequence[str]) -> list[BallotRead]:
    found = {b.qr_text: b for b in page_read.ballots}
    assert set(found) == set(payloads)
    return [found[p] for p in payloads]


@pytest.mark.parametrize("layout", ["A5", "A6", "A4x2", "A4x4"])
def test_each_ballot_on_the_page_reads_the_names_struck(layout):
    page = Page(THREE, layout)
    for ballot in range(len(page.places)):  # ballot n keeps name n % 3, strikes the others
        for index in range(3):
            if index != ballot % 3:
                page.strike(ballot, index)
    result = page.read()
    assert result.refused == ()
    for ballot, read in enumerate(_by_text(result, page.payloads)):
        assert _marks(read) == ["kept" if i == ballot % 3 else "struck" for i in range(3)]
        assert read.decided and not read.stray_ink
        assert read.image.shape == (round(BOX_H * 2), round(page.geometry.box.x1 * 2))
        assert verdict(read, IDS, 1).__dict__ == {"valid": True, "choice": IDS[ballot % 3], "reason": "valid"}


def _warp(image: np.ndarray, angle: float, tilt: float) -> np.ndarray:
    """The page photographed: turned by `angle` degrees, one side nearer by `tilt`, on a grey table."""
    h, w = image.shape
    out_w, out_h = int(w * 1.4), int(h * 1.4)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32) - [w / 2, h / 2]
    corners[:, 0] *= 1 + tilt * np.sign(corners[:, 1])
    rad = math.radians(angle)
    rot = np.array([[math.cos(rad), -math.sin(rad)], [math.sin(rad), math.cos(rad)]])
    dst = (corners @ rot.T + [out_w / 2, out_h / 2]).astype(np.float32)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(src, dst), (out_w, out_h), borderValue=110)


@pytest.mark.parametrize("angle,tilt", [(15, 0.0), (-15, 0.0), (6, 0.06), (-4, -0.06)])
def test_a_turned_ballot_in_perspective_reads_the_same(angle, tilt):
    page = Page(THREE)
    page.strike(0, 0)
    page.strike(0, 2)
    (read,) = _by_text(page.read(_warp(page.image, angle, tilt)), page.payloads)
    assert _marks(read) == ["struck", "kept", "struck"] and read.decided


def test_a_strike_through_less_than_half_the_name_or_a_tick_goes_to_a_person():
    page = Page(THREE)
    page.strike(0, 0, share=0.3)
    page.strike(0, 1)
    page.tick(0, 2)
    (read,) = page.read().ballots
    assert _marks(read) == ["unclear", "struck", "unclear"]
    assert not read.decided and verdict(read, IDS, 1) is None


@pytest.mark.parametrize("shift", [0, 4])
def test_a_tick_beside_a_name_on_a_shaken_photo_is_never_read_struck(shift):
    """A photo shaken up and down (vertical motion blur, 9 px) smears the letters' diacritics into their rows: with a
    tick touching the name's first letter, those bits joined into a run across half the name, read as a strike
    (bench/image_count.py, district rehearsal). A strike crosses the spaces between the words; those bits do not."""
    page = Page(THREE[:2], "A4x4")
    line = page.geometry.names[1]
    x, y, s = line.text.x0 - 2 + shift / 2, line.baseline, line.font_size
    for ballot in range(4):
        page.strike(ballot, 0)
        page.stroke(ballot, [(x - 0.5 * s, y + 0.45 * s), (x - 0.2 * s, y), (x + 0.3 * s, y + 0.95 * s)], 0.75)
    kernel = np.zeros((9, 9), np.float32)
    kernel[:, 4] = 1 / 9
    shaken = cv2.filter2D(page.image, -1, kernel)
    image = page.image.copy()
    for ballot in range(4):  # the names shaken; the QR and the marks left sharp, so every ballot is located
        (x0, y0), (x1, y1) = page.px(ballot, 0, page.geometry.names[0].band.y1), page.px(ballot, 420, 0)
        image[y0:y1, x0:x1] = shaken[y0:y1, x0:x1]
    _, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 60])
    reads = page.read(cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)).ballots
    assert len(reads) == 4
    for read in reads:
        assert _marks(read)[0] == "struck" and _marks(read)[1] != "struck" and not read.decided


@pytest.mark.parametrize("drop", [3.0, 6.0])
def test_the_list_s_title_brought_into_the_first_line_by_a_warp_is_printed_not_ink(drop):
    """A crumpled photo brings the list's title (bold, just above the first name's line) `drop` points lower: its
    lower half in the first line's band was taken for the voter's ink beside a strike, and the struck first name
    went to a person (bench/omr.py photos). The title's glyphs are found where they are and taken for printed."""
    page = Page(THREE)
    title = page.geometry.title
    assert title is not None and title.text.y0 > page.geometry.names[0].band.y1 - 1  # printed above the band
    (x0, y0), (x1, y1) = page.px(0, title.text.x0 - 2, title.text.y1 + 2), page.px(0, title.text.x1 + 2, title.text.y0 - 2)
    glyphs = page.image[y0:y1, x0:x1].copy()
    page.image[y0:y1, x0:x1] = 255
    down = round(drop * DPI / 72)
    page.image[y0 + down:y1 + down, x0:x1] = np.minimum(page.image[y0 + down:y1 + down, x0:x1], glyphs)
    page.strike(0, 0)
    page.strike(0, 1)
    (read,) = page.read().ballots
    assert _marks(read) == ["struck", "struck", "kept"] and read.decided and not read.stray_ink


@pytest.mark.parametrize("layout", ["A5", "A4x4"])
def test_a_strike_drawn_aslant_across_the_name_is_read_struck(layout):
    """A strike from the capitals' top at the name's start to below its baseline at its end (7°), as a hurried
    voter or a photo's warp draws it: it left the letters' rows at both ends, was taken for ink around the name, and
    the ballot went to a person (bench/omr.py photos). The rows follow the ink's tilt."""
    page = Page(THREE, layout)
    for ballot in range(len(page.places)):
        for index, rise in ((0, 1), (1, -1)):
            line = page.geometry.names[index]
            s, y = line.font_size, line.baseline + 0.3 * line.font_size
            page.stroke(ballot, [(line.text.x0 - 3, y + rise * 0.65 * s), (line.text.x1 + 3, y - rise * 0.65 * s)])
    for read in page.read().ballots:
        assert _marks(read) == ["struck", "struck", "kept"] and read.decided


@pytest.mark.parametrize("side", [-1, 1])
@pytest.mark.parametrize("mark, stray", [("", False), ("dot", True), ("line_from_the_edge", True),
                                         ("dot_on_the_edge", True)])
def test_the_table_seen_past_a_crumpled_paper_s_edge_is_not_stray_ink_but_a_mark_beside_it_is(side, mark, stray):
    """A crumpled ballot photographed on a dark table: its side edge bulges in by up to 3.4 mm where the corners'
    homography puts the paper, and the table seen there was stray ink (bench/omr.py: 4 % of photos to a person).
    Ink in a run from the edge that ends within 4.5 mm, along 15 mm of the edge or more, is the table; a dot on the
    paper beside it, a line drawn in from the edge, or a dot touching the edge elsewhere is still stray."""
    page = Page(THREE)
    page.strike(0, 0)
    page.strike(0, 1)
    k = DPI / 72
    top, bottom = 140.0, 300.0  # points from the ballot's bottom: the side margin beside the names
    ys = np.linspace(top, bottom, 40)
    depth = 3.4 * MM * np.sin(np.pi * (ys - top) / (bottom - top))  # points in from the edge
    edge = 0.0 if side < 0 else BOX_W
    inner = [page.px(0, edge - side * d, y) for d, y in zip(depth, ys)]
    outer = [page.px(0, edge + side * 5, bottom), page.px(0, edge + side * 5, top)]
    cv2.fillPoly(page.image, [np.array(inner + outer, np.int32)], 70, cv2.LINE_AA)
    x = edge - side * 4.5 * MM  # 1 mm of paper between the table and a mark at the bulge's deepest
    if mark == "dot":
        cv2.circle(page.image, page.px(0, x, 220), round(0.9 * MM * k), 30, -1, cv2.LINE_AA)
    elif mark == "line_from_the_edge":
        page.stroke(0, [(edge, 180), (edge - side * 7 * MM, 182)])
    elif mark == "dot_on_the_edge":  # below the bulge
        cv2.circle(page.image, page.px(0, edge - side * 1.2 * MM, 100), round(2.2 * MM * k), 30, -1, cv2.LINE_AA)
    (read,) = page.read().ballots
    assert _marks(read) == ["struck", "struck", "kept"]
    assert read.stray_ink == stray and read.decided == (not stray)


def test_ink_outside_every_line_is_stray():
    page = Page(THREE)
    page.strike(0, 0)
    page.strike(0, 1)
    low = page.geometry.names[-1].band.y0
    page.stroke(0, [(150, low - 40), (200, low - 30)])  # a word written below the list
    (read,) = page.read().ballots
    assert _marks(read) == ["struck", "struck", "kept"] and read.stray_ink
    assert not read.decided and verdict(read, IDS, 1) is None
    page = Page(THREE)
    page.strike(0, 0)
    page.strike(0, 1)
    page.stroke(0, [(MARGIN / 2, 300), (MARGIN / 2 + 2, 330)])  # in the side margin
    (read,) = page.read().ballots
    assert read.stray_ink


@pytest.mark.parametrize("drop", [4.0, 6.0])
@pytest.mark.parametrize("blur", [0, 2.0])
def test_a_single_candidate_s_words_brought_down_by_a_warp_are_printed_not_stray_ink(drop, blur):
    """A crumpled photo brings the candidate's name and the boxes' labels `drop` points lower: the labels'
    descenders ("Không đồng ý") entered the zone beside the boxes, the name's the zone below it, and a plain X went
    to a person as stray ink (bench/omr.py: 74 of 10,208 ballots). The printed words are found where they are."""
    page = Page(("Trương Thị Mỹ Hạnh",))
    single = page.geometry.single
    assert single is not None
    label = page.geometry.choices[0].label_baseline
    (_, y0), (_, y1) = page.px(0, 0, single.band.y1), page.px(0, 0, label - 5)
    down = round(drop * DPI / 72)
    page.image[y0 + down:y1 + down] = page.image[y0:y1].copy()
    page.image[y0:y0 + down] = 255
    page.cross(0, 1)
    if blur:
        page.image = cv2.GaussianBlur(page.image, (0, 0), blur)
    (read,) = page.read().ballots
    assert _marks(read) == ["empty", "marked"] and not read.stray_ink and read.decided


@pytest.mark.parametrize("marked,expected", [((0,), ("agree", True, "valid")), ((1,), ("disagree", True, "valid")),
                                             ((0, 1), ("", False, "both_boxes")), ((), ("", False, "no_box"))])
def test_a_single_candidate_ballot_reads_its_boxes(marked, expected):
    page = Page(THREE[:1], "A4x2")
    for ballot in range(2):
        for choice in marked:
            page.cross(ballot, choice)
    for read in _by_text(page.read(), page.payloads):
        assert _marks(read) == ["marked" if i in marked else "empty" for i in range(2)]
        result = verdict(read, IDS[:1], 1)
        assert result is not None and (result.choice, result.valid, result.reason) == expected


@pytest.mark.parametrize("layout", ["A5", "A4x4"])
def test_a_line_through_a_single_candidates_name_sends_the_ballot_to_a_person(layout):
    """The one candidate's name is read against its printed glyphs (geometry.single): a line through it, or a tick
    beside it, is a mark the boxes do not say (R-B1: a person decides); a clean name leaves the boxes' verdict."""
    page = Page(THREE[:1], layout)
    name = page.geometry.single
    assert name is not None
    for ballot in range(len(page.places)):
        page.cross(ballot, 0)
    y = name.baseline + 0.3 * name.font_size
    page.stroke(0, [(name.text.x0 - 3, y - 1), (name.text.x1 + 3, y + 2)])  # struck through
    if len(page.places) > 1:
        x, s = name.text.x1 + 12, name.font_size
        page.stroke(1, [(x - 0.3 * s, name.baseline + 0.45 * s), (x, name.baseline),
                        (x + 0.5 * s, name.baseline + 0.95 * s)])  # ticked
    reads = _by_text(page.read(), page.payloads)
    marked = 2 if len(page.places) > 1 else 1
    for ballot, read in enumerate(reads):
        assert _marks(read) == ["marked", "empty"]
        assert read.stray_ink == (ballot < marked) and read.decided == (ballot >= marked), ballot
        result = verdict(read, IDS[:1], 1)
        assert (result is None) if ballot < marked else (result is not None and result.choice == "agree")


def test_refused_ballots_are_never_read_and_a_forged_qr_is_refused():
    page = Page(THREE, "A4x2")
    page.refuse[page.payloads[0]] = Refused("counted", "Phiếu này đã được kiểm.")
    result = page.read()
    assert [b.qr_text for b in result.ballots] == [page.payloads[1]]
    assert result.refused == ((page.payloads[0], "counted", "Phiếu này đã được kiểm."),)

    forged = Page(THREE)
    forged.payloads = (encode_payload(BallotPayload("ABCDEFGH", 41, new_serial()), b"another key"),)
    spec = _spec(THREE)
    out = io.BytesIO()
    render_ballots(spec, forged.payloads, out)
    image = np.array(pdfium.PdfDocument(out.getvalue())[0].render(scale=DPI / 72, grayscale=True).to_pil())
    result = forged.read(image)
    assert result.ballots == () and [(text, code) for text, code, _ in result.refused] == [(forged.payloads[0],
                                                                                             "forged")]


def test_a_ballot_printed_without_registration_marks_is_never_read():
    page = Page(THREE, version=None)
    page.refuse[page.payloads[0]] = Refused("no_geometry", "Phiếu in trước khi có đọc dấu: kiểm bằng cách chạm.")
    assert [code for _, code, _ in page.read().refused] == ["no_geometry"]
    page.refuse.clear()  # even if the caller gave its geometry, no marks: not located, refused, not guessed
    result = page.read()
    assert result.ballots == () and [code for _, code, _ in result.refused] == ["unreadable"]


def test_a_page_without_a_qr_reads_nothing():
    blank = np.full((1600, 1200), 235, np.uint8)
    cv2.putText(blank, "not a ballot", (100, 400), cv2.FONT_HERSHEY_SIMPLEX, 3, 20, 5)
    result = read_page(blank, lambda text: pytest.fail("no QR to verify"))
    assert result.ballots == () and result.refused == ()


def _encoded(image: np.ndarray, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format=fmt, **options)
    return out.getvalue()


def test_load_pages_reads_each_format_as_grey_pages():
    image, _ = _rendered(THREE, "A5")
    small = image[::2, ::2].copy()
    assert [p.shape for p in load_pages(_encoded(small, "PNG"))] == [small.shape]
    # A phone's JPEG stored sideways with its EXIF orientation: the page comes upright.
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    sideways = np.ascontiguousarray(np.rot90(small))
    (upright,) = load_pages(_encoded(sideways, "JPEG", quality=90, exif=exif.tobytes()))
    assert upright.shape == small.shape and upright.dtype == np.uint8
    frames = [Image.fromarray(small), Image.fromarray(255 - small)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    assert len(list(load_pages(out.getvalue()))) == 2
    pdf = io.BytesIO()
    render_ballots(_spec(THREE, "A6"), [encode_payload(BallotPayload("ABCDEFGH", 41, new_serial()), SECRET)] * 2,
                   pdf)
    pages = list(load_pages(pdf.getvalue()))
    assert len(pages) == 2 and pages[0].ndim == 2 and pages[0].shape[1] == round(105 / 25.4 * 200)


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares width×height but holds almost no data (a decompression bomb's header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_load_pages_refuses_bombs_and_garbage_without_decoding_them():
    with pytest.raises(ValueError):
        list(load_pages(_png_header(60_000, 60_000)))
    with pytest.raises(ValueError):
        list(load_pages(b"\x00garbage" * 100))
    with pytest.raises(ValueError):
        list(load_pages(b""))
    with pytest.raises(ValueError):
        list(load_pages(_png_header(2000, 2000)))  # a truncated image: refused, not a crash
    tiny = Image.new("L", (8, 8), 255)
    out = io.BytesIO()
    tiny.save(out, format="TIFF", save_all=True, append_images=[tiny] * MAX_PAGES)
    with pytest.raises(ValueError, match="trang"):
        list(load_pages(out.getvalue()))
    with pytest.raises(ValueError):
        list(load_pages(b"%PDF-1.4 broken"))


def _read(marks: Sequence[str], stray: bool = False) -> BallotRead:
    lines = tuple(LineRead(i, mark, 0.9, (0, 0, 1, 1)) for i, mark in enumerate(marks))  # type: ignore[arg-type]
    return BallotRead("DT2.X", lines, stray, np.zeros((1, 1), np.uint8))


def test_verdict_applies_r_b1_to_a_decided_read_and_leaves_the_rest_to_a_person():
    assert verdict(_read(["struck", "kept", "struck"]), IDS, 1).__dict__ == {"valid": True, "choice": "12",
                                                                             "reason": "valid"}
    assert verdict(_read(["kept", "kept", "struck"]), IDS, 1).__dict__ == {"valid": False, "choice": "",
                                                                           "reason": "too_many_kept"}
    assert verdict(_read(["struck"] * 3), IDS, 1).__dict__ == {"valid": False, "choice": "",
                                                               "reason": "no_name_kept"}
    assert verdict(_read(["marked", "marked"]), IDS[:1], 1) == Verdict(False, "", "both_boxes")
    assert verdict(_read(["empty", "marked"]), IDS[:1], 1).__dict__ == {"valid": True, "choice": "disagree",
                                                                        "reason": "valid"}
    assert verdict(_read(["struck", "unclear", "struck"]), IDS, 1) is None
    assert verdict(_read(["struck", "kept", "struck"], stray=True), IDS, 1) is None


DATA = Path(__file__).parent / "data"


def _photographed(fixture: str, top: int) -> np.ndarray:
    """The darkness of a ballot rectified from a generated phone photo (bench/omr.py --seed 11), of which the names'
    rows were kept (tests/data): pasted back at their place on plain paper."""
    rows = cv2.imread(str(DATA / fixture), cv2.IMREAD_GRAYSCALE)
    full = np.full((round(BOX_H * 2), round(BOX_W * 2)), int(np.percentile(rows, 99)), np.uint8)
    full[top:top + rows.shape[0]] = rows
    return darkness(full)


@pytest.mark.parametrize("fixture,names,layout,test,resolution,struck", [
    # a pencil line of 0.31 mm through the lower half of the first name, JPEG 41, on a dark table (seed 11)
    ("omr-pencil-lower-half.png", ("Đặng Văn Ước", "Hồ Thị Lý", "Mai Thị Hoa"), "A4x2", False, 2.47, (0, 2)),
    # a black 0.32 mm line through "Mai Thị" (a partial strike), a 5 px motion blur, a test ballot (seed 11)
    ("omr-partial-motion-blur.png", ("Huỳnh Thị Thanh Xuân", "Mai Thị Hoa"), "A4x2", True, 1.83, (1,)),
    # a dark-blue line through "Đỗ Văn" (half the name), seen only in the gaps between letters (seed 2)
    ("omr-partial-two-words.png", ("Trần Đình Quốc Khánh", "Phạm Nguyễn Hoàng Bảo Ngọc", "Đỗ Văn An"), "A5", False,
     2.27, (1, 2)),
    # a blue 0.67 mm strike through "Võ Văn Út" smeared by a vertical 5 px motion blur: its letters look fatter than
    # the other name's, and the fat template hid the line (seed 19)
    ("omr-motion-blur-fat-letters.png", ("Võ Văn Út", "Lê Văn Tư"), "A6", False, 2.54, (0,)),
    # a blue 0.34 mm strike through "Đỗ Văn An" on a 145 dpi photo with a 5 px motion blur: no pixel of it passes for
    # ink, only the gaps between the words show it (bench/omr.py --ballots 10000 --seed 12)
    ("omr-thin-blue-low-resolution.png", ("Đỗ Văn An", "Ngô Thị Nga"), "A5", False, 2.0, (0,)),
])
def test_a_thin_strike_half_hidden_by_blurred_letters_is_never_read_kept(fixture, names, layout, test, resolution,
                                                                         struck):
    place = ("Tân Lập", "Hòa Bình", "") if layout == "A6" else ("An Phú", "Bình Hải", "Bình Sơn")
    spec = BallotSheetSpec("Nhiệm kỳ 2025 – 2030", place[0], place[1], date(2025, 6, 1), names,
                           district_name=place[2], layout=layout, test=test)
    geometry = ballot_geometry(spec)
    reads = decide_names(_photographed(fixture, 497), geometry, test, resolution)
    for line in reads:
        assert line.mark in (("struck", "unclear") if line.index in struck else ("kept", "unclear")), line


def test_a_label_circled_instead_of_its_box_goes_to_a_person():
    page = Page(THREE[:1], "A5")
    choice = page.geometry.choices[1]  # "Không đồng ý", circled tightly (1.5 mm beyond its ends)
    cx, cy = (choice.box.x0 + choice.box.x1) / 2, choice.label_baseline + 4
    t = np.linspace(0, 2.1 * math.pi, 50)
    page.stroke(0, list(zip(cx + 16 * 72 / 25.4 * np.cos(t), cy + 3.4 * 72 / 25.4 * np.sin(t))), 0.5)
    (read,) = page.read().ballots
    assert _marks(read) == ["empty", "empty"] and read.stray_ink
    assert verdict(read, IDS[:1], 1) is None
    (clean,) = Page(THREE[:1], "A5").read().ballots
    assert not clean.stray_ink
