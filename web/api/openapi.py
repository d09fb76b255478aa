"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Written by hand as a dict, next to the code it describes; the test suite validates it with
openapi-spec-validator and runs schemathesis against the app with it, so the two cannot drift.
"""

from __future__ import annotations

from flask import url_for

from web.api.blueprint import bp
from web.api.inputs import MAX_ID, MAX_PER_PAGE, MAX_TEXT, not_found
from web.api.problems import PROBLEM_TYPES
from web.authz import public
from web.i18n import lang
from workflow.comments import KINDS as COMMENT_KINDS
from workflow.states import PHASES, STATES, TRANSITIONS
from workflow.vocabulary import CASE_TYPES, CATEGORIES, PRIORITIES, VALUES

JSON = "application/json"
PROBLEM = "application/problem+json"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"oneOf": [schema, {"type": "null"}]}


def string(**extra) -> dict:
    return {"type": "string", **extra}


def integer(**extra) -> dict:
    return {"type": "integer", **extra}


ID = integer(minimum=1, maximum=MAX_ID)
VERSION = integer(minimum=1, maximum=MAX_ID, description="The case's `version` you last read")
DATE_TIME = string(format="date-time")
NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
TEXT = string(maxLength=MAX_TEXT)
FISCAL_YEAR = integer(minimum=2000, maximum=2100, description="Japanese fiscal year (April–March)")


def obj(properties: dict, *, required: list[str] | None = None, closed: bool = True,
        description: str | None = None) -> dict:
    """An object schema; response objects list every property as required."""
    schema = {"type": "object", "properties": properties,
              "required": list(properties) if required is None else required}
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


def _problem_response(description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}
    if headers:
        response["headers"] = headers
    return response


def _json_response(description: str, schema: dict, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _body(schema_name: str) -> dict:
    return {"required": True, "content": {JSON: {"schema": ref(schema_name)}}}


def _responses(ok: dict, *errors: str) -> dict:
    """Success responses, the named error responses, 401/429 and a problem for anything else."""
    responses = dict(ok)
    for code in ("401", *errors, "429"):
        responses[code] = {"$ref": f"#/components/responses/{RESPONSE_NAMES[code]}"}
    responses["default"] = {"$ref": "#/components/responses/Problem"}
    return responses


RESPONSE_NAMES = {"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden",
                  "404": "NotFound", "409": "Conflict", "415": "UnsupportedMediaType",
                  "422": "Unprocessable", "429": "TooManyRequests"}
CASE_PATH = [{"$ref": "#/components/parameters/CaseId"}]


def _schemas() -> dict:
    reason = obj({"code": string(), "message": string()})
    person = obj({"id": ID, "name": string()})
    case_input = {
        "title": string(minLength=1, maxLength=200, description="件名"),
        "case_type": string(enum=list(CASE_TYPES), description="相談の種類"),
        "priority": string(enum=list(PRIORITIES)),
        "category": {"enum": [*CATEGORIES, None], "description": "分類 (null: none)"},
        "values": {"type": "array", "items": string(enum=list(VALUES)), "uniqueItems": True,
                   "description": "VALUEs of the city's DX strategy"},
        "description": TEXT, "current_problem": TEXT, "desired_outcome": TEXT,
        "department_id": {**ID, "description": "The owning bureau; bureau staff may only give "
                          "their own (default), the Digital Office must give one."},
    }
    target = obj({"fiscal_year": FISCAL_YEAR, "value": {"type": ["number", "null"]},
                  "text": string(), "original_value": {"type": ["number", "null"]},
                  "original_text": string(), "revised": {"type": "boolean"},
                  "revised_at": NULLABLE_DATE_TIME},
                 description="A fiscal year's target; a revision keeps the original "
                             "(当初設定数値).")
    actual = obj({"fiscal_year": FISCAL_YEAR, "period": string(enum=["FY", "Q1", "Q2", "Q3", "Q4"]),
                  "value": {"type": ["number", "null"]}, "text": string(),
                  "recorded_at": DATE_TIME})
    return {
        "Problem": obj({
            "type": string(format="uri", description="about:blank, or a problem type of this API"),
            "title": string(), "status": integer(minimum=400, maximum=599), "detail": string(),
            "errors": {"type": "object", "description": "Per field (or `guards`): the reasons.",
                       "additionalProperties": {"type": "array", "items": ref("Reason")}},
        }, required=["type", "title", "status", "detail"], closed=False,
            description="RFC 9457 problem details."),
        "Reason": reason,
        "Person": person,
        "Case": obj({
            "id": ID, "number": string(examples=["DX-2025-0007"]), "title": string(),
            "fiscal_year": FISCAL_YEAR,
            "state": string(enum=list(STATES)), "state_label": string(),
            "phase": string(enum=[p.name for p in PHASES]),
            "department": obj({"id": ID, "code": string(), "name": string()}),
            "requester": nullable(ref("Person")), "assignee": nullable(ref("Person")),
            "case_type": string(), "priority": string(), "category": {"type": ["string", "null"]},
            "values": {"type": "array", "items": string()},
            "description": string(), "current_problem": string(), "desired_outcome": string(),
            "proposal_text": string(),
            "hold_return_state": {"type": ["string", "null"]},
            "version": integer(minimum=1, description="Send it back as `expected_version`."),
            "created_at": DATE_TIME, "updated_at": DATE_TIME,
            "submitted_at": NULLABLE_DATE_TIME, "closed_at": NULLABLE_DATE_TIME,
            "links": obj({k: string() for k in
                          ("self", "transitions", "events", "comments", "kpis", "html")}),
        }),
        "CaseInput": obj(case_input, required=["title"],
                         description="A new draft (下書き); submit it with the `submit` "
                                     "transition."),
        "CaseUpdate": obj({
            **case_input,
            "proposal_text": {**TEXT, "description": "提案内容 (Digital Office)"},
            "assignee_id": {"oneOf": [ID, {"type": "null"}],
                            "description": "Digital Office member in charge (office only)"},
            "expected_version": VERSION,
        }, required=["expected_version"]),
        "CasePage": obj({
            "items": {"type": "array", "items": ref("Case")},
            "page": integer(minimum=1), "per_page": integer(minimum=1, maximum=MAX_PER_PAGE),
            "total": integer(minimum=0), "pages": integer(minimum=1),
            "links": obj({"self": string(), "first": string(), "last": string(),
                          "prev": {"type": ["string", "null"]},
                          "next": {"type": ["string", "null"]}}),
        }),
        "Transition": obj({
            "trigger": string(enum=[t.trigger for t in TRANSITIONS]), "label": string(),
            "allowed": {"type": "boolean", "description": "false: a guard still blocks it"},
            "comment_required": {"type": "boolean"},
            "blocked_reasons": {"type": "array", "items": ref("Reason")},
        }),
        "TransitionList": obj({
            "case_id": ID, "state": string(enum=list(STATES)), "version": integer(minimum=1),
            "items": {"type": "array", "items": ref("Transition")},
        }, description="What the token's user may fire now, and what only a guard blocks."),
        "TransitionInput": obj({
            "comment": {"type": ["string", "null"], "maxLength": MAX_TEXT},
            "expected_version": VERSION,
        }, required=["expected_version"]),
        "TransitionResult": obj({
            "transition": obj({"trigger": string(), "from_state": string(enum=list(STATES)),
                               "to_state": string(enum=list(STATES)),
                               "version": integer(minimum=1), "event_id": ID}),
            "case": ref("Case"),
        }),
        "Event": obj({
            "id": ID, "kind": string(), "trigger": {"type": ["string", "null"]},
            "from_state": {"type": ["string", "null"]}, "to_state": {"type": ["string", "null"]},
            "case_version": {"type": ["integer", "null"]},
            "actor": nullable(ref("Person")), "on_behalf_of": nullable(ref("Person")),
            "comment": {"type": ["string", "null"]}, "data": {"type": ["object", "null"]},
            "created_at": DATE_TIME,
        }),
        "EventList": obj({"items": {"type": "array", "items": ref("Event")}}),
        "Comment": obj({
            "id": ID, "kind": string(enum=list(COMMENT_KINDS)), "body": string(),
            "author": nullable(ref("Person")), "on_behalf_of": nullable(ref("Person")),
            "created_at": DATE_TIME,
        }),
        "CommentInput": obj({
            "body": string(minLength=1, maxLength=10_000, description="Markdown"),
            "kind": string(enum=list(COMMENT_KINDS),
                           description="advice: advice from an outside adviser (外部有識者の助言)"),
        }, required=["body"]),
        "CommentList": obj({"items": {"type": "array", "items": ref("Comment")}}),
        "KpiTarget": target,
        "KpiActual": actual,
        "Kpi": obj({
            "id": ID, "name": string(), "unit": string(),
            "direction": string(enum=["increase", "decrease"]),
            "baseline": {"type": ["number", "null"]}, "baseline_text": string(),
            "baseline_label": string(examples=["2023年度現在"]), "outcome": string(),
            "note": string(), "owner": nullable(ref("Person")),
            "targets": {"type": "array", "items": ref("KpiTarget")},
            "actuals": {"type": "array", "items": ref("KpiActual")},
        }),
        "KpiPlan": obj({
            "case_id": ID, "case_version": integer(minimum=1),
            "plan": {"oneOf": [obj({"kgi": string(), "kgi_note": string(), "outcome": string(),
                                    "approved_at": NULLABLE_DATE_TIME,
                                    "review_cadence": {"type": ["string", "null"]}}),
                               {"type": "null"}]},
            "kpis": {"type": "array", "items": ref("Kpi")},
        }, description="The execution plan (実行計画): KGI, KPIs, targets, actuals."),
        "ActualInput": obj({
            "value": {"type": ["number", "null"], "exclusiveMinimum": -1e14,
                      "exclusiveMaximum": 1e14},
            "text": string(maxLength=300),
            "expected_version": VERSION,
        }, required=["expected_version"],
            description="A number, a text (e.g. 実施済), or both; one of them is required."),
        "ActualResult": obj({"case_version": integer(minimum=1), "kpi": ref("Kpi")}),
        "Review": obj({
            "id": ID,
            "case": obj({"id": ID, "number": string(), "title": string(),
                         "state": string(enum=list(STATES))}),
            "fiscal_year": FISCAL_YEAR, "period": string(enum=["FY", "Q1", "Q2", "Q3"]),
            "due_date": string(format="date"), "status": string(enum=["open", "submitted"]),
            "assessment": {"type": ["string", "null"]}, "comment": string(),
            "next_actions": string(), "owner": nullable(ref("Person")),
            "submitted_at": NULLABLE_DATE_TIME, "submitted_by": nullable(ref("Person")),
        }),
        "ReviewList": obj({"items": {"type": "array", "items": ref("Review")}}),
        "ProblemType": obj({"type": string(), "status": integer(), "title": string(),
                            "description": string()}),
    }


def _parameters() -> dict:
    def query(name: str, schema: dict, description: str) -> dict:
        return {"name": name, "in": "query", "required": False, "schema": schema,
                "description": description}

    return {
        "CaseId": {"name": "case_id", "in": "path", "required": True, "schema": ID},
        "Page": query("page", integer(minimum=1, maximum=MAX_ID, default=1), "Page number"),
        "PerPage": query("per_page", integer(minimum=1, maximum=MAX_PER_PAGE, default=20),
                         "Items per page"),
        "State": query("state", string(enum=list(STATES)), "Exact state, e.g. planning_plan"),
        "Phase": query("phase", string(enum=[p.name for p in PHASES]), "Phase, e.g. planning"),
        "Department": query("department", string(maxLength=40),
                            "Department code (e.g. welfare) or id"),
        "FiscalYear": query("fiscal_year", FISCAL_YEAR, "Fiscal year the case was opened in"),
        "Q": query("q", string(maxLength=100), "Words in the number, title or description"),
    }


def _components_responses() -> dict:
    return {
        "BadRequest": _problem_response("The request is malformed (e.g. broken JSON)."),
        "Unauthorized": _problem_response(
            "Missing, unknown, revoked or expired token.",
            {"WWW-Authenticate": {"required": True, "schema": string()}}),
        "Forbidden": _problem_response("The user's role may not do this."),
        "NotFound": _problem_response("No such resource, or not visible to the token's user "
                                      "(another bureau's case is never revealed)."),
        "Conflict": _problem_response("Stale `expected_version`, or not possible in the "
                                      "current state."),
        "UnsupportedMediaType": _problem_response("The body must be application/json."),
        "Unprocessable": _problem_response("Field values or guards refused; see `errors`."),
        "TooManyRequests": _problem_response(
            "Rate limit reached (per token).",
            {"Retry-After": {"required": False, "schema": string()}}),
        "Problem": _problem_response("Any other error (405, 413, 500, ...)."),
    }


def _paths() -> dict:
    write = ("400", "415")
    return {
        "/cases": {
            "get": {
                "operationId": "listCases", "summary": "Cases the token's user may see",
                "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in
                               ("State", "Phase", "Department", "FiscalYear", "Q", "Page",
                                "PerPage")],
                "responses": _responses({"200": _json_response(
                    "One page of cases, newest change first", ref("CasePage"),
                    {"Link": {"required": False, "schema": string()}})}, "422"),
            },
            "post": {
                "operationId": "createCase", "summary": "Create a draft consultation",
                "description": "Bureau staff (requester) and the Digital Office. Bureau staff "
                               "may leave out `department_id` (their own bureau is used); the "
                               "Digital Office must give it: without it the answer is 422 with "
                               "`errors.department_id`. A `department_id` that names no "
                               "active department is 422 as well.",
                "requestBody": _body("CaseInput"),
                "responses": _responses({"201": _json_response(
                    "The new draft", ref("Case"),
                    {"Location": {"required": True, "schema": string()}})},
                    *write, "403", "422"),
            },
        },
        "/cases/{case_id}": {
            "parameters": CASE_PATH,
            "get": {"operationId": "getCase", "summary": "One case",
                    "responses": _responses({"200": _json_response("The case", ref("Case"))},
                                            "404")},
            "patch": {
                "operationId": "updateCase", "summary": "Change a case's fields",
                "description": "Only the fields given change. Bureau staff edit early on "
                               "(draft to hearing); the Digital Office while the case is open.",
                "requestBody": _body("CaseUpdate"),
                "responses": _responses({"200": _json_response("The changed case", ref("Case"))},
                                        *write, "403", "404", "409", "422"),
            },
        },
        "/cases/{case_id}/transitions": {
            "parameters": CASE_PATH,
            "get": {"operationId": "listTransitions",
                    "summary": "Transitions the user may fire now, with blocked reasons",
                    "responses": _responses({"200": _json_response(
                        "Available transitions", ref("TransitionList"))}, "404")},
        },
        "/cases/{case_id}/transitions/{trigger}": {
            "parameters": [*CASE_PATH, {"name": "trigger", "in": "path", "required": True,
                                        "schema": string(enum=[t.trigger for t in TRANSITIONS])}],
            "post": {
                "operationId": "fireTransition", "summary": "Move the case (e.g. submit, accept)",
                "description": "403: the role may not; 404: unknown trigger or case; 409: stale "
                               "version or wrong state; 422: a guard refused (every reason is "
                               "listed in `errors.guards`).",
                "requestBody": _body("TransitionInput"),
                "responses": _responses({"200": _json_response(
                    "The transition done and the case now", ref("TransitionResult"))},
                    *write, "403", "404", "409", "422"),
            },
        },
        "/cases/{case_id}/events": {
            "parameters": CASE_PATH,
            "get": {"operationId": "listEvents", "summary": "The case's audit trail, oldest first",
                    "responses": _responses({"200": _json_response(
                        "Events", ref("EventList"))}, "404")},
        },
        "/cases/{case_id}/comments": {
            "parameters": CASE_PATH,
            "get": {"operationId": "listComments", "summary": "Comments, oldest first",
                    "responses": _responses({"200": _json_response(
                        "Comments", ref("CommentList"))}, "404")},
            "post": {"operationId": "addComment", "summary": "Comment on the case (Markdown)",
                     "requestBody": _body("CommentInput"),
                     "responses": _responses({"201": _json_response(
                         "The new comment", ref("Comment"))}, *write, "403", "404", "422")},
        },
        "/cases/{case_id}/kpis": {
            "parameters": CASE_PATH,
            "get": {"operationId": "getKpis",
                    "summary": "The plan: KGI, KPIs, targets (original and revised), actuals",
                    "responses": _responses({"200": _json_response(
                        "The plan", ref("KpiPlan"))}, "404")},
        },
        "/cases/{case_id}/kpis/{kpi_id}/actuals/{fiscal_year}": {
            "parameters": [*CASE_PATH,
                           {"name": "kpi_id", "in": "path", "required": True, "schema": ID},
                           {"name": "fiscal_year", "in": "path", "required": True,
                            "schema": FISCAL_YEAR}],
            "put": {"operationId": "recordActual",
                    "summary": "Record a KPI's actual for a fiscal year",
                    "description": "Bureau staff, bureau managers and the Digital Office, from "
                                   "planning to KPI review.",
                    "requestBody": _body("ActualInput"),
                    "responses": _responses({"200": _json_response(
                        "The KPI with its actuals", ref("ActualResult"))},
                        *write, "403", "404", "409", "422")},
        },
        "/reviews": {
            "get": {"operationId": "listReviews",
                    "summary": "KPI reviews the user owns (or, as bureau manager, unowned ones)",
                    "description": "Bureau staff, bureau managers and the office lead.",
                    "parameters": [{"name": "status", "in": "query", "required": False,
                                    "schema": string(enum=["open", "submitted"])}],
                    "responses": _responses({"200": _json_response(
                        "Reviews", ref("ReviewList"))}, "403", "422")},
        },
        "/problems/{code}": {
            "get": {"operationId": "getProblemType", "summary": "What a problem type means",
                    "security": [],
                    "parameters": [{"name": "code", "in": "path", "required": True,
                                    "schema": string(enum=list(PROBLEM_TYPES))}],
                    "responses": {
                        "200": _json_response("The problem type", ref("ProblemType")),
                        "404": {"$ref": "#/components/responses/NotFound"},
                        "429": {"$ref": "#/components/responses/TooManyRequests"},
                        "default": {"$ref": "#/components/responses/Problem"}}},
        },
        "/openapi.json": {
            "get": {"operationId": "getOpenApi", "summary": "This document", "security": [],
                    "responses": {
                        "200": _json_response("OpenAPI 3.1", {"type": "object"}),
                        "429": {"$ref": "#/components/responses/TooManyRequests"},
                        "default": {"$ref": "#/components/responses/Problem"}}},
        },
        "/reviews/{review_id}": {
            "parameters": [{"name": "review_id", "in": "path", "required": True, "schema": ID}],
            "get": {"operationId": "getReview", "summary": "One KPI review of a visible case",
                    "responses": _responses({"200": _json_response(
                        "The review", ref("Review"))}, "403", "404")},
        },
    }


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "dxflow API",
            "version": "1.0.0",
            "summary": "DX support cases of the city's Digital Office (デジタル統括室の伴走支援)",
            "description": (
                "Authenticate with a personal API token (account page → API tokens, or "
                "`dxflow tokens create`): `Authorization: Bearer dxf_...`. The API acts as the "
                "token's user, with the same access rules as the web UI: another bureau's case "
                "is a 404. Writes that change a case need the `version` you read, sent as "
                "`expected_version`; a stale one is a 409. Errors are RFC 9457 problem details."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "dxf_<id>_<secret>"}},
            "schemas": _schemas(),
            "parameters": _parameters(),
            "responses": _components_responses(),
        },
    }


@bp.get("/openapi.json")
@public
def openapi_json():
    return document()


@bp.get("/problems/<code>")
@public
def problem_type(code: str):
    """What a problem type of this API means (its ``type`` URI resolves here)."""
    if code not in PROBLEM_TYPES:
        raise not_found()
    status, ja, en, description = PROBLEM_TYPES[code]
    return {"type": url_for("api.problem_type", code=code, _external=True), "status": status,
            "title": en if lang() == "en" else ja, "description": description}

