"""One journey per role through the real pages, at a phone's width and a desktop's (see conftest.py).

Each journey logs in through the login form, opens the home page and the role's main pages, takes one real
step that changes something and checks the result on the page. Hamlets are chosen by the step `flask
rehearsal` left them at (demo.hamlet), not by id, and every viewport has its own copy of the database.
"""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ELECTION_PAGES = "Cuộc bầu: hội nghị, kiểm phiếu, kết quả"  # the hamlet's election-day link (home, hamlet page)


def nav(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name=label, exact=True).click()


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def flash(page: Page):
    return page.locator("main .flash[role=status]").first


def poll_status(page: Page):
    """The status badge of a poll page."""
    return page.locator(".card").filter(has=page.get_by_text("Trạng thái", exact=True)).locator(".badge").first


def expect_home(page: Page, scope: str) -> None:
    """The home page after logging in: the district's overview, the user's scope in the header."""
    expect(heading(page)).to_have_text("Huyện Bình Sơn")
    expect(page.locator("header .who")).to_contain_text(scope)


def expect_todo_home(page: Page, scope: str) -> None:
    """The home of a role with work to do (issue 16): its to-do list, the user's scope in the header."""
    expect(heading(page)).to_have_text("Việc cần làm")
    expect(page.locator("header .who")).to_contain_text(scope)


def open_election_pages(page: Page, hamlet_full_name: str) -> None:
    """From a hamlet's page or a polling team's home: the hamlet's poll."""
    card = page.locator(".card").filter(has=page.get_by_role("heading", name=re.compile(re.escape(hamlet_full_name))))
    card.get_by_role("link", name=ELECTION_PAGES).click()
    expect(heading(page)).to_contain_text(f"Bầu trưởng thôn: {hamlet_full_name}")


# ---------------------------------------------------------------------------------------------------------
# Polling-station teams (election Sunday)
# ---------------------------------------------------------------------------------------------------------

def expect_team_home(page: Page, hamlet_full_name: str) -> None:
    """A polling team's home: its hamlet's poll page of the open round (issue 15)."""
    expect(heading(page)).to_contain_text(f"Bầu trưởng thôn: {hamlet_full_name}")
    expect(page.locator("#day-steps")).to_be_visible()


def one_time_code(page: Page) -> str:
    """The code shown once when an account is created or its password reset (core/reset_password_code.html)."""
    expect(heading(page)).to_have_text("Mã đăng nhập dùng một lần")
    return page.locator("#one-time-code").inner_text().strip()


def first_login(browse, username: str, code: str, password: str) -> Page:
    """A new account's first login with its one-time code: the password chosen, then its home."""
    page = browse.login(username, password=code)
    expect(heading(page)).to_have_text("Đặt mật khẩu mới")
    page.locator("#new_password").fill(password)
    page.locator("#confirm").fill(password)
    page.locator("#submit").click()
    expect(flash(page)).to_have_text("Đã đặt mật khẩu mới. Từ lần sau hãy đăng nhập bằng mật khẩu này.")
    browse.check(page)
    return page


def household_search(page: Page):
    """The check-in page's search box once static/checkin.js listens to it (its data-ready): text typed earlier, as
    a loaded machine may let a test do, would send no search."""
    box = page.get_by_role("searchbox", name="Tìm hộ")
    expect(box).to_have_attribute("data-ready", "1")
    return box


def primary(page: Page):
    """The one obvious button of a poll page: the next action for the reader."""
    return page.locator("#day-steps .primary-action")


