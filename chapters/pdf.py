"""Congress minutes and the periodic targets report, as Party documents (motto "ĐẢNG CỘNG SẢN VIỆT NAM")."""
from __future__ import annotations

import io
from datetime import date

from candidates.rules import standard_label
from chapters.models import EXCLUSION_FIELDS, EXCLUSION_LABELS, Congress, CongressState
from chapters.review import Review
from chapters.rules import DIFFICULTY_LABELS, CadreDifficulty, votes_needed
from chapters.targets import Facts
from core.documents import OfficialDocument, Signature
from core.enums import Post
from core.models import District
from core.targets import TargetFigure
from core.vietnamese import capitalise, format_number, format_percent, vietnam_today


def _percent(share: float | None) -> str:
    return format_percent(share, 1)


def _n(value: int) -> str:
    """A count as people read it: thousands dot (issue 17)."""
    return format_number(value)


def _of(numerator: int, denominator: int) -> str:
    return f"{_n(numerator)}/{_n(denominator)}"


def _build(doc: OfficialDocument) -> bytes:
    out = io.BytesIO()
    doc.build(out)
    return out.getvalue()


def congress_minutes_pdf(congress: Congress) -> bytes:
    """BIÊN BẢN ĐẠI HỘI CHI BỘ: attendance and vote base (R-P2), each ballot's result, appointment, approval."""
    chapter, hamlet = congress.chapter, congress.chapter.hamlet
    commune = hamlet.commune
    kind = "THÔN" if hamlet.kind.value == "hamlet" else "TỔ DÂN PHỐ"
    doc = OfficialDocument([f"ĐẢNG BỘ {commune.kind.label.upper()} {commune.name.upper()}",
                            f"CHI BỘ {kind} {hamlet.name.upper()}"], motto="party", place=commune.name,
                           date=congress.held_on, title="BIÊN BẢN ĐẠI HỘI CHI BỘ",
                           subtitle=f"{chapter.name}, nhiệm kỳ {congress.term.name}")
    doc.paragraph(f"Hôm nay, ngày {congress.held_on:%d/%m/%Y}, {chapter.name} tiến hành đại hội bầu cấp ủy, "
                  "bí thư, phó bí thư chi bộ theo Quy định 190-QĐ/TW và Quy định 294-QĐ/TW.")
    base = congress.base
    doc.paragraph("1. Số lượng đảng viên và căn cứ tính kết quả bầu cử", "heading")
    rows = [["Đảng viên chính thức được triệu tập", _n(congress.official_members_convened or 0)]]
    rows += [[f"Trừ: {EXCLUSION_LABELS[name]}", _n(getattr(congress, name) or 0)] for name in EXCLUSION_FIELDS]
    rows += [["Số đảng viên làm căn cứ tính kết quả", _n(base)],
             ["Đảng viên có mặt, biểu quyết", _n(congress.present or 0)],
             ["Số phiếu cần để trúng cử (quá một nửa)", _n(votes_needed(base))]]
    doc.table(["Nội dung", "Số lượng"], rows, col_widths=[5, 1.2], align=["left", "right"])
    doc.paragraph(congress.structure.message, "plain")
    doc.paragraph("2. Danh sách người được giới thiệu", "heading")
    doc.table(["STT", "Họ và tên", "Giới thiệu vào", "Nguồn"],
              [[i, n.person.full_name, n.post.label,
                n.source.label + (f" ({_of(n.floor_agreeing, congress.present or 0)} đồng ý)" if n.floor_agreeing is not None
                                  else "")] for i, n in enumerate(congress.nominees, start=1)],
              col_widths=[0.6, 3.4, 2, 3.2], align=["center", "left", "left", "left"])
    doc.paragraph("3. Kết quả bầu cử", "heading")
    for ballot in congress.ballots:
        result = ballot.result()
        doc.paragraph(f"Bầu {ballot.post.label.lower()} – vòng {ballot.round_no} (số lượng cần bầu: {_n(ballot.seats)}). "
                      f"Phiếu hợp lệ: {_n(ballot.valid_ballots)}; không hợp lệ: {_n(ballot.invalid_ballots)}.",
                      "plain")
        doc.table(["Họ và tên", "Số phiếu", "Tỷ lệ / căn cứ", "Kết quả"],
                  [[nominee.person.full_name, _n(tally.votes), _percent(tally.share_of_base),
                    "Trúng cử" if tally.outcome.value == "elected" else "Không trúng cử"]
                   for nominee, tally in ballot.rows()],
                  col_widths=[3.5, 1.2, 1.6, 2], align=["left", "right", "right", "center"])
        if result.tie_needs_new_round:
            doc.paragraph("Có người bằng phiếu ở chỗ cuối cùng: bầu lại trong số những người bằng phiếu.", "note")
    if congress.appointed_person is not None:
        doc.paragraph(f"Sau {len(congress.ballots_for(Post.CHAPTER_SECRETARY))} vòng bầu không có người trúng cử bí thư, cấp ủy "
                      f"cấp trên chỉ định đồng chí {congress.appointed_person.full_name} làm bí thư chi bộ "
                      f"(Quyết định số {congress.appointment_number} ngày "
                      f"{congress.appointment_date:%d/%m/%Y}).")
    doc.paragraph("4. Cấp ủy chi bộ nhiệm kỳ mới", "heading")
    results = congress.results()
    if results:
        doc.table(["STT", "Họ và tên", "Chức danh"],
                  [[i, person.full_name, post.label] for i, (post, person) in enumerate(results, start=1)],
                  col_widths=[0.6, 4, 3], align=["center", "left", "left"])
    else:
        doc.paragraph("Chưa có kết quả.", "plain")
    if congress.state == CongressState.APPROVED:
        doc.paragraph(f"Kết quả đã được cấp ủy cấp trên chuẩn y theo Quyết định số {congress.approval_number} ngày "
                      f"{congress.approval_date:%d/%m/%Y}.")
    else:
        doc.paragraph("Kết quả có hiệu lực sau khi được cấp ủy cấp trên chuẩn y.", "note")
    doc.signatures([Signature("THƯ KÝ ĐẠI HỘI"), Signature("CHỦ TRÌ ĐẠI HỘI", authority="TM. ĐOÀN CHỦ TỊCH")])
    doc.footer(f"Biên bản đại hội {chapter.name} · mã hồ sơ {congress.id}")
    return _build(doc)


