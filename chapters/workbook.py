"""The targets dashboard as an XLSX workbook: district totals, per commune, and the list behind each figure."""
from __future__ import annotations

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
