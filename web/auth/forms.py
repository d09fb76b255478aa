from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from web.form_choices import options


class LoginForm(FlaskForm):
    email = EmailField(_l("メールアドレス"),
                       validators=[DataRequired(_l("入力してください")), Length(max=254)])
    password = PasswordField(_l("パスワード"), validators=[DataRequired(_l("入力してください"))])
    submit = SubmitField(_l("ログイン"))


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("現在のパスワード"),
                            validators=[DataRequired(_l("入力してください"))])
    new = PasswordField(_l("新しいパスワード"), validators=[DataRequired(_l("入力してください"))])
    confirm = PasswordField(_l("新しいパスワード（確認）"), validators=[
        DataRequired(_l("入力してください")),
        EqualTo("new", _l("確認用のパスワードが一致しません"))])
    submit = SubmitField(_l("変更する"))


class LanguageForm(FlaskForm):
    language = SelectField(_l("表示言語"), choices=options([("ja", "日本語"), ("en", "English")]))
    submit = SubmitField(_l("切り替える"))


class SecondFactorForm(FlaskForm):
    code = StringField(_l("確認コード"), validators=[DataRequired(_l("入力してください")),
                                                    Length(max=20)])
    submit = SubmitField(_l("確認する"))


class ConfirmForm(FlaskForm):
    """A button that only needs CSRF protection."""

    submit = SubmitField(_l("実行する"))
