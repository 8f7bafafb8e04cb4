"""The operator page's HTTP API as a WSGI application (served by :mod:`.server`).

The same guards as ``photocheck serve`` (:mod:`photocheck.web.app`): only the host names of this
service are answered (DNS rebinding), a CSP without inline script, ``no-store`` on every answer,
JSON errors. Routes (docs/watch.md):

* ``GET /`` → the page (``static/index.html``); ``GET /static/<file>`` → its files;
* ``GET /healthz`` → ``{"ok": true}``;
* ``GET /api/state`` → the state (:func:`photocheck.watch.state.build_state`), gzip-compressed
  for a client that accepts it (the page fetches it after every verdict, a tablet over Wi-Fi);
* ``GET /api/thumb/<id>.jpg`` → a frame's annotated thumbnail;
* ``GET /api/events`` → ``text/event-stream``: ``event: state`` with ``{"version": n}`` after every
  change, a ``: ping`` comment every 15 s.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from importlib import resources

from ..web.app import _CSP, LOOPBACK_NAMES, host_allowed, is_loopback

log = logging.getLogger("photocheck.watch")

_HEADERS = [("Cache-Control", "no-store"), ("Content-Security-Policy", _CSP),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer")]
_JSON = "application/json; charset=utf-8"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
          ".json": "application/json; charset=utf-8", ".woff2": "font/woff2"}
_STATUS = {200: "OK", 304: "Not Modified", 404: "Not Found", 405: "Method Not Allowed", 421: "Misdirected Request",
           500: "Internal Server Error", 503: "Service Unavailable"}
_THUMB = re.compile(r"^/api/thumb/([0-9a-f]{16})\.jpg$")
_STATIC_NAME = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$")

#: seconds between keep-alive comments on the event stream (proxies and browsers drop silent streams)
PING_SECONDS = 15.0


def _error(status: int, code: str, zh: str, en: str) -> tuple[int, str, bytes]:
    body = json.dumps({"error": code, "message": {"zh": zh, "en": en}}, ensure_ascii=False).encode()
    return status, _JSON, body


class WatchApp:
    """The WSGI app over a :class:`~photocheck.watch.live.LiveBatch` (anything with ``snapshot()``,
    ``wait_change(version, timeout)``, ``thumbnail(id)`` and ``stopped``).

    ``max_streams`` bounds the open event streams: each holds one of the server's threads.
    """

    def __init__(self, live, *, host: str = "127.0.0.1", allowed_hosts: Iterable[str] = (), max_streams: int = 8,
                 ping: float = PING_SECONDS):
        self.live = live
        listen = host.strip("[]").lower()
        # the laptop's own screen opens 127.0.0.1 even when a tablet reaches the page over the network
        # (--host 0.0.0.0): a loopback name is never an attacker's (DNS rebinding needs their own name)
        self.loopback_names = (*LOOPBACK_NAMES, f"[{listen}]" if ":" in listen else listen) if is_loopback(host) \
            else LOOPBACK_NAMES
        self.allowed_hosts = frozenset(h.strip().lower() for h in allowed_hosts if h.strip())
        self.max_streams = max_streams
        self.ping = ping
        self._streams = 0
        self._lock = threading.Lock()
        self._gz: tuple[int, bytes] = (-1, b"")  # the state of one version, compressed once for every page

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        extra: list[tuple[str, str]] = []
        try:
            if path == "/api/events" and method == "GET" and self._host_ok(environ):
                return self._events(environ, start_response)
            status, ctype, body = self._route(environ, method, path)
            if path == "/api/state" and status == 200:
                extra.append(("Vary", "Accept-Encoding"))
                if _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
                    body = self._gzip_state(body)
                    extra.append(("Content-Encoding", "gzip"))
        except Exception as e:  # a bug here: still a JSON answer
            log.exception("internal error")
            status, ctype, body = _error(500, "internal", f"服务出错（{type(e).__name__}）。", f"Server error ({type(e).__name__}).")
            extra = []
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))] + _HEADERS + extra
        if status == 405:
            headers.append(("Allow", "GET, HEAD"))
        start_response(f"{status} {_STATUS.get(status, '')}".strip(), headers)
        return [] if method == "HEAD" else [body]

    def _gzip_state(self, body: bytes) -> bytes:
        """``body`` (the state of the snapshot's version) compressed; each version once."""
        snap = self.live.snapshot()
        if snap.body is not body:  # a newer state came meanwhile: this one is not worth keeping
            return gzip.compress(body, 6, mtime=0)
        with self._lock:
            version, gz = self._gz
        if version != snap.version:
            gz = gzip.compress(body, 6, mtime=0)
            with self._lock:
                self._gz = (snap.version, gz)
        return gz

    def _host_ok(self, environ: dict) -> bool:
        return host_allowed(environ.get("HTTP_HOST", ""), str(environ.get("SERVER_PORT", "")),
                            self.loopback_names, self.allowed_hosts)

    def _route(self, environ: dict, method: str, path: str) -> tuple[int, str, bytes]:
        if method not in ("GET", "HEAD"):
            return _error(405, "method", "不支持这种请求。", "Use GET.")
        if path == "/healthz":
            return 200, _JSON, b'{"ok": true}'
        if not self._host_ok(environ):
            return _error(421, "host", "只接受本服务的地址。", "This service does not answer to that host name.")
        if path == "/api/state":
            return 200, _JSON, self.live.snapshot().body
        m = _THUMB.match(path)
        if m:
            data = self.live.thumbnail(m.group(1))
            if data is None:
                return _error(404, "not_found", "没有这张缩略图。", "No such thumbnail.")
            return 200, "image/jpeg", data
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        return _error(404, "not_found", "没有这个页面。", "Not found.")

    @staticmethod
    def _static(name: str) -> tuple[int, str, bytes]:
        if not _STATIC_NAME.match(name):
            return _error(404, "not_found", "没有这个页面。", "Not found.")
        f = resources.files("photocheck.watch").joinpath("static").joinpath(name)
        if not f.is_file():
            return _error(404, "not_found", "没有这个页面。", "Not found.")
        ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return 200, _TYPES.get(ext, "application/octet-stream"), f.read_bytes()

    def _events(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        with self._lock:
            if self._streams >= self.max_streams:
                _, ctype, body = _error(503, "busy", "打开的页面太多。", "Too many open pages.")
                start_response("503 Service Unavailable", [("Content-Type", ctype), ("Content-Length", str(len(body))),
                                                           ("Retry-After", "5")] + _HEADERS)
                return [body]
            self._streams += 1
        start_response("200 OK", [("Content-Type", "text/event-stream; charset=utf-8"),
                                  ("X-Accel-Buffering", "no")] + _HEADERS)
        return self._stream()

    def _stream(self) -> Iterator[bytes]:
        """One event per change of state; waitress sends each chunk at once (``send_bytes=1``)."""
        try:
            version = self.live.snapshot().version
            yield b"retry: 1000\n" + _event(version)  # the page loads the state it has missed
            while not self.live.stopped:
                snap = self.live.wait_change(version, self.ping)
                if snap.version > version:
                    version = snap.version
                    yield _event(version)
                else:
                    yield b": ping\n\n"
        finally:
            with self._lock:
                self._streams -= 1


def _accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (``gzip;q=0`` refuses it).

    >>> _accepts_gzip("gzip, deflate, br"), _accepts_gzip("identity"), _accepts_gzip("gzip;q=0")
    (True, False, False)
    """
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


def _event(version: int) -> bytes:
    return f'event: state\ndata: {{"version": {version}}}\n\n'.encode()
