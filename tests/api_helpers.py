"""Helpers the API tests share: a token for a user, and a client that sends it."""

from __future__ import annotations

from workflow.people.tokens import create_token

PROBLEM_JSON = "application/problem+json"


def token_for(session, user, name: str = "テスト用", **kwargs) -> str:
    return create_token(session, user, name, **kwargs)[1]


class ApiClient:
    """The Flask test client with ``Authorization: Bearer <token>`` on every request."""

    def __init__(self, client, token: str | None) -> None:
        self.client, self.token = client, token

    def _headers(self, headers: dict | None) -> dict:
        base = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**base, **(headers or {})}

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.client.post(path, json=json, headers=self._headers(kwargs.pop("headers", None)),
                                **kwargs)

    def patch(self, path: str, json=None, **kwargs):
        return self.client.patch(path, json=json,
                                 headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def put(self, path: str, json=None, **kwargs):
        return self.client.put(path, json=json, headers=self._headers(kwargs.pop("headers", None)),
                               **kwargs)


def assert_problem(response, status: int, *fragments: str) -> dict:
    """An RFC 9457 problem document with ``status``; its detail mentions each fragment."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json(force=True)
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status and body["title"] and body["detail"]
    for fragment in fragments:
        assert fragment in body["detail"], body
    return body
