"""Small-number suppression for referral counts below prefecture level.

In a small town a count of 1 or 2 can identify a person. Counts below the threshold are shown as "< k". A shown
total would let anyone recover a single suppressed cell by subtraction, so within every group of cells that sums to
a shown total, either no cell or at least two cells are suppressed (secondary suppression: the next smallest cells
are suppressed too). Zero is treated like any small count, so "< 3" does not reveal "at least one".
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Suppressed:
    threshold: int

    def __str__(self) -> str:
        return f"< {self.threshold}"


def suppress_group(cells: dict[str, int], threshold: int) -> dict[str, int | Suppressed]:
    """Suppress one group of cells whose total is shown. Returns ints or Suppressed markers."""
    if threshold <= 1 or not cells:
        return dict(cells)
    hidden = {key for key, value in cells.items() if value < threshold}
    if len(hidden) == 1 and len(cells) > 1:
        # One hidden cell could be recovered as total - the others: hide the smallest other cell as well.
        others = sorted((v, k) for k, v in cells.items() if k not in hidden)
        hidden.add(others[0][1])
    return {key: (Suppressed(threshold) if key in hidden else value) for key, value in cells.items()}


def suppress_total(total: int, threshold: int) -> int | Suppressed:
    return Suppressed(threshold) if total < threshold else total


def rendered(value) -> int | str:
    """JSON form: an int, or the string "< k"."""
    return str(value) if isinstance(value, Suppressed) else value


def suppress_table(rows: dict[str, dict[str, int]], threshold: int) -> dict[str, dict[str, int | Suppressed]]:
    """Suppress a two-dimensional table whose row and column totals are shown: every row and every column is a
    group; secondary suppression repeats until no row or column has exactly one hidden cell."""
    hidden = {(r, c) for r, cols in rows.items() for c, v in cols.items() if v < threshold}
    changed = True
    while changed:
        changed = False
        lines = [[(r, c) for c in cols] for r, cols in rows.items()]
        columns = {c for cols in rows.values() for c in cols}
        lines += [[(r, c) for r in rows if c in rows[r]] for c in columns]
        for line in lines:
            in_line = [cell for cell in line if cell in hidden]
            if len(in_line) == 1 and len(line) > 1:
                candidates = sorted((rows[r][c], r, c) for r, c in line if (r, c) not in hidden)
                _, r, c = candidates[0]
                hidden.add((r, c))
                changed = True
    return {r: {c: (Suppressed(threshold) if (r, c) in hidden else v) for c, v in cols.items()}
            for r, cols in rows.items()}
