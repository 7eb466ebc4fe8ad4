"""The marked-ballot generator (demo/marked_ballots.py, issue 19 part 4) tells the truth: a name it calls struck is
inked across at least half its width inside its line, a kept name has no ink in its line, a marked box has ink in it,
every QR still decodes at the mildest degradations, the verdicts are R-B1's, and a seed gives the same bytes."""
from __future__ import annotations

import io
from collections import Counter

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from ballots.geometry import BOX_H, BOX_W
from ballots.omr import Verdict
from ballots.qr import decode_payload
from demo.marked_ballots import (
    BOX_KINDS,
    DEFAULT_MIX,
    NAME_KINDS,
    PERSON_KINDS,
    BallotTruth,
    CleanPage,
    Degrade,
    MarkedBallots,
    Mix,
    Printed,
    choose_design,
    choose_kind,
    clean_page,
    make_design,
    payload_for,
    plan,
    write_feeder,
)
from election.rules import ballot_validity

SECRET = b"marked-ballots-test-secret"
DPI = 100
INK = 40  # grey levels the marks darken the paper by, at least, to count as ink


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.int16)


def _box(page: CleanPage, frame_no: int, rect) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = page.frames[frame_no].rect(rect)
    return round(x0), round(y0), round(x1), round(y1)


def _grown(rect, by: float):
    return type(rect)(rect.x0 - by, rect.y0 - by, rect.x1 + by, rect.y1 + by)


def _page(kind: str, layout: str, count: int, seed: int) -> CleanPage:
    rng = np.random.default_rng(seed)
    design = make_design(rng, count, layout)
    per_page = {"A4x2": 2, "A4x4": 4}.get(layout, 1)
    return clean_page(rng, SECRET, design, [kind] * per_page, DPI, ink_only=True)


@pytest.mark.parametrize("kind", ["strike", "long", "double", "wavy", "partial", "scribble", "whole_list",
                                  "all_struck", "blank", "too_many", "stray", "cross_list"])
@pytest.mark.parametrize("layout", ["A5", "A4x4"])
def test_a_struck_name_is_inked_across_half_its_width_and_a_kept_one_not_at_all(kind, layout):
    page = _page(kind, layout, 3 if kind in ("too_many", "cross_list") else 2 + len(kind) % 2, seed=len(kind))
    ink = _grey(page.ink) < 255 - INK  # the marks alone, on white: nothing printed hides them
    marked = (_grey(page.unmarked) - _grey(page.marked)) > INK  # and on the ballot, compared with the render
    struck = kept = 0
    for no, truth in enumerate(page.truths):
        for line in truth.lines:
            name = truth.design.geometry.names[line.index]
            bx0, by0, bx1, by1 = _box(page, no, name.band)
            tx0, _, tx1, _ = _box(page, no, name.text)
            columns = ink[by0:by1, tx0:tx1].any(axis=0)
            if line.intended == "struck":
                struck += 1
                assert columns.mean() >= 0.5, (truth.describe(), line, columns.mean())
                assert columns.mean() >= line.cover - 0.03, (truth.describe(), line, columns.mean())
                assert marked[by0:by1, tx0:tx1].sum() > 0.2 * (tx1 - tx0)
            elif kind != "cross_list":
                kept += 1
                assert not ink[by0:by1, bx0:bx1].any(), (truth.describe(), line)
                assert not marked[by0:by1, bx0:bx1].any(), (truth.describe(), line)
    assert struck + kept == sum(len(t.lines) for t in page.truths) or kind == "cross_list"
    if kind in ("blank", "cross_list"):
        assert struck == 0
    if kind in ("whole_list", "all_struck"):
        assert kept == 0


def test_partial_strikes_cover_half_to_nearly_all_of_the_name():
    covers = []
    for seed in range(3):
        page = _page("partial", "A5", 3, seed=100 + seed)
        ink = _grey(page.ink) < 255 - INK
        for line in page.truths[0].lines:
            if line.intended == "struck":
                name = page.truths[0].design.geometry.names[line.index]
                bx0, by0, bx1, by1 = _box(page, 0, name.band)
                tx0, _, tx1, _ = _box(page, 0, name.text)
                measured = ink[by0:by1, tx0:tx1].any(axis=0).mean()
                assert line.cover - 0.03 <= measured <= line.cover + 0.1, (line, measured)
                covers.append(line.cover)
    assert min(covers) >= 0.5 and max(covers) < 1


@pytest.mark.parametrize("kind", ["box_x", "box_tick", "box_fill", "both_boxes", "no_box", "box_circle",
                                  "name_strike"])
def test_a_marked_box_has_ink_inside_it_and_an_empty_one_none(kind):
    page = _page(kind, "A6", 1, seed=len(kind))
    ink = _grey(page.ink) < 255 - INK
    truth = page.truths[0]
    for line in truth.lines:
        x0, y0, x1, y1 = _box(page, 0, truth.design.geometry.choices[line.index].box)
        inside = ink[y0 + 2:y1 - 2, x0 + 2:x1 - 2]
        if line.intended == "marked":
            assert inside.mean() > 0.04, (truth.describe(), inside.mean())
        else:
            assert not inside.any(), truth.describe()


