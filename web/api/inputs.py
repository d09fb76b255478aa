"""Reading API input: a JSON object body, typed fields, ids and pages, checked before the domain.

The domain functions validate meaning (a known category, an active department); this layer
makes sure they only ever see the types they expect, so odd JSON is a 422, never a 500.
"""

from __future__ import annotations

import math
from decimal import Decimal

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select

from web.api.auth import api_user
from web.api.problems import ApiProblem, invalid
from web.extensions import db
from web.request_input import MAX_ID, parse_int
from workflow import access
from workflow.models import Case
from workflow.states import Reason

MAX_PER_PAGE = 100
MAX_TEXT = 20_000


def reason(code: str, ja: str, en: str) -> list[Reason]:
    return [Reason(code, ja, en)]


def json_body() -> dict:
    """The request's JSON object; 415 for another media type, 400 for broken JSON."""
    if not request.is_json:
        raise ApiProblem(415, _("本文は Content-Type: application/json の JSON で送ってください。"))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiProblem(400, _("本文は JSON のオブジェクト（{...}）で送ってください。"))
    return body


def _is_integer(value) -> bool:
    """JSON (and JSON Schema's "integer") does not tell 257 from 257.0; Python does."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _type_problem(value, kind) -> list[Reason] | None:
    nullable = isinstance(kind, tuple)
    base = kind[0] if nullable else kind
    if value is None:
        return None if nullable else reason("required", "値を指定してください",
                                            "A value is required")
    if base is str:
        if not isinstance(value, str):
            return reason("type", "文字列で指定してください", "Must be a string")
        if "\x00" in value:
            return reason("control_character", "使えない文字（NUL）が含まれています",
                          "Contains a NUL character")
        if len(value) > MAX_TEXT:
            return reason("too_long", f"{MAX_TEXT}文字以内にしてください",
                          f"Use at most {MAX_TEXT} characters")
    elif base is int:
        if not _is_integer(value):
            return reason("type", "整数で指定してください", "Must be an integer")
        if not 1 <= value <= MAX_ID:
            return reason("range", "値が範囲外です", "Out of range")
    elif base is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return reason("type", "文字列の配列で指定してください", "Must be an array of strings")
        if len(set(value)) != len(value):
            return reason("duplicate", "同じ値が重複しています", "Contains the same value twice")
    elif base is Decimal:
        # Python's JSON reader also takes NaN and Infinity, which JSON has no place for.
        if not isinstance(value, int | float) or isinstance(value, bool) or \
                not math.isfinite(value):
            return reason("type", "数値で指定してください", "Must be a number")
    return None


def typed_fields(body: dict, types: dict, *, required: tuple[str, ...] = ()) -> dict:
    """The body's fields checked against ``types`` ({name: type or (type, None)}); 422 lists
    every unknown, missing or mistyped field at once."""
    errors: dict[str, list[Reason]] = {}
    for name in body:
        if name not in types:
            errors[name] = reason("unknown_field", f"項目「{name}」はありません",
                                  f"There is no field '{name}'")
    for name in required:
        if name not in body:
            errors[name] = reason("required", "この項目は必須です", "This field is required")
    clean = {}
    for name, kind in types.items():
        if name in body and name not in errors:
            problem = _type_problem(body[name], kind)
            if problem:
                errors[name] = problem
            elif isinstance(body[name], float) and (kind[0] if isinstance(kind, tuple)
                                                    else kind) is int:
                clean[name] = int(body[name])
            else:
                clean[name] = body[name]
    if errors:
        raise invalid(errors)
    return clean


def to_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def not_found() -> ApiProblem:
    return ApiProblem(404, _("指定したリソースは存在しないか、閲覧する権限がありません。"))


def visible_case(case_id: int) -> Case:
    """The case if the token's user may see it; 404 otherwise (never revealing it exists)."""
    case = None
    if case_id <= MAX_ID:
        case = db.session.scalar(select(Case).where(
            Case.id == case_id, access.visibility_clause(api_user())))
    if case is None:
        raise not_found()
    return case


def query_int(name: str, default: int | None, errors: dict, *, low: int = 1,
              high: int = MAX_ID) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    # "?page=" is not a number either: the document promises an integer, so refuse it.
    value = parse_int(raw, low=low, high=high)
    if value is None:
        errors[name] = reason("range", f"{low}〜{high}の整数で指定してください",
                              f"Use an integer from {low} to {high}")
        return default
    return value


def query_text(name: str, errors: dict, max_length: int = 200) -> str:
    raw = request.args.get(name, "")
    if "\x00" in raw or len(raw) > max_length:
        errors[name] = reason("too_long", f"{max_length}文字以内で指定してください",
                              f"Use at most {max_length} characters")
        return ""
    return raw.strip()


def query_choice(name: str, choices, errors: dict, ja: str, en: str) -> str | None:
    """An optional query argument that must be one of ``choices`` (an empty value is not)."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in choices:
        errors[name] = reason(f"unknown_{name}", ja, en)
        return None
    return raw


def page_args(errors: dict) -> tuple[int, int]:
    page = query_int("page", 1, errors)
    per_page = query_int("per_page", 20, errors, high=MAX_PER_PAGE)
    return page, per_page
