"""A phone that loses its signal on election Sunday (issue 15, part 7): a form's typed figures stay on the phone until
the server has them, are sent by themselves once the connection is back, and only once; check-in search says it is
offline rather than showing old results as fresh, and says how many matches there are beyond those shown."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .test_journeys import flash, heading, household_search, nav, open_election_pages, poll_status

pytestmark = pytest.mark.e2e

# The demo's commune committees (demo/seed.py DEMO_USERS): the rehearsal creates bcd.<code> for any other commune.
COMMITTEES = {"Xã Bình Hải": "bcd.binhhai", "Xã Bình Trị": "bcd.binhtri"}
RESTORED = "Đã khôi phục số liệu đã nhập trên máy này."
OFFLINE = "Mất kết nối — số liệu đã lưu trên điện thoại này, sẽ gửi khi có mạng."
KEPT = "Object.keys(localStorage).filter(k => k.startsWith('dantin-keep:'))"


def kept(page: Page) -> list[dict]:
    return page.evaluate(f"{KEPT}.map(k => JSON.parse(localStorage.getItem(k)))")


def test_count_typed_offline_is_kept_across_a_reload_and_sent_once_when_back_online(browse, demo):
    hamlet = demo.hamlet("Đã nhập kết quả lần 1")  # entry 1 by the team; the committee enters the second
    if hamlet.commune not in COMMITTEES:
        pytest.fail(f"No committee login known for {hamlet.commune}", pytrace=False)
    page = browse.login(COMMITTEES[hamlet.commune])
    nav(page, "Xã, thôn")
    page.get_by_role("link", name=hamlet.commune, exact=True).click()
    page.get_by_role("link", name=hamlet.name, exact=True).click()
    open_election_pages(page, hamlet.full_name)
    expect(poll_status(page)).to_have_text("Đã nhập lần 1")
    first = page.locator("table").first.locator("tbody tr").first
    issued, returned, valid, invalid = (int(first.locator("td.num").nth(i).inner_text()) for i in range(4))
    browse.check(page)

    page.get_by_role("link", name="Nhập lần thứ hai").click()  # the day's checklist: entry 2 by another person
    expect(heading(page)).to_contain_text(f"Nhập kết quả kiểm phiếu: {hamlet.full_name}")
    form = page.locator("#count-form")
    for name, value in (("ballots_issued", issued), ("ballots_returned", returned), ("valid_ballots", valid),
                        ("invalid_ballots", invalid)):
        page.locator(f"#{name}").fill(str(value))
    votes = form.locator("[data-candidate]")
    leading = round(valid * 0.72)  # the rehearsal's share (demo/rehearsal.py): equal entries are accepted
    votes.nth(0).fill(str(leading))
    if votes.count() == 1:
        page.locator("#against").fill(str(valid - leading))
    else:
        votes.nth(1).fill(str(valid - leading))
    check = page.locator("#check-result")
    expect(check).not_to_contain_text("Nhập đủ các số liệu")
    if page.locator("#ack-box").is_visible():
        page.locator("#acknowledged").check()
    typed = {name: page.locator(f"#{name}").input_value() for name in ("ballots_issued", "valid_ballots")}

    # Reloaded (the phone's browser dropped the tab): what was typed is back, and the page says so.
    page.reload()
    expect(page.locator(".keep-notice")).to_contain_text(RESTORED)
    for name, value in typed.items():
        expect(page.locator(f"#{name}")).to_have_value(value)
    browse.check(page)

    # Refused by the server (more valid ballots than returned): the form comes back with its error, as typed.
    page.locator("#valid_ballots").fill(str(returned + 1))
    page.get_by_role("button", name="Lưu lần nhập").click()
    expect(page.locator("main > .flash.danger").first).to_contain_text("Số liệu chưa khớp")
    expect(page.locator("#valid_ballots")).to_have_value(str(returned + 1))
    assert [k["pending"] for k in kept(page)] == [False]
    page.locator("#valid_ballots").fill(typed["valid_ballots"])
    browse.check(page)

    posts: list[str] = []
    page.on("request", lambda r: r.method == "POST" and re.search(r"/polls/\d+/count$", r.url.split("?")[0])
            and posts.append(r.url))
    page.context.set_offline(True)
    page.get_by_role("button", name="Lưu lần nhập").click()
    expect(page.locator(".keep-notice")).to_contain_text(OFFLINE)
    expect(page.locator(".keep-notice").get_by_role("button", name="Gửi lại")).to_be_visible()
    assert posts == []
    assert [k["pending"] for k in kept(page)] == [True]
    expect(page.locator("#valid_ballots")).to_have_value(typed["valid_ballots"])
    browse.check(page)

    # The signal is back, but its first send fails (a phone says "online" before its connection carries anything):
    # the page says so and sends the kept entry again by itself, with no other "online" event.
    dropped: list[str] = []

    def first_send_lost(route) -> None:
        if route.request.method == "POST" and not dropped:
            dropped.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(lambda url: re.search(r"/polls/\d+/count$", url.split("?")[0]) is not None, first_send_lost)
    page.context.set_offline(False)
    expect(page).to_have_url(re.compile(r"/polls/\d+$"), timeout=10_000)  # the retry, 2 s after the lost send
    assert len(dropped) == 1
    assert browse.expected(page, r"console error .*ERR_INTERNET_DISCONNECTED") == 1  # the lost send, said once
    expect(flash(page)).to_contain_text("Đã lưu lần nhập thứ 2")
    expect(heading(page)).to_contain_text(f"Bầu trưởng thôn: {hamlet.full_name}")
    entries = page.locator("table").first.locator("tbody tr")  # the count entries, above the result
    expect(entries).to_have_count(2)
    expect(entries.nth(1).locator("td").first).to_have_text("2")
    assert len(posts) == 2  # the lost one and the one the server answered
    assert kept(page) == []  # the server confirmed: nothing left on the phone
    browse.check(page)


def test_check_in_search_says_it_is_offline_and_how_many_more_matches_exist(browse, demo):
    hamlet = demo.hamlet("Không đủ số hộ")  # voting, ballots taken to each household: search only, nothing changed
    page = browse.login(hamlet.login)
    nav(page, "Tổng quan")
    page.get_by_role("link", name="Ghi nhận nhận phiếu").first.click()
    expect(heading(page)).to_contain_text("Ghi nhận nhận phiếu")
    search = household_search(page)
    with page.expect_response(re.compile(r"/checkin/search\?")) as answer:
        search.fill("n")
    data = answer.value.json()
    shown, total = len(data["items"]), data["total"]
    assert shown == min(total, 20) and shown > 0
    expect(page.locator("#results .ci-item")).to_have_count(shown)
    more = page.locator("#ci-more")
    if total > shown:
        expect(more).to_have_text(f"{shown} trong {total} kết quả — gõ thêm để thu hẹp")
    else:
        expect(more).to_be_hidden()
    expect(page.locator("#ci-status")).to_be_hidden()
    browse.check(page)

    page.context.set_offline(True)
    status = page.locator("#ci-status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("Mất kết nối")
    expect(page.locator("#results")).to_have_class(re.compile(r"\bstale\b"))  # old results are marked, not fresh
    expect(page.locator("#results .ci-item button").first).to_be_disabled()
    search.fill("ng")
    page.wait_for_timeout(400)  # past the search's debounce: still offline, still said
    expect(status).to_be_visible()
    browse.check(page)

    with page.expect_response(re.compile(r"/checkin/search\?")):
        page.context.set_offline(False)
    expect(status).to_be_hidden()
    expect(page.locator("#results")).not_to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("#results .ci-item button").first).to_be_enabled()
    browse.check(page)


# True once static/keep_form.js has kept a chosen file in its IndexedDB store (the store is only read: opened at
# its current version, and only once the page has made it).
KEPT_FILE = """async () => {
  if (!(await indexedDB.databases()).some(d => d.name === 'dantin-keep-files')) return false;
  return await new Promise(resolve => {
    const opening = indexedDB.open('dantin-keep-files');
    opening.onerror = () => resolve(false);
    opening.onsuccess = () => {
      const db = opening.result;
      if (!db.objectStoreNames.length) { db.close(); resolve(false); return; }
      const count = db.transaction(db.objectStoreNames[0], 'readonly').objectStore(db.objectStoreNames[0]).count();
      count.onsuccess = () => { db.close(); resolve(count.result > 0); };
      count.onerror = () => { db.close(); resolve(false); };
    };
  });
}"""


def test_photo_of_the_signed_minutes_chosen_offline_is_kept_and_uploaded_once(browse, demo, tmp_path):
    hamlet = demo.hamlet("Đã chốt kết quả")  # both entries agree: the signed minutes are awaited
    page = browse.login(hamlet.login)
    nav(page, "Tổng quan")
    open_election_pages(page, hamlet.full_name)
    page.get_by_role("link", name="Tải lên biên bản đã ký").click()
    expect(heading(page)).to_contain_text("Tải lên biên bản đã ký")
    photo = tmp_path / "bien-ban.png"  # a minimal valid PNG (1×1, white)
    photo.write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8ffff3f0005fe02fe"
        "0def46b80000000049454e44ae426082"))
    page.locator("input[type=file]").set_input_files(str(photo))
    page.wait_for_function(KEPT_FILE)  # the photo is written to IndexedDB (300 ms was too short on a busy machine)
    page.reload()  # the photo is kept on the phone with the form
    expect(page.locator(".keep-notice")).to_contain_text(RESTORED)
    assert page.evaluate("document.querySelector('input[type=file]').files[0].name") == "bien-ban.png"
    browse.check(page)

    posts: list[str] = []
    page.on("request", lambda r: r.method == "POST" and "/minutes/upload" in r.url and posts.append(r.url))
    page.context.set_offline(True)
    page.get_by_role("button", name="Tải lên").click()
    expect(page.locator(".keep-notice")).to_contain_text(OFFLINE)
    assert posts == []
    page.context.set_offline(False)
    expect(flash(page)).to_contain_text("Đã tải lên biên bản đã ký.")
    assert len(posts) == 1 and kept(page) == []
    browse.check(page)
