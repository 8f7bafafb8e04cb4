"""Single-fault variants of a compliant 480×640 frame, one per core rule (issue 2).

Each function takes the compliant RGB frame (and, where needed, its person mask) and returns
JPEG bytes that break one rule: the faults are physical (the head is higher, one side of the face
is in shadow, the lens is out of focus), not edits of photocheck's own measurements.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from photocheck.inference import get_models

from .compose import BLUE, jpeg, reframed


def _affine(rgb: np.ndarray, m: np.ndarray, fill=BLUE) -> np.ndarray:
    return cv2.warpAffine(rgb, m, (rgb.shape[1], rgb.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _mask(rgb):
    return cv2.GaussianBlur(get_models().person_mask(rgb), (0, 0), 2)


def shifted(rgb, dx=0.0, dy=0.0):
    """The camera aimed elsewhere: the whole picture moves (background replicated at the edge)."""
    return _affine(rgb, np.float32([[1, 0, dx], [0, 1, dy]]))


def head_too_high(face_id: str):
    return jpeg(reframed(face_id, dy=-45))


def head_too_low(face_id: str):
    return jpeg(reframed(face_id, dy=75))


def off_centre(face_id: str):
    return jpeg(reframed(face_id, dx=45))


def face_too_small(face_id: str, head_top_y: float):
    """Zoomed out to 70 %, aimed so the head top lands near y=92 (the eyes stay in range)."""
    k = 0.7
    # about the frame centre: y' = 320 + k (y - 320) + dy; want head_top -> 92
    dy = 92 - (320 + k * (head_top_y - 320))
    return jpeg(reframed(face_id, dy=dy, zoom=k))


def tilted(rgb, center, degrees=12.0):
    return jpeg(_affine(rgb, cv2.getRotationMatrix2D(tuple(map(float, center)), degrees, 1.0)))


def background(rgb, color):
    m = _mask(rgb)[..., None]
    out = rgb * m + np.array(color, np.float32) * (1 - m)
    return jpeg(np.clip(out + 0.5, 0, 255).astype(np.uint8))


def gradient_background(rgb, strength=0.35):
    """Background lit unevenly: bright at the top, darker at the bottom, same mean colour."""
    h, w = rgb.shape[:2]
    ramp = np.linspace(1 + strength, 1 - strength, h, dtype=np.float32)[:, None, None]
    bg = np.clip(np.array(BLUE, np.float32)[None, None, :] * ramp, 0, 255) * np.ones((h, w, 1), np.float32)
    m = _mask(rgb)[..., None]
    return jpeg(np.clip(rgb * m + bg * (1 - m) + 0.5, 0, 255).astype(np.uint8))


def shadowed_background(rgb, offset=(18, 10), darkness=0.55):
    """A hard light from the front-left throws the person's shadow on the backdrop."""
    m = _mask(rgb)
    shadow = cv2.GaussianBlur(np.roll(np.roll(m, offset[0], axis=1), offset[1], axis=0), (0, 0), 6)
    factor = 1 - (1 - darkness) * shadow * (1 - m)
    return jpeg(np.clip(rgb * factor[..., None] + 0.5, 0, 255).astype(np.uint8))


def person_exposure(rgb, gain: float):
    """The person under- or over-lit against a properly lit backdrop (gain on linear light)."""
    m = _mask(rgb)[..., None]
    lin = (rgb.astype(np.float32) / 255) ** 2.2 * gain
    lit = np.clip(lin, 0, 1) ** (1 / 2.2) * 255
    return jpeg(np.clip(lit * m + rgb * (1 - m) + 0.5, 0, 255).astype(np.uint8))


def half_face_shadow(rgb, face_cx: float, darkness=0.45):
    """Side light: the image-left half of the person falls into shadow (阴阳脸)."""
    h, w = rgb.shape[:2]
    x = np.arange(w, dtype=np.float32)
    ramp = 1 - (1 - darkness) / (1 + np.exp((x - face_cx) / 6.0))  # dark left of the midline
    m = _mask(rgb)
    factor = 1 - (1 - ramp[None, :]) * m
    return jpeg(np.clip(rgb * factor[..., None] + 0.5, 0, 255).astype(np.uint8))


def blurred(rgb, sigma=2.5):
    return jpeg(cv2.GaussianBlur(rgb, (0, 0), sigma))


def low_quality(rgb, quality=15):
    return jpeg(rgb, quality=quality)


def greyscale(rgb):
    buf = io.BytesIO()
    Image.fromarray(rgb).convert("L").save(buf, "JPEG", quality=85, dpi=(300, 300))
    return buf.getvalue()


def wrong_size(rgb, size=(600, 800)):
    return jpeg(cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC))


def too_big(rgb):
    return jpeg(rgb, quality=97)


def colour_cast(rgb, gains=(0.75, 1.0, 1.25)):
    """Wrong white balance (e.g. tungsten preset under daylight): a blue-cyan cast over everything."""
    lin = (rgb.astype(np.float32) / 255) ** 2.2 * np.array(gains, np.float32)
    return jpeg(np.clip(np.clip(lin, 0, 1) ** (1 / 2.2) * 255 + 0.5, 0, 255).astype(np.uint8))


def dpi_72(rgb):
    return jpeg(rgb, dpi=72)


def png_named_jpg(rgb):
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def progressive(rgb):
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=80, progressive=True, dpi=(300, 300))
    return buf.getvalue()


def padded(rgb, n=4096):
    """What some ID-photo tools do to reach a minimum size: zero bytes after the end marker."""
    return jpeg(rgb) + b"\x00" * n
