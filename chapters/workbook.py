"""The targets dashboard as an XLSX workbook: district totals, per commune, and the list behind each figure."""
from __future__ import annotations

from chapters.review import Review
from chapters.rules import DIFFICULTY_LABELS
from chapters.targets import Facts
from core.models import District
from core.spreadsheets import SheetSpec, workbook_bytes


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def targets_workbook(district: District, facts: Facts) -> bytes:
    figures = facts.figures()
    summary = [[f.rule, f.label_text, f.numerator, f.denominator, _share(f.share), _share(f.target_share),
                "Đạt" if f.met else "Chưa đạt"] for f in figures]
    if facts.training_note:
        summary.append(["R-T4", facts.training_note])
    per_commune = [[facts.communes.get(commune_id, "")] + [f"{f.numerator}/{f.denominator}" for f in commune_figures]
                   for commune_id, commune_figures in facts.figures_by_commune().items()]
    details = [[f.rule, f.label_text, row["commune"], row["hamlet"], row["person"], "Có" if row["counted"] else "Không",
                row["detail"]] for f in figures for row in facts.items(f.key)]
    return workbook_bytes([
        SheetSpec("Tổng hợp", ["Mã", "Chỉ tiêu", "Đạt", "Tổng", "Tỷ lệ", "Mục tiêu", "Đánh giá"], summary,
                  percent_columns=(4, 5), caption=f"Chỉ tiêu mô hình «Dân tin – Đảng cử» – {district.name}, nhiệm kỳ {facts.term.name}, "
                          f"số liệu ngày {facts.as_of:%d/%m/%Y}"),
        SheetSpec("Theo xã", ["Xã, thị trấn"] + [f"{f.rule} {f.label_text}" for f in figures], per_commune),
        SheetSpec("Danh sách", ["Mã", "Chỉ tiêu", "Xã, thị trấn", "Thôn, TDP", "Người / chi bộ", "Được tính",
                                "Ghi chú"], details),
    ])


def _figure_rows(figures) -> list[list]:
    return [[f.rule, f.label_text, f.numerator, f.denominator, _share(f.share), _share(f.target_share),
             "Theo dõi" if f.target_share is None else ("Đạt" if f.met else "Chưa đạt")] for f in figures]


def review_workbook(review: Review) -> bytes:
    """The yearly review (sơ kết) as XLSX: the same figures as its PDF, numbers as numbers, shares as percentages."""
    caption = (f"Sơ kết năm {review.year} mô hình bí thư chi bộ đồng thời là trưởng thôn – {review.scope_name}, "
               f"nhiệm kỳ {review.term.name}, số liệu ngày {review.as_of:%d/%m/%Y}")
    figures = _figure_rows(review.figures) + _figure_rows(review.supervision)
    communes = [[row.name, row.chiefs, row.chiefs_members, row.chiefs_secretaries, row.chapters_due,
                 row.chapters_with_committee, row.difficult, row.difficult_supervised, row.supervisor, row.front,
                 row.visits, row.commendations] for row in review.communes]
    difficult = [[chapter.name, chapter.hamlet.commune.full_name,
                  "; ".join(DIFFICULTY_LABELS[key] for key in difficulty.reasons),
                  assignment.supervisor.full_name if assignment else "Chưa phân công",
                  assignment.assigned_on if assignment else None] for chapter, difficulty, assignment in review.difficult]
    visits = [[v.visited_on, v.assignment.unit_name, v.assignment.kind.label, v.assignment.supervisor.full_name,
               v.notes, v.findings] for v in review.visits]
    awards = [[c.year, c.person.full_name, c.post.label, c.person.hamlet.full_name, c.person.hamlet.commune.full_name,
               c.kind.label, c.reason, c.decision_number, c.decision_date, c.issued_by] for c in review.commendations]
    return workbook_bytes([
        SheetSpec("Chỉ tiêu", ["Mã", "Chỉ tiêu", "Đạt", "Tổng", "Tỷ lệ", "Mục tiêu", "Đánh giá"], figures,
                  percent_columns=(4, 5), caption=caption),
        SheetSpec("Theo xã", ["Xã, thị trấn", "Trưởng thôn", "Trưởng thôn là đảng viên", "Trưởng thôn là bí thư",
                              "Chi bộ phải có chi ủy", "Chi bộ có chi ủy", "Chi bộ khó khăn về cán bộ",
                              "Chi bộ khó khăn có Ủy viên BTV phụ trách", "Huyện ủy viên phụ trách",
                              "Mặt trận Tổ quốc giám sát", "Lần làm việc trong năm", "Khen thưởng trong năm"], communes),
        SheetSpec("Chi bộ khó khăn", ["Chi bộ", "Xã, thị trấn", "Khó khăn", "Ủy viên BTV phụ trách", "Từ ngày"],
                  difficult),
        SheetSpec("Làm việc", ["Ngày", "Đơn vị", "Phân công", "Người phụ trách", "Nội dung", "Kết quả, kiến nghị"],
                  visits),
        SheetSpec("Khen thưởng", ["Năm", "Họ và tên", "Chức danh", "Thôn, TDP", "Xã, thị trấn", "Hình thức",
                                  "Thành tích", "Số quyết định", "Ngày quyết định", "Cấp khen"], awards,
                  plain_columns=(0,)),
    ])
