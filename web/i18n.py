"""Language choice and the template filters for Japanese dates, fiscal years and labels."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request, session
from flask_babel import get_locale
from flask_login import current_user

from workflow import fiscal, vocabulary
from workflow.states import phase_of, state_label, substate_label

LANGUAGES = ("ja", "en")


def select_locale() -> str:
    """The signed-in user's saved language, else the session's choice, else Japanese."""
    if getattr(current_user, "is_authenticated", False) and current_user.language in LANGUAGES:
        return current_user.language
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return "ja" if request is None else (request.accept_languages.best_match(LANGUAGES) or "ja")


def lang() -> str:
    return "en" if str(get_locale()) == "en" else "ja"


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return fiscal.format_datetime(value, lang())
    return fiscal.format_date(value, lang())


def format_date_only(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(fiscal.TOKYO).date()
    return fiscal.format_date(value, lang())


def fy_label(fy: int | None, wareki: bool = False) -> str:
    return "" if fy is None else fiscal.fiscal_year_label(fy, lang(), wareki=wareki)


def init_templates(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=format_date_only,
        datetime=format_date,
        fy=fy_label,
        # The Japanese era year (令和N年度) means nothing in the English UI: none there.
        wareki=lambda fy: fiscal.wareki_year(fy) + "度" if fy and lang() == "ja" else "",
        state=lambda s: state_label(s, lang()),
        substate=lambda s: substate_label(s, lang()),
        phase=lambda s: phase_of(s).name if s else "",
        reason=lambda r: r.text(lang()),
    )

    @app.context_processor
    def inject_helpers():
        return {
            "lang": lang(),
            # Japanese runs a full-width colon into the text; English wants ": ".
            "colon": "：" if lang() == "ja" else ": ",
            "vocab": lambda name, key: vocabulary.label(getattr(vocabulary, name), key, lang()),
            "vocabulary": vocabulary,
            "current_fy": fiscal.fiscal_year(datetime.now(fiscal.TOKYO)),
        }
