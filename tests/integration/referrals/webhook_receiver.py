"""A partner's system for webhook tests: a real HTTP server on 127.0.0.1 (not a mock)."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops SYNs under concurrent POSTs (1 s retransmit stalls)


class Receiver:
    """Records every POST (path, headers, raw body, arrival time). Each path answers with queued statuses, then
    `always[path]` (default 200); `delays[path]` seconds of silence before answering simulate a slow partner."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: dict[str, list[int]] = {}
        self.always: dict[str, int] = {}
        self.delays: dict[str, list[float]] = {}
        self.headers: dict[str, dict] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                              "at": time.monotonic()})
                    queued = receiver.statuses.get(self.path)
                    status = queued.pop(0) if queued else receiver.always.get(self.path, 200)
                    delays = receiver.delays.get(self.path)
                    delay = delays.pop(0) if delays else 0
                    extra = dict(receiver.headers.get(self.path, {}))
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for key, value in extra.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
