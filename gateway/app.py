"""Gateway application factory."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from services.servicekit.pg_pool import open_pool

from .api_keys import ApiKeyStore
from .authentication import JwtVerifier
from .problems import install_problem_handlers
from .request_coalescing import Coalescers
from .request_context import install_request_context
from .rpc_pool import RpcProxyPool
from .settings import GatewaySettings


@dataclass
class GatewayState:
    settings: GatewaySettings
    jwt: JwtVerifier
    api_keys: ApiKeyStore
    rpc_pool: RpcProxyPool
    coalescers: Coalescers
    db_pool: object


def create_app(settings: GatewaySettings | None = None) -> Flask:
    settings = settings or GatewaySettings()
    app = Flask("tsunagu_gateway")
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    db_pool = open_pool(settings.database_url, min_size=1, max_size=settings.rpc_pool_size, name="gateway")
    app.extensions["tsunagu"] = GatewayState(
        settings=settings,
        jwt=JwtVerifier(settings.jwt_issuer, settings.jwt_audience, settings.public_key_files(), settings.jwks_url,
                        settings.jwt_leeway_seconds),
        api_keys=ApiKeyStore(db_pool),
        rpc_pool=RpcProxyPool(settings.amqp_uri, settings.rpc_pool_size, settings.rpc_timeout),
        coalescers=Coalescers(settings.coalesce_max_batch, settings.coalesce_max_in_flight,
                              settings.coalesce_parallel_at),
        db_pool=db_pool,
    )
    install_request_context(app)
    install_problem_handlers(app)
    from .dashboard.page import bp as dashboard_page_bp
    from .openapi import bp as docs_bp
    from .routes import (api_keys, areas, dashboard, events, events_programmes, identity, members_hsds,
                         members_memberships, members_organizations, members_platforms, operations, referrals,
                         webhooks)
    blueprints = (
        operations.bp,
        docs_bp,
        dashboard_page_bp,
        identity.bp,
        areas.bp,
        api_keys.bp,
        dashboard.bp,
        events.bp,
        events_programmes.bp,
        referrals.bp,
        webhooks.bp,
        members_organizations.bp,
        members_platforms.bp,
        members_memberships.bp,
        members_hsds.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app
