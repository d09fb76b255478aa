"""Forms of the import screens; what a file may hold is decided in ``workflow.interchange``."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import Length, Optional

EXTENSIONS = ["csv", "txt", "xlsx", "xlsm", "json"]


class ImportForm(FlaskForm):
    file = FileField(_l("ファイル"), validators=[
        FileRequired(_l("ファイルを選んでください")),
        FileAllowed(EXTENSIONS, _l("CSV・Excel（.xlsx）・JSONのファイルを選んでください")),
    ])
    sheet = StringField(_l("シート名（Excelのみ・空欄なら最初のシート）"),
                        validators=[Optional(), Length(max=100)])
    skip_invalid = BooleanField(_l("無効な行を除いて取り込む"))
    submit = SubmitField(_l("内容を確認する"))


class ConfirmForm(FlaskForm):
    token = HiddenField()
    sheet = HiddenField()
    skip_invalid = BooleanField(_l("無効な行を除いて取り込む"))
    recheck = SubmitField(_l("この設定で確認し直す"))
    run = SubmitField(_l("取り込む"))
