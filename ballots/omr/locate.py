"""Finding the ballots on a page: every QR, then each ballot's registration marks, then its homography.

Coordinates: the design box (ballots.geometry: points, origin bottom-left, y up) and the rectified image (SCALE pixels
per point, origin top-left, y down). `H` maps design-box points to page pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from ballots.geometry import BOX_H, BOX_W, MARK_SIZE, Rect, qr_rect, registration_marks

SCALE = 2.0  # rectified pixels per design point (~144 dpi on an A5 ballot)
FIND_SIDE = 1400  # a page is first searched for QRs at most this large
MAX_RESIDUAL = 0.012  # of the ballot's width: a fit worse than this (~1.8 mm on A5) is refused


@dataclass(frozen=True)
class FoundQR:
    text: str
    corners: np.ndarray  # 4×2 page pixels: the symbol's top-left, top-right, bottom-right, bottom-left


def _qr_corners(barcode: zxingcpp.Barcode, factor: float) -> np.ndarray:
    p = barcode.position
    return np.array([[pt.x, pt.y] for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)],
                    dtype=np.float64) * factor


def _read_qrs(image: np.ndarray, factor: float) -> list[FoundQR]:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
                                   try_invert=False)
    return [FoundQR(b.text, _qr_corners(b, factor)) for b in found if b.valid and b.text]


def _qr_side(corners: np.ndarray) -> float:
    return float(np.mean(np.linalg.norm(corners - np.roll(corners, 1, axis=0), axis=1)))


def find_qrs(image: np.ndarray) -> list[FoundQR]:
    """Every ballot QR on the page: first on the page downscaled, then at full size when the page could hold more
    ballots than were found (several ballots per A4, one QR missed at the lower resolution)."""
    height, width = image.shape[:2]
    factor = max(height, width) / FIND_SIDE
    found: list[FoundQR] = []
    if factor > 1.3:
        small = cv2.resize(image, (round(width / factor), round(height / factor)), interpolation=cv2.INTER_LINEAR)
        found = _read_qrs(small, max(height, width) / max(small.shape[:2]))
        if found:
            ballot_area = (_qr_side(found[0].corners) * BOX_W / qr_rect().width) ** 2 * BOX_H / BOX_W
            if (len(found) + 1) * ballot_area * 0.8 > height * width:
                return found
    full = _read_qrs(image, 1.0)
    return full if len(full) >= len(found) else found


def _design_qr() -> np.ndarray:
    q = qr_rect()
    return np.array([[q.x0, q.y1], [q.x1, q.y1], [q.x1, q.y0], [q.x0, q.y0]], dtype=np.float64)


def _apply(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), h).reshape(-1, 2)


def _centre(rect: Rect) -> tuple[float, float]:
    return (rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2


def _affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The least-squares affine map src → dst as a 3×3 matrix."""
    a = np.hstack([src, np.ones((len(src), 1))])
    solution, *_ = np.linalg.lstsq(a, dst, rcond=None)
    return np.vstack([solution.T, [0, 0, 1]])


@dataclass(frozen=True)
class Squares:
    """The dark filled squares of a page (registration mark candidates): centres (page pixels) and sides."""

    centres: np.ndarray  # n×2
    sides: np.ndarray  # n


def mark_side(qr: FoundQR) -> float:
    """A registration mark's expected side in page pixels, from the QR's size."""
    return _qr_side(qr.corners) * MARK_SIZE / qr_rect().width


def find_squares(image: np.ndarray, side: float) -> Squares:
    """Every dark, filled, square-ish blob of about `side` pixels (0.5–2×) on the page, against its local paper."""
    factor = 2 if side >= 14 else 1  # a mark of 7 px or more at half size is still found
    small = image[::factor, ::factor] if factor > 1 else image
    s = side / factor
    k = max(3, int(s * 1.5) | 1)
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    dark = (small.astype(np.int16) * 100 < paper.astype(np.int16) * 55).astype(np.uint8)
    count, _labels, stats, centroids = cv2.connectedComponentsWithStats(dark, connectivity=8)
    if count <= 1:
        return Squares(np.zeros((0, 2)), np.zeros(0))
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    sides = np.sqrt(area.astype(np.float64))
    keep = ((sides >= 0.5 * s) & (sides <= 2.0 * s) & (area >= 0.55 * w * h)
            & (np.maximum(w, h) <= 1.8 * np.minimum(w, h)) & (np.minimum(w, h) >= 0.5 * sides))
    return Squares(centroids[1:][keep] * factor + (factor - 1) / 2, sides[keep] * factor)


@dataclass(frozen=True)
class Located:
    homography: np.ndarray  # design-box points → page pixels
    residual: float  # the worst reprojection error, pixels

    @property
    def resolution(self) -> float:
        """The page's pixels per design point at the ballot's middle."""
        ends = _apply(self.homography, np.array([[BOX_W * 0.25, BOX_H / 2], [BOX_W * 0.75, BOX_H / 2]]))
        return float(np.linalg.norm(ends[1] - ends[0])) / (BOX_W / 2)


