"""A fixed pool of check-worker processes with bounded admission, a time limit and replacement.

Why not ``concurrent.futures.ProcessPoolExecutor``: a check stuck past the time limit must be
stopped and its process replaced, or the service slowly loses capacity; an executor cannot kill one
of its workers. Each worker here is one ``spawn``-ed process with a pipe (``spawn`` on every
platform: it is Windows' only method, and ``forkserver`` would create a socket in TMPDIR, where
the service must write nothing), and it creates the models once at start.

Admission is decided at once, never by waiting in an unbounded line: at most ``workers + queue``
requests are admitted; the next one gets :class:`Busy` (the HTTP layer answers 503 with
``Retry-After``). An admitted request waits for a free worker for at most the time limit, then the
check itself gets the time limit; past it the worker is killed, a replacement starts in the
background, and the request gets :class:`TimedOut`.

>>> pool = CheckPool(workers=2, queue=4, time_limit=60)  # doctest: +SKIP
>>> pool.start()                                          # doctest: +SKIP
>>> pool.run({"photo": data, "name": "me.jpg"})["verdict"]  # doctest: +SKIP
'fixed'
"""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
import os
import queue as queue_mod
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("photocheck.web")

#: How long a new worker may take to import and create its models before it counts as failed.
START_TIMEOUT = 300.0


class Busy(Exception):
    """Every worker is busy and the queue is full (or no worker became free in time)."""

    def __init__(self, retry_after: int):
        super().__init__(f"busy, retry after {retry_after} s")
        self.retry_after = retry_after


class TimedOut(Exception):
    """The check ran past the time limit; its worker was replaced."""


class WorkerFailed(Exception):
    """The worker died during the check, or the check raised (the message names the error type only)."""


def _worker_main(conn) -> None:
    """A worker process: create the models once, then answer jobs from the pipe until ``None``."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    from ..heap import keep_freed_memory

    keep_freed_memory()  # a worker analyses photo after photo: reuse their freed memory
    import cv2

    cv2.setNumThreads(1)  # one worker per core: OpenCV's own threads would only oversubscribe
    from .answer import answer, warm_up

    warm_up()
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            result = ("ok", answer(**job))
        except Exception as e:
            result = ("error", describe_error(e))
        conn.send(result)


def describe_error(e: BaseException) -> str:
    """A bug for the log: its type and the last code lines it passed, never its message (which may
    quote a file name or bytes of the photo)."""
    frames = traceback.extract_tb(e.__traceback__)[-3:]
    where = "; ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in frames)
    return f"{type(e).__name__} at {where}"


@dataclass
class _Worker:
    process: Any
    conn: Any
    started: float = field(default_factory=time.monotonic)


class CheckPool:
    """``workers`` check processes; at most ``queue`` more requests wait for one of them."""

    def __init__(self, workers: int = 1, queue: int | None = None, time_limit: float = 60.0):
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self.queue = 2 * workers if queue is None else max(0, queue)
        self.time_limit = float(time_limit)
        self._ctx = mp.get_context("spawn")
        self._admit = threading.BoundedSemaphore(workers + self.queue)
        self._idle: queue_mod.Queue[_Worker] = queue_mod.Queue()
        self._alive: set[int] = set()  # pids of started, ready workers
        self._lock = threading.Lock()
        self._closed = False
        self._inflight = 0  # admitted requests: running or waiting for a worker
        self._running = 0
        self._seconds = 1.0  # running mean of a check's duration, for Retry-After
        self.stats = {"checked": 0, "refused": 0, "timed_out": 0, "failed": 0, "replaced": 0}

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start every worker (in parallel) and wait until they have created their models."""
        starters = [threading.Thread(target=self._add_worker, daemon=True) for _ in range(self.workers)]
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        if not self._alive:
            raise RuntimeError("no check worker could start (see the log above)")

    def _add_worker(self) -> None:
        for attempt in range(3):
            if self._closed:
                return
            parent, child = self._ctx.Pipe()
            p = self._ctx.Process(target=_worker_main, args=(child,), name="photocheck-check", daemon=True)
            p.start()
            child.close()
            try:
                ready = parent.poll(START_TIMEOUT) and parent.recv() == "ready"
            except (EOFError, OSError):
                ready = False
            if ready and not self._closed:
                with self._lock:
                    self._alive.add(p.pid)
                self._idle.put(_Worker(p, parent))
                return
            self._kill(_Worker(p, parent))
            if not self._closed:
                log.error("a check worker failed to start (attempt %d of 3)", attempt + 1)
                time.sleep(1 + 2 * attempt)

    def _kill(self, w: _Worker) -> None:
        with self._lock:
            self._alive.discard(w.process.pid)
        try:
            w.process.kill()
            w.process.join(5)
        except Exception:  # already gone
            pass
        w.conn.close()

    def _replace(self, w: _Worker) -> None:
        """Kill a worker that timed out or died and start another in the background."""
        self._kill(w)
        self._count("replaced")
        if not self._closed:
            threading.Thread(target=self._add_worker, daemon=True).start()

    def close(self) -> None:
        """Stop every worker (idle ones are asked to exit; busy ones are killed with the process)."""
        self._closed = True
        while True:
            try:
                w = self._idle.get_nowait()
            except queue_mod.Empty:
                break
            try:
                w.conn.send(None)
                w.process.join(5)
            except Exception:
                pass
            self._kill(w)

    # -- work -------------------------------------------------------------------------------
    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def retry_after(self) -> int:
        """Seconds after which a refused request will likely be admitted: one turn of the queue."""
        return max(1, math.ceil(self._seconds * (self.queue + self.workers) / self.workers))

    def status(self) -> dict[str, Any]:
        with self._lock:
            ready = len(self._alive)
            busy, queued = self._running, self._inflight - self._running
        return {"workers": self.workers, "ready": ready, "busy": busy, "queued": queued, "queue": self.queue,
                "time_limit": self.time_limit, **self.stats}

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """The answer for one job (keyword arguments of :func:`photocheck.web.answer.answer`)."""
        if self._closed or not self._admit.acquire(blocking=False):
            self._count("refused")
            raise Busy(self.retry_after())
        with self._lock:
            self._inflight += 1
        try:
            try:
                w = self._idle.get(timeout=self.time_limit)
            except queue_mod.Empty:
                self._count("refused")
                raise Busy(self.retry_after()) from None
            with self._lock:
                self._running += 1
            try:
                return self._on(w, job)
            finally:
                with self._lock:
                    self._running -= 1
        finally:
            with self._lock:
                self._inflight -= 1
            self._admit.release()

    def _on(self, w: _Worker, job: dict[str, Any]) -> dict[str, Any]:
        t0 = time.monotonic()
        try:
            w.conn.send(job)
            if not w.conn.poll(self.time_limit):
                self._count("timed_out")
                self._replace(w)
                raise TimedOut(f"the check took longer than {self.time_limit:g} s")
            kind, result = w.conn.recv()
        except (EOFError, OSError) as e:  # the worker died (out of memory, a crash in native code)
            self._count("failed")
            self._replace(w)
            raise WorkerFailed(f"the check worker stopped ({type(e).__name__})") from None
        self._idle.put(w)
        dt = time.monotonic() - t0
        self._seconds = 0.8 * self._seconds + 0.2 * dt
        if kind != "ok":
            self._count("failed")
            raise WorkerFailed(result)
        self._count("checked")
        return result
