"""Import municipalities from the national local-government code list (総務省).

Why this exists: the built-in data covers Hokkaido (all 179 municipalities,
with their promotion bureaus) and the municipalities named in the source
documents.  When a PF elsewhere joins, operators should not hand-type codes:
they download 総務省「全国地方公共団体コード」 (saved as CSV, UTF-8 or
Shift_JIS/CP932), run this importer, and the missing municipalities are written
to a CSV in ``$TSUNAGU_AREAS_EXTRA_DIR`` (or ``--out``), which
:func:`default_registry` picks up.

Input columns (header names are matched after NFKC and whitespace removal, so
「都道府県名\\n（漢字）」 works too): 団体コード, 都道府県名（漢字）,
市区町村名（漢字）, 都道府県名（カナ）, 市区町村名（カナ）.  Rows without a
市区町村名 are prefecture rows.  Half-width kana is converted to full-width
with NFKC.  Each code's check digit is verified; rows that fail are reported,
not imported.  Wards of designated cities (政令指定都市の区, e.g. 011011
札幌市中央区) are skipped unless ``--include-wards``; Tokyo's 23 wards are
municipalities (kind ``special_ward``).  The six Northern Territories villages
(北方領土, 016951–017001) are listed by 総務省 but are not administered and are
not among Hokkaido's 179 municipalities, so they are skipped.

Usage::

    python -m services.servicekit.areas.national_code_import FILE [--out DIR] [--include-wards]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .check_digit import is_valid_municipality_code
from .registry import (
    DATA_DIR,
    EXTRA_DIR_ENV,
    MUNICIPALITY_COLUMNS,
    AreaDataError,
    extra_municipality_files,
    load_registry,
)

__all__ = ["ImportReport", "import_national_codes", "main", "OUTPUT_FILENAME"]

OUTPUT_FILENAME = "national_codes.csv"

# 色丹村, 泊村(国後), 留夜別村, 留別村, 紗那村, 蘂取村 — listed, but not administered.
NORTHERN_TERRITORIES = frozenset({"016951", "016969", "016977", "016985", "016993", "017001"})

_COL_CODE = "団体コード"
_COL_PREF = "都道府県名(漢字)"
_COL_CITY = "市区町村名(漢字)"
_COL_PREF_KANA = "都道府県名(カナ)"
_COL_CITY_KANA = "市区町村名(カナ)"
_REQUIRED = (_COL_CODE, _COL_PREF, _COL_CITY)
_KIND_BY_SUFFIX = {"市": "city", "町": "town", "村": "village"}
_MAX_PREAMBLE_ROWS = 10


@dataclass
class ImportReport:
    source: str
    encoding: str = ""
    output_path: Path | None = None
    rows_read: int = 0
    prefecture_rows: int = 0
    already_known: int = 0
    skipped_wards: int = 0
    added: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, code, reason)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # (line, code, reason)

    @property
    def added_codes(self) -> list[str]:
        return [code for code, _ in self.added]

    @property
    def invalid_codes(self) -> list[str]:
        return [code for _, code, _ in self.invalid]

    def summary(self) -> str:
        lines = [
            f"source: {self.source} ({self.encoding})",
            f"rows read: {self.rows_read}",
            f"prefecture rows: {self.prefecture_rows}",
            f"already known: {self.already_known}",
            f"added: {len(self.added)}",
            f"designated-city wards skipped: {self.skipped_wards}",
            f"other rows skipped: {len(self.skipped)}",
            f"invalid rows: {len(self.invalid)}",
        ]
        lines += [f"  skipped line {ln} {code}: {why}" for ln, code, why in self.skipped]
        lines += [f"  INVALID line {ln} {code!r}: {why}" for ln, code, why in self.invalid]
        if self.output_path is not None:
            lines.append(f"written: {self.output_path}")
        return "\n".join(lines)


def _norm(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _norm_header(text: str | None) -> str:
    return "".join(_norm(text).split())


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp932"), "cp932"


def _normalise_code(raw: str) -> str:
    code = _norm(raw)
    if code.endswith(".0"):  # the code went through a spreadsheet as a number
        code = code[:-2]
    if len(code) == 5 and code.isascii() and code.isdigit():  # leading zero lost (01..09)
        code = "0" + code
    return code


def _rows(text: str):
    """Yield (line_number, {normalised header: value}) for the data rows."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    for row in reader:
        if header is None:
            cells = [_norm_header(c) for c in row]
            if _COL_CODE in cells:
                missing = [c for c in _REQUIRED if c not in cells]
                if missing:
                    raise ValueError(f"missing column(s): {', '.join(missing)}")
                header = cells
            elif reader.line_num > _MAX_PREAMBLE_ROWS:
                break
            continue
        if not any(c.strip() for c in row):
            continue
        yield reader.line_num, dict(zip(header, row))
    if header is None:
        raise ValueError(f"no header row with {_COL_CODE!r} found")


