"""The whole stack as `make up` runs it (services, relays, gunicorn gateway), on free ports, in the test
namespace. Services that do not exist yet are skipped, so the stack grows with the project."""
from __future__ import annotations

from pathlib import Path

import requests

from gateway import dev_tokens
from gateway.settings import GatewaySettings
from services.servicekit import settings
from tests.support.processes import BIN, REPO_ROOT, Process, free_port, nameko_service, relay

# process name -> (module file, "module:Class", database component, whether it has an outbox relay)
SERVICES = {
    "members": ("services/members/service.py", "services.members.service:MembersService", "members", True),
    "events": ("services/events/service.py", "services.events.service:EventsService", "events", True),
    "referrals": ("services/referrals/service.py", "services.referrals.service:ReferralsService", "referrals", True),
    "referral_webhooks": ("services/referrals/webhook_service.py",
                          "services.referrals.webhook_service:ReferralWebhooksService", "referrals", False),
}

# The webhook dispatcher in tests: the local receiver is on 127.0.0.1, and retries are fast (production
# defaults: public targets only, 30 s base, 17 attempts ≈ 25 h).
WEBHOOK_TEST_ENV = {"WEBHOOKS_ALLOW_PRIVATE_TARGETS": "loopback", "WEBHOOK_RETRY_BASE_SECONDS": "0.2",
                    "WEBHOOK_RETRY_MAX_ATTEMPTS": "4", "WEBHOOK_DISPATCH_INTERVAL_SECONDS": "0.1",
                    "WEBHOOK_TIMEOUT_SECONDS": "2",
                    "WEBHOOK_SECRET_KEYS": "test1:dHN1bmFndS10ZXN0LXdlYmhvb2stc2VjcmV0LWtleSE"}
# The referrals service under test seals personal data with explicitly configured keys, as in production (fixed
# test-only keys: they protect nothing real).
REFERRALS_TEST_ENV = {"REFERRALS_ENCRYPTION_KEYS":
                      "k2026:9TB3efRPncW2eOaLDdhREkRM3o+6P6MUg0+EioiN45M=", "REFERRALS_ACTIVE_KEY_ID": "k2026",
                      "REFERRALS_IDENTITY_HMAC_KEY": "u1yjAq9j1ohc6ZzMzLC4x1OIBlwbt/tTzq9HyxQfTe0="}


def existing_services() -> list[str]:
    return [name for name, (path, *_rest) in SERVICES.items() if (REPO_ROOT / path).exists()]


class Stack:
    def __init__(self, keys_dir: Path, extra_env: dict | None = None):
        self.services = existing_services()
        self.ports = {"gateway": free_port()}
        self.env = {"TSUNAGU_NAMESPACE": settings.namespace(), "AMQP_URI": settings.amqp_uri(),
                    "TSUNAGU_DEV_KEYS_DIR": str(keys_dir), "GATEWAY_BIND": f"127.0.0.1:{self.ports['gateway']}",
                    "TSUNAGU_RPC_TIMEOUT": "20", "TSUNAGU_DB_POOL_SIZE": "5", **WEBHOOK_TEST_ENV, **REFERRALS_TEST_ENV,
                    **(extra_env or {})}
        self.private_key, public_key = dev_tokens.ensure_dev_keys(keys_dir)
        self.env["TSUNAGU_JWT_PUBLIC_KEY_FILES"] = str(public_key)
        self.processes: dict[str, Process] = {}
        for service in self.services:
            up = service.upper()
            self.ports[service] = free_port()
            self.env[f"{up}_OPS_ADDRESS"] = f"127.0.0.1:{self.ports[service]}"
            self.env[f"{up}_DATABASE_URL"] = settings.database_url(SERVICES[service][2])
            # A service sharing another's database (referral_webhooks -> referrals) reads that one's variable.
            component = SERVICES[service][2]
            self.env[f"{component.upper()}_DATABASE_URL"] = settings.database_url(component)
        for service in self.services:
            _path, class_path, component, has_relay = SERVICES[service]
            self.processes[service] = nameko_service(
                service, class_path, REPO_ROOT / "deploy" / "nameko" / f"{service}.yml", self.env, self.ports[service])
            if has_relay:
                self.ports[f"{service}-relay"] = free_port()
                self.processes[f"{service}-relay"] = relay(component, self.env, self.ports[f"{service}-relay"])
        self.processes["gateway"] = Process(
            "gateway", [str(BIN / "gunicorn"), "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"], self.env,
            ready_url=f"http://127.0.0.1:{self.ports['gateway']}/readyz")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def start(self) -> "Stack":
        for process in self.processes.values():
            process.start(wait=False)
        for process in self.processes.values():
            process.wait_ready()
        return self

    def stop(self):
        for process in reversed(list(self.processes.values())):
            process.stop()

    def token(self, role: str, area: str | None = None, org: str | None = None, **claims) -> str:
        gw = GatewaySettings()
        return dev_tokens.issue(role, area=area, org=org, settings=gw, private_key_pem=self.private_key.read_bytes(),
                                **claims)

    def session(self, role: str | None = None, area: str | None = None, org: str | None = None,
                api_key: str | None = None) -> requests.Session:
        s = requests.Session()
        s.headers["Accept"] = "application/json"
        if role:
            s.headers["Authorization"] = f"Bearer {self.token(role, area, org)}"
        if api_key:
            s.headers["X-API-Key"] = api_key
        s.base = self.url
        return s

    def get(self, path: str, role: str | None = None, area: str | None = None, org: str | None = None, **kw):
        return self.session(role, area, org).get(self.url + path, **kw)

    def logs(self) -> str:
        return "\n".join(p.log_text() for p in self.processes.values())