def test_polling_team_opens_the_poll_and_checks_a_household_in(browse, demo):
    hamlet = demo.hamlet("Sẵn sàng")  # roll, confirmed candidates, printed ballots; not opened yet
    page = browse.login(hamlet.login)
    expect_team_home(page, hamlet.full_name)
    expect(page.locator("header .who")).to_contain_text(f"{hamlet.full_name}, {hamlet.commune}")
    expect(poll_status(page)).to_have_text("Chưa bắt đầu")
    browse.check(page)

    expect(primary(page)).to_have_text("Khai mạc bỏ phiếu")
    page.once("dialog", lambda dialog: dialog.accept())  # «Khai mạc bỏ phiếu? Tổng số hộ … được chốt …»
    primary(page).click()
    expect(flash(page)).to_have_text("Đã khai mạc cuộc bỏ phiếu.")
    expect(poll_status(page)).to_have_text("Đang bỏ phiếu")
    expect(page.get_by_text("Đã điểm danh: 0 hộ")).to_be_visible()
    browse.check(page)

    nav(page, "Tổng quan")
    expect(primary(page)).to_have_text("Ghi nhận nhận phiếu")
    primary(page).click()
    expect(heading(page)).to_contain_text(f"Ghi nhận nhận phiếu – {hamlet.full_name}")
    expect(page.locator("#present")).to_have_text("0")
    household_search(page).fill("nguyen")  # names are searched without their accents
    first = page.locator("#results .ci-item").first
    expect(first.get_by_role("button")).to_have_text("Đã nhận phiếu")
    expect(first).to_contain_text("Nguyễn")
    household = first.locator(".who").inner_text()
    browse.check(page)

    first.get_by_role("button", name="Đã nhận phiếu").click()
    expect(page.locator("#present")).to_have_text("1")
    row = page.locator("#results .ci-item").filter(has_text=household)
    expect(row.locator(".badge")).to_have_text("Đã nhận")
    expect(row.get_by_role("button")).to_have_text("Hoàn tác")
    browse.check(page)

    nav(page, "Tổng quan")
    expect_team_home(page, hamlet.full_name)
    expect(page.get_by_text("Đã điểm danh: 1 hộ")).to_be_visible()  # stored, not only shown by the script
    browse.check(page)


def test_polling_team_ends_voting_and_enters_the_count(browse, demo):
    hamlet = demo.hamlet("Đang bỏ phiếu")  # meeting minutes recorded, households present typed in
    page = browse.login(hamlet.login)
    expect_team_home(page, hamlet.full_name)
    expect(poll_status(page)).to_have_text("Đang bỏ phiếu")
    browse.check(page)

    page.once("dialog", lambda dialog: dialog.accept())  # «… không ghi nhận thêm hộ nhận phiếu …»
    page.get_by_role("button", name="Kết thúc bỏ phiếu, bắt đầu kiểm phiếu").click()
    expect(flash(page)).to_have_text("Đã bắt đầu kiểm phiếu.")
    expect(poll_status(page)).to_have_text("Đang kiểm phiếu")
    expect(page.get_by_text("Chưa có lần nhập nào.")).to_be_visible()
    browse.check(page)

    page.get_by_role("link", name="Nhập số liệu tổng hợp").click()
    expect(heading(page)).to_contain_text(f"Nhập kết quả kiểm phiếu: {hamlet.full_name}")
    form = page.locator("#count-form")
    present = int(form.get_attribute("data-present"))
    valid = present - 3
    page.locator("#ballots_issued").fill(str(present))
    page.locator("#ballots_returned").fill(str(present))
    page.locator("#valid_ballots").fill(str(valid))
    page.locator("#invalid_ballots").fill("3")
    votes = form.locator("[data-candidate]")
    others = max(votes.count() - 1, 1) * 20  # 20 for each other candidate, or 20 against a single one
    for i in range(1, votes.count()):
        votes.nth(i).fill("20")
    if votes.count() == 1:
        page.locator("#against").fill("20")
    votes.nth(0).fill(str(valid - others))
    winner = form.locator(f"label[for='{votes.nth(0).get_attribute('id')}']").inner_text()
    check = page.locator("#check-result")  # the live check (POST /api/v1/rules/count) as the team types
    expect(check).to_contain_text("Số liệu khớp (R-C1…R-C6).")
    expect(check).to_contain_text(f"Có người trúng cử: {winner}")
    browse.check(page)

    page.get_by_role("button", name="Lưu lần nhập").click()
    expect(flash(page)).to_have_text("Đã lưu lần nhập thứ 1. Trạng thái: Đã nhập lần 1.")
    expect(poll_status(page)).to_have_text("Đã nhập lần 1")
    entry = page.locator("table tbody tr").first
    expect(entry).to_contain_text("Nhập tổng hợp")
    expect(entry.locator("td.num").nth(2)).to_have_text(str(valid))
    browse.check(page)


