"""A throw-away OpenLDAP directory for tests: a small city tree served by Debian's ``slapd``.

Started as a normal process on free loopback ports with a temporary ``slapd.conf`` (loaded
with ``slapadd`` first), plain LDAP and LDAPS with a certificate from a throw-away CA, and
stopped at the end. The tree: bureaus as OUs under ``ou=bureaus``, one group per dxflow
role under ``ou=groups``, a service account for search-then-bind, and a locked account
(``pwdAccountLockedTime`` from the ppolicy overlay, which also refuses its binds).
"""

from __future__ import annotations

import atexit
import base64
import datetime
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
BASE = "dc=city,dc=example"
ROOT_DN = f"cn=admin,{BASE}"
SERVICE_DN = f"cn=dxflow-service,ou=services,{BASE}"
SERVICE_PASSWORD = "service-secret-9"  # noqa: S105 - a throw-away test directory
PASSWORD = "directory-pass-7"  # noqa: S105 - every person's password in the test tree


class LdapUnavailable(RuntimeError):
    """Debian's slapd is not installed."""


@dataclass(frozen=True)
class Person:
    uid: str
    name: str
    bureau: str  # the OU under ou=bureaus: a dxflow department code
    groups: tuple[str, ...]
    locked: bool = False

    @property
    def email(self) -> str:
        return f"{self.uid}@city.example"

    @property
    def dn(self) -> str:
        return f"uid={self.uid},ou={self.bureau},ou=bureaus,{BASE}"


PEOPLE = (
    Person("fukushi.tanto", "福祉 太郎", "welfare", ("dxflow-requesters",)),
    Person("fukushi.kacho", "福祉 課長", "welfare", ("dxflow-dept-managers",)),
    Person("kodomo.tanto", "こども 花子", "children", ("dxflow-requesters",)),
    Person("toukatsu.kanri", "統括 管理", "digital", ("dxflow-office-leads",)),
    Person("taishoku", "退職 済", "welfare", ("dxflow-requesters",), locked=True),
    Person("no.group", "権限 なし", "welfare", ()),
)
GROUP_ROLES = {
    "dxflow-requesters": "requester",
    "dxflow-dept-managers": "dept_manager",
    "dxflow-office-leads": "office_lead",
    "dxflow-admins": "admin",
}


def group_dn(cn: str) -> str:
    return f"cn={cn},ou=groups,{BASE}"


def _ssha(password: str) -> str:
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - LDAP {SSHA} format
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def city_ldif() -> str:
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: city\no: City",
        f"dn: ou=bureaus,{BASE}\nobjectClass: organizationalUnit\nou: bureaus",
        f"dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SERVICE_DN}\nobjectClass: person\ncn: dxflow-service\nsn: service\n"
        f"userPassword: {_ssha(SERVICE_PASSWORD)}",
    ]
    for bureau in sorted({p.bureau for p in PEOPLE}):
        entries.append(f"dn: ou={bureau},ou=bureaus,{BASE}\nobjectClass: organizationalUnit\n"
                       f"ou: {bureau}")
    for p in PEOPLE:
        entry = (f"dn: {p.dn}\nobjectClass: inetOrgPerson\nuid: {p.uid}\ncn:: {_b64(p.name)}\n"
                 f"sn:: {_b64(p.name.split()[0])}\ndisplayName:: {_b64(p.name)}\n"
                 f"mail: {p.email}\nuserPassword: {_ssha(PASSWORD)}")
        if p.locked:
            entry += "\npwdAccountLockedTime: 000001010000Z"
        entries.append(entry)
    for cn in GROUP_ROLES:
        members = [p.dn for p in PEOPLE if cn in p.groups] or [SERVICE_DN]
        entries.append(f"dn: {group_dn(cn)}\nobjectClass: groupOfNames\ncn: {cn}\n"
                       + "\n".join(f"member: {m}" for m in members))
    return "\n\n".join(entries) + "\n"


