"""KPI reviews over the API: the token's user's reviews, and one review of a visible case."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from web.api.auth import api_roles, api_user
from web.api.blueprint import bp
from web.api.inputs import MAX_ID, not_found, query_choice
from web.api.problems import invalid
from web.api.serializers import review_json
from web.extensions import db
from workflow import access
from workflow.models import Case, Review

STATUSES = ("open", "submitted")
# As on the web: the reviews list is for those who own reviews, one review for whoever may
# follow them up (web/reviews/routes.py).
LIST_ROLES = ("dept_manager", "office_lead", "requester")
READ_ROLES = ("dept_manager", "office_lead", "office", "requester", "executive")


def _reviews():
    return (select(Review, Case).join(Case, Case.id == Review.case_id)
            .options(joinedload(Review.owner), joinedload(Review.submitted_by))
            .where(access.visibility_clause(api_user())))


@bp.get("/reviews")
@api_roles(*LIST_ROLES)
def list_reviews():
    """Reviews the user owns, or, as a bureau manager, unowned ones of their bureau."""
    user = api_user()
    mine = Review.owner_id == user.id
    if user.role == "dept_manager" and user.department_id:
        mine = mine | (Review.owner_id.is_(None) & (Case.department_id == user.department_id))
    stmt = _reviews().where(mine).order_by(Review.status.desc(), Review.due_date, Review.id)
    errors: dict = {}
    status = query_choice("status", STATUSES, errors, "open か submitted を指定してください",
                          "Use open or submitted")
    if errors:
        raise invalid(errors)
    if status:
        stmt = stmt.where(Review.status == status)
    return {"items": [review_json(r, c) for r, c in db.session.execute(stmt).all()]}


@bp.get("/reviews/<int:review_id>")
@api_roles(*READ_ROLES)
def get_review(review_id: int):
    row = db.session.execute(_reviews().where(Review.id == review_id)).first() \
        if review_id <= MAX_ID else None
    if row is None:
        raise not_found()
    return review_json(*row)
