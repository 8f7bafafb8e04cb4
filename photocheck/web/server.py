"""The waitress server of ``photocheck serve`` (the command: :mod:`photocheck.cli.serve`): the student
page, on a laptop or as a school's multi-user service.

One code path for both: the WSGI app (:mod:`photocheck.web.app`) served by waitress, with the
checks in a pool of worker processes (:mod:`photocheck.web.pool`).

* ``photocheck serve``: 127.0.0.1 on a free port, one worker, opens the browser; the page says the
  photo stays on this computer.
* ``photocheck serve --host 0.0.0.0 --port 8080 --workers 4 --allowed-host photo.example.edu``: a
  school's service (docs/deploy.md). Another host than loopback needs ``--allowed-host``: the Host
  header is how the service refuses pages of other sites reaching it (DNS rebinding).

Why waitress: a production WSGI server that is pure Python and runs the same on the Windows
servers many university offices use (gunicorn does not run on Windows). It is set up so that no
request or response is ever spooled to a temporary file, and so that its own refusals (too large,
malformed) are JSON like the app's.
"""

from __future__ import annotations

import json
import logging

from .app import _HEADERS, App, error_json, too_large

log = logging.getLogger("photocheck.web")

#: waitress refusals → the API's error codes (the app answers everything else itself).
_WAITRESS_CODES = {400: "bad_request", 413: "too_large", 431: "headers_too_large", 501: "not_implemented"}


#: An oversized body is read and dropped, up to this many times the request cap, before the 413 is
#: sent: browsers, ``requests`` and ``http.client`` send the whole body before they read an answer,
#: and a server that closes on them mid-upload gives them "connection reset" instead of the 413.
DRAIN_FACTOR = 8


def _json_channel(max_request: int, max_upload: int):
    """waitress's channel with the service's own refusals: an oversized body is drained (kept
    nowhere) and answered 413, and waitress's error answers (413, malformed HTTP) are the API's
    JSON instead of text. Uses waitress's ``parser_class`` / ``error_task_class`` hooks."""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.task import ErrorTask
    from waitress.utilities import RequestEntityTooLarge

    drain_limit = DRAIN_FACTOR * max_request

    class Discard:
        """A body buffer that keeps nothing (for the rest of a refused chunked body)."""

        def append(self, data):
            pass

        def __len__(self):
            return 0

        def close(self):
            pass

    class DrainingParser(HTTPRequestParser):
        draining: int | None = None  # bytes of a refused body still to read and drop

        def received(self, data):
            if self.draining is None:
                n = super().received(data)
                if not (self.completed and isinstance(self.error, RequestEntityTooLarge)):
                    return n
                if self.expect_continue:
                    # "Expect: 100-continue" with a declared length over the cap (curl sends it for any
                    # body over 1 MB): answer 413 now instead of inviting the body. waitress would send
                    # "100 Continue" for a refused request too (its channel only looks at this flag),
                    # and the client would upload it all for nothing.
                    self.expect_continue = False
                elif self.chunked or self.content_length <= drain_limit:
                    self.completed = False  # not yet: read the rest of the body first, keeping none of it
                    if self.chunked:
                        self.body_rcv.buf = Discard()
                        self.draining = drain_limit - self.body_bytes_received
                    else:  # what is left of it (the whole body when refused from Content-Length)
                        self.draining = self.content_length - self.body_bytes_received
                return n
            if self.chunked:
                n = self.body_rcv.received(data)
                self.draining -= n
                self.completed = (self.body_rcv.completed or self.body_rcv.error is not None
                                  or self.draining <= 0 or n == 0)
            else:
                n = min(len(data), self.draining)
                self.draining -= n
                self.completed = self.draining == 0
            self.body_bytes_received += n
            return n

    class JSONErrorTask(ErrorTask):
        def execute(self):
            e = self.request.error
            if e.code == 413:
                size = self.request.content_length or self.request.body_bytes_received or None
                err = too_large(max_upload, size)
                obj = error_json(err.code, err.zh, err.en)
            else:
                obj = error_json(_WAITRESS_CODES.get(e.code, "bad_request"), "请求无效。", f"{e.reason}.")
            body = json.dumps(obj, ensure_ascii=False).encode()
            self.status = f"{e.code} {e.reason}"
            self.response_headers.extend([("Content-Type", "application/json; charset=utf-8"), *_HEADERS])
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class JSONChannel(HTTPChannel):
        parser_class = DrainingParser
        error_task_class = JSONErrorTask

    return JSONChannel


def make_server(app: App, host: str = "127.0.0.1", port: int = 0, threads: int | None = None):
    """A waitress server for ``app`` (not started: call ``.run()``; ``.close()`` to stop).

    ``threads`` defaults to the pool's workers + queue + 4, so that a request beyond the pool's
    capacity still reaches the app and is refused at once (503) instead of waiting in waitress's
    own unbounded task queue. Bodies and answers stay in memory (``inbuf_overflow`` /
    ``outbuf_overflow`` above any size the service accepts or sends); the bound port is
    ``bound_port(server)``.
    """
    from waitress.server import BaseWSGIServer, create_server

    threads = threads or app.pool.workers + app.pool.queue + 4
    server = create_server(
        app, host=host, port=port, threads=threads, ident="photocheck",
        max_request_body_size=app.max_request + 1,  # waitress refuses at >=, the app above its cap
        inbuf_overflow=app.max_request + 1,  # larger bodies are refused before this; never a temp file
        outbuf_overflow=256 * 2**20,  # answers are ~0.2 MB; never a temp file
        # each open connection may hold one body in memory: bound them (worst case ≈ limit × body cap)
        connection_limit=4 * threads, channel_timeout=60, expose_tracebacks=False)
    channel = _json_channel(app.max_request, app.max_upload)
    for s in {id(x): x for x in [server, *getattr(server, "map", {}).values()]}.values():
        if isinstance(s, BaseWSGIServer):
            s.channel_class = channel
    return server


def bound_port(server) -> int:
    """The port a server from :func:`make_server` listens on (useful with ``port=0``)."""
    if hasattr(server, "effective_port"):
        return int(server.effective_port)
    return int(server.effective_listen[0][1])
