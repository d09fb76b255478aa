"""Forms of the admin screens; the rules themselves live in ``workflow.people.users``."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional

from web.form_choices import options
from web.navigation import ROLE_LABELS
from web.request_input import parse_int
from workflow.models import ROLES

LANGUAGE_CHOICES = (("ja", "日本語"), ("en", "English"))
KIND_LABELS = {
    "office": _l("室"),
    "bureau": _l("局"),
    "ward": _l("区役所"),
    "joint": _l("一部事務組合"),
}
REQUIRED = _l("入力してください")


def _department_label(department, lang: str) -> str:
    return department.name_en if lang == "en" and department.name_en else department.name


class UserProfileForm(FlaskForm):
    name = StringField(_l("氏名"), validators=[DataRequired(REQUIRED), Length(max=100)])
    role = SelectField(_l("役割"))
    department_id = SelectField(_l("所属"), validators=[Optional()])
    language = SelectField(_l("表示言語"), choices=options(LANGUAGE_CHOICES))
    submit = SubmitField(_l("保存する"))

    def set_choices(self, departments, lang: str) -> None:
        self.role.choices = options((r, ROLE_LABELS[r]) for r in ROLES)
        self.department_id.choices = options(
            [("", _l("（所属なし）"))]
            + [(str(d.id), _department_label(d, lang)) for d in departments])

    def department_id_value(self) -> int | None:
        return chosen_id(self.department_id)


class UserCreateForm(UserProfileForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password_mode = RadioField(_l("初期パスワード"), default="generate", choices=options([
        ("generate", _l("自動で作成する（作成後に一度だけ表示）")),
        ("manual", _l("自分で決める")),
    ]))
    password = PasswordField(_l("パスワード"), validators=[Optional()])
    submit = SubmitField(_l("ユーザーを作成"))


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""


class DepartmentForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    name_en = StringField(_l("英語名"), validators=[Optional(), Length(max=100)])
    active = BooleanField(_l("利用中（新しい相談や利用者の所属に選べる）"))
    liaison_id = SelectField(_l("デジタル統括室の担当者"), validators=[Optional()])
    submit = SubmitField(_l("保存する"))

    def set_choices(self, office_users) -> None:
        self.liaison_id.choices = liaison_options(office_users)

    def liaison_value(self) -> int | None:
        return chosen_id(self.liaison_id)


class DepartmentCreateForm(FlaskForm):
    code = StringField(_l("コード"), validators=[DataRequired(REQUIRED), Length(max=40)])
    kind = SelectField(_l("種別"), choices=options(KIND_LABELS.items()))
    name = StringField(_l("名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    name_en = StringField(_l("英語名"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("部局を追加"))


class LiaisonForm(FlaskForm):
    """The quick liaison picker on each row of the department list."""

    liaison_id = SelectField(_l("担当者"), validators=[Optional()])
    set_choices = DepartmentForm.set_choices
    liaison_value = DepartmentForm.liaison_value


def liaison_options(office_users):
    return options([("", _l("（未設定）"))] + [(str(u.id), u.name) for u in office_users])


def chosen_id(field) -> int | None:
    """The id picked in a select whose blank option means "none"."""
    return parse_int(field.data)
