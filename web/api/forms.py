"""Forms of the API-token pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from web.form_choices import options
from web.request_input import parse_int

LIFETIMES = (("90", _l("90日")), ("30", _l("30日")), ("365", _l("1年")), ("0", _l("無期限")))


class TokenForm(FlaskForm):
    name = StringField(_l("名前（用途）"), validators=[
        DataRequired(_l("入力してください")),
        Length(max=100, message=_l("100文字以内にしてください"))])
    lifetime = SelectField(_l("有効期限"), choices=options(LIFETIMES), default="90")
    submit = SubmitField(_l("トークンを作成する"))

    def expires_in_days(self) -> int | None:
        days = parse_int(self.lifetime.data, low=0, high=3650)
        days = 90 if days is None else days
        return days or None


class RevokeForm(FlaskForm):
    """Only the CSRF token: revoking needs no other input."""
