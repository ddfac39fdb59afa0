"""GET /v1/dashboard: the staff dashboard for an area and fiscal year, composed from the three services'
statistics (called in parallel), and every table of it as CSV or Excel."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, g
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.servicekit.areas.registry import default_registry
from services.servicekit.areas.scope import scope_contains
from services.servicekit.errors import NotFound
from services.servicekit.fiscal_year import fiscal_year_bounds

from ..dashboard.composition import compose, fiscal_year_now
from ..dashboard.tables import to_csv, to_xlsx
from ..endpoints import endpoint
from ..services_client import call_parallel

bp = Blueprint("dashboard", __name__)
DASHBOARD_ROLES = ("prefecture", "bureau", "municipality", "admin")


class DashboardQuery(Schema):
    area = fields.String(metadata={"description": "area code inside your scope (default: your own area)"})
    fy = fields.Integer(validate=validate.Range(min=2000, max=2100),
                        metadata={"description": "fiscal year (April–March), e.g. 2023 = 令和5年度"})
    period_from = fields.Date(data_key="from", metadata={"description": "narrow referral figures to a period "
                                                                          "inside the fiscal year (first day)"})
    period_to = fields.Date(data_key="to", metadata={"description": "last day of that period"})

    @validates_schema
    def _period(self, data, **_):
        start, end = data.get("period_from"), data.get("period_to")
        if (start is None) != (end is None):
            raise ValidationError("give both from and to, or neither", "from" if start is None else "to")
        if start and end and start > end:
            raise ValidationError("from must not be after to", "to")


class DashboardSchema(Schema):
    area = fields.Dict()
    breadcrumb = fields.List(fields.Dict())
    fiscal_year = fields.Integer()
    fiscal_year_label = fields.String()
    period = fields.Dict()
    generated_at = fields.String()
    suppression_threshold = fields.Integer(allow_none=True)
    cards = fields.List(fields.Dict())
    charts = fields.Dict()
    tables = fields.List(fields.Dict())


def _dashboard() -> dict:
    principal = g.principal
    scope = principal.scope if principal.role != "admin" else "JP"
    area_code = g.query.get("area") or (principal.area if principal.role != "admin" else "01")
    area = default_registry().find(area_code)
    if area is None or area.level not in ("prefecture", "bureau", "municipality") or not scope_contains(scope, area_code):
        raise NotFound("no such area in your scope")
    fiscal_year = g.query.get("fy") or fiscal_year_now()
    start, end = fiscal_year_bounds(fiscal_year)
    if g.query.get("period_from"):
        # A period narrows referral counts and the members' as-of date; events are reported per fiscal year.
        start, end = max(start, g.query["period_from"]), min(end, g.query["period_to"])
        if start > end:
            raise NotFound("that period lies outside the fiscal year")
    # Fiscal years turn at midnight Japan time. Unique persons are not a dashboard figure (and not pre-aggregated).
    referral_query = {"scope": area_code, "period_start": f"{start.isoformat()}T00:00:00+09:00",
                      "period_end": f"{(end + timedelta(days=1)).isoformat()}T00:00:00+09:00", "unique_persons": False}
    results = call_parallel({
        "members": ("members", "statistics", (area_code, end.isoformat()), {}),
        "events": ("events", "statistics", (area_code, fiscal_year), {}),
        "referrals": ("referrals", "statistics", (referral_query,), {}),
    })
    threshold = current_app.extensions["tsunagu"].settings.small_count_threshold
    data = compose(area_code, fiscal_year, results["members"], results["events"], results["referrals"], threshold)
    data["period"] = {"from": start.isoformat(), "to": end.isoformat()}
    return data


@endpoint(bp, "/v1/dashboard", summary="Dashboard for an area and fiscal year (no personal data)",
          audience=DASHBOARD_ROLES, tags=["dashboard"], query=DashboardQuery, response=DashboardSchema,
          description="Prefecture staff see the prefecture with a row per bureau and can drill down; bureau staff "
                      "their bureau and its municipalities; municipal staff their municipality. Referral counts "
                      "below prefecture level under the configured threshold are shown as \"< 3\".")
def dashboard():
    return _dashboard()


@endpoint(bp, "/v1/dashboard/tables/<table_id>.<fmt>", summary="One dashboard table as CSV or Excel (.xlsx)",
          audience=DASHBOARD_ROLES, tags=["dashboard"], query=DashboardQuery,
          content_types=("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
def dashboard_table(table_id, fmt):
    if fmt not in ("csv", "xlsx"):
        raise NotFound("tables download as .csv or .xlsx")
    data = _dashboard()
    table = next((t for t in data["tables"] if t["id"] == table_id), None)
    if table is None:
        raise NotFound("no such dashboard table")
    filename = f"tsunagu_{data['area']['code']}_{data['fiscal_year']}_{table_id}.{fmt}"
    if fmt == "csv":
        body, mimetype = to_csv(table), "text/csv; charset=utf-8"
    else:
        body, mimetype = to_xlsx(table), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
