"""Small helpers the person rules share: windows (row/column slices) on the 480×640 frame, shares of
pixels inside them, and the student's own skin colour as the yardstick.

Rules work on the window they ask about (an ear, a brow band, the crown), not on the whole frame:
the same pixels, a fraction of the cost.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

Window = tuple[slice, slice]


def r(v: float | None, n: int = 3) -> float | None:
    """``v`` rounded for a report, None for a missing or NaN value."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), n)


def count(m: np.ndarray) -> int:
    return int(np.count_nonzero(m))  # ~6× faster than bool .sum()


def hull_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(m, cv2.convexHull(np.round(pts).astype(np.int32)), 1)
    return m.astype(bool)


def rect(shape: tuple[int, int], x0: float, y0: float, x1: float, y1: float) -> Window:
    """Row and column slices of a rectangle, rounded and clipped to the frame."""
    h, w = shape
    xa, xb = int(np.clip(round(min(x0, x1)), 0, w)), int(np.clip(round(max(x0, x1)), 0, w))
    ya, yb = int(np.clip(round(min(y0, y1)), 0, h)), int(np.clip(round(max(y0, y1)), 0, h))
    return slice(ya, yb), slice(xa, xb)


def grow(win: Window, shape: tuple[int, int], margin: int) -> Window:
    """A window grown by ``margin`` px, clipped to the frame (filters on it then match the frame)."""
    ys, xs = win
    return (slice(max(0, ys.start - margin), min(shape[0], ys.stop + margin)),
            slice(max(0, xs.start - margin), min(shape[1], xs.stop + margin)))


def union(wins: list[Window]) -> Window:
    """The smallest window holding every window in ``wins``."""
    return (slice(min(w[0].start for w in wins), max(w[0].stop for w in wins)),
            slice(min(w[1].start for w in wins), max(w[1].stop for w in wins)))


def full(shape: tuple[int, int], win: Window, m: np.ndarray) -> np.ndarray:
    """A window's mask placed in a frame-sized mask (for the annotated picture)."""
    out = np.zeros(shape, bool)
    out[win] = m
    return out


def share(shape: tuple[int, int], win: Window, region: np.ndarray, hit: np.ndarray,
          min_pixels: int = 20) -> tuple[float, np.ndarray]:
    """Share of the ``region`` pixels of window ``win`` that are ``hit`` (NaN under ``min_pixels``:
    too little to judge), and the frame mask to draw: the hits, or the region when it is too small."""
    n = count(region)
    if n < min_pixels:
        return float("nan"), full(shape, win, region)
    hits = region & hit
    return count(hits) / n, full(shape, win, hits)


def worst(values: list[float], pick) -> float:
    """The worse side (``np.nanmax`` or ``np.nanmin``), NaN when neither side could be judged."""
    return float("nan") if all(math.isnan(v) for v in values) else float(pick(values))


def longest_run(flags: np.ndarray) -> int:
    """Length of the longest run of True in a 1-D bool array (vectorised)."""
    if not flags.any():
        return 0
    edges = np.diff(np.r_[0, flags.astype(np.int8), 0])
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


def skin_like(a, lim, win: Window) -> np.ndarray:
    """Pixels in the window ``win`` whose colour could be this face's skin: chroma (a*, b*)
    within ``skin_dab`` of the skin median and lightness within −``skin_dl_lo``…+``skin_dl_hi`` of
    it (shadowed ears, shiny foreheads and scalps still count as skin; hair, fabric and background
    do not). Relative to the student's own skin, so the same for every skin tone."""
    sk = a.skin_lab
    L_, A, B = (plane[win] for plane in a.planes)
    d_l = L_ - sk[0]
    return ((cv2.magnitude(A - sk[1], B - sk[2]) < float(lim["skin_dab"]))
            & (d_l > -float(lim["skin_dl_lo"])) & (d_l < float(lim["skin_dl_hi"])))


def side_name(index: int) -> tuple[str, str]:
    """(zh, en) name of a side of the picture: 0 = image left, 1 = image right."""
    return ("画面左侧", "image-left") if index == 0 else ("画面右侧", "image-right")