SEARCHES = ((0.3, 5), (0.65, 10))  # (distance from the QR's prediction in ballot widths, nearest squares tried)


def _best_marks(qr: FoundQR, squares: Squares, predicted: np.ndarray, side: float, reach: float, count: int
                ) -> tuple[float, np.ndarray] | None:
    """The three squares (top-left, bottom-left, bottom-right mark) whose homography with the QR's top-right corner
    puts the QR's other corners best where they are: (worst error in pixels, their indices)."""
    design_qr = _design_qr()
    choices = []
    for point in predicted:
        if len(squares.sides) == 0:
            return None
        d = np.linalg.norm(squares.centres - point, axis=1)
        near = np.flatnonzero((d <= reach) & (squares.sides >= 0.6 * side) & (squares.sides <= 1.6 * side))
        if len(near) == 0:
            return None
        choices.append(near[np.argsort(d[near])][:count])
    marks = registration_marks()
    design4 = np.array([design_qr[1], *[_centre(m) for m in marks]], dtype=np.float32)
    best: tuple[float, np.ndarray] | None = None
    for i in choices[0]:
        for j in choices[1]:
            for k in choices[2]:
                if len({i, j, k}) < 3:
                    continue
                page4 = np.array([qr.corners[1], squares.centres[i], squares.centres[j], squares.centres[k]],
                                 dtype=np.float32)
                hh = cv2.getPerspectiveTransform(design4, page4)
                error = float(np.max(np.linalg.norm(_apply(hh, design_qr) - qr.corners, axis=1)))
                if best is None or error < best[0]:
                    best = (error, np.array([i, j, k]))
    return best


def locate(image: np.ndarray, qr: FoundQR, squares: Squares | None = None) -> Located | None:
    """The ballot's homography from its QR and its three registration marks; None when a mark is missing or the
    points disagree (the ballot is not flat enough, not whole on the page, or another ballot's marks: never guess).

    The marks and the QR's top-right corner span the whole ballot: the homography they give must put the QR's
    other three corners where they are."""
    design_qr = _design_qr()
    h = _affine(design_qr, qr.corners)
    ends = _apply(h, np.array([[0, 0], [BOX_W, 0]]))
    ballot_w = float(np.linalg.norm(ends[1] - ends[0]))
    if ballot_w < 100:  # fewer than ~0.25 px per point: not readable
        return None
    side = ballot_w * MARK_SIZE / BOX_W
    if squares is None:
        squares = find_squares(image, side)
    marks = registration_marks()
    predicted = _apply(h, np.array([_centre(m) for m in marks]))
    best = None
    for reach, count in SEARCHES:  # near the QR's prediction first; farther (a phone held at an angle) if need be
        best = _best_marks(qr, squares, predicted, side, reach * ballot_w, count)
        if best is not None and best[0] <= MAX_RESIDUAL * ballot_w + 2:
            break
    if best is None or best[0] > MAX_RESIDUAL * ballot_w + 2:
        return None
    src = np.vstack([design_qr, [_centre(m) for m in marks]])
    dst = np.vstack([qr.corners, squares.centres[best[1]]])
    final, _ = cv2.findHomography(src, dst, 0)
    if final is None or np.linalg.det(final[:2, :2]) >= 0:  # y up in the design, down on the page: a mirror image is refused
        return None
    residual = float(np.max(np.linalg.norm(_apply(final, src) - dst, axis=1)))
    if residual > MAX_RESIDUAL * ballot_w + 1.5:
        return None
    # The squares chosen are the marks' size where the homography puts them.
    for index, mark in zip(best[1], marks):
        corners = _apply(final, np.array([[mark.x0, mark.y0], [mark.x1, mark.y0], [mark.x1, mark.y1],
                                          [mark.x0, mark.y1]]))
        expected = np.sqrt(abs(cv2.contourArea(corners.astype(np.float32))))
        if not 0.6 * expected <= squares.sides[index] <= 1.5 * expected:
            return None
    return Located(final, residual)


def to_rectified() -> np.ndarray:
    """Design-box points → rectified pixels (top-left origin)."""
    return np.array([[SCALE, 0, 0], [0, -SCALE, BOX_H * SCALE], [0, 0, 1]], dtype=np.float64)


def rectify(image: np.ndarray, located: Located) -> np.ndarray:
    """The ballot warped to its design box at SCALE pixels per point, grayscale, top-left origin."""
    size = (round(BOX_W * SCALE), round(BOX_H * SCALE))
    page_from_rectified = located.homography @ np.linalg.inv(to_rectified())
    return cv2.warpPerspective(image, page_from_rectified, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)


def rect_px(rect: Rect) -> tuple[int, int, int, int]:
    """A design rect in rectified pixels: (x0, y0, x1, y1), top-left origin."""
    return (round(rect.x0 * SCALE), round((BOX_H - rect.y1) * SCALE), round(rect.x1 * SCALE),
            round((BOX_H - rect.y0) * SCALE))
