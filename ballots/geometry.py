"""Where everything a reader of marks needs is printed on a ballot: one pure function of the ballot's design.

The ballot is drawn in one design box (an A5 portrait page, in points); the A6 and A4×2/A4×4 layouts place that box
scaled, so the geometry below is the same for every layout, in design-box points with the origin at the box's
bottom-left corner and y upwards (as the PDF draws it). ballots/pdf.py draws from it, so the two cannot disagree.

What it depends on: whether there is one candidate (agree / disagree boxes) or several (names struck through), the
names as printed and their order, the seats and whether it is a test ballot; all of it is in the ballot's sheet spec,
which the server rebuilds from the poll the QR names (the QR's election hash proves the candidates are the printed
ones). It does not depend on the commune's or hamlet's names: those only fill the top of the ballot.

GEOMETRY_VERSION is printed on nothing: a batch records the version its ballots were drawn with
(ballots.models.BallotBatch.geometry_version); a batch printed before reading marks existed has none, prints as it
did, and is counted with taps. Version 1 adds three registration marks (filled squares at the corners other than the
QR's, which its finder patterns mark) and moves nothing else. A one-candidate ballot's name is described too
(BallotGeometry.single: its glyphs' box and its line), so a reader measures a line through it against the glyphs;
describing it moved nothing (the PDFs are byte-identical). So is a list's title (BallotGeometry.title), whose
descenders sit just above the first name's line: a reader takes its glyphs for printed, not for a voter's ink.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth

from core.fonts import BOLD, ITALIC, nfc, register_fonts

GEOMETRY_VERSION = 1

BOX_W, BOX_H = A5
MARGIN = 10 * mm
QR_SIZE = 26 * mm
STAMP_W, STAMP_H = 38 * mm, 26 * mm
BAND_H = 11 * mm
MARK_SIZE = 3.5 * mm  # a registration mark's side: 2.5 mm on an A6 ballot
MARK_INSET = 5.5 * mm  # from the design box's edges: clear of the printer's unprintable border on A4×4 (×0.71)

INSTRUCTION_SEVERAL = (
    "Cử tri đồng ý bầu người nào thì giữ nguyên họ tên người đó; không đồng ý người nào "
    "thì gạch ngang cả họ và tên người đó."
)
INSTRUCTION_SINGLE = (
    "Cử tri đồng ý bầu người có tên dưới đây thì đánh dấu (X) vào ô “Đồng ý”; không đồng ý "
    "thì đánh dấu (X) vào ô “Không đồng ý”. Chỉ đánh dấu vào một ô."
)
AGREE = "Đồng ý"
DISAGREE = "Không đồng ý"
CHOICE_BOX = 8 * mm
LABEL_SIZE = 12.0  # points: the boxes' labels, bold, centred over each box
LIST_TITLE = "Danh sách người ứng cử (bầu {seats} người)"  # several candidates: above the names, bold, centred
LIST_TITLE_SIZE = 10.0


class Design(Protocol):
    """What the geometry reads from a ballot's sheet spec (ballots.pdf.BallotSheetSpec)."""

    @property
    def candidates(self) -> tuple[str, ...]: ...

    @property
    def seats(self) -> int: ...

    @property
    def test(self) -> bool: ...


@dataclass(frozen=True)
class Rect:
    """A rectangle in design-box points, origin bottom-left, y upwards."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class NameLine:
    """One candidate's printed name, which the voter strikes through to reject them."""

    index: int  # the name's place on the ballot, from 0 (the candidate list's order)
    name: str
    font_size: float
    baseline: float
    text: Rect  # the glyphs' box: from the baseline minus the descent to the baseline plus the ascent
    band: Rect  # the name's line: its share of the list, half-way to its neighbours; a mark in it is about this name


@dataclass(frozen=True)
class ChoiceBox:
    """One of the two boxes of a single-candidate ballot."""

    choice: str  # "agree" or "disagree" (as ballots.scanning's choices)
    label: str
    label_baseline: float
    box: Rect


@dataclass(frozen=True)
class Sections:
    """The vertical places of the ballot's parts, from the top (heading) down to the names."""

    heading: float
    term: float
    place: float
    date: float
    instruction_lines: tuple[str, ...]
    instruction_box: Rect
    instruction_first_baseline: float
    list_title: float  # the "Danh sách người ứng cử" line (several candidates) or the name (one candidate)
    bottom: float  # the lowest y the names may use (above the test band)


@dataclass(frozen=True)
class BallotGeometry:
    version: int
    box: Rect
    qr: Rect  # the QR symbol without its quiet zone
    marks: tuple[Rect, ...]  # top-left, bottom-left, bottom-right
    names: tuple[NameLine, ...]  # several candidates: one per name, in printed order
    choices: tuple[ChoiceBox, ...]  # one candidate: agree, disagree
    seats: int
    single: NameLine | None = None  # one candidate: the printed name (a line through it is read as a mark: a person looks)
    title: NameLine | None = None  # several candidates: the list's title above the first name (index -1)

    def as_dict(self) -> dict[str, Any]:
        """The machine-readable form (JSON): points, origin at the design box's bottom-left corner, y upwards."""
        data = asdict(self)
        data.update(unit="pt", origin="bottom-left")
        return data


