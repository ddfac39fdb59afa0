#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and RabbitMQ (127.0.0.1:5672, management API on 15672) are reachable.
# Already running: nothing to do. Docker available: `docker compose up` of the two. Otherwise, as root on
# Debian/Ubuntu: install the OS packages if missing and start them.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_up()     { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
rabbit_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
mgmt_up()   { curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1; }
wait_for()  { local what=$1 check=$2; for _ in $(seq 1 120); do $check && return 0; sleep 1; done
              echo "$what did not come up" >&2; return 1; }

if pg_up && rabbit_up && mgmt_up; then
  exit 0
fi

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  echo "starting PostgreSQL and RabbitMQ with Docker Compose"
  docker compose up -d postgres rabbitmq
  wait_for PostgreSQL pg_up; wait_for RabbitMQ rabbit_up; wait_for "RabbitMQ management" mgmt_up
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "PostgreSQL or RabbitMQ is not reachable on 127.0.0.1, Docker is not running, and installing OS" >&2
  echo "packages needs root. Start them yourself or re-run as root." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  apt-get install -y -qq "$@" >/dev/null
}

if ! pg_up; then
  [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ] || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # Local development only: trust connections from this machine, as the project's default URLs expect.
  if ! grep -q "tsunagu-local-trust" "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust # tsunagu-local-trust\nhost all all ::1/128 trust # tsunagu-local-trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
  wait_for PostgreSQL pg_up
fi

if ! rabbit_up; then
  command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
  rabbitmq-server -detached
  wait_for RabbitMQ rabbit_up
  rabbitmqctl await_startup >/dev/null
fi

if ! mgmt_up; then
  rabbitmq-plugins enable rabbitmq_management >/dev/null
  wait_for "RabbitMQ management" mgmt_up
fi
