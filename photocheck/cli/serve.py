"""``photocheck serve``: the student page on this computer, or a school's service (docs/deploy.md)."""

from __future__ import annotations

import logging
import signal
import webbrowser

import click

from ..web.app import MAX_UPLOAD_BYTES, App, is_loopback
from ..web.pool import CheckPool
from ..web.server import bound_port, make_server


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
