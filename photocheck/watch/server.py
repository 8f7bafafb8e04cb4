"""Serve the operator page with waitress, as ``photocheck serve`` does (:mod:`photocheck.web.server`).

Two settings differ, for the event stream (``/api/events``): waitress keeps small writes of a
running response in its buffer until 18 000 bytes have gathered (``send_bytes``), so an event of
40 bytes would wait for 450 more — ``send_bytes=1`` sends every chunk as it is yielded; and each
open stream holds one of waitress's threads for as long as the page is open, so the server has
``max_streams`` threads for the streams plus four for everything else, and refuses (503) a
stream beyond that instead of starving the page's other requests.
"""

from __future__ import annotations

from .app import WatchApp


def make_server(app: WatchApp, host: str = "127.0.0.1", port: int = 8765):
    """A waitress server for ``app`` (not started: ``.run()``; ``.close()`` to stop). Raises OSError
    when the address cannot be bound.

    >>> from photocheck.watch.app import WatchApp
    >>> server = make_server(WatchApp(live), port=0)  # doctest: +SKIP
    """
    import warnings

    from waitress.server import create_server

    threads = app.max_streams + 4
    with warnings.catch_warnings():
        # waitress 3 calls send_bytes deprecated but still honours it; the API test fails if it stops
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_server(app, host=host, port=port, threads=threads, ident="photocheck",
                             send_bytes=1,  # flush each event at once (see the module docstring)
                             connection_limit=4 * threads, channel_timeout=60, expose_tracebacks=False,
                             max_request_body_size=64 * 1024)  # the API takes no bodies


def bound_port(server) -> int:
    """The port ``server`` listens on (useful with ``port=0``)."""
    if hasattr(server, "effective_port"):
        return int(server.effective_port)
    return int(server.effective_listen[0][1])
