"""What the header shows: each role's menu, role and department names, substitute banner."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from web.i18n import lang

ROLE_LABELS = {
    "requester": _l("部局担当者"),
    "dept_manager": _l("所属長（課長級）"),
    "office": _l("デジタル統括室"),
    "office_lead": _l("デジタル統括室 管理職"),
    "expert": _l("外部専門人材"),
    "executive": _l("DX推進本部"),
    "admin": _l("システム管理者"),
}

_MY_TASKS = ("tasks.index", _l("マイタスク"))
NAV = {
    "requester": [_MY_TASKS, ("cases.index", _l("自部局の案件")), ("cases.new", _l("新規相談"))],
    "dept_manager": [_MY_TASKS, ("cases.index", _l("自部局の案件")),
                     ("reviews.index", _l("KPI評価"))],
    "office": [_MY_TASKS, ("office.board", _l("案件ボード")), ("office.triage", _l("受付待ち")),
               ("cases.new", _l("相談を代理登録")), ("reviews.overview", _l("KPI評価の状況")),
               ("dashboard.index", _l("ダッシュボード"))],
    "office_lead": [_MY_TASKS, ("office.board", _l("案件ボード")),
                    ("office.triage", _l("受付待ち")), ("reviews.overview", _l("KPI評価の状況")),
                    ("dashboard.index", _l("ダッシュボード")),
                    ("data.import_upload", _l("データ取り込み"))],
    "expert": [_MY_TASKS, ("cases.index", _l("担当案件"))],
    "executive": [("dashboard.index", _l("ダッシュボード")), ("office.board", _l("案件一覧"))],
    "admin": [("admin.users", _l("ユーザー")), ("admin.departments", _l("部局")),
              ("admin.audit", _l("監査ログ")), ("inbox.dead_letters", _l("配信エラー")),
              ("data.import_upload", _l("データ取り込み"))],
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def dept_name(department) -> str:
    if department is None:
        return "—"
    return department.name_en if lang() == "en" and department.name_en else department.name


def init_app(app: Flask) -> None:
    from web.authz import principals
    from web.inbox.routes import unread_count

    @app.context_processor
    def inject_navigation():
        def nav_items():
            if not current_user.is_authenticated:
                return []
            items = list(NAV.get(current_user.role, []))
            # A substitute also gets the menu entries of the roles they stand in for.
            for principal in principals()[1:]:
                items.extend(i for i in NAV.get(principal.role, []) if i not in items)
            return [(e, str(label)) for e, label in items if e in app.view_functions]

        def acting_for():
            return [p.name for p in principals()[1:]] if current_user.is_authenticated else []

        def page_args():
            return {k: v for k, v in request.args.items() if k != "page"}

        return {"nav_items": nav_items, "role_label": role_label, "dept_name": dept_name,
                "acting_for": acting_for, "page_args": page_args, "unread_count": unread_count}
