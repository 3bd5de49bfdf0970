"""A threaded HTTP/1.1 server on 127.0.0.1 for the HTTP wire fakes (Bedrock, OpenAI)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LocalHTTPServer:
    """Serves ``handler_class`` on a random port from a daemon thread; a (sync) context manager."""

    handler_class: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        self.client_disconnected = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> LocalHTTPServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class)
        self._httpd.daemon_threads = True
        self._httpd.fake = self
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class WireHandler(BaseHTTPRequestHandler):
    """Request handler helpers: JSON in and out, chunked streaming, quiet logs."""

    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> Any:
        return self.server.fake

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def send_chunk(self, data: bytes) -> bool:
        """Write one chunk; False (and ``client_disconnected`` set) once the client has gone."""
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.fake.client_disconnected.set()
            self.close_connection = True
            return False
        return True

    def end_chunks(self) -> None:
        self.send_chunk(b"")