# ---------------------------------------------------------------------------------------------------------
# Commune election committee, district office, approving authority, party committee
# ---------------------------------------------------------------------------------------------------------

def test_commune_committee_settles_two_differing_count_entries(browse, demo):
    hamlet = demo.hamlet("Hai lần nhập lệch nhau")
    page = browse.login("bcd.binhhai")
    expect_todo_home(page, hamlet.commune)
    nav(page, "Xã, thôn")
    page.get_by_role("link", name=hamlet.commune, exact=True).click()
    expect(heading(page)).to_contain_text(hamlet.commune)
    browse.check(page)
    page.get_by_role("link", name=hamlet.name, exact=True).click()
    expect(heading(page)).to_contain_text(hamlet.full_name)
    browse.check(page)
    open_election_pages(page, hamlet.full_name)
    expect(poll_status(page)).to_have_text("Hai lần nhập lệch nhau")
    browse.check(page)

    page.get_by_role("link", name="Xem chỗ lệch giữa hai lần nhập").click()
    expect(heading(page)).to_contain_text(f"Hai lần nhập lệch nhau: {hamlet.full_name}")
    expect(page.locator("tr.diff").first).to_be_visible()
    browse.check(page)

    page.once("dialog", lambda dialog: dialog.accept())  # «Chốt kết quả theo lần nhập thứ 1? …»
    page.get_by_role("button", name="Lần này đúng: chốt kết quả").first.click()
    expect(flash(page)).to_have_text("Đã chốt kết quả theo lần nhập thứ 1.")
    expect(poll_status(page)).to_have_text("Đã gửi kết quả")
    expect(page.get_by_role("heading", name="Kết quả", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="In biên bản kiểm phiếu (PDF)")).to_be_visible()
    browse.check(page)


# A roll as a commune office types it with a VNI font (VNI-Times), in a workbook with two lists: what Excel keeps
# in each cell is the Windows-1252 reading of the VNI bytes. Written out here, not taken from the project's tables,
# so the journey also checks those tables against an independent spelling.
VNI_ROLL = [("001", "Nguyeãn Vaên AÙnh", "Nguyễn Văn Ánh", "051080000991", "01/02/1980", "Nam"),
            ("002", "Traàn Thò Bích Ngoïc", "Trần Thị Bích Ngọc", "051185000992", "03/04/1985", "Nöõ"),
            ("003", "Leâ Ñöùc Thaéng", "Lê Đức Thắng", "051070000993", "05/06/1970", "Nam")]


