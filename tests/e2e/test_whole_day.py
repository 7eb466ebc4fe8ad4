"""Election Sunday for one hamlet, start to end, on the polling team's phone (issue 15, "Done when"): the team opens
the poll, checks households in (one across a lost signal), records the meeting, ends voting, scans ballots by their
typed short codes (one scan undone with its reason) and finishes the per-ballot count; a second team member enters
the totals with a difference; the commune committee, which entered nothing, resolves it, balances the ballot
accounting, validates the signed minutes the team uploaded and recognises the result; then reopens it (version 2).

The hamlet is the rehearsal's "ready" one (tobaucu.binhhai's). test_journeys opens that hamlet's poll too, so this
module has a database copy and a server of its own (`server` below), taken from the session's demo before any
journey changed it. Each poll page is checked through its checklist (`#day-steps li[data-step][data-state]`) and its
status badge.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .conftest import Server, served_copy
from .test_journeys import first_login, flash, heading, household_search, nav, one_time_code, poll_status, primary
from .test_scan_page import printed_ballots

pytestmark = pytest.mark.e2e

COMMITTEES = {"Xã Bình Hải": "bcd.binhhai", "Xã Bình Trị": "bcd.binhtri"}  # demo/seed.py DEMO_USERS
SECOND_MEMBER = "tbc.wholeday.2"  # created by the district's administrator below, in the hamlet's commune
SECOND_PASSWORD = "mat-khau-thanh-vien-2"
PNG = bytes.fromhex(  # a minimal valid PNG (1×1, white): the photo of the signed minutes
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8ffff3f0005fe02fe"
    "0def46b80000000049454e44ae426082")


@pytest.fixture(scope="module")
def server(demo, viewport, tmp_path_factory) -> Iterator[Server]:
    """This module's own copy of the demo (the session's copy per viewport is shared with test_journeys, which
    opens the same hamlet's poll) and its own `flask run`."""
    if viewport.name != "phone":
        pytest.skip("election Sunday is walked on the polling team's phone (390 px)")
    with served_copy(demo, "e2e_whole_day", tmp_path_factory.mktemp("e2e-whole-day")) as served:
        yield served


def steps(page: Page) -> dict[str, str]:
    """The checklist as {data-step: data-state}."""
    items = page.locator("#day-steps li[data-step]")
    return {items.nth(i).get_attribute("data-step"): items.nth(i).get_attribute("data-state")
            for i in range(items.count())}


def expect_steps(page: Page, **states: str) -> None:
    for key, state in states.items():
        expect(page.locator(f"#day-steps li[data-step='{key}']")).to_have_attribute("data-state", state)


def accept_next_dialog(page: Page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())


def check_in(page: Page, query: str) -> str:
    """Marks the first not-yet-marked household the search finds; its line."""
    with page.expect_response(re.compile(r"/checkin/search\?")):
        household_search(page).fill(query)
    row = page.locator("#results .ci-item").filter(has=page.get_by_role("button", name="Đã nhận phiếu")).first
    who = row.locator(".who").inner_text()
    row.get_by_role("button", name="Đã nhận phiếu").click()
    expect(page.locator("#results .ci-item").filter(has_text=who).locator(".badge")).to_have_text("Đã nhận")
    return who


