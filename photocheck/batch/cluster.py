"""Run the batch's tasks on a Dask cluster (``--scheduler tcp://HOST:PORT``). Same contract as
:func:`photocheck.batch.pool.run_local`: ``on_result(task, record)`` for every task."""

from __future__ import annotations

from typing import Callable

from .errors import BatchUsageError
from .work import crashed_record


def run_dask(tasks, scheduler, on_result, progress_tick, task_fn: Callable[..., dict]) -> None:
    """``scheduler``: an address (a client is opened and closed here) or an existing Dask client."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise BatchUsageError("使用 --scheduler 需要安装 Dask：pip install 'photocheck[dask]'",
                              "--scheduler needs Dask: pip install 'photocheck[dask]'") from None
    client = scheduler if not isinstance(scheduler, str) else Client(scheduler)
    try:
        futs = {}
        for t in tasks:
            futs[client.submit(task_fn, *t, pure=False, key=f"photocheck-{t[0]}-{t[3][:16]}-{len(futs)}")] = t
        for fut in as_completed(list(futs)):
            t = futs[fut]
            try:
                rec = fut.result()
            except Exception as e:  # e.g. KilledWorker: report this file, keep going; a rerun retries it
                rec = crashed_record(t[0], t[2], t[3], f"{type(e).__name__}: {e}")
            on_result(t, rec)
            progress_tick()
    finally:
        if isinstance(scheduler, str):
            client.close()
