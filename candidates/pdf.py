"""PDFs of the candidates package, in the style of a Vietnamese administrative document.

The candidate list for public posting (R-V2: at least 7 days before election day), the exception request
of the commune party committee (motto "party") and the decision of the approving authority (R-X1).
Every string goes through OfficialDocument, which NFC-normalises it and embeds Noto Sans.
"""
from __future__ import annotations

import io
from datetime import date

from candidates.models import CandidateList, ExceptionRequest, RequestState
from candidates.rules import standard_label, standard_requirement
from core import legal
from core.calendar import election_timeline
from core.documents import OfficialDocument, Signature
from core.vietnamese import capitalise, local_date, vietnam_today


def _upper(text: str) -> str:
    return text.upper()


def posting_deadline(candidate_list: CandidateList) -> date:
    """R-V2: the latest day to post the list publicly (the public-notice milestone of the timeline)."""
    milestone = next(m for m in election_timeline(candidate_list.term.election_day) if m.key == "notice")
    return milestone.deadline


def _build(doc: OfficialDocument) -> bytes:
    out = io.BytesIO()
    doc.build(out)
    return out.getvalue()


def _finding_lines(candidacy, rule_ids) -> list[str]:
    """Each standard to except as the rule states the shortfall, in words (no rule id in a document)."""
    both = candidacy.assessments()
    findings = {f.rule: f for f in both.chapter_secretary.findings}
    findings.update({f.rule: f for f in both.hamlet_chief.findings})
    return [findings[r].text if r in findings else capitalise(standard_label(r)) + "." for r in rule_ids]


def _standards(request: ExceptionRequest) -> str:
    """The excepted standards in words with what each asks, as Điều 1 of a decision names them."""
    candidate_list = request.candidacy.candidate_list
    commune_class = candidate_list.hamlet.commune.commune_class
    parts = []
    for rule in request.rule_ids:
        requirement = standard_requirement(rule, commune_class, candidate_list.rule_set)
        parts.append(f"tiêu chuẩn {standard_label(rule)}" + (f" (yêu cầu {requirement})" if requirement else ""))
    return " và ".join(parts)


def candidate_list_pdf(candidate_list: CandidateList, today: date | None = None) -> bytes:
    """The official candidate list of a hamlet, for posting at the hamlet's cultural house (R-V2)."""
    hamlet, term = candidate_list.hamlet, candidate_list.term
    commune = hamlet.commune
    deadline = posting_deadline(candidate_list)
    doc = OfficialDocument(
        [f"UBND {_upper(commune.full_name)}"], motto="state", place=commune.name,
        # The official list is dated the day it was confirmed (Vietnam's date), a draft the day it is printed.
        date=today or (local_date(candidate_list.confirmed_at) if candidate_list.confirmed_at else vietnam_today()),
        title=("DANH SÁCH NGƯỜI ỨNG CỬ TRƯỞNG THÔN" if hamlet.kind.value == "hamlet"
               else "DANH SÁCH NGƯỜI ỨNG CỬ TỔ TRƯỞNG TỔ DÂN PHỐ"),
        subtitle=f"{hamlet.full_name}, {commune.full_name}, nhiệm kỳ {term.name}",
    )
    doc.paragraph(f"Ngày bầu cử: Chủ nhật, {term.election_day:%d/%m/%Y}"
                  + (f" (vòng {candidate_list.round_no})" if candidate_list.round_no > 1 else "") + ".")
    doc.paragraph(f"Danh sách được niêm yết công khai tại nhà văn hóa thôn chậm nhất ngày {deadline:%d/%m/%Y} "
                  "(ít nhất 07 ngày trước ngày bầu cử, theo Nghị định số 59/2023/NĐ-CP).")
    if not candidate_list.locked:
        doc.paragraph("BẢN DỰ THẢO – danh sách chưa được xác nhận chính thức.", style="heading")
    rows = []
    for candidacy in candidate_list.candidacies:
        person = candidacy.person
        rows.append([candidacy.position, person.full_name, f"{person.birth_date:%d/%m/%Y}", person.sex.label,
                     person.education.label, person.political_theory.label, person.party_member.label,
                     candidacy.proposed_by.label])
    doc.table(["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Học vấn", "Lý luận chính trị", "Đảng viên",
               "Người giới thiệu"], rows, col_widths=[0.6, 2.6, 1.5, 1, 1.4, 1.4, 1.6, 2.4],
              align=["center", "left", "center", "center", "left", "left", "left", "left"])
    if candidate_list.confirmed_at is not None:
        doc.paragraph(f"Danh sách chính thức được xác nhận ngày {local_date(candidate_list.confirmed_at):%d/%m/%Y}.",
                      style="note")
    doc.signatures([Signature("CHỦ TỊCH", commune.chairman_name, authority="TM. ỦY BAN NHÂN DÂN")],
                   recipients=[f"Ban công tác Mặt trận {hamlet.name_in_text} (niêm yết)",
                               f"Tổ bầu cử {hamlet.name_in_text}", f"Đảng ủy {commune.name_in_text}", "Lưu: VT"])
    return _build(doc)


