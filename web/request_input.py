"""Numbers from URLs and query strings, read one way: ASCII digits only, inside the range the
database can hold. ``str.isdigit`` and ``int`` accept "²" and "١"; an id past a 32-bit
INTEGER overflows the driver's binding. Either used to be a 500."""

from __future__ import annotations

from flask import Flask, abort, flash, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

# Primary keys are INTEGER columns: 32-bit on PostgreSQL, and the same bound keeps SQLite honest.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
_MAX_DIGITS = len(str(MAX_ID))


def parse_int(raw: str | None, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """``raw`` as an int when it is ASCII digits (surrounding blanks allowed) within
    ``low``..``high``; otherwise None."""
    text = (raw or "").strip()
    if not text or len(text) > _MAX_DIGITS + 2 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


class IdConverter(IntegerConverter):
    """``<int:...>`` in every rule: ASCII digits up to ``MAX_ID``; anything else is 404."""

    regex = r"[0-9]+"  # Python's \d also matches the digits of other scripts

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def query_int(name: str, *, low: int = 1, high: int = MAX_ID,
              default: int | None = None) -> int | None:
    """An optional whole-number query argument (a filter, a page); a value that is not one is
    ignored with a message on the page, so a mistyped link still shows something useful."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return default
    value = parse_int(raw, low=low, high=high)
    if value is None:
        flash(_("URLの「%(name)s」の値が正しくないため無視しました。", name=name[:40]), "warning")
        return default
    return value


def page_number() -> int:
    """``?page=``: 1 unless a sane page number is given."""
    return query_int("page", high=MAX_PAGE, default=1)


def init_app(app: Flask) -> None:
    """Must run before the blueprints add their rules (converters bind when a rule is added)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_nul_bytes)


def _refuse_nul_bytes():
    # No text a person types holds NUL, and PostgreSQL refuses it in any text parameter:
    # answer 400 here instead of a database error deep in a query.
    for values in (request.args, request.form):
        for value in values.values():
            if "\x00" in value:
                abort(400)
