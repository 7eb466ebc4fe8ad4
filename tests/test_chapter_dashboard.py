"""The targets dashboard (R-T1…R-T5): figures, the lists behind them, chart, XLSX, PDF report, API, scope."""
from __future__ import annotations

import io
import re
from datetime import date

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook

from core.accounts import Role
from core.enums import PartyMembership, Post
from core.models import Position
from extensions import db

AS_OF = "2023-01-15"


@pytest.fixture
def dataset(make_district, make_commune, make_hamlet, make_term, make_person, make_user):
    """Two communes, three hamlets:
    - An Phú (10 members): member chief who is also secretary; committee member present; Front head member.
    - Bình Tây (12 members): non-member chief, no chapter post, no committee.
    - Cát Lâm (other commune, 5 members): member chief who is deputy secretary.
    """
    district = make_district()
    term = make_term(district)
    hai = make_commune("Bình Hải", district=district)
    chau = make_commune("Bình Châu", district=district)
    an_phu = make_hamlet("An Phú", commune=hai, official_members=10)
    binh_tay = make_hamlet("Bình Tây", commune=hai, official_members=12)
    cat_lam = make_hamlet("Cát Lâm", commune=chau, official_members=5)

    def hold(hamlet, name, post, party=PartyMembership.OFFICIAL, started=date(2022, 6, 1), ended=None):
        person = make_person(name, hamlet, party_member=party)
        db.session.add(Position(hamlet=hamlet, person=person, post=post, term_id=term.id, started_on=started,
                                ended_on=ended))
        db.session.commit()
        return person

    chief = hold(an_phu, "Trưởng An Phú", Post.HAMLET_CHIEF)
    db.session.add(Position(hamlet=an_phu, person=chief, post=Post.CHAPTER_SECRETARY, term_id=term.id,
                            started_on=date(2022, 7, 1)))
    hold(an_phu, "Ủy viên An Phú", Post.CHAPTER_COMMITTEE_MEMBER, started=date(2022, 7, 1))
    hold(an_phu, "Mặt trận An Phú", Post.FRONT_HEAD)
    hold(binh_tay, "Trưởng Bình Tây", Post.HAMLET_CHIEF, party=PartyMembership.NONE)
    hold(binh_tay, "Bí thư Bình Tây", Post.CHAPTER_SECRETARY)
    cat_chief = hold(cat_lam, "Trưởng Cát Lâm", Post.HAMLET_CHIEF)
    db.session.add(Position(hamlet=cat_lam, person=cat_chief, post=Post.CHAPTER_DEPUTY_SECRETARY,
                            term_id=term.id, started_on=date(2022, 7, 1)))
    hold(cat_lam, "Trưởng cũ Cát Lâm", Post.HAMLET_CHIEF, started=date(2019, 11, 20), ended=date(2022, 5, 31))
    db.session.commit()
    return {"district": district, "term": term, "hai": hai, "chau": chau,
            "office": make_user(Role.DISTRICT_OFFICE, district=district),
            "commune_user": make_user(Role.PARTY_COMMITTEE, commune=chau)}


def _figures(facts):
    return {f.key: (f.numerator, f.denominator) for f in facts.figures()}


def test_dashboard_figures_on_a_small_dataset(dataset):
    from chapters.targets import load_facts

    facts = load_facts(dataset["district"].id, dataset["term"], date(2023, 1, 15))
    figures = _figures(facts)
    assert figures["chief_is_member"] == (2, 3)
    assert figures["front_head_is_member"] == (1, 1)
    assert figures["chapter_has_committee"] == (1, 2)  # Cát Lâm (5 members) does not count (R-P1)
    assert figures["chief_holds_chapter_post"] == (2, 3)
    assert figures["chief_is_secretary"] == (1, 3)
    by_commune = {cid: {f.key: (f.numerator, f.denominator) for f in fs}
                  for cid, fs in facts.figures_by_commune().items()}
    assert by_commune[dataset["chau"].id]["chief_holds_chapter_post"] == (1, 1)
    # Before the new chapter posts started (1 July 2022), nobody held both.
    early = _figures(load_facts(dataset["district"].id, dataset["term"], date(2022, 6, 15)))
    assert early["chief_holds_chapter_post"] == (0, 3)


