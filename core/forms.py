"""Forms of the organisation pages and login (CSRF on every one through Flask-WTF)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp, ValidationError

from core.accounts import Role
from core.citizen_id import citizen_id_problem
from core.enums import CommuneClass, Education, HamletKind, PartyMembership, PoliticalTheory, Sex
from core.i18n import choices
from core.idempotency import new_key
from core.vietnamese import nfc, vietnam_today

REQUIRED = _l("Vui lòng nhập mục này.")


def idempotency_key_field() -> HiddenField:
    """The hidden key of a form a phone may send again (core.idempotency, static/keep_form.js): a new one each time
    the form is rendered, the same one when the form comes back with its errors."""
    return HiddenField(default=new_key)


def strip_nfc(value):
    return nfc(value) if isinstance(value, str) else value


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(REQUIRED)], filters=[strip_nfc])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Đăng nhập"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(REQUIRED)])
    new_password = PasswordField(_l("Mật khẩu mới (ít nhất 10 ký tự)"), validators=[
        DataRequired(REQUIRED), Length(min=10, max=200, message=_l("Mật khẩu mới cần từ 10 đến 200 ký tự."))])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        DataRequired(REQUIRED), EqualTo("new_password", message=_l("Hai lần nhập mật khẩu mới không khớp."))])
    submit = SubmitField(_l("Đổi mật khẩu"))


class NewPasswordForm(FlaskForm):
    """The first password after a one-time code (the code was the proof: no current password is asked)."""

    new_password = PasswordField(_l("Mật khẩu mới (ít nhất 10 ký tự)"), validators=[
        DataRequired(REQUIRED), Length(min=10, max=200, message=_l("Mật khẩu mới cần từ 10 đến 200 ký tự."))])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        DataRequired(REQUIRED), EqualTo("new_password", message=_l("Hai lần nhập mật khẩu mới không khớp."))])
    submit = SubmitField(_l("Đặt mật khẩu"))


class PersonForm(FlaskForm):
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=120)], filters=[strip_nfc])
    birth_date = DateField(_l("Ngày sinh"), validators=[DataRequired(_l("Ngày sinh không hợp lệ."))])
    sex = SelectField(_l("Giới tính"), choices=choices(Sex))
    citizen_id = StringField(_l("Số định danh cá nhân (12 số)"), validators=[DataRequired(REQUIRED)],
                             filters=[lambda v: v.replace(" ", "") if isinstance(v, str) else v])
    hamlet_id = SelectField(_l("Thôn, tổ dân phố cư trú"), coerce=int)
    education = SelectField(_l("Trình độ học vấn"), choices=choices(Education))
    political_theory = SelectField(_l("Trình độ lý luận chính trị"), choices=choices(PoliticalTheory))
    party_member = SelectField(_l("Đảng viên"), choices=choices(PartyMembership))
    party_joined_on = DateField(_l("Ngày vào Đảng"), validators=[Optional()])
    party_official_on = DateField(_l("Ngày chính thức"), validators=[Optional()])
    fit_for_term = BooleanField(_l("Đủ sức khỏe công tác cả nhiệm kỳ"), default=True)
    phone = StringField(_l("Điện thoại"), validators=[Optional(), Length(max=20)])
    submit = SubmitField(_l("Lưu"))

    def validate_citizen_id(self, field):
        problem = citizen_id_problem(field.data or "", self.birth_date.data, self.sex.data)
        if problem is not None:
            raise ValidationError(problem.message)

    def validate_birth_date(self, field):
        if field.data and field.data > vietnam_today():
            raise ValidationError(_l("Ngày sinh không thể ở tương lai."))

    def validate_party_member(self, field):
        if field.data != "none" and not self.party_joined_on.data:
            raise ValidationError(_l("Đảng viên cần có ngày vào Đảng."))
        if field.data == "official" and not self.party_official_on.data:
            raise ValidationError(_l("Đảng viên chính thức cần có ngày chính thức."))


class CommuneForm(FlaskForm):
    name = StringField(_l("Tên"), validators=[DataRequired(REQUIRED), Length(max=120)], filters=[strip_nfc])
    commune_class = SelectField(_l("Phân loại"), choices=choices(CommuneClass))
    class_basis = StringField(_l("Căn cứ phân loại"), validators=[Optional(), Length(max=300)], filters=[strip_nfc])
    chairman_name = StringField(_l("Chủ tịch UBND"), validators=[Optional(), Length(max=120)], filters=[strip_nfc])
    submit = SubmitField(_l("Lưu"))


USERNAME_RULE = Regexp(r"^[a-z0-9][a-z0-9._-]*$", message=_l(
    "Tên đăng nhập chỉ gồm chữ thường không dấu, chữ số và các dấu . _ -"))


def lower_strip(value):
    return value.strip().lower() if isinstance(value, str) else value


class UserForm(FlaskForm):
    """The district office's form: any role but the administrator's; a polling team needs its hamlet. The account
    starts with a one-time code shown once (no password is typed)."""

    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(REQUIRED), Length(min=3, max=64),
                                                            USERNAME_RULE], filters=[lower_strip])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=120)], filters=[strip_nfc])
    role = SelectField(_l("Vai trò"), choices=choices(Role, [r for r in Role if r != Role.ADMIN]))
    commune_id = SelectField(_l("Xã (để trống với vai trò cấp huyện)"), coerce=int)
    hamlet_id = SelectField(_l("Thôn hoặc tổ dân phố (bắt buộc với tổ bầu cử)"), coerce=int)
    submit = SubmitField(_l("Tạo người dùng"))


class UserEditForm(FlaskForm):
    """Editing an account: the district office may change the role and the commune, a commune committee only the
    name and the hamlet of its polling teams (the view removes the fields the manager may not change)."""

    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=120)], filters=[strip_nfc])
    role = SelectField(_l("Vai trò"), choices=choices(Role, [r for r in Role if r != Role.ADMIN]))
    commune_id = SelectField(_l("Xã (để trống với vai trò cấp huyện)"), coerce=int)
    hamlet_id = SelectField(_l("Thôn hoặc tổ dân phố (bắt buộc với tổ bầu cử)"), coerce=int)
    submit = SubmitField(_l("Lưu"))


class TeamAccountForm(FlaskForm):
    """A commune committee's new polling-team account: one hamlet of its commune, the current term."""

    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(REQUIRED), Length(min=3, max=64),
                                                            USERNAME_RULE], filters=[lower_strip])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=120)], filters=[strip_nfc])
    hamlet_id = SelectField(_l("Thôn hoặc tổ dân phố"), coerce=int)
    submit = SubmitField(_l("Tạo tài khoản"))


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons (carries the CSRF token)."""

    submit = SubmitField(_l("Xác nhận"))


class DistrictForm(FlaskForm):
    approver_name = StringField(_l("Cấp có thẩm quyền phê duyệt ngoại lệ"), validators=[DataRequired(REQUIRED),
                                                                                       Length(max=200)],
                                filters=[strip_nfc])
    approver_level = SelectField(_l("Cấp phê duyệt (R-X1)"), choices=[
        ("district", _l("Cấp huyện (Ban Thường vụ Huyện ủy, theo 59-KH/HU)")),
        ("commune", _l("Cấp xã (sau sắp xếp đơn vị hành chính 2025)"))])
    import_max_rows = IntegerField(_l("Tệp tải lên: số dòng tối đa"), validators=[
        DataRequired(REQUIRED), NumberRange(100, 100_000, _l("Từ 100 đến 100.000 dòng."))])
    import_max_columns = IntegerField(_l("Tệp tải lên: số cột tối đa"), validators=[
        DataRequired(REQUIRED), NumberRange(10, 1_000, _l("Từ 10 đến 1.000 cột."))])
    submit = SubmitField(_l("Lưu"))


class RenameForm(FlaskForm):
    new_name = StringField(_l("Tên mới"), validators=[DataRequired(REQUIRED), Length(max=120)], filters=[strip_nfc])
    effective_on = DateField(_l("Ngày có hiệu lực"), validators=[DataRequired(REQUIRED)])
    decision = StringField(_l("Căn cứ (số quyết định, nghị quyết)"), validators=[DataRequired(REQUIRED),
                                                                              Length(max=200)], filters=[strip_nfc])
    submit = SubmitField(_l("Đổi tên"))


class MergeForm(FlaskForm):
    sources = SelectMultipleField(_l("Các thôn, tổ dân phố sáp nhập"), coerce=int)
    new_name = StringField(_l("Tên đơn vị mới"), validators=[DataRequired(REQUIRED), Length(max=120)],
                           filters=[strip_nfc])
    kind = SelectField(_l("Loại"), choices=choices(HamletKind))
    code = StringField(_l("Mã đơn vị mới"), validators=[DataRequired(REQUIRED), Length(max=12)])
    effective_on = DateField(_l("Ngày có hiệu lực"), validators=[DataRequired(REQUIRED)])
    decision = StringField(_l("Căn cứ (số nghị quyết)"), validators=[DataRequired(REQUIRED), Length(max=200)],
                           filters=[strip_nfc])
    submit = SubmitField(_l("Sáp nhập"))
