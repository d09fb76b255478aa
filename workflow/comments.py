"""Comments on a case (Markdown), including advice from outside advisers (外部有識者の助言)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from workflow import access
from workflow.errors import AccessDenied, InvalidInput
from workflow.models import Case, Comment, User, utcnow
from workflow.people.users import record
from workflow.states import Reason

MAX_LENGTH = 10_000
KINDS = ("comment", "advice")


def add_comment(session: Session, case: Case, author: User, body: str, *, kind: str = "comment",
                on_behalf_of: User | None = None, now: datetime | None = None) -> Comment:
    principal = on_behalf_of or author
    if not access.can_comment(session, principal, case):
        raise AccessDenied("この案件にはコメントできません", "You may not comment on this case")
    body = (body or "").strip()
    if not body or len(body) > MAX_LENGTH or kind not in KINDS:
        raise InvalidInput({"body": [Reason(
            "invalid_comment", f"コメントは1〜{MAX_LENGTH}文字で入力してください",
            f"Enter a comment of 1 to {MAX_LENGTH} characters")]})
    now = now or utcnow()
    comment = Comment(case_id=case.id, author_id=author.id, body=body, kind=kind, created_at=now,
                      on_behalf_of_id=on_behalf_of.id if on_behalf_of else None)
    session.add(comment)
    session.flush()
    record(session, "comment", author, case_id=case.id, on_behalf_of=on_behalf_of, now=now,
           data={"comment_id": comment.id, "kind": kind})
    session.commit()
    return comment
