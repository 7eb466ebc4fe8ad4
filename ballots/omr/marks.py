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

from ballots.geometry import BAND_H, BOX_H, BOX_W, MARGIN, QR_SIZE, BallotGeometry, NameLine, Rect, registration_marks
from ballots.omr import LineRead
from ballots.omr.locate import SCALE, rect_px
from core.fonts import font_bytes

INK = 0.62  # a pixel darker than this share of its paper's light is ink
MM = mm * SCALE  # rectified pixels per millimetre
SPECK = 0.12 * MM * MM * 4  # ink components smaller than ~0.5 mm² are dust or JPEG noise
LINE_NOISE = 0.5 * MM * MM  # ink beyond the printed name, in its line, below which the line is clean
STRUCK_AT = 0.5  # a strike covering this share of the name's width or more strikes it
STRIKE_MARGIN = 0.1  # a coverage this close to STRUCK_AT is unclear
STRAY = 2.0 * MM * MM  # ink outside every line and box beyond this is stray
BOX_MARKED, BOX_EMPTY = 0.045, 0.01  # ink share of a box's inside: marked at or above, empty at or below
ALIGN = 6  # pixels each way a name's glyphs are searched for around where the homography puts them


def _font(size_px: float) -> ImageFont.FreeTypeFont:
    return _font_at(round(size_px * 4) / 4)


@lru_cache(maxsize=32)
def _font_at(size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(font_bytes("bold")), size=size_px, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=256)
def _glyphs(line: NameLine) -> tuple[np.ndarray, int, int]:
    """The name as printed, rendered at SCALE: (darkness 0…1, left, top) in rectified pixels, padded by ALIGN."""
    x0, y0, x1, y1 = rect_px(line.text)
    pad = ALIGN + 2
    canvas = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 0)
    draw = ImageDraw.Draw(canvas)
    draw.text((line.text.x0 * SCALE - x0 + pad, (BOX_H - line.baseline) * SCALE - y0 + pad), line.name,
              fill=255, font=_font(line.font_size * SCALE), anchor="ls")
    return np.asarray(canvas, dtype=np.float32) / 255.0, x0 - pad, y0 - pad


