"""Gateway configuration from the environment."""
import os
from dataclasses import dataclass, field
from pathlib import Path

from services.servicekit import settings as kit_settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def dev_keys_dir() -> Path:
    return Path(os.environ.get("TSUNAGU_DEV_KEYS_DIR", REPO_ROOT / "var" / "dev-keys"))


@dataclass
class GatewaySettings:
    jwt_issuer: str = field(default_factory=lambda: os.environ.get("TSUNAGU_JWT_ISSUER", "https://tsunagu.local/dev"))
    jwt_audience: str = field(default_factory=lambda: os.environ.get("TSUNAGU_JWT_AUDIENCE", "tsunagu"))
    jwt_public_key_files: list[str] = field(default_factory=lambda: [
        p for p in os.environ.get("TSUNAGU_JWT_PUBLIC_KEY_FILES", "").split(",") if p])
    jwks_url: str | None = field(default_factory=lambda: os.environ.get("TSUNAGU_JWKS_URL") or None)
    jwt_leeway_seconds: int = field(default_factory=lambda: int(os.environ.get("TSUNAGU_JWT_LEEWAY", "30")))
    oidc_authorize_url: str | None = field(default_factory=lambda: os.environ.get("TSUNAGU_OIDC_AUTHORIZE_URL") or None)
    oidc_client_id: str | None = field(default_factory=lambda: os.environ.get("TSUNAGU_OIDC_CLIENT_ID") or None)
    oidc_token_url: str | None = field(default_factory=lambda: os.environ.get("TSUNAGU_OIDC_TOKEN_URL") or None)
    oidc_scope: str = field(default_factory=lambda: os.environ.get("TSUNAGU_OIDC_SCOPE", "openid"))
    database_url: str = field(default_factory=lambda: kit_settings.database_url("gateway"))
    amqp_uri: str = field(default_factory=kit_settings.amqp_uri)
    rpc_pool_size: int = field(default_factory=lambda: int(os.environ.get("TSUNAGU_RPC_POOL_SIZE", "16")))
    rpc_timeout: float = field(default_factory=lambda: float(os.environ.get("TSUNAGU_RPC_TIMEOUT", "30")))
    # Coalesced calls (request_coalescing.py): batches out at once per method, the waiting requests that let a
    # second one go beside the first, and requests per batch.
    coalesce_max_in_flight: int = field(default_factory=lambda: int(os.environ.get("TSUNAGU_COALESCE_IN_FLIGHT", "2")))
    coalesce_parallel_at: int = field(default_factory=lambda: int(os.environ.get("TSUNAGU_COALESCE_PARALLEL_AT", "4")))
    coalesce_max_batch: int = field(default_factory=lambda: int(os.environ.get("TSUNAGU_COALESCE_MAX_BATCH", "64")))
    small_count_threshold: int = field(default_factory=lambda: int(os.environ.get("TSUNAGU_SMALL_COUNT_THRESHOLD", "3")))
    public_url: str = field(default_factory=lambda: os.environ.get("TSUNAGU_PUBLIC_URL", "http://127.0.0.1:8000"))

    def public_key_files(self) -> list[str]:
        if self.jwt_public_key_files or self.jwks_url:
            return self.jwt_public_key_files
        default = dev_keys_dir() / "dev-es256.pub.pem"
        return [str(default)] if default.exists() else []
