"""Deciding each line of a rectified ballot: ink measured against what the geometry says is printed.

Several candidates: the names' glyphs are rendered from the geometry (the same font, size and place as the PDF) and
aligned on the scan line by line; ink beyond them is the voter's. A strike is a long, thin, mostly horizontal run of
that ink through the name's letters (from just under the baseline to the capitals' height) covering at least half the
name's width; any other ink in a name's line (a tick, a circle, a dot, an underline, a strike through too little of
the name) leaves the line unclear: a person decides. One candidate: ink inside a box, beyond its printed outline.
Ink where nothing is printed and no mark belongs (below the list, in the side margins) is stray ink: a person looks
(R-B1: a name or text added may identify the voter).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from ballots.geometry import (
    BAND_H,
    BOX_H,
    BOX_W,
    LABEL_SIZE,
    MARGIN,
    QR_SIZE,
    BallotGeometry,
    NameLine,
    Rect,
    centred_line,
    registration_marks,
)
from ballots.omr import LineRead
from ballots.omr.locate import SCALE, rect_px
from core.fonts import BOLD, font_bytes

INK = 0.78  # a pixel darker than this share of its paper's light is ink (a light pencil: ~0.65)
MM = mm * SCALE  # rectified pixels per millimetre
SPECK = 0.12 * MM * MM * 4  # ink components smaller than ~0.5 mm² are dust or JPEG noise
LINE_NOISE = 1.2 * MM * MM  # ink beyond the printed name, in its line, below which the line is clean (a tick: ~2 mm²)
STRUCK_AT = 0.5  # a strike covering this share of the name's width or more strikes it
STRIKE_MARGIN = 0.05  # a coverage closer than this above STRUCK_AT is unclear
STRIKE_INSIDE = 0.85  # a strike's ink lies in the letters' rows (a circle's lies around them)
COARSE_RESOLUTION = 1.9  # source pixels per point (~137 dpi on an A5 ballot) and
COARSE_BLUR = 3.0  # blur (sigma, rectified pixels) together below/above which a name is never decided "kept"
# (2.5 sent 7 % of photos to a person; with KEPT_RUN, KEPT_CORE and FATTER, 3.0 made no wrong read on 11,226 ballots)
FAINT = 0.07  # darkness, averaged along a row over FAINT_RUN pixels beside the letters, of a faint line
FAINT_RUN = 31
FAINT_TEST = 0.16  # on a test ballot, whose pale watermark ("PHIẾU THỬ", darkness ~0.11) crosses the names
FAINT_NOISE = 2.0 * MM * MM  # faint ink beside the letters, in their rows, beyond which a line is not clean
KEPT_RUN = 0.25  # a kept name has no run of ink bits (a strike seen between blurred letters) across this share
KEPT_CORE = 0.5 * MM * MM  # nor more ink than this in the letters' rows (a strike seen in a gap or two)
FATTER = 0.85  # a name whose letters fit a blur this much above the sharpest name's is never kept (a strike
# along its letters made them look blurred, and their blurred template hid it)
FULL_STRIKE = 0.9  # a strike across this share of the name or more; a shorter one needs the name found well:
PARTIAL_FOUND = 0.93  # (bits of a badly fitted name's letters could pass for a partial strike)
SPACE_MIN = 0.1  # font sizes: a blank gap this wide between letters (a word's space: 4–5 px) is one a strike crosses
GAP_LINE = 0.12  # a kept name's gaps between letters have no row this much darker than their median row
SPACES_CROSSED = 0.5  # a struck name's run crosses the middle of at least this share of the gaps it spans
STRIKE_DENSITY = 0.3  # pixels of ink a column at least, over the strike's run (bits of blurred letters leave less)
CORE = (-0.3, 0.88)  # the letters' rows, from the baseline, in font sizes (a strike runs through them)
MAX_TILT = 0.15  # rows per column: the letters' rows follow the ink's tilt across the name up to this (8.5°)
SKIP = 0.4  # a strike is followed over a gap this wide (font sizes) even where nothing hides it (a pen skipping)
HIDDEN_GAP = 6.0  # a strike is followed under printed letters for at most this many font sizes (a long word)
TITLE_CLEARANCE = 3.0  # points at the first line's top where the list's title may reach
STRAY = 2.0 * MM * MM  # ink outside every line and box beyond this is stray
EDGE_DEPTH = 4.5 * MM  # the table seen past a warped paper's side edge reaches this far in (3.4 mm seen on photos)
EDGE_ALONG = 15 * MM  # and runs along the edge at least this far (a warp is smooth; a cut line's dash is 3 mm)
BOX_MARKED, BOX_EMPTY = 0.03, 0.006  # ink share of a box's inside: marked at or above, empty at or below
BOX_REACH = 14  # pixels each way a box's printed outline is searched for
BOX_OUTLINE = 0.6  # the share of the outline found dark for the box to be where it should be
PRINTED_FOUND = 0.85  # the share of the name's printed strokes found dark for the line to be where it should be
ALIGN = 6  # pixels each way a name's glyphs are searched for around where the homography puts them, and
ALIGN_FAR = 10  # farther when the best place was at the search's edge
PIECE = 2.5  # font sizes: the width of the pieces a long word is aligned in
WORD_REACH = 5  # and each word within ±WORD_REACH of where the whole name fits best


def _font(size_px: float) -> ImageFont.FreeTypeFont:
    return _font_at(round(size_px * 4) / 4)


@lru_cache(maxsize=32)
def _font_at(size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(font_bytes("bold")), size=size_px, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=256)
def _glyphs(line: NameLine) -> tuple[np.ndarray, int, int, tuple[tuple[int, int, int, int], ...]]:
    """The name as printed, rendered at SCALE: (darkness 0…1, left, top, each word's box in it), padded by ALIGN.

    Each word is placed where reportlab puts it (its advance widths), so a long name does not drift."""
    x0, y0, x1, y1 = rect_px(line.text)
    pad = ALIGN + 2
    canvas = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 0)
    draw = ImageDraw.Draw(canvas)
    font = _font(line.font_size * SCALE)
    baseline = (BOX_H - line.baseline) * SCALE - y0 + pad
    words = []
    at = 0
    for word in line.name.split(" "):
        if word:
            x = (line.text.x0 + stringWidth(line.name[:at], BOLD, line.font_size)) * SCALE - x0 + pad
            draw.text((x, baseline), word, fill=255, font=font, anchor="ls")
            left, top, right, bottom = draw.textbbox((x, baseline), word, font=font, anchor="ls")
            words.append((max(0, int(left) - 1), max(0, int(top) - 1), int(right) + 2, int(bottom) + 2))
        at += len(word) + 1
    return np.asarray(canvas, dtype=np.float32) / 255.0, x0 - pad, y0 - pad, tuple(words)


def _match(dark: np.ndarray, template: np.ndarray, x: int, y: int, reach: int) -> tuple[int, int]:
    """The shift (dx, dy), within ±reach, that puts `template` (placed at x, y) best on `dark`."""
    th, tw = template.shape
    sx0, sy0 = max(0, x - reach), max(0, y - reach)
    search = dark[sy0:y + th + reach, sx0:x + tw + reach]
    if search.shape[0] < th or search.shape[1] < tw or not template.any():
        return 0, 0
    score = cv2.matchTemplate(search, template, cv2.TM_CCORR_NORMED)
    _, _, _, (mx, my) = cv2.minMaxLoc(score)
    return sx0 + mx - x, sy0 + my - y


def darkness(rectified: np.ndarray) -> np.ndarray:
    """0 (paper) … 1 (black), relative to the paper's local light (shadows, uneven light, a grey scanner bed)."""
    small = cv2.resize(rectified, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    paper = cv2.dilate(small, np.ones((7, 7), np.uint8))  # the brightest nearby: paper, not ink
    paper = cv2.GaussianBlur(paper, (0, 0), 3)
    paper = cv2.resize(paper, (rectified.shape[1], rectified.shape[0]), interpolation=cv2.INTER_LINEAR)
    paper = np.maximum(paper.astype(np.float32), 40.0)
    return np.clip(1.0 - rectified.astype(np.float32) / paper, 0.0, 1.0)


def _clean(mask: np.ndarray, speck: float = SPECK) -> np.ndarray:
    """`mask` without its specks (dust, JPEG noise)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= speck
    return keep[labels]


@dataclass(frozen=True)
class _Measure:
    coverage: float  # share of the name's width crossed by one run of ink through the letters
    inside: float  # share of the line's ink that lies in the letters' rows (a strike's place)
    ink: float  # the voter's ink in the line, pixels
    found: float  # the share of the name's printed strokes found dark where the template was aligned
    density: float  # the ink in the letters' rows per column of the run (a strike leaves ≥ ~0.5 px a column)
    faint: float  # pixels of faint ink along the letters' rows (a light pencil line), beside the letters
    blur: float  # the letters' blur (Gaussian sigma, rectified pixels)
    spaces: float = 1.0  # the share of the blank gaps inside the run that its ink crosses (a strike: all of them)
    gap_line: float = 0.0  # the darkest row in the blank gaps between the letters, above their median (a line)


BLURS = (0.0, 0.7, 1.2, 1.8, 2.6, 3.5)  # Gaussian sigmas (rectified pixels) tried for the scan's blur


@lru_cache(maxsize=512)
def _blurred(line: NameLine, sigma: float) -> np.ndarray:
    glyphs = _glyphs(line)[0]
    return cv2.GaussianBlur(glyphs, (0, 0), sigma) if sigma else glyphs


def _blur(dark: np.ndarray, glyphs: np.ndarray, x: int, y: int) -> float:
    """How blurred the scan's letters are: the sigma at which the rendered name, blurred, best matches them (a
    blurred scan's letters are fatter than the rendered ones: their edges must not count as the voter's ink)."""
    h, w = glyphs.shape
    if x < 0 or y < 0 or y + h > dark.shape[0] or x + w > dark.shape[1]:
        return BLURS[2]
    scan = dark[y:y + h, x:x + w]
    best, best_error = BLURS[0], np.inf
    for sigma in BLURS:
        model = cv2.GaussianBlur(glyphs, (0, 0), sigma) if sigma else glyphs
        gain = float(np.clip((scan * model).sum() / max(1e-6, float((model * model).sum())), 0.4, 1.3))
        error = float(((scan - gain * model) ** 2).sum())
        if error < best_error:
            best, best_error = sigma, error
    return best


def _aligned(dark: np.ndarray, line: NameLine, far: int = ALIGN_FAR) -> tuple[np.ndarray, float, int, float]:
    """The printed name (bool, the whole rectified image's shape), moved onto the scan's glyphs: the whole name
    within ±ALIGN pixels, then each word within ±WORD_REACH (a warped paper, a homography a little off); and the share of
    the name's strokes found dark there (low: the name is not where it should be), and how far down it was found."""
    glyphs, gx, gy, words = _glyphs(line)
    dx, dy = _match(dark, glyphs, gx, gy, ALIGN)
    if max(abs(dx), abs(dy)) >= ALIGN:  # found at the search's edge: farther (the middle of a crumpled photo)
        dx, dy = _match(dark, glyphs, gx, gy, far)
    sigma = _blur(dark, glyphs, gx + dx, gy + dy)
    blurred = _blurred(line, sigma)
    printed = np.zeros(dark.shape, dtype=bool)
    height, width = dark.shape
    strokes = found = 0
    piece = max(8, round(PIECE * line.font_size * SCALE))
    ox, oy = dx, dy
    peak = float(blurred.max())
    for wx0, wy0, wx1, wy1 in words:
        cuts = max(1, round((wx1 - wx0) / piece))  # a long word in pieces: a bent paper bends it
        edges = np.linspace(wx0, wx1, cuts + 1).round().astype(int)
        for px0, px1 in zip(edges[:-1], edges[1:]):
            part = glyphs[wy0:wy1, px0:px1]
            x, y = gx + ox + px0, gy + oy + wy0
            ex, ey = _match(dark, part, x, y, WORD_REACH)
            if part.any():  # the next piece is searched around this one's place: a bent line drifts
                ox, oy = ox + ex, oy + ey
            x, y = x + ex, y + ey
            if x < 0 or y < 0 or x + part.shape[1] > width or y + part.shape[0] > height:
                continue
            printed[y:y + part.shape[0], x:x + part.shape[1]] |= blurred[wy0:wy1, px0:px1] > 0.15
            core = blurred[wy0:wy1, px0:px1] > 0.6 * peak  # the strokes' middles, however blurred
            strokes += int(core.sum())
            found += int((dark[y:y + part.shape[0], x:x + part.shape[1]][core] > 0.25).sum())
    return printed, found / max(1, strokes), dy, sigma


def _measure_name(dark: np.ndarray, line: NameLine, above: NameLine | None, test: bool = False) -> _Measure:
    """`above`: the printed line just above this one's band (the list's title above the first name): its glyphs,
    found where they are, are printed, not ink (a photo's warp brings the title's lower half into the band)."""
    bx0, by0, bx1, by1 = rect_px(line.band)
    if above is not None:
        by0 += round(TITLE_CLEARANCE * SCALE)  # the list's title's descenders may reach the first line's top
    aligned, found, dy, sigma = _aligned(dark, line)
    if above is not None:
        aligned |= _aligned(dark, above)[0]
    printed = cv2.dilate(aligned[by0:by1, bx0:bx1].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    raw = (dark[by0:by1, bx0:bx1] > 1 - INK) & ~printed
    ink = _clean(raw)
    total = float(ink.sum())
    size = line.font_size * SCALE
    base = (BOX_H - line.baseline) * SCALE + dy - by0
    r0, r1 = max(0, round(base - CORE[1] * size)), min(ink.shape[0], round(base - CORE[0] * size))
    # A faint line (a light pencil, blurred) shows when the darkness is averaged along the rows.
    wide = cv2.dilate(printed[r0:r1].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    seen = (~wide).astype(np.float32)
    total_dark = cv2.blur(dark[by0 + r0:by0 + r1, bx0:bx1].astype(np.float32) * seen, (FAINT_RUN, 1))
    share = cv2.blur(seen, (FAINT_RUN, 1))
    smooth = total_dark / np.maximum(share, 1e-3)  # the mean darkness of the paper beside the letters, along the row
    faint = float(_clean((smooth > (FAINT_TEST if test else FAINT)) & (share > 0.3) & ~wide).sum())
    tx0, _, tx1, _ = rect_px(line.text)
    tx0, tx1 = max(0, tx0 - bx0), min(ink.shape[1], tx1 - bx0)
    width = max(1, tx1 - tx0)
    rows = _letters_rows(ink, r0, r1, tx0, tx1)
    core = ink & rows
    inside = float(core.sum()) / total if total else 0.0
    # One run of ink across the name: columns with ink in the letters' rows, joined across the columns where a
    # printed letter may hide it (a strike is not seen where it crosses a stroke), not across blank paper.
    has_ink: np.ndarray = np.asarray(_clean(raw & rows, 3).any(axis=0))  # a strike shows in pieces between letters
    hidden: np.ndarray = np.asarray(printed[r0:r1].any(axis=0))
    columns = np.flatnonzero(has_ink)
    gap_line = _gap_line(dark[by0 + r0:by0 + r1, bx0:bx1], hidden, tx0, tx1)
    if len(columns) == 0:
        return _Measure(0.0, inside, total, found, 0.0, faint, sigma, gap_line=gap_line)
    runs = []
    start = prev = columns[0]
    for col in columns[1:]:
        gap = col - prev - 1
        if gap > SKIP * size and (gap > HIDDEN_GAP * size or hidden[prev + 1:col].mean() < 0.7):
            runs.append((_overlap(start, prev, tx0, tx1), start, prev))
            start = col
        prev = col
    runs.append((_overlap(start, prev, tx0, tx1), start, prev))
    best, start, end = max(runs)
    spaces = _spaces_crossed(has_ink, hidden, max(start, tx0), min(end, tx1), size)
    return _Measure(best / width, inside, total, found, float(core.sum()) / max(1, best), faint, sigma, spaces,
                    gap_line)


def _letters_rows(ink: np.ndarray, r0: int, r1: int, tx0: int, tx1: int) -> np.ndarray:
    """Where a strike through the name runs (bool, the band's shape): the letters' rows r0…r1, tilted as the ink
    across the name is, by at most MAX_TILT (a strike drawn a little aslant, or a photo's warp, leaves the rows
    at one end: it was read as ink around the name, and the ballot went to a person). A circle or an underline
    is not tilted into the rows: the tilt turns them about the name's middle, it does not move them."""
    tilt = 0.0
    ys, xs = np.nonzero(ink[:, tx0:tx1])
    if len(xs) >= 2 and np.ptp(xs) >= (tx1 - tx0) / 2:
        tilt = float(np.clip(np.polyfit(xs, ys, 1)[0], -MAX_TILT, MAX_TILT))
    shift = np.round(tilt * (np.arange(ink.shape[1]) - (tx0 + tx1) / 2)).astype(int)
    y = np.arange(ink.shape[0])[:, None]
    return (y >= r0 + shift[None, :]) & (y < r1 + shift[None, :])


def _gap_line(rows: np.ndarray, hidden: np.ndarray, tx0: int, tx1: int) -> float:
    """The darkest row, above the gap's median row, of the blank gaps between the name's letters (the darkness of its
    letters' rows, `rows`): a line through the name shows there, however thin or light, even where no pixel passes
    for ink and a blurred name's fat template hides the rest (a thin blue strike on a low-resolution, shaken photo
    was read kept: 0.2–0.5 there). Paper and JPEG noise leave ~0.02."""
    blank = ~hidden[tx0:tx1]
    edges = np.flatnonzero(np.diff(np.concatenate([[0], blank.astype(np.int8), [0]])))
    line = 0.0
    for a, b in zip(edges[::2], edges[1::2]):
        if a > 0 and b < len(blank) and b - a >= 2:  # between letters, not before or after the name
            profile = rows[:, tx0 + a:tx0 + b].mean(axis=1)
            line = max(line, float(profile.max() - np.median(profile)))
    return line


def _spaces_crossed(has_ink: np.ndarray, hidden: np.ndarray, start: int, end: int, size: float) -> float:
    """The share of the blank gaps the run spans (the spaces between words, wide gaps between letters) whose middle
    has ink: a strike crosses them; bits of letters smeared by a shaken photo, joined to a tick beside the name, do
    not (a tick was read as a strike through the name). 1 when the run spans no gap."""
    blank = ~hidden[start:end + 1]
    edges = np.flatnonzero(np.diff(np.concatenate([[0], blank.astype(np.int8), [0]])))
    gaps = [(a, b) for a, b in zip(edges[::2], edges[1::2])
            if b - a >= SPACE_MIN * size and a > 0 and b < len(blank)]  # inside the run, not at its ends
    if not gaps:
        return 1.0
    crossed = 0
    for a, b in gaps:
        third = (b - a) // 3
        middle = has_ink[start + a + third:start + b - third]
        crossed += bool(middle.size) and float(middle.mean()) >= 0.5
    return crossed / len(gaps)


def _overlap(a: int, b: int, lo: int, hi: int) -> int:
    return max(0, min(b + 1, hi) - max(a, lo))


def decide_names(dark: np.ndarray, geometry: BallotGeometry, test: bool = False, resolution: float = SCALE
                 ) -> tuple[LineRead, ...]:
    """Each name kept, struck or unclear. `resolution`: the source image's pixels per design point; a blurred image
    of few pixels may hide a thin light pencil line entirely: there, "kept" is not decided (a person looks)."""
    reads = []
    measures = [_measure_name(dark, line, geometry.title if line.index == 0 else None, test)
                for line in geometry.names]
    blur = float(np.median([m.blur for m in measures])) if measures else 0.0
    sharpest = min((m.blur for m in measures), default=0.0)
    coarse = resolution < COARSE_RESOLUTION and blur >= COARSE_BLUR
    for line, m in zip(geometry.names, measures):
        box = rect_px(line.band)
        if m.found < PRINTED_FOUND:  # the name is not where it should be (a fold, a smudge, a bad fit)
            reads.append(LineRead(line.index, "unclear", 0.5, box))
        elif (m.ink < LINE_NOISE and m.faint < FAINT_NOISE and m.coverage < KEPT_RUN and m.gap_line < GAP_LINE
              and m.ink * m.inside < KEPT_CORE):
            if coarse or m.blur > sharpest + FATTER:  # fatter letters than the other names': a line along them?
                reads.append(LineRead(line.index, "unclear", 0.6, box))
            else:
                reads.append(LineRead(line.index, "kept", 1.0 - 0.5 * m.ink / LINE_NOISE, box))
        elif (m.coverage >= STRUCK_AT + STRIKE_MARGIN and m.inside >= STRIKE_INSIDE and m.density >= STRIKE_DENSITY
              and m.spaces >= SPACES_CROSSED and (m.coverage >= FULL_STRIKE or m.found >= PARTIAL_FOUND)):
            reads.append(LineRead(line.index, "struck", min(1.0, 0.5 + (m.coverage - STRUCK_AT)), box))
        else:  # a tick, a circle, a dot, writing, a strike through too little of the name: a person decides
            reads.append(LineRead(line.index, "unclear", 0.5 + abs(m.coverage - STRUCK_AT) / 2, box))
    return tuple(reads)


@lru_cache(maxsize=8)
def _outline(width: int, height: int) -> np.ndarray:
    """A printed box's outline (1 pt) as darkness, padded by 3 pixels."""
    frame = np.zeros((height + 6, width + 6), dtype=np.float32)
    cv2.rectangle(frame, (3, 3), (width + 2, height + 2), 1.0, max(1, round(SCALE)))
    return frame


def _box_found(dark: np.ndarray, box: Rect) -> tuple[tuple[int, int, int, int], float]:
    """The printed box on the scan (it may sit a few pixels off on a warped paper): its pixels and how well its
    outline matches."""
    x0, y0, x1, y1 = rect_px(box)
    outline = _outline(x1 - x0, y1 - y0)
    dx, dy = _match(dark, outline, x0 - 3, y0 - 3, BOX_REACH)
    oh, ow = outline.shape
    ox, oy = x0 - 3 + dx, y0 - 3 + dy
    patch = dark[max(0, oy):oy + oh, max(0, ox):ox + ow]
    found = float((patch[outline[:patch.shape[0], :patch.shape[1]] > 0] > 1 - INK).mean()) if patch.size else 0.0
    return (x0 + dx, y0 + dy, x1 + dx, y1 + dy), found


def decide_boxes(dark: np.ndarray, geometry: BallotGeometry) -> tuple[LineRead, ...]:
    reads = []
    for index, choice in enumerate(geometry.choices):
        (x0, y0, x1, y1), found = _box_found(dark, choice.box)
        inset = round(1.0 * SCALE) + 3  # the printed outline (1 pt), a little bent on a warped paper
        inside = dark[y0 + inset:y1 - inset, x0 + inset:x1 - inset] > 1 - INK
        share = float(_clean(inside).mean()) if inside.size else 0.0
        if found < BOX_OUTLINE:  # the box is not where it should be: a person looks
            reads.append(LineRead(index, "unclear", 0.5, (x0, y0, x1, y1)))
        elif share >= BOX_MARKED:
            reads.append(LineRead(index, "marked", min(1.0, 0.5 + share), (x0, y0, x1, y1)))
        elif share <= BOX_EMPTY:
            reads.append(LineRead(index, "empty", 1.0 - share / BOX_EMPTY * 0.5, (x0, y0, x1, y1)))
        else:
            reads.append(LineRead(index, "unclear", 0.5, (x0, y0, x1, y1)))
    return tuple(reads)


def _zones(geometry: BallotGeometry, test: bool) -> list[tuple[Rect, int]]:
    """Where nothing is printed and no mark belongs, in design points, each with the paper's side edge it lies
    along: -1 left, 1 right, 0 none."""
    bottom = MARGIN + (BAND_H + 1 * mm if test else 0)
    if geometry.names:
        low = geometry.names[-1].band.y0
    else:
        low = min(c.box.y0 for c in geometry.choices) - 3 * mm
    marks = registration_marks()
    side_top = min(marks[0].y0, BOX_H - MARGIN - QR_SIZE - 10 * mm) - 2 * mm  # below the serial under the QR
    side_bottom = max(bottom, marks[1].y1 + 2 * mm)
    zones = [(Rect(MARGIN, bottom, BOX_W - MARGIN, low), 0)] if low - bottom > 2 * mm else []
    if side_top - side_bottom > 2 * mm:
        zones += [(Rect(2 * mm, side_bottom, MARGIN - 1 * mm, side_top), -1),
                  (Rect(BOX_W - MARGIN + 1 * mm, side_bottom, BOX_W - 2 * mm, side_top), 1)]
    if geometry.choices:
        boxes = [c.box for c in geometry.choices]
        label = geometry.choices[0].label_baseline
        name_bottom = geometry.single.band.y0 if geometry.single else label + 16
        zones += [(Rect(boxes[0].x1 + 4 * mm, low + 3 * mm, boxes[1].x0 - 4 * mm, min(b.y1 for b in boxes)), 0),
                  # between the labels and the name, and beside the boxes
                  (Rect(MARGIN, label + 16, BOX_W - MARGIN, name_bottom), 0),
                  (Rect(MARGIN, low + 3 * mm, boxes[0].x0 - 4 * mm, label - 5), 0),
                  (Rect(boxes[1].x1 + 4 * mm, low + 3 * mm, BOX_W - MARGIN, label - 5), 0)]
    return zones


def _past_the_edge(ink: np.ndarray, edge: int) -> np.ndarray:
    """In `ink` (rows of a strip from the paper's side edge inwards: its first column the edge for -1, its last for
    1), each row's run of ink that starts at the edge and ends within EDGE_DEPTH, in rows where ink lines the edge
    for EDGE_ALONG or more: the table or cloth seen past a crumpled paper's edge (a warp the homography of the
    corners does not follow), not a voter's mark, which paper separates from the edge. A longer run (a line drawn
    in from the edge), or one along a short stretch of the edge (a dot touching an A4×4 page's dashed cut line),
    is ink."""
    rows = ink if edge < 0 else ink[:, ::-1]
    run = np.cumprod(rows, axis=1).astype(bool)
    lined = np.zeros(len(rows), dtype=bool)
    changes = np.flatnonzero(np.diff(np.concatenate([[0], rows[:, 0].astype(np.int8), [0]])))
    for start, end in zip(changes[::2], changes[1::2]):
        lined[start:end] = end - start >= EDGE_ALONG
    run &= ((run.sum(axis=1) <= EDGE_DEPTH) & lined)[:, None]
    return run if edge < 0 else run[:, ::-1]


def single_name_marked(dark: np.ndarray, geometry: BallotGeometry, test: bool = False) -> bool:
    """One candidate: ink on the printed name beyond its letters (a line through it, a tick, writing: the voter
    marked the name instead of a box), measured against the name's rendered glyphs as on a list; or the name not
    found where the geometry prints it. Either way a person looks."""
    line = geometry.single
    if line is None:
        return False
    m = _measure_name(dark, line, None, test)
    return m.found < PRINTED_FOUND or m.ink >= LINE_NOISE or m.faint >= FAINT_NOISE


LABEL_REACH = 14  # pixels each way a label is searched for (the middle of a crumpled photo, far from the marks)


@lru_cache(maxsize=8)
def _label_line(label: str, centre: float, baseline: float) -> NameLine:
    """A box's printed label as a line of text to align on the scan, like a name."""
    return centred_line(label, LABEL_SIZE, baseline, centre)


def _printed_words(dark: np.ndarray, geometry: BallotGeometry) -> np.ndarray:
    """One candidate: the boxes' labels and the name, found where they are (bool, the image's shape, a pixel wider):
    a photo's warp brings their descenders and accents into the zones beside them, where they are printed, not
    stray ink."""
    printed = np.zeros(dark.shape, dtype=bool)
    for choice in geometry.choices:
        line = _label_line(choice.label, (choice.box.x0 + choice.box.x1) / 2, choice.label_baseline)
        printed |= _aligned(dark, line, LABEL_REACH)[0]
    if geometry.single is not None:
        printed |= _aligned(dark, geometry.single)[0]
    return cv2.dilate(printed.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0


def _label_ink(dark: np.ndarray, geometry: BallotGeometry, printed: np.ndarray) -> float:
    """Ink in the labels' row beyond the printed labels (a label circled instead of its box), pixels."""
    baseline = geometry.choices[0].label_baseline
    x0, y0, x1, y1 = rect_px(Rect(MARGIN, baseline - 1, BOX_W - MARGIN, baseline + 16))  # above an X's overshoot
    return float(_clean((dark[y0:y1, x0:x1] > 1 - INK) & ~printed[y0:y1, x0:x1]).sum())


def stray_ink(dark: np.ndarray, geometry: BallotGeometry, test: bool) -> bool:
    printed = _printed_words(dark, geometry)  # nothing on a list's ballot
    total = _label_ink(dark, geometry, printed) if geometry.choices else 0.0
    width = dark.shape[1]
    for zone, edge in _zones(geometry, test):
        x0, y0, x1, y1 = rect_px(zone)
        if x1 > x0 and y1 > y0:
            # along a side edge, from the paper's edge (the rectified image's side) to the zone's inner side
            sx0, sx1 = (0, x1) if edge < 0 else (x0, width) if edge > 0 else (x0, x1)
            ink = dark[y0:y1, sx0:sx1] > 1 - INK
            if edge:
                ink &= ~_past_the_edge(ink, edge)
            total += float(_clean(ink[:, x0 - sx0:x1 - sx0] & ~printed[y0:y1, x0:x1]).sum())
    return total >= STRAY
