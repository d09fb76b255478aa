"""OpenID Connect sign-in (authorisation-code flow) with Authlib, for cities with an IdP.

Authlib checks the ID token's signature against the provider's JWKS, its issuer, audience,
expiry and nonce, and the ``state`` against this browser's session.
"""

from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError

from web.auth.blueprint import bp
from web.auth.signin import finish_sign_in, record_failure
from web.authz import public
from web.extensions import db, limiter
from workflow.external_accounts import DirectoryIdentity, Refused, role_for, sync_account

log = logging.getLogger(__name__)
NEXT_KEY = "oidc_next"


def enabled() -> bool:
    return bool(current_app.config.get("OIDC_ISSUER"))


def _client():
    app = current_app._get_current_object()
    client = app.extensions.get("dxflow_oidc")
    if client is None:
        oauth = OAuth(app)
        issuer = app.config["OIDC_ISSUER"].rstrip("/")
        client = oauth.register(
            "city", client_id=app.config["OIDC_CLIENT_ID"],
            client_secret=app.config["OIDC_CLIENT_SECRET"],
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "timeout": 10})
        app.extensions["dxflow_oidc"] = client
    return client


def _unavailable(exc: Exception):
    log.warning("identity provider unavailable: %s", exc)
    record_failure("", None, "provider_unavailable", "oidc")
    flash(_("認証基盤に接続できないため、ログインできません。しばらくしてから再度お試しください。"),
          "error")
    return redirect(url_for("auth.login"))


def _not_configured():
    # A bookmarked or forwarded link on an installation without an identity provider:
    # say so on the sign-in page rather than answer with a bare 404.
    flash(_("このシステムでは統合認証（OpenID Connect）によるログインは設定されていません。"
            "メールアドレスとパスワードでログインしてください。"), "error")
    return redirect(url_for("auth.login"))


@bp.route("/login/oidc")
@public
@limiter.limit("10 per minute")
def oidc_start():
    if not enabled():
        return _not_configured()
    from web.auth.landing import safe_next

    session[NEXT_KEY] = safe_next(request.args.get("next"))
    try:
        return _client().authorize_redirect(url_for("auth.oidc_callback", _external=True))
    except (requests.RequestException, ValueError, KeyError) as exc:
        return _unavailable(exc)


@bp.route("/login/oidc/callback")
@public
@limiter.limit("10 per minute")
def oidc_callback():
    if not enabled():
        return _not_configured()
    config = current_app.config
    try:
        token = _client().authorize_access_token()
    except requests.RequestException as exc:
        return _unavailable(exc)
    except (OAuthError, JoseError, ValueError, KeyError) as exc:
        # Refused at the IdP, a forged or mismatched token, or a replayed/foreign state.
        reason = getattr(exc, "error", None) or type(exc).__name__
        record_failure("", None, str(reason)[:60], "oidc")
        flash(_("認証基盤でのログインを確認できませんでした。もう一度お試しください。"), "error")
        return redirect(url_for("auth.login"))
    claims = token.get("userinfo") or {}
    email = str(claims.get("email") or "")
    if not email or claims.get("email_verified") is False:
        record_failure(email, None, "no_verified_email", "oidc")
        flash(_("認証基盤から確認済みのメールアドレスが届きませんでした。"), "error")
        return redirect(url_for("auth.login"))
    groups = claims.get(config["OIDC_GROUPS_CLAIM"]) or []
    identity = DirectoryIdentity(
        source="oidc", ref=f"{claims.get('iss')}#{claims.get('sub')}", email=email,
        name=str(claims.get("name") or ""),
        role=role_for([str(g) for g in groups] if isinstance(groups, list) else [str(groups)],
                      config["OIDC_GROUP_ROLES"]),
        department=claims.get(config["OIDC_DEPARTMENT_CLAIM"]) or None)
    try:
        user = sync_account(db.session, identity,
                            take_over_local=config["LOCAL_SIGNIN"] == "admins")
    except Refused as exc:
        db.session.rollback()
        record_failure(email, exc.user, exc.reason, "oidc")
        flash(_("このアカウントではdxflowを利用できません。システム管理者に連絡してください。"),
              "error")
        return redirect(url_for("auth.login"))
    return finish_sign_in(user, "oidc", session.pop(NEXT_KEY, None))
