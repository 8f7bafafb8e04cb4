"""Where the 480×640 frame lies in a photo, and producing the upload file from it.

The frame is a rectangle in working-image pixels. For an upload file it is the whole image; for a
camera original it is the crop that puts head top, eye line and face width nearest the middle of
their limits (then clamped to the image, so a missing margin shows up as a geometry failure).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .spec import Spec


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    def scaled(self, k: float) -> "Rect":
        return Rect(self.x * k, self.y * k, self.w * k, self.h * k)


@dataclass(frozen=True)
class FrameMap:
    """The one map between working-image px and the ``size`` frame cut from ``rect`` (an axis-aligned
    scale and shift): every conversion of points, boxes and rects goes through it.

    >>> m = FrameMap(Rect(100, 50, 960, 1280), (480, 640))
    >>> m.to_frame(np.array([[580.0, 690.0]])).tolist(), m.to_image(np.array([[240.0, 320.0]])).tolist()
    ([[240.0, 320.0]], [[580.0, 690.0]])
    """

    rect: Rect
    size: tuple[int, int]

    @property
    def scale(self) -> tuple[float, float]:
        """Frame px per working px, (x, y)."""
        return self.size[0] / self.rect.w, self.size[1] / self.rect.h

    def to_frame(self, pts: np.ndarray) -> np.ndarray:
        """Points (N×2, or N×3 with a depth that scales with x) from working px to frame px."""
        sx, sy = self.scale
        out = np.array(pts, dtype=np.result_type(pts, np.float32), copy=True)
        out[:, 0] = (out[:, 0] - self.rect.x) * sx
        out[:, 1] = (out[:, 1] - self.rect.y) * sy
        if out.shape[1] > 2:
            out[:, 2] *= sx
        return out

    def to_image(self, pts: np.ndarray) -> np.ndarray:
        """Points (N×2) from frame px to working px (float64)."""
        out = np.array(pts, dtype=np.float64)[:, :2].copy()
        out[:, 0] = self.rect.x + out[:, 0] * self.rect.w / self.size[0]
        out[:, 1] = self.rect.y + out[:, 1] * self.rect.h / self.size[1]
        return out

    def box_to_frame(self, box) -> tuple[float, float, float, float]:
        """An (x, y, w, h) box from working px to frame px."""
        sx, sy = self.scale
        return ((box[0] - self.rect.x) * sx, (box[1] - self.rect.y) * sy, box[2] * sx, box[3] * sy)

    def rect_to_image(self, r: Rect) -> Rect:
        """A rectangle from frame px to working px."""
        fx, fy = self.rect.w / self.size[0], self.rect.h / self.size[1]
        return Rect(self.rect.x + r.x * fx, self.rect.y + r.y * fy, r.w * fx, r.h * fy)


def _mid(spec: Spec, rule_id: str) -> tuple[float, float, float]:
    lim = spec.limit(rule_id)
    return lim.min, lim.max, (lim.min + lim.max) / 2


def plan_frame(head_top: float, eye_y: float, face_width: float, face_cx: float,
               image_w: int, image_h: int, spec: Spec) -> Rect:
    """The crop (in the same pixels as the inputs) that best satisfies the framing limits.

    Searches the scale (frame px per image px) over a grid and, for each, the head-top position
    that keeps the eye line nearest its target; then clamps the crop into the image.
    """
    fw, fh = spec.frame_size
    h_lo, h_hi, h_mid = _mid(spec, "geometry.head_top")
    e_lo, e_hi, e_mid = _mid(spec, "geometry.eye_line")
    w_lo, w_hi, w_mid = _mid(spec, "geometry.face_width")
    pad = 0.1  # stay 10 % inside each range, away from the edges of the limits
    h_lo, h_hi = h_lo + pad * (h_hi - h_lo), h_hi - pad * (h_hi - h_lo)
    e_lo, e_hi = e_lo + pad * (e_hi - e_lo), e_hi - pad * (e_hi - e_lo)
    w_lo, w_hi = w_lo + pad * (w_hi - w_lo), w_hi - pad * (w_hi - w_lo)
    span = max(eye_y - head_top, 1.0)
    ks = np.linspace(w_lo, w_hi, 61) / max(face_width, 1.0)
    d = span * ks  # head-top-to-eye distance in frame px for each scale
    lo = np.maximum(h_lo, e_lo - d)
    hi = np.minimum(h_hi, e_hi - d)
    t = np.clip(e_mid - d, lo, hi)
    feasible = lo <= hi
    cost = np.abs(face_width * ks - w_mid) / w_mid + np.abs(t + d - e_mid) / e_mid + np.abs(t - h_mid) / (4 * h_mid)
    cost = np.where(feasible, cost, np.inf)
    if np.isfinite(cost).any():
        i = int(np.argmin(cost))
        k, top = float(ks[i]), float(t[i])
    else:
        k, top = w_mid / max(face_width, 1.0), h_mid
    rect = Rect(face_cx - fw / 2 / k, head_top - top / k, fw / k, fh / k)
    return clamp(rect, image_w, image_h)


def clamp(rect: Rect, image_w: int, image_h: int) -> Rect:
    """Shrink (about the centre) and shift a frame so it lies inside the image."""
    k = min(1.0, image_w / rect.w, image_h / rect.h)
    cx, cy = rect.x + rect.w / 2, rect.y + rect.h / 2
    w, h = rect.w * k, rect.h * k
    x = min(max(cx - w / 2, 0.0), image_w - w)
    y = min(max(rect.y if k == 1.0 else cy - h / 2, 0.0), image_h - h)
    return Rect(x, y, w, h)


def warp_matrix(rect: Rect, size: tuple[int, int]) -> np.ndarray:
    """2×3 affine map from image pixels to frame pixels."""
    sx, sy = size[0] / rect.w, size[1] / rect.h
    return np.array([[sx, 0, -rect.x * sx], [0, sy, -rect.y * sy]], dtype=np.float64)


def crop(rgb: np.ndarray, rect: Rect, size: tuple[int, int]) -> np.ndarray:
    """Resample the rectangle of ``rgb`` to ``size`` (area interpolation when shrinking)."""
    x0, y0 = int(round(rect.x)), int(round(rect.y))
    x1, y1 = int(round(rect.x + rect.w)), int(round(rect.y + rect.h))
    h, w = rgb.shape[:2]
    if x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h and (x1 - x0, y1 - y0) == size:
        return rgb[y0:y1, x0:x1]
    if x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h:
        interp = cv2.INTER_AREA if (x1 - x0) > size[0] else cv2.INTER_CUBIC
        return cv2.resize(rgb[y0:y1, x0:x1], size, interpolation=interp)
    return cv2.warpAffine(rgb, warp_matrix(rect, size), size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def encode_upload(rgb: np.ndarray, *, min_quality: int = 60, max_bytes: int = 40 * 1024 - 512,
                  min_bytes: int = 20 * 1024, dpi: int = 300) -> bytes:
    """Encode a 480×640 RGB frame as the upload JPEG: baseline, 300 dpi, quality ≥ 60, 20–40 KB.

    Picks the highest libjpeg quality that fits under ``max_bytes`` (binary search). No metadata
    but the JFIF density is written: no EXIF, no GPS, no thumbnail (personal data stays out).
    """
    im = Image.fromarray(np.ascontiguousarray(rgb), "RGB")

    def enc(q: int) -> bytes:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=q, dpi=(dpi, dpi), optimize=True, subsampling="4:2:0")
        return buf.getvalue()

    lo, hi, best = min_quality, 95, None
    while lo <= hi:
        q = (lo + hi) // 2
        data = enc(q)
        if len(data) <= max_bytes:
            best, lo = data, q + 1
        else:
            hi = q - 1
    if best is None:  # even quality 60 is too big: a very detailed photo; keep the floor
        best = enc(min_quality)
    if len(best) < min_bytes:  # a very flat photo: a higher quality, never padding bytes
        best = enc(95)
    return best
