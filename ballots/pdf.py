"""Paper ballots for a hamlet-chief election, drawn with the reportlab canvas.

One ballot design sized for A5 portrait; A6 and four-up A4 use it scaled by 1/√2. Everything that
is the same on every ballot of a batch (heading, stamp area, instructions, names, test band) is
drawn once into a PDF form XObject and placed per ballot, so each ballot costs only its QR (one
filled path of integer rectangles) and its serial: that is what makes thousands per minute possible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO, Literal

from reportlab.lib.pagesizes import A4, A5, A6, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ballots.geometry import (
    BAND_H,
    BOX_H,
    BOX_W,
    GEOMETRY_VERSION,
    LABEL_SIZE,
    MARGIN,
    QR_SIZE,
    STAMP_H,
    STAMP_W,
    ballot_geometry,
    fit_size,
    registration_marks,
    sections,
)
from ballots.qr import payload_serial, short_code
from core.fonts import BOLD, ITALIC, REGULAR, nfc, register_fonts
from core.qr import qr_matrix

Layout = Literal["A5", "A6", "A4x2", "A4x4"]
LAYOUTS: tuple[str, ...] = ("A5", "A6", "A4x2", "A4x4")

TEST_BAND_TEXT = "PHIẾU THỬ – KHÔNG CÓ GIÁ TRỊ"
STAMP_LABEL = "Dấu của Tổ bầu cử"
# R-B1 (source uncertain, national-election analogy): how the voter marks the ballot: ballots.geometry's
# INSTRUCTION_SEVERAL and INSTRUCTION_SINGLE.
CODE_SIZE = 10.5  # the short code under the QR, in points
_FORM = "ballot"
_TEST_RED = (0.78, 0.08, 0.08)


@dataclass(frozen=True)
class BallotSheetSpec:
    """Everything printed on the ballots of one hamlet's election (no database objects)."""

    term_label: str  # e.g. "Nhiệm kỳ 2022 – 2025"
    hamlet_name: str  # e.g. "An Phú"
    commune_name: str  # e.g. "Bình Hải"
    election_date: date
    candidates: tuple[str, ...]  # full names, in the order printed
    hamlet_kind: str = "Thôn"  # or "Tổ dân phố"
    commune_kind: str = "Xã"  # or "Thị trấn", "Phường"
    district_name: str = ""  # empty where districts no longer exist
    district_kind: str = "Huyện"
    title: str = ""  # default: "PHIẾU BẦU TRƯỞNG THÔN" / "PHIẾU BẦU TỔ TRƯỞNG TỔ DÂN PHỐ"
    seats: int = 1
    layout: Layout = "A5"
    test: bool = False
    geometry_version: int | None = GEOMETRY_VERSION  # None: as printed before reading marks (no registration marks)

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown ballot layout: {self.layout!r}")
        if not self.candidates:
            raise ValueError("a ballot needs at least one candidate")  # R-V3
        if not 1 <= self.seats <= len(self.candidates):
            raise ValueError("seats must be between 1 and the number of candidates")
        if self.geometry_version not in (None, GEOMETRY_VERSION):
            raise ValueError(f"unknown ballot geometry: {self.geometry_version!r}")

    @property
    def heading(self) -> str:
        if self.title:
            return self.title
        if self.hamlet_kind.lower() == "tổ dân phố":
            return "PHIẾU BẦU TỔ TRƯỞNG TỔ DÂN PHỐ"
        return "PHIẾU BẦU TRƯỞNG THÔN"

    @property
    def place_line(self) -> str:
        parts = [f"{self.hamlet_kind} {self.hamlet_name}", f"{self.commune_kind.lower()} {self.commune_name}"]
        if self.district_name:
            parts.append(f"{self.district_kind.lower()} {self.district_name}")
        return ", ".join(parts)


@dataclass(frozen=True)
class _Grid:
    page: tuple[float, float]
    cells: tuple[tuple[float, float], ...]  # lower-left corner of each ballot cell
    cell: tuple[float, float]
    scale: float


def _grid(layout: str) -> _Grid:
    if layout == "A5":
        return _Grid(A5, ((0.0, 0.0),), A5, 1.0)
    if layout == "A6":
        return _Grid(A6, ((0.0, 0.0),), A6, A6[0] / BOX_W)
    if layout == "A4x2":  # two A5 portrait ballots side by side on landscape A4
        page = landscape(A4)
        w, h = page[0] / 2, page[1]
        return _Grid(page, ((0.0, 0.0), (w, 0.0)), (w, h), min(w / BOX_W, h / BOX_H))
    page = A4  # A4x4: four A6-sized ballots, reading order top-left, top-right, ...
    w, h = page[0] / 2, page[1] / 2
    cells = ((0.0, h), (w, h), (0.0, 0.0), (w, 0.0))
    return _Grid(page, cells, (w, h), min(w / BOX_W, h / BOX_H))


