"""Serves the dashboard page and its static files. The page itself holds no data: it signs in (dev token, or
the configured OpenID Connect provider) and calls /v1/dashboard with the same JWT the API uses."""
from pathlib import Path

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("dashboard_page", __name__)
STATIC = Path(__file__).parent / "static"


@bp.get("/dashboard")
def page():
    response = send_from_directory(STATIC, "dashboard.html")
    response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data: blob:; "
                                                   "connect-src 'self' https:; frame-ancestors 'none'")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/dashboard/static/<path:name>")
def static_file(name):
    return send_from_directory(STATIC, name, max_age=300)


@bp.get("/dashboard/config")
def config():
    settings = current_app.extensions["tsunagu"].settings
    oidc = None
    if settings.oidc_authorize_url and settings.oidc_client_id and settings.oidc_token_url:
        oidc = {"authorize_url": settings.oidc_authorize_url, "client_id": settings.oidc_client_id,
                "token_url": settings.oidc_token_url, "scope": settings.oidc_scope}
    return {"oidc": oidc}
