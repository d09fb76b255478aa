"""Firing a transition from the case page: the engine decides, the view only reports."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from web.auth.landing import safe_next
from web.authz import acting_principal, get_case_or_404, roles
from web.cases.blueprint import bp
from web.cases.forms import TransitionForm
from web.errors import render_error
from web.extensions import db
from web.i18n import lang
from workflow import engine
from workflow.errors import GuardFailed, StaleVersion, WorkflowError
from workflow.states import BY_TRIGGER, state_label


@bp.route("/<int:case_id>/transitions/<trigger>", methods=["POST"])
@roles("requester", "dept_manager", "office", "office_lead")
def fire(case_id: int, trigger: str):
    case = get_case_or_404(case_id, need="change")
    transition = BY_TRIGGER.get(trigger)
    if transition is None:
        abort(404)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    actor, behalf = acting_principal(case, transition.roles)
    try:
        result = engine.fire(db.session, case, trigger, actor, comment=form.comment.data,
                             expected_version=form.version.data, on_behalf_of=behalf)
    except StaleVersion as exc:
        return render_error(409, exc.message(lang()))
    except GuardFailed as exc:
        for reason in exc.reasons:
            flash(reason.text(lang()), "error")
    except WorkflowError as exc:
        flash(exc.message(lang()), "error")
    else:
        flash(_("「%(action)s」を実行しました。現在の状態：%(state)s",
                action=transition.label(lang()), state=state_label(result.to_state, lang())),
              "success")
    # Forms on other pages (the plan editor) send the user back where they were.
    return redirect(safe_next(request.form.get("next")) or url_for("cases.detail", case_id=case.id))