def placements(layout: str) -> tuple[tuple[float, float, float], ...]:
    """Where each ballot's design box lies on a page of `layout`, in reading order: (x, y, scale) of its bottom-left
    corner in page points (what a reader of a whole scanned page needs, with ballots.geometry)."""
    grid = _grid(layout)
    cw, ch = grid.cell
    off_x, off_y = (cw - BOX_W * grid.scale) / 2, (ch - BOX_H * grid.scale) / 2
    return tuple((cx + off_x, cy + off_y, grid.scale) for cx, cy in grid.cells)


def _centred(c: Canvas, text: str, font: str, size: float, y: float, width: float = BOX_W - 2 * MARGIN) -> None:
    text = nfc(text)
    c.setFont(font, fit_size(text, font, size, width))
    c.drawCentredString(BOX_W / 2, y, text)


def _draw_static(c: Canvas, spec: BallotSheetSpec) -> None:
    """The part of a ballot that is the same on every ballot of the batch, in design-box units."""
    top = BOX_H - MARGIN

    if spec.test:  # watermark first, so everything else is drawn over it
        c.saveState()
        c.setFillColorRGB(0.97, 0.86, 0.86)
        c.translate(BOX_W / 2, BOX_H * 0.4)
        c.rotate(35)
        c.setFont(BOLD, 44)
        c.drawCentredString(0, 0, nfc("PHIẾU THỬ"))
        c.restoreState()

    # Stamp area (top left): the election team stamps every ballot it hands out.
    c.saveState()
    c.setStrokeColorRGB(0.45, 0.45, 0.45)
    c.setLineWidth(0.6)
    c.setDash(2, 2)
    c.roundRect(MARGIN, top - STAMP_H, STAMP_W, STAMP_H, 3 * mm)
    c.restoreState()
    c.setFillColorRGB(0.4, 0.4, 0.4)
    c.setFont(ITALIC, 7.5)
    c.drawCentredString(MARGIN + STAMP_W / 2, top - STAMP_H + 3 * mm, nfc(f"({STAMP_LABEL})"))
    c.setFillColorRGB(0, 0, 0)

    # Issuer (top middle, between stamp and QR).
    mid_x0 = MARGIN + STAMP_W + 3 * mm
    mid_w = BOX_W - MARGIN - QR_SIZE - 5 * mm - mid_x0  # clear of the QR's quiet zone
    mid_c = mid_x0 + mid_w / 2
    issuer = [
        (REGULAR, f"{spec.commune_kind} {spec.commune_name}".upper()),
        (BOLD, f"TỔ BẦU CỬ {spec.hamlet_kind} {spec.hamlet_name}".upper()),
    ]
    y = top - 5 * mm
    for font, text in issuer:
        for line in simpleSplit(nfc(text), font, 8, mid_w):
            c.setFont(font, 8)
            c.drawCentredString(mid_c, y, line)
            y -= 10
    c.setLineWidth(0.5)
    c.line(mid_c - 8 * mm, y + 5, mid_c + 8 * mm, y + 5)

    # Heading.
    parts = sections(spec)
    _centred(c, spec.heading, BOLD, 17, parts.heading)
    _centred(c, spec.term_label, BOLD, 11.5, parts.term)
    _centred(c, spec.place_line, REGULAR, 10.5, parts.place)
    d = spec.election_date
    _centred(c, f"Ngày bầu cử: ngày {d.day} tháng {d.month} năm {d.year}", ITALIC, 9.5, parts.date)

    # Instructions, in a light frame.
    frame = parts.instruction_box
    c.setStrokeColorRGB(0.6, 0.6, 0.6)
    c.setLineWidth(0.5)
    c.rect(frame.x0, frame.y0, frame.width, frame.height, stroke=1, fill=0)
    c.setStrokeColorRGB(0, 0, 0)
    c.setFont(ITALIC, 9)
    ty = parts.instruction_first_baseline
    for line in parts.instruction_lines:
        c.drawString(MARGIN + 3 * mm, ty, line)
        ty -= 11.5

    if len(spec.candidates) == 1:
        _draw_single(c, spec)
    else:
        geometry = ballot_geometry(spec)
        assert geometry.title is not None
        _centred(c, geometry.title.name, BOLD, geometry.title.font_size, geometry.title.baseline)
        for line in geometry.names:
            c.setFont(BOLD, line.font_size)
            c.drawString(line.text.x0, line.baseline, line.name)
    if spec.test:
        c.setFillColorRGB(*_TEST_RED)
        c.rect(0, MARGIN - 4 * mm, BOX_W, BAND_H, stroke=0, fill=1)
        c.setFillColorRGB(1, 1, 1)
        _centred(c, TEST_BAND_TEXT, BOLD, 14, MARGIN - 4 * mm + BAND_H / 2 - 5)
        c.setFillColorRGB(0, 0, 0)

    if spec.geometry_version is not None:  # last, each on white: the test band must not cover nor touch them
        quiet = 1.5 * mm
        for mark in registration_marks():
            c.setFillColorRGB(1, 1, 1)
            c.rect(mark.x0 - quiet, mark.y0 - quiet, mark.width + 2 * quiet, mark.height + 2 * quiet, stroke=0, fill=1)
            c.setFillColorRGB(0, 0, 0)
            c.rect(mark.x0, mark.y0, mark.width, mark.height, stroke=0, fill=1)


