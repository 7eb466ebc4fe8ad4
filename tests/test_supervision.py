"""Supervision (59-KH/HU §2.7), commendations (§2.6) and the yearly review (sơ kết): the difficulty flags (pure),
the guarded assignments, visits and commendations, scope, audit, and the review's PDF and XLSX."""
from __future__ import annotations

import io
import re
import unicodedata
from datetime import date
from types import SimpleNamespace

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook

from candidates.models import CandidateList, ExceptionRequest, ProposedBy
from chapters.review import load_review
from chapters.rules import CadreFacts, ChapterRuleError, cadre_difficulty
from chapters.supervision import (
    AwardKind,
    Commendation,
    SupervisionAssignment,
    SupervisionKind,
    SupervisionVisit,
    Supervisor,
    SupervisorRank,
    difficulties,
)
from chapters.targets import load_facts
from core.accounts import Role
from core.audit import AuditEntry
from core.enums import Education, PoliticalTheory, Post
from core.errors import RuleViolation
from core.models import Position
from extensions import db

TODAY = date(2023, 3, 1)


# ---------------------------------------------------------------------------------------------------------
# The flags: a pure function
# ---------------------------------------------------------------------------------------------------------

def _facts(**changes) -> CadreFacts:
    values = {"chapter_id": 1, "official_members": 5, "has_committee": False, "exception_requests": 0,
              "candidates": 2, "eligible_candidates": 1, "acting_chief": False}
    return CadreFacts(**{**values, **changes})


def test_a_chapter_with_nothing_wrong_is_not_difficult():
    assert cadre_difficulty(_facts()).reasons == ()
    assert not cadre_difficulty(_facts()).difficult


@pytest.mark.parametrize(("changes", "reason"), [
    ({"exception_requests": 1}, "exception_needed"),
    ({"eligible_candidates": 0}, "no_eligible_candidate"),
    ({"acting_chief": True}, "acting_chief"),
    ({"official_members": 9}, "no_committee"),
])
def test_each_sign_of_a_shortage_flags_the_chapter(changes, reason):
    assert cadre_difficulty(_facts(**changes)).reasons == (reason,)


def test_a_small_chapter_needs_no_committee_and_an_empty_list_is_not_yet_a_shortage():
    assert cadre_difficulty(_facts(official_members=8, candidates=0, eligible_candidates=0)).reasons == ()
    assert cadre_difficulty(_facts(official_members=9, has_committee=True)).reasons == ()


def test_the_reasons_come_in_one_order():
    facts = _facts(official_members=12, acting_chief=True, exception_requests=2, eligible_candidates=0)
    assert cadre_difficulty(facts).reasons == ("exception_needed", "no_eligible_candidate", "acting_chief",
                                               "no_committee")


def test_impossible_counts_are_refused():
    with pytest.raises(ChapterRuleError):
        cadre_difficulty(_facts(eligible_candidates=3))
    with pytest.raises(ChapterRuleError):
        cadre_difficulty(_facts(exception_requests=-1))


