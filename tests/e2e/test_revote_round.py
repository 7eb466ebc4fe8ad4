"""Election Sunday's open round on a phone (issue 15): after a re-vote was ordered, the polling team's home is the
poll page of round 2, its check-ins land in round 2, and round 1's page is read-only and points to round 2.

The rehearsal orders the re-vote for Sunday 29/05/2022 (R-V8): this module serves its own copy of the demo with the
configured clock on that day, so round 2 can open (the session's servers stand on election day, 22/05)."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .conftest import Server, served_copy
from .test_journeys import flash, heading, household_search, nav, open_election_pages, poll_status

pytestmark = pytest.mark.e2e

REVOTE_DAY = "2022-05-29"  # demo/rehearsal.py: the re-vote day it orders


@pytest.fixture(scope="module")
def server(demo, viewport, tmp_path_factory) -> Iterator[Server]:
    if viewport.name != "phone":
        pytest.skip("the polling team's phone (390 px)")
    with served_copy(demo, "e2e_revote", tmp_path_factory.mktemp("e2e-revote"), FLASK_TODAY=REVOTE_DAY) as served:
        yield served


COMMITTEES = {"Xã Bình Hải": "bcd.binhhai", "Xã Bình Trị": "bcd.binhtri"}  # the demo seed's committee logins


def primary(page: Page):
    """The one obvious button of a poll page: the next action for the reader."""
    return page.locator("#day-steps .primary-action")


def test_a_revote_hamlet_votes_in_round_two_on_the_team_s_phone(browse, demo, viewport):
    if viewport.name != "phone":
        pytest.skip("the polling team's phone (390 px)")
    hamlet = demo.hamlet("Không ai trúng cử: bầu lại")  # round 1 closed by a re-vote; round 2's list to confirm

    page = browse.login(COMMITTEES[hamlet.commune])
    nav(page, "Xã, thôn")
    page.get_by_role("link", name=hamlet.commune, exact=True).click()
    page.get_by_role("link", name=hamlet.name, exact=True).click()
    open_election_pages(page, hamlet.full_name)
    expect(heading(page)).to_contain_text("bầu lại (vòng 2)")
    expect(poll_status(page)).to_have_text("Chưa bắt đầu")
    expect(primary(page)).to_have_text("Xác nhận danh sách vòng bầu lại")
    browse.check(page)
    page.once("dialog", lambda dialog: dialog.accept())  # «Xác nhận danh sách … không sửa … được nữa»
    primary(page).click()
    expect(flash(page)).to_have_text("Đã xác nhận danh sách người ứng cử vòng bầu lại.")
    browse.check(page)

    page = browse.login(hamlet.login)  # the team's home: round 2's poll page, straight away
    expect(heading(page)).to_contain_text(f"Bầu trưởng thôn: {hamlet.full_name} – bầu lại (vòng 2)")
    expect(page.locator("#rounds")).to_contain_text("Vòng 2 · đang mở")
    expect(primary(page)).to_have_text("Khai mạc bỏ phiếu")
    browse.check(page)
    page.once("dialog", lambda dialog: dialog.accept())
    primary(page).click()
    expect(flash(page)).to_have_text("Đã khai mạc cuộc bỏ phiếu.")
    expect(poll_status(page)).to_have_text("Đang bỏ phiếu")
    expect(page.get_by_text("Đã điểm danh: 0 hộ")).to_be_visible()
    browse.check(page)

    expect(primary(page)).to_have_attribute("href", re.compile(r"/checkin\?round_no=2$"))
    primary(page).click()
    expect(heading(page)).to_contain_text(f"Ghi nhận nhận phiếu – {hamlet.full_name} (bầu lại, vòng 2)")
    expect(page.locator("#present")).to_have_text("0")
    household_search(page).fill("nguyen")
    first = page.locator("#results .ci-item").first
    expect(first.get_by_role("button")).to_have_text("Đã nhận phiếu")
    first.get_by_role("button", name="Đã nhận phiếu").click()
    expect(page.locator("#present")).to_have_text("1")
    browse.check(page)

    nav(page, "Tổng quan")  # back home: round 2 counts the household
    expect(heading(page)).to_contain_text("bầu lại (vòng 2)")
    expect(page.get_by_text("Đã điểm danh: 1 hộ")).to_be_visible()
    browse.check(page)

    page.locator("#rounds").get_by_role("link", name="Vòng 1").click()  # the closed round: read-only
    expect(page.locator("#closed-round")).to_contain_text("Vòng đang mở là vòng 2")
    expect(page.locator("main form")).to_have_count(0)
    expect(poll_status(page)).to_have_text("Bầu lại")
    browse.check(page)
    page.locator("#closed-round").get_by_role("link", name="Mở vòng 2").click()
    expect(heading(page)).to_contain_text("bầu lại (vòng 2)")
    browse.check(page)