def exception_request_pdf(request: ExceptionRequest) -> bytes:
    """The commune party committee's request to the approving authority (R-X1)."""
    candidacy = request.candidacy
    person, candidate_list = candidacy.person, candidacy.candidate_list
    hamlet, term = candidate_list.hamlet, candidate_list.term
    commune, district = hamlet.commune, hamlet.commune.district
    doc = OfficialDocument(
        [f"ĐẢNG BỘ HUYỆN {_upper(district.name)}", f"ĐẢNG ỦY {_upper(commune.full_name)}"],
        number=f"Số: {request_number(request)}", motto="party", place=commune.name, date=local_date(request.filed_at),
        title="TỜ TRÌNH",
        subtitle="Về việc đề nghị cho phép ngoại lệ tiêu chuẩn người ứng cử trưởng thôn, tổ trưởng tổ dân phố",
    )
    doc.paragraph(f"Kính gửi: {district.approver_name}.", style="heading")
    doc.paragraph(f"Thực hiện Kế hoạch bầu cử trưởng thôn, tổ trưởng tổ dân phố nhiệm kỳ {term.name} theo mô hình "
                  f"«Dân tin – Đảng cử», Đảng ủy {commune.name_in_text} đề nghị cho phép ngoại lệ tiêu chuẩn đối với "
                  f"người ứng cử sau:")
    doc.table(["Họ và tên", "Ngày sinh", "Thôn, TDP", "Học vấn", "Lý luận chính trị", "Đảng viên"],
              [[person.full_name, f"{person.birth_date:%d/%m/%Y}", hamlet.full_name, person.education.label,
                person.political_theory.label, person.party_member.label]],
              col_widths=[2.6, 1.5, 1.8, 1.4, 1.4, 1.6])
    doc.paragraph("Tiêu chuẩn chưa đạt, đề nghị ngoại lệ:", style="heading")
    for line in _finding_lines(candidacy, request.rule_ids):
        doc.paragraph(f"– {line}", style="plain")
    doc.paragraph("Lý do thôn, tổ dân phố thiếu nhân sự đạt chuẩn:", style="heading")
    doc.paragraph(request.shortage_reason)
    doc.paragraph("Đảng ủy cam kết cử đồng chí nêu trên đi đào tạo, bồi dưỡng hoặc bố trí người thay thế để đạt "
                  f"tiêu chuẩn trước khi kết thúc nhiệm kỳ ({term.ends_on:%d/%m/%Y}).")
    doc.signatures([Signature("BÍ THƯ", "", authority="T/M ĐẢNG ỦY")],
                   recipients=["Như trên", "Lưu: Văn phòng Đảng ủy"])
    return _build(doc)


def _approver_motto(approver_name: str) -> str:
    """A party body (Ban Thường vụ Huyện ủy, Đảng ủy…) writes under the party's name, a state body the motto."""
    lowered = approver_name.lower()
    party_bodies = ("thường vụ", "huyện ủy", "tỉnh ủy", "đảng ủy", "thành ủy")
    return "party" if any(k in lowered for k in party_bodies) else "state"


def request_number(request: ExceptionRequest) -> str:
    """The request's number and symbol, as its PDF prints it and the decision cites it."""
    return f"{request.id:02d}-TTr/ĐU"


def _issuer_lines(approver_name: str) -> list[str]:
    """The heading names the body whose organ decides: "HUYỆN ỦY BÌNH SƠN" for its standing committee (the party's
    form; the standing committee is named in the decision's capacity line), else the approving body itself."""
    prefix = "Ban Thường vụ "
    if approver_name.lower().startswith(prefix.lower()) and len(approver_name) > len(prefix):
        return [_upper(approver_name[len(prefix):])]
    return [_upper(approver_name)]


