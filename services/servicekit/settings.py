"""Where things are: every address and name comes from the environment, with local defaults.

`TSUNAGU_NAMESPACE` prefixes database names and names the RabbitMQ vhost, so a test run (or a second
developer on the same machine) gets its own isolated set of databases and broker objects.
"""
import os

SERVICES = ("members", "events", "referrals")


def namespace() -> str:
    return os.environ.get("TSUNAGU_NAMESPACE", "tsunagu")


def postgres_base_url() -> str:
    return os.environ.get("TSUNAGU_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")


def database_name(component: str) -> str:
    return f"{namespace()}_{component}"


def database_url(component: str) -> str:
    explicit = os.environ.get(f"{component.upper()}_DATABASE_URL")
    return explicit or f"{postgres_base_url()}/{database_name(component)}"


def vhost() -> str:
    return os.environ.get("TSUNAGU_VHOST", namespace())


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI") or f"amqp://guest:guest@127.0.0.1:5672/{vhost()}"


def rabbitmq_management_url() -> str:
    return os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672").rstrip("/")


def event_delivery_limit() -> int:
    # A handler gets this many redeliveries before its message goes to the dead-letter queue.
    return int(os.environ.get("TSUNAGU_EVENT_DELIVERY_LIMIT", "5"))


def database_pool_size(default: int = 10) -> int:
    # Connections each service process may hold; the test stacks take fewer, since two stacks and the tests
    # share one PostgreSQL (max_connections 100).
    return int(os.environ.get("TSUNAGU_DB_POOL_SIZE", default))
