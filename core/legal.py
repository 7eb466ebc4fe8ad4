"""The legal sources the rules cite (../shared/spec/rules.md), written as the "Căn cứ" lines of a decision.

A rule's comment names its source by short id (TT 04/2012, Decree 59/2023, 59-KH/HU, 190-QĐ/TW…); a printed decision
cites the same source in full, from here, through OfficialDocument.preamble. One line per source, without the
leading "Căn cứ" and the closing ";" (the builder adds them).
"""
from __future__ import annotations

# The law on local government: the commune people's committee and its chairman decide (recognition, re-vote).
LOCAL_GOVERNMENT = "Luật Tổ chức chính quyền địa phương"
# R-V1…R-V10: hamlet-chief elections under the law on grassroots democracy and its decree.
GRASSROOTS_DEMOCRACY = "Luật Thực hiện dân chủ ở cơ sở ngày 10 tháng 11 năm 2022"
DECREE_59 = ("Nghị định số 59/2023/NĐ-CP ngày 14 tháng 8 năm 2023 của Chính phủ quy định chi tiết một số điều của "
             "Luật Thực hiện dân chủ ở cơ sở")
# R-E1, R-E2, R-V10: the hamlet chief's standards and term.
CIRCULAR_04 = ("Thông tư số 04/2012/TT-BNV ngày 31 tháng 8 năm 2012 của Bộ Nội vụ hướng dẫn về tổ chức và hoạt động "
               "của thôn, tổ dân phố")
# R-E3…R-E7, R-X1, R-T1…R-T5: the model's standards, exceptions and targets.
PROVINCE_SCHEME_07 = ("Đề án số 07-ĐA/TU ngày 28 tháng 10 năm 2021 của Ban Thường vụ Tỉnh ủy về thực hiện thí điểm mô "
                      "hình «Dân tin – Đảng cử»")
# R-P1…R-P5: the chapter congress.
PARTY_ELECTIONS_190 = "Quy định số 190-QĐ/TW của Ban Chấp hành Trung ương về bầu cử trong Đảng"
PARTY_CHAPTERS_294 = "Quy định số 294-QĐ/TW của Ban Chấp hành Trung ương về thi hành Điều lệ Đảng"


def district_plan(district_name: str) -> str:
    """The district's plan (59-KH/HU in Bình Sơn), whose standards and workflow the app follows."""
    return f"Kế hoạch số 59-KH/HU của Ban Thường vụ Huyện ủy {district_name} thực hiện Đề án số 07-ĐA/TU"


__all__ = ["CIRCULAR_04", "DECREE_59", "GRASSROOTS_DEMOCRACY", "LOCAL_GOVERNMENT", "PARTY_CHAPTERS_294",
           "PARTY_ELECTIONS_190", "PROVINCE_SCHEME_07", "district_plan"]
