"""Person faults made on real photos the way they happen, for the tests and the accuracy benchmark.

``teeth_edge``: a smile with teeth turned into lips *slightly* parted, so only the edge of the
teeth shows between them: the lower lip (and the chin below it, fading out) is moved up with a
smooth warp until the lips are ``gap`` × mouth width apart. Made at the camera original's
resolution, before the photo is framed, resized and encoded, as a real slightly open mouth would be.
"""

from __future__ import annotations

import cv2
import numpy as np

from photocheck import landmarks as L
from photocheck.rules.face import by_x


def teeth_edge(rgb: np.ndarray, points: np.ndarray, gap: float) -> np.ndarray:
    """``rgb`` with the lips closed to ``gap`` × mouth width (landmarks ``points`` in ``rgb`` px).

    Per column across the mouth, rows below the upper inner lip + the new gap take their content
    from ``shift`` rows further down (the lower lip moves up); the shift fades to zero towards the
    mouth corners and between the lower lip and a little below the chin, so the face stays whole."""
    h, w = rgb.shape[:2]
    p = points[:, :2].astype(np.float64)
    mw = float(np.linalg.norm(p[61] - p[291]))
    up, lo = p[L.UPPER_INNER_LIP], p[L.LOWER_INNER_LIP]
    x0, x1 = float(min(up[:, 0].min(), lo[:, 0].min())), float(max(up[:, 0].max(), lo[:, 0].max()))
    xs = np.arange(w, dtype=np.float64)
    inside = (xs > x0) & (xs < x1)
    u = np.interp(xs, *by_x(up))
    low = np.interp(xs, *by_x(lo))
    shift = np.where(inside, np.maximum(0.0, low - u - gap * mw), 0.0)
    # a smooth fall-off beyond the corners keeps the warp free of seams at the lip corners
    shift = cv2.GaussianBlur(shift[None, :].astype(np.float32), (0, 0), 0.04 * mw)[0].astype(np.float64)
    cut = u + gap * mw  # rows from here down show the lower lip
    chin = float(p[L.CHIN, 1])
    end = chin + 0.25 * mw  # the warp has faded out here
    ys = np.arange(h, dtype=np.float64)[:, None]
    lip_bottom = np.interp(xs, *by_x(p[[61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291]]))
    fade = np.clip((end - ys) / np.maximum(end - lip_bottom[None, :], 1.0), 0.0, 1.0)
    s = np.where(ys >= cut[None, :], shift[None, :] * fade, 0.0)
    map_x = np.broadcast_to(xs[None, :], (h, w)).astype(np.float32)
    map_y = (ys + s).astype(np.float32)
    return cv2.remap(rgb, map_x, np.broadcast_to(map_y, (h, w)).copy(), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def slightly_parted_upload(face_id: str, gap: float) -> bytes:
    """The 480×640 upload of London face ``face_id``'s smile with teeth (on blue), its lips closed
    to ``gap`` × mouth width at the original's resolution before framing and encoding."""
    from photocheck.framing import crop
    from photocheck.inference import get_models

    from .compose import composed, jpeg

    rgb, rect = composed(face_id, "08")
    faces = get_models().landmarks(rgb)
    if not faces:
        raise ValueError(f"no landmarks on London {face_id} (smiling)")
    warped = teeth_edge(rgb, faces[0].points, gap)
    return jpeg(np.ascontiguousarray(crop(warped, rect, (480, 640))))
