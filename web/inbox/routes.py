"""The in-app inbox, e-mail preferences, and (for admins) dead-lettered notifications."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select, update

from notifications.dispatcher import retry_dead
from notifications.outbox import EMAIL_REASONS
from web.authz import ANY_SIGNED_IN, roles
from web.extensions import db
from web.inbox.blueprint import bp
from web.request_input import page_number
from workflow.models import Notification, NotificationPreference, utcnow
from workflow.people.audit import record

REASON_LABELS = {
    "review_due_soon": _l("KPI評価の期限が近づいたとき"),
    "review_due": _l("KPI評価の期限当日"),
    "review_overdue": _l("KPI評価が期限を過ぎたとき"),
    "review_escalation": _l("KPI評価の遅延のエスカレーション（統括室管理職）"),
    "triage_stale": _l("受付待ちの相談が滞っているとき（統括室管理職）"),
    "decision_stale": _l("提案へのご判断が滞っているとき（所属長）"),
    "transition": _l("案件の状態が変わったとき"),
}


def unread_count() -> int:
    if not current_user.is_authenticated:
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == current_user.id, Notification.channel == "inbox",
        Notification.read_at.is_(None))) or 0


@bp.route("/")
@roles(*ANY_SIGNED_IN)
def index():
    only_unread = request.args.get("unread") == "1"
    stmt = select(Notification).where(Notification.recipient_id == current_user.id,
                                      Notification.channel == "inbox")
    if only_unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    page = db.paginate(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()),
                       page=page_number(), per_page=30, error_out=False)
    return render_template("inbox/index.html", page=page, only_unread=only_unread)


def _target_url(notification: Notification) -> str:
    if notification.object_type == "review":
        return url_for("reviews.form", review_id=notification.object_id)
    if notification.object_type == "user":  # security notices about one's own account
        return url_for("auth.account")
    return url_for("cases.detail", case_id=notification.object_id)


@bp.route("/<int:notification_id>/open", methods=["POST"])
@roles(*ANY_SIGNED_IN)
def open_message(notification_id: int):
    """Mark as read and go to what the message is about."""
    notification = db.session.get(Notification, notification_id)
    if (notification is None or notification.recipient_id != current_user.id
            or notification.channel != "inbox"):
        abort(404)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return redirect(_target_url(notification))


@bp.route("/read-all", methods=["POST"])
@roles(*ANY_SIGNED_IN)
def read_all():
    db.session.execute(update(Notification).where(
        Notification.recipient_id == current_user.id, Notification.channel == "inbox",
        Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    flash(_("すべて既読にしました。"), "success")
    return redirect(url_for("inbox.index"))


@bp.route("/settings", methods=["GET", "POST"])
@roles(*ANY_SIGNED_IN)
def settings():
    """Which notifications also come by e-mail (the inbox always gets them)."""
    user = current_user._get_current_object()
    prefs = {p.reason: p for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    if request.method == "POST":
        user.email_reminders = request.form.get("email_reminders") == "1"
        for reason in EMAIL_REASONS:
            wanted = request.form.get(f"email-{reason}") == "1"
            pref = prefs.get(reason)
            if pref is None:
                pref = NotificationPreference(user_id=user.id, reason=reason)
                db.session.add(pref)
            pref.email = wanted
        record(db.session, "preferences", user, data={
            "email": user.email_reminders,
            "off": [r for r in EMAIL_REASONS if request.form.get(f"email-{r}") != "1"]})
        db.session.commit()
        flash(_("通知の設定を保存しました。"), "success")
        return redirect(url_for("inbox.settings"))
    choices = [(reason, str(REASON_LABELS[reason]),
                prefs[reason].email if reason in prefs else True)
               for reason in EMAIL_REASONS]
    return render_template("inbox/settings.html", choices=choices)


@bp.route("/dead-letters")
@roles("admin")
def dead_letters():
    rows = db.session.scalars(select(Notification).where(Notification.status == "dead")
                              .order_by(Notification.id.desc()).limit(200)).all()
    pending = db.session.scalar(select(func.count()).select_from(Notification)
                                .where(Notification.status == "pending")) or 0
    return render_template("inbox/dead_letters.html", rows=rows, pending=pending)


@bp.route("/dead-letters/<int:notification_id>/retry", methods=["POST"])
@roles("admin")
def retry(notification_id: int):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.status != "dead":
        abort(404)
    retry_dead(db.session, notification)
    record(db.session, "outbox_admin", current_user._get_current_object(),
           data={"action": "retry", "notification": notification_id})
    db.session.commit()
    flash(_("再送を予約しました。"), "success")
    return redirect(url_for("inbox.dead_letters"))
