"""The demo's people: an account for every role with a known password, and staff per owning bureau.

Every address uses the reserved ``.example`` top-level domain (RFC 2606), so no demo mail
can ever reach a real person. Each distinct password is hashed once: Argon2 costs ~50 ms
a hash, and the demo creates a few dozen accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.models import Department, User
from workflow.people.audit import record
from workflow.people.passwords import hash_password

DEMO_DOMAIN = "demo.city.osaka.example"

# One password for every demo account: Argon2 takes up to ~0.7 s a hash on a small machine,
# and one shared password is also the easiest to hand out in a demo. Kept per role so a
# role can be given its own without touching the code that hashes each distinct one once.
DEMO_PASSWORD = "dxflow-demo-1"  # noqa: S105 - published on purpose: demo accounts only
PASSWORDS = dict.fromkeys(
    ("requester", "dept_manager", "office", "office_lead", "expert", "executive", "admin"),
    DEMO_PASSWORD,
)

ROLE_NAMES_JA = {
    "requester": "部局担当者",
    "dept_manager": "所属長（課長級）",
    "office": "デジタル統括室 職員",
    "office_lead": "デジタル統括室 管理職",
    "expert": "外部専門人材",
    "executive": "DX推進本部",
    "admin": "システム管理者",
}

# The bureaus whose staff the README and the printed table introduce:
# name -> (mail prefix, requester's name, manager's name).
FEATURED_BUREAUS = {
    "福祉局": ("fukushi", "山本 美咲", "中村 健一"),
    "こども青少年局": ("kodomo", "小林 由佳", "加藤 誠"),
    "市民局": ("shimin", "吉田 翔太", "山田 直子"),
    "建設局": ("kensetsu", "佐々木 大輔", "井上 浩二"),
    "北区": ("kita", "松本 彩", "木村 隆"),
}
# Other departments that own an initiative get a pair of staff too (prefix, requester, manager).
OTHER_BUREAUS = {
    "デジタル統括室": ("digital", "池田 智子", "岡田 学"),
    "消防局": ("shobo", "前田 さくら", "石川 勝"),
    "環境局": ("kankyo", "藤田 恵美", "後藤 聡"),
    "大阪港湾局": ("kowan", "長谷川 葵", "村上 剛"),
    "経済戦略局": ("keizai", "近藤 真由美", "坂本 浩"),
    "都市整備局": ("toshiseibi", "遠藤 舞", "青木 誠司"),
    "契約管財局": ("keiyaku", "藤井 香織", "西村 徹"),
    "教育委員会事務局": ("kyoiku", "福田 愛", "太田 隆之"),
    "水道局": ("suido", "三浦 優", "岡本 健太"),
    "健康局": ("kenko", "松田 美穂", "中川 博"),
    "財政局": ("zaisei", "中野 綾", "原田 淳"),
    "人事室": ("jinji", "小野 里美", "竹内 修一"),
    "政策企画室": ("seisaku", "田村 結衣", "金子 正"),
    "危機管理室": ("kikikanri", "和田 彩花", "中山 信也"),
}
_SPARE_NAMES = (("石井 麻衣", "上田 誠"), ("森田 千夏", "柴田 雅人"), ("橋本 沙織", "酒井 大介"),
                ("工藤 陽子", "横山 哲也"))

# (role, mail local part, name, department name or None)
OFFICE_PEOPLE = (
    ("office", "toukatsu1", "田中 優子", "デジタル統括室"),
    ("office", "toukatsu2", "伊藤 拓也", "デジタル統括室"),
    ("office", "toukatsu3", "渡辺 恵", "デジタル統括室"),
    ("office_lead", "toukatsu.kanri", "高橋 修", "デジタル統括室"),
    ("expert", "senmon1", "林 千尋", None),
    ("expert", "senmon2", "清水 亮", None),
    ("executive", "honbu", "斎藤 正人", None),
    ("admin", "admin", "森 一郎", "デジタル統括室"),
)


@dataclass(frozen=True)
class DemoUser:
    role: str
    email: str
    password: str
    name: str
    department: str | None
    featured: bool = True

    @property
    def role_ja(self) -> str:
        return ROLE_NAMES_JA[self.role]


def email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def demo_users(owner_departments: Iterable[str]) -> list[DemoUser]:
    """Everyone the demo creates: featured bureaus, office and read-only roles, other owners."""
    users: list[DemoUser] = []
    for dept, (prefix, tanto, kacho) in FEATURED_BUREAUS.items():
        users.append(DemoUser("requester", email(f"{prefix}.tanto"), PASSWORDS["requester"],
                              tanto, dept))
        users.append(DemoUser("dept_manager", email(f"{prefix}.kacho"), PASSWORDS["dept_manager"],
                              kacho, dept))
    users += [DemoUser(role, email(local), PASSWORDS[role], name, dept)
              for role, local, name, dept in OFFICE_PEOPLE]
    spare = iter(_SPARE_NAMES)
    others = [d for d in dict.fromkeys(owner_departments) if d not in FEATURED_BUREAUS]
    for n, dept in enumerate(others):
        prefix, tanto, kacho = OTHER_BUREAUS.get(dept) or (f"bureau{n + 1}", *next(spare))
        users.append(DemoUser("requester", email(f"{prefix}.tanto"), PASSWORDS["requester"], tanto,
                              dept, featured=False))
        users.append(DemoUser("dept_manager", email(f"{prefix}.kacho"), PASSWORDS["dept_manager"],
                              kacho, dept, featured=False))
    return users


def create_demo_users(session: Session, specs: list[DemoUser], now: datetime) -> dict[str, User]:
    """Insert the accounts (one audit event each); returns them by e-mail."""
    departments = {d.name: d for d in session.scalars(select(Department))}
    hashes = {password: hash_password(password) for password in {s.password for s in specs}}
    created: dict[str, User] = {}
    for spec in specs:
        dept = departments[spec.department] if spec.department else None
        user = User(email=spec.email, name=spec.name, role=spec.role, language="ja",
                    department_id=dept.id if dept else None, password_hash=hashes[spec.password],
                    created_at=now, updated_at=now)
        session.add(user)
        session.flush()
        record(session, "user_admin", None, now=now,
               data={"action": "create", "user": spec.email, "role": spec.role, "source": "demo"})
        created[spec.email] = user
    session.commit()
    return created
