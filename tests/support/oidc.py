"""A minimal OpenID Connect provider for tests: a real HTTP server on loopback with a
discovery document, a JWKS, the authorisation-code flow and RS256-signed ID tokens.

It stands in for the city's identity provider, so the app's OIDC client (Authlib) is tested
against the protocol. The person the provider "has signed in" is chosen by the test
(``provider.person = ...``), as if they had already logged in at the IdP; the faults a test
can ask for (``forge``: sign with a key not in the JWKS, ``audience``, ``deny``) are what a
broken or hostile provider would do.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "dxflow-test"
CLIENT_SECRET = "oidc-client-secret-3"  # noqa: S105 - a throw-away test provider

PEOPLE = {
    "kensetsu.kacho": {"email": "kensetsu.kacho@city.example", "name": "建設 課長",
                       "groups": ["dxflow-dept-managers"], "department": "construction"},
    "honbu": {"email": "honbu@city.example", "name": "本部 委員",
              "groups": ["dxflow-executives"], "department": None},
    "guest": {"email": "guest@city.example", "name": "来庁 者", "groups": [], "department": None},
}
GROUP_ROLES = {"dxflow-dept-managers": "dept_manager", "dxflow-executives": "executive"}


class Provider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "city-1", "use": "sig",
                                                         "alg": "RS256"})
        self.person = "kensetsu.kacho"
        self.forge = False
        self.audience: str | None = None
        self.deny = False
        self.codes: dict[str, dict] = {}
        self.server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> Provider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                provider._get(self)

            def do_POST(self) -> None:  # noqa: N802
                provider._post(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # -- endpoints -------------------------------------------------------

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def _get(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            return _json(h, 200, self.discovery())
        if url.path == "/jwks":
            return _json(h, 200, {"keys": [self.key.as_dict(private=False)]})
        if url.path == "/authorize":
            if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                return _json(h, 400, {"error": "invalid_request"})
            target = query["redirect_uri"]
            if self.deny:
                params = {"error": "access_denied", "state": query.get("state", "")}
            else:
                code = secrets.token_urlsafe(16)
                self.codes[code] = {"person": self.person, "nonce": query.get("nonce"),
                                    "redirect_uri": target}
                params = {"code": code, "state": query.get("state", "")}
            h.send_response(302)
            h.send_header("Location", f"{target}?{urlencode(params)}")
            h.end_headers()
            return None
        return _json(h, 404, {"error": "not_found"})

    def _post(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(h.rfile.read(length).decode()).items()}
        if urlsplit(h.path).path != "/token":
            return _json(h, 404, {"error": "not_found"})
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = h.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            return _json(h, 401, {"error": "invalid_client"})
        grant = self.codes.pop(form.get("code", ""), None)
        if (form.get("grant_type") != "authorization_code" or grant is None
                or grant["redirect_uri"] != form.get("redirect_uri")):
            return _json(h, 400, {"error": "invalid_grant"})
        person = PEOPLE[grant["person"]]
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": f"sub-{grant['person']}",
                  "aud": self.audience or CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], "email": person["email"], "email_verified": True,
                  "name": person["name"], "groups": person["groups"]}
        if person["department"]:
            claims["department"] = person["department"]
        key = RSAKey.generate_key(2048, parameters={"kid": "city-1"}) if self.forge else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "city-1"}, claims, key)
        return _json(h, 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                              "expires_in": 300, "id_token": id_token})


def _json(h: BaseHTTPRequestHandler, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(payload)))
    h.end_headers()
    h.wfile.write(payload)


def app_config(provider: Provider, **overrides) -> dict:
    config = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_LABEL": "",
        "OIDC_GROUPS_CLAIM": "groups",
        "OIDC_GROUP_ROLES": dict(GROUP_ROLES),
        "OIDC_DEPARTMENT_CLAIM": "department",
    }
    config.update(overrides)
    return config
