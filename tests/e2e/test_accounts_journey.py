"""A commune committee resets a team member's password (desktop); the member logs in with the one-time code on a
phone, is made to choose a password and lands on their hamlet's page; the same code fails a second time.

Runs once, on a copy of the demo of its own (the reset changes an account), with one browser per viewport.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from .conftest import VIEWPORTS, Browsing, Server, Viewport, served_copy
from .test_journeys import expect_team_home, flash, heading, nav

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "mat-khau-rieng-cua-to"


@pytest.fixture(scope="module")
def accounts_server(demo, tmp_path_factory) -> Iterator[Server]:
    with served_copy(demo, "e2e_accounts", tmp_path_factory.mktemp("e2e-accounts")) as served:
        yield served


def browsing(new_context, name: str, server: Server) -> Browsing:
    width, height = VIEWPORTS[name]
    return Browsing(new_context, Viewport(name, width, height), server)


def test_committee_resets_a_team_password_and_the_member_logs_in_with_the_code(new_context, demo, accounts_server):
    hamlet = next(h for h in demo.hamlets if h.commune == "Xã Bình Hải")
    desktop, phone = browsing(new_context, "desktop", accounts_server), browsing(new_context, "phone", accounts_server)
    try:
        committee = desktop.login("bcd.binhhai")
        nav(committee, "Tài khoản tổ bầu cử")
        expect(heading(committee)).to_have_text("Tài khoản tổ bầu cử – Bình Hải")
        committee.get_by_placeholder("Tên đăng nhập hoặc họ tên").fill(hamlet.login)
        committee.get_by_role("button", name="Tìm", exact=True).click()
        row = committee.locator("tbody tr").filter(has_text=hamlet.login)
        expect(row).to_have_count(1)
        desktop.check(committee)
        questions: list[str] = []

        def accept(dialog) -> None:
            questions.append(dialog.message)
            dialog.accept()

        committee.once("dialog", accept)
        row.get_by_role("button", name="Cấp mã đăng nhập mới").click()
        expect(heading(committee)).to_have_text("Mã đăng nhập dùng một lần")
        assert "Mật khẩu hiện tại của tài khoản sẽ không dùng được nữa" in questions[0]
        code = committee.locator("#one-time-code").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code), code
        desktop.check(committee)

        member = phone.login(hamlet.login, password=code)
        expect(heading(member)).to_have_text("Đặt mật khẩu mới")
        expect(flash(member)).to_contain_text("mã dùng một lần")
        phone.check(member)
        # Nothing else opens before the password is chosen.
        member.goto("/communes")
        expect(heading(member)).to_have_text("Đặt mật khẩu mới")
        member.locator("#new_password").fill(NEW_PASSWORD)
        member.locator("#confirm").fill(NEW_PASSWORD)
        member.locator("#submit").click()
        expect(flash(member)).to_have_text("Đã đặt mật khẩu mới. Từ lần sau hãy đăng nhập bằng mật khẩu này.")
        expect_team_home(member, hamlet.full_name)
        phone.check(member)

        again = phone.open()
        again.goto("/login")
        again.locator("#username").fill(hamlet.login)
        again.locator("#password").fill(code)
        again.locator("#submit").click()
        expect(flash(again)).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
        expect(again.get_by_role("button", name="Đăng xuất")).to_have_count(0)
        phone.check(again)

        # The committee's list shows the member active again.
        committee.get_by_role("link", name="Xong").click()
        expect(committee.locator("tbody tr").filter(has_text=hamlet.login).locator(".badge")).to_have_text("hoạt động")
        desktop.check(committee)

        # The committee's page fits a phone too (tables stack, the nav wraps).
        small = phone.login("bcd.binhhai")
        nav(small, "Tài khoản tổ bầu cử")
        expect(small.locator("tbody tr").filter(has_text=hamlet.login).first).to_be_visible()
        phone.check(small)
    finally:
        desktop.finish()
        phone.finish()
