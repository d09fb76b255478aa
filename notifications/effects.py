"""Transition notifications: who hears about a move, queued inside the transition's transaction."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, exists, or_, select

from notifications.messages import render
from notifications.outbox import Pending, Recipient, enqueue
from notifications.settings import from_environment
from workflow.effects import Fired, on_any_transition
from workflow.models import Case, NotificationPreference, User
from workflow.states import BY_TRIGGER, state_label

# trigger -> who is told: the requester, the assigned office member, the bureau's managers,
# the office leads.
AUDIENCE: dict[str, tuple[str, ...]] = {
    "submit": ("office_leads",),
    "send_back": ("requester",),
    "accept": ("requester",),
    "reject": ("requester", "managers"),
    "send_proposal": ("requester", "managers"),
    "ask_revision": ("assignee",),
    "decide_go": ("assignee", "requester"),
    "decide_no": ("assignee",),
    "submit_plan": ("managers",),
    "return_plan": ("requester", "assignee"),
    "approve_plan": ("requester", "assignee"),
    "go_live": ("managers", "requester"),
    "improve": ("requester", "assignee"),
    "complete": ("requester", "assignee"),
    "withdraw": ("assignee",),
    "hold": ("requester",),
    "resume": ("requester",),
    "reopen": ("requester", "assignee"),
}
_USERS = User.__table__
_PREFS = NotificationPreference.__table__
# One statement for every trigger, built once: which groups a trigger tells is passed as
# parameters (a NULL never matches), so SQLAlchemy neither rebuilds nor recompiles it per
# transition, and the e-mail opt-out for "transition" comes in the same row.
_AUDIENCE = (
    select(_USERS.c.id, _USERS.c.name, _USERS.c.email, _USERS.c.language,
           _USERS.c.email_reminders,
           exists().where(_PREFS.c.user_id == _USERS.c.id, _PREFS.c.reason == "transition",
                          _PREFS.c.email.is_(False)).label("opted_out"))
    .where(_USERS.c.active.is_(True), _USERS.c.id != bindparam("actor_id"),
           or_(_USERS.c.id == bindparam("requester_id"),
               _USERS.c.id == bindparam("assignee_id"),
               and_(_USERS.c.role == bindparam("manager_role"),
                    _USERS.c.department_id == bindparam("department_id")),
               _USERS.c.role == bindparam("lead_role")))
)


def _audience_rows(session, case: Case, trigger: str, actor_id: int):
    groups = AUDIENCE.get(trigger, ())
    params = {
        "actor_id": actor_id,
        "requester_id": case.requester_id if "requester" in groups else None,
        "assignee_id": case.assignee_id if "assignee" in groups else None,
        "manager_role": "dept_manager" if "managers" in groups else None,
        "department_id": case.department_id,
        "lead_role": "office_lead" if "office_leads" in groups else None,
    }
    if not any(params[k] for k in ("requester_id", "assignee_id", "manager_role", "lead_role")):
        return []
    return session.connection().execute(_AUDIENCE, params).all()


def audience(session, case: Case, trigger: str, actor_id: int) -> list[Recipient]:
    return [Recipient(r.id, r.name, r.email, r.language, r.email_reminders)
            for r in _audience_rows(session, case, trigger, actor_id)]


@on_any_transition
def notify_transition(fired: Fired) -> None:
    rows = _audience_rows(fired.session, fired.case, fired.trigger, fired.actor.id)
    if not rows:
        return
    recipients = [Recipient(r.id, r.name, r.email, r.language, r.email_reminders) for r in rows]
    opt_outs = {(r.id, "transition") for r in rows if r.opted_out}
    settings = from_environment()
    transition = BY_TRIGGER[fired.trigger]
    case = fired.case
    pending = [
        Pending(r, "transition", "case", case.id, f"event-{fired.event_id}",
                render("transition", r.language, name=r.name, number=case.number, title=case.title,
                       action=transition.label(r.language), actor=fired.actor.name,
                       state=state_label(fired.to_state, r.language),
                       comment=f"「{fired.comment}」\n" if fired.comment else "",
                       url=f"{settings.base_url}/cases/{case.id}"),
                data={"case_id": case.id, "trigger": fired.trigger})
        for r in recipients
    ]
    enqueue(fired.session, pending, now=fired.now, email_enabled=settings.smtp.enabled,
            webhook=bool(settings.webhook_url), opt_outs=opt_outs)
