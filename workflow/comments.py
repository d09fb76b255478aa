"""Comments on a case (Markdown), including advice from outside advisers (外部有識者の助言)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from workflow import access
from workflow.errors import AccessDenied, InvalidInput
from workflow.models import Case, Comment, User, utcnow
from workflow.people.audit import record
from workflow.states import Reason

MAX_LENGTH = 10_000
KINDS = ("comment", "advice")
# Advice is shown as coming from an outside expert (外部有識者の助言): experts write it, and the
# Digital Office records what an adviser said; bureau staff may not label their own words so.
KIND_ROLES = {
    "comment": frozenset({"requester", "dept_manager", "office", "office_lead", "expert"}),
    "advice": frozenset({"office", "office_lead", "expert"}),
}


def kinds_for(*users: User) -> list[str]:
    """The comment kinds any of ``users`` (a person and whoever they stand in for) may post."""
    return [k for k in KINDS if any(u.role in KIND_ROLES[k] for u in users)]


def add_comment(session: Session, case: Case, author: User, body: str, *, kind: str = "comment",
                on_behalf_of: User | None = None, now: datetime | None = None) -> Comment:
    principal = on_behalf_of or author
    if not access.can_comment(session, principal, case):
        raise AccessDenied("この案件にはコメントできません", "You may not comment on this case")
    body = (body or "").strip()
    if not body or len(body) > MAX_LENGTH:
        raise InvalidInput({"body": [Reason(
            "invalid_comment", f"コメントは1〜{MAX_LENGTH}文字で入力してください",
            f"Enter a comment of 1 to {MAX_LENGTH} characters")]})
    if kind not in KINDS:
        raise InvalidInput({"kind": [Reason(
            "invalid_kind", "コメントの種類は comment か advice です",
            "The kind of a comment is comment or advice")]})
    if kind not in kinds_for(author, principal):
        raise InvalidInput({"kind": [Reason(
            "kind_not_allowed",
            "外部有識者の助言として投稿できるのは外部専門人材とデジタル統括室だけです",
            "Only experts and the Digital Office may post a comment as external advice")]})
    now = now or utcnow()
    comment = Comment(case_id=case.id, author_id=author.id, body=body, kind=kind, created_at=now,
                      on_behalf_of_id=on_behalf_of.id if on_behalf_of else None)
    session.add(comment)
    session.flush()
    record(session, "comment", author, case_id=case.id, on_behalf_of=on_behalf_of, now=now,
           data={"comment_id": comment.id, "kind": kind})
    session.commit()
    return comment
