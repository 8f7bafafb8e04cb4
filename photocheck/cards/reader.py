"""Find and decode a shot-number card (or any QR code, e.g. a 采集码 on a phone) in a camera frame.

Most frames of a shoot are portraits without a card, so the first look must be cheap and must never
read a portrait as a card (docs/accuracy.md, "Shot-number cards"):

1. ``cv2.QRCodeDetectorAruco`` on the working image (the batch's decoded copy) reduced to a short
   side of 1000 px: ~40 ms on a portrait, no detection on any of the 147 real portraits and shoot
   frames measured;
2. nothing found: the same on a half-size copy (~15 ms), which catches a card smeared by motion;
3. found but not decoded: ``wechat_qrcode`` (without its CNN models: its own finder and a stronger
   binariser) on a crop around the candidate — on the working image, then on the camera file at full
   resolution when its path is given. Only frames that show a code pay for this.

The QR text is only trusted through error correction (Reed–Solomon), and a card is only a card when
its text is a photocheck card text (:mod:`.payload`) or equals a log row's 采集码 / shot number.

>>> import numpy as np
>>> read_codes(np.full((1000, 1500, 3), 200, np.uint8))
[]
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

from .payload import CardText, parse_card_text


@dataclass
class CodeRead:
    """One QR code read in a frame."""
    text: str
    quad: np.ndarray  # 4×2 corners, px of the image given to :func:`read_codes`
    stage: str  # work | half | crop | full: where it was decoded (the benchmark counts them); unread: seen, not decoded (text "")

    @property
    def card(self) -> CardText | None:
        return parse_card_text(self.text)


#: the printed card around its QR symbol, in symbol widths (cards.pdf at 4 a page: 67 mm symbol on a
#: 91 × 134.5 mm card; 12 mm of card at the sides and above, 50 mm below; a little more for tilt)
CARD_SIDES, CARD_BELOW = 0.22, 0.8

#: the short side of the first look (px): a card of 8 % of the frame width still has ~2.5 px modules
LOOK_SHORT_SIDE = 1000

_DET: dict[str, object] = {}  # per process, like the models


def _aruco():
    if "aruco" not in _DET:
        _DET["aruco"] = cv2.QRCodeDetectorAruco()
    return _DET["aruco"]


def _wechat():
    if "wechat" not in _DET:
        _DET["wechat"] = cv2.wechat_qrcode_WeChatQRCode()  # no model files: its classic detector only
    return _DET["wechat"]


def _aruco_read(gray: np.ndarray) -> tuple[list[tuple[str, np.ndarray]], list[np.ndarray]]:
    """(decoded (text, quad) pairs, quads detected but not decoded)."""
    try:
        ok, texts, pts, _ = _aruco().detectAndDecodeMulti(gray)
    except cv2.error:
        return [], []
    if not ok or pts is None:
        return [], []
    done, failed = [], []
    for t, q in zip(texts, pts):
        (done if t else failed).append((t, np.asarray(q, np.float64).reshape(4, 2)) if t else np.asarray(q, np.float64).reshape(4, 2))
    return done, failed


def _wechat_read(gray: np.ndarray) -> list[tuple[str, np.ndarray]]:
    try:
        texts, pts = _wechat().detectAndDecode(gray)
    except cv2.error:
        return []
    return [(t, np.asarray(q, np.float64).reshape(4, 2)) for t, q in zip(texts, pts) if t]


def _box(quad: np.ndarray, margin: float, w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0 = quad.min(0)
    x1, y1 = quad.max(0)
    m = margin * max(x1 - x0, y1 - y0)
    return (max(0, int(x0 - m)), max(0, int(y0 - m)), min(w, int(x1 + m + 1)), min(h, int(y1 + m + 1)))


def _full_gray(source: str | bytes) -> np.ndarray | None:
    """The camera file (path or bytes) at full resolution, grey, oriented as :func:`photocheck.io.load` orients it."""
    import io

    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("L"))
    except Exception:  # noqa: BLE001 — the working image was read; a second read failing only loses the refinement
        return None


def read_codes(rgb: np.ndarray, path: str | os.PathLike | bytes | None = None) -> list[CodeRead]:
    """Every QR code read in ``rgb`` (H×W×3 uint8, the working image); ``path``: the same image's file
    (its path or its bytes) at full resolution, decoded only to refine a code that was found but not read.
    A code found but read by no decoder is returned with ``text`` "" (stage ``unread``)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    h, w = gray.shape
    k1 = min(1.0, LOOK_SHORT_SIDE / min(h, w))  # the first look never costs more than ~1000 px a side
    look = gray if k1 == 1.0 else cv2.resize(gray, (int(w * k1), int(h * k1)), interpolation=cv2.INTER_AREA)
    done, failed = _aruco_read(look)
    out = [CodeRead(t, q / k1, "work") for t, q in done]
    failed = [q / k1 for q in failed]
    if not out and not failed:
        half = cv2.resize(look, (look.shape[1] // 2, look.shape[0] // 2), interpolation=cv2.INTER_AREA)
        done, failed = _aruco_read(half)
        k2 = half.shape[1] / w
        out = [CodeRead(t, q / k2, "half") for t, q in done]
        failed = [q / k2 for q in failed]
    full = None
    unread: list[np.ndarray] = []
    for q in failed:
        if any(cv2.pointPolygonTest(r.quad.astype(np.float32), tuple(map(float, q.mean(0))), False) >= 0 for r in out):
            continue  # a second detection of a code already read
        x0, y0, x1, y1 = _box(q, 0.35, w, h)
        got = _wechat_read(gray[y0:y1, x0:x1])
        if got:
            out += [CodeRead(t, p + (x0, y0), "crop") for t, p in got]
            continue
        if path is None:
            unread.append(q)
            continue
        if full is None:
            full = _full_gray(path if isinstance(path, (bytes, bytearray)) else os.fspath(path))
            if full is None:
                path = None
                unread.append(q)
                continue
        k = full.shape[1] / w
        X0, Y0, X1, Y1 = _box(q * k, 0.35, full.shape[1], full.shape[0])
        crop = full[Y0:Y1, X0:X1]
        if max(crop.shape) > 1600:  # modules of 20+ px read as well at a third of the pixels
            s = 1600 / max(crop.shape)
            crop = cv2.resize(crop, (int(crop.shape[1] * s), int(crop.shape[0] * s)), interpolation=cv2.INTER_AREA)
        else:
            s = 1.0
        got = _wechat_read(crop) or [(t, p) for t, p in _aruco_read(crop)[0]]
        out += [CodeRead(t, (p / s + (X0, Y0)) / k, "full") for t, p in got]
        if not got:
            unread.append(q)
    # a code seen but not read: no slate, but a frame that would show it is not uploaded (the batch says so)
    out += [CodeRead("", q, "unread") for q in unread if not any(
        cv2.pointPolygonTest(r.quad.astype(np.float32), tuple(map(float, q.mean(0))), False) >= 0 for r in out)]
    seen, uniq = set(), []
    for r in out:
        if not r.text or r.text not in seen:
            seen.add(r.text)
            uniq.append(r)
    return uniq


def card_record(a, path: str | os.PathLike | bytes | None = None) -> list[dict] | None:
    """What the batch keeps of the codes in an analysed camera frame (:class:`photocheck.analysis.Analysis`):
    per code its ``text``, the card fields when it is a photocheck card (``shot_no``, ``session``,
    ``version``), its box as fractions of the image (``box``: x0, y0, x1, y1) and ``in_crop``: whether
    it overlaps the planned upload crop (a frame whose upload file would show the card is no
    portrait). None when the frame shows no code (nearly every frame)."""
    img = a.image
    reads = read_codes(img.rgb, path)
    if not reads:
        return None
    h, w = img.rgb.shape[:2]
    frame = getattr(a, "frame_full", None) if a.face is not None else None
    out = []
    for r in reads:
        x0, y0 = r.quad.min(0)
        x1, y1 = r.quad.max(0)
        c = r.card
        if c is not None:  # the whole card, not only its code: white border, and the digits below
            sw, sh = x1 - x0, y1 - y0
            x0, x1, y0, y1 = x0 - CARD_SIDES * sw, x1 + CARD_SIDES * sw, y0 - CARD_SIDES * sh, y1 + CARD_BELOW * sh
        box = [round(float(np.clip(v, 0, 1)), 4) for v in (x0 / w, y0 / h, x1 / w, y1 / h)]
        d: dict = {"text": r.text, "box": box, "stage": r.stage, "in_crop": None}
        if c is not None:
            d.update(shot_no=c.shot_no or None, session=c.session, version=c.version)
        if frame is not None:
            fx0, fy0 = frame.x / img.width, frame.y / img.height
            fx1, fy1 = (frame.x + frame.w) / img.width, (frame.y + frame.h) / img.height
            d["in_crop"] = bool(box[0] < fx1 and box[2] > fx0 and box[1] < fy1 and box[3] > fy0)
        out.append(d)
    return out
