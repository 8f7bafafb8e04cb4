"""The student page and its HTTP API as a WSGI application: a pure function of the request.

Served by waitress (:mod:`photocheck.web.server`), but any WSGI server can run it. The checks
themselves run in a :class:`~photocheck.web.pool.CheckPool`; this module only routes, guards,
parses and answers. Every answer of the API is JSON, errors included (docs/api.md):

* ``GET /`` (+ ``/app.js``, ``/style.css``, ``/favicon.svg``, ``/favicon.ico``): the page; no external requests, a strict CSP.
* ``POST /api/check``: ``multipart/form-data`` with ``photo`` (required), ``reference`` (optional
  enrollment photo), ``lang`` (``zh``/``en``) → 200 (a verdict), 422 (not a readable image), 400,
  413, 415, 421, 503 + ``Retry-After``, 504, 500.
* ``GET /healthz``: worker counts; 200 when at least one worker is ready, else 503.

Privacy: the body is read into memory under a hard cap and parsed as it is read (``multipart``'s
push parser never spools to a file); photos and file names are never logged; the access log line has
the method, the path without its query, the status, the sizes and the time.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable

from .answer import API_VERSION, both
from .pool import Busy, CheckPool, TimedOut, WorkerFailed, describe_error

log = logging.getLogger("photocheck.web")

#: Largest photo + enrollment photo accepted. Phone photos are 2–12 MB; HEIC less.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
#: Room for the form's boundaries, part headers and the ``lang`` field on top of the photos.
FORM_OVERHEAD = 64 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
_HEADERS = [("Cache-Control", "no-store"), ("Content-Security-Policy", _CSP),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer")]
_JSON = ("Content-Type", "application/json; charset=utf-8")
_STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
           "/index.html": ("index.html", "text/html; charset=utf-8"),
           "/app.js": ("app.js", "text/javascript; charset=utf-8"),
           "/style.css": ("style.css", "text/css; charset=utf-8"),
           # the tab icon; /favicon.ico too, which browsers ask for on their own
           "/favicon.svg": ("favicon.svg", "image/svg+xml"), "/favicon.ico": ("favicon.svg", "image/svg+xml")}
_ROUTES = frozenset(_STATIC) | {"/api/check", "/healthz"}
_STATUS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 411: "Length Required",
           413: "Content Too Large", 415: "Unsupported Media Type", 421: "Misdirected Request",
           422: "Unprocessable Content", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
           501: "Not Implemented", 503: "Service Unavailable", 504: "Gateway Timeout"}


class RequestError(Exception):
    """A request the API refuses: HTTP status, stable code, message in both languages."""

    def __init__(self, status: int, code: str, zh: str, en: str, headers: Iterable[tuple[str, str]] = (), **extra):
        super().__init__(en)
        self.status, self.code, self.zh, self.en = status, code, zh, en
        self.headers = list(headers)
        self.extra = extra


def error_json(code: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    """The JSON of every refusal: the page renders it like a verdict; ``error`` is for programs."""
    return {"api": API_VERSION, "verdict": "error", "error": code, "headline": both("无法检查", "Cannot check"),
            "detail": both(zh, en), "problems": [], **extra}


def too_large(max_upload: int, size: int | None = None) -> RequestError:
    mb = max_upload / 2**20
    seen_zh, seen_en = (f"（{size / 2**20:.1f} MB）", f" ({size / 2**20:.1f} MB)") if size else ("", "")
    return RequestError(413, "too_large", f"文件太大{seen_zh}，最大 {mb:g} MB。请上传相机或手机拍的原图，不要上传视频或压缩包。",
                        f"The upload is too large{seen_en}; the limit is {mb:g} MB. Upload the photo itself, not a video or an archive.")


def is_loopback(host: str) -> bool:
    """Whether a listen address is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_allowed(host: str, port: str, loopback_names: Iterable[str], names: frozenset[str]) -> bool:
    """Whether a request's Host header names this service (the guard against DNS rebinding).

    ``loopback_names`` (127.0.0.1, localhost, [::1] and the listen address, when that is loopback)
    only with the service's own port; any name in ``names`` (``--allowed-host``) with any port (a
    proxy in front may listen on another one).
    """
    host = host.strip().lower()
    if host in {f"{n}:{port}" for n in loopback_names}:
        return True
    if host.startswith("["):  # an IPv6 literal, maybe with a port
        name = host[: host.find("]") + 1]
    else:
        name = host.split(":", 1)[0]
    return bool(name) and name in names


