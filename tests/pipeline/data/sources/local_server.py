"""A tiny HTTP server on 127.0.0.1 that lets the real tushare/yfinance clients run offline.

Each test gives it a ``handler`` that turns a recorded request into a ``Reply``; the server
keeps every request so tests can count calls and inspect parameters.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """What to answer: status, body and content type."""

    status: int = 200
    body: str = ""
    content_type: str = "application/json;charset=utf-8"

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Reply:
        """A JSON reply."""
        return cls(status=status, body=json.dumps(payload))


Handler = Callable[[Request], Reply]


@dataclass
class LocalServer:
    """Serves ``handler`` on an ephemeral port; use as a context manager."""

    handler: Handler
    requests: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        assert self._server is not None, "server is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def paths(self, prefix: str = "") -> list[str]:
        """Paths of the recorded requests that start with ``prefix``."""
        return [r.path for r in self.requests if r.path.startswith(prefix)]

    def __enter__(self) -> LocalServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._request_handler_class())
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown() (which waits for one poll) fast.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def _request_handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                    body=self.rfile.read(length),
                )
                server.requests.append(request)
                reply = server.handler(request)
                payload = reply.body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        return _Handler
