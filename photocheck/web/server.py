"""``photocheck serve``: the student page, on a laptop or as a school's multi-user service.

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
import signal
import webbrowser

import click

from .app import _HEADERS, App, MAX_UPLOAD_BYTES, error_json, is_loopback, too_large
from .pool import CheckPool

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


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --allowed-host.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port (0: any free port).")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Check processes (one per core; each holds the models, ~400 MB).")
@click.option("--queue", type=click.IntRange(0, 10_000), default=None,
              help="Requests that may wait for a busy worker; more get 503 + Retry-After. [default: 2 per worker]")
@click.option("--time-limit", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds one check may take; then the worker is replaced and the answer is 504.")
@click.option("--max-upload-mb", type=click.FloatRange(1, 500), default=MAX_UPLOAD_BYTES / 2**20, show_default=True,
              help="Largest photo + enrollment photo accepted; larger uploads get 413.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Host name the service answers to, e.g. photo.example.edu (repeatable).")
@click.option("--no-browser", is_flag=True, help="Do not open the page in the browser.")
@click.option("--verbose", is_flag=True, help="Log every request (on a laptop; a server always does). Never photos or file names.")
def serve_cmd(host, port, workers, queue, time_limit, max_upload_mb, allowed_hosts, no_browser, verbose):
    """Serve the page to check a photo and download the standard 480×640 file.

    Without options: this computer only (127.0.0.1), photos never leave it. With --host, --workers
    and --allowed-host: a school's service for all its students (docs/deploy.md). Photos are
    checked in memory and never saved. Stop with Ctrl+C.
    """
    loopback = is_loopback(host)
    if not loopback and not allowed_hosts:
        raise click.UsageError(f"--host {host} is reachable from other machines: name the host names students use "
                               "with --allowed-host (e.g. --allowed-host photo.example.edu)")
    pool = CheckPool(workers, queue, time_limit)
    app = App(pool, host=host, allowed_hosts=allowed_hosts, max_upload=round(max_upload_mb * 2**20),
              access_log=True if verbose else None)
    logging.basicConfig(level=logging.INFO if app.access_log else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        server = make_server(app, host, port)
    except OSError as e:
        raise click.UsageError(f"cannot listen on {host}:{port}: {e}") from None
    bound = bound_port(server)
    click.echo(f"正在启动检查进程… / starting {workers} check worker(s)…")
    try:
        pool.start()
    except RuntimeError as e:
        server.close()
        raise click.ClickException(str(e)) from None
    shown = "127.0.0.1" if host == "localhost" else f"[{host.strip('[]')}]" if ":" in host else host
    url = f"http://{shown}:{bound}/"
    if app.local:
        click.secho(f"photocheck 照片自查页面 / photo check page: {url}", bold=True)
    else:
        names = ", ".join(allowed_hosts) or "127.0.0.1"
        click.secho(f"photocheck 检查服务 / check service: {url}（域名 / answers to: {names}）"
                    f"{workers} 个检查进程 / worker(s), 队列 / queue {pool.queue}, "
                    f"上限 / limit {max_upload_mb:g} MB / {time_limit:g} s", bold=True)
    # true whoever opens the page: a student on this laptop, or students reaching a school's server
    click.echo("照片在运行 photocheck 的这台电脑的内存中检查，不保存，也不发往别处。按 Ctrl+C 结束。 / "
               "Photos are checked in the memory of the computer running photocheck: never saved, never sent on. "
               "Ctrl+C to stop.")
    if loopback and not no_browser:
        webbrowser.open(url)
    signal.signal(signal.SIGTERM, _stop)  # systemd / service managers: stop like Ctrl+C, workers included
    try:
        server.run()  # returns on Ctrl+C or SIGTERM (waitress catches the KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        pool.close()
    click.echo("\n已停止 / stopped")


def _stop(signum, frame):
    raise KeyboardInterrupt
