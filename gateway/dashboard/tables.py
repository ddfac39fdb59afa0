"""Dashboard tables and their CSV / Excel (.xlsx) downloads. Every table on the page can be downloaded."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Font

from .small_counts import rendered


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | count | yen | percent | date


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    drill_column: str | None = None  # rows whose `area_code` can be drilled into
    as_of: str | None = None

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "as_of": self.as_of, "drill_column": self.drill_column,
                "columns": [c.__dict__ for c in self.columns],
                "rows": [{k: rendered(v) for k, v in row.items()} for row in self.rows]}


def to_csv(table: dict) -> bytes:
    """UTF-8 with a BOM: Excel in Japanese Windows opens it correctly only then."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c["label"] for c in table["columns"]])
    for row in table["rows"]:
        writer.writerow([row.get(c["key"], "") for c in table["columns"]])
    if table.get("as_of"):
        writer.writerow([f"集計時点: {table['as_of']}"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: dict) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table["title"][:31]
    sheet.append([c["label"] for c in table["columns"]])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table["rows"]:
        sheet.append([row.get(c["key"], "") for c in table["columns"]])
    if table.get("as_of"):
        sheet.append([])
        sheet.append([f"集計時点: {table['as_of']}"])
    for index, column in enumerate(table["columns"], start=1):
        width = max(len(str(column["label"])), *(len(str(r.get(column["key"], ""))) for r in table["rows"] or [{}]))
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(60, 4 + width * 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
