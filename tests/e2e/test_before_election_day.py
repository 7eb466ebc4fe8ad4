"""The demo commune's work before election day, which `flask rehearsal` leaves undone in five hamlets of Bình Hải
(demo/rehearsal.py BEFORE_STEPS): the commune committee confirms a list and prints ballots, the approving authority
finds the request waiting, and a hamlet that has not voted still has its 2019 chief in office (issue 16).

Hamlets are chosen by the step `flask rehearsal` printed for them; every viewport has its own copy of the database.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .test_journeys import flash, heading, nav

pytestmark = pytest.mark.e2e


def test_commune_committee_confirms_a_list_and_prints_ballots_before_election_day(browse, demo):
    proposed = demo.hamlet("Chưa xác nhận danh sách ứng cử")  # one candidate proposed, the list a draft
    unprinted = demo.hamlet("Chưa in phiếu bầu")  # list confirmed, roll imported, no ballots yet
    page = browse.login("bcd.binhhai")
    nav(page, "Ứng cử")
    page.get_by_role("link", name=proposed.full_name, exact=True).click()
    expect(heading(page)).to_have_text(f"Danh sách người ứng cử: {proposed.full_name}")
    browse.check(page)
    page.once("dialog", lambda dialog: dialog.accept())  # «Xác nhận và khóa danh sách?»
    page.get_by_role("button", name="Xác nhận danh sách chính thức").click()
    expect(flash(page)).to_have_text("Đã xác nhận danh sách chính thức; danh sách đã được khóa. "
                                     "Bước tiếp theo: in danh sách để niêm yết và in phiếu bầu.")
    browse.check(page)

    nav(page, "Phiếu bầu")
    row = page.locator("tbody tr").filter(has_text=unprinted.full_name)
    expect(row.locator("td").nth(3)).to_have_text("0")  # nothing printed yet
    row.get_by_role("link", name="In phiếu").click()
    expect(heading(page)).to_contain_text(f"In phiếu bầu – {unprinted.full_name}")
    expect(page.get_by_text("Chưa in đợt nào.")).to_be_visible()
    browse.check(page)
    page.once("dialog", lambda dialog: dialog.accept())  # «In phiếu? … khóa vĩnh viễn danh sách …»
    page.get_by_role("button", name="In phiếu").click()
    expect(flash(page)).to_contain_text("Đã in")
    expect(page.get_by_role("link", name="Tải PDF")).to_have_count(1)
    browse.check(page)


def test_the_approver_finds_the_exception_request_waiting(browse, demo):
    asking = demo.hamlet("Chờ quyết định ngoại lệ")  # filed by dangu.binhhai on 09/05/2022, not decided
    page = browse.login("btv.binhson")
    nav(page, "Ứng cử")
    page.get_by_role("link", name="đề nghị ngoại lệ chờ quyết định").click()
    expect(heading(page)).to_have_text("Đề nghị ngoại lệ tiêu chuẩn (R-X1)")
    row = page.locator("tbody tr").filter(has_text=asking.name)
    expect(row).to_contain_text("09/05/2022")
    expect(row).to_contain_text("Chờ quyết định")
    browse.check(page)


def test_a_hamlet_that_has_not_voted_keeps_its_chief_of_the_previous_term(browse, demo):
    hamlet = demo.hamlet("Chưa có người ứng cử")
    page = browse.login("bcd.binhhai")
    nav(page, "Xã, thôn")
    page.get_by_role("link", name=hamlet.commune, exact=True).click()
    page.get_by_role("link", name=hamlet.name, exact=True).click()
    expect(heading(page)).to_contain_text(hamlet.full_name)
    chief = page.locator("tr").filter(has_text=re.compile(r"Trưởng thôn"))
    expect(chief).to_have_count(1)
    expect(chief).to_contain_text("2019–2022")
    expect(chief).to_contain_text("đương nhiệm")
    expect(page.get_by_text("2022–2025")).to_have_count(0)
    browse.check(page)
