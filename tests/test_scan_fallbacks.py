"""The per-ballot scan page where no camera reads the QR: the typed short code (its check character), a photo decoded
on the server, the confirmation naming the candidate, and undoing a mis-tapped scan."""
from __future__ import annotations

import io
import json
import random
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from factories_counting import client_for, print_ballots
from PIL import Image

from ballots.models import Ballot, BallotScan, BallotState
from ballots.pdf import BallotSheetSpec, render_ballots
from ballots.qr import CROCKFORD, ShortCodeError, check_char, new_serial, short_code, typed_serial
from core.audit import AuditEntry
from extensions import db


def post_scan(client, poll, text="", choice="", reason="", key="k1", code=""):
    return client.post(f"/polls/{poll.id}/scan", json={"text": text, "code": code, "choice": choice, "reason": reason},
                       headers={"Idempotency-Key": key})


def serial_of(text: str) -> str:
    return text.split(".")[3]


def scans() -> list[BallotScan]:
    return list(db.session.scalars(db.select(BallotScan).order_by(BallotScan.id)))


# --- the check character -------------------------------------------------------------------------------------------

def test_short_code_is_the_serial_and_a_check_character_in_groups_of_four():
    serial = "2453RKGPA2"
    assert short_code(serial) == f"2453 RKGP A2{check_char(serial)}"
    code = short_code(serial)
    for typed in (code, code.lower(), code.replace(" ", "-"), code.replace(" ", ""), f"  {code}  ", serial):
        assert typed_serial(typed) == serial
    assert typed_serial(code.replace("0", "O").replace("1", "I")) == serial  # Crockford: O is 0, I and L are 1


def test_check_character_catches_every_substitution_and_adjacent_transposition():
    rng = random.Random(15)
    for _ in range(400):
        serial = "".join(rng.choice(CROCKFORD) for _ in range(10))
        code = serial + check_char(serial)
        assert typed_serial(code) == serial
        for i in range(len(code)):
            for char in CROCKFORD:
                if char != code[i]:
                    with pytest.raises(ShortCodeError) as error:
                        typed_serial(code[:i] + char + code[i + 1:])
                    assert error.value.code == "check"
        for i in range(len(code) - 1):  # the check character itself included
            if code[i] != code[i + 1]:
                with pytest.raises(ShortCodeError):
                    typed_serial(code[:i] + code[i + 1] + code[i] + code[i + 2:])


@pytest.mark.parametrize("typed, why", [("2453 RKGP A", "length"), ("2453 RKGP A2XYZ", "length"),
                                        ("2453 RKGP AU", "alphabet"), ("", "length")])
def test_a_code_of_the_wrong_length_or_alphabet_is_refused(typed, why):
    with pytest.raises(ShortCodeError) as error:
        typed_serial(typed)
    assert error.value.code == why


def test_the_check_character_reads_the_serial_alphabet_only():
    assert all(check_char(new_serial()) in CROCKFORD for _ in range(200))


# --- typing the code -------------------------------------------------------------------------------------------------

def test_a_typed_short_code_records_the_same_scan_as_its_qr(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 4, issued=4)
    client = client_for(app, setup.team_a)
    by_qr = post_scan(client, setup.poll, texts[0], choice=setup.ids[0], key="qr")
    typed = short_code(serial_of(texts[1])).lower().replace(" ", "-")
    checked = client.post(f"/polls/{setup.poll.id}/scan/check", json={"code": typed})
    assert checked.status_code == 200 and checked.get_json()["serial"] == serial_of(texts[1])
    assert checked.get_json()["text"] == texts[1]  # the phone sends this text with the choice, as for a QR
    by_code = post_scan(client, setup.poll, code=typed, choice=setup.ids[0], key="typed")
    assert by_qr.status_code == by_code.status_code == 201, by_code.get_json()
    first, second = scans()
    assert (first.serial, second.serial) == (serial_of(texts[0]), serial_of(texts[1]))
    assert (first.valid, first.choice, first.reason) == (second.valid, second.choice, second.reason)
    assert db.session.get(Ballot, second.ballot_id).state == BallotState.COUNTED
    # a retry of the typed scan replays it; the same ballot by its QR is then already counted
    again = post_scan(client, setup.poll, code=typed, choice=setup.ids[0], key="typed")
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert post_scan(client, setup.poll, texts[1], choice=setup.ids[0], key="qr2").get_json()["code"] == \
        "already_counted"


