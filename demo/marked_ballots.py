"""Marked ballots for testing the reader of marks (issue 19, part 4): photos and scans of REAL ballots as the app
prints them, with marks drawn on them and the truth recorded. Pure, seeded (numpy Generator), no database.

How a ballot is made: a BallotSheetSpec (1, 2 or 3 Vietnamese names, long and short; layout A5, A6, A4×2 or A4×4;
now and then a test ballot) and signed payloads (ballots.qr.encode_payload with the caller's secret, serials drawn
from the seed) → ballots.pdf.render_ballots → rasterised with pypdfium2 → marks drawn where ballots.geometry says
each name line and choice box is (ballots.pdf.placements maps the design box onto the page) → the team's red stamp
in the stamp area (most ballots) → degradations → JPEG or PNG bytes, and the decoded image the reader receives.
Or ballots the app itself printed (Printed: their sheet spec, their real signed QR texts, the kind of marks and the
marks' own seed, so every photo of a ballot shows the same marks): MarkedBallots.photo(printed), .scan(dpi, printed),
as bench/image_count.py marks a rehearsal hamlet's ballots.

Two forms:
- "photo": one ballot (a cut ballot of any layout) on a table, a phone held at an angle: rotation ±15°, perspective,
  paper tint, crumpled-paper warp, light gradient and soft shadow, defocus or motion blur, sensor noise, JPEG 40–90.
- "scan": an A4 page at 150–300 dpi holding the layout's ballots (A4×2: 2, A4×4: 4; an A5 or A6 ballot lies on the
  scanner glass), slight skew (±2°), no perspective, sometimes upside down or (A4×2, landscape) turned a quarter by a
  portrait feeder, a little blur and noise, grey or colour, JPEG 60–95 or PNG. write_feeder() writes scanner pages
  as one multi-page PDF or TIFF, what a document feeder makes.
Every degradation's parameter is in Sample.params.

Marks (pens: black, blue, dark-blue ballpoint, a red pen now and then, pencil grey; 0.3–1.2 mm; hand-drawn:
polylines with a wandering path and varying pressure, antialiased). The kinds of ballot, with the truth recorded
(BallotTruth: per line "kept"/"struck" for names, "marked"/"empty" for boxes, and the expected outcome):

Several candidates (one seat, R-B1 by election.rules.ballot_validity):
- strike: every name but one struck with one line (just before to just after the name, ≥ 96 % of its width) → valid;
- long (starts well before / ends well after the name), double (two lines), wavy, partial (one line covering 50–97 %
  of the name's width: ≥ 50 % counts as struck), scribble (a zig-zag over the name) → valid;
- blank (nothing struck: too many kept) and too_many (3 names, one struck) → invalid "too_many_kept";
- all_struck (each name struck) and whole_list (one zig-zag stroke through every name) → invalid "no_name_kept";
- tick (a tick on the kept name), circle (the kept name circled), stray (a dot or short stroke outside every line,
  which may identify the voter), cross_list (one big X over the list, no name struck on its own) → "person": only a
  person may decide (R-B1 "adding names/text" or an ambiguous intent).
One candidate (agree / disagree boxes):
- box_x, box_tick, box_fill (an X, a tick or a filled scribble in one box) → valid, choice "agree" or "disagree";
- both_boxes → invalid "both_boxes"; no_box → invalid "no_box";
- box_circle (the label circled instead of the box), box_stray (a stray mark), name_strike (the name struck instead
  of a box) → "person".

The policy for "person": anything a careful teller could not decide from the rules alone, or a mark outside the
lines (a voter could use one to make their ballot recognisable). A reader may send any ballot to a person; it must
never decide a "person" ballot by itself, and every ballot it decides must have the expected verdict.

The default mix (DEFAULT_MIX) is close to reality as we expect it: candidate lists of 1/2/3 names 20/40/40 %,
layouts A5 40 %, A6 20 %, A4×2 20 %, A4×4 20 %, 3 % test ballots; several candidates: strike 82 %, long 4 %, double
3 %, wavy 3 %, partial 3 %, scribble 1 %, blank 1.5 %, all_struck 1 %, too_many 0.8 %, whole_list 0.4 %, and the
person kinds tick, circle, stray 0.2 % each, cross_list 0.1 %; one candidate: box_x 85 %, box_tick 8 %, box_fill 3 %,
both_boxes 1.5 %, no_box 1.5 %, box_circle, box_stray, name_strike 0.2 % each — about 0.68 % of ballots for a
person. Mix.only(kind) asks for one kind only.
"""
from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, lru_cache
from typing import Any, BinaryIO, Literal

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from ballots.geometry import (
    BAND_H,
    BOX_H,
    BOX_W,
    MARGIN,
    STAMP_H,
    STAMP_W,
    BallotGeometry,
    NameLine,
    Rect,
    ballot_geometry,
)
from ballots.omr import Verdict
from ballots.pdf import BallotSheetSpec, placements, render_ballots
from ballots.qr import CROCKFORD, BallotPayload, election_definition, election_hash, encode_payload
from election.rules import ballot_validity

Form = Literal["photo", "scan"]
MarkSeed = int | tuple[int, ...] | None  # a ballot's marks drawn from a generator of their own
Outcome = Literal["valid", "invalid", "person"]
MM = 72 / 25.4  # points per millimetre
A4_MM = (210.0, 297.0)

SHORT_NAMES = ("Lê Văn Tư", "Hồ Thị Lý", "Đỗ Văn An", "Mai Thị Hoa", "Võ Văn Út", "Ngô Thị Nga", "Tạ Quang Vũ")
LONG_NAMES = ("Nguyễn Thị Ánh Tuyết", "Trần Đình Quốc Khánh", "Phạm Nguyễn Hoàng Bảo Ngọc", "Huỳnh Thị Thanh Xuân",
              "Lê Hoàng Phúc Nguyên Khôi Vĩnh Trường Giang", "Đặng Văn Ước", "Trương Thị Mỹ Hạnh")
PLACES = (("An Phú", "Bình Hải", "Bình Sơn"), ("Tân Lập", "Hòa Bình", ""), ("Phước Lộc", "Tịnh Kỳ", "Sơn Tịnh"))

NAME_KINDS: dict[str, float] = {
    "strike": 0.82, "long": 0.04, "double": 0.03, "wavy": 0.03, "partial": 0.03, "scribble": 0.01,
    "blank": 0.015, "all_struck": 0.01, "too_many": 0.008, "whole_list": 0.004,
    "tick": 0.002, "circle": 0.002, "stray": 0.002, "cross_list": 0.001,
}
BOX_KINDS: dict[str, float] = {
    "box_x": 0.85, "box_tick": 0.08, "box_fill": 0.03, "both_boxes": 0.015, "no_box": 0.015,
    "box_circle": 0.002, "box_stray": 0.002, "name_strike": 0.002,
}
PERSON_KINDS = frozenset({"tick", "circle", "stray", "cross_list", "box_circle", "box_stray", "name_strike"})
STRUCK_STYLES = ("strike", "long", "double", "wavy", "partial", "scribble")


@dataclass(frozen=True)
class Pen:
    name: str
    colour: tuple[int, int, int]  # BGR
    opacity: tuple[float, float]
    weight: float  # how often it is used


