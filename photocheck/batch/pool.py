"""Run the batch's tasks in local worker processes, surviving workers that die.

A task is a tuple ``(kind, path, rel, sha256, …)`` and ``task_fn(*task)`` returns its record; the
caller's ``on_result(task, record)`` journals it. ``task_fn`` must be a module-level function (it is
pickled to the workers).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import sys
from typing import Callable

from .errors import BatchInterrupted
from .work import crashed_record


def _worker_init() -> None:
    """Set up a pool worker: Ctrl-C in a terminal reaches every process of the group, so only the
    main process handles it; and OpenCV runs single-threaded, because the pool already has one
    worker per core (its own thread pool per worker only oversubscribes the cores)."""
    import signal

    import cv2

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from ..heap import keep_freed_memory

    keep_freed_memory()  # a worker analyses photo after photo: reuse their freed memory
    cv2.setNumThreads(1)


def _start_forkserver() -> None:
    """Start the fork server without the current directory on its import path.

    It runs ``python -c …``, which puts the current directory first, and CPython 3.11 ignores the
    parent's ``sys.path`` there: run from a source checkout with photocheck installed (``pip install
    .``), every worker imported the checkout's ``photocheck/`` — which has no ``photocheck.models`` —
    and no photo could be analysed. PYTHONSAFEPATH (Python ≥ 3.11) keeps the directory off the path.
    """
    from multiprocessing import forkserver

    old = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        forkserver.ensure_running()
    finally:
        if old is None:
            del os.environ["PYTHONSAFEPATH"]
        else:
            os.environ["PYTHONSAFEPATH"] = old


def run_local(tasks, workers: int, on_result, progress_tick, task_fn: Callable[..., dict]) -> None:
    """Run tasks in a process pool with a bounded number in flight. If a worker dies, the pool is
    rebuilt and the rest resubmitted; a file that was in flight at two deaths is recorded as crashed."""
    if workers <= 1:
        for t in tasks:
            on_result(t, task_fn(*t))
            progress_tick()
        return
    ctx = mp.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["photocheck.batch.work", "photocheck.analysis", "photocheck.check"])
        _start_forkserver()
    pending = list(tasks)
    suspects: dict[str, int] = {}
    restarts = 0
    while pending:
        inflight: dict[cf.Future, tuple] = {}
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
            try:
                queue = iter(list(pending))
                done_keys = set()

                def fill():
                    while len(inflight) < 3 * workers:
                        t = next(queue, None)
                        if t is None:
                            return
                        inflight[pool.submit(task_fn, *t)] = t

                fill()
                while inflight:
                    finished, _ = cf.wait(list(inflight), return_when=cf.FIRST_COMPLETED)
                    for fut in finished:
                        t = inflight.pop(fut)
                        on_result(t, fut.result())  # BrokenProcessPool surfaces here
                        done_keys.add(t[3] + t[0])
                        progress_tick()
                    fill()
                pending = []
            except KeyboardInterrupt:  # Ctrl-C: stop now; the journal keeps every finished file
                for f in inflight:
                    f.cancel()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            except cf.process.BrokenProcessPool:
                restarts += 1
                lost = list(inflight.values())
                for t in lost:
                    suspects[t[3] + t[0]] = suspects.get(t[3] + t[0], 0) + 1
                pending = [t for t in pending if t[3] + t[0] not in done_keys]
                crashed = [t for t in pending if suspects.get(t[3] + t[0], 0) >= 2]
                for t in crashed:
                    rec = crashed_record(t[0], t[2], t[3], "the worker process died twice on this file")
                    rec["error"]["code"] = "worker_crashed"
                    on_result(t, rec)
                    progress_tick()
                pending = [t for t in pending if suspects.get(t[3] + t[0], 0) < 2]
                if restarts > 5:
                    raise BatchInterrupted("worker processes keep dying; rerun the same command to continue") from None