def test_a_ballot_printed_before_the_short_code_is_typed_by_its_serial(app, election):
    setup = election(households=10, present=8)
    [text] = print_ballots(setup.poll, 1, issued=1)
    response = post_scan(client_for(app, setup.team_a), setup.poll, code=serial_of(text), choice=setup.ids[1])
    assert response.status_code == 201 and response.get_json()["serial"] == serial_of(text)


def test_a_mistyped_code_is_refused_by_its_check_character_and_a_foreign_code_by_the_poll(app, election):
    setup = election(households=10, present=8)
    other = election(households=10, present=8, commune=setup.hamlet.commune, hamlet_name="Phước Thiện")
    [text] = print_ballots(setup.poll, 1, issued=1)
    [foreign] = print_ballots(other.poll, 1, issued=1)
    client = client_for(app, setup.team_a)
    code = short_code(serial_of(text))
    typo = code[:3] + ("7" if code[3] != "7" else "8") + code[4:]
    refused = client.post(f"/polls/{setup.poll.id}/scan/check", json={"code": typo})
    assert refused.status_code == 422 and "kiểm tra" in refused.get_json()["errors"]["code"]
    assert post_scan(client, setup.poll, code=typo, choice=setup.ids[0]).status_code == 422
    elsewhere = client.post(f"/polls/{setup.poll.id}/scan/check", json={"code": short_code(serial_of(foreign))})
    assert elsewhere.status_code == 409 and elsewhere.get_json()["code"] == "unknown_serial"
    assert "Phước Thiện" not in elsewhere.get_data(as_text=True)
    assert scans() == []


def test_a_typed_test_ballot_is_refused_like_its_qr(app, election):
    setup = election(households=10, present=8)
    [test_text] = print_ballots(setup.poll, 1, test=True)
    response = post_scan(client_for(app, setup.team_a), setup.poll, code=short_code(serial_of(test_text)),
                         choice=setup.ids[0])
    assert response.status_code == 409 and response.get_json()["code"] == "test_ballot"


# --- the confirmation names the candidate ----------------------------------------------------------------------------

def test_the_confirmation_names_the_kept_candidate_or_the_reason(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 3, issued=3)
    client = client_for(app, setup.team_a)
    kept = post_scan(client, setup.poll, texts[0], choice=setup.ids[1], key="a").get_json()
    assert kept["names"] == ["Đặng Văn Ước"]
    assert kept["message"] == "Đã ghi: phiếu hợp lệ — giữ tên Đặng Văn Ước"
    invalid = post_scan(client, setup.poll, texts[1], reason="too_many_kept", key="b").get_json()
    assert invalid["names"] == [] and invalid["message"].startswith("Đã ghi: phiếu không hợp lệ: ")
    assert "nhiều tên hơn" in invalid["message"]
    replayed = post_scan(client, setup.poll, texts[0], choice=setup.ids[1], key="a").get_json()
    assert replayed["replayed"] is True and replayed["names"] == ["Đặng Văn Ước"]


def test_one_candidate_agree_and_disagree_are_recorded_and_named(app, election):
    setup = election(households=10, present=8, names=("Lê Văn Đức",))
    texts = print_ballots(setup.poll, 3, issued=3)
    client = client_for(app, setup.team_a)
    agree = post_scan(client, setup.poll, texts[0], choice="agree", key="a")
    assert agree.status_code == 201, agree.get_json()
    assert agree.get_json()["message"] == "Đã ghi: phiếu hợp lệ — đồng ý Lê Văn Đức"
    disagree = post_scan(client, setup.poll, texts[1], choice="disagree", key="b").get_json()
    assert disagree["valid"] is True and disagree["message"] == "Đã ghi: phiếu hợp lệ — không đồng ý Lê Văn Đức"
    both = post_scan(client, setup.poll, texts[2], reason="both_boxes", key="c").get_json()
    assert both["valid"] is False and "cả hai ô" in both["message"]


# --- the photo ------------------------------------------------------------------------------------------------------

