"""The DX HQ's read-only dashboard: the support KPIs against the plan, and the portfolio's flow.

Open to the executives (DX推進本部) and to the Digital Office, whose work the figures measure.
It shows counts only, never a case, so the office's staff may see it too; bureau roles may
not, because the per-bureau counts describe other bureaus' cases.
"""

from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext as _

from web.authz import roles
from web.dashboard.blueprint import bp
from web.dashboard.charts import chart_data, stage_label
from web.dashboard.figures import portfolio_figures
from web.i18n import lang
from workflow.fiscal import fiscal_year, parse_fiscal_year
from workflow.models import utcnow
from workflow.reports import metrics

DASHBOARD_ROLES = ("executive", "office_lead", "office")


def _year_options(current: int) -> list[int]:
    return sorted({*metrics.PLAN_YEARS, current})


def _selected_year(options: list[int], current: int) -> int:
    raw = request.args.get("fy", "").strip()
    if not raw:
        return current
    year = parse_fiscal_year(raw)  # "2024", "2024年度" and "令和6年度" all work
    if year in options:
        return year
    flash(_("指定された年度は表示できません。今年度の数値を表示しています。"), "warning")
    return current


@bp.route("/")
@roles(*DASHBOARD_ROLES)
def index():
    now = utcnow()
    current = fiscal_year(now)
    options = _year_options(current)
    selected = _selected_year(options, current)
    figures = portfolio_figures(options, now)
    return render_template(
        "dashboard/index.html",
        now=figures.as_of, current=current, options=options, selected=selected,
        kpis=figures.support, flow=figures.flow, chart_data=chart_data(figures.flow, lang()),
        kpi_label=lambda key: metrics.support_kpi_label(key, lang()),
        kpi_rule=lambda key: metrics.support_kpi_rule(key, lang()),
        stage_label=lambda stage: stage_label(stage, lang()),
    )
