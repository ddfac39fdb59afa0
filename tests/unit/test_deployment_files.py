"""Docker does not run here, so the deployment files are checked against the code: every command, module path,
config file and environment variable in docker-compose.yml must exist, and compose must run exactly the
processes the Procfile runs."""
import ast
import re
import shlex
from pathlib import Path

import yaml

from services.servicekit import settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = {name: svc for name, svc in COMPOSE["services"].items() if "build" in svc}
CODE_TEXT = "\n".join(p.read_text(encoding="utf-8") for pattern in ("services/**/*.py", "gateway/**/*.py",
                                                                     "deploy/nameko/*.yml")
                      for p in ROOT.glob(pattern))


def module_file(dotted: str) -> Path:
    return ROOT.joinpath(*dotted.split(".")).with_suffix(".py")


def defines_class(path: Path, name: str) -> bool:
    return any(isinstance(n, ast.ClassDef) and n.name == name for n in ast.walk(ast.parse(path.read_text())))


def check_command(argv: list[str]) -> list[str]:
    """Returns the problems found with one process command."""
    problems = []
    if argv[0] == "nameko":
        config = argv[argv.index("--config") + 1]
        if not (ROOT / config).exists():
            problems.append(f"missing nameko config {config}")
        module, _, cls = argv[-1].partition(":")
        path = module_file(module)
        # A service not written yet is allowed only if its file is absent AND listed as planned in the topology.
        if path.exists():
            if not defines_class(path, cls):
                problems.append(f"{path} does not define {cls}")
        else:
            from services.servicekit.broker_topology import SERVICE_CLASSES
            if argv[-1] not in SERVICE_CLASSES.values():
                problems.append(f"unknown service {argv[-1]}")
    elif argv[0] == "python":
        assert argv[1] == "-m"
        if not module_file(argv[2]).exists():
            problems.append(f"missing module {argv[2]}")
    elif argv[0] == "gunicorn":
        if not (ROOT / argv[argv.index("-c") + 1]).exists():
            problems.append("missing gunicorn config")
        module, _, attr = argv[-1].partition(":")
        if not module_file(module).exists() or f"{attr} =" not in module_file(module).read_text():
            problems.append(f"missing WSGI app {argv[-1]}")
    elif argv[0] != "sh":
        problems.append(f"unknown command {argv[0]}")
    return problems


def test_every_compose_command_points_at_real_code():
    problems = []
    for name, svc in APP_SERVICES.items():
        if isinstance(svc.get("command"), list) and svc["command"][0] != "sh":
            problems += [f"{name}: {p}" for p in check_command(svc["command"])]
    assert problems == []


def test_compose_runs_the_same_processes_as_the_procfile():
    procfile = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        argv = [re.sub(r"\$\{[A-Z_]+:-(\d+)\}", r"\1", a) for a in shlex.split(command)]
        procfile[name.strip()] = argv
    compose = {name: svc["command"] for name, svc in APP_SERVICES.items() if name != "provision"}
    assert procfile == compose


def test_every_environment_variable_is_read_by_the_code():
    env = COMPOSE["x-app"]["environment"]
    components = set(settings.SERVICES) | {"gateway"}
    unknown = [var for var in env
               if var not in CODE_TEXT
               and not (var.endswith("_DATABASE_URL") and var[: -len("_DATABASE_URL")].lower() in components)]
    assert unknown == []
    # and the per-component database URLs really are what settings.database_url reads
    for component in components:
        assert f"{component.upper()}_DATABASE_URL" in env


def test_rabbitmq_definitions_match_the_code():
    import json
    from services.servicekit.reliable_events import DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE
    definitions = json.loads((ROOT / "deploy/rabbitmq/definitions.json").read_text())
    vhost = COMPOSE["x-app"]["environment"]["AMQP_URI"].rsplit("/", 1)[1]
    assert [v["name"] for v in definitions["vhosts"]] == [vhost]
    assert {e["name"] for e in definitions["exchanges"]} == {DEAD_LETTER_EXCHANGE}
    assert {q["name"] for q in definitions["queues"]} == {DEAD_LETTER_QUEUE}
    user = COMPOSE["x-app"]["environment"]["AMQP_URI"].split("//")[1].split(":")[0]
    assert user in {u["name"] for u in definitions["users"]}


def test_prometheus_scrapes_every_process():
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {t.split(":")[0] for t in config["scrape_configs"][0]["static_configs"][0]["targets"]}
    assert targets == set(APP_SERVICES) - {"provision"}


def test_dockerfile_installs_the_project_and_copies_what_the_commands_need():
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    for needed in ("COPY services", "COPY gateway", "COPY deploy", "pip install ."):
        assert needed in dockerfile