# ---------------------------------------------------------------------------------------------------------
# The area: Bình Hải (An Phú: 10 members and no committee; Bình Tây: a candidate who needs an exception),
# Bình Trị in the same district, another district; supervisors of each rank
# ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def area(app, make_district, make_commune, make_hamlet, make_term, make_person, make_user):
    app.config["TODAY"] = TODAY
    district = make_district()
    term = make_term(district)
    hai = make_commune("Bình Hải", district=district)
    tri = make_commune("Bình Trị", district=district)
    an_phu = make_hamlet("An Phú", commune=hai, official_members=10)
    binh_tay = make_hamlet("Bình Tây", commune=hai, official_members=5)
    tan_hy = make_hamlet("Tân Hy", commune=tri, official_members=4)
    far = make_district("Sơn Tịnh")
    far_commune = make_commune("Tịnh Ấn", district=far)
    chief = make_person("Nguyễn Văn Trưởng", hamlet=binh_tay)
    db.session.add(Position(person=chief, hamlet_id=binh_tay.id, post=Post.HAMLET_CHIEF, term_id=term.id,
                            started_on=date(2022, 6, 1)))
    weak = make_person("Trần Thị Ước", hamlet=binh_tay, education=Education.LOWER_SECONDARY,
                       political_theory=PoliticalTheory.NONE)
    filer = make_user(Role.PARTY_COMMITTEE, commune=hai)
    candidate_list = CandidateList.for_hamlet(term, binh_tay, create=True)
    candidate_list.add(weak, ProposedBy.FRONT_COMMITTEE)
    db.session.flush()
    db.session.add(ExceptionRequest.file(candidate_list.candidacies[0], "Thiếu người đạt THPT.", filer.id))
    supervisors = {
        "standing": Supervisor.create(district, "Lê Văn Thường", "Phó Bí thư Thường trực Huyện ủy",
                                      SupervisorRank.STANDING_COMMITTEE),
        "member": Supervisor.create(district, "Phạm Thị Huyện", "Trưởng Ban Dân vận Huyện ủy",
                                    SupervisorRank.DISTRICT_COMMITTEE),
        "front": Supervisor.create(district, "Võ Văn Mặt", "Phó Chủ tịch Ủy ban MTTQ huyện", SupervisorRank.FRONT),
        "far": Supervisor.create(far, "Đặng Văn Xa", "Ủy viên Ban Thường vụ Huyện ủy Sơn Tịnh",
                                 SupervisorRank.STANDING_COMMITTEE),
    }
    db.session.add_all(supervisors.values())
    db.session.commit()
    return SimpleNamespace(
        district=district, term=term, hai=hai, tri=tri, an_phu=an_phu, binh_tay=binh_tay, tan_hy=tan_hy,
        far_commune=far_commune, chief=chief, weak=weak, s=SimpleNamespace(**supervisors),
        office=make_user(Role.DISTRICT_OFFICE, district=district),
        hai_user=filer, tri_user=make_user(Role.COMMUNE_COMMITTEE, commune=tri))


def test_the_area_flags_the_chapter_without_committee_and_the_hamlet_that_needed_an_exception(area):
    judged = {d.chapter_id: d.reasons for d in difficulties(area.district.id, area.term, TODAY)}
    assert judged == {area.an_phu.chapter.id: ("no_committee",),
                      area.binh_tay.chapter.id: ("exception_needed", "no_eligible_candidate"),
                      area.tan_hy.chapter.id: ()}


def _assign(area, kind, who, *, commune=None, chapter=None, on=date(2022, 7, 1)):
    assignment = SupervisionAssignment.assign(area.term, kind, who, on=on, today=TODAY, user_id=area.office.id,
                                              commune=commune, chapter=chapter)
    db.session.add(assignment)
    db.session.commit()
    return assignment


def test_a_chapter_takes_a_standing_committee_member_only(area):
    with pytest.raises(RuleViolation, match="Ủy viên Ban Thường vụ"):
        _assign(area, SupervisionKind.CHAPTER, area.s.member, chapter=area.an_phu.chapter)
    with pytest.raises(RuleViolation, match="Ủy ban Mặt trận"):
        _assign(area, SupervisionKind.FRONT, area.s.member, commune=area.hai)
    assert _assign(area, SupervisionKind.CHAPTER, area.s.standing, chapter=area.an_phu.chapter).commune_id == area.hai.id


def test_assigning_twice_is_refused_until_the_first_assignment_ends(area):
    first = _assign(area, SupervisionKind.COMMUNE, area.s.member, commune=area.hai)
    with pytest.raises(RuleViolation, match="đã có phân công"):
        _assign(area, SupervisionKind.COMMUNE, area.s.standing, commune=area.hai)
    db.session.rollback()
    first.end(date(2022, 12, 31), "Chuyển công tác", TODAY)
    db.session.commit()
    assert _assign(area, SupervisionKind.COMMUNE, area.s.standing, commune=area.hai, on=date(2023, 1, 2)).active


