"""Factories for the voter-roll, check-in and ballot tests: roll files, a ready hamlet, page imports."""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date

import pytest
from conftest import PASSWORD

from candidates.models import CandidateList, ProposedBy
from core.accounts import Role, User
from core.citizen_id import make_citizen_id
from core.models import Commune, Hamlet, Term
from extensions import db

HEADERS_VI = ["STT", "Số hộ", "Họ và tên", "Số CCCD", "Ngày sinh", "Giới tính", "Địa chỉ"]
HEADERS_ASCII = ["STT", "So ho", "Ho va ten", "So CCCD", "Ngay sinh", "Gioi tinh", "Dia chi"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Đức Thắng", "Phạm Thị Ánh Tuyết", "Đặng Văn Ước",
         "Huỳnh Thị Mỹ Lệ", "Võ Quốc Việt", "Bùi Thị Thu Hà"]


def roll_rows(n: int, start: int = 1, tail_base: int = 500_000) -> list[list]:
    """n valid household representatives: [stt, household no, name, citizen id, birth date, sex, address]."""
    rows = []
    for i in range(start, start + n):
        sex = "female" if i % 2 else "male"
        born = date(1950 + i % 40, 1 + i % 12, 1 + i % 28)
        rows.append([i, f"{i:03d}", NAMES[i % len(NAMES)], make_citizen_id("051", born, sex, tail_base + i),
                     born.strftime("%d/%m/%Y"), "Nữ" if sex == "female" else "Nam", f"Xóm {1 + i % 3}"])
    return rows


def csv_bytes(rows: list[list], encoding: str = "utf-8", headers=HEADERS_VI, delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    text = buffer.getvalue()
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if encoding == "utf-16":
        return text.encode("utf-16")  # with BOM
    if encoding == "cp1258":
        import unicodedata

        # Windows-1258 stores Vietnamese with combining tone marks: decompose what it cannot hold precomposed.
        out = []
        for ch in text:
            try:
                out.append(ch.encode("cp1258"))
            except UnicodeEncodeError:  # "ố" -> "ô" + combining acute: cp1258 holds the vowel, not the tone
                decomposed = unicodedata.normalize("NFD", ch)
                tones = "".join(m for m in decomposed[1:] if m in "\u0300\u0301\u0303\u0309\u0323")
                rest = "".join(m for m in decomposed[1:] if m not in tones)
                out.append((unicodedata.normalize("NFC", decomposed[0] + rest) + tones).encode("cp1258"))
        return b"".join(out)
    return text.encode(encoding)


def xlsx_bytes(rows: list[list], headers=HEADERS_VI, excel_dates: bool = True) -> bytes:
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH CỬ TRI"])  # a title block above the header row, as offices make them
    sheet.append(headers)
    for row in rows:
        row = list(row)
        if excel_dates:
            row[4] = datetime.strptime(row[4], "%d/%m/%Y")
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, hamlet: Hamlet, data: bytes, filename: str):
    """POST the file to the import page; returns (response, token or None)."""
    response = client.post(f"/hamlets/{hamlet.id}/roll/import",
                           data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
    match = re.search(r"/roll/import/([A-Za-z0-9_-]{20,})", response.get_data(as_text=True))
    return response, match.group(1) if match else None


def import_through_pages(client, hamlet: Hamlet, data: bytes, filename: str = "ds.csv",
                         households_note: str = "Danh sách thử nghiệm, khác sổ hộ của thôn."):
    """Upload and commit; `households_note` confirms a difference with the register (the commune committee's)."""
    response, token = upload(client, hamlet, data, filename)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert token, "the preview page offers no commit (the file has problems?)"
    return client.post(f"/hamlets/{hamlet.id}/roll/import/{token}", data={"households_note": households_note})


def confirmed_list(term: Term, hamlet: Hamlet, people, user_id: int, round_no: int = 1) -> CandidateList:
    lst = CandidateList(term=term, hamlet=hamlet, round_no=round_no)
    db.session.add(lst)
    for person in people:
        lst.add(person, ProposedBy.FRONT_COMMITTEE)
    lst.confirm(user_id)
    db.session.commit()
    return lst


def client_for(app, user: User):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@dataclass
class Ready:
    commune: Commune
    hamlet: Hamlet
    term: Term
    committee: User
    team: User
    people: list


@pytest.fixture
def ready(make_commune, make_hamlet, make_term, make_person, make_user):
    """ready(households=0, names=(...)) -> a hamlet of the current term with users (and a confirmed list)."""

    def make(names=("Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước"), confirm: bool = True, commune=None,
             hamlet_name: str = "An Phú") -> Ready:
        commune = commune or make_commune("Bình Hải")
        hamlet = make_hamlet(hamlet_name, commune)
        term = db.session.scalar(db.select(Term).where(Term.district_id == commune.district_id))
        term = term or make_term(commune.district, election_day=date(2025, 6, 8), name="2025–2027")
        people = [make_person(name, hamlet, birth_date=date(1975, 4, 2 + i)) for i, name in enumerate(names)]
        committee = make_user(Role.COMMUNE_COMMITTEE, commune=commune)
        if names and confirm:
            confirmed_list(term, hamlet, people, committee.id)
        team = make_user(Role.POLLING_TEAM, commune=commune, hamlet=hamlet)
        return Ready(commune, hamlet, term, committee, team, people)

    return make
