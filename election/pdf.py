"""PDFs of election day: the counting minutes (structure of Decree 59/2023 form No. 02) and the recognition decision."""
from __future__ import annotations

import io

from core import legal
from core.documents import OfficialDocument, Signature
from core.vietnamese import format_number, format_percent, local_date, long_date
from election.counting import OUTCOME_LABELS, accepted_rows
from election.models import CountCorrection, CountResult, Poll, PollMode, Recognition, household_total


def percent(share: float | None) -> str:
    """0.4839 → "48,39%" (Vietnamese decimal comma); a dash when the share is undefined."""
    return format_percent(share, 2, none="–")


def _n(value: int) -> str:
    """A count as people read it: "1.200" (thousands dot, issue 17)."""
    return format_number(value)


def _place(poll: Poll) -> str:
    return poll.hamlet.commune.name


def counting_minutes_pdf(poll: Poll, result: CountResult, verify_url: str, fingerprint: str = "", *,
                         version: int = 1, correction: CountCorrection | None = None) -> bytes:
    """The minutes of the accepted count; `version` > 1 after a correction, which the minutes name."""
    hamlet, commune = poll.hamlet, poll.hamlet.commune
    day = local_date(poll.held_on) if poll.held_on else poll.election_day
    doc = OfficialDocument(
        [f"UBND {commune.full_name.upper()}", f"TỔ BẦU CỬ {hamlet.full_name.upper()}"], "Mẫu số 02",
        place=_place(poll), date=day, title="BIÊN BẢN KIỂM PHIẾU",
        subtitle=f"Bầu trưởng {hamlet.name_in_text}, nhiệm kỳ {poll.term.name}"
                 + (f" – bầu lại lần {poll.round_no - 1}" if poll.round_no > 1 else ""))
    if version > 1:
        corrected = (f" (đính chính lần {correction.number} ngày {local_date(correction.at).strftime('%d/%m/%Y')}: "
                     f"{correction.reason})" if correction is not None else "")
        doc.paragraph(f"Biên bản phiên bản {version}, thay thế biên bản phiên bản {version - 1}{corrected}. Các "
                      "phiên bản trước không còn giá trị.", "note")
    mode = ("tại hội nghị cử tri" if result.mode == PollMode.MEETING.value else
            "bằng hình thức phát phiếu đến từng hộ gia đình (hội nghị không đủ quá 50% số hộ)")
    doc.paragraph(f"Hôm nay, {long_date(day)}, tại {hamlet.name_in_text}, {commune.name_in_text}, cuộc bầu trưởng "
                  f"{hamlet.name_in_text} được tổ chức {mode}; hình thức biểu quyết: "
                  f"{poll.voting_form.label.lower()}.")
    doc.paragraph("1. Ban kiểm phiếu gồm:", "heading")
    for i, name in enumerate(poll.board_members or [], start=1):
        doc.paragraph(f"{i}. {name}" + (" – Trưởng ban" if i == 1 else ""), "plain")
    doc.paragraph("2. Cử tri đại diện hộ gia đình chứng kiến việc kiểm phiếu:", "heading")
    for i, name in enumerate(poll.witnesses or [], start=1):
        doc.paragraph(f"{i}. {name}", "plain")
    doc.paragraph("3. Kết quả kiểm phiếu:", "heading")
    present = "–" if result.households_present is None else _n(result.households_present)
    doc.table(["Nội dung", "Số lượng"], [
        ["Tổng số hộ gia đình của thôn", _n(result.total_households)],
        ["Số hộ gia đình có mặt (tham gia bỏ phiếu)", present],
        ["Số phiếu phát ra", _n(result.ballots_issued)],
        ["Số phiếu thu vào", _n(result.ballots_returned)],
        ["Số phiếu hợp lệ", _n(result.valid_ballots)],
        ["Số phiếu không hợp lệ", _n(result.invalid_ballots)],
    ], col_widths=[5, 2], align=["left", "right"])
    households = household_total(poll.hamlet_id, poll.term_id, poll)
    if households.count == result.total_households:  # the denominator of R-V5 and R-V7, and where it comes from
        doc.paragraph(f"Tổng số hộ gia đình ({_n(result.total_households)}) {households.source_text}.", "note")
    rows = accepted_rows(result)
    single = len(rows) == 1
    table = [[i, r.name + (" (Đồng ý)" if single else ""), _n(r.votes), percent(r.of_total), percent(r.of_present),
              percent(r.of_valid)] for i, r in enumerate(rows, start=1)]
    if single:
        table.append(["", "Không đồng ý", _n(result.against), "", "", ""])
    doc.paragraph("4. Số phiếu bầu cho từng người ứng cử và tỷ lệ:", "heading")
    doc.table(["STT", "Họ và tên", "Số phiếu", "% tổng số hộ", "% số hộ có mặt", "% phiếu hợp lệ"], table,
              col_widths=[0.7, 4, 1.3, 1.5, 1.5, 1.5], align=["center", "left", "right", "right", "right", "right"])
    winner = next((r for r in rows if r.elected), None)
    if result.outcome == "elected" and winner is not None:
        text = (f"Ông/bà {winner.name} được {_n(winner.votes)} phiếu, đạt {percent(winner.of_total)} tổng số hộ gia "
                f"đình của thôn (trên 50%), trúng cử trưởng {hamlet.name_in_text}.")
    elif result.outcome == "no_winner":
        text = ("Không có người ứng cử nào đạt trên 50% tổng số hộ gia đình của thôn: không ai trúng cử; đề nghị "
                "Ủy ban nhân dân xã quyết định tổ chức bầu lại." if result.next_step == "revote" else
                "Không có người ứng cử nào đạt trên 50% tổng số hộ gia đình của thôn sau khi bầu lại: đề nghị Chủ "
                "tịch Ủy ban nhân dân xã chỉ định trưởng thôn lâm thời.")
    else:
        text = OUTCOME_LABELS.get(result.outcome, result.outcome) + "."
    doc.paragraph("5. Kết quả: " + text, "heading")
    doc.paragraph("Biên bản lập xong hồi ...... giờ cùng ngày, được đọc lại cho mọi người cùng nghe. Quét mã QR "
                  "để đối chiếu số liệu với máy chủ.", "note")
    witnesses = list(poll.witnesses or []) + ["", ""]
    chief = (poll.board_members or [""])[0]
    doc.signatures([Signature("CỬ TRI CHỨNG KIẾN", witnesses[0]), Signature("CỬ TRI CHỨNG KIẾN", witnesses[1]),
                    Signature("TRƯỞNG BAN KIỂM PHIẾU", chief, "TM. BAN KIỂM PHIẾU")])
    doc.qr(verify_url)
    footer = f"Biên bản phiên bản {version}"
    if fingerprint:
        footer += f" · Dấu vân tay danh sách cử tri: {fingerprint[:16]}"
    doc.footer(footer)
    out = io.BytesIO()
    doc.build(out)
    return out.getvalue()