def test_a_supervisor_or_a_commune_outside_the_district_is_refused(area):
    with pytest.raises(RuleViolation, match="không thuộc huyện"):
        _assign(area, SupervisionKind.CHAPTER, area.s.far, chapter=area.an_phu.chapter)
    with pytest.raises(RuleViolation, match="không thuộc huyện"):
        _assign(area, SupervisionKind.COMMUNE, area.s.member, commune=area.far_commune)


def test_assignments_and_visits_are_not_dated_in_the_future(area):
    with pytest.raises(RuleViolation, match="không được sau hôm nay"):
        _assign(area, SupervisionKind.COMMUNE, area.s.member, commune=area.hai, on=date(2023, 3, 2))
    assignment = _assign(area, SupervisionKind.COMMUNE, area.s.member, commune=area.hai)
    with pytest.raises(RuleViolation, match="không được sau hôm nay"):
        assignment.record_visit(date(2023, 3, 2), "Dự sinh hoạt chi bộ", "", TODAY, area.office.id)
    with pytest.raises(RuleViolation, match="trước ngày phân công"):
        assignment.record_visit(date(2022, 6, 30), "Dự sinh hoạt chi bộ", "", TODAY, area.office.id)
    with pytest.raises(RuleViolation, match="nội dung"):
        assignment.record_visit(date(2022, 8, 1), "   ", "", TODAY, area.office.id)
    visit = assignment.record_visit(date(2022, 8, 1), "Dự sinh hoạt chi bộ", "Cần bồi dưỡng", TODAY, area.office.id)
    assert visit.notes == "Dự sinh hoạt chi bộ"


def test_a_commendation_needs_a_hamlet_post_that_year_and_a_past_decision(area):
    def record(person, year=2022, on=date(2023, 1, 15), number="12/QĐ-UBND"):
        return Commendation.record(person, year, AwardKind.CERTIFICATE, "Hoàn thành xuất sắc nhiệm vụ", number, on,
                                   "Chủ tịch UBND huyện", TODAY, area.office.id)

    with pytest.raises(RuleViolation, match="không giữ chức danh"):
        record(area.weak)
    with pytest.raises(RuleViolation, match="không được sau hôm nay"):
        record(area.chief, on=date(2023, 3, 2))
    with pytest.raises(RuleViolation, match="Năm khen thưởng"):
        record(area.chief, year=2024)
    with pytest.raises(RuleViolation, match="trước năm đó"):
        record(area.chief, on=date(2021, 12, 1))
    db.session.add(record(area.chief))
    db.session.commit()
    with pytest.raises(RuleViolation, match="Đã ghi quyết định"):
        record(area.chief)
    award = db.session.scalar(db.select(Commendation))
    assert award.post == Post.HAMLET_CHIEF and award.year == 2022


# ---------------------------------------------------------------------------------------------------------
# Pages: forms, scope, audit
# ---------------------------------------------------------------------------------------------------------

