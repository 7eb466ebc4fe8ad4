"""Training PDFs: the attendance sheet of a session (for signatures) and the certificate of completion."""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date

from core.documents import OfficialDocument, Signature
from core.models import Person
from core.vietnamese import format_number
from training.models import Course, CourseSession, Enrolment


def issuer_lines(course: Course) -> list[str]:
    """The issuing body: the course's organiser, else the commune or district people's committee."""
    upper = f"UBND HUYỆN {course.district.name}".upper()
    if course.organiser:
        return [upper, course.organiser.upper()] if course.organiser.upper() != upper else [upper]
    if course.commune is not None:
        return [upper, f"UBND {course.commune.full_name}".upper()]
    return [upper]


def signature(course: Course) -> Signature:
    if course.signer_title or course.signer_name:
        return Signature(course.signer_title.upper() or "THỦ TRƯỞNG ĐƠN VỊ", course.signer_name)
    if course.commune is not None:
        return Signature("CHỦ TỊCH", course.commune.chairman_name, authority="TM. ỦY BAN NHÂN DÂN")
    return Signature("THỦ TRƯỞNG ĐƠN VỊ")


def _place(course: Course) -> str:
    return course.commune.name if course.commune else course.district.name


def attendance_sheet(session: CourseSession, people: Sequence[Person], posts: Mapping[int, str]) -> bytes:
    """One row per trainee: STT, họ tên, năm sinh, chức danh, thôn, ký tên."""
    course = session.course
    doc = OfficialDocument(issuer_lines(course), place=_place(course), date=session.held_on,
                           title="DANH SÁCH HỌC VIÊN THAM DỰ", subtitle=course.name, orientation="portrait")
    details = f"Buổi {session.number}: ngày {session.held_on:%d/%m/%Y}"
    if session.place:
        details += f", tại {session.place}"
    if session.trainer:
        details += f"; giảng viên: {session.trainer}"
    doc.paragraph(details, "plain")
    if session.topic:
        doc.paragraph(f"Nội dung: {session.topic}", "plain")
    rows = [[i, p.full_name, p.birth_date.year, posts.get(p.id, ""), p.hamlet.name, ""]
            for i, p in enumerate(people, start=1)]
    doc.table(["STT", "Họ và tên", "Năm sinh", "Chức danh", "Thôn, TDP", "Ký tên"], rows,
              col_widths=[1.1, 3.4, 2.0, 3.4, 2.2, 2.6], align=["center", "left", "center", "left", "left", "left"],
              fill_in=[5])
    doc.paragraph(f"Tổng số: {format_number(len(rows))} học viên.", "plain")
    doc.signatures([Signature("NGƯỜI LẬP DANH SÁCH"), Signature("GIẢNG VIÊN", session.trainer)])
    out = io.BytesIO()
    doc.build(out)
    return out.getvalue()


def certificate(enrolment: Enrolment, attended: int, issued_on: date) -> bytes:
    """Giấy chứng nhận hoàn thành khóa bồi dưỡng (only for a completed enrolment)."""
    course = enrolment.course
    person = enrolment.person
    doc = OfficialDocument(issuer_lines(course), number=f"Số: {enrolment.id}/GCN", place=_place(course),
                           date=issued_on, title="GIẤY CHỨNG NHẬN", subtitle="Hoàn thành khóa bồi dưỡng")
    honorific = "Ông" if person.sex.value == "male" else "Bà"
    doc.paragraph(f"Chứng nhận {honorific.lower()}: {person.full_name}", "heading")
    doc.paragraph(f"Sinh ngày: {person.birth_date:%d/%m/%Y}", "plain")
    doc.paragraph(f"Nơi cư trú: {person.hamlet.full_name}, {person.hamlet.commune.full_name}", "plain")
    doc.paragraph(f"Đã hoàn thành khóa «{course.name}» ({course.kind.label})", "plain")
    when = ""
    if course.first_day and course.last_day:
        when = f"từ ngày {course.first_day:%d/%m/%Y} đến ngày {course.last_day:%d/%m/%Y}, "
    doc.paragraph(f"Thời gian: {when}dự {format_number(attended)}/{format_number(len(course.sessions))} buổi học.", "plain")
    if course.raises_theory_to is not None:
        doc.paragraph(f"Trình độ lý luận chính trị: {course.raises_theory_to.label}.", "plain")
    doc.signatures([signature(course)])
    out = io.BytesIO()
    doc.build(out)
    return out.getvalue()