def _ballot_jpeg(setup, texts: list[str], layout: str = "A5") -> bytes:
    """A real ballot page, rendered and photographed (JPEG)."""
    spec = BallotSheetSpec(term_label="Nhiệm kỳ 2025 – 2027", hamlet_name=setup.hamlet.name,
                           commune_name="Bình Hải", election_date=date(2025, 6, 8),
                           candidates=tuple(c.person.full_name for c in setup.candidates), layout=layout)
    pdf = io.BytesIO()
    render_ballots(spec, texts, pdf)
    image = pdfium.PdfDocument(pdf.getvalue())[0].render(scale=150 / 72).to_pil().convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def post_photo(client, poll, data: bytes, name: str = "phieu.jpg"):
    return client.post(f"/polls/{poll.id}/scan/photo", data={"image": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_photo_of_a_ballot_is_decoded_on_the_server_and_checked_like_a_scan(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 2, issued=2)
    client = client_for(app, setup.team_a)
    response = post_photo(client, setup.poll, _ballot_jpeg(setup, texts[:1]))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"ok": True, "serial": serial_of(texts[0]), "text": texts[0]}
    assert scans() == []  # the photo only reads the ballot; the choice is recorded as for any scan
    assert post_scan(client, setup.poll, response.get_json()["text"], choice=setup.ids[0]).status_code == 201
    again = post_photo(client, setup.poll, _ballot_jpeg(setup, texts[:1]))
    assert again.status_code == 409 and again.get_json()["code"] == "already_counted"


def test_a_photo_without_a_qr_or_with_several_or_no_image_is_refused_clearly(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 4, issued=4)
    client = client_for(app, setup.team_a)
    blank = io.BytesIO()
    Image.new("RGB", (800, 600), "white").save(blank, format="JPEG")
    none = post_photo(client, setup.poll, blank.getvalue())
    assert none.status_code == 422 and "Không tìm thấy mã QR" in none.get_json()["errors"]["image"]
    several = post_photo(client, setup.poll, _ballot_jpeg(setup, texts, layout="A4x4"))
    assert several.status_code == 422 and re.search(r"Ảnh có 4 mã QR", several.get_json()["errors"]["image"])
    not_image = post_photo(client, setup.poll, b"%PDF-1.4 not a photo", "phieu.pdf")
    assert not_image.status_code == 422 and "không phải ảnh" in not_image.get_json()["errors"]["image"]
    huge = io.BytesIO()
    Image.new("1", (9000, 6000), 1).save(huge, format="PNG")  # 54 megapixels: refused before decoding
    too_large = post_photo(client, setup.poll, huge.getvalue(), "phieu.png")
    assert too_large.status_code == 422 and "quá lớn" in too_large.get_json()["errors"]["image"]
    assert client.post(f"/polls/{setup.poll.id}/scan/photo", data={}).status_code == 422
    assert scans() == []


def test_a_photo_is_read_only_for_the_poll_s_own_team(app, election):
    setup = election(households=10, present=8)
    other = election(households=10, present=8, hamlet_name="Phước Thiện")  # another commune
    texts = print_ballots(setup.poll, 1, issued=1)
    response = post_photo(client_for(app, other.team_a), setup.poll, _ballot_jpeg(setup, texts))
    assert response.status_code == 404


# --- undo -----------------------------------------------------------------------------------------------------------

def undo(client, poll, scan_id, reason="wrong_choice", note=""):
    return client.post(f"/polls/{poll.id}/scans/{scan_id}/undo", data={"reason": reason, "note": note})


def test_undo_removes_the_scan_makes_the_ballot_scannable_again_and_is_audited_with_its_reason(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 3, issued=3)
    client = client_for(app, setup.team_a)
    post_scan(client, setup.poll, texts[0], choice=setup.ids[0], key="a")
    post_scan(client, setup.poll, texts[1], choice=setup.ids[0], key="mis-tap")
    mis_tap = scans()[-1]
    page = client.get(f"/polls/{setup.poll.id}/scan").get_data(as_text=True)
    assert f"/scans/{mis_tap.id}/undo" in page and "giữ tên Nguyễn Thị Ánh Tuyết" in page and "data-confirm" in page
    response = undo(client, setup.poll, mis_tap.id, note="người bầu giữ tên ông Ước")
    assert response.status_code == 302
    assert [s.serial for s in scans()] == [serial_of(texts[0])]
    ballot = db.session.scalar(db.select(Ballot).where(Ballot.serial == serial_of(texts[1])))
    assert ballot.state == BallotState.PRINTED
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.record_type == "BallotScan",
                                                         AuditEntry.action == "delete"))
    assert entry is not None and "Bấm nhầm lựa chọn: người bầu giữ tên ông Ước" in entry.summary
    assert serial_of(texts[1]) in entry.summary
    # the ballot is scanned again, right this time; the undone request's key does not count it again
    late_retry = post_scan(client, setup.poll, texts[1], choice=setup.ids[0], key="mis-tap")
    assert late_retry.status_code == 422 and "idempotency_key" in late_retry.get_json()["errors"]
    rescanned = post_scan(client, setup.poll, texts[1], choice=setup.ids[1], key="again")
    assert rescanned.status_code == 201 and rescanned.get_json()["totals"] == {"valid": 2, "invalid": 0}
    assert post_scan(client, setup.poll, texts[1], choice=setup.ids[1], key="mis-tap").status_code == 409


