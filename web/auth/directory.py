"""LDAP / Active Directory sign-in with ldap3: search-then-bind (or bind as the user), TLS
with the city's CA, groups mapped to roles and the user's OU (or an attribute) to a department.
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Mapping

from workflow.external_accounts import DirectoryIdentity, role_for

# ldap3 2.9.1 (its latest release) imports names pyasn1 0.6.2 deprecated; the warning is
# about ldap3's import, not our use, and would fail every run under filterwarnings=error.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="pyasn1")
    warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*is deprecated")
    import ldap3
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars
    from ldap3.utils.dn import parse_dn
    from ldap3.utils.tls_backport import match_hostname as _ldap3_match_hostname

# On Python < 3.12 ldap3 checks the certificate's host name with the deprecated
# ssl.match_hostname (a DeprecationWarning per connection); from 3.12 on, where the stdlib one
# is gone, it uses its own copy of the same algorithm. Use that copy everywhere.
ldap3.core.tls.match_hostname = _ldap3_match_hostname



class DirectoryUnavailable(Exception):
    """The directory could not be reached or refused the service account (configuration)."""


class BadCredentials(Exception):
    """No such person, or a wrong password; ``reason`` goes to the audit log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def enabled(config: Mapping) -> bool:
    return bool(config.get("LDAP_URL"))


def _server(config: Mapping) -> ldap3.Server:
    if not config["LDAP_URL"].lower().startswith("ldaps://") and not config["LDAP_STARTTLS"]:
        # A simple bind over plain LDAP sends the person's password readable on the network.
        raise DirectoryUnavailable("refusing plain LDAP: use ldaps:// or DXFLOW_LDAP_STARTTLS=1")
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, version=ssl.PROTOCOL_TLS_CLIENT,
                    ca_certs_file=config["LDAP_CA_FILE"] or None)
    return ldap3.Server(config["LDAP_URL"], tls=tls, connect_timeout=config["LDAP_TIMEOUT"],
                        use_ssl=config["LDAP_URL"].lower().startswith("ldaps://"))


def _connect(config: Mapping, server: ldap3.Server, who: str, password: str) -> ldap3.Connection:
    """An open, TLS-protected connection; bound when the credentials are right."""
    conn = ldap3.Connection(server, user=who, password=password,
                            receive_timeout=config["LDAP_TIMEOUT"], read_only=True)
    try:
        conn.open()
        if config["LDAP_STARTTLS"] and not conn.start_tls():
            raise DirectoryUnavailable(f"StartTLS refused: {conn.result}")
        conn.bind()
    except LDAPException as exc:
        # ldap3 leaves the socket of a failed connect open.
        if conn.socket is not None:
            conn.socket.close()
        raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}") from exc
    return conn


def _first(entry: dict, attribute: str) -> str:
    values = entry.get(attribute) or []
    if isinstance(values, str):
        return values
    return str(values[0]) if values else ""


def _department(config: Mapping, dn: str, entry: dict) -> str | None:
    if config["LDAP_DEPARTMENT_ATTR"]:
        return _first(entry, config["LDAP_DEPARTMENT_ATTR"]) or None
    # Bureaus as OUs: the OU nearest the person is their bureau.
    return next((value for kind, value, _ in parse_dn(dn) if kind.lower() == "ou"), None)


def authenticate(config: Mapping, login: str, password: str) -> DirectoryIdentity:
    """Who ``login`` is in the directory, having checked ``password`` by binding as them."""
    if not password:
        # An empty password is an unauthenticated bind, which LDAP servers let succeed.
        raise BadCredentials("empty_password")
    server = _server(config)
    search_filter = config["LDAP_USER_FILTER"].format(login=escape_filter_chars(login))
    if config["LDAP_BIND_DN"]:
        conn = _connect(config, server, config["LDAP_BIND_DN"], config["LDAP_BIND_PASSWORD"])
        if not conn.bound:
            raise DirectoryUnavailable(f"service account bind failed: {conn.result}")
    else:
        conn = _connect(config, server, config["LDAP_BIND_TEMPLATE"].format(login=login),
                        password)
        if not conn.bound:
            raise BadCredentials("wrong_password")
    try:
        attributes = [a for a in (config["LDAP_MAIL_ATTR"], config["LDAP_NAME_ATTR"],
                                  config["LDAP_DEPARTMENT_ATTR"]) if a]
        conn.search(config["LDAP_USER_BASE"], search_filter, attributes=attributes,
                    size_limit=2)
        people = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
        if len(people) != 1:
            raise BadCredentials("not_found" if not people else "ambiguous")
        dn, entry = people[0]["dn"], people[0]["attributes"]
        disabled = False
        if config["LDAP_DISABLED_FILTER"]:
            conn.search(dn, config["LDAP_DISABLED_FILTER"], search_scope=ldap3.BASE,
                        attributes=[])
            disabled = any(e.get("type") == "searchResEntry" for e in conn.response or [])
        if not disabled and config["LDAP_BIND_DN"]:
            user_conn = _connect(config, server, dn, password)
            bound = user_conn.bound
            user_conn.unbind()
            if not bound:
                raise BadCredentials("wrong_password")
        conn.search(config["LDAP_GROUP_BASE"] or config["LDAP_USER_BASE"],
                    config["LDAP_GROUP_FILTER"].format(dn=escape_filter_chars(dn)),
                    attributes=[])
        groups = [e["dn"] for e in conn.response or [] if e.get("type") == "searchResEntry"]
    except LDAPException as exc:
        raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.unbind()
    return DirectoryIdentity(
        source="ldap", ref=dn, email=_first(entry, config["LDAP_MAIL_ATTR"]) or login,
        name=_first(entry, config["LDAP_NAME_ATTR"]),
        role=role_for(groups, config["LDAP_GROUP_ROLES"]),
        department=_department(config, dn, entry), disabled=disabled)
