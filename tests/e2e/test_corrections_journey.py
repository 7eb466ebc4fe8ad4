"""Issue 15 in the browser: the commune committee reopens a recognised count with a written reason (data-confirm
naming the consequence), at a phone's width and a desktop's. On a copy of the demo of its own: the journeys that read
the recognised hamlet (the board, the chapter congress, the observer) must still find it recognised."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from .conftest import Server, served_copy

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(demo, viewport, tmp_path_factory) -> Iterator[Server]:
    with served_copy(demo, f"e2e_corrections_{viewport.name}", tmp_path_factory.mktemp("e2e-corrections")) as served:
        yield served

COMMITTEES = {"Xã Bình Hải": "bcd.binhhai", "Xã Bình Trị": "bcd.binhtri"}  # demo/seed.py DEMO_USERS


def test_commune_committee_reopens_a_recognised_count_with_a_reason(browse, demo):
    hamlet = demo.hamlet("Đã công nhận")
    page = browse.login(COMMITTEES[hamlet.commune])
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Xã, thôn", exact=True).click()
    page.get_by_role("link", name=hamlet.commune, exact=True).click()
    page.get_by_role("link", name=hamlet.name, exact=True).click()
    card = page.locator(".card").filter(has=page.get_by_role("heading", name=re.compile(re.escape(hamlet.full_name))))
    card.get_by_role("link", name="Cuộc bầu: hội nghị, kiểm phiếu, kết quả").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(hamlet.full_name)
    expect(page.get_by_text("Đã được UBND xã công nhận (R-V9)")).to_be_visible()  # not "waiting for recognition"
    browse.check(page)

    form = page.locator("#reopen-form")
    reason = "Biên bản giấy đã ký ghi số phiếu không hợp lệ khác số đã nhập"
    form.get_by_label("Lý do mở lại (bắt buộc, ít nhất 10 ký tự)").fill(reason)
    form.get_by_label("Hủy cả hai lần nhập: tổ bầu cử nhập lại hai lần từ đầu").check()
    button = form.get_by_role("button", name="Mở lại kết quả để đính chính")
    expect(button).to_have_attribute("data-confirm", re.compile("quyết định công nhận bị thay thế"))
    page.once("dialog", lambda dialog: dialog.dismiss())  # refusing keeps the recognised result
    button.click()
    expect(page.get_by_text("Đã được UBND xã công nhận (R-V9)")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    expect(page.locator("main .flash[role=status]").first).to_contain_text("Đã mở lại kết quả (đính chính lần 1)")
    history = page.locator("#correction-history")
    expect(history).to_contain_text(reason)
    expect(history).to_contain_text("Biên bản phiên bản 1")
    expect(page.get_by_text("biên bản phiên bản 2").first).to_be_visible()
    browse.check(page)
