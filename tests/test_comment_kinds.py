"""Comment kinds belong to roles: only experts and the Digital Office post 外部有識者の助言
(advice). The case page offers a bureau user no kind to choose, and a forged form is refused
with the reason; the same rule holds in the domain for every caller."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web_world import Visitor
from web.extensions import db
from workflow.comments import add_comment, kinds_for
from workflow.errors import InvalidInput
from workflow.models import Comment, User

KIND_SELECT = 'name="kind"'


def comments_of(app, case_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(c.kind, c.body) for c in db.session.scalars(
            select(Comment).where(Comment.case_id == case_id).order_by(Comment.id))]


@pytest.mark.parametrize(("role", "offered"), [("requester", False), ("dept_manager", False),
                                               ("office", True), ("expert", True)])
def test_the_case_page_offers_advice_only_to_whom_it_belongs(world_app, world_template, role,
                                                             offered):
    page = Visitor(world_app, world_template, role).client.get(
        f"/cases/{world_template.world.case_id}").get_data(as_text=True)
    assert 'id="comment"' in page
    assert (KIND_SELECT in page) is offered
    assert ('value="advice"' in page) is offered


def test_a_requester_forging_advice_is_refused_with_the_reason(world_app, world_template):
    case_id = world_template.world.case_id
    requester = Visitor(world_app, world_template, "requester")
    response = requester.client.post(f"/cases/{case_id}/comments", follow_redirects=True, data={
        "csrf_token": requester.csrf, "body": "専門家の助言です", "kind": "advice"})
    assert response.status_code == 200
    assert "外部専門人材とデジタル統括室だけです" in response.get_data(as_text=True)
    assert ("advice", "専門家の助言です") not in comments_of(world_app, case_id)


def test_a_requester_comment_without_a_kind_is_a_plain_comment(world_app, world_template):
    case_id = world_template.world.case_id
    requester = Visitor(world_app, world_template, "requester")
    requester.client.post(f"/cases/{case_id}/comments", data={
        "csrf_token": requester.csrf, "body": "よろしくお願いします"})
    assert ("comment", "よろしくお願いします") in comments_of(world_app, case_id)


def test_an_expert_posts_advice(world_app, world_template):
    case_id = world_template.world.case_id
    expert = Visitor(world_app, world_template, "expert")
    expert.client.post(f"/cases/{case_id}/comments", data={
        "csrf_token": expert.csrf, "body": "段階的な導入を勧めます", "kind": "advice"})
    assert ("advice", "段階的な導入を勧めます") in comments_of(world_app, case_id)


def test_the_domain_refuses_advice_from_a_bureau_role(session, people):
    from tests.workflow_helpers import new_case

    case = new_case(session, people["requester"])
    with pytest.raises(InvalidInput) as refused:
        add_comment(session, case, people["requester"], "助言です", kind="advice")
    assert set(refused.value.field_errors) == {"kind"}
    assert kinds_for(people["requester"]) == ["comment"]
    assert kinds_for(people["office"]) == ["comment", "advice"]
    # A substitute counts with the roles they stand in for.
    assert kinds_for(User(role="requester"), people["expert"]) == ["comment", "advice"]
