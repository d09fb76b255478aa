"""The plan editor (実行計画): the bureau and the Digital Office fill it in together during
planning; everyone who may see the case may read it."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from web.authz import ANY_SIGNED_IN, acting_principal, get_case_or_404, principals, roles
from web.errors import render_error
from web.extensions import db
from web.i18n import lang
from web.plans.blueprint import bp
from web.plans.forms import KpiForm, PlanForm, kpi_form
from web.plans.progress import plan_progress, target_years
from web.presenters import kpi_number
from web.request_input import parse_int
from workflow.errors import AccessDenied, InvalidInput, StaleVersion
from workflow.models import Case, Kpi, Plan, User, utcnow
from workflow.plans import (
    KPI_STATES,
    NOTE_STATES,
    PLAN_ROLES,
    KpiInput,
    may_edit_plan,
    plan_for,
    remove_kpi,
    save_kpi,
    update_plan,
)

EDITOR_ROLES = tuple(sorted(PLAN_ROLES))


def _may_edit(case: Case, states) -> bool:
    return any(may_edit_plan(db.session, p, case, states) for p in principals())


def _managers(case: Case) -> list[User]:
    """Who may own a KPI: the managers of the case's bureau."""
    return list(db.session.scalars(select(User).where(
        User.role == "dept_manager", User.department_id == case.department_id,
        User.active.is_(True)).order_by(User.name)))


def _figure_text(value: Decimal | None, text: str) -> str:
    return "" if value is None and not text else kpi_number(value, text)


def _plan_data(plan: Plan | None) -> dict:
    if plan is None:
        return {}
    data = {name: getattr(plan, name) for name in PlanForm.TEXT_FIELDS}
    data.update({f"check_{k}": v for k, v in plan.security_checklist.items()})
    data["review_cadence"] = plan.review_cadence or ""
    return data


def _kpi_data(kpi: Kpi, years) -> dict:
    data = {"name": kpi.name, "unit": kpi.unit, "direction": kpi.direction,
            "baseline": _figure_text(kpi.baseline, kpi.baseline_text),
            "baseline_label": kpi.baseline_label, "note": kpi.note,
            "owner_id": str(kpi.owner_id) if kpi.owner_id else ""}
    for fy in years:
        target = kpi.target_for(fy)
        data[f"target_{fy}"] = _figure_text(target.value, target.text) if target else ""
    return data


def _kpi_prefix(kpi_id: int | None) -> str:
    return f"kpi-{kpi_id}" if kpi_id else "kpi-new"


def _load_plan(case: Case) -> Plan | None:
    """The plan with its KPIs, their targets and owners in a fixed number of queries."""
    kpis = selectinload(Plan.kpis)
    return db.session.scalar(select(Plan).where(Plan.case_id == case.id).options(
        kpis.selectinload(Kpi.targets), kpis.joinedload(Kpi.owner)))


def _render(case: Case, *, plan_form: PlanForm | None = None,
            posted_kpi: tuple[int | None, KpiForm] | None = None):
    if (plan_form and plan_form.errors) or (posted_kpi and posted_kpi[1].errors):
        flash(_("入力内容に誤りがあります。赤字の項目を確認してください。"), "error")
    plan = _load_plan(case)
    progress = plan_progress(db.session, case, plan, principals(), utcnow())
    may_edit_text, may_edit_kpis = _may_edit(case, NOTE_STATES), _may_edit(case, KPI_STATES)
    if may_edit_text and plan_form is None:
        plan_form = PlanForm(formdata=None, data=_plan_data(plan))
    kpis = list(plan.kpis) if plan else []
    kpi_forms: dict[int | None, KpiForm] = {}
    if may_edit_kpis:
        managers = _managers(case)
        for kpi_id, data in [*((k.id, _kpi_data(k, progress.years)) for k in kpis),
                             (None, {"direction": "increase"})]:
            if posted_kpi is not None and posted_kpi[0] == kpi_id:
                form = posted_kpi[1]
            else:
                form = kpi_form(progress.years, formdata=None, data=data,
                                prefix=_kpi_prefix(kpi_id))
            form.set_choices(lang(), managers)
            kpi_forms[kpi_id] = form
    years = sorted({*progress.years, *(t.fiscal_year for k in kpis for t in k.targets)})
    return render_template(
        "plans/edit.html", case=case, plan=plan, kpis=kpis, progress=progress, years=years,
        plan_form=plan_form if may_edit_text else None, kpi_forms=kpi_forms,
        may_remove_kpis=may_edit_text,
        revised=any(t.is_revised for k in kpis for t in k.targets),
    )


@bp.get("/<int:case_id>/plan")
@roles(*ANY_SIGNED_IN)
def edit(case_id: int):
    """The plan page: an editor for the planning roles while the plan may change, else read-only."""
    return _render(get_case_or_404(case_id))