REPORT_RECIPIENTS = ("Ban Thường vụ Huyện ủy (báo cáo)", "Các đảng ủy xã, thị trấn", "Lưu: CQ TC-NV")
PERIOD_TITLES = {"half": "Sơ kết 6 tháng đầu năm", "year": "Tổng kết năm"}


def period_end(period: str, year: int) -> date:
    """The reference day of a periodic report: 30 June (6 months) or 31 December (year)."""
    return date(year, 6, 30) if period == "half" else date(year, 12, 31)


def _figure_row(number: int, f: TargetFigure) -> list:
    """One target in words (its rule id stays on the dashboard's detail): STT, label, x/y, share, target, verdict."""
    target = "—" if f.target_share is None else ("≤ " if f.at_most else "") + _percent(f.target_share)
    return [number, f.label_text, _of(f.numerator, f.denominator), _percent(f.share), target,
            "Đạt" if f.met else "Chưa đạt"]


def targets_report_pdf(district: District, facts: Facts, period: str, year: int) -> bytes:
    """BÁO CÁO sơ kết 6 tháng / tổng kết năm thực hiện mô hình «Dân tin – Đảng cử» (R-T1…R-T5, named in words)."""
    doc = OfficialDocument([f"HUYỆN ỦY {district.name.upper()}", "CƠ QUAN TỔ CHỨC – NỘI VỤ"], "Số:      -BC/TCNV",
                           motto="party", place=district.name, date=vietnam_today(), title="BÁO CÁO",
                           subtitle=f"{PERIOD_TITLES[period]} {year} thực hiện mô hình «Dân tin – Đảng cử»",
                           orientation="portrait")
    figures = facts.figures()
    doc.paragraph(f"Thực hiện Kế hoạch 59-KH/HU của Huyện ủy {district.name}, Cơ quan Tổ chức – Nội vụ báo cáo kết "
                  f"quả thực hiện các chỉ tiêu của mô hình «Dân tin – Đảng cử» nhiệm kỳ {facts.term.name}, số liệu "
                  f"tính đến ngày {facts.as_of:%d/%m/%Y}, như sau:")
    doc.paragraph("I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", "heading")
    doc.table(["STT", "Chỉ tiêu", "Số lượng", "Tỷ lệ", "Mục tiêu", "Đánh giá"],
              [_figure_row(i, f) for i, f in enumerate(figures, start=1)],
              col_widths=[0.9, 4.2, 1.3, 1.1, 1.1, 1.2], align=["center", "left", "right", "right", "right", "center"])
    if facts.training_note:
        doc.paragraph(f"Ghi chú về chỉ tiêu bồi dưỡng: {facts.training_note}.", "note")
    doc.paragraph("II. KẾT QUẢ THEO XÃ, THỊ TRẤN", "heading")
    keys = ("chief_is_member", "chapter_has_committee", "chief_holds_chapter_post", "chief_is_secretary",
            "remediation_overdue")
    rows = []
    for commune_id, commune_figures in facts.figures_by_commune().items():
        by_key = {f.key: f for f in commune_figures}
        rows.append([facts.communes.get(commune_id, "")]
                    + [_of(by_key[k].numerator, by_key[k].denominator) for k in keys])
    doc.table(["Xã, thị trấn", "TT là đảng viên", "Chi bộ có chi ủy", "TT giữ chức chi bộ",
               "TT là bí thư", "Quá hạn khắc phục"], rows,
              col_widths=[2.2, 1.3, 1.3, 1.3, 1.3, 1.3], align=["left"] + ["right"] * 5)
    overdue = [r for r in facts.remediations if r.met_on is None and r.deadline < facts.as_of]
    doc.paragraph("III. CÁC TRƯỜNG HỢP NGOẠI LỆ QUÁ HẠN KHẮC PHỤC", "heading")
    if overdue:
        doc.table(["Họ và tên", "Thôn", "Tiêu chuẩn", "Hạn"],
                  [[r.person_name, facts.hamlets[r.hamlet_id].name, capitalise(standard_label(r.rule)),
                    f"{r.deadline:%d/%m/%Y}"] for r in overdue], col_widths=[2.6, 2.2, 2.6, 1.5])
    else:
        doc.paragraph("Không có trường hợp quá hạn.", "plain")
    doc.paragraph("IV. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI", "heading")
    doc.paragraph("Tiếp tục chỉ đạo các chi bộ, đảng ủy xã, thị trấn hoàn thành các chỉ tiêu chưa đạt; đôn đốc "
                  "khắc phục các trường hợp ngoại lệ đúng thời hạn; bồi dưỡng người hoạt động không chuyên trách "
                  "ở thôn, tổ dân phố.")
    doc.signatures([Signature("TRƯỞNG CƠ QUAN", authority="TM. CƠ QUAN TỔ CHỨC – NỘI VỤ")], recipients=REPORT_RECIPIENTS)
    return _build(doc)