def test_the_list_behind_a_figure_adds_up_to_it(dataset, login, client):
    login(dataset["office"])
    page = client.get(f"/chapters/dashboard/list?key=chief_is_member&as_of={AS_OF}").get_data(as_text=True)
    for name in ("Trưởng An Phú", "Trưởng Bình Tây", "Trưởng Cát Lâm"):
        assert name in page
    assert "Trưởng cũ Cát Lâm" not in page
    shortfall = client.get(f"/chapters/dashboard/list?key=chief_is_member&counted=0&as_of={AS_OF}")
    text = shortfall.get_data(as_text=True)
    assert "Trưởng Bình Tây" in text and "Trưởng An Phú" not in text
    committee = client.get(f"/chapters/dashboard/list?key=chapter_has_committee&as_of={AS_OF}").get_data(as_text=True)
    assert "Chi bộ thôn An Phú" in committee and "Chi bộ thôn Bình Tây" in committee
    assert "Chi bộ thôn Cát Lâm" not in committee
    assert client.get("/chapters/dashboard/list?key=nonsense").status_code == 404


def test_dashboard_page_has_figures_chart_and_commune_rows(dataset, login, client):
    login(dataset["office"])
    page = client.get(f"/chapters/dashboard?as_of={AS_OF}").get_data(as_text=True)
    assert "<svg" in page and "<polyline" in page
    assert "Bình Hải" in page and "Bình Châu" in page and "66,7%" in page
    assert "dashboard/list?key=chief_is_secretary" in page


def test_a_commune_user_sees_only_their_commune(dataset, login, client):
    login(dataset["commune_user"])
    page = client.get(f"/chapters/dashboard?as_of={AS_OF}").get_data(as_text=True)
    assert "Bình Châu" in page and "Bình Hải" not in page
    listing = client.get(f"/chapters/dashboard/list?key=chief_is_member&as_of={AS_OF}").get_data(as_text=True)
    assert "Trưởng Cát Lâm" in listing and "Trưởng An Phú" not in listing


def test_xlsx_export_has_totals_communes_and_lists(dataset, login, client):
    login(dataset["office"])
    response = client.get(f"/chapters/dashboard.xlsx?as_of={AS_OF}")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Tổng hợp", "Theo xã", "Danh sách"]
    rows = {r[1]: r for r in book["Tổng hợp"].iter_rows(min_row=3, values_only=True)}
    member = rows["Trưởng thôn, tổ trưởng tổ dân phố là đảng viên"]
    assert member[2:4] == (2, 3)
    people = [r[4] for r in book["Danh sách"].iter_rows(min_row=2, values_only=True)]
    assert "Trưởng Bình Tây" in people


def test_periodic_report_pdf_reads_as_a_party_report(dataset, login, client):
    login(dataset["office"])
    data = client.get("/chapters/dashboard/report.pdf?period=half&year=2023").data
    text = "\n".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(data))
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "HUYỆN ỦY BÌNH SƠN" in text
    assert "CƠ QUAN TỔ CHỨC – NỘI VỤ" in text and "BÁO CÁO" in text
    assert "Sơ kết 6 tháng đầu năm 2023" in text and "30/06/2023" in text
    assert "2/3" in text
    # issue 17: the targets in words, numbered; no rule id ("Mã" R-T1…, "(R-T5)", "Ghi chú R-T4")
    assert not re.search(r"R-[A-Z]{1,2}\d", text), re.findall(r"R-[A-Z]{1,2}\d", text)
    words = " ".join(text.split())
    for expected in ("STT Chỉ tiêu", "Trưởng thôn, tổ trưởng tổ dân phố là đảng viên", "Quá hạn khắc phục",
                     "CÁC TRƯỜNG HỢP NGOẠI LỆ QUÁ HẠN KHẮC PHỤC"):
        assert expected in words, expected
    annual = client.get("/chapters/dashboard/report.pdf?period=year&year=2022").data
    assert "Tổng kết năm 2022" in "\n".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(annual))


def test_targets_api_gives_district_and_commune_figures(dataset, client):
    from core.accounts import ApiToken

    row, token = ApiToken.issue(dataset["office"], "t")
    db.session.add(row)
    db.session.commit()
    data = client.get(f"/api/v1/targets?as_of={AS_OF}", headers={"Authorization": f"Bearer {token}"}).get_json()
    district = {f["key"]: f for f in data["district"]}
    assert (district["chief_is_member"]["numerator"], district["chief_is_member"]["denominator"]) == (2, 3)
    assert {c["name"] for c in data["communes"]} == {"Bình Hải", "Bình Châu"}


def test_training_note_or_training_facts_reach_the_dashboard(dataset):
    from chapters.targets import NO_TRAINING_NOTE, load_facts

    facts = load_facts(dataset["district"].id, dataset["term"], date(2023, 1, 15))
    worker = next(f for f in facts.figures() if f.key == "worker_trained")
    assert facts.training_note == NO_TRAINING_NOTE or worker.denominator > 0


def test_the_dashboard_is_not_for_polling_teams(dataset, login, client, make_user):
    login(make_user(Role.POLLING_TEAM, commune=dataset["hai"]))
    assert client.get("/chapters/dashboard").status_code == 403
