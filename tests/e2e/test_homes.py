"""Issue 16 in the browser: each role's home is its to-do list, and one click from home opens the page that does
the next item. On a copy of the demo of its own (a pending exception request is made here, in Bình Trị, a commune
the rehearsal leaves before election day); nothing depends on which step a Bình Hải hamlet is at."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .conftest import Server, served_copy
from .test_journeys import expect_todo_home, flash, heading, nav

pytestmark = pytest.mark.e2e

CANDIDATE = "Trương Văn Ngoại"  # a party member without political theory: R-E5 needs an exception (R-X1)


@pytest.fixture(scope="module")
def server(demo, viewport, tmp_path_factory) -> Iterator[Server]:
    with served_copy(demo, f"e2e_homes_{viewport.name}", tmp_path_factory.mktemp("e2e-homes")) as served:
        yield served


@pytest.fixture(scope="module")
def pending_request(server) -> dict:
    """Made once per copy (per viewport's server) by the first test that needs it (the browse fixture is per test)."""
    return {}


def file_a_pending_request(browse, made: dict) -> None:
    """The administrator (who may act for any commune) puts the candidate on the list of Bình Trị's first hamlet,
    reached from the hamlet page's new link, and files the exception request."""
    if made:
        return
    page = browse.login("admin")
    nav(page, "Xã, thôn")
    page.get_by_role("link", name="Xã Bình Trị", exact=True).click()
    page.locator("main table a").first.click()
    hamlet = heading(page).inner_text().split(" – ")[0].strip()
    page.get_by_role("link", name="Danh sách người ứng cử", exact=True).click()
    expect(heading(page)).to_have_text(f"Danh sách người ứng cử: {hamlet}")
    browse.check(page)
    page.get_by_role("link", name="+ Thêm người ứng cử").click()
    page.get_by_label("Nhập người mới").check()
    page.locator("#p-full_name").fill(CANDIDATE)
    page.locator("#p-birth_date").fill("1981-04-16")
    page.locator("#p-sex").select_option("male")
    page.locator("#p-citizen_id").fill("001081765433")
    page.locator("#p-education").select_option("upper_secondary")
    page.locator("#p-political_theory").select_option("none")
    page.locator("#p-party_member").select_option("official")
    page.locator("#p-party_joined_on").fill("2008-05-19")
    page.locator("#p-party_official_on").fill("2009-05-19")
    page.get_by_role("button", name="Thêm vào danh sách").click()
    expect(flash(page)).to_contain_text(f"Đã thêm {CANDIDATE}")
    section = page.locator("section.card").filter(has=page.get_by_role("link", name=CANDIDATE, exact=True))
    section.get_by_role("link", name="Lập đề nghị ngoại lệ (R-E5)").click()
    page.get_by_label("Lý do thôn, tổ dân phố thiếu nhân sự đạt chuẩn").fill(
        "Chi bộ thôn không có đảng viên nào vừa đạt chuẩn lý luận chính trị vừa được nhân dân tín nhiệm.")
    page.get_by_role("button", name="Gửi đề nghị ngoại lệ").click()
    expect(heading(page).locator(".badge")).to_have_text("Chờ quyết định")
    browse.check(page)
    made["hamlet"] = hamlet


def test_the_approver_sees_the_waiting_request_and_opens_its_decision(browse, pending_request):
    file_a_pending_request(browse, pending_request)
    page = browse.login("btv.binhson")
    expect_todo_home(page, "Huyện Bình Sơn")
    item = page.locator("#requests li").filter(has_text=CANDIDATE)
    expect(item).to_contain_text(f"{pending_request['hamlet']}, Xã Bình Trị")
    expect(item.locator(".badge")).to_have_text("quá hạn 15/05/2022")  # the posting date (R-V2) before 22/05
    browse.check(page)
    item.get_by_role("link", name="Xem và quyết định").click()
    expect(heading(page)).to_contain_text(f"Đề nghị ngoại lệ: {CANDIDATE}")
    expect(page.get_by_label("Số quyết định")).to_be_visible()
    browse.check(page)


NEXT_PAGES = {  # the next action's button -> the heading of the page that does it
    "Thêm người ứng cử": "Thêm người ứng cử: ",
    "Thay người không đủ tiêu chuẩn": "Danh sách người ứng cử: ",
    "Xác nhận danh sách người ứng cử": "Danh sách người ứng cử: ",
    "Nhập danh sách cử tri": "Nhập danh sách cử tri",
    "In phiếu bầu": "In phiếu bầu",
}


def test_the_commune_committee_sees_its_checklist_and_opens_the_next_step(browse, pending_request):
    file_a_pending_request(browse, pending_request)
    page = browse.login("bcd.binhtri")
    expect_todo_home(page, "Xã Bình Trị")
    expect(page.locator("#summary")).to_contain_text(re.compile(r"\d+ / \d+ thôn, tổ dân phố sẵn sàng"))
    waiting = page.locator("section.hamlet-checklist").filter(
        has=page.get_by_role("link", name=pending_request["hamlet"], exact=True))
    expect(waiting).to_contain_text("Chờ cấp có thẩm quyền quyết định (1 đề nghị)")
    browse.check(page)
    first = page.locator("section.hamlet-checklist").first
    expect(first.locator(".badge").first).to_have_text("quá hạn")  # on election Sunday nothing is prepared: overdue
    button = first.locator(".next-action a.btn")
    label = button.inner_text()
    assert label in NEXT_PAGES, label
    hamlet = first.get_by_role("heading", level=3).get_by_role("link").inner_text()
    button.click()
    expect(heading(page)).to_contain_text(NEXT_PAGES[label])
    expect(heading(page)).to_contain_text(hamlet)
    browse.check(page)


def test_the_party_committee_opens_a_congress_to_prepare(browse):
    page = browse.login("dangu.binhhai")
    expect_todo_home(page, "Xã Bình Hải")
    item = page.locator("#congresses li").first  # a recognised hamlet chief without a congress yet
    expect(item.get_by_role("link")).to_have_text(re.compile("Mở hồ sơ đại hội|Tiếp tục ghi nhận"))
    chapter = re.search(r"đại hội (Chi bộ [^(]+?)(?: \(|$)", item.locator("strong").inner_text()).group(1)
    browse.check(page)
    item.get_by_role("link").click()
    expect(heading(page)).to_contain_text(f"Đại hội {chapter}")
    browse.check(page)


def test_the_district_office_sees_communes_behind_schedule_and_follows_one(browse):
    page: Page = browse.login("tcnv.binhson")
    expect_todo_home(page, "Huyện Bình Sơn")
    expect(page.locator("#summary")).to_contain_text(re.compile(r"\d+ / \d+ xã chậm tiến độ"))
    first = page.locator("#communes tbody tr").first
    expect(first).to_have_class(re.compile("overdue"))  # behind schedule first
    commune = first.locator("td").first.inner_text()
    browse.check(page)
    first.get_by_role("link", name="Theo dõi danh sách ứng cử").click()
    expect(heading(page)).to_have_text("Danh sách người ứng cử trưởng thôn, tổ trưởng TDP")
    expect(page).to_have_url(re.compile(r"commune_id=\d+"))
    expect(page.locator("main table")).to_contain_text(commune)
    browse.check(page)