def test_the_office_assigns_through_the_form_and_the_change_is_audited(area, login, client):
    login(area.office)
    page = client.get(f"/chapters/supervision/assign?kind=chapter&chapter_id={area.an_phu.chapter.id}")
    assert page.status_code == 200 and "Chi bộ thôn An Phú" in page.get_data(as_text=True)
    response = client.post("/chapters/supervision/assign", data={
        "kind": "chapter", "commune_id": 0, "chapter_id": area.an_phu.chapter.id,
        "supervisor_id": area.s.standing.id, "assigned_on": "2022-07-01", "decision": "Quyết định 05-QĐ/HU"})
    assert response.status_code == 302
    assignment = db.session.scalar(db.select(SupervisionAssignment))
    assert (assignment.kind, assignment.chapter_id, assignment.commune_id) == \
        (SupervisionKind.CHAPTER, area.an_phu.chapter.id, area.hai.id)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.record_type == "SupervisionAssignment"))
    assert entry is not None and "Phân công Lê Văn Thường" in entry.summary
    listing = client.get("/chapters/supervision/chapters").get_data(as_text=True)
    assert "Lê Văn Thường" in listing and "chưa phân công" in listing  # Bình Tây still waits for one
    db.session.add(Position(person=area.weak, hamlet_id=area.an_phu.id, post=Post.CHAPTER_COMMITTEE_MEMBER,
                            term_id=area.term.id, started_on=date(2022, 8, 1)))  # An Phú elects its committee
    db.session.commit()
    listing = client.get("/chapters/supervision/chapters").get_data(as_text=True)
    assert "không còn bị đánh dấu khó khăn" in listing and "Lê Văn Thường" in listing

    visit = client.post(f"/chapters/supervision/assignments/{assignment.id}/visits", data={
        "visited_on": "2022-09-10", "notes": unicodedata.normalize("NFD", "Dự sinh hoạt chi bộ"), "findings": "Chi bộ cần kiện toàn chi ủy"})
    assert visit.status_code == 302
    saved = db.session.scalar(db.select(SupervisionVisit))
    assert saved.notes == "Dự sinh hoạt chi bộ" and unicodedata.is_normalized("NFC", saved.notes)  # typed NFD
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.record_type == "SupervisionVisit"))


def test_the_forms_unhappy_paths_say_why(area, login, client):
    login(area.office)
    _assign(area, SupervisionKind.COMMUNE, area.s.member, commune=area.hai)
    twice = client.post("/chapters/supervision/assign", data={
        "kind": "commune", "commune_id": area.hai.id, "chapter_id": 0, "supervisor_id": area.s.standing.id,
        "assigned_on": "2022-08-01"})
    assert twice.status_code == 200 and "đã có phân công" in twice.get_data(as_text=True)
    foreign = client.post("/chapters/supervision/assign", data={
        "kind": "chapter", "commune_id": 0, "chapter_id": area.an_phu.chapter.id, "supervisor_id": area.s.far.id,
        "assigned_on": "2022-08-01"})
    assert "không thuộc huyện" in foreign.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(SupervisionAssignment.id))) == 1
    assignment = db.session.scalar(db.select(SupervisionAssignment))
    future = client.post(f"/chapters/supervision/assignments/{assignment.id}/visits",
                         data={"visited_on": "2023-03-02", "notes": "Dự họp"}, follow_redirects=True)
    assert "không được sau hôm nay" in future.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(SupervisionVisit.id))) == 0
    award = client.post(f"/chapters/people/{area.weak.id}/commendations", data={
        "year": 2022, "kind": "certificate", "reason": "Xuất sắc", "decision_number": "1/QĐ",
        "decision_date": "2023-01-10", "issued_by": "Chủ tịch UBND huyện"}, follow_redirects=True)
    assert "không giữ chức danh" in award.get_data(as_text=True)


def test_a_commune_reads_its_own_supervision_only_and_cannot_change_it(area, login, client):
    mine = _assign(area, SupervisionKind.COMMUNE, area.s.member, commune=area.hai)
    other = _assign(area, SupervisionKind.COMMUNE, area.s.standing, commune=area.tri)
    login(area.hai_user)
    page = client.get("/chapters/supervision").get_data(as_text=True)
    assert "Phạm Thị Huyện" in page and "Bình Trị" not in page and "Lê Văn Thường" not in page
    shown = client.get(f"/chapters/supervision/assignments/{mine.id}").get_data(as_text=True)
    assert "Phạm Thị Huyện" in shown and "Ghi lần làm việc" not in shown
    assert client.get(f"/chapters/supervision/assignments/{other.id}").status_code == 404
    assert client.post(f"/chapters/supervision/assignments/{mine.id}/visits",
                       data={"visited_on": "2022-09-10", "notes": "x"}).status_code == 403
    assert client.get("/chapters/supervision/assign").status_code == 403
    assert client.get(f"/chapters/review?commune_id={area.tri.id}").status_code == 200  # forced to its own
    client.post("/logout")
    login(area.tri_user)  # Bình Trị has no difficult chapter: Bình Hải's are not listed to it
    listing = client.get("/chapters/supervision/chapters").get_data(as_text=True)
    assert "An Phú" not in listing and "Bình Tây" not in listing and "Không có chi bộ nào" in listing
    client.post("/logout")
    login(area.hai_user)
    assert "Bình Trị" not in client.get(f"/chapters/review?commune_id={area.tri.id}").get_data(as_text=True)