def _write_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for localhost / 127.0.0.1 signed by it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dxflow test city CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Directory:
    """``Directory().start()`` serves the city tree; ``url`` / ``ldaps_url`` / ``ca_file``."""

    def __init__(self) -> None:
        if not SLAPD.is_file() or not SLAPADD.is_file():
            raise LdapUnavailable("Debian's slapd is not installed (scripts/test.sh installs it)")
        self.dir: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.port = self.ldaps_port = 0
        self.ca_file = Path()

    @property
    def url(self) -> str:
        return f"ldap://localhost:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://localhost:{self.ldaps_port}"

    def start(self) -> Directory:
        self.dir = Path(tempfile.mkdtemp(prefix="dxflow-ldap-"))
        atexit.register(self.stop)
        try:
            self.ca_file, cert, key = _write_tls(self.dir)
            (self.dir / "db").mkdir()
            conf = self.dir / "slapd.conf"
            conf.write_text(self._config(cert, key), encoding="utf-8")
            (self.dir / "city.ldif").write_text(city_ldif(), encoding="utf-8")
            self._run([str(SLAPADD), "-f", str(conf), "-l", str(self.dir / "city.ldif")])
            for attempt in range(3):
                self.port, self.ldaps_port = _free_port(), _free_port()
                if self._serve(conf):
                    break
                if attempt == 2:
                    raise RuntimeError(f"slapd did not start: {self._log()}")
        except BaseException:
            self.stop()
            raise
        return self

    def _config(self, cert: Path, key: Path) -> str:
        schemas = "\n".join(f"include {SCHEMA_DIR / s}.schema"
                            for s in ("core", "cosine", "inetorgperson"))
        return f"""{schemas}
modulepath {MODULE_DIR}
moduleload back_mdb
moduleload ppolicy
pidfile {self.dir}/slapd.pid
TLSCACertificateFile {self.ca_file}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
database mdb
maxsize 10485760
suffix "{BASE}"
rootdn "{ROOT_DN}"
rootpw "{SERVICE_PASSWORD}"
directory {self.dir}/db
overlay ppolicy
access to attrs=userPassword by anonymous auth by self read by * none
access to * by users read by * none
"""

    def _serve(self, conf: Path) -> bool:
        # -d 0 keeps slapd in the foreground, so this process owns and stops it.
        with (self.dir / "slapd.log").open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                [str(SLAPD), "-f", str(conf), "-d", "0",
                 "-h", f"ldap://127.0.0.1:{self.port}/ ldaps://127.0.0.1:{self.ldaps_port}/"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.ldaps_port), timeout=0.5).close()
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.1)
        self.proc.kill()
        return False

    def pause(self) -> None:
        """Stop serving (the directory is down) until ``resume``: fault tests."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def resume(self) -> None:
        if self.proc is None and not self._serve(self.dir / "slapd.conf"):
            raise RuntimeError(f"slapd did not restart: {self._log()}")

    def _log(self) -> str:
        path = self.dir / "slapd.log" if self.dir else None
        return path.read_text(errors="replace")[-2000:] if path and path.exists() else ""

    def _run(self, cmd: list[str]) -> None:
        proc = subprocess.run(cmd, capture_output=True, text=True,  # noqa: S603
                              stdin=subprocess.DEVNULL, check=False)
        if proc.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr or proc.stdout}")

    def stop(self) -> None:
        atexit.unregister(self.stop)
        self.pause()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> Directory:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_or_skip() -> Directory:
    """A running directory, or skip the test (fail in CI) when slapd is missing."""
    from tests.support import skip_or_fail

    try:
        return Directory().start()
    except LdapUnavailable as exc:
        skip_or_fail(str(exc))
        raise


def app_config(directory: Directory, *, starttls: bool = False, **overrides) -> dict:
    """The DXFLOW_LDAP_* settings (as app config) a city would set for this tree."""
    config = {
        "LDAP_URL": directory.url if starttls else directory.ldaps_url,
        "LDAP_STARTTLS": starttls,
        "LDAP_CA_FILE": str(directory.ca_file),
        "LDAP_BIND_DN": SERVICE_DN,
        "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "LDAP_BIND_TEMPLATE": "",
        "LDAP_USER_BASE": f"ou=bureaus,{BASE}",
        "LDAP_USER_FILTER": "(&(objectClass=person)(mail={login}))",
        "LDAP_MAIL_ATTR": "mail",
        "LDAP_NAME_ATTR": "displayName",
        "LDAP_DEPARTMENT_ATTR": "",
        "LDAP_GROUP_BASE": f"ou=groups,{BASE}",
        "LDAP_GROUP_FILTER": "(member={dn})",
        "LDAP_GROUP_ROLES": {group_dn(cn).lower(): role for cn, role in GROUP_ROLES.items()},
        "LDAP_DISABLED_FILTER": "(pwdAccountLockedTime=*)",
        "LDAP_TIMEOUT": 3,
    }
    config.update(overrides)
    return config