def recognition_decision_pdf(poll: Poll, result: CountResult, recognition: Recognition) -> bytes:
    hamlet, commune = poll.hamlet, poll.hamlet.commune
    person = recognition.person
    doc = OfficialDocument(["ỦY BAN NHÂN DÂN", commune.full_name.upper()], f"Số: {recognition.decision_no}",
                           place=_place(poll), date=recognition.decided_on, title="QUYẾT ĐỊNH",
                           subtitle=f"Về việc công nhận kết quả bầu trưởng {hamlet.name_in_text}, nhiệm kỳ "
                                    f"{poll.term.name}")
    held = local_date(poll.held_on) if poll.held_on else poll.election_day
    doc.preamble(f"CHỦ TỊCH ỦY BAN NHÂN DÂN {commune.full_name}", [
        legal.LOCAL_GOVERNMENT, legal.GRASSROOTS_DEMOCRACY, legal.DECREE_59, legal.CIRCULAR_04,
        f"Xét biên bản kiểm phiếu bầu trưởng {hamlet.name_in_text} ngày {held:%d/%m/%Y} của Tổ bầu cử "
        f"{hamlet.name_in_text}"])
    rows = accepted_rows(result)
    winner = next((r for r in rows if r.elected), None)
    share = f", đạt {percent(winner.of_total)} tổng số hộ gia đình" if winner else ""
    votes = f" với {_n(winner.votes)}/{_n(result.total_households)} phiếu{share}" if winner else ""
    doc.article(1, f"Công nhận ông/bà {person.full_name}, sinh ngày {person.birth_date:%d/%m/%Y}, trúng cử trưởng "
                   f"{hamlet.name_in_text}, {commune.name_in_text}, nhiệm kỳ {poll.term.name}{votes}.")
    doc.article(2, f"Ông/bà {person.full_name} nhận nhiệm vụ trưởng {hamlet.kind.label.lower()} kể từ ngày "
                   f"{recognition.decided_on:%d/%m/%Y}.")
    doc.article(3, f"Văn phòng Ủy ban nhân dân xã, Ban công tác Mặt trận {hamlet.name_in_text} và ông/bà có tên tại "
                   "Điều 1 chịu trách nhiệm thi hành Quyết định này.")
    doc.signatures([Signature("CHỦ TỊCH", recognition.signer_name, "TM. ỦY BAN NHÂN DÂN")],
                   recipients=["Như Điều 3", f"Thường trực Đảng ủy {commune.name_in_text}",
                               f"Ủy ban Mặt trận Tổ quốc Việt Nam {commune.name_in_text}",
                               f"Chi bộ {hamlet.name_in_text}", "Lưu: VT"])
    out = io.BytesIO()
    doc.build(out)
    return out.getvalue()


__all__ = ["counting_minutes_pdf", "recognition_decision_pdf", "percent"]