def test_election_sunday_for_one_hamlet_from_opening_to_recognition(browse, demo, viewport):
    if viewport.name != "phone":
        pytest.skip("election Sunday is walked on the polling team's phone (390 px)")
    hamlet = demo.hamlet("Sẵn sàng")
    committee = COMMITTEES[hamlet.commune]
    codes, _photo = printed_ballots(browse, hamlet)  # read by the committee from the batch PDF
    assert len(codes) >= 3, codes

    # --- The polling team opens the poll -----------------------------------------------------------------------
    team = browse.login(hamlet.login)
    expect(heading(team)).to_contain_text(f"Bầu trưởng thôn: {hamlet.full_name}")
    poll_url = team.url
    expect(poll_status(team)).to_have_text("Chưa bắt đầu")
    expect_steps(team, open="current", checkin="waiting", meeting="waiting", end_voting="waiting", count="waiting",
                 final="waiting")
    expect(primary(team)).to_have_text("Khai mạc bỏ phiếu")
    accept_next_dialog(team)
    primary(team).click()
    expect(flash(team)).to_have_text("Đã khai mạc cuộc bỏ phiếu.")
    expect(poll_status(team)).to_have_text("Đang bỏ phiếu")
    expect_steps(team, open="done", checkin="current")
    browse.check(team)

    # --- Check-ins: two households, then a third across a lost signal ------------------------------------------
    expect(primary(team)).to_have_text("Ghi nhận nhận phiếu")
    primary(team).click()
    expect(heading(team)).to_contain_text(f"Ghi nhận nhận phiếu – {hamlet.full_name}")
    expect(team.locator("#present")).to_have_text("0")
    checkin_url = team.url
    total = int(team.locator("#total").inner_text())
    marked = [check_in(team, "nguyen")]
    expect(team.locator("#present")).to_have_text("1")
    marked.append(check_in(team, "tran"))
    expect(team.locator("#present")).to_have_text("2")
    browse.check(team)

    posts: list[str] = []
    team.on("request", lambda r: r.method == "POST" and "/checkin/" in r.url and posts.append(r.url))
    with team.expect_response(re.compile(r"/checkin/search\?")):
        household_search(team).fill("le")
    offline_row = team.locator("#results .ci-item").filter(has=team.get_by_role("button", name="Đã nhận phiếu")).first
    who = offline_row.locator(".who").inner_text()
    team.context.set_offline(True)
    expect(team.locator("#ci-status")).to_contain_text("Mất kết nối")
    expect(offline_row.get_by_role("button")).to_be_disabled()  # not marked while the server cannot hear it
    assert posts == []
    with team.expect_response(re.compile(r"/checkin/search\?")):
        team.context.set_offline(False)  # back online: the search is run again, the button usable again
    expect(team.locator("#ci-status")).to_be_hidden()
    row = team.locator("#results .ci-item").filter(has_text=who.split(" · ")[0])
    row.get_by_role("button", name="Đã nhận phiếu").click()
    expect(row.locator(".badge")).to_have_text("Đã nhận")
    expect(team.locator("#present")).to_have_text("3")
    assert len(posts) == 1, posts  # landed once
    browse.check(team)

    # --- The meeting: households present typed (above the quorum), board of 3, 2 witnesses --------------------
    team.goto(poll_url)
    expect(team.get_by_text("Đã điểm danh: 3 hộ")).to_be_visible()
    expect_steps(team, checkin="current", meeting="current")
    needed = int(re.search(r"Cần ít nhất (\d+) hộ", team.locator("main").inner_text()).group(1))
    present = min(needed + 5, total)
    team.locator("#day-steps li[data-step='meeting']").get_by_role("link").first.click()
    expect(heading(team)).to_contain_text("Biên bản hội nghị")
    team.locator("#households_present").fill(str(present))
    team.locator("#board").fill("Nguyễn Văn Bình\nTrần Thị Hoa\nLê Văn Tâm")
    team.locator("#witness_1").fill("Phạm Thị Lan")
    team.locator("#witness_2").fill("Võ Văn Hùng")
    browse.check(team)
    team.get_by_role("button", name="Lưu biên bản hội nghị").click()
    expect(heading(team)).to_contain_text(f"Bầu trưởng thôn: {hamlet.full_name}")
    expect(team.get_by_text("Nguyễn Văn Bình, Trần Thị Hoa, Lê Văn Tâm")).to_be_visible()
    expect_steps(team, meeting="done", end_voting="current")
    browse.check(team)

    # --- End of voting -----------------------------------------------------------------------------------------
    accept_next_dialog(team)
    team.get_by_role("button", name="Kết thúc bỏ phiếu, bắt đầu kiểm phiếu").first.click()
    expect(flash(team)).to_have_text("Đã bắt đầu kiểm phiếu.")
    expect(poll_status(team)).to_have_text("Đang kiểm phiếu")
    expect_steps(team, checkin="done", end_voting="done", count="current")
    browse.check(team)
    team.goto(checkin_url)  # voting has ended: the check-in page refuses, no search box
    expect(team.locator("#checkin-closed")).to_be_visible()
    expect(team.get_by_role("searchbox", name="Tìm hộ")).to_have_count(0)
    browse.check(team)
    team.goto(poll_url)

    # --- Per-ballot scans by typed short code, one undone with its reason; entry 1 -----------------------------
    team.locator("#day-steps li[data-step='count']").get_by_role("link", name="Quét từng phiếu bằng điện thoại").click()
    expect(heading(team)).to_contain_text(f"Quét từng phiếu: {hamlet.full_name}")
    message = team.locator("#message")

    def scan(code: str) -> None:
        team.locator("#code").fill(code)
        team.get_by_role("button", name="Đọc mã").click()
        expect(team.locator("#ballot-code")).to_have_text(code[:12].strip())

    scan(codes[0])
    first_choice = team.locator("#ballot [data-choice]").first
    kept_name = first_choice.inner_text().split(":", 1)[1].strip()
    first_choice.click()
    expect(message).to_contain_text(f"Đã ghi: phiếu hợp lệ — giữ tên {kept_name}")
    scan(codes[1])
    team.locator("#ballot [data-choice]").first.click()
    expect(message).to_contain_text("Đã ghi: phiếu hợp lệ")
    latest = team.locator("#recent li").first
    expect(latest).to_contain_text(codes[1][:12])
    latest.locator("summary").click()
    latest.get_by_label("Lý do hủy").select_option(label="Bấm nhầm lựa chọn")
    accept_next_dialog(team)
    latest.get_by_role("button", name="Hủy lần quét này").click()
    expect(flash(team)).to_contain_text(f"Đã hủy lần quét phiếu {codes[1][:12]}")
    expect(team.locator("#recent")).not_to_contain_text(codes[1][:12])
    scan(codes[2])
    team.get_by_role("button", name="Phiếu không hợp lệ").click()
    expect(message).to_contain_text("Đã ghi: phiếu không hợp lệ")
    browse.check(team)

    team.locator("#issued").fill("2")  # two ballots in the box: one for a candidate, one invalid
    if team.locator("input[name=acknowledged]").is_visible():
        team.locator("input[name=acknowledged]").check()
    team.get_by_role("button", name="Kết thúc và lưu").click()
    expect(heading(team)).to_contain_text(f"Bầu trưởng thôn: {hamlet.full_name}")
    expect(poll_status(team)).to_have_text("Đã nhập lần 1")
    expect_steps(team, count="done", agree="current")
    entries = team.locator("table").first.locator("tbody tr")
    expect(entries).to_have_count(1)
    browse.check(team)

    # --- A second team member, created by the administrator, enters the totals with a difference ---------------
    admin = browse.login("admin")
    nav(admin, "Người dùng")
    form = admin.locator("main form.stack")
    form.locator("#username").fill(SECOND_MEMBER)
    form.locator("#full_name").fill("Thành viên thứ hai Tổ bầu cử")
    form.locator("#role").select_option("polling_team")
    form.locator("#commune_id").select_option(label=hamlet.commune)
    hamlet_name = hamlet.full_name.split(" ", 1)[1] if hamlet.full_name.startswith("Thôn ") else hamlet.full_name
    form.locator("#hamlet_id").select_option(label=f"{hamlet_name} – {hamlet.commune.split(' ', 1)[1]}")  # one hamlet
    form.get_by_role("button", name="Tạo người dùng").click()
    expect(admin.locator("main")).to_contain_text(f"Đã tạo tài khoản {SECOND_MEMBER}.")
    code = one_time_code(admin)
    browse.check(admin)

    member = first_login(browse, SECOND_MEMBER, code, SECOND_PASSWORD)
    member.goto(poll_url)
    expect(poll_status(member)).to_have_text("Đã nhập lần 1")
    member.locator("#day-steps").get_by_role("link", name="Nhập lần thứ hai").click()
    expect(heading(member)).to_contain_text(f"Nhập kết quả kiểm phiếu: {hamlet.full_name}")
    count_form = member.locator("#count-form")
    # The totals from the paper tally of the whole box: every household present voted, one ballot invalid; the
    # first candidate elected (over half of all households, R-V7). The scans above covered three ballots only.
    for name, value in (("ballots_issued", present), ("ballots_returned", present), ("valid_ballots", present - 1),
                        ("invalid_ballots", 1)):
        member.locator(f"#{name}").fill(str(value))
    votes = count_form.locator("[data-candidate]")
    votes.nth(0).fill(str(present - 1))
    for i in range(1, votes.count()):
        votes.nth(i).fill("0")
    if member.locator("#against").count():
        member.locator("#against").fill("0")
    expect(member.locator("#check-result")).not_to_contain_text("Nhập đủ các số liệu")
    if member.locator("#ack-box").is_visible():
        member.locator("#acknowledged").check()
    browse.check(member)
    member.get_by_role("button", name="Lưu lần nhập").click()
    expect(flash(member)).to_contain_text("Đã lưu lần nhập thứ 2")
    expect(poll_status(member)).to_have_text("Hai lần nhập lệch nhau")
    expect_steps(member, agree="current")
    expect(member.locator("table").first.locator("tbody tr")).to_have_count(2)
    browse.check(member)

    # --- The commune committee (which entered nothing) resolves the difference: the tally of the whole box ------
    bcd = browse.login(committee)
    bcd.goto(poll_url)
    expect(poll_status(bcd)).to_have_text("Hai lần nhập lệch nhau")
    expect_steps(bcd, count="done", agree="current")
    bcd.locator("#day-steps li[data-step='agree']").get_by_role("link", name="Xem chỗ lệch giữa hai lần nhập").click()
    expect(heading(bcd)).to_contain_text(f"Hai lần nhập lệch nhau: {hamlet.full_name}")
    expect(bcd.locator("tr.diff").first).to_be_visible()
    browse.check(bcd)
    accept_next_dialog(bcd)
    bcd.get_by_role("button", name="Lần này đúng: chốt kết quả").nth(1).click()  # entry 2
    expect(flash(bcd)).to_contain_text("lần nhập thứ 2")
    browse.check(bcd)
    bcd.goto(poll_url)
    expect(poll_status(bcd)).to_have_text("Chờ đối chiếu phiếu bầu")  # agreed, waiting for the accounting (R-C3)
    expect_steps(bcd, count="done", accounting="current", agree="current")

    # --- The ballot accounting, recorded by the committee so that it balances (R-C3) ---------------------------
    bcd.locator("#day-steps").get_by_role("link", name="Đối chiếu phiếu bầu").first.click()
    expect(heading(bcd)).to_contain_text("Đối chiếu phiếu bầu")
    printed = int(bcd.locator(".grid.stats .card").first.locator(".stat").inner_text())
    bcd.locator("#issued").fill(str(present))
    bcd.locator("#spoiled").fill("0")
    bcd.locator("#cancelled").fill(str(printed - present))
    bcd.locator("#returned").fill(str(present))
    browse.check(bcd)
    bcd.get_by_role("button", name="Lưu số liệu").click()
    expect(flash(bcd)).to_have_text("Sổ theo dõi phiếu bầu đã cân đối: kết quả kiểm phiếu đã được chốt.")
    expect(heading(bcd)).to_contain_text(f"Bầu trưởng thôn: {hamlet.full_name}")
    expect(poll_status(bcd)).to_have_text("Đã gửi kết quả")
    expect_steps(bcd, count="done", accounting="done", agree="done", minutes="current")
    browse.check(bcd)

    # --- The team uploads the photo of the signed minutes ------------------------------------------------------
    team.goto(poll_url)
    expect(primary(team)).to_have_text("Tải lên biên bản đã ký")
    primary(team).click()
    expect(heading(team)).to_contain_text("Tải lên biên bản đã ký")
    team.locator("input[type=file]").set_input_files(
        files=[{"name": "bien-ban.png", "mimeType": "image/png", "buffer": PNG}])
    team.get_by_role("button", name="Tải lên").click()
    expect(flash(team)).to_contain_text("Đã tải lên biên bản đã ký.")
    team.goto(poll_url)
    expect(poll_status(team)).to_have_text("Đã gửi kết quả")
    expect_steps(team, minutes="done", validated="current")
    browse.check(team)

    # --- The committee validates the minutes and recognises the result -----------------------------------------
    bcd.goto(poll_url)
    expect(primary(bcd)).to_have_text("Đối chiếu biên bản")
    primary(bcd).click()
    expect(heading(bcd)).to_contain_text("Đối chiếu biên bản")
    browse.check(bcd)
    accept_next_dialog(bcd)
    bcd.get_by_role("button", name="Biên bản khớp với số liệu: xác nhận").click()
    expect(heading(bcd)).to_contain_text(f"Bầu trưởng thôn: {hamlet.full_name}")
    expect(poll_status(bcd)).to_have_text("Đã đối chiếu biên bản")
    expect_steps(bcd, minutes="done", validated="done", final="current")
    browse.check(bcd)

    expect(primary(bcd)).to_have_text("Ghi quyết định công nhận")
    primary(bcd).click()
    expect(heading(bcd)).to_contain_text("Công nhận kết quả")
    bcd.locator("#decision_no").fill("15/QĐ-UBND")
    bcd.locator("#decided_on").fill("2022-05-22")
    bcd.locator("#signer_name").fill("Nguyễn Văn Chủ Tịch")
    browse.check(bcd)
    accept_next_dialog(bcd)
    bcd.get_by_role("button", name="Ghi quyết định công nhận").click()
    expect(heading(bcd)).to_contain_text(f"Bầu trưởng thôn: {hamlet.full_name}")
    expect(poll_status(bcd)).to_have_text("Đã công nhận")
    expect(bcd.get_by_text("Đã công nhận: quyết định số 15/QĐ-UBND")).to_be_visible()
    assert set(steps(bcd).values()) <= {"done", "skipped"}, steps(bcd)
    expect_steps(bcd, open="done", checkin="done", meeting="done", end_voting="done", count="done",
                 accounting="done", agree="done", minutes="done", validated="done", final="done")
    browse.check(bcd)
    team.goto(poll_url)  # the team sees the same
    expect(poll_status(team)).to_have_text("Đã công nhận")
    expect_steps(team, final="done")
    browse.check(team)

    # --- A correction after recognition: the committee reopens with a reason; the minutes become version 2 ----
    reopen = bcd.locator("#reopen-form")
    reopen.get_by_label("Lý do mở lại (bắt buộc, ít nhất 10 ký tự)").fill(
        "Biên bản giấy ghi một phiếu không hợp lệ khác với số đã chốt")
    accept_next_dialog(bcd)
    reopen.get_by_role("button", name="Mở lại kết quả để đính chính").click()
    expect(flash(bcd)).to_contain_text("Đã mở lại kết quả (đính chính lần 1)")
    expect(bcd.locator("#correction-history")).to_contain_text("Biên bản phiên bản 1")
    expect(bcd.get_by_text("biên bản phiên bản 2").first).to_be_visible()
    browse.check(bcd)
