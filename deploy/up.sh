#!/usr/bin/env bash
# `make up`: provision, seed demo data, print how to reach the stack, run every process until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export PYTHONPATH="$PWD"

# The nameko configs read the broker and database addresses from the environment: derive them from
# TSUNAGU_NAMESPACE (servicekit.settings) unless they are given, so a namespaced `make up` is isolated too.
eval "$(python - <<'PY'
import os, shlex
from services.servicekit import settings
values = {"AMQP_URI": settings.amqp_uri()}
values.update({f"{c.upper()}_DATABASE_URL": settings.database_url(c) for c in settings.SERVICES})
print("\n".join(f"export {k}={shlex.quote(os.environ.get(k) or v)}" for k, v in values.items()))
PY
)"

python -m gateway.dev_tokens keys >/dev/null
python -m services.servicekit.provision
# Members and events seed straight away; their events reach the other services once the relays run.
for service in members events; do
  if [ -f "services/$service/demo_data.py" ]; then
    python -m "services.$service.demo_data"
  fi
done

# Run only the processes whose code exists (the Procfile lists the full set).
mkdir -p var
python - <<'PY'
import re, pathlib
lines = []
for line in pathlib.Path("Procfile").read_text().splitlines():
    module = re.search(r"(services\.[a-z_.]+?)(?::|\s|$)", line)
    relay = re.search(r"outbox_relay (\w+)", line)
    path = None
    if relay:
        path = pathlib.Path("services", relay.group(1), "service.py")
    elif module and "nameko run" in line:
        path = pathlib.Path(*module.group(1).split(".")).with_suffix(".py")
    if path is None or path.exists():
        lines.append(line)
pathlib.Path("var/Procfile").write_text("\n".join(lines) + "\n")
PY

BIND="${GATEWAY_BIND:-0.0.0.0:8000}"  # the gateway's gunicorn binds here (gateway/gunicorn.conf.py)
HOST="${BIND%:*}"; [ "$HOST" = "0.0.0.0" ] && HOST=127.0.0.1
URL="${TSUNAGU_PUBLIC_URL:-http://$HOST:${BIND##*:}}"
TOKEN=$(python -m gateway.dev_tokens issue --role prefecture --area 01 --sub dev-prefecture)
cat <<BANNER

  Tsunagu is starting.
    Gateway:   $URL
    API docs:  $URL/docs   (OpenAPI: $URL/openapi.json)
    Dashboard: $URL/dashboard
    Try:       curl -H "Authorization: Bearer $TOKEN" $URL/v1/areas
    Other roles: python -m gateway.dev_tokens issue --role bureau --area 01B04

BANNER
honcho start -f var/Procfile &
supervisor=$!
trap 'kill -INT $supervisor 2>/dev/null; wait $supervisor' INT TERM
# Referral demo data needs the referrals service's copy of the directory, which arrives over RabbitMQ.
if [ -f services/referrals/demo_data.py ]; then
  python -m services.referrals.demo_data --wait 120 || echo "referral demo data not seeded (see above)"
fi
echo "  Ready: $URL (Ctrl-C stops everything)"
wait $supervisor
