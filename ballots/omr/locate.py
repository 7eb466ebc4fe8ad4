"""Finding the ballots on a page: every QR, then each ballot's registration marks, then its homography.

Coordinates: the design box (ballots.geometry: points, origin bottom-left, y up) and the rectified image (SCALE pixels
per point, origin top-left, y down). `H` maps design-box points to page pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from ballots.geometry import BOX_H, BOX_W, Rect, qr_rect, registration_marks

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
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False)
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
        small = cv2.resize(image, (round(width / factor), round(height / factor)), interpolation=cv2.INTER_AREA)
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


def _find_mark(image: np.ndarray, h: np.ndarray, mark: Rect, radius: float) -> np.ndarray | None:
    """The centre (page pixels) of the dark filled square nearest to where `h` puts `mark`, within `radius` pixels;
    None when there is none of the right size and shape."""
    centre = _apply(h, np.array([_centre(mark)]))[0]
    corners = _apply(h, np.array([[mark.x0, mark.y0], [mark.x1, mark.y0], [mark.x1, mark.y1], [mark.x0, mark.y1]]))
    area = abs(cv2.contourArea(corners.astype(np.float32)))
    side = np.sqrt(max(area, 1.0))
    r = int(radius + side)
    height, width = image.shape[:2]
    x0, y0 = max(0, int(centre[0]) - r), max(0, int(centre[1]) - r)
    x1, y1 = min(width, int(centre[0]) + r + 1), min(height, int(centre[1]) + r + 1)
    if x1 - x0 < side or y1 - y0 < side:
        return None
    window = image[y0:y1, x0:x1]
    # Local threshold: the paper's light in this window (a shadow darkens both the mark and its paper).
    paper = float(np.percentile(window, 90))
    dark = (window < paper * 0.55).astype(np.uint8)
    count, _labels, stats, centroids = cv2.connectedComponentsWithStats(dark, connectivity=8)
    best, best_d = None, np.inf
    for i in range(1, count):
        bx, by, bw, bh, pixels = stats[i]
        if not 0.6 * area <= pixels <= 1.7 * area:
            continue
        if pixels < 0.45 * bw * bh:  # a filled square fills at least half its bounding box (rotated 45°)
            continue
        if not 0.6 * side <= min(bw, bh) <= max(bw, bh) <= 1.6 * side:
            continue
        c = centroids[i] + (x0, y0)
        d = float(np.hypot(*(c - centre)))
        if d <= radius and d < best_d:
            best, best_d = c, d
    return best


def _affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The least-squares affine map src → dst as a 3×3 matrix."""
    a = np.hstack([src, np.ones((len(src), 1))])
    solution, *_ = np.linalg.lstsq(a, dst, rcond=None)
    return np.vstack([solution.T, [0, 0, 1]])


@dataclass(frozen=True)
class Located:
    homography: np.ndarray  # design-box points → page pixels
    residual: float  # the worst reprojection error, pixels


def locate(image: np.ndarray, qr: FoundQR) -> Located | None:
    """The ballot's homography from its QR's corners and its three registration marks; None when a mark is missing
    or the points disagree (the ballot is not flat enough or not whole on the page: never guess)."""
    design_qr = _design_qr()
    h = _affine(design_qr, qr.corners)
    ends = _apply(h, np.array([[0, 0], [BOX_W, 0]]))
    ballot_w = float(np.linalg.norm(ends[1] - ends[0]))
    if ballot_w < 100:  # fewer than ~0.25 px per point: not readable
        return None
    found: list[np.ndarray] = []
    design: list[tuple[float, float]] = []
    # Top-left first (it shares the QR's top edge), then the bottom ones, refitting after each.
    for mark in registration_marks():
        point = _find_mark(image, h, mark, radius=0.09 * ballot_w)
        if point is None:
            point = _find_mark(image, h, mark, radius=0.2 * ballot_w)
        if point is None:
            return None
        found.append(point)
        design.append(_centre(mark))
        src = np.vstack([design_qr, np.array(design)])
        dst = np.vstack([qr.corners, np.array(found)])
        if len(src) >= 6:
            h, _ = cv2.findHomography(src, dst, 0)
        else:
            h = _affine(src, dst)
        if h is None:
            return None
    src = np.vstack([design_qr, np.array(design)])
    dst = np.vstack([qr.corners, np.array(found)])
    residual = float(np.max(np.linalg.norm(_apply(h, src) - dst, axis=1)))
    if residual > MAX_RESIDUAL * ballot_w + 1.5:
        return None
    return Located(h, residual)


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
