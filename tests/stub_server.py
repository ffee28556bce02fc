"""A real HTTP stand-in for the image and chat APIs, for tests and benchmarks (never used in production).

One threaded server on 127.0.0.1 answers like Pollinations (any GET → PNG), an OpenAI-compatible API
(`/images/generations`, `/images/edits` multipart, `/chat/completions`) and AUTOMATIC1111 (`/sdapi/v1/txt2img`,
`/sdapi/v1/img2img`). Tests script
special answers (429, 500, slow, garbage) with `queue()` and count calls in `hits`.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import io
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import msgspec
from PIL import Image


class Hit(msgspec.Struct, frozen=True):
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    headers: dict[str, str] = {}  # lower-cased names

    def json(self) -> dict:
        return json.loads(self.body or b"{}")

    def form(self) -> dict[str, bytes]:
        """A multipart/form-data body as {field: raw bytes} (files included)."""
        head = f"Content-Type: {self.headers.get('content-type', '')}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        fields: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = part.get_payload(decode=True) or b""
        return fields


class Reply(msgspec.Struct):
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = {}
    delay: float = 0.0  # seconds before answering


def tiny_png(colour: tuple[int, int, int] = (90, 120, 200), size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def json_reply(payload: object, status: int = 200, delay: float = 0.0) -> Reply:
    return Reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json"}, delay)


class StubApiServer:
    def __init__(self, latency: float = 0.0, png: bytes | None = None) -> None:
        self.latency = latency
        self.png = png or tiny_png()
        self.hits: list[Hit] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most image requests the server was answering at once (chat excluded)
        self.chat_answer = "A lone lighthouse on a crimson cliff at sunset, waves below"
        self._scripted: deque[tuple[str, Reply]] = deque()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="stub-api", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StubApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StubApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def queue(self, *replies: Reply, path: str = "") -> None:
        """Answer the next requests whose path contains `path` with these, in order, then normally."""
        with self._lock:
            self._scripted.extend((path, reply) for reply in replies)

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self._scripted.clear()
            self.max_in_flight = 0

    def count(self, path_part: str = "") -> int:
        with self._lock:
            return sum(1 for hit in self.hits if path_part in hit.path)

    def _answer(self, hit: Hit) -> Reply:
        with self._lock:
            self.hits.append(hit)
            for index, (path, reply) in enumerate(self._scripted):
                if path in hit.path:
                    del self._scripted[index]
                    return reply
        return self._normal(hit)

    def _enter(self, path: str) -> None:
        if path.endswith("/chat/completions"):
            return
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self, path: str) -> None:
        if path.endswith("/chat/completions"):
            return
        with self._lock:
            self.in_flight -= 1

    def _normal(self, hit: Hit) -> Reply:
        encoded = base64.b64encode(self.png).decode()
        if hit.path.endswith(("/images/generations", "/images/edits")):
            return json_reply(
                {"created": int(time.time()), "data": [{"b64_json": encoded}]}, delay=self.latency
            )
        if hit.path.endswith(("/sdapi/v1/txt2img", "/sdapi/v1/img2img")):
            return json_reply({"images": [encoded], "parameters": {}, "info": "{}"}, delay=self.latency)
        if hit.path.endswith("/chat/completions"):
            message = {"role": "assistant", "content": self.chat_answer}
            return json_reply({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})
        return Reply(200, self.png, {"Content-Type": "image/png"}, self.latency)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # benchmarks open dozens of connections at once
    stub: StubApiServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out hang up mid-answer; that is expected here


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        stub = self.server.stub
        stub._enter(parts.path)
        try:
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = stub._answer(Hit(self.command, parts.path, parse_qs(parts.query), body, headers))
            if reply.delay:
                time.sleep(reply.delay)
        finally:
            stub._leave(parts.path)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = _handle
    do_POST = _handle
