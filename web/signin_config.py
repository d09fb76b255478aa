"""Sign-in settings from the environment: directory (``DXFLOW_LDAP_*``), identity provider
(``DXFLOW_OIDC_*``) and second factor (``DXFLOW_MFA_*``). See docs/DEPLOYMENT.md."""

from __future__ import annotations

from workflow import config as wf_config

DEFAULT_MFA_ROLES = "admin,office_lead"


def _text(name: str, default: str = "") -> str:
    return (wf_config.env(name, default) or default).strip()


def _flag(name: str) -> bool:
    return _text(name, "0").lower() in {"1", "true", "yes", "on"}


def parse_role_map(text: str) -> dict[str, str]:
    """``role=GROUP;role=GROUP`` (a group DN or name, may contain ``=``) -> {group: role}."""
    mapping: dict[str, str] = {}
    for item in text.split(";"):
        role, sep, group = item.strip().partition("=")
        if sep and group.strip():
            mapping[group.strip().lower()] = role.strip()
    return mapping


def parse_roles(text: str) -> frozenset[str]:
    """``admin,office_lead``; ``none`` (or empty) for no role."""
    roles = {r.strip() for r in text.split(",") if r.strip()}
    return frozenset() if roles <= {"none"} else frozenset(roles)


def from_environment() -> dict:
    return {
        "LDAP_URL": _text("LDAP_URL"),
        "LDAP_STARTTLS": _flag("LDAP_STARTTLS"),
        "LDAP_CA_FILE": _text("LDAP_CA_FILE"),
        "LDAP_BIND_DN": _text("LDAP_BIND_DN"),
        "LDAP_BIND_PASSWORD": wf_config.env("LDAP_BIND_PASSWORD") or "",
        "LDAP_BIND_TEMPLATE": _text("LDAP_BIND_TEMPLATE"),
        "LDAP_USER_BASE": _text("LDAP_USER_BASE"),
        "LDAP_USER_FILTER": _text("LDAP_USER_FILTER", "(&(objectClass=person)(mail={login}))"),
        "LDAP_MAIL_ATTR": _text("LDAP_MAIL_ATTR", "mail"),
        "LDAP_NAME_ATTR": _text("LDAP_NAME_ATTR", "displayName"),
        "LDAP_DEPARTMENT_ATTR": _text("LDAP_DEPARTMENT_ATTR"),
        "LDAP_GROUP_BASE": _text("LDAP_GROUP_BASE"),
        "LDAP_GROUP_FILTER": _text("LDAP_GROUP_FILTER", "(member={dn})"),
        "LDAP_GROUP_ROLES": parse_role_map(_text("LDAP_GROUP_ROLES")),
        "LDAP_DISABLED_FILTER": _text("LDAP_DISABLED_FILTER"),
        "LDAP_TIMEOUT": int(_text("LDAP_TIMEOUT", "5") or 5),
        # all: every local account keeps its dxflow password; admins: only administrators',
        # others sign in through the directory (and with their local password while it is down).
        "LOCAL_SIGNIN": _text("LOCAL_SIGNIN", "all").lower(),
        "OIDC_ISSUER": _text("OIDC_ISSUER"),
        "OIDC_CLIENT_ID": _text("OIDC_CLIENT_ID"),
        "OIDC_CLIENT_SECRET": wf_config.env("OIDC_CLIENT_SECRET") or "",
        "OIDC_LABEL": _text("OIDC_LABEL"),
        "OIDC_GROUPS_CLAIM": _text("OIDC_GROUPS_CLAIM", "groups"),
        "OIDC_GROUP_ROLES": parse_role_map(_text("OIDC_GROUP_ROLES")),
        "OIDC_DEPARTMENT_CLAIM": _text("OIDC_DEPARTMENT_CLAIM", "department"),
        "MFA_REQUIRED_ROLES": parse_roles(_text("MFA_REQUIRED_ROLES", DEFAULT_MFA_ROLES)),
        "MFA_ISSUER": _text("MFA_ISSUER", "dxflow"),
    }
