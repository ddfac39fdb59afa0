"""Running the project's real processes (nameko services, relays, gunicorn) from tests and benchmarks."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = REPO_ROOT / "var" / "test-logs"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    """Poll `condition` until it returns a truthy value; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class Process:
    def __init__(self, name: str, argv: list[str], env: dict, ready_url: str | None = None):
        self.name = name
        self.argv = argv
        self.env = env
        self.ready_url = ready_url
        self.popen: subprocess.Popen | None = None
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{name}.log"

    def start(self, wait: bool = True, extra_env: dict | None = None) -> "Process":
        env = {**os.environ, **self.env, **(extra_env or {}), "PYTHONPATH": str(REPO_ROOT)}
        log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(self.argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        if wait and self.ready_url:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60.0):
        def ready():
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.popen.returncode}; see {self.log_path}")
            try:
                return requests.get(self.ready_url, timeout=1).status_code == 200
            except requests.RequestException:
                return False
        wait_until(ready, timeout, 0.1, f"{self.name} to become ready")

    def wait_exit(self, timeout: float = 30.0) -> int:
        wait_until(lambda: self.popen.poll() is not None, timeout, 0.05, f"{self.name} to exit")
        return self.popen.returncode

    def stop(self, timeout: float = 15.0):
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)

    def kill(self):
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def nameko_service(name: str, service_path: str, config_path: Path, env: dict, ops_port: int) -> Process:
    return Process(name, [str(BIN / "nameko"), "run", "--config", str(config_path), service_path], env,
                   ready_url=f"http://127.0.0.1:{ops_port}/readyz")


def relay(component: str, env: dict, ops_port: int) -> Process:
    return Process(f"{component}-relay", [sys.executable, "-m", "services.servicekit.outbox_relay", component,
                                          "--ops-port", str(ops_port), "--poll-interval", "0.5"], env,
                   ready_url=f"http://127.0.0.1:{ops_port}/readyz")
