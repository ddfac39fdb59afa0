"""Bulk import of organisations from CSV (resource-survey results, 支援情報ナビ exports).

Every row is validated and reported with its line number. Nothing is imported if any row is invalid, unless
`skip_invalid` is set (then the valid rows are). Re-importing the same file creates no duplicates: a row
matches an existing organisation by `external_id` if it has one, else by its normalised name + home area, and
then updates it (only the cells that are filled in; an unchanged row is reported as unchanged).

Columns (header row; UTF-8 with or without BOM, or Shift_JIS/cp932 as Excel writes it):
  name*, legal_form*, home_area_code*, service_area_codes* (space, comma, 、 or ; separated codes),
  name_kana, alternate_name, description, taxonomy_terms (codes, ids or Japanese names), activity_types
  (codes or 相談窓口/居場所づくり/アウトリーチ/その他), email, phone, website, referral_capacity
  (accepting/paused/waitlist or 受入可/受入停止/待機), published (true/false/1/0/はい/いいえ), external_id,
  corporate_number, service_area_note.
"""
from __future__ import annotations

import csv
import io
import re

from marshmallow import RAISE, ValidationError

from services.servicekit import taxonomy
from services.servicekit.caller import Principal
from services.servicekit.errors import Conflict, Forbidden, InvalidInput, field_errors_from_marshmallow

from . import access, organizations, repository
from .schemas import OrganizationCreateSchema
from .vocabulary import ACTIVITY_TYPE_BY_LABEL, REFERRAL_CAPACITY

REQUIRED_COLUMNS = ("name", "legal_form", "home_area_code", "service_area_codes")
KNOWN_COLUMNS = REQUIRED_COLUMNS + ("name_kana", "alternate_name", "description", "taxonomy_terms", "activity_types",
                                    "email", "phone", "website", "referral_capacity", "published", "external_id",
                                    "corporate_number", "service_area_note")
LIST_COLUMNS = ("service_area_codes", "taxonomy_terms", "activity_types")
_SPLIT = re.compile(r"[\s,;、，；]+")
_TRUE = {"true", "1", "yes", "y", "はい", "公開", "○"}
_FALSE = {"false", "0", "no", "n", "いいえ", "非公開", "×", ""}
_CAPACITY_BY_LABEL = {label: code for code, label in REFERRAL_CAPACITY.items()}
MAX_ROWS = 20000


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file is neither UTF-8 nor Shift_JIS", [{"pointer": "#/file", "detail": "bad encoding"}])


def _term(value: str) -> str:
    term = taxonomy.get(value)
    if term is None:
        term = next((t for t in taxonomy.terms().values() if t.name == value), None)
    return term.code if term else value  # unknown values fail validation with the schema's message


def row_to_body(row: dict) -> dict:
    """One CSV row → the JSON body the register endpoint takes (empty cells are left out)."""
    body: dict = {}
    for column in KNOWN_COLUMNS:
        raw = (row.get(column) or "").strip()
        if raw == "":
            continue
        if column in LIST_COLUMNS:
            values = [v for v in _SPLIT.split(raw) if v]
            if column == "taxonomy_terms":
                values = [_term(v) for v in values]
            elif column == "activity_types":
                values = [ACTIVITY_TYPE_BY_LABEL.get(v, v) for v in values]
            body[column] = values
        elif column == "published":
            lowered = raw.lower()
            body[column] = True if lowered in _TRUE else (False if lowered in _FALSE else raw)
        elif column == "referral_capacity":
            body[column] = _CAPACITY_BY_LABEL.get(raw, raw)
        else:
            body[column] = raw
    return body


class Rejected(Exception):
    """The import was refused; raised inside the unit of work so that nothing is written, then reported."""

    def __init__(self, report: dict):
        super().__init__("import rejected")
        self.report = report


