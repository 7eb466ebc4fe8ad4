"""Forms of the election's pages: the term and its election day, the voter roll, the meeting, the count, minutes,
recognition and the acting chief."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from core.calendar import election_day_problem
from core.enums import Sex
from core.forms import REQUIRED, idempotency_key_field, strip_nfc
from core.i18n import choices
from election.models import Figures, VotingForm


class TermForm(FlaskForm):
    name = StringField(_l("Tên nhiệm kỳ (ví dụ 2022–2025)"), validators=[DataRequired(REQUIRED), Length(max=40)],
                       filters=[strip_nfc])
    starts_on = DateField(_l("Bắt đầu"), validators=[DataRequired(REQUIRED)])
    ends_on = DateField(_l("Kết thúc"), validators=[DataRequired(REQUIRED)])
    length_months = SelectField(_l("Độ dài nhiệm kỳ"), coerce=int,
                                choices=[(30, _l("2,5 năm")), (60, _l("5 năm"))])
    election_day = DateField(_l("Ngày bầu cử (Chủ nhật)"), validators=[DataRequired(REQUIRED)])
    is_current = BooleanField(_l("Nhiệm kỳ hiện hành"))
    decision_done_on = DateField(_l("Ngày ban hành quyết định, kế hoạch"), validators=[Optional()])
    team_done_on = DateField(_l("Ngày thành lập Tổ bầu cử"), validators=[Optional()])
    notice_done_on = DateField(_l("Ngày niêm yết thông báo"), validators=[Optional()])
    submit = SubmitField(_l("Lưu"))

    def validate_election_day(self, field):
        if field.data and (problem := election_day_problem(field.data)) is not None:
            raise ValidationError(problem.message)

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data <= self.starts_on.data:
            raise ValidationError(_l("Ngày kết thúc phải sau ngày bắt đầu."))


class MeetingForm(FlaskForm):
    version = HiddenField()
    idempotency_key = idempotency_key_field()
    households_present = IntegerField(_l("Số hộ có mặt (để trống: lấy theo số hộ đã điểm danh)"),
                                      validators=[Optional(), NumberRange(min=0)])
    voting_form = SelectField(_l("Hình thức biểu quyết (R-V6)"), choices=choices(VotingForm))
    board = TextAreaField(_l("Ban kiểm phiếu (3–5 người, mỗi dòng một họ tên)"), validators=[DataRequired()],
                          render_kw={"rows": 5})
    witness_1 = StringField(_l("Cử tri chứng kiến thứ nhất"), validators=[DataRequired(), Length(max=120)])
    witness_2 = StringField(_l("Cử tri chứng kiến thứ hai"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Lưu biên bản hội nghị"))


class MinutesUploadForm(FlaskForm):
    idempotency_key = idempotency_key_field()
    file = FileField(_l("Ảnh chụp hoặc bản quét biên bản đã ký (JPG, PNG, PDF; tối đa 10 MB)"))
    submit = SubmitField(_l("Tải lên"))


class RecognitionForm(FlaskForm):
    version = HiddenField()
    decision_no = StringField(_l("Số quyết định"), validators=[DataRequired(), Length(max=60)])
    decided_on = DateField(_l("Ngày quyết định"), validators=[DataRequired()])
    signer_name = StringField(_l("Người ký (Chủ tịch UBND xã)"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Ghi quyết định công nhận"))


class ActingChiefForm(RecognitionForm):
    person_id = SelectField(_l("Người được chỉ định làm trưởng thôn lâm thời"), coerce=int)
    submit = SubmitField(_l("Ghi quyết định chỉ định"))


class RevoteForm(FlaskForm):
    """R-V8: the re-vote order names the day the new round votes (within the re-vote deadline)."""

    version = HiddenField()
    voting_day = DateField(_l("Ngày bầu lại"), validators=[DataRequired(_l("Cần ghi ngày bầu lại (R-V8)."))])


def count_form_class(candidates: list) -> type[FlaskForm]:
    """The aggregate entry form: the four ballot figures and one vote field per candidate."""
    counts = [InputRequired(_l("Vui lòng nhập số.")), NumberRange(min=0, message=_l("Không được âm."))]

    class CountForm(FlaskForm):
        version = HiddenField()
        idempotency_key = idempotency_key_field()
        ballots_issued = IntegerField(_l("Số phiếu phát ra"), validators=counts)
        ballots_returned = IntegerField(_l("Số phiếu thu vào"), validators=counts)
        valid_ballots = IntegerField(_l("Số phiếu hợp lệ"), validators=counts)
        invalid_ballots = IntegerField(_l("Số phiếu không hợp lệ"), validators=counts)
        acknowledged = BooleanField(_l("Đã kiểm tra lại các cảnh báo R-C6 và xác nhận số liệu đúng"))
        submit = SubmitField(_l("Lưu lần nhập"))

    for c in candidates:
        label = _("Đồng ý") + f" – {c.person.full_name}" if len(candidates) == 1 else c.person.full_name
        setattr(CountForm, f"votes_{c.id}", IntegerField(label, validators=counts))
    if len(candidates) == 1:
        CountForm.against = IntegerField(_l("Không đồng ý"), validators=counts)
    return CountForm


def form_figures(form: FlaskForm, candidates: list) -> Figures:
    against = form.against.data if len(candidates) == 1 else 0
    return Figures(form.ballots_issued.data, form.ballots_returned.data, form.valid_ballots.data,
                   form.invalid_ballots.data, {str(c.id): getattr(form, f"votes_{c.id}").data for c in candidates},
                   against or 0)


class RollUploadForm(FlaskForm):
    file = FileField(_l("Tệp danh sách (CSV hoặc Excel)"), validators=[FileRequired(_l("Hãy chọn tệp."))])
    submit = SubmitField(_l("Kiểm tra tệp"))


class EntryForm(FlaskForm):
    household_no = StringField(_l("Số hộ"), validators=[DataRequired(_l("Bắt buộc.")), Length(max=20)])
    full_name = StringField(_l("Họ và tên người đại diện hộ"), validators=[DataRequired(_l("Bắt buộc.")),
                                                                         Length(max=120)])
    citizen_id = StringField(_l("Số định danh cá nhân (CCCD)"), validators=[DataRequired(_l("Bắt buộc."))])
    birth_date = DateField(_l("Ngày sinh"), validators=[Optional()])
    birth_year = IntegerField(_l("Năm sinh (nếu không rõ ngày)"), validators=[Optional(), NumberRange(1900, 2100)])
    sex = SelectField(_l("Giới tính"), choices=[("", "—"), *choices(Sex)], validate_choice=False)
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Lưu"))


class ReopenForm(FlaskForm):
    """The commune committee reopens an accepted or recognised count (issue 15, corrections)."""

    version = HiddenField()
    reason = TextAreaField(_l("Lý do mở lại (bắt buộc, ít nhất 10 ký tự)"),
                           validators=[DataRequired(REQUIRED), Length(min=10, max=500)], filters=[strip_nfc])
    discard_entries = BooleanField(_l("Hủy cả hai lần nhập: tổ bầu cử nhập lại hai lần từ đầu"))
    submit = SubmitField(_l("Mở lại kết quả để đính chính"))


class SingleMemberForm(FlaskForm):
    """R-C7 yields for a hamlet whose polling team is one person (flagged on the district board)."""

    version = HiddenField()
    single = BooleanField(_l("Tổ bầu cử chỉ có một người: cho phép một người nhập và quyết định"))
    reason = StringField(_l("Lý do"), validators=[Optional(), Length(max=300)], filters=[strip_nfc])
    submit = SubmitField(_l("Lưu cách kiểm soát hai người"))
