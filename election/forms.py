"""Forms of the election's own pages: the term and its election day."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core.calendar import election_day_problem
from core.forms import REQUIRED, strip_nfc



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
