"""Transition notifications: who hears about a move, queued inside the transition's transaction."""

from __future__ import annotations

from sqlalchemy import or_, select

from notifications.messages import render
from notifications.outbox import Pending, Recipient, enqueue
from notifications.settings import from_environment
from workflow.effects import Fired, on_any_transition
from workflow.models import Case, User
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
_COLUMNS = (User.id, User.name, User.email, User.language, User.email_reminders)


def audience(session, case: Case, trigger: str, actor_id: int) -> list[Recipient]:
    groups = AUDIENCE.get(trigger, ())
    conditions = []
    if "requester" in groups and case.requester_id:
        conditions.append(User.id == case.requester_id)
    if "assignee" in groups and case.assignee_id:
        conditions.append(User.id == case.assignee_id)
    if "managers" in groups:
        conditions.append((User.role == "dept_manager")
                          & (User.department_id == case.department_id))
    if "office_leads" in groups:
        conditions.append(User.role == "office_lead")
    if not conditions:
        return []
    rows = session.execute(select(*_COLUMNS).where(or_(*conditions), User.active.is_(True),
                                                   User.id != actor_id))
    return [Recipient(r.id, r.name, r.email, r.language, r.email_reminders) for r in rows]


@on_any_transition
def notify_transition(fired: Fired) -> None:
    recipients = audience(fired.session, fired.case, fired.trigger, fired.actor.id)
    if not recipients:
        return
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
            webhook=bool(settings.webhook_url))
