"""The count from images equals the count from taps for the same ballots in a rehearsal hamlet (issue 19, "Done
when"): two twin hamlets brought to counting the way demo/rehearsal.py brings its "scanning" hamlet; in one, the real
printed ballots (their serials and signed QR codes) are marked, photographed or scanned with demo/marked_ballots.py's
degradations and read through the team's pages (ballots.reading), the unclear ones decided by two members; in the
other, the ballots marked the same way are tapped. bench/image_count.py does the same on the rehearsal itself."""
from __future__ import annotations

import math
from collections import Counter

import pytest
from conftest import PASSWORD
from factories_ballots import csv_bytes, roll_rows
from factories_counting import Setup

from ballots.models import BallotLayout, BallotScan, MarkRead, MarkReadState
from ballots.printing import batch_payloads, print_batch, real_batches
from bench.image_count import (
    Member,
    count_by_images,
    count_by_taps,
    decision_of,
    entry_count,
    finish,
    marks,
    printed_ballots,
    serial_of,
    serials,
    truth_count,
)
from demo.marked_ballots import PERSON_KINDS
from demo.rehearsal import PRESENT_SHARE
from election.models import VoterEntry, VotingForm
from election.rolls import read_rows
from election.service import check_in, check_roll, replace_roll, roll_for
from extensions import db


def rehearsal_hamlet(election, commune, hamlet_name: str, households: int, names: tuple[str, ...],
                     tail_base: int) -> Setup:
    """A hamlet brought to counting as demo/rehearsal.py brings its "scanning" hamlet: the list confirmed, the roll
    imported, the ballots printed (A4×4), the poll opened, the households present checked in (PRESENT_SHARE), the
    meeting recorded, counting started."""
    setup = election(households=households, names=names, open_poll=False, commune=commune, hamlet_name=hamlet_name)
    term, hamlet, poll = setup.term, setup.hamlet, setup.poll
    preview = check_roll(read_rows("ds.csv", csv_bytes(roll_rows(households, tail_base=tail_base))), term, hamlet)
    replace_roll(term, hamlet, preview, "ds.csv", user=setup.committee,
                 households_note="Danh sách thử nghiệm, khác sổ hộ của thôn.")
    print_batch(poll, BallotLayout.A4X4, user_id=setup.committee.id)
    poll.open(households, term.election_day)
    roll = roll_for(term, hamlet)
    entries = db.session.scalars(db.select(VoterEntry).where(VoterEntry.roll_id == roll.id)
                                 .order_by(VoterEntry.household_no)).all()
    for entry in entries[:math.ceil(households * PRESENT_SHARE)]:
        check_in(poll, entry, setup.team_a.id)
    poll.record_meeting(None, VotingForm.SECRET_BALLOT, ["Trần Văn Bình", "Lê Thị Hồng Nhung", "Phạm Đức Thắng"],
                        ["Võ Thị Mỹ Lệ", "Huỳnh Văn Ước"])
    poll.start_counting()
    db.session.commit()
    return setup


def scans_by_position(poll_id: int, texts: list[str], ids: list[str]) -> list[tuple[bool, int | str, str]]:
    """Each ballot's scan, its choice as a position on the ballot (twin hamlets' candidacies differ)."""
    by_serial = {scan.serial: scan for scan in db.session.scalars(db.select(BallotScan)
                                                                  .where(BallotScan.poll_id == poll_id))}
    rows = []
    for serial in map(serial_of, texts):
        scan = by_serial[serial]
        rows.append((scan.valid, ids.index(scan.choice) if scan.choice in ids else scan.choice, scan.reason))
    return rows


@pytest.mark.parametrize("names, households, seed", [
    (("Trần Văn Hưng", "Nguyễn Thị Ánh Tuyết"), 14, 3),  # as the rehearsal's hamlet in counting: 12 ballots
    (("Đặng Văn Ước",), 10, 5),  # one candidate: Đồng ý / Không đồng ý boxes
])
def test_the_count_from_images_equals_the_count_from_taps(app, election, make_commune, names, households, seed):
    commune = make_commune("Bình Hải")
    by_images = rehearsal_hamlet(election, commune, "An Hiệp", households, names, 500_000)
    by_taps = rehearsal_hamlet(election, commune, "Hòa Hiệp", households, names, 600_000)
    present = by_images.poll.checked_in()
    assert present == by_taps.poll.checked_in() == math.ceil(households * PRESENT_SHARE)
    kinds = marks(present, len(names), seed)
    printed = printed_ballots(by_images.poll, kinds, seed)
    team = [Member(app, user.username, PASSWORD) for user in (by_images.team_a, by_images.team_b)]

    report, truths = count_by_images(by_images.poll.id, printed, *team, seed)
    assert not report.refused and not report.by_hand, (report.refused, report.by_hand)
    assert not report.wrong, "the reader decided ballots wrongly (they must go to a person):\n" + "\n".join(
        report.wrong.values())
    persons = Counter(kind for kind in kinds if kind in PERSON_KINDS)
    assert persons and persons <= report.unclear_kinds and report.decided + report.unclear == present
    reads = db.session.scalars(db.select(MarkRead).where(MarkRead.poll_id == by_images.poll.id)).all()
    assert len(reads) == report.unclear
    for read in reads:  # each decided by two different members
        assert read.state == MarkReadState.COUNTED and read.first_by_id and read.second_by_id
        assert read.first_by_id != read.second_by_id
    assert report.photos and report.pages  # both paths: the phone's photos and a scanner batch
    images = entry_count(finish(by_images.poll.id, team[0]))

    # The twin hamlet's ballots, the i-th marked as the i-th read above, counted by taps.
    decisions = [decision_of(truths[serial]) for serial in serials(printed)]
    tap_texts = batch_payloads(real_batches(by_taps.poll)[0])[:present]
    count_by_taps(by_taps.poll.id, tap_texts, decisions, Member(app, by_taps.team_a.username, PASSWORD))
    taps = entry_count(finish(by_taps.poll.id, Member(app, by_taps.team_b.username, PASSWORD)))

    truth = truth_count(decisions, len(names))
    assert images == taps == truth, (images, taps, truth)
    assert truth.valid and truth.invalid and truth.returned == present
    assert all(truth.votes) or len(names) == 1
    # … ballot by ballot, too.
    image_texts = [ballot.qr_text for ballot in printed]
    assert scans_by_position(by_images.poll.id, image_texts, by_images.ids) == \
        scans_by_position(by_taps.poll.id, tap_texts, by_taps.ids)
