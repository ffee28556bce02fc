"""A real HTTP receiver on 127.0.0.1 for webhook tests: records every request, answers 200 or (when down) 503."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook as ReferenceVerifier


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int
    at: float = field(default_factory=time.monotonic)
    # the reference verifier's verdict when it arrived (a receiver checks then: the timestamp tolerance is 5 min)
    verdict: object = None


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self.secret: str | None = None  # set it to have every request verified on arrival
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = dict(self.headers.items())
                verdict = None
                if receiver.secret is not None:
                    try:
                        verdict = ReferenceVerifier(receiver.secret).verify(body, headers)
                    except Exception as exc:  # kept, and raised by the test that reads it
                        verdict = exc
                with receiver.lock:
                    answered = receiver.status
                    receiver.received.append(Received(headers, body, answered, verdict=verdict))
                self.send_response(answered)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if answered == 200 else b"down")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.answered == 200]