PENS = (
    Pen("black", (30, 28, 28), (0.85, 1.0), 0.30),
    Pen("blue", (175, 75, 25), (0.8, 1.0), 0.33),
    Pen("dark_blue", (105, 40, 30), (0.85, 1.0), 0.2),
    Pen("pencil", (95, 95, 100), (0.55, 0.8), 0.12),
    Pen("red", (45, 35, 200), (0.8, 1.0), 0.05),
)


@dataclass(frozen=True)
class Mix:
    """What kinds of ballot to make, with their weights."""

    names: dict[str, float] = field(default_factory=lambda: dict(NAME_KINDS))
    boxes: dict[str, float] = field(default_factory=lambda: dict(BOX_KINDS))
    candidates: dict[int, float] = field(default_factory=lambda: {1: 0.2, 2: 0.4, 3: 0.4})
    layouts: dict[str, float] = field(default_factory=lambda: {"A5": 0.4, "A6": 0.2, "A4x2": 0.2, "A4x4": 0.2})
    test_share: float = 0.03

    @classmethod
    def only(cls, kind: str, **changes: Any) -> Mix:
        """Every ballot of one kind (a name kind makes 2- and 3-name lists, a box kind 1-name ballots)."""
        if kind in NAME_KINDS:
            counts = {3: 1.0} if kind == "too_many" else {2: 0.5, 3: 0.5}
            return replace(cls(names={kind: 1.0}, candidates=counts), **changes)
        if kind in BOX_KINDS:
            return replace(cls(boxes={kind: 1.0}, candidates={1: 1.0}), **changes)
        raise ValueError(f"unknown kind {kind!r}")

    def person_share(self) -> float:
        """The expected share of ballots only a person may decide."""
        share = 0.0
        for count, weight in self.candidates.items():
            kinds = self.boxes if count == 1 else self.names
            total = sum(kinds.values())
            share += weight * sum(w for k, w in kinds.items() if k in PERSON_KINDS) / total
        return share / sum(self.candidates.values())


DEFAULT_MIX = Mix()


@dataclass(frozen=True)
class Degrade:
    """How hard the degradations are (each a maximum; the value drawn for a sample is in Sample.params)."""

    rotation: float = 15.0  # photo, degrees either way
    skew: float = 2.0  # scan, degrees either way
    perspective: float = 0.07  # photo: a corner moves up to this share of the ballot's size
    blur: float = 1.6  # Gaussian sigma (px) or a motion streak of up to 4× this length
    jpeg: tuple[int, int] = (40, 90)  # photo quality; scans use max(60, low)…95
    noise: float = 7.0  # sensor noise sigma (grey levels)
    warp: float = 0.01  # crumpled paper: displacement up to this share of the ballot's size
    light: float = 0.45  # deepest shadow / gradient: the light falls to 1 − this
    tint: float = 0.08  # paper colour away from white
    dpi: tuple[int, ...] = (150, 200, 240, 300)  # scan resolutions
    turns: bool = True  # scan pages sometimes upside down, A4×2 pages a quarter turn

    @classmethod
    def mild(cls) -> Degrade:
        return cls(rotation=3.0, skew=0.5, perspective=0.01, blur=0.0, jpeg=(90, 90), noise=1.5, warp=0.001,
                   light=0.05, tint=0.02, dpi=(200,), turns=False)


DEFAULT_DEGRADE = Degrade()


@dataclass(frozen=True)
class Design:
    """One hamlet's ballot: what is printed and who the names are."""

    spec: BallotSheetSpec
    candidate_ids: tuple[str, ...]
    hamlet_id: int
    election_hash: str

    @property
    def geometry(self) -> BallotGeometry:
        return _geometry(self.spec)


@lru_cache(maxsize=256)
def _geometry(spec: BallotSheetSpec) -> BallotGeometry:
    return ballot_geometry(spec)


@dataclass(frozen=True)
class LineTruth:
    index: int  # geometry.names[index] or geometry.choices[index] (0 agree, 1 disagree)
    intended: str  # "kept" / "struck" (names), "marked" / "empty" (boxes)
    style: str  # what was drawn on it: "" (nothing), a struck style, "tick", "circle", "x", "fill", …
    cover: float  # the share of the name's width the strike spans (struck names), else 0


@dataclass(frozen=True)
class BallotTruth:
    qr_text: str
    design: Design
    kind: str
    lines: tuple[LineTruth, ...]
    outcome: Outcome
    verdict: Verdict | None  # None: a person decides
    pen: str
    pen_mm: float
    stamped: bool

    def describe(self) -> str:
        lines = ", ".join(f"{line.index}:{line.intended}/{line.style or '-'}" for line in self.lines)
        verdict = "person" if self.verdict is None else f"{self.verdict.reason}:{self.verdict.choice}"
        return (f"{self.kind} [{lines}] → {verdict} ({len(self.design.candidate_ids)} names, "
                f"{self.design.spec.layout}{', test' if self.design.spec.test else ''}, {self.pen} {self.pen_mm:.2f} mm)")


@dataclass
class Sample:
    form: Form
    data: bytes  # JPEG or PNG: what the reader receives
    truths: tuple[BallotTruth, ...]  # in the page's reading order (a photo: one)
    params: dict[str, Any]

    @cached_property
    def image(self) -> np.ndarray:
        """`data` decoded (BGR or grey uint8), on first use."""
        decoded = cv2.imdecode(np.frombuffer(self.data, np.uint8), cv2.IMREAD_UNCHANGED)
        assert decoded is not None
        return np.asarray(decoded)


@dataclass
class CleanPage:
    """A page before any degradation: the render, the same with the marks, and where each ballot's lines are."""

    unmarked: np.ndarray
    marked: np.ndarray
    dpi: float
    ink: np.ndarray | None  # with ink_only: the same marks drawn on white paper (nothing printed hides them)
    truths: tuple[BallotTruth, ...]
    frames: tuple[Frame, ...]


@dataclass(frozen=True)
class Frame:
    """Maps a ballot's design-box points (origin bottom-left, y up) onto an image's pixels (origin top-left)."""

    x: float  # the design box's bottom-left corner on the page, in points
    y: float
    scale: float
    page_h: float  # the page's height in points
    dpi: float

    @property
    def k(self) -> float:
        return self.dpi / 72

    def px(self, x: float | np.ndarray, y: float | np.ndarray) -> tuple[Any, Any]:
        return (self.x + x * self.scale) * self.k, (self.page_h - self.y - y * self.scale) * self.k

    def rect(self, rect: Rect) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in pixels, top-left origin."""
        x0, y1 = self.px(rect.x0, rect.y0)
        x1, y0 = self.px(rect.x1, rect.y1)
        return x0, y0, x1, y1

    def mm(self, millimetres: float) -> float:
        """A physical length on the paper, in pixels."""
        return millimetres * self.dpi / 25.4


# --- choosing ---------------------------------------------------------------------------------------------------

def _pick(rng: np.random.Generator, weights: dict[Any, float]) -> Any:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _serial(rng: np.random.Generator) -> str:
    return "".join(CROCKFORD[int(i)] for i in rng.integers(0, 32, 10))


def make_design(rng: np.random.Generator, count: int, layout: str, test: bool = False) -> Design:
    """A hamlet's ballot with `count` names (long and short) in `layout`."""
    pool = list(SHORT_NAMES + LONG_NAMES)
    names = tuple(pool[int(i)] for i in rng.choice(len(pool), size=count, replace=False))
    hamlet, commune, district = PLACES[int(rng.integers(len(PLACES)))]
    hamlet_id = int(rng.integers(1, 99999))
    ids = tuple(str(100 + 7 * i + int(rng.integers(0, 7))) for i in range(count))
    spec = BallotSheetSpec("Nhiệm kỳ 2025 – 2030", hamlet, commune, date(2025, 6, 1), names, district_name=district,
                           layout=layout, test=test)  # type: ignore[arg-type]
    definition = election_definition(spec.term_label, hamlet_id, 1, zip((int(i) for i in ids), names), 1)
    return Design(spec, ids, hamlet_id, election_hash(definition))


