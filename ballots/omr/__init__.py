"""Reading the marks on printed ballots (issue 19): images in, one read per ballot out, pure functions over numpy
arrays (OpenCV, zxing-cpp), no database and no model download.

A page (a phone photo, or a scanner page holding one, two or four ballots) → every QR found and handed to the
caller's `geometry_for`, which verifies it (signature, hamlet, round, not counted yet) and answers the ballot's
geometry (ballots.geometry) or refuses it → the ballot rectified to its design box from the QR's corners and the three
registration marks → each name line (several candidates) or box (one candidate) decided with a confidence, or left
unclear → ink found outside every line and box flagged (a mark that may identify the voter). What the app does with a
read (a scan record, or the adjudication queue) is ballots.scanning's business.

The public interface (what the rest of the app may import):
- the types below;
- ballots.omr.read.read_page(image, geometry_for) -> PageRead
- ballots.omr.read.load_pages(data) -> Iterator[numpy.ndarray]  (JPEG, PNG, multi-page TIFF or PDF; bounded)
- ballots.omr.read.verdict(read, candidate_ids, seats) -> Verdict | None  (R-B1 by election.rules.ballot_validity;
  None: a person decides)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Mark = Literal["kept", "struck", "marked", "empty", "unclear"]


class Refused(Exception):
    """Raised by a `geometry_for` callback: this QR is not a ballot to read here. `code` is ballots.scanning's refusal
    code where there is one ("forged", "foreign", "test", "counted", …) or "no_geometry" (printed before reading marks
    existed: count it with a tap)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LineRead:
    index: int  # geometry.names[index] (several candidates) or geometry.choices[index] (one: 0 agree, 1 disagree)
    mark: Mark  # names: "kept" / "struck"; boxes: "marked" / "empty"; "unclear" when the reader is not sure
    confidence: float  # 0…1, of the mark given (for "unclear": of the likelier of the two)
    box: tuple[int, int, int, int]  # the line's band or the box, in BallotRead.image pixels (x0, y0, x1, y1)


@dataclass(frozen=True)
class BallotRead:
    qr_text: str  # as decoded (geometry_for accepted it)
    lines: tuple[LineRead, ...]
    stray_ink: bool  # ink outside the lines, boxes and printed template: a person looks (R-B1 "adding names/text")
    image: np.ndarray  # the ballot rectified to its design box: grayscale uint8, top-left origin

    @property
    def decided(self) -> bool:
        return not self.stray_ink and all(line.mark != "unclear" for line in self.lines)


@dataclass(frozen=True)
class PageRead:
    ballots: tuple[BallotRead, ...]
    refused: tuple[tuple[str, str, str], ...]  # (qr_text or "", code, Vietnamese message) of what was not read


@dataclass(frozen=True)
class Verdict:
    """What a decided read counts as: the same fields as a tapped scan (ballots.models.BallotScan)."""

    valid: bool
    choice: str  # the kept candidacy id, "agree" / "disagree", or "" when invalid
    reason: str  # "valid" or an R-B1 reason code (election.counting.INVALID_REASONS)
