"""Files that show the same image: re-encoded or resized copies (byte-identical copies are found
earlier, by hash, in :mod:`photocheck.batch.scan`)."""

from __future__ import annotations

import base64

import numpy as np


def content_duplicates(recs: list[dict], cfg: dict) -> dict[str, str]:
    """rel → rel of the first file showing the same image (re-encoded or resized copies).

    Same image: near-identical grey thumbnails and the same EXIF capture time (when both have one).
    ``recs`` come in keep order (:func:`photocheck.batch.scan.keep_order`), so the kept file is the first."""
    if len(recs) < 2:
        return {}
    t16 = np.array([r["t16"] for r in recs], np.float32)
    sq = (t16 ** 2).sum(1)
    out: dict[str, str] = {}
    rms, max_abs = cfg["duplicates"]["rms"], cfg["duplicates"]["max_abs"]
    pairs = []
    for lo in range(0, len(recs), 1024):  # blocks of rows: memory stays small for any shoot size
        blk = t16[lo:lo + 1024]
        d2 = np.maximum(sq[lo:lo + 1024, None] + sq[None, :] - 2 * blk @ t16.T, 0) / t16.shape[1]
        a, b = np.nonzero(d2 <= rms ** 2)
        pairs += [(int(i) + lo, int(j)) for i, j in zip(a, b) if j > i + lo]
    for a, b in sorted(pairs):
        ra, rb = recs[a], recs[b]
        if rb["rel"] in out or ra["rel"] in out:
            continue
        if ra.get("exif_time") and rb.get("exif_time") and ra["exif_time"] != rb["exif_time"]:
            continue  # two exposures (a retake of a still sitter), not a copy: copies keep the capture time
        x = np.frombuffer(base64.b64decode(ra["t64"]), np.uint8).astype(np.int16)
        y = np.frombuffer(base64.b64decode(rb["t64"]), np.uint8).astype(np.int16)
        if np.abs(x - y).max() <= max_abs:
            out[rb["rel"]] = ra["rel"]
    return out