def safe_name(filename: str | None, default: str) -> str:
    """The last part of an uploaded file's name (browsers send a base name; other clients may not)."""
    name = Path((filename or "").replace("\\", "/")).name.strip()[:120]
    return name or default


def read_form(environ: dict, limit: int) -> dict[str, tuple[str | None, bytes]]:
    """The ``multipart/form-data`` fields of the request → {name: (filename, bytes)}.

    Read in 1 MB pieces straight into ``multipart``'s push parser (which does no I/O and never
    spools to a file), so the body is never held twice; refused with 413 above ``limit`` bytes,
    from ``Content-Length`` before reading or while a streamed (chunked) body arrives.
    """
    import multipart

    ctype, options = multipart.parse_options_header(environ.get("CONTENT_TYPE") or "")
    if ctype != "multipart/form-data" or not options.get("boundary"):
        raise RequestError(415, "not_multipart", "请求格式不对：请以 multipart/form-data 表单发送照片（字段 photo）。",
                           "Send the photo as multipart/form-data (field 'photo').")
    length = environ.get("CONTENT_LENGTH") or ""
    if length:
        try:
            n = int(length)
        except ValueError:
            raise RequestError(400, "bad_request", "请求长度无效。", "Invalid Content-Length.") from None
        if n > limit:
            raise too_large(limit - FORM_OVERHEAD, n)
    elif environ.get("wsgi.input_terminated"):  # a streamed body: read to its end, capped
        n = -1
    else:
        raise RequestError(411, "length_required", "请求缺少长度。", "Content-Length is required.")
    stream = environ["wsgi.input"]
    fields: dict[str, tuple[str | None, bytearray]] = {}
    current: bytearray | None = None
    got = 0
    try:
        with multipart.PushMultipartParser(options["boundary"], n, max_segment_count=8) as parser:
            while not parser.closed:
                chunk = stream.read(1 << 20 if n < 0 else min(1 << 20, n - got))
                got += len(chunk)
                if got > limit:
                    raise too_large(limit - FORM_OVERHEAD)
                for event in parser.parse(chunk):  # an empty chunk tells the parser the body ended
                    if isinstance(event, multipart.MultipartSegment):
                        current = bytearray()
                        if event.name and event.name not in fields:  # the first of repeated fields counts
                            fields[event.name] = (event.filename, current)
                    elif event and current is not None:
                        current += event
                if not chunk:
                    break
    except multipart.MultipartError as e:
        raise RequestError(400, "bad_form", "表单数据不完整或格式错误，请重新选择照片。",
                           f"The form data is incomplete or malformed ({e}). Choose the photo again.") from None
    return {k: (fn, bytes(v)) for k, (fn, v) in fields.items()}