def sections(design: Design) -> Sections:
    """The y of each part of the ballot (shared by the drawing and the geometry)."""
    register_fonts()
    top = BOX_H - MARGIN
    inner_w = BOX_W - 2 * MARGIN
    heading = top - STAMP_H - 14 * mm  # below the serial printed under the QR
    term = heading - 17
    place = term - 16
    when = place - 14
    y = when - 9 * mm
    single = len(design.candidates) == 1
    instruction = INSTRUCTION_SINGLE if single else INSTRUCTION_SEVERAL
    lines = tuple(simpleSplit(nfc(instruction), ITALIC, 9, inner_w - 6 * mm))
    box_h = len(lines) * 11.5 + 4 * mm
    box = Rect(MARGIN, y - box_h + 4 * mm, MARGIN + inner_w, y + 4 * mm)
    first = y + 4 * mm - 2 * mm - 9
    bottom = MARGIN + (BAND_H + 4 * mm if design.test else 0)
    return Sections(heading, term, place, when, lines, box, first, y - box_h - 6 * mm, bottom)


def fit_size(text: str, font: str, size: float, width: float) -> float:
    """The font size, at most `size`, at which `text` fits in `width`."""
    natural = stringWidth(text, font, size)
    return size if natural <= width else size * width / natural


def _names(design: Design, top: float, bottom: float) -> tuple[NameLine, ...]:
    inner_w = BOX_W - 2 * MARGIN
    names = [nfc(n) for n in design.candidates]
    y = top - 8 * mm
    pitch = min(15 * mm, (y - bottom) / len(names))
    size = min(15.0, pitch * 0.55, *(fit_size(n, BOLD, 15, inner_w - 10 * mm) for n in names))
    block_w = max(stringWidth(n, BOLD, size) for n in names)
    x = (BOX_W - block_w) / 2
    ascent, descent = getAscentDescent(BOLD, size)
    lines = []
    for index, name in enumerate(names):
        baseline = y - size * 0.4
        # The band: from half-way to the line above to half-way to the line below (the x-height's middle is the
        # line's centre: the names sit `pitch` apart).
        centre = baseline + size * 0.3
        lines.append(NameLine(index, name, size, baseline,
                              Rect(x, baseline + descent, x + stringWidth(name, BOLD, size), baseline + ascent),
                              Rect(MARGIN, centre - pitch / 2, BOX_W - MARGIN, centre + pitch / 2)))
        y -= pitch
    return tuple(lines)


def _choices(top: float) -> tuple[ChoiceBox, ...]:
    y = top - 8 * mm - 18 * mm
    return tuple(ChoiceBox(choice, label, y, Rect(centre - CHOICE_BOX / 2, y - CHOICE_BOX - 4 * mm,
                                                  centre + CHOICE_BOX / 2, y - 4 * mm))
                 for choice, label, centre in (("agree", AGREE, BOX_W * 0.3), ("disagree", DISAGREE, BOX_W * 0.7)))


SINGLE_NAME = 16.0  # points at most: the one candidate's name, centred 8 mm below where a list's title would be


def _single(design: Design, list_title: float) -> NameLine:
    """The one candidate's name as printed above the boxes: centred, at most SINGLE_NAME points, fitted to the
    width; its band reaches a third of the font size beyond the glyphs (the boxes' labels are 18 mm lower)."""
    name = nfc(design.candidates[0])
    size = fit_size(name, BOLD, SINGLE_NAME, BOX_W - 2 * MARGIN - 10 * mm)
    width = stringWidth(name, BOLD, size)
    baseline = list_title - 8 * mm
    ascent, descent = getAscentDescent(BOLD, size)
    x = BOX_W / 2 - width / 2
    return NameLine(0, name, size, baseline, Rect(x, baseline + descent, x + width, baseline + ascent),
                    Rect(MARGIN, baseline + descent - size / 3, BOX_W - MARGIN, baseline + ascent + size / 3))


def centred_line(text: str, size: float, baseline: float, centre: float = BOX_W / 2) -> NameLine:
    """Printed words that are not a candidate (index -1: the list's title, a box's label), bold, centred on
    `centre`, as a line a reader aligns on the scan; its band is its glyphs' box."""
    text = nfc(text)
    width = stringWidth(text, BOLD, size)
    ascent, descent = getAscentDescent(BOLD, size)
    glyphs = Rect(centre - width / 2, baseline + descent, centre + width / 2, baseline + ascent)
    return NameLine(-1, text, size, baseline, glyphs, glyphs)


def _title(seats: int, list_title: float) -> NameLine:
    """The list's title as printed: centred, LIST_TITLE_SIZE points at most, fitted to the inner width."""
    text = nfc(LIST_TITLE.format(seats=seats))
    return centred_line(text, fit_size(text, BOLD, LIST_TITLE_SIZE, BOX_W - 2 * MARGIN), list_title)


def registration_marks() -> tuple[Rect, ...]:
    """Top-left, bottom-left, bottom-right (the top-right corner is the QR's)."""
    near, far = MARK_INSET, MARK_INSET + MARK_SIZE
    return (Rect(near, BOX_H - far, far, BOX_H - near), Rect(near, near, far, far),
            Rect(BOX_W - far, near, BOX_W - near, far))


def qr_rect() -> Rect:
    left, top = BOX_W - MARGIN - QR_SIZE, BOX_H - MARGIN
    return Rect(left, top - QR_SIZE, left + QR_SIZE, top)


def ballot_geometry(design: Design) -> BallotGeometry:
    """The geometry of a ballot drawn from `design` at GEOMETRY_VERSION."""
    parts = sections(design)
    single = len(design.candidates) == 1
    return BallotGeometry(
        version=GEOMETRY_VERSION, box=Rect(0, 0, BOX_W, BOX_H), qr=qr_rect(), marks=registration_marks(),
        names=() if single else _names(design, parts.list_title, parts.bottom),
        choices=_choices(parts.list_title) if single else (), seats=design.seats,
        single=_single(design, parts.list_title) if single else None,
        title=None if single else _title(design.seats, parts.list_title))
