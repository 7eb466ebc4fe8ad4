"""Each role's home page (`/`, home.views) shows its pending work, within its scope, with the action that does it;
the district office's counts agree with the board (election.board.board_data)."""
from __future__ import annotations

import io
import re
from datetime import date

from factories_ballots import client_for, csv_bytes, import_through_pages, roll_rows
from factories_candidates import FILED_AT

from candidates.models import ExceptionRequest
from core.accounts import Role
from core.enums import Post
from core.models import Position
from election.models import Poll, PollStatus, VoterRoll
from extensions import db

BEFORE = date(2022, 5, 10)  # before the R-V2 notice date (15/05/2022) of the world's election day
LATE = date(2022, 5, 18)  # after it


def _main(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return html[html.index("<main>"):html.index("</main>")]


def _pending(world, draft_list, make_user) -> ExceptionRequest:
    candidate_list = draft_list(world.needs_exception)
    filer = make_user(Role.PARTY_COMMITTEE, commune=world.commune)
    request = ExceptionRequest.file(candidate_list.candidacies[0], "Thôn An Phú không có đảng viên nào đạt THPT.",
                                    filer.id)
    request.filed_at = FILED_AT
    db.session.add(request)
    db.session.commit()
    return request


def test_the_approver_sees_the_request_waiting_for_its_decision_with_its_deadline(app, world, draft_list, make_user):
    request = _pending(world, draft_list, make_user)
    approver = make_user(Role.APPROVING_AUTHORITY, district=world.district)
    app.config["TODAY"] = LATE
    page = _main(client_for(app, approver).get("/"))
    assert 'id="waiting-count">1<' in page
    assert "Trần Thị Ước" in page and "Thôn An Phú, Xã Bình Hải" in page
    # The standards the request covers, in words (the ids stay on the request's own page).
    assert ("Quyết định đề nghị ngoại lệ tiêu chuẩn trình độ học vấn phổ thông, trình độ lý luận chính trị cho "
            "Trần Thị Ước") in page and "R-E4" not in page
    assert "quá hạn 15/05/2022" in page  # the list's posting date (R-V2) has passed
    assert f'href="/candidates/exceptions/{request.id}"' in page
    app.config["TODAY"] = BEFORE
    assert "hạn 15/05/2022" in _main(client_for(app, approver).get("/"))


def test_the_commune_committee_sees_each_hamlet_checklist_of_its_commune_only(app, world, draft_list, make_user):
    _pending(world, draft_list, make_user)
    committee = make_user(Role.COMMUNE_COMMITTEE, commune=world.commune)
    app.config["TODAY"] = LATE
    page = _main(client_for(app, committee).get("/"))
    assert "0 / 1 thôn, tổ dân phố sẵn sàng" in page
    assert "Thôn An Phú" in page and "Tân Hy" not in page  # the other commune's hamlet
    assert "Chờ cấp có thẩm quyền quyết định (1 đề nghị)" in page
    # The one thing the committee can do now: import the roll (the list waits for the decision).
    next_action = re.search(r'<div class="next-action"><a class="btn" href="([^"]+)">([^<]+)</a>', page)
    assert next_action.groups() == (f"/hamlets/{world.hamlet.id}/roll/import", "Nhập danh sách cử tri")
    assert "quá hạn 15/05/2022" in page


def test_a_ready_hamlet_counts_in_the_summary(app, ready, make_commune):
    setup = ready()
    committee = client_for(app, setup.committee)
    import_through_pages(committee, setup.hamlet, csv_bytes(roll_rows(6)))
    assert committee.post(f"/ballots/hamlets/{setup.hamlet.id}/print",
                          data={"layout": "A5", "kind": "real"}).status_code == 302
    page = _main(committee.get("/"))
    assert "1 / 1 thôn, tổ dân phố sẵn sàng" in page and "sẵn sàng</span>" in page


def test_the_party_committee_files_exceptions_and_prepares_congresses_of_its_commune(app, world, draft_list,
                                                                                   make_user, make_hamlet,
                                                                                   make_person):
    candidate_list = draft_list(world.needs_exception)
    candidacy = candidate_list.candidacies[0]
    # A recognised winner here, and one in the other commune: only this commune's congress is listed.
    for hamlet in (world.hamlet, world.other_hamlet):
        db.session.add(Poll(term=world.term, hamlet=hamlet, status=PollStatus.RECOGNISED))
    chief = make_person("Võ Văn Tâm", hamlet=world.hamlet)
    db.session.add(Position(hamlet_id=world.hamlet.id, person_id=chief.id, post=Post.HAMLET_CHIEF,
                            term_id=world.term.id, started_on=date(2022, 5, 25)))
    db.session.commit()
    party = make_user(Role.PARTY_COMMITTEE, commune=world.commune)
    app.config["TODAY"] = BEFORE
    page = _main(client_for(app, party).get("/"))
    assert f'href="/candidates/candidacies/{candidacy.id}/exception"' in page
    assert "Trần Thị Ước" in page and "hạn 15/05/2022" in page
    assert "Lập đề nghị ngoại lệ tiêu chuẩn trình độ học vấn phổ thông" in page and "R-E4" not in page
    assert "Chuẩn bị đại hội Chi bộ thôn An Phú (trưởng thôn Võ Văn Tâm)" in page
    assert f'href="/chapters/{world.hamlet.chapter.id}/congress"' in page
    assert "Tân Hy" not in page


def test_the_district_office_counts_agree_with_the_board(app, world, draft_list, make_user, make_hamlet):
    draft_list(world.eligible)
    make_hamlet("Gia Yên", commune=world.other_commune)
    db.session.add(Poll(term=world.term, hamlet=world.hamlet, status=PollStatus.SUBMITTED))
    db.session.commit()
    office = client_for(app, make_user(Role.DISTRICT_OFFICE, district=world.district))
    app.config["TODAY"] = LATE
    page = _main(office.get("/"))
    board = {c["id"]: c for c in office.get("/board.json").get_json()["communes"]}
    rows = re.findall(r'data-commune="(\d+)" data-hamlets="(\d+)" data-ready="(\d+)" data-done="(\d+)"', page)
    assert {int(c) for c, *_ in rows} == set(board) == {world.commune.id, world.other_commune.id}
    for commune_id, hamlets, _ready, done in rows:
        assert int(hamlets) == board[int(commune_id)]["hamlets"]
        assert int(done) == board[int(commune_id)]["done"]
    assert board[world.commune.id]["done"] == 1  # the submitted poll, on both pages
    # Behind schedule first: Bình Trị (2 hamlets overdue), then Bình Hải (its one hamlet voted: the board follows it).
    assert "1 / 2 xã chậm tiến độ" in page
    assert [int(c) for c, *_ in rows] == [world.other_commune.id, world.commune.id]


def test_the_observer_and_admin_see_the_overview_and_a_team_goes_to_its_poll(app, world, make_user):
    for role in (Role.OBSERVER, Role.ADMIN):
        user = make_user(role, district=world.district if role != Role.ADMIN else None)
        page = _main(client_for(app, user).get("/"))
        assert "Lịch chuẩn bị bầu cử (R-V2)" in page and "Việc cần làm" not in page
    team = make_user(Role.POLLING_TEAM, commune=world.commune, hamlet=world.hamlet)
    response = client_for(app, team).get("/")
    assert response.status_code == 302 and f"/hamlets/{world.hamlet.id}/election" in response.headers["Location"]


def test_the_overview_stays_at_its_own_address(app, world, make_user):
    committee = client_for(app, make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    page = _main(committee.get("/overview"))
    assert "Lịch chuẩn bị bầu cử (R-V2)" in page
    assert 'href="/overview"' in _main(committee.get("/"))


def test_the_hamlet_page_links_the_candidate_list_and_ballot_printing_for_the_committee(app, world, make_user):
    committee = client_for(app, make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    page = _main(committee.get(f"/hamlets/{world.hamlet.id}"))
    assert f'href="/candidates/hamlets/{world.hamlet.id}?round_no=1"' in page
    assert f'href="/ballots/hamlets/{world.hamlet.id}/print?round_no=1"' in page
    observer = client_for(app, make_user(Role.OBSERVER, district=world.district))
    page = _main(observer.get(f"/hamlets/{world.hamlet.id}"))
    assert f'href="/candidates/hamlets/{world.hamlet.id}?round_no=1"' in page
    assert "/print" not in page  # only the commune committee prints ballots


def test_confirming_a_list_shows_the_next_steps(app, world, draft_list, make_user):
    candidate_list = draft_list(world.eligible)
    committee = client_for(app, make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    response = committee.post(f"/candidates/lists/{candidate_list.id}/confirm",
                              data={"version": candidate_list.version}, follow_redirects=True)
    page = _main(response)
    assert "Bước tiếp theo: in danh sách để niêm yết và in phiếu bầu." in page
    assert 'id="next-steps"' in page
    assert f'href="/ballots/hamlets/{world.hamlet.id}/print?round_no=1"' in page
    assert f'href="/candidates/lists/{candidate_list.id}/list.pdf"' in page


def test_a_locked_roll_offers_no_import_and_the_import_refuses(app, ready):
    setup = ready()
    committee = client_for(app, setup.committee)
    import_through_pages(committee, setup.hamlet, csv_bytes(roll_rows(6)))
    roll_page = _main(committee.get(f"/hamlets/{setup.hamlet.id}/roll"))
    assert f'href="/hamlets/{setup.hamlet.id}/roll/import"' in roll_page
    assert committee.post(f"/ballots/hamlets/{setup.hamlet.id}/print",
                          data={"layout": "A5", "kind": "real"}).status_code == 302
    roll_page = _main(committee.get(f"/hamlets/{setup.hamlet.id}/roll"))
    assert f'href="/hamlets/{setup.hamlet.id}/roll/import"' not in roll_page
    assert "Thêm hộ" in roll_page  # line by line edits stay
    refused = committee.post(f"/hamlets/{setup.hamlet.id}/roll/import",
                             data={"file": (io.BytesIO(csv_bytes(roll_rows(3))), "ds.csv")},
                             content_type="multipart/form-data")
    assert refused.status_code == 200 and "Kiểm tra tệp" not in _main(refused)  # the lock, no preview
    assert db.session.scalar(db.select(VoterRoll.entry_count)) == 6
