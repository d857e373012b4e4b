"""Serving the review page: Werkzeug's threaded WSGI server on 127.0.0.1, at a port the
system picks, with a random token; quiet (library code never prints, and a request log
would print the token).

Why Werkzeug alone (not Flask, not Starlette with uvicorn): its `send_file` answers Range
and If-Range requests (206, 416) for the audio; WSGI is synchronous like our apsw and
psycopg connections, which one lock hands to one request thread at a time (an ASGI app
would hop to a thread pool for every database call anyway); the server runs in a thread
of ours and stops with `shutdown()` when the command line sees Ctrl-C or SIGTERM, with no
signal handlers of its own to fight the command line's (uvicorn installs its own); and it
weighs one package and MarkupSafe, where Flask adds Jinja2, itsdangerous and blinker that
the page does not use, and Starlette needs uvicorn, anyio, sniffio and h11.
"""

from __future__ import annotations

import secrets
import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from .session import ReviewSession
from .spectrogram import SpectrogramCache
from .web import ReviewApp

__all__ = ["ReviewServer"]

HOST = "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the page asks for many small things

    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class _QuietServer(ThreadedWSGIServer):
    daemon_threads = True  # a request still streaming never keeps the process alive

    def log(self, type: str, message: str, *args: Any) -> None:
        pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class ReviewServer:
    """The page of `session`, served from a thread of its own between `start` and `stop`
    (or as a context manager); `url` carries the token."""

    def __init__(
        self, session: ReviewSession, spectrograms: SpectrogramCache, port: int = 0
    ) -> None:
        self.token = secrets.token_urlsafe(32)
        self.app = ReviewApp(session, self.token, spectrograms)
        self._server = _QuietServer(HOST, port, self.app, handler=_QuietHandler)
        self.port: int = self._server.server_port
        self.app.bind(self.port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/?token={self.token}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="music-tools-review",
            daemon=True,
        )
        self._thread.start()

    def wait(self, seconds: float) -> None:
        """Block up to `seconds` while serving (the main thread waits here, so Ctrl-C
        reaches it)."""
        if self._thread is not None:
            self._thread.join(seconds)

    def stop(self) -> None:
        """Stop accepting, close the socket, and wait for an action under way to end."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
        with self.app.session.lock:
            pass

    def __enter__(self) -> ReviewServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
