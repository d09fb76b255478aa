"""Numbers and ids from requests: odd digits, huge values and missing fields are refused
cleanly (404 for an id that cannot exist, the filter ignored with a message, a form error),
never a 500. The reported 500s, one by one, on a copy of the shared test world."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web_world import Visitor
from web.extensions import db
from workflow.models import Case

HUGE = "99999999999999999999"


@pytest.fixture
def visit(world_app, world_template):
    def as_role(role: str) -> Visitor:
        return Visitor(world_app, world_template, role)
    return as_role


@pytest.mark.parametrize(("role", "url"), [
    ("requester", "/cases/?department=²"),
    ("requester", "/cases/?fy=²"),
    ("requester", f"/cases/?page={HUGE}"),
    ("requester", "/tasks/?page=²"),
    ("office", f"/office/board?assignee={HUGE}"),
    ("office", f"/office/board?department={HUGE}"),
    ("office", "/data/export/cases.csv?department=²"),
    ("office", f"/admin/audit?page={HUGE}"),
    ("admin", f"/admin/audit?page={HUGE}"),
    ("admin", f"/admin/users?page={HUGE}"),
    ("requester", f"/inbox/?page={HUGE}"),
])
def test_odd_numbers_in_the_query_are_not_a_server_error(visit, role, url):
    response = visit(role).client.get(url)
    assert response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("filter_arg", ["department=²", "fy=٣", f"department={HUGE}", "fy=-1"])
def test_an_unreadable_filter_is_ignored_with_a_message(visit, filter_arg):
    response = visit("requester").client.get(f"/cases/?{filter_arg}", follow_redirects=True)
    assert response.status_code == 200
    assert "無視しました" in response.get_data(as_text=True)


@pytest.mark.parametrize("case_id", [HUGE, "9223372036854775808", "2147483648"])
def test_an_id_beyond_the_database_range_is_404(visit, case_id):
    for url in (f"/cases/{case_id}", f"/cases/{case_id}/plan", f"/api/v1/cases/{case_id}"):
        assert visit("office").client.get(url).status_code in (401, 404), url


def test_digits_of_other_scripts_do_not_name_a_case(visit, world_template):
    """``\\d`` in a URL rule would read ``١`` (Arabic-Indic one) as 1."""
    arabic = "".join(chr(0x0660 + int(d)) for d in str(world_template.world.case_id))
    assert visit("office").client.get(f"/cases/{arabic}").status_code == 404


def test_case_edit_without_the_text_areas_keeps_them_and_is_no_500(visit, world_app,
                                                                   world_template):
    world = world_template.world
    office = visit("office")
    with world_app.app_context():
        case = db.session.get(Case, world.case_id)
        before = (case.description, case.current_problem, case.desired_outcome, case.version)
    response = office.client.post(f"/cases/{world.case_id}/edit", data={
        "csrf_token": office.csrf, "title": "件名だけ変える", "case_type": "dx_project",
        "priority": "normal", "version": str(before[3])})
    assert response.status_code == 200
    assert "送信されていません" in response.get_data(as_text=True)
    with world_app.app_context():
        case = db.session.scalar(select(Case).where(Case.id == world.case_id))
        assert (case.description, case.current_problem, case.desired_outcome) == before[:3]