def choose_design(rng: np.random.Generator, mix: Mix, layout: str | None = None) -> Design:
    count = int(_pick(rng, mix.candidates))
    return make_design(rng, count, layout or str(_pick(rng, mix.layouts)), bool(rng.random() < mix.test_share))


def choose_kind(rng: np.random.Generator, mix: Mix, count: int) -> str:
    return str(_pick(rng, mix.boxes if count == 1 else mix.names))


def payload_for(design: Design, rng: np.random.Generator, secret: bytes) -> str:
    return encode_payload(BallotPayload(design.election_hash, design.hamlet_id, _serial(rng), design.spec.test),
                          secret)


# --- the truth --------------------------------------------------------------------------------------------------

def plan(rng: np.random.Generator, design: Design, kind: str) -> tuple[tuple[LineTruth, ...], Outcome,
                                                                         Verdict | None]:
    """Each line's intended mark and style, the outcome and the expected verdict (R-B1) of a ballot of `kind`."""
    ids = design.candidate_ids
    if len(ids) == 1:
        return _plan_boxes(rng, kind)
    n = len(ids)
    keep = int(rng.integers(n))
    lines: list[LineTruth] = []
    for i in range(n):
        if kind == "blank":
            lines.append(LineTruth(i, "kept", "", 0.0))
        elif kind in ("all_struck", "whole_list"):
            style = "whole_list" if kind == "whole_list" else str(rng.choice(STRUCK_STYLES[:3]))
            lines.append(LineTruth(i, "struck", style, 1.0))
        elif kind == "too_many":
            lines.append(LineTruth(i, "struck", "strike", 1.0) if i == keep else LineTruth(i, "kept", "", 0.0))
        elif kind == "cross_list":
            lines.append(LineTruth(i, "kept", "cross_list", 0.0))
        elif i == keep:
            lines.append(LineTruth(i, "kept", kind if kind in ("tick", "circle") else "", 0.0))
        else:
            style = kind if kind in STRUCK_STYLES else "strike"
            cover = float(rng.uniform(0.5, 0.97)) if style == "partial" else 1.0
            lines.append(LineTruth(i, "struck", style, cover))
    if kind in PERSON_KINDS:
        return tuple(lines), "person", None
    kept = [ids[line.index] for line in lines if line.intended == "kept"]
    verdict = ballot_validity(ids, kept, 1)
    return (tuple(lines), "valid" if verdict.valid else "invalid",
            Verdict(verdict.valid, kept[0] if verdict.valid else "", verdict.reason))


def _plan_boxes(rng: np.random.Generator, kind: str) -> tuple[tuple[LineTruth, ...], Outcome, Verdict | None]:
    pick = int(rng.random() < 0.4)  # 0 agree, 1 disagree
    style = {"box_x": "x", "box_tick": "tick", "box_fill": "fill"}.get(kind, "x")
    if kind == "both_boxes":
        marked = {0, 1}
    elif kind in ("no_box", "box_circle", "name_strike"):
        marked = set()
    else:
        marked = {pick}
    lines = tuple(LineTruth(i, "marked" if i in marked else "empty",
                            ("circle" if kind == "box_circle" and i == pick else "") if i not in marked else style,
                            0.0) for i in range(2))
    if kind in PERSON_KINDS:
        return lines, "person", None
    mark = {0: "none", 1: ("agree", "disagree")[pick], 2: "both"}[len(marked)]
    verdict = ballot_validity(("1",), (), 1, single_candidate_mark=mark)  # type: ignore[arg-type]
    return (lines, "valid" if verdict.valid else "invalid",
            Verdict(verdict.valid, mark if verdict.valid else "", verdict.reason))


# --- drawing ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Ink:
    pen: Pen
    width: float  # px
    opacity: float


def _smooth_noise(rng: np.random.Generator, n: int, scale: float, corr: int = 6) -> np.ndarray:
    """n values of smooth noise of about ±scale."""
    raw = rng.normal(0, 1, n + 2 * corr)
    kernel = np.hanning(2 * corr + 1)
    smooth = np.convolve(raw, kernel / kernel.sum(), mode="same")[corr:corr + n]
    std = smooth.std() or 1.0
    return smooth / std * scale


