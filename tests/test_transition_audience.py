"""Who hears about a transition, read in one statement with their e-mail opt-out.

``accept`` tells the requester and ``send_proposal`` the requester and the bureau's managers;
the one firing is never told; an e-mail goes out only with SMTP configured, to someone who has
not switched transition e-mails off (``NotificationPreference``) nor all e-mails
(``email_reminders``). The inbox always gets the message.
"""

from __future__ import annotations

from sqlalchemy import func, select

from tests.workflow_helpers import NOW, fire_as, new_case, walk_to
from workflow.models import Notification, NotificationPreference


def _channels(session, user_id, after=0):
    return sorted(n.channel for n in session.scalars(
        select(Notification).where(Notification.recipient_id == user_id,
                                   Notification.reason == "transition",
                                   Notification.id > after)))


def _last_id(session):
    return session.scalar(select(func.max(Notification.id))) or 0


def test_opted_out_requester_gets_the_inbox_but_no_email(session, people, monkeypatch):
    monkeypatch.setenv("DXFLOW_SMTP_HOST", "127.0.0.1")
    requester = people["requester"]
    session.add(NotificationPreference(user_id=requester.id, reason="transition", email=False))
    session.commit()
    case = walk_to(session, new_case(session, requester), "consultation_submitted", people, NOW)
    fire_as(session, case, "accept", people["office"], NOW)
    assert _channels(session, requester.id) == ["inbox"]


def test_requester_and_managers_get_both_but_not_the_actor_nor_the_muted(
        session, people, make_user, monkeypatch):
    monkeypatch.setenv("DXFLOW_SMTP_HOST", "127.0.0.1")
    muted = make_user("dept_manager")
    muted.email_reminders = False
    other_bureau = make_user("dept_manager", "digital")
    session.commit()
    case = walk_to(session, new_case(session, people["requester"]), "consultation_proposing",
                   people, NOW)
    before = _last_id(session)
    fire_as(session, case, "send_proposal", people["office"], NOW)
    assert _channels(session, people["requester"].id, before) == ["email", "inbox"]
    assert _channels(session, people["dept_manager"].id, before) == ["email", "inbox"]
    assert _channels(session, muted.id, before) == ["inbox"]
    assert _channels(session, other_bureau.id, before) == []
    assert _channels(session, people["office"].id, before) == []


def test_without_smtp_only_the_inbox(session, people, monkeypatch):
    monkeypatch.delenv("DXFLOW_SMTP_HOST", raising=False)
    case = walk_to(session, new_case(session, people["requester"]), "consultation_submitted",
                   people, NOW)
    fire_as(session, case, "accept", people["office"], NOW)
    assert _channels(session, people["requester"].id) == ["inbox"]