def test_commendations_show_on_the_persons_page(area, login, client):
    login(area.office)
    response = client.post(f"/chapters/people/{area.chief.id}/commendations", data={
        "year": 2022, "kind": "certificate", "reason": "Hoàn thành xuất sắc nhiệm vụ năm 2022",
        "decision_number": "125/QĐ-UBND", "decision_date": "2023-01-20", "issued_by": "Chủ tịch UBND huyện"})
    assert response.status_code == 302
    page = client.get(f"/people/{area.chief.id}").get_data(as_text=True)
    assert "125/QĐ-UBND" in page and "Giấy khen" in page and "Ghi khen thưởng" in page
    client.post("/logout")
    login(area.hai_user)
    page = client.get(f"/people/{area.chief.id}").get_data(as_text=True)
    assert "125/QĐ-UBND" in page and "Ghi khen thưởng" not in page  # read-only for the commune
    assert client.post(f"/chapters/people/{area.chief.id}/commendations", data={}).status_code == 403


# ---------------------------------------------------------------------------------------------------------
# The review: PDF and XLSX hold the targets' figures
# ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def reviewed(area):
    chapter_assignment = _assign(area, SupervisionKind.CHAPTER, area.s.standing, chapter=area.an_phu.chapter)
    chapter_assignment.record_visit(date(2022, 9, 10), "Dự sinh hoạt chi bộ An Phú", "Cần kiện toàn chi ủy", TODAY,
                                    area.office.id)
    _assign(area, SupervisionKind.COMMUNE, area.s.member, commune=area.hai)
    db.session.add(Commendation.record(area.chief, 2022, AwardKind.CERTIFICATE, "Hoàn thành xuất sắc nhiệm vụ",
                                       "125/QĐ-UBND", date(2023, 1, 20), "Chủ tịch UBND huyện", TODAY, area.office.id))
    db.session.commit()
    return area


def _pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    return " ".join(text.split())  # cells wrap: words, not lines


def test_the_review_figures_are_the_targets_figures(reviewed):
    review = load_review(reviewed.district, reviewed.term, 2022, TODAY)
    targets = load_facts(reviewed.district.id, reviewed.term, date(2022, 12, 31)).figures()
    assert [(f.key, f.numerator, f.denominator) for f in review.figures] == \
        [(f.key, f.numerator, f.denominator) for f in targets]
    figure = review.figure
    assert (figure("commune_supervised").numerator, figure("commune_supervised").denominator) == (1, 2)
    assert (figure("difficult_supervised").numerator, figure("difficult_supervised").denominator) == (1, 2)
    assert figure("chapter_excepted").numerator == 1 and len(review.visits) == 1 and len(review.commendations) == 1


