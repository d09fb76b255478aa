from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import Length

from web.form_choices import options
from web.request_input import parse_int


def optional_int(value):
    """A select's value as an id; blank or tampered input becomes None (the domain says why)."""
    if isinstance(value, int):
        return value
    return parse_int(value) if isinstance(value, str) else None


class PlainDateField(DateField):
    """A date input whose empty value is "no date" (the domain names the missing field)."""

    def process_formdata(self, valuelist):
        if valuelist and not "".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class SubstituteForm(FlaskForm):
    # Who may stand in is the domain's rule (workflow.people.substitutes), so no choice check here.
    substitute_id = SelectField(_l("代理者"), coerce=optional_int, validate_choice=False)
    starts_on = PlainDateField(_l("開始日"), invalid_value_message=_l(
        "日付を正しく入力してください（例：2025-04-01）"))
    ends_on = PlainDateField(_l("終了日"), invalid_value_message=_l(
        "日付を正しく入力してください（例：2025-04-01）"))
    note = StringField(_l("メモ（任意）"), validators=[Length(max=200, message=_l(
        "メモは200文字以内にしてください"))])
    save = SubmitField(_l("代理者を設定する"))

    def set_choices(self, colleagues, describe) -> None:
        self.substitute_id.choices = options(
            [("", _l("選んでください"))] + [(u.id, describe(u)) for u in colleagues])
