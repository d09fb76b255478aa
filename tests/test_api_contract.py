"""The server refuses what the OpenAPI document forbids, and accepts what it allows: the gaps
schemathesis found (an empty enum filter, duplicate VALUEs, an unbounded version, 257.0 for an
integer, NaN for a number), and the office's department_id rule the document now states."""

from __future__ import annotations

import pytest

from tests.api_helpers import ApiClient, assert_problem, token_for
from tests.workflow_helpers import new_case, walk_to
from web.api.openapi import document
from web.request_input import MAX_ID
from workflow.plans import plan_for


@pytest.fixture
def api(client, session, people):
    def as_role(role: str) -> ApiClient:
        return ApiClient(client, token_for(session, people[role]))
    return as_role


def errors_of(response, status=422) -> dict:
    return assert_problem(response, status).get("errors", {})


@pytest.mark.parametrize(("role", "url", "name"), [
    ("office", "/api/v1/cases?phase=", "phase"),
    ("office", "/api/v1/cases?state=", "state"),
    ("office", "/api/v1/cases?fiscal_year=", "fiscal_year"),
    ("office", "/api/v1/cases?page=", "page"),
    ("requester", "/api/v1/reviews?status=", "status"),
    ("requester", "/api/v1/reviews?status=closed", "status"),
])
def test_an_empty_or_unknown_filter_value_is_refused_not_ignored(api, role, url, name):
    assert name in errors_of(api(role).get(url))


def test_duplicate_values_are_refused(api, session, people):
    response = api("requester").post("/api/v1/cases", json={
        "title": "重複", "values": ["service", "service"]})
    assert errors_of(response)["values"][0]["code"] == "duplicate"


def test_expected_version_has_the_documented_maximum(api, session, people):
    schemas = document()["components"]["schemas"]
    for name in ("CaseUpdate", "TransitionInput", "ActualInput"):
        assert schemas[name]["properties"]["expected_version"]["maximum"] == MAX_ID, name
    case = new_case(session, people["requester"])
    response = api("requester").patch(f"/api/v1/cases/{case.id}",
                                      json={"title": "x", "expected_version": MAX_ID + 1})
    assert errors_of(response)["expected_version"][0]["code"] == "range"


def test_an_integral_float_is_an_integer_as_json_schema_says(api, session, people):
    case = new_case(session, people["requester"])
    response = api("requester").patch(f"/api/v1/cases/{case.id}", json={
        "title": "257.0 は整数", "expected_version": float(case.version)})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["title"] == "257.0 は整数"


def test_nan_is_not_a_number_for_an_actual(client, session, people):
    live = walk_to(session, new_case(session, people["requester"]), "review_monitoring", people,
                   satisfy=False)
    kpi = plan_for(session, live).kpis[0]
    api = ApiClient(client, token_for(session, people["dept_manager"]))
    response = api.put(f"/api/v1/cases/{live.id}/kpis/{kpi.id}/actuals/2025",
                       data=f'{{"value": NaN, "expected_version": {live.version}}}',
                       content_type="application/json")
    assert errors_of(response)["value"][0]["code"] == "type"


def test_the_office_must_name_the_department_and_the_document_says_so(api):
    operation = document()["paths"]["/cases"]["post"]
    assert "department_id" in operation["description"]
    response = api("office").post("/api/v1/cases", json={"title": "0"})
    assert "department_id" in errors_of(response)
