"""Benchmark: ballots/s of render_ballots against bare reportlab loops drawing the same pages.

    .venv/bin/python bench/ballots.py --count 3000 --layout A5 [--naive]

- render_ballots: the production path (form XObject for the static part, one QR path per ballot);
- bare-inline: the same drawing operations written as one flat loop, no spec, grid or progress
  (the floor: what reportlab itself costs);
- bare-naive: the obvious approach, everything redrawn on every page, qrcode's default mask search,
  one rect per dark module.
The target is render_ballots ≥ 90% of bare-inline.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

if not __package__:  # run as a script: this file would shadow the `ballots` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import qrcode
from reportlab.lib.pagesizes import A5
from reportlab.pdfgen.canvas import Canvas

from ballots.pdf import BOX_H, BOX_W, MARGIN, QR_SIZE, BallotSheetSpec, _draw_static, _qr_literal, render_ballots
from ballots.qr import BallotPayload, election_definition, election_hash, encode_payload, new_serial
from core.fonts import REGULAR, register_fonts
from core.qr import qr_matrix

CANDIDATES = ("Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước")


def _spec(layout: str) -> BallotSheetSpec:
    return BallotSheetSpec("Nhiệm kỳ 2022 – 2025", "An Phú", "Bình Hải", date(2022, 5, 22), CANDIDATES,
                           district_name="Bình Sơn", layout=layout)  # type: ignore[arg-type]


def _payloads(count: int) -> list[str]:
    digest = election_hash(election_definition("2022-2025", 1, 1, enumerate(CANDIDATES, 1), 1))
    return [encode_payload(BallotPayload(digest, 1 + i % 120, new_serial()), b"bench-secret") for i in range(count)]


def bare_inline(spec: BallotSheetSpec, payloads: list[str], out: io.BytesIO) -> int:
    """The production drawing operations for A5, flattened into one loop."""
    c = Canvas(out, pagesize=A5, pageCompression=1, invariant=1)
    c.beginForm("b", 0, 0, BOX_W, BOX_H)
    _draw_static(c, spec)
    c.endForm()
    left, top = BOX_W - MARGIN - QR_SIZE, BOX_H - MARGIN
    for text in payloads:
        c.doForm("b")
        matrix = qr_matrix(text)
        module = QR_SIZE / len(matrix)
        c.saveState()
        c.transform(module, 0, 0, -module, left, top)
        c.addLiteral(_qr_literal(matrix))
        c.restoreState()
        c.setFont(REGULAR, 7)
        c.drawCentredString(left + QR_SIZE / 2, top - QR_SIZE - 9, "Số: " + text.split(".")[3])
        c.showPage()
    c.save()
    return len(payloads)


def bare_naive(spec: BallotSheetSpec, payloads: list[str], out: io.BytesIO) -> int:
    """Everything redrawn per page, qrcode's mask search, one rect per dark module."""
    c = Canvas(out, pagesize=A5, pageCompression=1, invariant=1)
    left, top = BOX_W - MARGIN - QR_SIZE, BOX_H - MARGIN
    for text in payloads:
        _draw_static(c, spec)
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        qr.add_data(text)
        qr.make(fit=True)
        module = QR_SIZE / len(qr.modules)
        for r, row in enumerate(qr.modules):
            for col, dark in enumerate(row):
                if dark:
                    c.rect(left + col * module, top - (r + 1) * module, module, module, stroke=0, fill=1)
        c.setFont(REGULAR, 7)
        c.drawCentredString(left + QR_SIZE / 2, top - QR_SIZE - 9, "Số: " + text.split(".")[3])
        c.showPage()
    c.save()
    return len(payloads)


def _race(runs: dict[str, Callable[[io.BytesIO], object]], count: int, repeat: int) -> dict[str, float]:
    """Best-of-`repeat` ballots/s per contender, runs interleaved so machine load hits all alike."""
    best = {label: float("inf") for label in runs}
    size = {label: 0 for label in runs}
    for _ in range(repeat):
        for label, run in runs.items():
            out = io.BytesIO()
            start = time.perf_counter()
            run(out)
            best[label] = min(best[label], time.perf_counter() - start)
            size[label] = len(out.getvalue())
    for label in runs:
        print(f"{label:<16} {best[label]:7.2f} s  {count / best[label]:8.1f} ballots/s  {size[label] / 1e6:6.1f} MB")
    return {label: count / seconds for label, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--layout", default="A5", choices=["A5", "A6", "A4x2", "A4x4"])
    parser.add_argument("--repeat", type=int, default=5, help="best of N interleaved runs")
    parser.add_argument("--naive", action="store_true", help="also time the naive loop (slow)")
    args = parser.parse_args()

    register_fonts()
    payloads = _payloads(args.count)
    spec = _spec(args.layout)
    a5 = _spec("A5")
    print(f"{args.count} ballots, layout {args.layout} (bare loops draw A5)")
    rates = _race({
        "render_ballots": lambda out: render_ballots(spec, payloads, out),
        "bare-inline": lambda out: bare_inline(a5, payloads, out),
    }, args.count, args.repeat)
    ours = rates["render_ballots"]
    print(f"render_ballots / bare-inline = {ours / rates['bare-inline']:.1%} (target ≥ 90%)")
    if args.naive:
        naive = _race({"bare-naive": lambda out: bare_naive(a5, payloads, out)}, args.count, 1)["bare-naive"]
        print(f"render_ballots / bare-naive  = {ours / naive:.1f}×")


if __name__ == "__main__":
    main()