def test_undo_needs_a_reason(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 1, issued=1)
    client = client_for(app, setup.team_a)
    post_scan(client, setup.poll, texts[0], choice=setup.ids[0])
    [scan] = scans()
    for reason, note in (("", ""), ("other", "  "), ("made-up", "x")):
        undo(client, setup.poll, scan.id, reason, note)
        assert len(scans()) == 1
    undo(client, setup.poll, scan.id, "other", "quét nhầm phiếu thử")
    assert scans() == []


def test_undo_is_refused_once_the_scans_became_a_count_entry(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 2, issued=2)
    client = client_for(app, setup.team_a)
    post_scan(client, setup.poll, texts[0], choice=setup.ids[0])
    [scan] = scans()
    client.post(f"/polls/{setup.poll.id}/scan/finish", data={"ballots_issued": 2, "acknowledged": "y",
                                                             "version": setup.poll.version})
    response = undo(client, setup.poll, scan.id)
    assert response.status_code == 302
    assert len(scans()) == 1
    assert db.session.get(Ballot, scan.ballot_id).state == BallotState.COUNTED
    assert "đã kết thúc" in client.get(response.location).get_data(as_text=True)


def test_undo_is_refused_to_another_hamlet_s_team_and_for_another_poll_s_scan(app, election):
    setup = election(households=10, present=8)
    other = election(households=10, present=8, commune=setup.hamlet.commune, hamlet_name="Phước Thiện")
    texts = print_ballots(setup.poll, 1, issued=1)
    other_texts = print_ballots(other.poll, 1, issued=1)
    post_scan(client_for(app, setup.team_a), setup.poll, texts[0], choice=setup.ids[0])
    post_scan(client_for(app, other.team_a), other.poll, other_texts[0], choice=other.ids[0], key="k2")
    mine, theirs = scans()
    assert undo(client_for(app, other.team_a), setup.poll, mine.id).status_code == 404
    assert undo(client_for(app, other.team_a), other.poll, mine.id).status_code == 404  # not that poll's scan
    assert undo(client_for(app, setup.team_a), setup.poll, theirs.id).status_code == 404
    assert len(scans()) == 2


def test_only_the_most_recent_scans_can_be_undone(app, election):
    setup = election(households=20, present=15)
    texts = print_ballots(setup.poll, 12, issued=12)
    client = client_for(app, setup.team_a)
    for i, text in enumerate(texts[:11]):
        post_scan(client, setup.poll, text, choice=setup.ids[0], key=f"k{i}")
    oldest = scans()[0]
    undo(client, setup.poll, oldest.id)
    assert db.session.get(BallotScan, oldest.id) is not None
    page = client.get(f"/polls/{setup.poll.id}/scan").get_data(as_text=True)
    assert f"/scans/{oldest.id}/undo" not in page and f"/scans/{scans()[-1].id}/undo" in page


def test_the_phone_checks_a_typed_code_exactly_as_the_server_does():
    """static/scan_ballots.js repeats typed_serial so a typo is caught before any request: run under Node, it reads
    the same serial or refuses for the same reason, over codes, typos, swaps and the older ballots' serials."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    script = (Path(__file__).resolve().parents[1] / "static" / "scan_ballots.js").read_text(encoding="utf-8")
    checker = script[script.index("  const ALPHABET"):script.index("  const grouped")]
    rng = random.Random(7)
    typed = ["", "2453 RKGP AU", "0I1L OOOO 00", "ß", "2453-rkgp-a2y"]
    for _ in range(30):
        serial = "".join(rng.choice(CROCKFORD) for _ in range(10))
        code = short_code(serial)
        i = rng.randrange(len(code))
        typed += [code, code.lower().replace(" ", "-"), serial, code[:i] + rng.choice(CROCKFORD) + code[i + 1:],
                  code.replace(" ", "")[::-1]]
    program = ("const T = {code_length: 'length', code_alphabet: 'alphabet', code_check: 'check'};\n" + checker +
               f"\nconsole.log(JSON.stringify({json.dumps(typed)}.map(t => {{ const r = typedSerial(t); "
               "return r.error || r.serial; })));")
    result = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=30, check=True)

    def server(text: str) -> str:
        try:
            return typed_serial(text)
        except ShortCodeError as error:
            return error.code

    assert json.loads(result.stdout) == [server(text) for text in typed]
