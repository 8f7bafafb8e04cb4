"""Build test photos from the real faces in ../shared/faces: compliant blue-background uploads and
single-fault variants. Shared by tests and benchmarks (benchmarks add tests/ to sys.path)."""

from __future__ import annotations

import csv
import io
import os
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from photocheck.analysis import analyse
from photocheck.framing import crop, encode_upload
from photocheck.inference import get_models
from photocheck.spec import load_spec

REPO = Path(__file__).resolve().parents[2]
FACES = Path(os.environ.get("PHOTOCHECK_FACES", REPO.parent / "shared" / "faces"))
IMAGES = FACES / "images"
BLUE = (100, 197, 255)


def faces_available() -> bool:
    return (FACES / "manifest.csv").exists()


@lru_cache(maxsize=1)
def manifest() -> list[dict[str, str]]:
    with open(FACES / "manifest.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def london_info() -> dict[str, dict[str, str]]:
    with open(FACES / "london_info.csv", encoding="utf-8") as fh:
        return {r["face_id"]: r for r in csv.DictReader(fh)}


def london_ids() -> list[str]:
    return sorted(london_info())


def london(face_id: str, expr: str = "03") -> Path:
    """Path of a London-set photo: expr "03" neutral, "08" smiling."""
    return IMAGES / f"webmorphstim__london_{face_id}_{expr}.jpg"


def pupils_truth(face_id: str) -> np.ndarray:
    """Hand-placed pupil centres (2×2, image px of the 1350×1350 original) from the .tem file."""
    lines = (IMAGES / f"webmorphstim__london_{face_id}_03.tem").read_text().split("\n")
    return np.array([[float(v) for v in lines[i].split()[:2]] for i in (1, 2)])


def read_rgb(path: Path | str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def on_background(rgb: np.ndarray, color=BLUE, pad: float = 0.25) -> np.ndarray:
    """Replace the background with a flat colour using the person mask (soft edge, as a studio
    vendor's background cleanup would), and extend the canvas by ``pad`` of its height above and
    at the sides (the London photos are cropped tight), replicating the bottom rows (clothes)."""
    mask = get_models().person_mask(rgb)
    mask = cv2.GaussianBlur(mask, (0, 0), 1.5)[..., None]
    out = rgb.astype(np.float32) * mask + np.array(color, np.float32) * (1 - mask)
    out = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    p = int(pad * rgb.shape[0])
    if p:
        out = cv2.copyMakeBorder(out, 0, p, 0, 0, cv2.BORDER_REPLICATE)  # clothes continue down
        out = cv2.copyMakeBorder(out, p, 0, p, p, cv2.BORDER_CONSTANT, value=color)
    return out


def frame_of(rgb: np.ndarray):
    """Frame rectangle (full-res px) that photocheck plans for a camera original."""
    return analyse(rgb, load_spec("original")).frame_full


@lru_cache(maxsize=16)
def composed(face_id: str, expr: str = "03", color=BLUE):
    """A London face on a flat background (the "camera original") and its planned frame."""
    rgb = on_background(read_rgb(london(face_id, expr)), color)
    return rgb, frame_of(rgb)


@lru_cache(maxsize=64)
def compliant_frame(face_id: str, expr: str = "03", color=BLUE) -> np.ndarray:
    """480×640 RGB frame of a London face on a flat background, framed to the rules."""
    rgb, rect = composed(face_id, expr, color)
    return np.ascontiguousarray(crop(rgb, rect, (480, 640)))


def reframed(face_id: str, dx: float = 0.0, dy: float = 0.0, zoom: float = 1.0, expr: str = "03") -> np.ndarray:
    """The same shot framed differently, as a photographer who aimed or zoomed wrongly would:
    the subject moves by (dx, dy) frame pixels and is scaled by ``zoom`` about the frame centre."""
    from photocheck.framing import Rect

    rgb, r = composed(face_id, expr)
    k = r.w / 480.0  # original px per frame px
    w, h = r.w / zoom, r.h / zoom
    cx, cy = r.x + r.w / 2 - dx * k, r.y + r.h / 2 - dy * k
    return np.ascontiguousarray(crop(rgb, Rect(cx - w / 2, cy - h / 2, w, h), (480, 640)))


def jpeg(rgb: np.ndarray, quality: int | None = None, dpi: int = 300) -> bytes:
    """Encode as the upload file (auto quality for 20–40 KB) or at a fixed quality."""
    if quality is None:
        return encode_upload(rgb, dpi=dpi)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue()


def compliant_upload(face_id: str, expr: str = "03") -> bytes:
    return jpeg(compliant_frame(face_id, expr))
