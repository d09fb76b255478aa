"""Osaka City's organisations (seed list) and matching of bureau names as printed in the plan."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol


class Department(NamedTuple):
    """A seeded organisation: (name, kind, sort_order, name_en, code)."""

    name: str
    kind: str  # office | bureau | ward | joint
    sort_order: int
    name_en: str
    code: str


_OFFICES = (
    ("デジタル統括室", "Digital Office", "digital"),
    ("市政改革室", "Administrative Reform Office", "reform"),
    ("政策企画室", "Policy Planning Office", "policy"),
    ("危機管理室", "Crisis Management Office", "crisis"),
    ("人事室", "Personnel Office", "personnel"),
)
_BUREAUS = (
    ("財政局", "Finance Bureau", "finance"),
    ("環境局", "Environment Bureau", "environment"),
    ("建設局", "Construction Bureau", "construction"),
    ("水道局", "Waterworks Bureau", "waterworks"),
    ("消防局", "Fire Bureau", "fire"),
    ("大阪港湾局", "Osaka Port and Harbor Bureau", "port"),
    ("福祉局", "Welfare Bureau", "welfare"),
    ("健康局", "Health Bureau", "health"),
    ("こども青少年局", "Children and Youth Bureau", "children"),
    ("経済戦略局", "Economic Strategy Bureau", "economy"),
    ("都市計画局", "City Planning Bureau", "city_planning"),
    ("都市交通局", "Urban Transportation Bureau", "transport"),
    ("市民局", "Citizens Bureau", "citizens"),
    ("都市整備局", "Urban Development Bureau", "urban_development"),
    ("契約管財局", "Contract and Property Management Bureau", "contracts"),
    ("教育委員会事務局", "Board of Education Secretariat", "education"),
)
_WARDS = (
    ("北区", "Kita"), ("都島区", "Miyakojima"), ("福島区", "Fukushima"),
    ("此花区", "Konohana"), ("中央区", "Chuo"), ("西区", "Nishi"), ("港区", "Minato"),
    ("大正区", "Taisho"), ("天王寺区", "Tennoji"), ("浪速区", "Naniwa"),
    ("西淀川区", "Nishiyodogawa"), ("淀川区", "Yodogawa"), ("東淀川区", "Higashiyodogawa"),
    ("東成区", "Higashinari"), ("生野区", "Ikuno"), ("旭区", "Asahi"), ("城東区", "Joto"),
    ("鶴見区", "Tsurumi"), ("阿倍野区", "Abeno"), ("住之江区", "Suminoe"),
    ("住吉区", "Sumiyoshi"), ("東住吉区", "Higashisumiyoshi"), ("平野区", "Hirano"),
    ("西成区", "Nishinari"),
)  # fmt: skip
_JOINT = (
    (
        "大阪広域環境施設組合",
        "Osaka Wide-Area Environmental Facilities Association",
        "env_facilities_union",
    ),
)


def _seed() -> tuple[Department, ...]:
    rows: list[tuple[str, str, str, str]] = [
        *((name, "office", en, code) for name, en, code in _OFFICES),
        *((name, "bureau", en, code) for name, en, code in _BUREAUS),
        *((name, "ward", f"{en} Ward", en.lower()) for name, en in _WARDS),
        *((name, "joint", en, code) for name, en, code in _JOINT),
    ]
    # Steps of 10 leave room to insert an organisation without renumbering.
    return tuple(
        Department(name, kind, (i + 1) * 10, en, code)
        for i, (name, kind, en, code) in enumerate(rows)
    )


CITY_DEPARTMENTS: tuple[Department, ...] = _seed()
DEPARTMENT_NAMES: tuple[str, ...] = tuple(d.name for d in CITY_DEPARTMENTS)

# Common printed variants of a seeded name; used only when the target is among the known names.
DEPARTMENT_ALIASES: dict[str, str] = {
    "教育委員会": "教育委員会事務局",
    "港湾局": "大阪港湾局",
    "広域環境施設組合": "大阪広域環境施設組合",
}

_SEPARATORS = re.compile(r"[・･、，,;；/／\s]+")
_SUFFIXES = ("局", "区", "室")


def split_departments(cell: str | None) -> list[str]:
    """The names in a cell listing several bodies ("建設局・消防局", "市民局、区役所")."""
    if not cell:
        return []
    return [part for part in _SEPARATORS.split(cell) if part]


def _normalise(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def _candidates(key: str) -> list[str]:
    keys = [key]
    if key.startswith("大阪市") and len(key) > 3:
        keys.append(key[3:])
    # "北区役所" names the ward; a bare "区役所" (every ward office) does not.
    keys += [k[:-2] for k in list(keys) if k.endswith("区役所") and len(k) > 3]
    keys += [DEPARTMENT_ALIASES[k] for k in list(keys) if k in DEPARTMENT_ALIASES]
    return keys


def match_department(name: str, known_names: Iterable[str] | None = None) -> str | None:
    """The known name that ``name`` refers to, or None; never invents a department."""
    known = DEPARTMENT_NAMES if known_names is None else tuple(known_names)
    by_key = {_normalise(k): k for k in known}
    keys = _candidates(_normalise(name))
    if not keys[0]:
        return None
    for key in keys:
        if key in by_key:
            return by_key[key]
    for key in keys:
        stems = [k for norm, k in by_key.items() if norm[:-1] == key and norm[-1:] in _SUFFIXES]
        if len(stems) == 1:
            return stems[0]
    return None


class _HasDepartments(Protocol):
    @property
    def departments(self) -> Sequence[str]: ...


def unknown_departments(
    initiatives: Iterable[_HasDepartments], known_names: Iterable[str] | None = None
) -> list[str]:
    """Sorted distinct department names in ``initiatives`` that match no known department."""
    known = DEPARTMENT_NAMES if known_names is None else tuple(known_names)
    names = {
        part
        for initiative in initiatives
        for cell in initiative.departments
        for part in split_departments(cell)
    }
    return sorted(name for name in names if match_department(name, known) is None)