def _stroke(img: np.ndarray, pts: np.ndarray, ink: _Ink, rng: np.random.Generator, wobble: float) -> None:
    """Draw a hand-made stroke through `pts` (px): resampled to ~2 px steps, a wandering path, varying pressure."""
    pts = np.asarray(pts, dtype=float)
    seg = np.hypot(*np.diff(pts, axis=0).T)
    total = float(seg.sum())
    if total < 1:
        pts = np.vstack([pts[:1], pts[:1] + 1])
        seg, total = np.array([1.0]), 1.0
    n = max(2, int(total / 2) + 1)
    at = np.concatenate([[0], np.cumsum(seg)])
    t = np.linspace(0, total, n)
    path = np.column_stack([np.interp(t, at, pts[:, 0]), np.interp(t, at, pts[:, 1])])
    direction = np.gradient(path, axis=0)
    normal = np.column_stack([-direction[:, 1], direction[:, 0]])
    normal /= np.maximum(np.hypot(*normal.T), 1e-6)[:, None]
    path += normal * _smooth_noise(rng, n, wobble, corr=min(12, max(2, n // 4)))[:, None]
    pressure = np.clip(1 + _smooth_noise(rng, n, 0.18, corr=min(10, max(2, n // 4))), 0.55, 1.3)
    if n > 6:  # lighter where the pen lands and lifts
        ramp = np.minimum(1, np.minimum(np.arange(n), np.arange(n)[::-1]) / 3 + 0.5)
        pressure *= ramp
    pad = int(ink.width * 1.5) + 3
    h, w = img.shape[:2]
    x0 = max(0, int(path[:, 0].min()) - pad)
    y0 = max(0, int(path[:, 1].min()) - pad)
    x1 = min(w, int(path[:, 0].max()) + pad + 1)
    y1 = min(h, int(path[:, 1].max()) + pad + 1)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    local = np.round((path - [x0, y0]) * 16).astype(np.int32)
    for i in range(n - 1):
        thickness = max(1, int(round(ink.width * pressure[i])))
        level = int(min(255, 255 * (0.7 + 0.3 * min(pressure[i], 1))))
        cv2.line(mask, (int(local[i, 0]), int(local[i, 1])), (int(local[i + 1, 0]), int(local[i + 1, 1])), level,
                 thickness, cv2.LINE_AA, shift=4)
    _ink(img, (x0, y0, x1, y1), mask, ink.pen.colour, ink.opacity)


def _ink(img: np.ndarray, box: tuple[int, int, int, int], mask: np.ndarray, colour: tuple[int, int, int],
         opacity: float) -> None:
    """Multiply the ink's colour into the paper under `mask`."""
    x0, y0, x1, y1 = box
    region = img[y0:y1, x0:x1].astype(np.float32)
    alpha = (mask.astype(np.float32) * (opacity / 255))[..., None]
    tone = np.array(colour, np.float32) / 255
    img[y0:y1, x0:x1] = (region * (1 - alpha * (1 - tone))).astype(np.uint8)  # stays within 0…255


def _choose_ink(rng: np.random.Generator, frame: Frame) -> tuple[_Ink, float]:
    pen = PENS[int(rng.choice(len(PENS), p=np.array([p.weight for p in PENS]) / sum(p.weight for p in PENS)))]
    width_mm = float(rng.uniform(0.3, 1.2) if pen.name != "pencil" else rng.uniform(0.3, 0.8))
    return _Ink(pen, max(1.0, frame.mm(width_mm)), float(rng.uniform(*pen.opacity))), width_mm


def _name_path(frame: Frame, line: NameLine, xa: float, xb: float, rng: np.random.Generator,
               offset: float = 0.0, wave: tuple[float, float] | None = None) -> np.ndarray:
    """A strike's path (px) from design x `xa` to `xb` across `line`, slightly tilted and bowed."""
    size = line.font_size
    half = max(1.0, (line.text.x1 - line.text.x0) / 2)
    tilt = math.tan(math.radians(min(4.0, math.degrees(math.atan(0.3 * size / half))))) * rng.uniform(-1, 1)
    centre_y = line.baseline + 0.3 * size + offset + rng.uniform(-0.12, 0.12) * size
    mid = (line.text.x0 + line.text.x1) / 2
    xs = np.linspace(xa, xb, max(8, int(abs(xb - xa) / 3)))
    ys = centre_y + (xs - mid) * tilt + rng.uniform(-0.08, 0.08) * size * (1 - ((xs - mid) / max(half, 1)) ** 2)
    if wave is not None:
        amplitude, period = wave
        ys = ys + amplitude * np.sin(2 * math.pi * (xs - xa) / period + rng.uniform(0, 2 * math.pi))
    X, Y = frame.px(xs, ys)
    return np.column_stack([X, Y])


def _strike_span(rng: np.random.Generator, line: NameLine, style: str, cover: float) -> tuple[float, float]:
    x0, x1 = line.text.x0, line.text.x1
    w = x1 - x0
    lo, hi = MARGIN + 2, BOX_W - MARGIN - 2
    if style == "partial":
        start = x0 + rng.uniform(0, 1 - cover) * w
        return start, start + cover * w
    if style == "long":
        before, after = rng.uniform(0, 15 * MM, 2) * (rng.random(2) < 0.7)
        return max(lo, x0 - 3 - before), min(hi, x1 + 3 + after)
    return max(lo, x0 - rng.uniform(-0.02, 0.08) * w), min(hi, x1 + rng.uniform(-0.02, 0.08) * w)


def _draw_name(img: np.ndarray, frame: Frame, line: NameLine, truth: LineTruth, ink: _Ink,
               rng: np.random.Generator) -> None:
    wobble = frame.mm(0.25)
    size = line.font_size
    style = truth.style
    if truth.intended == "struck" and style != "whole_list":
        xa, xb = _strike_span(rng, line, style, truth.cover)
        if style == "double":
            gap = rng.uniform(0.12, 0.2) * size
            for offset in (-gap, gap):
                _stroke(img, _name_path(frame, line, xa, xb, rng, offset), ink, rng, wobble)
        elif style == "wavy":
            wave = (float(rng.uniform(0.12, 0.28) * size), float(rng.uniform(0.7, 1.6) * size))
            _stroke(img, _name_path(frame, line, xa, xb, rng, wave=wave), ink, rng, wobble)
        elif style == "scribble":
            step = rng.uniform(1.5, 3) * MM
            xs = np.arange(xa, xb + step, step)
            ys = line.baseline + 0.3 * size + np.where(np.arange(len(xs)) % 2, 1, -1) * rng.uniform(0.25, 0.4) * size
            X, Y = frame.px(np.clip(xs, xa, xb), ys)
            _stroke(img, np.column_stack([X, Y]), ink, rng, wobble * 0.6)
        else:
            _stroke(img, _name_path(frame, line, xa, xb, rng), ink, rng, wobble)
    elif style == "tick":
        at = line.text.x0 - rng.uniform(2, 6) * MM if rng.random() < 0.5 else line.text.x1 + rng.uniform(1, 4) * MM
        at = min(max(at, MARGIN + 3 * MM), BOX_W - MARGIN - 3 * MM)
        low = line.baseline
        h = size * rng.uniform(0.8, 1.1)
        xs = np.array([at - 0.25 * h, at, at + 0.55 * h])
        ys = np.array([low + 0.45 * h, low - 0.05 * h, low + h * 0.95])
        _stroke(img, np.column_stack(frame.px(xs, ys)), ink, rng, wobble * 0.5)
    elif style == "circle":
        cx = (line.text.x0 + line.text.x1) / 2
        cy = line.baseline + 0.3 * size
        rx = (line.text.x1 - line.text.x0) / 2 + rng.uniform(1.5, 4) * MM
        ry = size * rng.uniform(0.75, 0.95)
        start = rng.uniform(0, 2 * math.pi)
        t = start + np.linspace(0, 2 * math.pi * rng.uniform(1.02, 1.12), 60)
        _stroke(img, np.column_stack(frame.px(cx + rx * np.cos(t), cy + ry * np.sin(t))), ink, rng, wobble)


def _draw_whole_list(img: np.ndarray, frame: Frame, names: Sequence[NameLine], ink: _Ink,
                     rng: np.random.Generator) -> None:
    """One zig-zag stroke through every name in turn (left to right, then back)."""
    xs: list[float] = []
    ys: list[float] = []
    for i, line in enumerate(names):
        xa, xb = _strike_span(rng, line, "strike", 1.0)
        y = line.baseline + 0.3 * line.font_size + rng.uniform(-0.1, 0.1) * line.font_size
        ends = (xa, xb) if i % 2 == 0 else (xb, xa)
        xs += list(ends)
        ys += [y, y]
    _stroke(img, np.column_stack(frame.px(np.array(xs), np.array(ys))), ink, rng, frame.mm(0.3))


def _draw_cross_list(img: np.ndarray, frame: Frame, names: Sequence[NameLine], ink: _Ink,
                     rng: np.random.Generator) -> None:
    x0 = min(line.text.x0 for line in names) - 3 * MM
    x1 = max(line.text.x1 for line in names) + 3 * MM
    top, bottom = names[0].band.y1 - 2 * MM, names[-1].band.y0 + 2 * MM
    for (ax, ay), (bx, by) in (((x0, top), (x1, bottom)), ((x1, top), (x0, bottom))):
        xs = np.linspace(ax, bx, 30)
        ys = np.linspace(ay, by, 30)
        _stroke(img, np.column_stack(frame.px(xs, ys)), ink, rng, frame.mm(0.4))


def _free_spot(rng: np.random.Generator, geometry: BallotGeometry, test: bool) -> tuple[float, float]:
    """A point clear of every line, box and printed thing: a side margin beside the list, or below it (on a test
    ballot, above its dark band: a mark on the band is not seen, and a test ballot never counts)."""
    lowest = min([n.band.y0 for n in geometry.names] + [c.box.y0 for c in geometry.choices])
    highest = max([n.band.y1 for n in geometry.names] + [c.box.y1 + 10 * MM for c in geometry.choices])
    bottom = (MARGIN + BAND_H if test else geometry.marks[1].y1) + 6 * MM
    if rng.random() < 0.5 and lowest - bottom > 12 * MM:
        return float(rng.uniform(MARGIN + 15 * MM, BOX_W - MARGIN - 15 * MM)), float(rng.uniform(bottom,
                                                                                                 lowest - 6 * MM))
    x = float(rng.uniform(2.5 * MM, MARGIN - 3 * MM))
    return (x if rng.random() < 0.5 else BOX_W - x), float(rng.uniform(lowest + 2 * MM, highest - 2 * MM))


def _draw_stray(img: np.ndarray, frame: Frame, geometry: BallotGeometry, ink: _Ink, rng: np.random.Generator,
                test: bool) -> None:
    x, y = _free_spot(rng, geometry, test)
    if rng.random() < 0.5:  # a dot
        radius = frame.mm(float(rng.uniform(0.8, 1.8)))
        cx, cy = frame.px(x, y)
        mask = np.zeros((int(4 * radius) + 4,) * 2, np.uint8)
        c = mask.shape[0] // 2
        cv2.circle(mask, (c, c), max(1, int(radius)), 255, -1, cv2.LINE_AA)
        x0, y0 = int(cx) - c, int(cy) - c
        h, w = img.shape[:2]
        # Clipped to the image: by the paper's edge (an A4×4 ballot's side margin is the page's edge) the dot is still
        # drawn, as the truth says it is.
        left, top = max(0, -x0), max(0, -y0)
        right, bottom = min(mask.shape[1], w - x0), min(mask.shape[0], h - y0)
        if right > left and bottom > top:
            _ink(img, (x0 + left, y0 + top, x0 + right, y0 + bottom), mask[top:bottom, left:right], ink.pen.colour,
                 ink.opacity)
    else:  # a short stroke, mostly vertical in a side margin
        length = rng.uniform(4, 10) * MM
        angle = rng.uniform(60, 120) if x < MARGIN or x > BOX_W - MARGIN else rng.uniform(-40, 40)
        dx, dy = math.cos(math.radians(angle)) * length / 2, math.sin(math.radians(angle)) * length / 2
        xs = np.linspace(x - dx, x + dx, 8)
        ys = np.linspace(y - dy, y + dy, 8)
        _stroke(img, np.column_stack(frame.px(xs, ys)), ink, rng, frame.mm(0.2))


def _draw_box(img: np.ndarray, frame: Frame, box: Rect, style: str, ink: _Ink, rng: np.random.Generator) -> None:
    w, h = box.width, box.height
    cx = (box.x0 + box.x1) / 2 + rng.uniform(-0.1, 0.1) * w
    cy = (box.y0 + box.y1) / 2 + rng.uniform(-0.1, 0.1) * h
    wobble = frame.mm(0.15)
    if style == "x":
        r = rng.uniform(0.3, 0.6, 4) * np.array([w, h, w, h])
        for sign in (1, -1):
            xs = np.linspace(cx - r[0], cx + r[2], 10)
            ys = np.linspace(cy + sign * r[1], cy - sign * r[3], 10)
            _stroke(img, np.column_stack(frame.px(xs, ys)), ink, rng, wobble)
    elif style == "tick":
        s = rng.uniform(0.7, 1.1) * w
        xs = np.array([cx - 0.35 * s, cx - 0.1 * s, cx + 0.4 * s])
        ys = np.array([cy, cy - 0.3 * s, cy + 0.45 * s])
        _stroke(img, np.column_stack(frame.px(xs, ys)), ink, rng, wobble)
    elif style == "fill":
        step = max(frame.mm(0.7), ink.width * 0.8) / frame.k / frame.scale
        ys = np.arange(box.y0 + 0.15 * h, box.y1 - 0.15 * h, step)
        xs = np.where(np.arange(len(ys)) % 2, box.x0 + 0.12 * w, box.x1 - 0.12 * w)
        _stroke(img, np.column_stack(frame.px(xs, ys)), ink, rng, wobble)


def _draw_label_circle(img: np.ndarray, frame: Frame, geometry: BallotGeometry, index: int, ink: _Ink,
                       rng: np.random.Generator) -> None:
    choice = geometry.choices[index]
    cx = (choice.box.x0 + choice.box.x1) / 2
    cy = choice.label_baseline + 4
    t = rng.uniform(0, 2 * math.pi) + np.linspace(0, 2.1 * math.pi, 50)
    _stroke(img, np.column_stack(frame.px(cx + 16 * MM * np.cos(t), cy + 3.4 * MM * np.sin(t))), ink, rng,
            frame.mm(0.2))


def _draw_single_name_strike(img: np.ndarray, frame: Frame, geometry: BallotGeometry, design: Design, ink: _Ink,
                             rng: np.random.Generator) -> None:
    name = geometry.single
    assert name is not None  # one candidate
    y = name.baseline + 0.3 * name.font_size  # through the letters' middle, a little beyond each end
    xs = np.linspace(name.text.x0 - 3 * MM, name.text.x1 + 3 * MM, 30)
    _stroke(img, np.column_stack(frame.px(xs, y + 0 * xs)), ink, rng, frame.mm(0.25))


def _draw_stamp(img: np.ndarray, frame: Frame, rng: np.random.Generator) -> None:
    """The election team's round red stamp in the stamp area."""
    cx = MARGIN + STAMP_W / 2 + rng.uniform(-3, 3) * MM
    cy = BOX_H - MARGIN - STAMP_H / 2 + rng.uniform(-1.5, 1.5) * MM
    r = frame.mm(float(rng.uniform(10, 11.5)) * frame.scale)
    X, Y = frame.px(cx, cy)
    size = int(2 * r) + 8
    mask = np.zeros((size, size), np.uint8)
    c = size // 2
    cv2.circle(mask, (c, c), int(r), 255, max(1, int(r / 14)), cv2.LINE_AA)
    cv2.circle(mask, (c, c), int(r * 0.72), 255, max(1, int(r / 22)), cv2.LINE_AA)
    for a in np.linspace(0, 2 * math.pi, 22, endpoint=False):  # the ring's lettering
        p = (int(c + 0.86 * r * math.cos(a)), int(c + 0.86 * r * math.sin(a)))
        cv2.circle(mask, p, max(1, int(r / 18)), 255, -1, cv2.LINE_AA)
    star = [(c + 0.35 * r * math.cos(a - math.pi / 2) * (1 if k % 2 == 0 else 0.4),
             c + 0.35 * r * math.sin(a - math.pi / 2) * (1 if k % 2 == 0 else 0.4))
            for k, a in enumerate(np.linspace(0, 2 * math.pi, 10, endpoint=False))]
    cv2.fillPoly(mask, [np.array(star, np.int32)], 255, cv2.LINE_AA)
    speckle = (rng.random(mask.shape) > 0.25).astype(np.uint8)
    mask = mask * speckle
    x0, y0 = int(X) - c, int(Y) - c
    h, w = img.shape[:2]
    if x0 >= 0 and y0 >= 0 and x0 + size <= w and y0 + size <= h:
        _ink(img, (x0, y0, x0 + size, y0 + size), mask, (60, 50, 200), float(rng.uniform(0.5, 0.85)))


def mark_ballot(img: np.ndarray, frame: Frame, design: Design, qr_text: str, kind: str,
                rng: np.random.Generator, stamp: bool = True) -> BallotTruth:
    """Draw a ballot of `kind` onto `img` (its page at frame.dpi) and say what it means."""
    geometry = design.geometry
    lines, outcome, verdict = plan(rng, design, kind)
    ink, width_mm = _choose_ink(rng, frame)
    stamped = stamp and rng.random() < 0.9
    if stamped:
        _draw_stamp(img, frame, rng)
    if geometry.names:
        if kind == "whole_list":
            _draw_whole_list(img, frame, geometry.names, ink, rng)
        elif kind == "cross_list":
            _draw_cross_list(img, frame, geometry.names, ink, rng)
        else:
            for truth in lines:
                _draw_name(img, frame, geometry.names[truth.index], truth, ink, rng)
    else:
        for truth in lines:
            if truth.intended == "marked":
                _draw_box(img, frame, geometry.choices[truth.index].box, truth.style, ink, rng)
            elif truth.style == "circle":
                _draw_label_circle(img, frame, geometry, truth.index, ink, rng)
        if kind == "name_strike":
            _draw_single_name_strike(img, frame, geometry, design, ink, rng)
    if kind in ("stray", "box_stray"):
        _draw_stray(img, frame, geometry, ink, rng, design.spec.test)
    return BallotTruth(qr_text, design, kind, lines, outcome, verdict, ink.pen.name, width_mm, stamped)


# --- rendering --------------------------------------------------------------------------------------------------

def render_page(design: Design, payloads: Sequence[str], dpi: float, first_only: bool = False
                ) -> tuple[np.ndarray, tuple[Frame, ...]]:
    """The first page of the ballots' PDF, rasterised (BGR), and the frame of each ballot on it. `first_only`:
    only the first ballot's design box and 3 mm around it (a cut ballot)."""
    out = io.BytesIO()
    render_ballots(design.spec, payloads, out)
    document = pdfium.PdfDocument(out.getvalue())
    places = placements(design.spec.layout)
    try:
        page = document[0]
        page_w, page_h = page.get_width(), page.get_height()
        crop = (0.0, 0.0, 0.0, 0.0)
        if first_only:
            x, y, scale = places[0]
            edge = 3 * MM
            left, bottom = max(0.0, x - edge), max(0.0, y - edge)
            right, top = min(page_w, x + BOX_W * scale + edge), min(page_h, y + BOX_H * scale + edge)
            crop = (left, bottom, page_w - right, page_h - top)
            places = ((x - left, y - bottom, scale),)
            page_h = top - bottom
        image = page.render(scale=dpi / 72, crop=crop).to_numpy().copy()
    finally:
        document.close()
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3].copy()
    frames = tuple(Frame(x, y, scale, page_h, dpi) for x, y, scale in places)
    return image, frames[:len(payloads)]


def clean_page(rng: np.random.Generator, secret: bytes, design: Design, kinds: Sequence[str], dpi: float,
               stamp: bool = True, cut: bool = False, ink_only: bool = False,
               payloads: Sequence[str] | None = None, seeds: Sequence[MarkSeed] | None = None) -> CleanPage:
    """A page of `design`'s layout holding len(kinds) ballots, marked, before any degradation (`cut`: only the
    first ballot, cut from its page; `ink_only`: also the marks alone, on white; `payloads`: the ballots' signed QR
    texts, one per kind, instead of drawn ones; `seeds`: per ballot, the seed of its marks, or None: from `rng`)."""
    if payloads is None:
        payloads = [payload_for(design, rng, secret) for _ in kinds]
    elif len(payloads) != len(kinds):
        raise ValueError("one payload per kind")
    unmarked, frames = render_page(design, payloads, dpi, first_only=cut)
    marked = unmarked.copy()
    ink = np.full_like(unmarked, 255) if ink_only else None
    truths = []
    for frame, text, kind, seed in zip(frames, payloads, kinds, seeds or [None] * len(kinds)):
        own = rng if seed is None else np.random.default_rng(seed)
        if ink is not None:  # the same marks, from a twin of the generator's state
            twin = np.random.Generator(type(own.bit_generator)())
            twin.bit_generator.state = own.bit_generator.state
            mark_ballot(ink, frame, design, text, kind, twin, stamp)
        truths.append(mark_ballot(marked, frame, design, text, kind, own, stamp))
    return CleanPage(unmarked, marked, dpi, ink, tuple(truths), frames)


# --- degrading --------------------------------------------------------------------------------------------------

def _tint(img: np.ndarray, rng: np.random.Generator, amount: float) -> list[float]:
    tint = [1.0 - float(rng.uniform(0, amount)) * f for f in (1.0, 0.5, 0.2)]  # B falls most: yellowish paper
    img[...] = cv2.multiply(img, np.array([*tint, 0.0]))  # a per-channel scalar
    return [round(t, 4) for t in tint]


def _warp(img: np.ndarray, rng: np.random.Generator, share: float, skew: float = 0.0) -> tuple[np.ndarray, float]:
    """Crumpled paper: a smooth random displacement field, up to `share` of the image's size; with `skew` (degrees)
    the page also turns about its centre, in the same resampling. Returns the new image and the displacement."""
    h, w = img.shape[:2]
    amplitude = float(rng.uniform(0.1, 1.0) * share * max(h, w))
    if amplitude < 0.5 and not skew:
        return img, 0.0
    small = rng.normal(0, 1, (2, 5, 4)).astype(np.float32)
    sh, sw = max(2, h // 4), max(2, w // 4)  # the maps at a quarter of the size, then linearly up (exact for the grid)
    dx = cv2.resize(small[0], (sw, sh), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(small[1], (sw, sh), interpolation=cv2.INTER_CUBIC)
    gain = amplitude / max(float(np.abs(dx).max()), float(np.abs(dy).max()), 1e-6)
    gx, gy = np.meshgrid((np.arange(sw, dtype=np.float32) + 0.5) * (w / sw) - 0.5,
                         (np.arange(sh, dtype=np.float32) + 0.5) * (h / sh) - 0.5)
    if skew:  # where each output pixel comes from on the unturned page
        inverse = cv2.invertAffineTransform(cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1)).astype(np.float32)
        gx, gy = (inverse[0, 0] * gx + inverse[0, 1] * gy + inverse[0, 2],
                  inverse[1, 0] * gx + inverse[1, 1] * gy + inverse[1, 2])
    map_x = cv2.resize(gx + dx * gain, (w, h), interpolation=cv2.INTER_LINEAR)
    map_y = cv2.resize(gy + dy * gain, (w, h), interpolation=cv2.INTER_LINEAR)
    if skew:
        out = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                        borderValue=(248, 248, 248))
    else:
        out = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out, amplitude


def _blur(img: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[str, float, float]:
    if strength <= 0:
        return ("none", 0.0, 0.0)
    if rng.random() < 0.3:
        length = int(rng.uniform(2, 4 * strength)) | 1
        angle = float(rng.uniform(0, 180))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1
        rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1)
        kernel = np.asarray(cv2.warpAffine(kernel, rot, (length, length)), np.float32)
        kernel /= max(float(kernel.sum()), 1e-6)
        cv2.filter2D(img, -1, kernel, dst=img)
        return ("motion", float(length), angle)
    sigma = float(rng.uniform(0, strength))
    if sigma > 0.3:
        cv2.GaussianBlur(img, (0, 0), sigma, dst=img)
    return ("defocus", sigma, 0.0)


def _light(img: np.ndarray, rng: np.random.Generator, depth: float) -> dict[str, Any]:
    """A light gradient across the picture and, often, a soft shadow."""
    h, w = img.shape[:2]
    small_h, small_w = max(2, h // 16), max(2, w // 16)
    yy, xx = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    angle = float(rng.uniform(0, 2 * math.pi))
    ramp = (xx / small_w * math.cos(angle) + yy / small_h * math.sin(angle))
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    gradient = float(rng.uniform(0, depth))
    light = 1 - gradient * ramp
    shadow = 0.0
    if rng.random() < 0.5:
        shadow = float(rng.uniform(min(0.1, depth), depth))
        cy, cx = rng.uniform(0, small_h), rng.uniform(0, small_w)
        radius = rng.uniform(0.15, 0.45) * max(small_h, small_w)
        light *= 1 - shadow * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius ** 2))
    full = cv2.resize((light * 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    img[...] = cv2.multiply(img, cv2.merge([full] * img.shape[2]) if img.ndim == 3 else full, scale=1 / 255)
    return {"gradient": round(gradient, 3), "shadow": round(shadow, 3)}


_NOISE_TILE = 512


@lru_cache(maxsize=32)
def _noise_tiles(sigma: int, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative parts of Gaussian noise of `sigma`, as uint8 tiles (fixed seed: the sample's own
    generator picks the offset)."""
    noise = np.random.default_rng(sigma * 10 + channels).normal(0, sigma, (_NOISE_TILE, _NOISE_TILE, channels))
    noise = np.round(noise).astype(np.int16)
    return np.clip(noise, 0, 255).astype(np.uint8), np.clip(-noise, 0, 255).astype(np.uint8)


def _noise(img: np.ndarray, rng: np.random.Generator, sigma: float) -> float:
    """Sensor noise (a whole sigma), from a tile of noise at a random offset."""
    s = int(round(rng.uniform(0.3, 1.0) * sigma))
    if s < 1:
        return 0.0
    channels = img.shape[2] if img.ndim == 3 else 1
    pos, neg = _noise_tiles(s, channels)
    oy, ox = (int(v) for v in rng.integers(0, _NOISE_TILE, 2))
    h, w = img.shape[:2]
    reps = (-(-(h + oy) // _NOISE_TILE), -(-(w + ox) // _NOISE_TILE), 1)
    for part, op in ((pos, cv2.add), (neg, cv2.subtract)):
        cover = np.tile(part, reps)[oy:oy + h, ox:ox + w]
        if img.ndim == 2:
            cover = cover[:, :, 0]
        img[...] = op(img, np.ascontiguousarray(cover))
    return float(s)


def _encode(img: np.ndarray, quality: int | None) -> bytes:
    if quality is None:
        ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    else:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def _photograph(ballot: np.ndarray, photo: np.ndarray, matrix: np.ndarray, field: np.ndarray) -> None:
    """Lay `ballot`, crumpled by the displacement `field` (2 × a coarse grid, in ballot pixels), onto `photo` through
    the perspective `matrix`, in one resampling: for every photo pixel, where it comes from on the ballot."""
    oh, ow = photo.shape[:2]
    bh, bw = ballot.shape[:2]
    sh, sw = max(2, oh // 4), max(2, ow // 4)  # maps at a quarter of the size, then linearly up
    gx, gy = np.meshgrid((np.arange(sw, dtype=np.float32) + 0.5) * (ow / sw) - 0.5,
                         (np.arange(sh, dtype=np.float32) + 0.5) * (oh / sh) - 0.5)
    back = np.linalg.inv(matrix).astype(np.float32)
    den = back[2, 0] * gx + back[2, 1] * gy + back[2, 2]
    qx = (back[0, 0] * gx + back[0, 1] * gy + back[0, 2]) / den
    qy = (back[1, 0] * gx + back[1, 1] * gy + back[1, 2]) / den
    fh, fw = max(2, bh // 8), max(2, bw // 8)
    dx = cv2.resize(field[0], (fw, fh), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(field[1], (fw, fh), interpolation=cv2.INTER_CUBIC)
    at_x, at_y = qx * (fw / bw), qy * (fh / bh)
    qx = qx + cv2.remap(dx, at_x, at_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    qy = qy + cv2.remap(dy, at_x, at_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    map_x = cv2.resize(qx, (ow, oh), interpolation=cv2.INTER_LINEAR)
    map_y = cv2.resize(qy, (ow, oh), interpolation=cv2.INTER_LINEAR)
    cv2.remap(ballot, map_x, map_y, cv2.INTER_LINEAR, dst=photo, borderMode=cv2.BORDER_TRANSPARENT)


def _background(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, str]:
    """A table under the ballot: made at an eighth of the size, then enlarged (smooth)."""
    kind = str(rng.choice(["wood", "grey", "dark", "cloth"]))
    base = {"wood": (60, 105, 150), "grey": (150, 150, 145), "dark": (45, 45, 50), "cloth": (120, 70, 60)}[kind]
    sw, sh = max(2, w // 8), max(2, h // 8)
    small = rng.normal(0, 14, (sh, sw)).astype(np.float32)
    small = np.asarray(cv2.GaussianBlur(small, (0, 0), 1.5), np.float32)
    if kind == "wood":
        small += 14 * np.sin(np.arange(sw, dtype=np.float32) / rng.uniform(1.5, 4))[None, :]
    bg = np.clip(np.array(base, np.float32)[None, None, :] + small[..., None], 0, 255).astype(np.uint8)
    return cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR), kind


# --- the two forms ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Printed:
    """A ballot the app itself printed (ballots.printing.print_batch): its design (ballots.printing.sheet_spec and the
    poll's candidacy ids), its signed QR text with its real serial, the kind of marks to draw on it and, when given,
    their own seed: the same marks (the same kept name, pen, stamp and strokes) on every photo or scan of it."""

    design: Design
    qr_text: str
    kind: str
    seed: MarkSeed = None


class MarkedBallots:
    """A seeded source of marked ballots: photos and scanner pages with their truth. Without `printed` ballots, the
    design and the ballots are drawn from the mix (and the same seed makes the same samples as before they could be
    given)."""

    def __init__(self, secret: bytes, seed: int | Sequence[int] = 0, mix: Mix = DEFAULT_MIX,
                 degrade: Degrade = DEFAULT_DEGRADE):
        self.secret = secret
        self.rng = np.random.default_rng(seed)
        self.mix = mix
        self.degrade = degrade

    def _kinds(self, design: Design, n: int) -> list[str]:
        return [choose_kind(self.rng, self.mix, len(design.candidate_ids)) for _ in range(n)]

    def photo(self, printed: Printed | None = None) -> Sample:
        """One cut ballot photographed on a table with a phone (`printed`: that ballot, marked with its kind)."""
        rng, d = self.rng, self.degrade
        design = printed.design if printed else choose_design(rng, self.mix)
        out_h = int(rng.choice([1440, 1600, 1920, 2048]))
        out_w = out_h * 3 // 4
        fill = float(rng.uniform(0.62, 0.9))
        scale = placements(design.spec.layout)[0][2]
        ballot_in = BOX_H * scale / 72
        dpi = float(np.clip(out_h * fill / ballot_in * 1.05, 100, 300))
        kinds = [printed.kind] if printed else self._kinds(design, 1)
        page = clean_page(rng, self.secret, design, kinds, dpi, cut=True,
                          payloads=[printed.qr_text] if printed else None, seeds=[printed.seed] if printed else None)
        ballot = page.marked
        params: dict[str, Any] = {"dpi": round(dpi, 1), "size": (out_w, out_h)}
        params["tint"] = _tint(ballot, rng, d.tint)
        bh, bw = ballot.shape[:2]
        warp = float(rng.uniform(0.1, 1.0) * d.warp * max(bh, bw))
        field = rng.normal(0, 1, (2, 5, 4)).astype(np.float32)
        field *= warp / max(float(np.abs(field).max()), 1e-6)  # ≈ the largest displacement (cubic overshoots a bit)
        params["warp_px"] = round(warp, 2)
        target_h = out_h * fill
        k = target_h / bh
        rotation = float(rng.uniform(-d.rotation, d.rotation))
        corners = np.array([[0, 0], [bw, 0], [bw, bh], [0, bh]], np.float32)
        centre = np.array([out_w / 2 + rng.uniform(-0.06, 0.06) * out_w, out_h / 2 + rng.uniform(-0.05, 0.05) * out_h])
        rad = math.radians(rotation)
        rot = np.array([[math.cos(rad), -math.sin(rad)], [math.sin(rad), math.cos(rad)]])
        dst = (corners - [bw / 2, bh / 2]) * k
        jitter = rng.uniform(-d.perspective, d.perspective, (4, 2)) * [bw * k, bh * k]
        # a phone held at an angle: one side nearer (larger) than the other
        tilt = float(rng.uniform(-d.perspective, d.perspective))
        dst[:, 0] *= 1 + tilt * np.sign(dst[:, 1]) * 1.0
        dst = (dst + jitter) @ rot.T + centre
        # keep the ballot inside the picture
        lo, hi = dst.min(axis=0), dst.max(axis=0)
        shrink = min(1.0, (out_w - 8) / (hi[0] - lo[0]), (out_h - 8) / (hi[1] - lo[1]))
        dst = (dst - (lo + hi) / 2) * shrink + (lo + hi) / 2
        lo, hi = dst.min(axis=0), dst.max(axis=0)
        dst += np.clip(0, 4 - lo, np.array([out_w - 4, out_h - 4]) - hi)
        matrix = cv2.getPerspectiveTransform(corners, dst.astype(np.float32))
        photo, background = _background(rng, out_w, out_h)
        _photograph(ballot, photo, matrix, field)
        params.update(background=background, rotation=round(rotation, 2), perspective=round(tilt, 3),
                      corners=dst.round(1).tolist())
        params["light"] = _light(photo, rng, d.light)
        params["blur"] = _blur(photo, rng, d.blur)
        params["noise"] = round(_noise(photo, rng, d.noise), 2)
        quality = int(rng.integers(d.jpeg[0], d.jpeg[1] + 1))
        params["jpeg"] = quality
        return Sample("photo", _encode(photo, quality), page.truths, params)

    def scan(self, dpi: int | None = None, printed: Sequence[Printed] = ()) -> Sample:
        """One scanner page: an A4 page of the layout's ballots (or a cut A5/A6 ballot on the glass). `printed`: the
        ballots of that page (one design, at most the layout's ballots per page), each marked with its kind."""
        rng, d = self.rng, self.degrade
        design = printed[0].design if printed else choose_design(rng, self.mix)
        if any(ballot.design != design for ballot in printed):
            raise ValueError("the ballots of one page share one design")
        layout = design.spec.layout
        dpi = int(dpi or rng.choice(d.dpi))
        per_page = len(placements(layout))
        if len(printed) > per_page:
            raise ValueError(f"a page of {layout} holds {per_page} ballots")
        kinds = [ballot.kind for ballot in printed] if printed else self._kinds(design, per_page)
        page = clean_page(rng, self.secret, design, kinds, dpi,
                          payloads=[ballot.qr_text for ballot in printed] if printed else None,
                          seeds=[ballot.seed for ballot in printed] if printed else None)
        image = page.marked
        params: dict[str, Any] = {"dpi": dpi, "layout": layout}
        if per_page == 1:  # a cut ballot on the scanner glass (A4 portrait)
            glass = np.full((round(A4_MM[1] / 25.4 * dpi), round(A4_MM[0] / 25.4 * dpi), 3), 250, np.uint8)
            h, w = image.shape[:2]
            oy = int(rng.integers(0, max(1, glass.shape[0] - h)))
            ox = int(rng.integers(0, max(1, glass.shape[1] - w)))
            glass[oy:oy + h, ox:ox + w] = image
            image = glass
            params["at"] = (ox, oy)
        params["tint"] = _tint(image, rng, d.tint / 3)
        grey = bool(rng.random() < 0.5)
        if grey:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        params["grey"] = grey
        skew = float(rng.uniform(-d.skew, d.skew))
        image, warp = _warp(image, rng, d.warp / 4, skew)
        params["warp_px"] = round(warp, 2)
        params["skew"] = round(skew, 3)
        turn = 0
        if d.turns:
            if layout == "A4x2" and rng.random() < 0.5:
                turn = 90
            if rng.random() < 0.1:
                turn += 180
        if turn:
            image = np.ascontiguousarray(np.rot90(image, k=-turn // 90))
        params["turn"] = turn
        params["blur"] = _blur(image, rng, d.blur / 3)
        params["noise"] = round(_noise(image, rng, d.noise / 3), 2)
        quality = None if rng.random() < 0.15 else int(rng.integers(max(60, d.jpeg[0]), 96))
        params["encoding"] = "png" if quality is None else f"jpeg {quality}"
        return Sample("scan", _encode(image, quality), page.truths, params)

    def samples(self, form: Form, count: int, dpi: int | None = None) -> Iterator[Sample]:
        for _ in range(count):
            yield self.photo() if form == "photo" else self.scan(dpi)


def write_feeder(samples: Iterable[Sample], out: BinaryIO, kind: Literal["pdf", "tiff"] = "pdf") -> int:
    """Scanner pages as one multi-page PDF or TIFF (what a document feeder makes); returns the number of pages."""
    pages: list[Image.Image] = []
    dpi = 200.0
    for sample in samples:
        img = sample.image
        pages.append(Image.fromarray(img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)))
        dpi = float(sample.params.get("dpi", dpi))
    if not pages:
        raise ValueError("no pages")
    if kind == "pdf":
        pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    else:
        pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate",
                      dpi=(dpi, dpi))
    return len(pages)
