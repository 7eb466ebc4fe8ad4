"""The printable sheet of a hamlet's polling-team logins: who logs in with which username, where, and how the
first login works. Never a password or a code (those are read to each member alone)."""
from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from core.accounts import CODE_LIFETIME, User
from core.documents import OfficialDocument, Signature
from core.models import Hamlet, Term


def team_logins_pdf(hamlet: Hamlet, users: Sequence[User], term: Term | None, login_url: str, today: date) -> bytes:
    commune = hamlet.commune
    doc = OfficialDocument(
        [f"UBND {commune.full_name.upper()}", "BAN CHỈ ĐẠO BẦU CỬ"], motto="state", place=commune.name, date=today,
        title="DANH SÁCH TÀI KHOẢN TỔ BẦU CỬ",
        subtitle=f"{hamlet.full_name}, {commune.full_name}" + (f", nhiệm kỳ {term.name}" if term else ""),
    )
    doc.paragraph(f"Đơn vị: {hamlet.full_name}, {commune.full_name}, huyện {commune.district.name}."
                  + (f" Nhiệm kỳ: {term.name}." if term else ""), style="plain")
    doc.paragraph(f"Địa chỉ đăng nhập: {login_url}", style="plain")
    rows = []
    for no, user in enumerate(users, start=1):
        state = "Đang hoạt động" if user.active else "Đã khóa"
        if user.active and user.must_change_password:
            state = "Chờ đăng nhập lần đầu"
        rows.append([no, user.full_name, user.username, user.role.label, user.term.name if user.term else "", state])
    if rows:
        # The hamlet and the commune are the sheet's (its subtitle): every row is of this hamlet.
        doc.table(["TT", "Họ và tên", "Tên đăng nhập", "Vai trò", "Nhiệm kỳ", "Trạng thái"], rows,
                  col_widths=[0.7, 2.4, 2.2, 1.6, 1.7, 1.6], align=["center", "left", "left", "left", "center", "left"])
    else:
        doc.paragraph("Thôn, tổ dân phố này chưa có tài khoản tổ bầu cử.", style="note")
    hours = int(CODE_LIFETIME.total_seconds() // 3600)
    doc.paragraph("Cách đăng nhập lần đầu", style="heading")
    doc.paragraph("1. Ban chỉ đạo bầu cử xã đọc riêng cho từng thành viên một mã dùng một lần gồm 10 ký tự (chữ in "
                  "hoa và chữ số). Mã không ghi trên danh sách này.")
    doc.paragraph(f"2. Mở địa chỉ đăng nhập ở trên, nhập tên đăng nhập của mình và nhập mã vào ô «Mật khẩu». Mã chỉ "
                  f"dùng được một lần và hết hạn sau {hours} giờ.")
    doc.paragraph("3. Phần mềm yêu cầu đặt ngay mật khẩu mới (ít nhất 10 ký tự) trước khi làm việc khác; từ lần sau "
                  "đăng nhập bằng mật khẩu mới. Quên mật khẩu thì đề nghị Ban chỉ đạo bầu cử xã cấp mã mới.")
    doc.paragraph("Không ghi mật khẩu lên giấy, không cho người khác dùng tài khoản của mình.", style="note")
    doc.signatures([Signature("TRƯỞNG BAN", "", authority="TM. BAN CHỈ ĐẠO")])
    out = io.BytesIO()
    doc.build(out)
    return out.getvalue()