def _reasons(difficulty: CadreDifficulty) -> str:
    return "; ".join(DIFFICULTY_LABELS[key] for key in difficulty.reasons)


def _review_row(number: int, f: TargetFigure) -> list:
    """As _figure_row, but a figure without a target is followed ("Theo dõi"), not met."""
    row = _figure_row(number, f)
    return row if f.target_share is not None else [*row[:-1], "Theo dõi"]


def review_pdf(review: Review, today: date) -> bytes:
    """BÁO CÁO Sơ kết năm … mô hình bí thư chi bộ đồng thời là trưởng thôn (59-KH/HU §2.6–2.7), district or commune."""
    district = review.district
    doc = OfficialDocument([f"HUYỆN ỦY {district.name.upper()}", "CƠ QUAN TỔ CHỨC – NỘI VỤ"], "Số:      -BC/TCNV",
                           motto="party", place=district.name, date=today, title="BÁO CÁO",
                           subtitle=f"Sơ kết năm {review.year} thực hiện mô hình bí thư chi bộ đồng thời là trưởng "
                                    f"thôn, tổ trưởng tổ dân phố – {review.scope_name}")
    doc.paragraph(f"Thực hiện Kế hoạch 59-KH/HU của Huyện ủy {district.name} (mục 2.7: hằng năm đánh giá, sơ kết mô "
                  f"hình bí thư chi bộ là trưởng thôn, tổ trưởng tổ dân phố), Cơ quan Tổ chức – Nội vụ báo cáo kết quả "
                  f"năm {review.year} của {review.scope_name}, nhiệm kỳ {review.term.name}, số liệu tính đến ngày "
                  f"{review.as_of:%d/%m/%Y}, như sau:")
    doc.paragraph("I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA MÔ HÌNH", "heading")
    doc.table(["STT", "Chỉ tiêu", "Số lượng", "Tỷ lệ", "Mục tiêu", "Đánh giá"],
              [_review_row(i, f) for i, f in enumerate(review.figures, start=1)],
              col_widths=[0.9, 4.2, 1.3, 1.1, 1.1, 1.2], align=["center", "left", "right", "right", "right", "center"])
    if review.facts.training_note:
        doc.paragraph(f"Ghi chú về chỉ tiêu bồi dưỡng: {review.facts.training_note}.", "note")
    doc.paragraph("II. CÔNG TÁC CHỈ ĐẠO, KIỂM TRA, GIÁM SÁT (mục 2.7)", "heading")
    doc.table(["STT", "Nội dung", "Số lượng", "Tỷ lệ", "Mục tiêu", "Đánh giá"],
              [_review_row(i, f) for i, f in enumerate(review.supervision, start=1)],
              col_widths=[0.9, 4.2, 1.3, 1.1, 1.1, 1.2], align=["center", "left", "right", "right", "right", "center"])
    doc.paragraph("Chi bộ còn khó khăn về cán bộ và Ủy viên Ban Thường vụ Huyện ủy sinh hoạt:", "plain")
    if review.difficult:
        doc.table(["Chi bộ", "Xã, thị trấn", "Khó khăn", "Ủy viên BTV phụ trách"],
                  [[chapter.name, chapter.hamlet.commune.full_name, _reasons(difficulty),
                    assignment.supervisor.full_name if assignment else "Chưa phân công"]
                   for chapter, difficulty, assignment in review.difficult],
                  col_widths=[2.2, 1.8, 3.4, 2])
    else:
        doc.paragraph("Không có chi bộ nào còn khó khăn về cán bộ.", "plain")
    doc.paragraph("III. KẾT QUẢ THEO XÃ, THỊ TRẤN", "heading")
    doc.table(["Xã, thị trấn", "TT là đảng viên", "TT là bí thư", "Chi bộ có chi ủy", "Chi bộ khó khăn (có phụ trách)",
               "Huyện ủy viên phụ trách", "Lần làm việc", "Khen thưởng"],
              [[row.name, _of(row.chiefs_members, row.chiefs), _of(row.chiefs_secretaries, row.chiefs),
                _of(row.chapters_with_committee, row.chapters_due),
                f"{_n(row.difficult)} ({_n(row.difficult_supervised)})", row.supervisor or "Chưa phân công",
                _n(row.visits), _n(row.commendations)] for row in review.communes],
              col_widths=[1.8, 1.1, 1.1, 1.1, 1.3, 2, 1, 1.1], align=["left"] + ["right"] * 4 + ["left", "right", "right"])
    doc.paragraph(f"IV. LÀM VIỆC, GIÁM SÁT TẠI CƠ SỞ NĂM {review.year}", "heading")
    if review.visits:
        doc.table(["Ngày", "Đơn vị", "Người phụ trách", "Nội dung", "Kết quả, kiến nghị"],
                  [[f"{v.visited_on:%d/%m/%Y}", v.assignment.unit_name, v.assignment.supervisor.full_name, v.notes,
                    v.findings] for v in review.visits], col_widths=[1.2, 1.8, 1.8, 2.6, 2.6])
    else:
        doc.paragraph("Chưa ghi nhận lần làm việc nào trong năm.", "plain")
    doc.paragraph(f"V. KHEN THƯỞNG NGƯỜI HOẠT ĐỘNG KHÔNG CHUYÊN TRÁCH NĂM {review.year} (mục 2.6)", "heading")
    if review.commendations:
        doc.table(["Họ và tên", "Chức danh", "Thôn, TDP", "Hình thức", "Quyết định", "Cấp khen"],
                  [[c.person.full_name, c.post.label, c.person.hamlet.full_name, c.kind.label,
                    f"{c.decision_number} ngày {c.decision_date:%d/%m/%Y}", c.issued_by] for c in review.commendations],
                  col_widths=[2, 1.7, 1.7, 1.2, 2, 2])
    else:
        doc.paragraph("Chưa ghi nhận trường hợp được khen thưởng trong năm.", "plain")
    doc.paragraph("VI. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM TỚI", "heading")
    doc.paragraph("Tiếp tục phân công Huyện ủy viên phụ trách các xã, thị trấn và Ủy viên Ban Thường vụ sinh hoạt tại "
                  "các chi bộ còn khó khăn về cán bộ; tháo gỡ kịp thời khó khăn, vướng mắc; đôn đốc khắc phục các "
                  "trường hợp ngoại lệ; quan tâm khen thưởng người hoạt động không chuyên trách có thành tích xuất sắc.")
    doc.signatures([Signature("TRƯỞNG CƠ QUAN", authority="TM. CƠ QUAN TỔ CHỨC – NỘI VỤ")], recipients=REPORT_RECIPIENTS)
    doc.footer(f"Sơ kết năm {review.year} · {review.scope_name} · số liệu ngày {review.as_of:%d/%m/%Y}")
    return _build(doc)