class App:
    """The WSGI application. ``pool`` runs the checks; the rest are the service's limits.

    ``host`` is the listen address. On loopback, the Host header may name 127.0.0.1, localhost,
    [::1] or that address with the service's port; anywhere, the ``allowed_hosts`` names. The page
    says "on this computer" only on loopback without ``allowed_hosts`` (a student's own laptop).
    ``access_log``: one line per request (default: on, except on a student's own laptop).
    """

    def __init__(self, pool: CheckPool, *, host: str = "127.0.0.1", allowed_hosts: Iterable[str] = (),
                 max_upload: int = MAX_UPLOAD_BYTES, access_log: bool | None = None):
        self.pool = pool
        self.max_upload = max_upload
        self.max_request = max_upload + FORM_OVERHEAD
        listen = host.strip("[]").lower()
        self.loopback_names = (*LOOPBACK_NAMES, f"[{listen}]" if ":" in listen else listen) if is_loopback(host) else ()
        self.allowed_hosts = frozenset(h.strip().lower() for h in allowed_hosts if h.strip())
        self.local = bool(self.loopback_names) and not self.allowed_hosts
        self.access_log = not self.local if access_log is None else access_log  # a service logs requests
        files = resources.files("photocheck.web").joinpath("static")
        self._static = {path: (files.joinpath(f).read_bytes(), ctype) for path, (f, ctype) in _STATIC.items()}
        # the page shows the upload cap, and says where the photo goes: this computer or a school's server
        page, ctype = self._static["/"]
        page = page.replace(b'data-max-bytes="26214400"', f'data-max-bytes="{max_upload}"'.encode(), 1)
        if not self.local:
            page = page.replace(b'data-host="local"', b'data-host="server"', 1)
        self._static["/"] = self._static["/index.html"] = (page, ctype)

    # -- WSGI -------------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        t0 = time.monotonic()
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        try:
            status, headers, body = self._route(environ, method, path)
        except RequestError as e:
            status, headers, body = e.status, [_JSON] + e.headers, _json(error_json(e.code, e.zh, e.en, **e.extra))
        except Exception as e:  # a bug in this layer: still a JSON answer, and a log line without data
            log.error("internal error: %s", describe_error(e))
            status, headers, body = 500, [_JSON], _json(error_json(
                "internal", f"服务出错（{type(e).__name__}）。请稍后再试。", f"Server error ({type(e).__name__}). Try again later."))
        start_response(f"{status} {_STATUS.get(status, '')}".strip(),
                       [("Content-Length", str(len(body)))] + headers + _HEADERS)
        if self.access_log or status >= 500:
            size = environ.get("CONTENT_LENGTH") or "-"
            shown = path if path in _ROUTES else "(other)"  # a made-up path may hold a name or an ID number
            log.log(logging.WARNING if status >= 500 else logging.INFO, "%s %s %d in=%s out=%d %.0fms",
                    method[:10], shown, status, size, len(body), 1000 * (time.monotonic() - t0))
        return [] if method == "HEAD" else [body]

    def _route(self, environ: dict, method: str, path: str) -> tuple[int, list, bytes]:
        if path == "/healthz":  # no data in it; monitors reach it by IP, so no Host check
            self._only(method, "GET", "HEAD")
            s = self.pool.status()
            return (200 if s["ready"] else 503), [_JSON], _json({"ok": s["ready"] > 0, **s})
        if not host_allowed(environ.get("HTTP_HOST", ""), str(environ.get("SERVER_PORT", "")),
                            self.loopback_names, self.allowed_hosts):
            raise RequestError(421, "host", "只接受本服务的地址。", "This service does not answer to that host name.")
        if path == "/api/check":
            self._only(method, "POST")
            return self._check(environ)
        if path in self._static:
            self._only(method, "GET", "HEAD")
            body, ctype = self._static[path]
            return 200, [("Content-Type", ctype)], body
        raise RequestError(404, "not_found", "没有这个页面。", "Not found.")

    @staticmethod
    def _only(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise RequestError(405, "method", "不支持这种请求。", f"Use {' or '.join(allowed)}.",
                               [("Allow", ", ".join(allowed))])

    def _check(self, environ: dict) -> tuple[int, list, bytes]:
        form = read_form(environ, self.max_request)
        photo_name, photo = form.get("photo", (None, b""))
        ref_name, reference = form.get("reference", (None, b""))
        if not photo and not photo_name:  # no field, or a form sent with no file chosen
            raise RequestError(400, "no_photo", "没有收到照片。请选择一张照片。", "No photo received. Choose a photo.")
        # a named file of 0 bytes was received: the check says it is empty (422), like `photocheck check`
        if len(photo) + len(reference) > self.max_upload:
            raise too_large(self.max_upload, len(photo) + len(reference))
        lang = form.get("lang", (None, b"zh"))[1].decode("ascii", "replace").strip()
        job = {"photo": photo, "name": safe_name(photo_name, "photo.jpg"), "reference": reference or None,
               "reference_name": safe_name(ref_name, "enrollment.jpg"), "lang": "en" if lang == "en" else "zh"}
        try:
            answer = self.pool.run(job)
        except Busy as e:
            raise RequestError(503, "busy", f"检查服务正忙，请 {e.retry_after} 秒后再试。",
                               f"The check service is busy; try again in {e.retry_after} s.",
                               [("Retry-After", str(e.retry_after))], retry_after=e.retry_after) from None
        except TimedOut:
            limit = f"{self.pool.time_limit:g}"
            raise RequestError(504, "time_limit", f"检查超过了 {limit} 秒的时间限制。请稍后再试，或换一张较小的照片。",
                               f"The check took longer than its {limit} s limit. Try again later, or with a smaller photo.") from None
        except WorkerFailed as e:
            log.error("check failed: %s", e)  # the error's type and place only: no photo, no file name
            raise RequestError(500, "internal", "检查时出错。请换一张照片再试；如仍出错，请告诉老师。",
                               "Checking failed. Try another photo; if it happens again, tell the school.") from None
        status = 422 if answer.get("verdict") == "error" else 200
        return status, [_JSON], _json(answer)


def _json(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()
