"""Reading the audit log: its filters, and each event put into words for people and for CSV."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import Request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import aliased, joinedload

from web.admin.forms import KIND_LABELS as DEPARTMENT_KINDS
from web.i18n import lang
from web.navigation import role_label
from web.presenters import FIELD_LABELS, event_text
from workflow.fiscal import TOKYO
from workflow.models import AuditEvent, Case, User
from workflow.states import BY_TRIGGER

KIND_LABELS = {
    "transition": _l("状態の変更"),
    "created": _l("案件の登録"),
    "imported": _l("データ取り込み"),
    "updated": _l("案件内容の更新"),
    "comment": _l("コメント"),
    "plan": _l("実行計画の編集"),
    "kpi": _l("KPI"),
    "review": _l("KPI評価"),
    "supporter": _l("支援体制"),
    "assigned": _l("統括室担当の変更"),
    "attachment": _l("添付ファイル"),
    "login": _l("ログイン"),
    "login_failed": _l("ログイン失敗"),
    "logout": _l("ログアウト"),
    "password": _l("パスワード変更"),
    "mfa": _l("二要素認証"),
    "session_end": _l("セッションの終了"),
    "login_locked": _l("ログインの一時ロック"),
    "user_admin": _l("ユーザー管理"),
    "department_admin": _l("部局管理"),
    "api_token": _l("APIトークン"),
    "substitution": _l("代理者の設定"),
    "preferences": _l("通知の設定"),
    "outbox_admin": _l("通知の再送"),
}
ACTION_LABELS = {
    "create": _l("作成"),
    "update": _l("変更"),
    "deactivate": _l("無効化"),
    "reactivate": _l("再有効化"),
    "unlock": _l("ロック解除"),
    "reset_password": _l("パスワード再発行"),
    "reset_mfa": _l("二要素認証のリセット"),
    "enrol": _l("設定"),
    "enrol_failed": _l("設定の失敗"),
    "disable": _l("無効化"),
    "recovery_code_used": _l("回復コードの使用"),
    "recovery_codes_renewed": _l("回復コードの再発行"),
    "revoke": _l("失効"),
    "retry": _l("再送"),
    "added": _l("追加"),
    "removed": _l("削除"),
}
DATA_LABELS = {
    **{k: _l(v) for k, v in FIELD_LABELS.items()},
    "name": _l("名称・氏名"),
    "name_en": _l("英語名"),
    "role": _l("役割"),
    "department": _l("所属"),
    "language": _l("表示言語"),
    "active": _l("利用状態"),
    "liaison": _l("統括室の担当者"),
    "code": _l("コード"),
    "kind": _l("種別"),
    "email": _l("メールアドレス"),
    "ip": _l("IPアドレス"),
    "locked": _l("ロック中"),
    "target": _l("対象"),
    "method": _l("認証方式"),
    "mfa": _l("二要素認証"),
    "stage": _l("段階"),
    "reason": _l("理由"),
    "source": _l("接続元"),
    "remaining": _l("残り"),
    "auth_source": _l("認証方式"),
    "session": _l("セッション"),
    "minutes": _l("ロック時間（分）"),
}
END_REASON_LABELS = {
    "logout": _l("ログアウト"),
    "everywhere": _l("すべての端末からログアウト"),
    "password": _l("パスワード変更"),
    "password_reset": _l("パスワード再発行"),
    "role": _l("役割の変更"),
    "deactivated": _l("アカウントの無効化"),
    "admin": _l("管理者による終了"),
}
PER_PAGE = 50


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@dataclass
class AuditFilters:
    kind: str = ""
    actor: str = ""
    case: str = ""
    date_from: date | None = None
    date_to: date | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_request(cls, request: Request) -> AuditFilters:
        args = request.args
        filters = cls(kind=args.get("kind", "").strip()[:30],
                      actor=args.get("actor", "").strip()[:100],
                      case=args.get("case", "").strip()[:40])
        for name in ("date_from", "date_to"):
            raw = args.get(name, "").strip()
            if not raw:
                continue
            try:
                setattr(filters, name, date.fromisoformat(raw))
            except ValueError:
                filters.errors[name] = _("日付は 2025-04-01 の形で入力してください")
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            filters.errors["date_to"] = _("終了日は開始日以降にしてください")
            filters.date_to = None
        return filters

    def query_args(self) -> dict[str, str]:
        """The filter as URL parameters (for the CSV link)."""
        args = {"kind": self.kind, "actor": self.actor, "case": self.case,
                "date_from": self.date_from.isoformat() if self.date_from else "",
                "date_to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in args.items() if v}

    def apply(self, stmt: Select) -> Select:
        if self.kind:
            stmt = stmt.where(AuditEvent.kind == self.kind)
        if self.actor:
            actor = aliased(User)
            like = _like(self.actor)
            stmt = stmt.join(actor, AuditEvent.actor_id == actor.id).where(
                or_(actor.name.ilike(like), actor.email.ilike(like)))
        if self.case:
            stmt = stmt.join(Case, AuditEvent.case_id == Case.id).where(
                Case.number.ilike(_like(self.case)))
        # The dates people type are Tokyo dates; the log is stored in UTC.
        if self.date_from:
            stmt = stmt.where(AuditEvent.created_at >= _tokyo_midnight(self.date_from))
        if self.date_to:
            day_after = self.date_to + timedelta(days=1)
            stmt = stmt.where(AuditEvent.created_at < _tokyo_midnight(day_after))
        return stmt


def _like(text: str) -> str:
    return "%" + text.replace("%", "").replace("_", "") + "%"


def _tokyo_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, TOKYO)


def events_query(filters: AuditFilters) -> Select:
    stmt = select(AuditEvent).options(joinedload(AuditEvent.actor),
                                      joinedload(AuditEvent.on_behalf_of))
    return filters.apply(stmt).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def cases_of(session, events) -> dict[int, Case]:
    """The cases the events point at, in one query."""
    ids = {e.case_id for e in events if e.case_id}
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))}


def _value(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if key == "role" and isinstance(value, str):
        return role_label(value)
    if key == "active" and isinstance(value, bool):
        return _("利用中") if value else _("停止")
    if key == "reason" and isinstance(value, str):
        return str(END_REASON_LABELS.get(value, value))
    if key == "kind" and isinstance(value, str):
        return str(DEPARTMENT_KINDS.get(value, value))
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(value, list | tuple):
        return "、".join(_value(key, v) for v in value)
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _label(key: str) -> str:
    return str(DATA_LABELS.get(key, key))


def data_lines(data: dict | None, skip: tuple[str, ...] = (), changes: bool = False) -> list[str]:
    """Each data item as 「label: value」; with ``changes`` each is 「label: before → after」."""
    lines = []
    for key, value in (data or {}).items():
        if key in skip:
            continue
        if key == "changes" and isinstance(value, dict):
            lines.extend(data_lines(value, changes=True))
        elif changes and isinstance(value, list) and len(value) == 2:
            lines.append(f"{_label(key)}：{_value(key, value[0])} → {_value(key, value[1])}")
        else:
            lines.append(f"{_label(key)}：{_value(key, value)}")
    return lines


def summary(event: AuditEvent) -> str:
    """One line saying what happened."""
    data = event.data or {}
    if event.kind in ("user_admin", "department_admin"):
        action = str(ACTION_LABELS.get(data.get("action"), data.get("action", "")))
        return f"{kind_label(event.kind)}：{action}（{data.get('target', '')}）"
    if event.kind == "login":
        return _("ログインしました")
    if event.kind == "login_failed":
        return _("ログインに失敗しました")
    if event.kind == "logout":
        return _("ログアウトしました")
    if event.kind == "password":
        return _("自分のパスワードを変更しました")
    if event.kind == "session_end":
        return _("セッションを終了しました（%(target)s）", target=data.get("target", ""))
    if event.kind == "login_locked":
        return _("ログインを一時的にロックしました（%(target)s）", target=data.get("target", ""))
    if event.kind == "comment":
        if data.get("kind") == "advice":
            return _("外部有識者の助言を記録しました")
        return _("コメントを投稿しました")
    if event.kind == "transition" and event.trigger in BY_TRIGGER:
        # The states themselves are shown beside it (badges on screen, columns in the CSV).
        return _("「%(action)s」", action=BY_TRIGGER[event.trigger].label(lang()))
    text = event_text(event)
    return kind_label(event.kind) if text == event.kind else text


def details(event: AuditEvent) -> list[str]:
    """The event's data as readable lines (the summary already names the action and target)."""
    if event.kind in ("attachment", "supporter", "assigned", "transition", "comment"):
        return []
    return data_lines(event.data, skip=("action", "target"), changes=event.kind == "updated")
