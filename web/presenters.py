"""Template helpers that turn domain objects into the words and figures people read."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, current_app
from flask_babel import gettext as _

from web.i18n import lang
from web.markdown import render_markdown
from workflow.states import BY_TRIGGER, PHASES, state_label


def N_(message: str) -> str:
    """Marks a msgid for extraction; translated where it is shown (``_(FIELD_LABELS[k])``)."""
    return message


FIELD_LABELS = {
    "title": N_("件名"), "case_type": N_("相談の種類"), "priority": N_("優先度"),
    "category": N_("分類"), "values": "VALUE", "description": N_("相談内容"),
    "current_problem": N_("現在の課題"), "desired_outcome": N_("目指す姿"),
    "proposal_text": N_("提案内容"), "assignee_id": N_("統括室担当"),
    "department_id": N_("所管部局"),
}


def phase_label(name: str) -> str:
    phase = next((p for p in PHASES if p.name == name), None)
    return phase.label(lang()) if phase else name


def kpi_number(value: Decimal | None, text: str = "") -> str:
    """1,300 for numbers (no trailing .0000), the text for text targets, － for nothing."""
    if value is None:
        return text or "－"
    normalized = value.normalize() if isinstance(value, Decimal) else Decimal(str(value))
    if normalized == normalized.to_integral():
        return f"{int(normalized):,}"
    return f"{normalized:,f}"


def plan_years(plan) -> list[int]:
    years = sorted({t.fiscal_year for k in plan.kpis for t in k.targets})
    return years[-4:]


def event_text(event) -> str:
    data = event.data or {}
    if event.kind == "transition":
        t = BY_TRIGGER.get(event.trigger)
        label = t.label(lang()) if t else event.trigger
        return _("「%(action)s」%(src)s → %(dst)s", action=label,
                 src=state_label(event.from_state, lang()), dst=state_label(event.to_state, lang()))
    if event.kind == "created":
        return _("案件を登録しました")
    if event.kind == "imported" and data.get("action") == "update":
        return _("データ取り込みで更新しました（%(source)s）", source=data.get("source", ""))
    if event.kind == "imported":
        return _("データ取り込みで登録しました（%(source)s）", source=data.get("source", ""))
    if event.kind == "updated":
        fields = ("、" if lang() == "ja" else ", ").join(_(FIELD_LABELS.get(k, k)) for k in data)
        return _("内容を更新しました（%(fields)s）", fields=fields)
    if event.kind == "plan":
        if data.get("kpi"):
            return _("実行計画を更新しました：%(kpi)s", kpi=data["kpi"])
        return _("実行計画を更新しました")
    if event.kind == "attachment":
        return _("ファイルを添付しました：%(name)s", name=data.get("filename", ""))
    if event.kind == "supporter":
        if data.get("action") == "removed":
            return _("支援者から外しました：%(who)s", who=data.get("name", ""))
        return _("支援者に追加しました：%(who)s", who=data.get("name", ""))
    if event.kind == "assigned":
        return _("統括室担当を変更しました：%(who)s", who=data.get("name", ""))
    if event.kind == "review":
        return _("KPI評価を提出しました")
    return event.kind


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals.update(
        phase_label=phase_label, kpi_number=kpi_number, plan_years=plan_years,
        event_text=event_text,
        has_endpoint=lambda name: name in current_app.view_functions,
    )
