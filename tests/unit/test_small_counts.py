"""Small counts are hidden and cannot be recovered from totals."""
from itertools import combinations

from gateway.dashboard.small_counts import Suppressed, rendered, suppress_group, suppress_total


def recoverable(cells: dict, shown_total: int) -> set[str]:
    """Cells an attacker could compute exactly from the shown total and the shown cells."""
    hidden = [k for k, v in cells.items() if isinstance(v, Suppressed)]
    return set(hidden) if len(hidden) == 1 else set()


def test_counts_below_the_threshold_are_hidden():
    out = suppress_group({"a": 10, "b": 2, "c": 0, "d": 7}, 3)
    assert out["a"] == 10 and out["d"] == 7
    assert isinstance(out["b"], Suppressed) and isinstance(out["c"], Suppressed)
    assert rendered(out["b"]) == "< 3"


def test_a_single_small_cell_gets_a_companion_so_the_total_does_not_reveal_it():
    cells = {"登別市": 1, "室蘭市": 12, "伊達市": 5}
    out = suppress_group(cells, 3)
    assert isinstance(out["登別市"], Suppressed)
    assert isinstance(out["伊達市"], Suppressed)  # the next smallest
    assert out["室蘭市"] == 12
    assert recoverable(out, sum(cells.values())) == set()


def test_no_cell_of_any_small_group_is_recoverable():
    # Exhaustive over small groups: whatever the counts, never exactly one hidden cell when others are shown.
    values = range(0, 6)
    for size in (2, 3):
        for combo in combinations(values, size):
            cells = {f"m{i}": v for i, v in enumerate(combo)}
            out = suppress_group(cells, 3)
            assert recoverable(out, sum(combo)) == set(), (cells, out)
            assert all(isinstance(out[k], Suppressed) for k, v in cells.items() if v < 3)


def test_large_counts_and_totals_stay_exact():
    assert suppress_group({"a": 3, "b": 4}, 3) == {"a": 3, "b": 4}
    assert suppress_total(2, 3) == Suppressed(3)
    assert suppress_total(3, 3) == 3


def test_a_table_hides_small_cells_so_no_row_or_column_total_recovers_them():
    from gateway.dashboard.small_counts import suppress_table
    rows = {"登別市": {"ひきこもり": 1, "生活困窮": 8, "見守り": 6},
            "室蘭市": {"ひきこもり": 9, "生活困窮": 7, "見守り": 4},
            "伊達市": {"ひきこもり": 5, "生活困窮": 3, "見守り": 10}}
    out = suppress_table(rows, 3)
    lines = [list(cols.values()) for cols in out.values()]
    lines += [[out[r][c] for r in out] for c in next(iter(out.values()))]
    for line in lines:
        assert sum(isinstance(v, Suppressed) for v in line) != 1, out
    assert isinstance(out["登別市"]["ひきこもり"], Suppressed)


def test_tables_download_as_csv_with_bom_and_as_xlsx():
    import io
    from openpyxl import load_workbook
    from gateway.dashboard.tables import to_csv, to_xlsx
    table = {"title": "会員数", "as_of": "2024-03-15", "columns": [{"key": "area", "label": "地域"},
                                                                  {"key": "n", "label": "会員数"}],
             "rows": [{"area": "登別市", "n": 14}, {"area": "室蘭市", "n": "< 3"}]}
    csv_bytes = to_csv(table)
    assert csv_bytes.startswith("\ufeff".encode())
    assert "登別市,14" in csv_bytes.decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert [c.value for c in sheet[1]] == ["地域", "会員数"]
    assert [c.value for c in sheet[3]] == ["室蘭市", "< 3"]