def darkness(rectified: np.ndarray) -> np.ndarray:
    """0 (paper) … 1 (black), relative to the paper's local light (shadows, uneven light, a grey scanner bed)."""
    small = cv2.resize(rectified, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    paper = cv2.dilate(small, np.ones((7, 7), np.uint8))  # the brightest nearby: paper, not ink
    paper = cv2.GaussianBlur(paper, (0, 0), 3)
    paper = cv2.resize(paper, (rectified.shape[1], rectified.shape[0]), interpolation=cv2.INTER_LINEAR)
    paper = np.maximum(paper.astype(np.float32), 40.0)
    return np.clip(1.0 - rectified.astype(np.float32) / paper, 0.0, 1.0)


def _clean(mask: np.ndarray) -> np.ndarray:
    """`mask` without its specks (dust, JPEG noise)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= SPECK
    return keep[labels]


@dataclass(frozen=True)
class _Measure:
    coverage: float  # share of the name's width crossed by strike-like ink through the letters
    other: float  # ink in the line that is not such a strike, pixels


def _measure_name(dark: np.ndarray, line: NameLine, first: bool) -> _Measure:
    bx0, by0, bx1, by1 = rect_px(line.band)
    if first:
        by0 += round(1.5 * SCALE)  # the list's title's descenders may touch the first line's top
    glyphs, gx, gy = _glyphs(line)
    gh, gw = glyphs.shape
    # Where the glyphs are on the scan: the best match of the rendered name within ±ALIGN pixels.
    sx0, sy0 = max(0, gx - ALIGN), max(0, gy - ALIGN)
    search = dark[sy0:gy + gh + ALIGN, sx0:gx + gw + ALIGN]
    dx, dy = 0, 0
    if search.shape[0] >= gh and search.shape[1] >= gw:
        score = cv2.matchTemplate(search, glyphs, cv2.TM_CCORR_NORMED)
        _, _, _, (mx, my) = cv2.minMaxLoc(score)
        dx, dy = sx0 + mx - gx, sy0 + my - gy
    printed = np.zeros(dark.shape, dtype=np.uint8)
    px0, py0 = gx + dx, gy + dy
    region = printed[max(0, py0):py0 + gh, max(0, px0):px0 + gw]
    region[...] = (glyphs[max(0, -py0):max(0, -py0) + region.shape[0],
                   max(0, -px0):max(0, -px0) + region.shape[1]] > 0.2)
    band_printed = cv2.dilate(printed[by0:by1, bx0:bx1], np.ones((3, 3), np.uint8)) > 0
    ink = (dark[by0:by1, bx0:bx1] > 1 - INK) & ~band_printed
    tx0, _, tx1, _ = rect_px(line.text)
    tx0, tx1 = tx0 + dx - bx0, tx1 + dx - bx0
    size = line.font_size * SCALE
    base = (BOX_H - line.baseline) * SCALE + dy - by0
    zone = (max(0, round(base - 0.8 * size)), min(ink.shape[0], round(base + 0.12 * size)))
    strike = _strikes(ink, ink | band_printed, zone, size, max(1, tx1 - tx0))
    covered = strike.any(axis=0)
    coverage = float(covered[max(0, tx0):max(0, tx1)].sum()) / max(1, tx1 - tx0)
    if coverage > 0:  # the strike's span under the letters counts: from its first to its last column
        columns = np.flatnonzero(covered)
        covered[columns[0]:columns[-1] + 1] = True
        coverage = float(covered[max(0, tx0):max(0, tx1)].sum()) / max(1, tx1 - tx0)
    other = float((_clean(ink) & ~strike).sum())
    return _Measure(coverage, other)


@dataclass
class _Chain:
    labels: list[int]
    x0: int
    x1: int
    end: tuple[float, float]  # the right end (x, y)


def _ends(ys: np.ndarray, xs: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    left, right = xs.min(), xs.max()
    return (float(left), float(ys[xs == left].mean())), (float(right), float(ys[xs == right].mean()))


def _segment_covered(seen: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> float:
    """The share of the segment a → b that runs over ink or print (a strike hidden under the letters)."""
    n = max(2, int(abs(b[0] - a[0]) + abs(b[1] - a[1])))
    xs = np.clip(np.round(np.linspace(a[0], b[0], n)).astype(int), 0, seen.shape[1] - 1)
    ys = np.clip(np.round(np.linspace(a[1], b[1], n)).astype(int), 0, seen.shape[0] - 1)
    return float(seen[ys, xs].mean())


def _strikes(ink: np.ndarray, seen: np.ndarray, zone: tuple[int, int], size: float, width: int) -> np.ndarray:
    """The pixels of `ink` that make strikes: pieces of ink chained left to right through the letters (a strike is
    hidden where it crosses a printed stroke), the chain long, thin, mostly horizontal and through the letters."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    order = sorted(range(1, count), key=lambda i: stats[i, cv2.CC_STAT_LEFT])
    points = {}
    chains: list[_Chain] = []
    max_gap = 1.8 * size
    for i in order:
        if stats[i, cv2.CC_STAT_AREA] < 3:
            continue
        x, y, w, h, _ = stats[i]
        ys, xs = np.nonzero(labels[y:y + h, x:x + w] == i)
        left, right = _ends(ys + y, xs + x)
        points[i] = (ys + y, xs + x)
        best: _Chain | None = None
        best_dy = np.inf
        for chain in chains:
            gap = left[0] - chain.end[0]
            if not -0.3 * size <= gap <= max_gap:
                continue
            dy = abs(left[1] - chain.end[1])
            if dy > 0.3 * size + 0.3 * max(0.0, gap) or dy >= best_dy:
                continue
            if gap > 2 and _segment_covered(seen, chain.end, left) < 0.9:
                continue
            best, best_dy = chain, dy
        if best is None:
            chains.append(_Chain([i], int(left[0]), int(right[0]), right))
        else:
            best.labels.append(i)
            best.x1 = max(best.x1, int(right[0]))
            if right[0] >= best.end[0]:
                best.end = right
    strike = np.zeros(ink.shape, dtype=bool)
    z0, z1 = zone
    for chain in chains:
        span = chain.x1 - chain.x0 + 1
        if span < 0.2 * width:
            continue
        ys = np.concatenate([points[i][0] for i in chain.labels])
        xs = np.concatenate([points[i][1] for i in chain.labels])
        height = ys.max() - ys.min() + 1
        inside = float(((ys >= z0) & (ys < z1)).mean())
        thickness = len(ys) / max(1, len(np.unique(xs)))
        if span < 2.5 * height or inside < 0.7 or thickness > 0.5 * size:
            continue
        strike[ys, xs] = True
    return strike


def decide_names(dark: np.ndarray, geometry: BallotGeometry) -> tuple[LineRead, ...]:
    reads = []
    for line in geometry.names:
        m = _measure_name(dark, line, line.index == 0)
        box = rect_px(line.band)
        if m.other >= LINE_NOISE:  # a tick, a circle, a dot, writing: a person decides
            reads.append(LineRead(line.index, "unclear", 0.5, box))
            continue
        if m.coverage >= STRUCK_AT + STRIKE_MARGIN:
            reads.append(LineRead(line.index, "struck", min(1.0, 0.5 + (m.coverage - STRUCK_AT)), box))
        elif m.coverage == 0.0:
            reads.append(LineRead(line.index, "kept", 1.0 - 0.5 * m.other / LINE_NOISE, box))
        else:  # some strike-like ink, too short to strike the name for sure
            reads.append(LineRead(line.index, "unclear", 0.5 + abs(m.coverage - STRUCK_AT), box))
    return tuple(reads)


def decide_boxes(dark: np.ndarray, geometry: BallotGeometry) -> tuple[LineRead, ...]:
    reads = []
    for index, choice in enumerate(geometry.choices):
        x0, y0, x1, y1 = rect_px(choice.box)
        inset = round(1.2 * SCALE) + 2  # the printed outline (1 pt) and the homography's error
        inside = dark[y0 + inset:y1 - inset, x0 + inset:x1 - inset] > 1 - INK
        share = float(_clean(inside).mean()) if inside.size else 0.0
        if share >= BOX_MARKED:
            reads.append(LineRead(index, "marked", min(1.0, 0.5 + share), (x0, y0, x1, y1)))
        elif share <= BOX_EMPTY:
            reads.append(LineRead(index, "empty", 1.0 - share / BOX_EMPTY * 0.5, (x0, y0, x1, y1)))
        else:
            reads.append(LineRead(index, "unclear", 0.5, (x0, y0, x1, y1)))
    return tuple(reads)


def _zones(geometry: BallotGeometry, test: bool) -> list[Rect]:
    """Where nothing is printed and no mark belongs, in design points."""
    bottom = MARGIN + (BAND_H + 1 * mm if test else 0)
    if geometry.names:
        low = geometry.names[-1].band.y0
    else:
        low = min(c.box.y0 for c in geometry.choices) - 3 * mm
    marks = registration_marks()
    side_top = min(marks[0].y0, BOX_H - MARGIN - QR_SIZE - 10 * mm) - 2 * mm  # below the serial under the QR
    side_bottom = max(bottom, marks[1].y1 + 2 * mm)
    zones = [Rect(MARGIN, bottom, BOX_W - MARGIN, low)] if low - bottom > 2 * mm else []
    if side_top - side_bottom > 2 * mm:
        zones += [Rect(2 * mm, side_bottom, MARGIN - 1 * mm, side_top),
                  Rect(BOX_W - MARGIN + 1 * mm, side_bottom, BOX_W - 2 * mm, side_top)]
    if geometry.choices:
        boxes = [c.box for c in geometry.choices]
        gap = Rect(boxes[0].x1 + 4 * mm, low + 3 * mm, boxes[1].x0 - 4 * mm, min(b.y1 for b in boxes))
        zones.append(gap)
    return zones


def stray_ink(dark: np.ndarray, geometry: BallotGeometry, test: bool) -> bool:
    total = 0.0
    for zone in _zones(geometry, test):
        x0, y0, x1, y1 = rect_px(zone)
        if x1 > x0 and y1 > y0:
            total += float(_clean(dark[y0:y1, x0:x1] > 1 - INK).sum())
    return total >= STRAY
