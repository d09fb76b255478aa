"""KPI reviews: managers' reviews due and the review form; the office's overview of overdue ones."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from web.authz import acting_principal, principals, roles, today, visible_cases_clause
from web.errors import render_error
from web.extensions import db
from web.i18n import lang
from web.plans.forms import FigureError, parse_figure
from web.reviews.blueprint import bp
from web.reviews.forms import ReviewForm
from workflow.business_days import business_days_between
from workflow.errors import InvalidInput, StaleVersion, WorkflowError
from workflow.models import Case, Department, Review
from workflow.reviews.submission import ActualInput, kpi_rows, may_submit, submit_review
from workflow.vocabulary import ASSESSMENTS

SOON_BUSINESS_DAYS = 10


def _status(review: Review, day) -> tuple[str, int]:
    """("overdue" | "soon" | "ok" | "done", business days overdue or left)."""
    if review.status != "open":
        return "done", 0
    days = business_days_between(review.due_date, day)
    if days > 0:
        return "overdue", days
    left = business_days_between(day, review.due_date)
    return ("soon" if left <= SOON_BUSINESS_DAYS else "ok"), left


def _mine():
    """Reviews the current user (or someone they substitute for) owns or, unowned, manages."""
    people = principals()
    ids = [p.id for p in people]
    managed = [p.department_id for p in people if p.role == "dept_manager" and p.department_id]
    owned = Review.owner_id.in_(ids)
    if managed:
        owned = owned | (Review.owner_id.is_(None) & Case.department_id.in_(managed))
    return owned


@bp.route("/")
@roles("dept_manager", "office_lead", "requester")
def index():
    day = today()
    reviews = db.session.scalars(
        select(Review).join(Case, Case.id == Review.case_id)
        .options(joinedload(Review.owner))
        .where(_mine(), visible_cases_clause())
        .order_by(Review.status.desc(), Review.due_date)
    ).all()
    cases = {c.id: c for c in db.session.scalars(
        select(Case).options(joinedload(Case.department))
        .where(Case.id.in_({r.case_id for r in reviews})))}
    rows = [(r, cases[r.case_id], *_status(r, day)) for r in reviews]
    return render_template("reviews/index.html", rows=rows)


@bp.route("/overview")
@roles("office", "office_lead", "executive")
def overview():
    """Overdue and upcoming reviews per bureau, for the Digital Office."""
    day = today()
    open_reviews = db.session.execute(
        select(Review, Case, Department.name, Department.name_en)
        .join(Case, Case.id == Review.case_id).join(Department, Department.id == Case.department_id)
        .options(joinedload(Review.owner))
        .where(Review.status == "open", Case.state == "review_monitoring")
        .order_by(Review.due_date)
    ).all()
    per_bureau: dict[str, dict[str, int]] = {}
    overdue = []
    for review, case, dept, dept_en in open_reviews:
        status, days = _status(review, day)
        name = dept_en if lang() == "en" and dept_en else dept
        counts = per_bureau.setdefault(name, {"open": 0, "soon": 0, "overdue": 0})
        counts["open"] += 1
        if status in ("soon", "overdue"):
            counts[status] += 1
        if status == "overdue":
            overdue.append((review, case, name, days))
    submitted = db.session.scalar(select(func.count()).select_from(Review)
                                  .where(Review.status == "submitted"))
    bureaus = sorted(per_bureau.items(), key=lambda kv: (-kv[1]["overdue"], -kv[1]["open"], kv[0]))
    return render_template("reviews/overview.html", bureaus=bureaus, overdue=overdue,
                           submitted=submitted)


def _typed_actual(kpi, raw: str) -> ActualInput:
    """A typed actual, read as the plan editor reads figures; ValueError for a numeric KPI
    given something that is not a number."""
    if not kpi_is_numeric(kpi):
        return ActualInput(kpi.id, None, raw)
    try:
        figure = parse_figure(raw, kpi.unit)
    except FigureError:
        raise ValueError(raw) from None
    if isinstance(figure, str):
        raise ValueError(raw)
    return ActualInput(kpi.id, figure, "")


@bp.route("/<int:review_id>", methods=["GET", "POST"])
@roles("dept_manager", "office_lead", "office", "requester", "executive")
def form(review_id: int):
    review = db.session.get(Review, review_id)
    case = db.session.scalar(select(Case).where(Case.id == (review.case_id if review else -1),
                                                visible_cases_clause()))
    if review is None or case is None:
        abort(404)
    actor, behalf = acting_principal(case, {"dept_manager", "office_lead"})
    editable = may_submit(db.session, behalf or actor, review, case)
    rows = kpi_rows(db.session, case, review.fiscal_year)
    form = ReviewForm()
    form.set_choices(lang())
    if request.method == "GET":
        form.version.data = case.version
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            actuals, errors = [], []
            for kpi, _target, _actual in rows:
                try:
                    actuals.append(_typed_actual(kpi, request.form.get(f"actual-{kpi.id}", "")))
                except ValueError:
                    errors.append(_("「%(kpi)s」の実績は数値で入力してください", kpi=kpi.name))
            if not errors:
                try:
                    submit_review(db.session, review, actor, assessment=form.assessment.data,
                                  actuals=actuals, comment=form.comment.data or "",
                                  next_actions=form.next_actions.data or "",
                                  outcome=form.outcome.data or None,
                                  expected_version=form.version.data, on_behalf_of=behalf)
                except StaleVersion as exc:
                    return render_error(409, exc.message(lang()))
                except InvalidInput as exc:
                    errors.extend(r.text(lang()) for r in exc.reasons)
                except WorkflowError as exc:
                    errors.append(exc.message(lang()))
                else:
                    flash(_("KPI評価を提出しました。"), "success")
                    return redirect(url_for("cases.detail", case_id=case.id))
            for e in errors:
                flash(e, "error")
    status, days = _status(review, today())
    return render_template("reviews/form.html", review=review, case=case, rows=rows, form=form,
                           editable=editable, status=status, days=days, assessments=ASSESSMENTS)


def kpi_is_numeric(kpi) -> bool:
    """Text-step KPIs (e.g. 構築 → 運用) take a text actual; the rest a number."""
    return kpi.baseline is not None or any(t.value is not None for t in kpi.targets) or not any(
        t.text for t in kpi.targets)
