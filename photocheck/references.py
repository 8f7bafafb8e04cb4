"""Reference photos (the enrollment photo, earlier diploma photos) for the authenticity rules.

Each reference is analysed once into a :class:`Reference`: its SFace embedding (is it the same
person?) and a *face signature* for copy detection (is the checked photo a copy of it?). The
signature is the face interior aligned on the eye centres to a fixed size, in grey, plus the 478
landmarks in the same aligned frame. A copy keeps the exact pixels of the face (so the aligned
interiors correlate almost perfectly, whatever the file's size, crop, rotation, brightness, colour
or background), and the exact expression (so the landmarks coincide). A new photo of the same
person differs in both, because a new moment has new expression, pose, light and hair.

>>> from photocheck.references import load_references
>>> refs = load_references(["enrollment.jpg"])  # doctest: +SKIP
>>> refs[0].embedding.shape  # doctest: +SKIP
(128,)
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import cv2
import numpy as np

from . import landmarks as L
from .errors import PhotoError
from .inference import Models, get_models
from .io import Source, load

if TYPE_CHECKING:
    from .analysis import Analysis

# The aligned face: eye centres at a fixed place in a SIZE×SIZE grey crop.
SIZE = 192
EYE_Y = 0.36  # eye line height, share of SIZE
IOD = 0.36  # inter-ocular distance, share of SIZE


@dataclass(frozen=True)
class Signature:
    """A face aligned on its eye centres: grey crop (float32, SIZE²), interior mask, landmarks."""

    gray: np.ndarray  # SIZE×SIZE float32, 0–255
    mask: np.ndarray  # SIZE×SIZE bool: face interior (oval, eroded), where the pixels are compared
    points: np.ndarray  # 478×2 landmarks in crop px
    scale: float = 1.0  # crop px per source px (> 1: the source face was smaller than the crop)


@dataclass(frozen=True)
class Reference:
    """What the authenticity rules need from one reference photo, computed once."""

    file: str
    embedding: np.ndarray | None  # SFace 128-d unit vector
    signature: Signature | None
    width: int
    height: int


def eye_centres(points: np.ndarray) -> np.ndarray:
    """2×2: the image-left and image-right eye centres (mean of each eye contour), x-sorted."""
    a = points[L.RIGHT_EYE, :2].mean(axis=0)
    b = points[L.LEFT_EYE, :2].mean(axis=0)
    return np.array(sorted([a, b], key=lambda q: q[0]), dtype=np.float64)


def signature(rgb: np.ndarray, points: np.ndarray) -> Signature:
    """Align the face in ``rgb`` (landmarks ``points`` in the same pixels) into a :class:`Signature`."""
    (lx, ly), (rx, ry) = eye_centres(points)
    d = max(np.hypot(rx - lx, ry - ly), 1e-3)
    k = IOD * SIZE / d
    ang = np.arctan2(ry - ly, rx - lx)
    c, s = np.cos(ang) * k, np.sin(ang) * k
    mx, my = (lx + rx) / 2, (ly + ry) / 2
    # rotate by -ang, scale by k, move the eye midpoint to (SIZE/2, EYE_Y*SIZE)
    m = np.array([[c, s, SIZE / 2 - (c * mx + s * my)],
                  [-s, c, EYE_Y * SIZE - (-s * mx + c * my)]])
    # anti-alias when shrinking a large face
    src = rgb
    if k < 0.6:
        blur = 0.5 / k * 0.6
        src = cv2.GaussianBlur(rgb, (0, 0), blur)
    grey = cv2.cvtColor(np.ascontiguousarray(src), cv2.COLOR_RGB2GRAY)
    crop = cv2.warpAffine(grey, m, (SIZE, SIZE), flags=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    pts = points[:, :2].astype(np.float64) @ m[:, :2].T + m[:, 2]
    mask = np.zeros((SIZE, SIZE), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(pts[L.FACE_OVAL]).astype(np.int32)), 1)
    r = max(1, int(0.04 * SIZE))
    # only pixels that exist in the file (a face cut by the image edge keeps its visible part)
    inside = cv2.warpAffine(np.ones(grey.shape, np.uint8), m, (SIZE, SIZE), flags=cv2.INTER_NEAREST,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    mask = cv2.erode(mask * inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return Signature(crop, mask.astype(bool), pts.astype(np.float32), float(k))


def landmark_row(points: np.ndarray, score: float = 1.0) -> np.ndarray:
    """A YuNet-style row (box, eyes, nose tip, mouth corners, score) built from the 478 landmarks,
    for SFace alignment when the detector gave no points (a face only the landmarker found)."""
    (lx, ly), (rx, ry) = eye_centres(points)
    p = points[:, :2]
    x0, y0 = p.min(axis=0)
    x1, y1 = p.max(axis=0)
    ml, mr = sorted([p[61], p[291]], key=lambda q: q[0])
    return np.array([x0, y0, x1 - x0, y1 - y0, lx, ly, rx, ry, *p[L.NOSE_TIP], *ml, *mr, score], np.float32)


def _face(models: Models, rgb: np.ndarray):
    """(YuNet-style row, 478 landmarks) of the main face in ``rgb`` (working px), or None: found
    exactly as a checked photo's face is (:func:`photocheck.analysis.find_face`, the landmarker's
    whole-image look included)."""
    from .analysis import find_face

    det, lm = find_face(models, rgb)
    if lm is None:
        return None
    return det[0], lm[0]


def _label(src: Source, i: int) -> str:
    if isinstance(src, (str, os.PathLike)):
        return os.fspath(src)
    return f"#{i + 1}"  # read as "the reference photo #1" / "参考照片（#1）"


def load_reference(source: Source, *, models: Models | None = None, name: str | None = None) -> Reference:
    """Analyse one reference photo. Raises :class:`PhotoError` (naming the file) when unusable."""
    models = models or get_models()
    image = load(source, name=name)
    found = _face(models, image.rgb)
    if found is None:
        raise PhotoError(image.name, "no_face",
                         f"参考照片 {image.name} 中没有检测到人脸，无法用于比对。请换一张正面清晰的参考照片。",
                         f"no face found in the reference photo {image.name}; it cannot be compared. "
                         "Use a clear frontal reference photo.")
    row, pts = found
    emb = models.embedding(image.rgb, row if row[4:14].any() else landmark_row(pts))
    return Reference(image.name, emb, signature(image.rgb, pts), image.width, image.height)


@functools.lru_cache(maxsize=32)
def _reference_file(path: str, mtime_ns: int, size: int, name: str) -> Reference:
    """A reference file analysed once per process while it is unchanged (path, mtime and size are
    the key): the same reference serves many photos (--reference, the batch, the service). An
    unusable file raises, and is not cached."""
    return load_reference(path, name=name)


def _load_one(src: Source, label: str, models: Models) -> Reference:
    if isinstance(src, (str, os.PathLike)):
        try:
            st = os.stat(src)
        except OSError:  # the loader says what is wrong with it
            return load_reference(src, models=models, name=label)
        return _reference_file(os.path.abspath(os.fspath(src)), st.st_mtime_ns, st.st_size, label)
    return load_reference(src, models=models, name=label)


def load_references(sources: Sequence[Source | Reference | PhotoError], *,
                    models: Models | None = None, names: Sequence[str] = ()) -> list[Reference | PhotoError]:
    """Analyse each reference photo once; an unusable one becomes a :class:`PhotoError` in its place.
    Items already loaded (a :class:`Reference`, or the error of one) are kept as they are.

    ``names`` label references given as bytes or arrays in messages (an uploaded file's own name);
    without one such a reference is "#1", "#2"….

    The checked photo's own rules still run; the authenticity rules report the error for that
    reference (``error`` status naming the file) and use the references that could be read.
    """
    models = models or get_models()
    out: list[Reference | PhotoError] = []
    for i, src in enumerate(sources):
        if isinstance(src, (Reference, PhotoError)):
            out.append(src)
            continue
        label = names[i] if i < len(names) and names[i] else _label(src, i)
        try:
            out.append(_load_one(src, label, models))
        except PhotoError as e:
            if not e.zh.startswith("参考照片"):
                e = PhotoError(e.file, e.code, f"参考照片 {e.file}：{e.zh}", f"reference photo {e.file}: {e.en}")
            out.append(e)
        except Exception as e:  # a reference must never take the photo's own check down
            out.append(PhotoError(label, "unreadable", f"参考照片 {label} 无法读取：{type(e).__name__}",
                                  f"reference photo {label} cannot be read: {type(e).__name__}: {e}"))
    return out


def photo_points(a: Analysis) -> np.ndarray | None:
    """The checked photo's 478 landmarks in working-image px (``a.image_points``)."""
    return a.image_points


def photo_signature(a: Analysis) -> Signature | None:
    """The checked photo's signature, from its working image (once per analysis)."""
    def make() -> Signature | None:
        pts = a.image_points
        return None if pts is None else signature(a.image.rgb, pts)

    return a.shared("authenticity.signature", make)


def photo_embedding(a: Analysis) -> np.ndarray | None:
    """SFace embedding of the checked photo: the analysis's, or from the landmarks when the
    detector found no alignment points (a face only the landmarker saw)."""
    if len(a.detections) and a.detections[0, 4:14].any():
        return a.embedding
    pts = a.image_points
    return None if pts is None else a.models.embedding(a.image.rgb, landmark_row(pts))


__all__ = ["Reference", "Signature", "load_references", "load_reference", "signature", "photo_signature", "photo_embedding", "compare"]


def _bandpass(g: np.ndarray, lo: float, hi: float) -> np.ndarray:
    a = cv2.GaussianBlur(g, (0, 0), lo) if lo > 0 else g
    return a - cv2.GaussianBlur(g, (0, 0), hi)


def _ncc(x: np.ndarray, y: np.ndarray, m: np.ndarray) -> float:
    a, b = x[m].astype(np.float64), y[m].astype(np.float64)
    a -= a.mean()
    b -= b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0


BALANCE = 0.7


def _detail(g: np.ndarray, lo: float, m: np.ndarray) -> float:
    """Fine-to-coarse detail energy of a crop at band ``lo`` (low when the file was blurred)."""
    return float(np.std(_bandpass(g, lo, 2 * lo)[m]) / max(float(np.std(_bandpass(g, 2 * lo, 8 * lo)[m])), 1e-6))


def compare(photo: Signature, ref: Signature, mirror: bool = False) -> dict[str, float]:
    """How alike two aligned faces are: ``texture`` (NCC of the band-passed face interiors after a
    fine ECC alignment, 1 = same pixels) and ``geometry`` (RMS landmark distance, share of the
    inter-ocular distance, 0 = same expression and pose)."""
    g_ref, m_ref, p_ref = ref.gray, ref.mask, ref.points
    if mirror:
        g_ref, m_ref = g_ref[:, ::-1], m_ref[:, ::-1]
    mask = photo.mask & m_ref
    if mask.sum() < 0.05 * SIZE * SIZE:  # the faces hardly overlap: nothing to compare
        return {"texture": 0.0, "coarse": 0.0, **({} if mirror else {"geometry": float("nan")})}
    tmpl = _bandpass(g_ref, 1.0, 6.0)
    inp = _bandpass(photo.gray, 1.0, 6.0)
    warp = np.eye(2, 3, dtype=np.float32)
    try:
        _, warp = cv2.findTransformECC(tmpl, inp, warp, cv2.MOTION_AFFINE,
                                       (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-5),
                                       mask.astype(np.uint8), 3)
    except cv2.error:
        warp = np.eye(2, 3, dtype=np.float32)
    aligned = cv2.warpAffine(photo.gray, warp, (SIZE, SIZE), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REPLICATE)
    # compare at the detail both files still hold: an upscaled small file has no fine detail
    lo = max(0.7, 0.5 * max(photo.scale, ref.scale))
    # ... and when one file was blurred or shrunk and enlarged again, at the finest band where both
    # still have comparable detail (fine-to-coarse energy within a factor BALANCE)
    for _ in range(3):
        da, db = _detail(aligned, lo, mask), _detail(g_ref, lo, mask)
        if min(da, db) >= BALANCE * max(da, db):
            break
        lo *= 1.5
    out = {"texture": _ncc(_bandpass(aligned, lo, 4 * lo), _bandpass(g_ref, lo, 4 * lo), mask),
           "band": lo,
           "coarse": _ncc(_bandpass(aligned, 1.5, 8.0), _bandpass(g_ref, 1.5, 8.0), mask)}
    if not mirror:
        keep = np.r_[0:468]
        a, b = photo.points[keep], p_ref[keep]
        d = (a - a.mean(0)) - (b - b.mean(0))
        out["geometry"] = float(np.sqrt((d ** 2).sum(1).mean()) / (IOD * SIZE))
    return out
