"""The targets dashboard as an XLSX workbook: district totals, per commune, and the list behind each figure."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from chapters.targets import Facts
from core.models import District

BOLD = Font(bold=True)


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def targets_workbook(district: District, facts: Facts) -> bytes:
    figures = facts.figures()
    book = Workbook()
    summary = book.active
    summary.title = "Tổng hợp"
    summary.append([f"Chỉ tiêu mô hình «Dân tin – Đảng cử» – {district.name}, nhiệm kỳ {facts.term.name}, "
                    f"số liệu ngày {facts.as_of:%d/%m/%Y}"])
    summary.append(["Mã", "Chỉ tiêu", "Đạt", "Tổng", "Tỷ lệ", "Mục tiêu", "Đánh giá"])
    for f in figures:
        summary.append([f.rule, f.label_vi, f.numerator, f.denominator, _share(f.share),
                        _share(f.target_share), "Đạt" if f.met else "Chưa đạt"])
    if facts.training_note:
        summary.append(["R-T4", facts.training_note])

    per_commune = book.create_sheet("Theo xã")
    per_commune.append(["Xã, thị trấn"] + [f"{f.rule} {f.label_vi}" for f in figures])
    for commune_id, commune_figures in facts.figures_by_commune().items():
        per_commune.append([facts.communes.get(commune_id, "")]
                           + [f"{f.numerator}/{f.denominator}" for f in commune_figures])

    details = book.create_sheet("Danh sách")
    details.append(["Mã", "Chỉ tiêu", "Xã, thị trấn", "Thôn, TDP", "Người / chi bộ", "Được tính", "Ghi chú"])
    for f in figures:
        for row in facts.items(f.key):
            details.append([f.rule, f.label_vi, row["commune"], row["hamlet"], row["person"],
                            "Có" if row["counted"] else "Không", row["detail"]])
    for sheet in book.worksheets:
        for cell in sheet[2 if sheet is summary else 1]:
            cell.font = BOLD
        sheet.column_dimensions["B"].width = 48
    summary["A1"].font = BOLD
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