def _draw_single(c: Canvas, spec: BallotSheetSpec) -> None:
    geometry = ballot_geometry(spec)
    name = geometry.single
    assert name is not None  # one candidate
    c.setFont(BOLD, name.font_size)
    c.drawCentredString(BOX_W / 2, name.baseline, name.name)
    c.setLineWidth(1)
    c.setFont(BOLD, LABEL_SIZE)
    for choice in geometry.choices:
        c.drawCentredString((choice.box.x0 + choice.box.x1) / 2, choice.label_baseline, nfc(choice.label))
        c.rect(choice.box.x0, choice.box.y0, choice.box.width, choice.box.height, stroke=1, fill=0)


def _qr_literal(matrix: list[list[bool]]) -> str:
    """PDF operators filling the dark modules, one rectangle per horizontal run, in module units."""
    ops: list[str] = []
    for row_no, row in enumerate(matrix):
        x = 0
        n = len(row)
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                ops.append(f"{start} {row_no} {x - start} 1 re")
            else:
                x += 1
    ops.append("f")
    return "\n".join(ops)


def _draw_variable(c: Canvas, payload: str) -> None:
    """The QR and short code of one ballot, in design-box units."""
    matrix = qr_matrix(payload)
    module = QR_SIZE / len(matrix)
    left = BOX_W - MARGIN - QR_SIZE
    top = BOX_H - MARGIN
    c.saveState()
    # Module (0, 0) is the top-left corner; y grows downwards in module units.
    c.transform(module, 0, 0, -module, left, top)
    c.addLiteral(_qr_literal(matrix))
    c.restoreState()
    # The short code (serial + check character) for typing where no camera reads the QR; 6.5 mm down keeps the
    # text out of the QR's quiet zone (4 modules ≈ 3.6 mm), large enough to read on an A6 ballot (×0.71).
    label, code = "Mã: ", short_code(payload_serial(payload))
    width = stringWidth(label, REGULAR, 8) + stringWidth(code, BOLD, CODE_SIZE)
    x = min(left + (QR_SIZE - width) / 2, BOX_W - MARGIN / 2 - width)
    y = top - QR_SIZE - 6.5 * mm
    c.setFont(REGULAR, 8)
    c.drawString(x, y, label)
    c.setFont(BOLD, CODE_SIZE)
    c.drawString(x + stringWidth(label, REGULAR, 8), y, code)


def _draw_cut_marks(c: Canvas, grid: _Grid) -> None:
    c.saveState()
    c.setStrokeColorRGB(0.55, 0.55, 0.55)
    c.setLineWidth(0.4)
    c.setDash(4, 3)
    page_w, page_h = grid.page
    for x in {x for x, _ in grid.cells if x > 0}:
        c.line(x, 0, x, page_h)
    for y in {y for _, y in grid.cells if y > 0}:
        c.line(0, y, page_w, y)
    c.restoreState()


def render_ballots(
    spec: BallotSheetSpec,
    payloads: Iterable[str],
    out: BinaryIO,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write one ballot per payload string to `out` as PDF; returns the number of pages.

    `progress(done, total)` is called after each page.
    """
    register_fonts()
    texts = list(payloads)
    if not texts:
        raise ValueError("no ballots to print")
    grid = _grid(spec.layout)
    per_page = len(grid.cells)
    c = Canvas(out, pagesize=grid.page, pageCompression=1, invariant=1)
    c.setTitle(nfc(f"{spec.heading} – {spec.place_line}"))
    c.setCreator("Dân tin")

    c.beginForm(_FORM, 0, 0, BOX_W, BOX_H)
    _draw_static(c, spec)
    c.endForm()

    pages = math.ceil(len(texts) / per_page)
    for page_no in range(pages):
        chunk = texts[page_no * per_page : (page_no + 1) * per_page]
        if per_page > 1:
            _draw_cut_marks(c, grid)
        for (x, y, scale), payload in zip(placements(spec.layout), chunk):
            c.saveState()
            c.translate(x, y)
            if scale != 1.0:
                c.scale(scale, scale)
            c.doForm(_FORM)
            _draw_variable(c, payload)
            c.restoreState()
        c.showPage()
        if progress is not None:
            progress(min((page_no + 1) * per_page, len(texts)), len(texts))
    c.save()
    return pages