def vni_workbook() -> bytes:
    workbook = Workbook()
    draft = workbook.active
    draft.title = "Nháp"
    rows = [["Soá hoä", "Hoï vaø teân", "Soá CCCD", "Ngaøy sinh", "Giôùi tính"]]
    draft.append(rows[0])
    draft.append(["009", "Phaïm Vaên Nam", "051075000999", "07/08/1975", "Nam"])
    final = workbook.create_sheet("Chính thức")
    final.append(rows[0])
    for household, typed, _, citizen_id, born, sex in VNI_ROLL:
        final.append([household, typed, citizen_id, born, sex])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_commune_committee_imports_a_vni_roll_choosing_its_sheet(browse, demo):
    page = browse.login("bcd.binhtri")  # a commune the rehearsal leaves before election day: rolls can be imported
    nav(page, "Xã, thôn")
    page.get_by_role("link", name="Xã Bình Trị", exact=True).click()
    page.locator("main table a").first.click()
    browse.check(page)
    page.get_by_role("link", name="Danh sách cử tri", exact=True).click()
    page.get_by_role("link", name="Nhập từ tệp CSV/Excel").click()
    browse.check(page)
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "danh-sach-vni.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet", "buffer": vni_workbook()}])
    page.get_by_role("button", name="Kiểm tra tệp").click()
    expect(page.get_by_role("status")).to_contain_text("Tệp có 2 trang tính có danh sách («Nháp», «Chính thức»)")
    browse.check(page)
    page.get_by_label("Chính thức").check()
    page.get_by_role("button", name="Kiểm tra trang này").click()
    expect(page.get_by_text("Đã chuyển từ bảng mã VNI sang Unicode")).to_be_visible()
    expect(page.get_by_text("Tệp hợp lệ: 3 hộ sẽ được nhập")).to_be_visible()
    for _, _, name, *_ in VNI_ROLL:
        expect(page.locator("td").filter(has_text=name)).to_have_count(1)
    # The hamlet's register has more households than this roll: the committee confirms the difference with a reason
    expect(page.locator("#household-difference")).to_contain_text("khác sổ hộ gia đình của thôn")
    browse.check(page)
    page.get_by_label("Lý do chênh lệch với sổ hộ (bắt buộc)").fill("Danh sách thử, chỉ ba hộ đại diện.")
    page.once("dialog", lambda dialog: dialog.accept())  # «Xác nhận tổng số hộ của thôn là 3 (sổ hộ: …)…?»
    page.get_by_role("button", name="Xác nhận chênh lệch và nhập 3 hộ").click()
    expect(flash(page)).to_contain_text("Đã nhập 3 hộ vào danh sách cử tri.")
    page.locator("input[name=q]").fill("nguyen van anh")
    page.locator("input[name=q]").press("Enter")
    expect(page.locator("td").filter(has_text="Nguyễn Văn Ánh")).to_have_count(1)
    expect(page.get_by_text("Trần Thị Bích Ngọc")).to_have_count(0)
    browse.check(page)