def test_the_review_pdf_prints_correct_vietnamese_and_the_figures(reviewed, login, client):
    login(reviewed.office)
    response = client.get("/chapters/review.pdf?year=2022")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    assert unicodedata.is_normalized("NFC", text)
    for words in ("BÁO CÁO", "Sơ kết năm 2022", "mô hình bí thư chi bộ đồng thời là trưởng", "Huyện ủy viên",
                  "Lê Văn Thường", "Chưa phân công", "Nguyễn Văn Trưởng", "125/QĐ-UBND", "Dự sinh hoạt chi bộ An Phú",
                  "TRƯỞNG CƠ QUAN", "Xã Bình Hải"):
        assert words in text, words
    targets = load_facts(reviewed.district.id, reviewed.term, date(2022, 12, 31)).figures()
    for f in targets:
        if f.denominator:
            assert f"{f.numerator}/{f.denominator}" in text, f.key
    # issue 17: no rule id ("Mã" column, "Ghi chú R-T4", the difficulties' "(R-X1)"): the targets in words
    assert not re.search(r"R-[A-Z]{1,2}\d", text), re.findall(r"R-[A-Z]{1,2}\d", text)
    assert "STT Chỉ tiêu" in text and "STT Nội dung" in text
    assert "Phải xin ngoại lệ tiêu chuẩn cho người ứng cử" in text
    commune = client.get(f"/chapters/review.pdf?year=2022&commune_id={reviewed.tri.id}")
    assert "Xã Bình Trị" in _pdf_text(commune.data) and "Lê Văn Thường" not in _pdf_text(commune.data)


def test_the_review_xlsx_holds_the_same_figures_as_numbers(reviewed, login, client):
    login(reviewed.office)
    response = client.get("/chapters/review.xlsx?year=2022")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(
        f"so-ket-{reviewed.district.code.lower()}-2022-12-31.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Chỉ tiêu", "Theo xã", "Chi bộ khó khăn", "Làm việc", "Khen thưởng"]
    sheet = book["Chỉ tiêu"]
    assert [c.value for c in sheet[2]] == ["Mã", "Chỉ tiêu", "Đạt", "Tổng", "Tỷ lệ", "Mục tiêu", "Đánh giá"]
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=3)}
    review = load_review(reviewed.district, reviewed.term, 2022, TODAY)
    for f in (*review.figures, *review.supervision):
        row = rows[f.label_text]
        assert (row[2].value, row[3].value) == (f.numerator, f.denominator)
        if f.share is not None:
            assert row[4].value == pytest.approx(f.share, abs=1e-4) and row[4].number_format == "0.00%"
    communes = {row[0].value: [c.value for c in row] for row in book["Theo xã"].iter_rows(min_row=2)}
    assert communes["Bình Hải"][6:9] == [2, 1, "Phạm Thị Huyện"]
    award = [c.value for c in book["Khen thưởng"][2]]
    assert award[1] == "Nguyễn Văn Trưởng" and award[8].date() == date(2023, 1, 20)


def test_a_year_outside_the_term_has_no_review(area, login, client):
    login(area.office)
    assert client.get("/chapters/review?year=2021").status_code == 404
    assert client.get("/chapters/review?year=2023").status_code == 200
    assert client.get("/chapters/review.xlsx?year=2024").status_code == 404  # to come (today is 2023)


def test_ending_an_assignment_is_audited_and_a_stale_page_answers_409(area, login, client):
    assignment = _assign(area, SupervisionKind.COMMUNE, area.s.member, commune=area.hai)
    login(area.office)
    stale = client.post(f"/chapters/supervision/assignments/{assignment.id}/end",
                        data={"ended_on": "2022-12-31", "end_reason": "Chuyển công tác", "version": 99})
    assert stale.status_code == 409
    done = client.post(f"/chapters/supervision/assignments/{assignment.id}/end",
                       data={"ended_on": "2022-12-31", "end_reason": "Chuyển công tác",
                             "version": assignment.version}, follow_redirects=True)
    assert "Đã kết thúc phân công." in done.get_data(as_text=True)
    db.session.refresh(assignment)
    assert assignment.ended_on == date(2022, 12, 31) and not assignment.active
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.record_type == "SupervisionAssignment")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.action == "update" and "Kết thúc phân công" in entry.summary