@bp.get("/<int:case_id>/plan/reasons")
@roles(*ANY_SIGNED_IN)
def reasons(case_id: int):
    """What the saved plan still lacks before it can be submitted (plans.js polls this)."""
    case = get_case_or_404(case_id)
    progress = plan_progress(db.session, case, plan_for(db.session, case), principals(), utcnow())
    return jsonify(version=case.version, state=case.state, ready=not progress.submit_reasons,
                   reasons=[r.text(lang()) for r in progress.submit_reasons])


@bp.post("/<int:case_id>/plan")
@roles(*EDITOR_ROLES)
def save(case_id: int):
    """Every form of the plan page posts here; ``section`` says which one."""
    case = get_case_or_404(case_id, need="change")
    handler, states = SECTIONS.get(request.form.get("section", ""), (None, None))
    version = parse_int(request.form.get("version"))
    if handler is None or version is None:
        abort(400)
    if version != case.version:
        # Checked early so a stale page gets "changed by someone else", not "cannot edit now";
        # the workflow checks again atomically when it writes.
        return render_error(409, StaleVersion(version, case.version).message(lang()))
    if not _may_edit(case, states):
        return render_error(403, _("この段階では実行計画のこの部分を変更できません。"))
    actor, behalf = acting_principal(case, PLAN_ROLES)
    try:
        return handler(case, actor, behalf, int(version))
    except StaleVersion as exc:
        return render_error(409, exc.message(lang()))
    except AccessDenied as exc:
        return render_error(403, exc.message(lang()))


def _show_errors(form, exc: InvalidInput) -> None:
    for name, reasons in exc.field_errors.items():
        messages = [r.text(lang()) for r in reasons]
        target = form[name] if form is not None and name in form else None
        if target is not None:
            target.errors = [*target.errors, *messages]
        else:
            for message in messages:
                flash(message, "error")


def _save_plan_text(case: Case, actor, behalf, version: int):
    form = PlanForm()
    if not form.validate():
        return _render(case, plan_form=form)
    try:
        diff = update_plan(db.session, case, actor, form.changes(request.form),
                           expected_version=version, on_behalf_of=behalf)
    except InvalidInput as exc:
        _show_errors(form, exc)
        return _render(case, plan_form=form)
    flash(_("実行計画を保存しました。") if diff else _("変更はありませんでした。"),
          "success" if diff else "info")
    return redirect(url_for("plans.edit", case_id=case.id, _anchor="progress"))


def _posted_kpi_id(case: Case) -> int | None:
    raw = request.form.get("kpi_id", "")
    if not raw:
        return None
    plan, kpi_id = plan_for(db.session, case), parse_int(raw)
    if kpi_id is None or plan is None or kpi_id not in {k.id for k in plan.kpis}:
        abort(404)
    return kpi_id


def _save_kpi(case: Case, actor, behalf, version: int):
    kpi_id = _posted_kpi_id(case)
    form = kpi_form(target_years(utcnow()), prefix=_kpi_prefix(kpi_id))
    form.set_choices(lang(), _managers(case))
    if not form.validate():
        return _render(case, posted_kpi=(kpi_id, form))
    baseline = form.baseline.figure
    data = KpiInput(
        name=form.name.data, unit=form.unit.data or "", direction=form.direction.data,
        baseline=baseline if isinstance(baseline, Decimal) else None,
        baseline_text=baseline if isinstance(baseline, str) else "",
        baseline_label=form.baseline_label.data or "", note=form.note.data or "",
        owner_id=form.owner(),
        # Only the years the page showed: a target of another year stays as it is.
        targets={fy: f.figure for fy, f in form.target_fields() if f.name in request.form},
    )
    try:
        kpi = save_kpi(db.session, case, actor, data, kpi_id=kpi_id, expected_version=version,
                       on_behalf_of=behalf)
    except InvalidInput as exc:
        _show_errors(form, exc)
        return _render(case, posted_kpi=(kpi_id, form))
    if plan_for(db.session, case).approved_at is not None:
        flash(_("KPI「%(name)s」を保存しました。承認後の目標値の変更は修正として記録され、"
                "当初設定数値は（）内に表示されます。", name=kpi.name), "success")
    else:
        flash(_("KPI「%(name)s」を保存しました。", name=kpi.name), "success")
    return redirect(url_for("plans.edit", case_id=case.id, _anchor=f"kpi-{kpi.id}"))


def _remove_kpi(case: Case, actor, behalf, version: int):
    kpi_id = _posted_kpi_id(case)
    if kpi_id is None:
        abort(400)
    name = db.session.get(Kpi, kpi_id).name
    try:
        remove_kpi(db.session, case, actor, kpi_id, expected_version=version, on_behalf_of=behalf)
    except InvalidInput as exc:
        _show_errors(None, exc)
    else:
        flash(_("KPI「%(name)s」を削除しました。", name=name), "success")
    return redirect(url_for("plans.edit", case_id=case.id, _anchor="kpis"))


# section -> (handler, the states in which it may change the plan; workflow.plans decides)
SECTIONS = {"plan": (_save_plan_text, NOTE_STATES), "kpi": (_save_kpi, KPI_STATES),
            "remove_kpi": (_remove_kpi, NOTE_STATES)}