def _on_behalf(approver_name: str) -> str:
    """The signer's capacity on behalf of the approving body: "T/M BAN THƯỜNG VỤ" (the collective body), "TM. ỦY BAN
    NHÂN DÂN"; otherwise the body's name."""
    upper = _upper(approver_name)
    for body, capacity in (("BAN THƯỜNG VỤ", "T/M BAN THƯỜNG VỤ"), ("ỦY BAN NHÂN DÂN", "TM. ỦY BAN NHÂN DÂN")):
        if upper.startswith(body):
            return capacity
    return f"T/M {upper}"


def exception_decision_pdf(request: ExceptionRequest) -> bytes:
    """The approving authority's decision on a request (approval with its remediation plans, or refusal)."""
    if request.state not in (RequestState.APPROVED, RequestState.REJECTED):
        raise ValueError("only a decided request has a decision document")
    candidacy = request.candidacy
    person, candidate_list = candidacy.person, candidacy.candidate_list
    hamlet, term = candidate_list.hamlet, candidate_list.term
    commune, district = hamlet.commune, hamlet.commune.district
    approved = request.state == RequestState.APPROVED
    doc = OfficialDocument(
        _issuer_lines(district.approver_name), number=f"Số: {request.decision_number}",
        motto=_approver_motto(district.approver_name), place=district.name,  # type: ignore[arg-type]
        date=request.decision_date, title="QUYẾT ĐỊNH",
        subtitle=("Về việc chấp thuận" if approved else "Về việc không chấp thuận")
        + f" ngoại lệ tiêu chuẩn người ứng cử trưởng thôn đối với đồng chí {person.full_name}",
    )
    filed = local_date(request.filed_at)
    party = _approver_motto(district.approver_name) == "party"
    doc.preamble(district.approver_name, [
        "Điều lệ Đảng Cộng sản Việt Nam" if party else legal.LOCAL_GOVERNMENT,
        legal.CIRCULAR_04, legal.PROVINCE_SCHEME_07, legal.district_plan(district.name),
        f"Xét Tờ trình số {request_number(request)} ngày {filed:%d/%m/%Y} của Đảng ủy {commune.name_in_text} về "
        f"việc đề nghị cho phép ngoại lệ tiêu chuẩn đối với đồng chí {person.full_name}, sinh ngày "
        f"{person.birth_date:%d/%m/%Y}, người ứng cử tại {hamlet.name_in_text}, nhiệm kỳ {term.name}"])
    standards = _standards(request)
    if approved:
        doc.article(1, f"Chấp thuận ngoại lệ {standards} đối với đồng chí {person.full_name}.")
        doc.article(2, "Kế hoạch khắc phục, hoàn thành không muộn hơn ngày kết thúc nhiệm kỳ "
                       f"({term.ends_on:%d/%m/%Y}):")
        doc.table(["Tiêu chuẩn", "Biện pháp", "Nội dung", "Hạn hoàn thành"],
                  [[capitalise(standard_label(p.rule)), p.kind.label, p.description, f"{p.deadline:%d/%m/%Y}"]
                   for p in request.remediation_plans],
                  col_widths=[2.2, 2, 3.4, 1.6])
        if request.decision_notes:
            doc.paragraph("Ghi chú: " + request.decision_notes)
    else:
        doc.article(1, f"Không chấp thuận ngoại lệ {standards} đối với đồng chí {person.full_name}."
                    + (f" Lý do: {request.decision_notes}" if request.decision_notes else ""))
        doc.article(2, f"Đảng ủy {commune.name_in_text} chỉ đạo Ban công tác Mặt trận {hamlet.name_in_text} giới "
                       "thiệu người ứng cử khác đạt tiêu chuẩn.")
    doc.article(3, f"Đảng ủy {commune.name_in_text}, Cơ quan Tổ chức – Nội vụ huyện và đồng chí {person.full_name} "
                   "chịu trách nhiệm thi hành Quyết định này.")
    doc.signatures([Signature("", request.signer, authority=_on_behalf(district.approver_name))],
                   recipients=["Như Điều 3", "Thường trực Huyện ủy" if party else "Thường trực Ủy ban nhân dân",
                               f"Ủy ban nhân dân {commune.name_in_text}", "Lưu: VT"])
    return _build(doc)