def test_district_office_follows_the_board_and_creates_a_training_course(browse, demo, viewport):
    recognised = demo.hamlet("Đã công nhận")
    page = browse.login("tcnv.binhson")
    expect_todo_home(page, "Huyện Bình Sơn")
    nav(page, "Ngày bầu cử")
    expect(heading(page)).to_contain_text("Bảng theo dõi ngày bầu cử")
    page.wait_for_load_state("load")  # board.js (the page's last script) makes choosing a commune submit the filter
    page.locator("#commune").select_option(label=recognised.commune.removeprefix("Xã "))  # submits the filter
    expect(page).to_have_url(re.compile(r"commune_id=\d+"))
    chart = page.locator("#status-chart")
    for status in ("Đang kiểm phiếu", "Đã đối chiếu biên bản", "Đã công nhận"):  # steps no other journey moves
        expect(chart).to_contain_text(status)
    row = page.locator("#rows tr").filter(has=page.get_by_role("link", name=recognised.name, exact=True))
    expect(row.locator(".badge").first).to_have_text("Đã công nhận")
    browse.check(page)

    nav(page, "Bồi dưỡng")
    expect(heading(page)).to_have_text("Khóa bồi dưỡng, tập huấn")
    page.get_by_role("link", name="+ Thêm khóa học").click()
    expect(heading(page)).to_have_text("Thêm khóa học")
    browse.check(page)
    name = f"Bồi dưỡng nghiệp vụ trưởng thôn mới nhiệm kỳ 2022–2025 ({viewport.name})"
    page.locator("#name").fill(name)
    page.locator("#kind").select_option("state_management")
    page.locator("#audience").select_option("newcomers")
    page.get_by_label("Trưởng thôn / Tổ trưởng TDP").check()
    page.locator("#capacity").fill("40")
    page.locator("#organiser").fill("Cơ quan Tổ chức – Nội vụ huyện Bình Sơn")
    page.get_by_role("button", name="Lưu").click()
    expect(flash(page)).to_have_text("Đã lưu khóa học.")
    expect(heading(page)).to_contain_text(name)
    expect(heading(page).locator(".badge")).to_have_text("Đang mở")
    browse.check(page)

    nav(page, "Bồi dưỡng")
    listed = page.locator("tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))
    expect(listed).to_contain_text("Bồi dưỡng kiến thức quản lý nhà nước")
    expect(listed).to_contain_text("0 / 40")
    browse.check(page)


def add_candidate_needing_an_exception(browse, hamlet) -> str:
    """The commune committee puts a new party member without political theory on the re-vote list (R-E5 fails
    for chapter secretary: an exception is needed); the candidate's name."""
    page = browse.login("bcd.binhhai")
    nav(page, "Ứng cử")
    list_url = page.get_by_role("link", name=hamlet.full_name, exact=True).get_attribute("href")
    # The re-vote's list (round 2) is not linked from any page yet: its address is the list's with round_no=2.
    page.goto(f"{list_url}?round_no=2")
    expect(heading(page)).to_have_text(f"Danh sách người ứng cử: {hamlet.full_name}")
    expect(page.get_by_text("vòng 2")).to_be_visible()
    browse.check(page)
    page.once("dialog", lambda dialog: dialog.accept())  # «Xóa người này khỏi danh sách?»
    page.get_by_role("button", name="Xóa khỏi danh sách").last.click()  # two at most (R-V3): make room
    expect(flash(page)).to_contain_text("khỏi danh sách.")
    browse.check(page)

    page.get_by_role("link", name="+ Thêm người ứng cử").click()
    page.get_by_label("Nhập người mới").check()
    name = "Trương Công Thử"
    page.locator("#p-full_name").fill(name)
    page.locator("#p-birth_date").fill("1980-03-15")
    page.locator("#p-sex").select_option("male")
    page.locator("#p-citizen_id").fill("001080765432")  # 12 digits: province 001, male born in 1980
    page.locator("#p-education").select_option("upper_secondary")
    page.locator("#p-political_theory").select_option("none")
    page.locator("#p-party_member").select_option("official")
    page.locator("#p-party_joined_on").fill("2008-05-19")
    page.locator("#p-party_official_on").fill("2009-05-19")
    expect(page.locator("#live-assessment")).to_contain_text("Cần ngoại lệ")  # candidates.js, as typed
    browse.check(page)
    page.get_by_role("button", name="Thêm vào danh sách").click()
    expect(flash(page)).to_have_text(f"Đã thêm {name} (Đủ tiêu chuẩn).")
    browse.check(page)
    return name


def file_exception_request(browse, hamlet, candidate: str) -> None:
    """The commune party committee asks the approving authority to waive R-E5 for the candidate."""
    page = browse.login("dangu.binhhai")
    nav(page, "Ứng cử")
    list_url = page.get_by_role("link", name=hamlet.full_name, exact=True).get_attribute("href")
    page.goto(f"{list_url}?round_no=2")
    section = page.locator("section.card").filter(has=page.get_by_role("link", name=candidate, exact=True))
    section.get_by_role("link", name="Lập đề nghị ngoại lệ (R-E5)").click()
    expect(heading(page)).to_have_text(f"Đề nghị ngoại lệ tiêu chuẩn: {candidate}")
    page.get_by_label("Lý do thôn, tổ dân phố thiếu nhân sự đạt chuẩn").fill(
        "Chi bộ thôn không có đảng viên nào vừa đạt chuẩn lý luận chính trị vừa được nhân dân tín nhiệm.")
    browse.check(page)
    page.get_by_role("button", name="Gửi đề nghị ngoại lệ").click()
    expect(flash(page)).to_have_text("Đã gửi đề nghị ngoại lệ tới Ban Thường vụ Huyện ủy Bình Sơn.")
    expect(heading(page).locator(".badge")).to_have_text("Chờ quyết định")
    browse.check(page)


def test_approving_authority_approves_an_exception_request(browse, demo):
    hamlet = demo.hamlet("Không ai trúng cử: bầu lại")  # its re-vote list is still open
    candidate = add_candidate_needing_an_exception(browse, hamlet)
    file_exception_request(browse, hamlet, candidate)

    page = browse.login("btv.binhson")
    expect_todo_home(page, "Huyện Bình Sơn")
    nav(page, "Ứng cử")
    page.get_by_role("link", name="đề nghị ngoại lệ chờ quyết định").click()
    expect(heading(page)).to_have_text("Đề nghị ngoại lệ tiêu chuẩn (R-X1)")
    browse.check(page)
    page.get_by_role("link", name=candidate, exact=True).click()
    expect(heading(page)).to_contain_text(f"Đề nghị ngoại lệ: {candidate}")
    browse.check(page)

    page.get_by_label("Chấp thuận", exact=True).check()
    page.get_by_label("Số quyết định").fill("125-QĐ/HU")
    # The decision date defaults to today (the demo's clock: election Sunday), after the request and not in the future
    # (R-X1); the remediation deadline defaults to the end of the term.
    expect(page.get_by_label("Ngày quyết định")).to_have_value("2022-05-22")
    page.get_by_label("Người ký").fill("Phó Bí thư Thường trực Huyện ủy")
    page.locator("#plans-0-kind").select_option("training")
    page.locator("#plans-0-details").fill("Lớp sơ cấp lý luận chính trị của Trung tâm Chính trị huyện")
    page.get_by_role("button", name="Ghi quyết định").click()
    expect(flash(page)).to_have_text("Đã ghi quyết định: Đã chấp thuận.")
    expect(heading(page).locator(".badge")).to_have_text("Đã chấp thuận")
    expect(page.get_by_text("Số 125-QĐ/HU ngày")).to_be_visible()
    expect(page.get_by_role("link", name="Quyết định (PDF)")).to_be_visible()
    expect(page.get_by_role("heading", name="Kế hoạch khắc phục", exact=True)).to_be_visible()
    browse.check(page)


def test_party_committee_opens_the_chapter_congress_of_a_recognised_chief(browse, demo):
    hamlet = demo.hamlet("Đã công nhận")
    page = browse.login("dangu.binhhai")
    expect_todo_home(page, hamlet.commune)
    nav(page, "Chi bộ, chỉ tiêu")
    expect(heading(page)).to_have_text("Theo dõi chỉ tiêu mô hình «Dân tin – Đảng cử»")
    browse.check(page)
    # The congresses' list is not linked from any page yet (the menu leads to the dashboard): by its address.
    page.goto("/chapters/")
    expect(heading(page)).to_contain_text("Đại hội chi bộ thôn, tổ dân phố")
    browse.check(page)
    chapter = f"Chi bộ {hamlet.full_name[0].lower()}{hamlet.full_name[1:]}"  # "Chi bộ thôn Thạnh Yên"
    page.get_by_role("link", name=chapter, exact=True).click()
    expect(heading(page)).to_contain_text(f"Đại hội {chapter}")
    chief = page.locator(".card").filter(has=page.get_by_text("Trưởng thôn nhiệm kỳ này")).locator(".stat")
    chief_name = chief.inner_text()
    assert chief_name and chief_name != "—"
    browse.check(page)

    page.get_by_label("Ngày đại hội").fill("2022-06-12")  # within the demo's 2022–2025 term
    page.get_by_role("button", name="Mở hồ sơ đại hội").click()
    expect(flash(page)).to_have_text(f"Đã giới thiệu trưởng thôn {chief_name} làm bí thư chi bộ.")
    expect(page.get_by_text("Ngày đại hội: 12/06/2022")).to_be_visible()
    nominee = page.get_by_role("heading", level=3).filter(has_text=chief_name).first
    expect(nominee).to_contain_text("Bí thư chi bộ")
    browse.check(page)


# ---------------------------------------------------------------------------------------------------------
# Observer and administrator
# ---------------------------------------------------------------------------------------------------------

def test_observer_reads_a_recognised_poll_in_english_without_any_form(browse, demo):
    hamlet = demo.hamlet("Đã công nhận")
    page = browse.login("quansat")
    expect_home(page, "Huyện Bình Sơn")
    nav(page, "Ngày bầu cử")
    expect(heading(page)).to_contain_text("Bảng theo dõi ngày bầu cử")
    browse.check(page)

    page.get_by_role("link", name="English", exact=True).click()
    expect(heading(page)).to_contain_text("Election day board")
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#commune").select_option(label=hamlet.commune.removeprefix("Xã "))
    row = page.locator("#rows tr").filter(has=page.get_by_role("link", name=hamlet.name, exact=True))
    expect(row.locator(".badge").first).to_have_text("Recognised")
    browse.check(page)

    row.get_by_role("link", name=hamlet.name, exact=True).click()
    expect(page.get_by_role("heading", name="Result", exact=True)).to_be_visible()
    expect(page.get_by_text("Recognised", exact=True).first).to_be_visible()
    expect(page.locator("main form")).to_have_count(0)  # read only: nothing to submit
    browse.check(page)

    page.get_by_role("link", name="Tiếng Việt", exact=True).click()
    expect(page.get_by_role("heading", name="Kết quả", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    browse.check(page)


def test_district_office_issues_an_api_token_and_revokes_it_after_confirming(browse, demo):
    page = browse.login("tcnv.binhson")
    page.get_by_role("link", name="Tài khoản", exact=True).click()
    expect(heading(page)).to_have_text("Mã truy cập API")
    browse.check(page)
    page.get_by_placeholder("Tên gợi nhớ").fill("Máy quét phòng họp")
    page.get_by_role("button", name="Cấp mã mới").click()
    expect(page.locator("main .flash.warning code")).to_be_visible()
    row = page.locator("tr").filter(has_text="Máy quét phòng họp")
    expect(row.get_by_text("còn hiệu lực")).to_be_visible()
    browse.check(page)
    # The confirmation comes from static/app.js (data-confirm; no inline handler under the CSP): refusing keeps it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Thu hồi").click()
    expect(row.get_by_text("còn hiệu lực")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Thu hồi").click()
    expect(flash(page)).to_have_text("Đã thu hồi mã truy cập «Máy quét phòng họp».")
    expect(page.locator("tr").filter(has_text="Máy quét phòng họp").get_by_text("đã thu hồi")).to_be_visible()
    browse.check(page)


def test_admin_creates_an_account_that_can_sign_in(browse, demo):
    page = browse.login("admin")
    expect_home(page, "Toàn hệ thống")
    nav(page, "Người dùng")
    expect(heading(page)).to_have_text("Người dùng")
    browse.check(page)

    form = page.locator("main form.stack")
    form.locator("#username").fill("giamsat.e2e")
    form.locator("#full_name").fill("Giám sát Mặt trận huyện")
    form.locator("#role").select_option("observer")
    form.get_by_role("button", name="Tạo người dùng").click()
    expect(page.locator("main")).to_contain_text("Đã tạo tài khoản giamsat.e2e.")
    code = one_time_code(page)
    browse.check(page)

    other = first_login(browse, "giamsat.e2e", code, "mat-khau-giam-sat-2022")
    expect_home(other, "Giám sát Mặt trận huyện · Huyện Bình Sơn")
    menu = other.get_by_role("navigation", name="Điều hướng chính")
    expect(menu.get_by_role("link", name="Ngày bầu cử")).to_be_visible()
    expect(menu.get_by_role("link", name="Người dùng")).to_have_count(0)  # an observer, not an administrator
