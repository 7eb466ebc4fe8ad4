"""The reader's entry points (ballots.omr's public interface): load_pages, read_page, verdict."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ballots.geometry import BallotGeometry
from ballots.omr import BallotRead, PageRead, Refused, Verdict
from ballots.omr.load import load_pages
from ballots.omr.locate import Squares, find_qrs, find_squares, locate, mark_side, rectify
from ballots.omr.marks import darkness, decide_boxes, decide_names, single_name_marked, stray_ink
from election.rules import ballot_validity

__all__ = ["load_pages", "read_page", "verdict"]

UNREADABLE = ("unreadable", "Không xác định được vị trí phiếu (thiếu dấu định vị ở góc, phiếu bị che, gấp hoặc "
              "chụp lệch quá): kiểm phiếu này bằng tay.")


def _is_test(qr_text: str) -> bool:
    """The payload's test flag (DT2.<hash>.<hamlet>.<serial>.<T|R>...): a test ballot has its red band at the
    bottom. geometry_for has already verified the signature."""
    parts = qr_text.split(".")
    return len(parts) > 4 and parts[4] == "T"


def read_page(image: np.ndarray, geometry_for: Callable[[str], BallotGeometry]) -> PageRead:
    """Every ballot on one page (grayscale uint8): its QR verified by `geometry_for` (which raises Refused), the
    ballot located by its QR and registration marks, rectified, and each line decided or left unclear."""
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError("read_page wants a grayscale uint8 image")
    ballots: list[BallotRead] = []
    refused: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    squares: Squares | None = None
    for qr in find_qrs(image):
        if qr.text in seen:
            continue
        seen.add(qr.text)
        try:
            geometry = geometry_for(qr.text)
        except Refused as refusal:
            refused.append((qr.text, refusal.code, refusal.message))
            continue
        if squares is None:  # once per page: the ballots of one page are printed at one size
            squares = find_squares(image, mark_side(qr))
        located = locate(image, qr, squares)
        if located is None:
            refused.append((qr.text, *UNREADABLE))
            continue
        rectified = rectify(image, located)
        dark = darkness(rectified)
        test = _is_test(qr.text)
        lines = (decide_names(dark, geometry, test, located.resolution) if geometry.names
                 else decide_boxes(dark, geometry))
        stray = stray_ink(dark, geometry, test)
        if not geometry.names:  # one candidate: a line through the name instead of a box: a person decides
            stray = stray or single_name_marked(dark, geometry, test)
        ballots.append(BallotRead(qr.text, lines, stray, rectified))
    return PageRead(tuple(ballots), tuple(refused))


def verdict(read: BallotRead, candidate_ids: Sequence[str], seats: int) -> Verdict | None:
    """What a decided read counts as (R-B1, election.rules.ballot_validity); None when a person must decide.

    `candidate_ids` in the printed order (geometry.names' order; one id for a single-candidate ballot)."""
    if not read.decided:
        return None
    ids = [str(i) for i in candidate_ids]
    if len(ids) == 1:
        marked = {("agree", "disagree")[line.index] for line in read.lines if line.mark == "marked"}
        mark = "both" if len(marked) == 2 else (marked.pop() if marked else "none")
        result = ballot_validity(ids, [], seats, single_candidate_mark=mark)  # type: ignore[arg-type]
        return Verdict(result.valid, mark if result.valid else "", result.reason)
    if len(read.lines) != len(ids):
        raise ValueError("the read has not one line per candidate")
    kept = [ids[line.index] for line in read.lines if line.mark == "kept"]
    result = ballot_validity(ids, kept, seats)
    return Verdict(result.valid, ",".join(kept) if result.valid else "", result.reason)  # one id when one seat
