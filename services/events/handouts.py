"""Handouts and publications: an item, how many were printed, and how many went to which kind of site
(登別市: 23,000 pamphlets, 19,000 in the city newsletter and 4,000 at 26 sites; 江東区: 1,000 leaflets over
14 kinds of sites)."""
from __future__ import annotations


def distribution_problems(copies_printed: int | None, distributions: list[dict]) -> list[dict]:
    problems = []
    for i, d in enumerate(distributions):
        if d.get("copies", 0) < 0:
            problems.append({"pointer": f"#/distributions/{i}/copies", "detail": "copies are not negative"})
        if d.get("site_count") is not None and d["site_count"] < 1:
            problems.append({"pointer": f"#/distributions/{i}/site_count", "detail": "at least one site"})
    total = sum(d.get("copies", 0) for d in distributions)
    if copies_printed is not None and total > copies_printed:
        problems.append({"pointer": "#/distributions",
                         "detail": f"{total} copies distributed but only {copies_printed} printed"})
    return problems


def totals(copies_printed: int | None, distributions: list[dict]) -> dict:
    distributed = sum(d.get("copies", 0) for d in distributions)
    return {"copies_printed": copies_printed, "copies_distributed": distributed,
            "sites": sum(d.get("site_count") or 1 for d in distributions),
            "site_kinds": len(distributions),
            "copies_remaining": None if copies_printed is None else copies_printed - distributed}