def import_national_codes(path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                          include_wards: bool = False) -> ImportReport:
    """Write the municipalities of ``path`` that the registry does not know yet to
    ``out_dir/national_codes.csv`` and return what happened.

    The registry consulted is the built-in data plus the other CSV files already in
    ``out_dir``; re-running the import replaces ``national_codes.csv``.
    """
    path, out_dir = Path(path), Path(out_dir)
    text, encoding = _decode(path.read_bytes())
    report = ImportReport(source=str(path), encoding=encoding)
    out_path = out_dir / OUTPUT_FILENAME
    others = [p for p in extra_municipality_files(out_dir) if p.resolve() != out_path.resolve()]
    registry = load_registry(DATA_DIR, others)

    new_rows: dict[str, dict[str, str]] = {}
    seen: dict[str, str] = {}
    for line, row in _rows(text):
        report.rows_read += 1
        code = _normalise_code(row.get(_COL_CODE, ""))
        pref_name = _norm(row.get(_COL_PREF))
        name = _norm(row.get(_COL_CITY))
        kana = _norm(row.get(_COL_CITY_KANA))

        if not is_valid_municipality_code(code):
            why = "bad check digit" if (len(code) == 6 and code.isascii() and code.isdigit()) else "malformed code"
            report.invalid.append((line, code, why))
            continue
        if code in seen:  # e.g. a designated city listed on both sheets of the 総務省 file
            if seen[code] == name:
                report.skipped.append((line, code, "repeated row"))
            else:
                report.invalid.append((line, code, f"code repeated with another name ({seen[code]!r})"))
            continue
        seen[code] = name
        prefecture = registry.find(code[:2])
        if prefecture is None or prefecture.level != "prefecture":
            report.invalid.append((line, code, f"unknown prefecture {code[:2]!r}"))
            continue
        if pref_name and pref_name != prefecture.name:
            report.invalid.append((line, code, f"prefecture name {pref_name!r} does not match code ({prefecture.name})"))
            continue
        if not name:
            report.prefecture_rows += 1
            continue
        if code in NORTHERN_TERRITORIES:
            report.skipped.append((line, code, f"{name}: Northern Territories (not administered)"))
            continue

        if name.endswith("区"):
            if code[:2] == "13":
                kind = "special_ward"
            elif include_wards:
                kind = "ward"
            else:
                report.skipped_wards += 1
                continue
        else:
            kind = _KIND_BY_SUFFIX.get(name[-1])
            if kind is None:
                report.invalid.append((line, code, f"cannot infer kind from name {name!r}"))
                continue

        if code in registry:
            report.already_known += 1
            continue
        new_rows[code] = {"code": code, "name": name, "name_kana": kana, "kind": kind,
                          "prefecture_code": code[:2], "bureau_code": ""}
        report.added.append((code, name))

    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".national_codes.", suffix=".tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=MUNICIPALITY_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(new_rows[c] for c in sorted(new_rows))
        load_registry(DATA_DIR, [*others, tmp_name])  # the result must load cleanly
        os.replace(tmp_name, out_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    report.output_path = out_path
    report.added.sort()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.servicekit.areas.national_code_import",
        description="Import municipalities from the 総務省 全国地方公共団体コード CSV.",
    )
    parser.add_argument("file", help="CSV saved from the 総務省 list (UTF-8 or Shift_JIS/CP932)")
    parser.add_argument("--out", help=f"output directory (default: ${EXTRA_DIR_ENV})")
    parser.add_argument("--include-wards", action="store_true",
                        help="also import wards of designated cities (政令指定都市の区)")
    args = parser.parse_args(argv)
    out = args.out or os.environ.get(EXTRA_DIR_ENV)
    if not out:
        parser.error(f"no output directory: pass --out or set {EXTRA_DIR_ENV}")
    try:
        report = import_national_codes(args.file, out, include_wards=args.include_wards)
    except (OSError, ValueError, AreaDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    print("Services load these files at start-up; a running process needs default_registry.cache_clear().")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