def parse(text: str) -> tuple[list[tuple[int, dict]], list[dict]]:
    """(line number where the row starts, row) pairs and file-level errors."""
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows, errors, start = [], [], 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue  # blank line
        if header is None:
            header = [c.strip() for c in cells]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                return [], [{"line": line, "pointer": "#/header",
                             "detail": f"missing column(s): {', '.join(missing)}"}]
            unknown = [c for c in header if c and c not in KNOWN_COLUMNS]
            if unknown:
                errors.append({"line": line, "pointer": "#/header",
                               "detail": f"unknown column(s): {', '.join(unknown)}"})
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            errors.append({"line": line, "pointer": "#/row", "detail": "more cells than header columns"})
        # PostgreSQL text cannot hold U+0000 (Python's csv reads it since 3.11): the row is invalid, not a 500.
        errors += [{"line": line, "pointer": f"#/{column}", "detail": "must not contain the NUL character (U+0000)"}
                   for column, cell in zip(header, cells) if "\x00" in cell]
        rows.append((line, dict(zip(header, cells))))
        if len(rows) > MAX_ROWS:
            return [], [{"line": line, "pointer": "#/file", "detail": f"at most {MAX_ROWS} rows per import"}]
    if header is None:
        return [], [{"line": 1, "pointer": "#/header", "detail": "the file is empty"}]
    return rows, errors


def import_csv(uow, principal: Principal, text: str, skip_invalid: bool = False, dry_run: bool = False) -> dict:
    rows, errors = parse(text)
    if not rows and errors:
        raise Rejected(_rejected(errors, dry_run))
    report_rows: list[dict] = []
    seen_keys: dict[str, int] = {}
    planned: list[tuple[int, dict, dict]] = []
    bad_lines = {e["line"] for e in errors}
    for line, row in rows:
        body = row_to_body({k: v for k, v in row.items() if k is not None})
        row_errors = []
        try:
            data = OrganizationCreateSchema(unknown=RAISE).load(body)
        except ValidationError as exc:
            row_errors = field_errors_from_marshmallow(exc.messages)
            data = None
        if data is not None:
            keys = [repository.natural_key(data["name"], data["home_area_code"])]
            if data.get("external_id"):
                keys.append("external:" + data["external_id"])
            for key in keys:
                if key in seen_keys:
                    row_errors.append({"pointer": "#/name",
                                       "detail": f"the same organisation as line {seen_keys[key]}"})
                else:
                    seen_keys[key] = line
            if not row_errors and not access.can_register_organization(principal, data["home_area_code"]):
                row_errors.append({"pointer": "#/home_area_code", "detail": "outside your area"})
        if row_errors or line in bad_lines:
            errors += [{"line": line, **e} for e in row_errors]
            report_rows.append({"line": line, "status": "invalid"})
        else:
            planned.append((line, body, data))
    if errors and not skip_invalid:
        raise Rejected(_rejected(errors, dry_run, len(rows)))

    counts = {"created": 0, "updated": 0, "unchanged": 0, "invalid": len(report_rows)}
    for line, body, data in planned:
        existing = repository.find_organization_by_key(uow.conn, data.get("external_id"), data["name"],
                                                       data["home_area_code"])
        try:
            with uow.conn.transaction():  # a savepoint: a failing row leaves the others intact
                if existing is None:
                    status = "created"
                    org = {"id": None} if dry_run else organizations.register(uow, principal, data)
                else:
                    if not access.can_edit_organization(principal, existing):
                        raise Forbidden("outside your area")
                    changes = organizations.diff(existing, organizations.normalise_input(data))
                    status = "updated" if changes else "unchanged"
                    org = {"id": str(existing["id"])}
                    if changes and not dry_run:
                        org = organizations.update(uow, principal, str(existing["id"]), data)
        except (Conflict, Forbidden) as exc:
            errors.append({"line": line, "pointer": "#/name", "detail": exc.detail})
            report_rows.append({"line": line, "status": "invalid"})
            counts["invalid"] += 1
            continue
        counts[status] += 1
        report_rows.append({"line": line, "status": status, "organization_id": org["id"]})
    if errors and not skip_invalid:
        raise Rejected(_rejected(errors, dry_run, len(rows)))
    report_rows.sort(key=lambda r: r["line"])
    return {"rejected": False, "dry_run": dry_run, "rows_read": len(rows), **counts,
            "errors": sorted(errors, key=lambda e: e["line"]),
            "rows": report_rows}


def _rejected(errors: list[dict], dry_run: bool, rows_read: int = 0) -> dict:
    return {"rejected": True, "dry_run": dry_run, "rows_read": rows_read, "created": 0, "updated": 0, "unchanged": 0,
            "invalid": len({e["line"] for e in errors if e["line"] != 1 or e["pointer"] != "#/header"}),
            "errors": sorted(errors, key=lambda e: e["line"]), "rows": []}
