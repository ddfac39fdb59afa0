"""The shared taxonomy of fields of activity and target groups (domain.md §2.7), also used as referral
categories. Reference data like areas: every service reads it locally, none asks another over RPC.
Term ids are stable UUIDs derived from the codes, as HSDS 3.0 requires UUID ids."""
from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TAXONOMY_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://tsunagu.example.jp/taxonomy/fields"))
TAXONOMY_NAME = "つなぐ 活動分野・対象"


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    parent_code: str | None
    sdoh_category: str | None
    description: str

    @property
    def id(self) -> str:
        return term_id(self.code)

    @property
    def parent_id(self) -> str | None:
        return term_id(self.parent_code) if self.parent_code else None


def term_id(code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://tsunagu.example.jp/taxonomy/fields/{code}"))


@lru_cache(maxsize=1)
def terms() -> dict[str, Term]:
    path = Path(__file__).parent / "taxonomy_data" / "terms.csv"
    with path.open(encoding="utf-8") as f:
        out = {row["code"]: Term(row["code"], row["name"], row["parent_code"] or None, row["sdoh_category"] or None,
                                 row["description"]) for row in csv.DictReader(f)}
    for term in out.values():
        if term.parent_code and term.parent_code not in out:
            raise ValueError(f"taxonomy term {term.code} has unknown parent {term.parent_code}")
    return out


def get(code_or_id: str) -> Term | None:
    all_terms = terms()
    if code_or_id in all_terms:
        return all_terms[code_or_id]
    return next((t for t in all_terms.values() if t.id == code_or_id), None)


def with_descendants(code: str) -> set[str]:
    """The code and every term below it (a filter on ひきこもり also finds 8050問題)."""
    found = {code}
    changed = True
    while changed:
        changed = False
        for term in terms().values():
            if term.parent_code in found and term.code not in found:
                found.add(term.code)
                changed = True
    return found
