"""``photocheck watch``: the batch, live — a check at the camera while the student is still there.

The camera (or its tethering tool) writes files into SHOTS_DIR; each complete frame is analysed
once and journaled in ``OUT/.photocheck/`` as ``photocheck batch`` does, the frames are matched to
the log with the batch's matcher after each one, and a local page shows the verdict (docs/watch.md):

* :mod:`.files`: when a file is complete (temporary names, streamed downloads, rewrites);
* :mod:`.live`: the watcher and the judge thread (:class:`LiveBatch`);
* :mod:`.state`: the report → what the page shows (``/api/state``);
* :mod:`.app`, :mod:`.server`: the HTTP API and waitress; the command is :mod:`photocheck.cli.watch`.

>>> from photocheck.batch.runner import prepare
>>> from photocheck.watch import LiveBatch
>>> live = LiveBatch(prepare("shots", "shots.csv", "out"))  # doctest: +SKIP
>>> live.start(); state = live.wait_change(0, 30).state; live.stop()  # doctest: +SKIP
"""

from __future__ import annotations

from .live import LiveBatch, Options

__all__ = ["LiveBatch", "Options"]
