"""My tasks (everything waiting on me, and on those I stand in for) and my substitutes (代理者)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from web.auth.landing import home_url
from web.authz import ANY_SIGNED_IN, principals, roles, today
from web.extensions import db
from web.i18n import format_date_only, lang
from web.navigation import dept_name, role_label
from web.request_input import page_number
from web.tasks.blueprint import bp
from web.tasks.forms import SubstituteForm
from workflow.errors import InvalidInput, WorkflowError
from workflow.models import Substitution, User
from workflow.people.substitutes import (
    current_and_upcoming,
    eligible_substitutes,
    end_substitution,
    name_substitute,
)
from workflow.queries.tasks import KINDS, Task, kind_label, sort_tasks, tasks_for

# Roles with case work of their own; executives and administrators only read.
TASK_ROLES = ("requester", "dept_manager", "office", "office_lead", "expert")
SORTS = ("due", "number", "kind")


def _url(endpoint: str, **values) -> str | None:
    """The URL of ``endpoint`` if this app has it (pages other helpers are still building)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def task_links(task: Task) -> tuple[str, list[tuple[str, str]]]:
    """Where the work is done, and further pages that help with it."""
    case_id = task.case.id
    page = url_for("cases.detail", case_id=case_id)
    plan = _url("plans.edit", case_id=case_id)
    if task.kind == "draft":
        return url_for("cases.edit", case_id=case_id), []
    if task.kind == "triage":
        queue = _url("office.triage")
        return page + "#actions", [(_("受付待ち一覧"), queue)] if queue else []
    if task.kind == "proposal":
        return _url("office.proposal", case_id=case_id) or page + "#actions", []
    if task.kind == "planning":
        return plan or page, [(_("案件ページ"), page)] if plan else []
    if task.kind == "plan_approval":
        return page + "#actions", [(_("実行計画を確認"), plan)] if plan else []
    if task.kind == "decision":
        return page + "#proposal", []
    if task.kind == "review":
        return _url("reviews.form", review_id=task.review_id) or page + "#reviews", []
    return page + "#actions", []


def _collect(people: list[User], day) -> list[Task]:
    """Tasks of the user and of everyone they stand in for, each once (own first)."""
    seen, tasks = set(), []
    for person in people:
        for task in tasks_for(db.session, person, day):
            key = (task.kind, task.case.id, task.review_id)
            if key not in seen:
                seen.add(key)
                tasks.append(task)
    return tasks


@bp.route("/")
@roles(*ANY_SIGNED_IN)
def index():
    people = principals()
    if not any(p.role in TASK_ROLES for p in people):
        return render_template("tasks/index.html", no_work=True, home=home_url(current_user))
    day = today()
    everything = _collect(people, day)
    kind = request.args.get("kind", "")
    kind = kind if kind in KINDS else ""
    overdue_only = request.args.get("overdue") == "1"
    sort = request.args.get("sort", "due")
    sort = sort if sort in SORTS else "due"
    shown = [t for t in everything if (not kind or t.kind == kind)
             and (not overdue_only or t.overdue)]
    shown = sort_tasks(shown, sort)
    manager_view = any(p.role == "dept_manager" for p in people)
    decisions = [t for t in shown if t.is_decision] if manager_view else []
    others = ListPage([t for t in shown if not (manager_view and t.is_decision)],
                      page_number())
    return render_template(
        "tasks/index.html", no_work=False, decisions=decisions, others=others,
        manager_view=manager_view, total=len(everything),
        overdue_count=sum(t.overdue for t in everything),
        kinds=[(k, kind_label(k, lang())) for k in KINDS], kind=kind,
        overdue_only=overdue_only, sort=sort, filtered=bool(kind or overdue_only),
        task_links=task_links, day=day,
    )


class ListPage:
    """One page of an in-memory list, shaped like Flask-SQLAlchemy's pagination for the macro:
    the office lead can have thousands of tasks, and rendering them all takes half a second."""

    per_page = 50

    def __init__(self, items: list, page: int) -> None:
        self.total = len(items)
        self.pages = max(1, -(-self.total // self.per_page))
        self.page = min(max(page, 1), self.pages)
        start = (self.page - 1) * self.per_page
        self.items = items[start:start + self.per_page]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1

    def __bool__(self) -> bool:
        return self.total > 0


def _describe(user: User) -> str:
    return f"{user.name}（{role_label(user.role)}・{dept_name(user.department)}）"


@bp.route("/substitutes", methods=["GET", "POST"])
@roles(*TASK_ROLES)
def substitutes():
    me = current_user._get_current_object()
    day = today()
    colleagues = eligible_substitutes(db.session, me) if me.role in TASK_ROLES else []
    form = SubstituteForm()
    form.set_choices(colleagues, _describe)
    if request.method == "GET":
        form.starts_on.data = day
    if form.validate_on_submit():
        chosen = db.session.get(User, form.substitute_id.data) if form.substitute_id.data else None
        try:
            s = name_substitute(db.session, me, chosen, form.starts_on.data, form.ends_on.data,
                                form.note.data or "", me, today=day)
        except InvalidInput as exc:
            for name, reasons in exc.field_errors.items():
                target = getattr(form, name, form.substitute_id)
                target.errors = list(target.errors) + [r.text(lang()) for r in reasons]
        else:
            flash(_("%(name)s さんを代理者に設定しました（%(start)s〜%(end)s）。",
                    name=s.substitute.name, start=format_date_only(s.starts_on),
                    end=format_date_only(s.ends_on)), "success")
            return redirect(url_for("tasks.substitutes"))
    entries = current_and_upcoming(db.session, me, day)
    return render_template(
        "tasks/substitutes.html", form=form, day=day, has_colleagues=bool(colleagues),
        mine=[s for s in entries if s.principal_id == me.id],
        standing_in=[s for s in entries if s.substitute_id == me.id],
    )


@bp.route("/substitutes/<int:substitution_id>/end", methods=["POST"])
@roles(*TASK_ROLES)
def end_substitute(substitution_id: int):
    substitution = db.session.get(Substitution, substitution_id)
    me = current_user._get_current_object()
    if substitution is None or me.id not in (substitution.principal_id, substitution.substitute_id):
        abort(404)
    try:
        end_substitution(db.session, substitution, me, today=today())
    except WorkflowError as exc:
        flash(exc.message(lang()), "error")
    else:
        flash(_("代理の設定を終了しました。"), "success")
    return redirect(url_for("tasks.substitutes"))
