"""Registry of the administrative areas the platform works with.

Why this exists: platforms (PFs), organisations, memberships and referrals are
all attached to an area — the country, a prefecture, one of Hokkaido's 14
promotion bureaus (振興局), a municipality, or a cross-area group such as
西胆振 or 麒麟のまち圏域 that cuts across municipalities and even prefectures
(domain.md §1.1–1.2).  Every service needs the same answers to "what is this
code, what is above it, what is below it", so they come from one in-memory,
validated registry built from the curated CSV files in ``data/`` (plus any
municipality files the national-code importer wrote to
``$TSUNAGU_AREAS_EXTRA_DIR``).

Scope decisions ("may a bureau user see this municipality's referral?") are
made by :func:`services.servicekit.areas.scope.scope_contains`; the registry
only precomputes the sets that make that check a single lookup.
"""

from __future__ import annotations

import csv
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from .check_digit import is_valid_municipality_code

__all__ = [
    "Area",
    "AreaRegistry",
    "AreaDataError",
    "UnknownArea",
    "DATA_DIR",
    "EXTRA_DIR_ENV",
    "ROOT_CODE",
    "LEVELS",
    "MUNICIPALITY_KINDS",
    "MUNICIPALITY_COLUMNS",
    "default_registry",
    "load_registry",
    "extra_municipality_files",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
EXTRA_DIR_ENV = "TSUNAGU_AREAS_EXTRA_DIR"
ROOT_CODE = "JP"

LEVELS = ("country", "prefecture", "bureau", "municipality", "cross_area")
# 'ward' (政令指定都市の区) only appears when the importer ran with --include-wards.
MUNICIPALITY_KINDS = frozenset({"city", "town", "village", "special_ward", "ward"})

PREFECTURE_COLUMNS = ("code", "name", "name_kana", "name_en")
BUREAU_COLUMNS = ("code", "name", "official_name", "seat")
MUNICIPALITY_COLUMNS = ("code", "name", "name_kana", "kind", "prefecture_code", "bureau_code")
CROSS_AREA_COLUMNS = ("code", "name", "description", "members")


class UnknownArea(KeyError):
    """Raised by :meth:`AreaRegistry.get` (and friends) for a code that is not registered."""


class AreaDataError(ValueError):
    """The area data is inconsistent (bad check digit, missing parent, duplicate code, ...)."""


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    name_kana: str
    level: str  # one of LEVELS
    kind: str | None = None  # municipalities: city/town/village/special_ward(/ward); else None
    parent_code: str | None = None
    member_codes: tuple[str, ...] = ()  # only for level == 'cross_area'


class AreaRegistry:
    """Immutable, validated set of areas with precomputed hierarchy lookups.

    ``sources`` optionally maps a code to where it was read from ("file:line"),
    used only to make validation errors point at the offending row.
    """

    def __init__(self, areas: Iterable[Area], sources: Mapping[str, str] | None = None):
        self._sources = dict(sources or {})
        by_code: dict[str, Area] = {}
        for area in areas:
            if area.code in by_code:
                raise AreaDataError(
                    f"duplicate area code {area.code!r} ({self._where(area.code)} and another row)"
                )
            by_code[area.code] = area
        self._by_code = by_code
        self._validate()
        self._build_indexes()

    # ------------------------------------------------------------------ lookups
    def get(self, code: str) -> Area:
        try:
            return self._by_code[code]
        except (KeyError, TypeError):
            raise UnknownArea(code) from None

    def find(self, code: str) -> Area | None:
        try:
            return self._by_code.get(code)
        except TypeError:  # unhashable input
            return None

    def __contains__(self, code: object) -> bool:
        return self.find(code) is not None  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self._by_code)

    def all(self) -> list[Area]:
        """Every area: JP, prefectures, bureaus, municipalities, cross-area groups (each sorted by code)."""
        return list(self._all)

    def children(self, code: str) -> list[Area]:
        """Direct children sorted by code.  For a cross-area group: its member municipalities."""
        area = self.get(code)
        if area.level == "cross_area":
            return [self._by_code[c] for c in area.member_codes]
        return list(self._children.get(code, ()))

    def ancestors(self, code: str) -> list[Area]:
        """Parents up to JP, nearest first (empty for JP and for cross-area groups)."""
        self.get(code)
        return [self._by_code[c] for c in self._ancestors[code]]

    def municipalities_in(self, code: str) -> list[Area]:
        """All municipality-level areas the scope ``code`` covers (itself included), sorted by code."""
        self.get(code)
        cached = self._municipalities_cache.get(code)
        if cached is None:
            cached = tuple(a for a in self._municipalities if code in self._containers[a.code])
            self._municipalities_cache[code] = cached
        return list(cached)

    def contains(self, scope_code: str, area_code: str) -> bool:
        """Same answer as :func:`scope_contains` (the one place the rules live)."""
        from .scope import scope_contains

        return scope_contains(scope_code, area_code, self)

    def cross_area_groups(self) -> list[Area]:
        return list(self._groups)

    def tree(self, root_code: str = ROOT_CODE) -> dict:
        """Nested ``{"code","name","name_kana","level","kind","children":[...]}`` below ``root_code``.

        Cross-area groups are not part of the hierarchy (see :meth:`cross_area_groups`);
        asking for a group's tree gives the group with its members as children.
        """
        return self._node(self.get(root_code))

    def prefecture_of(self, code: str) -> Area | None:
        """The prefecture an area lies in (None for JP and for cross-area groups)."""
        area = self.get(code)
        if area.level == "prefecture":
            return area
        for anc in self.ancestors(code):
            if anc.level == "prefecture":
                return anc
        return None

    # ---------------------------------------------------- internal: used by scope
    def _container_set(self, area_code: str) -> frozenset[str] | None:
        return self._containers.get(area_code)

    # ------------------------------------------------------------------ building
    def _where(self, code: str) -> str:
        return self._sources.get(code, "<memory>")

    def _fail(self, code: str, message: str) -> None:
        raise AreaDataError(f"{self._where(code)}: area {code!r}: {message}")

    def _validate(self) -> None:
        by_code = self._by_code
        root = by_code.get(ROOT_CODE)
        if root is None or root.level != "country":
            raise AreaDataError(f"the root area {ROOT_CODE!r} (level 'country') is missing")
        for area in by_code.values():
            if area.level not in LEVELS:
                self._fail(area.code, f"unknown level {area.level!r}")
            if area.level == "country":
                if area.code != ROOT_CODE or area.parent_code is not None:
                    self._fail(area.code, "only 'JP' may have level 'country', and it has no parent")
                continue
            if area.level == "cross_area":
                if area.parent_code is not None:
                    self._fail(area.code, "cross-area groups have no parent")
                if not area.member_codes:
                    self._fail(area.code, "cross-area group has no members")
                if len(set(area.member_codes)) != len(area.member_codes):
                    self._fail(area.code, "cross-area group lists a member twice")
                for m in area.member_codes:
                    member = by_code.get(m)
                    if member is None:
                        self._fail(area.code, f"member {m!r} is not a registered area")
                    if member.level != "municipality":
                        self._fail(area.code, f"member {m!r} is a {member.level}, not a municipality")
                continue
            if area.member_codes:
                self._fail(area.code, "only cross-area groups have members")
            parent = by_code.get(area.parent_code) if area.parent_code else None
            if parent is None:
                self._fail(area.code, f"parent {area.parent_code!r} does not exist")
            if area.level == "prefecture":
                if not (len(area.code) == 2 and area.code.isdigit() and 1 <= int(area.code) <= 47):
                    self._fail(area.code, "prefecture codes are JIS X 0401 '01'..'47'")
                if parent.level != "country":
                    self._fail(area.code, "a prefecture's parent must be JP")
            elif area.level == "bureau":
                if parent.level != "prefecture":
                    self._fail(area.code, "a bureau's parent must be a prefecture")
                if not area.code.startswith(parent.code):
                    self._fail(area.code, f"bureau code does not start with its prefecture {parent.code!r}")
            elif area.level == "municipality":
                if not is_valid_municipality_code(area.code):
                    self._fail(area.code, "not a six-digit local-government code with a valid check digit")
                if area.kind not in MUNICIPALITY_KINDS:
                    self._fail(area.code, f"unknown municipality kind {area.kind!r}")
                allowed = ("prefecture", "bureau") if area.kind != "ward" else ("prefecture", "municipality")
                if parent.level not in allowed:
                    self._fail(area.code, f"a {area.kind}'s parent cannot be a {parent.level}")
                if area.code[:2] != parent.code[:2]:
                    self._fail(area.code, f"code is not in the prefecture of its parent {parent.code!r}")

    def _build_indexes(self) -> None:
        by_code = self._by_code
        order = {level: i for i, level in enumerate(LEVELS)}
        self._all = tuple(sorted(by_code.values(), key=lambda a: (order[a.level], a.code)))

        children: dict[str, list[Area]] = {}
        for area in self._all:
            if area.parent_code is not None:
                children.setdefault(area.parent_code, []).append(area)
        self._children = {k: tuple(sorted(v, key=lambda a: a.code)) for k, v in children.items()}

        ancestors: dict[str, tuple[str, ...]] = {}
        for area in self._all:
            chain = []
            parent = area.parent_code
            while parent is not None:
                chain.append(parent)
                parent = by_code[parent].parent_code
                if len(chain) > len(by_code):  # pragma: no cover - defensive
                    self._fail(area.code, "cycle in parent chain")
            ancestors[area.code] = tuple(chain)
        self._ancestors = ancestors

        self._groups = tuple(a for a in self._all if a.level == "cross_area")
        self._municipalities = tuple(a for a in self._all if a.level == "municipality")
        groups_of: dict[str, set[str]] = {}
        for g in self._groups:
            for m in g.member_codes:
                groups_of.setdefault(m, set()).add(g.code)

        # containers[x] = every scope code that contains area x (see scope.scope_contains).
        containers: dict[str, frozenset[str]] = {}
        for area in self._all:
            if area.level == "cross_area":
                continue
            scopes = {area.code, *ancestors[area.code]}
            # A group contains its members, and (for designated-city wards) their wards.
            for c in (area.code, *ancestors[area.code]):
                scopes |= groups_of.get(c, set())
            containers[area.code] = frozenset(scopes)
        for g in self._groups:
            # A scope contains a group only if it contains every member; the group
            # itself and any group with a superset of members qualify too.
            common = frozenset.intersection(*(containers[m] for m in g.member_codes))
            containers[g.code] = common | {g.code, ROOT_CODE}
        self._containers = containers
        self._municipalities_cache: dict[str, tuple[Area, ...]] = {}

    def _node(self, area: Area) -> dict:
        return {
            "code": area.code,
            "name": area.name,
            "name_kana": area.name_kana,
            "level": area.level,
            "kind": area.kind,
            "children": [self._node(c) for c in self.children(area.code)],
        }