def test_stray_marks_lie_outside_every_line_and_box():
    for kind, count in (("stray", 2), ("stray", 3), ("box_stray", 1)):
        for seed in range(4):
            page = _page(kind, "A5", count, seed=seed)
            plain = _page(kind.replace("stray", "x") if count == 1 else "strike", "A5", count, seed=seed)
            ink = _grey(page.ink) < 255 - INK
            geometry = page.truths[0].design.geometry
            for rect in [n.band for n in geometry.names] + [_grown(c.box, 12) for c in geometry.choices]:
                x0, y0, x1, y1 = _box(page, 0, rect)
                ink[y0:y1, x0:x1] = False
            stamp_free = ink.copy()
            stamp_free[: ink.shape[0] // 4, : ink.shape[1] // 2] = False  # the team's stamp (top left)
            other = _grey(plain.ink) < 255 - INK
            other[: ink.shape[0] // 4, : ink.shape[1] // 2] = False
            for rect in [n.band for n in geometry.names] + [_grown(c.box, 12) for c in geometry.choices]:
                x0, y0, x1, y1 = _box(plain, 0, rect)
                other[y0:y1, x0:x1] = False
            assert stamp_free.sum() > 3, (kind, seed)  # the stray mark, outside every line and box
            assert not other.any(), (kind, seed)  # the same ballot without it has nothing there


def test_a_stray_mark_by_the_paper_s_edge_is_drawn_too():
    """An A4×4 ballot's side margin is the paper's edge: a dot there is drawn (clipped to the page), never left out of
    a ballot whose truth says a person must decide it."""
    for seed in range(16):  # seed 13: a dot 2 mm from the first ballot's left edge, left out before
        rng = np.random.default_rng(seed)
        design = make_design(rng, 2, "A4x4")
        page = clean_page(rng, SECRET, design, ["stray"] * 4, DPI, stamp=False, ink_only=True)
        ink = _grey(page.ink) < 255 - INK
        geometry = design.geometry
        for number, frame in enumerate(page.frames):
            for line in geometry.names:
                x0, y0, x1, y1 = _box(page, number, _grown(line.band, 2))
                ink[max(0, y0):y1, max(0, x0):x1] = False
            x0, y0, x1, y1 = (round(v) for v in frame.rect(type(geometry.names[0].band)(0, 0, BOX_W, BOX_H)))
            assert ink[max(0, y0):y1, max(0, x0):x1].sum() > 3, (seed, number)  # the stray mark


def _check_verdict(truth_lines, ids: tuple[str, ...], kind: str, outcome: str, verdict: Verdict | None) -> None:
    if kind in PERSON_KINDS:
        assert outcome == "person" and verdict is None
        return
    assert verdict is not None
    if len(ids) == 1:
        marked = [line.index for line in truth_lines if line.intended == "marked"]
        mark = {0: "none", 2: "both"}.get(len(marked)) or ("agree", "disagree")[marked[0]]
        expected = ballot_validity(ids, (), 1, single_candidate_mark=mark)
        choice = mark if expected.valid else ""
    else:
        kept = [ids[line.index] for line in truth_lines if line.intended == "kept"]
        expected = ballot_validity(ids, kept, 1)
        choice = kept[0] if expected.valid else ""
    assert verdict == Verdict(expected.valid, choice, expected.reason)
    assert outcome == ("valid" if expected.valid else "invalid")


def test_every_kind_has_r_b1_s_verdict_or_goes_to_a_person():
    rng = np.random.default_rng(5)
    reasons: Counter[str] = Counter()
    for kind in list(NAME_KINDS) + list(BOX_KINDS):
        for count in ((1,) if kind in BOX_KINDS else (2, 3)):
            for layout in ("A5", "A4x4"):
                design = make_design(rng, count, layout)
                for _ in range(5):
                    lines, outcome, verdict = plan(rng, design, kind)
                    _check_verdict(lines, design.candidate_ids, kind, outcome, verdict)
                    reasons[verdict.reason if verdict else "person"] += 1
    assert set(reasons) == {"valid", "too_many_kept", "no_name_kept", "both_boxes", "no_box", "person"}
    lines, outcome, verdict = plan(rng, make_design(rng, 3, "A5"), "blank")
    assert verdict == Verdict(False, "", "too_many_kept")
    lines, outcome, verdict = plan(rng, make_design(rng, 2, "A5"), "whole_list")
    assert verdict == Verdict(False, "", "no_name_kept")


def test_the_default_mix_is_mostly_clean_strikes_with_a_person_needed_for_half_to_one_percent():
    assert 0.005 <= DEFAULT_MIX.person_share() <= 0.01
    rng = np.random.default_rng(11)
    kinds = Counter(choose_kind(rng, DEFAULT_MIX, int(rng.choice([1, 2, 3], p=[0.2, 0.4, 0.4])))
                    for _ in range(8000))
    person = sum(n for kind, n in kinds.items() if kind in PERSON_KINDS) / 8000
    assert 0.003 <= person <= 0.012
    assert kinds["strike"] / 8000 > 0.6 and kinds["box_x"] / 8000 > 0.15
    only = Mix.only("circle")
    assert only.person_share() == 1
    assert {choose_kind(rng, only, int(choose_design(rng, only).candidate_ids.__len__())) for _ in range(20)} \
        == {"circle"}
    with pytest.raises(ValueError):
        Mix.only("smudge")


def _texts(image: np.ndarray) -> set[str]:
    return {result.text for result in zxingcpp.read_barcodes(image)}


def test_every_qr_decodes_at_the_mildest_degradations_and_verifies():
    source = MarkedBallots(SECRET, seed=3, degrade=Degrade.mild())
    truths: list[BallotTruth] = []
    for sample in [source.photo() for _ in range(4)] + [source.scan() for _ in range(3)]:
        found = _texts(sample.image)
        for truth in sample.truths:
            truths.append(truth)
            assert truth.qr_text in found, (sample.form, sample.params, truth.describe())
            payload = decode_payload(truth.qr_text, SECRET)
            assert payload.hamlet_id == truth.design.hamlet_id and payload.test == truth.design.spec.test
    assert len({t.qr_text for t in truths}) == len(truths)


def test_a_seed_gives_the_same_bytes_and_another_seed_others():
    def make(seed: int) -> list[bytes]:
        source = MarkedBallots(SECRET, seed=seed)
        return [source.photo().data, source.scan(150).data]

    first = make(42)
    assert first == make(42)
    assert make(43)[0] != first[0]


def test_photos_and_scans_record_their_degradations():
    source = MarkedBallots(SECRET, seed=9)
    photo = source.photo()
    assert photo.form == "photo" and len(photo.truths) == 1
    assert {"dpi", "rotation", "perspective", "blur", "light", "noise", "jpeg", "warp_px", "tint"} <= set(photo.params)
    assert photo.data[:2] == b"\xff\xd8" and abs(photo.params["rotation"]) <= 15
    assert photo.image.shape[:2] == tuple(reversed(photo.params["size"]))
    scan = source.scan(200)
    assert scan.form == "scan" and scan.params["dpi"] == 200
    assert {"skew", "turn", "blur", "noise", "encoding", "grey"} <= set(scan.params)
    per_page = {"A5": 1, "A6": 1, "A4x2": 2, "A4x4": 4}[scan.params["layout"]]
    assert len(scan.truths) == per_page
    long_side = max(scan.image.shape[:2])
    assert abs(long_side - 297 / 25.4 * 200) < 3


def test_scanner_pages_are_written_as_one_multi_page_pdf_or_tiff():
    source = MarkedBallots(SECRET, seed=4, mix=Mix(layouts={"A4x4": 1.0}))
    pages = [source.scan(150) for _ in range(2)]
    tiff, pdf = io.BytesIO(), io.BytesIO()
    assert write_feeder(pages, tiff, "tiff") == 2
    assert write_feeder(pages, pdf, "pdf") == 2
    with Image.open(io.BytesIO(tiff.getvalue())) as image:
        assert image.n_frames == 2
    document = pdfium.PdfDocument(pdf.getvalue())
    assert len(document) == 2
    rendered = document[1].render(scale=150 / 72).to_numpy()
    assert _texts(rendered) >= {t.qr_text for t in pages[1].truths}


def test_ballots_the_app_printed_keep_their_qr_and_show_the_same_marks_on_every_image():
    """bench/image_count.py marks a poll's real ballots: their own signed payloads, and with a seed of their own the
    same marks (kept name, pen, strokes) on a scanner page and on a photo."""
    rng = np.random.default_rng(12)
    design = make_design(rng, 3, "A4x4")
    texts = [payload_for(design, rng, SECRET) for _ in range(3)]
    printed = [Printed(design, text, kind, (7, i)) for i, (text, kind) in enumerate(zip(texts, ["strike", "wavy",
                                                                                              "tick"]))]
    source = MarkedBallots(SECRET, seed=1, degrade=Degrade.mild())
    scan = source.scan(150, printed)
    photo = source.photo(printed[1])
    assert [truth.qr_text for truth in scan.truths] == texts and len(scan.truths) == 3
    assert _texts(scan.image) >= set(texts) and _texts(photo.image) >= {texts[1]}
    again = scan.truths[1]
    assert (photo.truths[0].lines, photo.truths[0].pen, photo.truths[0].pen_mm, photo.truths[0].verdict) == \
        (again.lines, again.pen, again.pen_mm, again.verdict)
    assert scan.truths[2].verdict is None  # a tick: a person decides
    with pytest.raises(ValueError):
        source.scan(150, printed + printed[:2])  # five ballots on a page of four
