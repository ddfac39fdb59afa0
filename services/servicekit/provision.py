"""Everything the stack needs before its processes start: the broker vhost and topology, one database per
component with its migrations applied. Idempotent; `make up` and the test suite both run it.

  python -m services.servicekit.provision
"""
from __future__ import annotations

import logging

from . import broker_topology, migrations, settings

COMPONENTS = settings.SERVICES + ("gateway",)


def provision(components=COMPONENTS, service_classes=None) -> None:
    broker_topology.ensure_vhost(settings.vhost())
    for component in components:
        migrations.ensure_database(component)
        migrations.apply_migrations(settings.database_url(component), component)
    broker_topology.declare_topology(service_classes=service_classes)
    broker_topology.delete_retired_queues()


def main():
    logging.basicConfig(level="WARNING")
    provision()
    print(f"provisioned namespace '{settings.namespace()}': databases "
          + ", ".join(settings.database_name(c) for c in COMPONENTS) + f"; vhost '{settings.vhost()}'")


if __name__ == "__main__":
    main()