# ---------------------------------------------------------------------- loading
def _read_rows(path: Path, required: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
    """Rows of a UTF-8 CSV with a header, as ("file:line", row) pairs; checks the columns."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            raise AreaDataError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = []
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue  # blank line
            clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
            rows.append((f"{path}:{reader.line_num}", clean))
        return rows


def _municipality_areas(
    rows: list[tuple[str, dict[str, str]]],
    sources: dict[str, str],
    city_names: dict[tuple[str, str], str],
) -> list[Area]:
    areas = []
    for where, row in rows:
        code, kind = row["code"], row["kind"]
        pref, bureau = row["prefecture_code"], row.get("bureau_code", "")
        if kind == "ward":
            parent = _designated_city_of(row["name"], code, pref, city_names)
        else:
            parent = bureau or pref
        if code in sources:
            raise AreaDataError(f"{where}: area {code!r} already defined at {sources[code]}")
        sources[code] = where
        if not pref:
            raise AreaDataError(f"{where}: area {code!r}: prefecture_code is empty")
        if code[:2] != pref:
            raise AreaDataError(f"{where}: area {code!r}: prefecture_code {pref!r} does not match the code")
        areas.append(
            Area(code=code, name=row["name"], name_kana=row["name_kana"], level="municipality",
                 kind=kind, parent_code=parent or None)
        )
    return areas


def _designated_city_of(ward_name: str, code: str, pref: str, city_names: dict[tuple[str, str], str]) -> str:
    """Parent of a 政令指定都市の区: the city whose name prefixes the ward's ('札幌市中央区')."""
    best = ""
    for (p, name), city_code in city_names.items():
        if p == pref and ward_name.startswith(name) and len(name) > len(best):
            best = name
    if best:
        return city_names[(pref, best)]
    # Fallback on the code: the designated city is the largest XX1YY0 city code <= the ward's.
    candidates = sorted(c for (p, _), c in city_names.items() if p == pref and c[2] == "1" and c[:5] <= code[:5])
    return candidates[-1] if candidates else pref


def load_registry(
    data_dir: str | os.PathLike[str] = DATA_DIR,
    extra_municipality_files: Iterable[str | os.PathLike[str]] = (),
) -> AreaRegistry:
    """Build a registry from the built-in CSVs plus extra municipality CSV files."""
    data_dir = Path(data_dir)
    sources: dict[str, str] = {ROOT_CODE: "<builtin>"}
    areas: list[Area] = [Area(code=ROOT_CODE, name="日本", name_kana="ニホン", level="country")]

    for where, row in _read_rows(data_dir / "prefectures.csv", PREFECTURE_COLUMNS):
        sources.setdefault(row["code"], where)
        areas.append(Area(code=row["code"], name=row["name"], name_kana=row["name_kana"],
                          level="prefecture", parent_code=ROOT_CODE))
    for where, row in _read_rows(data_dir / "hokkaido_bureaus.csv", BUREAU_COLUMNS):
        sources.setdefault(row["code"], where)
        areas.append(Area(code=row["code"], name=row["official_name"] or row["name"],
                          name_kana=row.get("name_kana", ""), level="bureau",
                          parent_code=row["code"][:2]))

    muni_rows = _read_rows(data_dir / "municipalities.csv", MUNICIPALITY_COLUMNS)
    for path in extra_municipality_files:
        muni_rows.extend(_read_rows(Path(path), MUNICIPALITY_COLUMNS))
    city_names = {(r["prefecture_code"], r["name"]): r["code"] for _, r in muni_rows if r["kind"] == "city"}
    areas.extend(_municipality_areas(muni_rows, sources, city_names))

    for where, row in _read_rows(data_dir / "cross_area_groups.csv", CROSS_AREA_COLUMNS):
        if row["code"] in sources:
            raise AreaDataError(f"{where}: area {row['code']!r} already defined at {sources[row['code']]}")
        sources[row["code"]] = where
        areas.append(Area(code=row["code"], name=row["name"], name_kana=row.get("name_kana", ""),
                          level="cross_area", member_codes=tuple(row["members"].split())))
    return AreaRegistry(areas, sources)


def extra_municipality_files(extra_dir: str | os.PathLike[str] | None) -> list[Path]:
    """The ``*.csv`` files in ``extra_dir`` (sorted), or [] if unset or not a directory."""
    if not extra_dir:
        return []
    path = Path(extra_dir)
    if not path.is_dir():
        return []
    return sorted(p for p in path.glob("*.csv") if p.is_file())


@functools.lru_cache(maxsize=1)
def default_registry() -> AreaRegistry:
    """The process-wide registry: built-in data + files in ``$TSUNAGU_AREAS_EXTRA_DIR``.

    Loaded once; call ``default_registry.cache_clear()`` after importing new codes
    (or in tests that change the environment variable).
    """
    return load_registry(DATA_DIR, extra_municipality_files(os.environ.get(EXTRA_DIR_ENV)))
