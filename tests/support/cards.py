"""Camera frames that show a shot-number card, made from our own printed card (the PDF of
``photocheck cards`` rasterised with PDFium) held in real portrait frames. Shared by
tests/test_cards.py and benchmarks/cards.py.

A card is held at chest height: it is rotated in 3-D (``yaw`` about the vertical axis, ``pitch``
about the horizontal one, ``roll`` in the image plane) and projected with a normal lens (focal
length 1.5 frame widths), so a 40° tilt foreshortens and skews it as a camera sees it. Optional
faults: motion blur (the card moving), a specular glare blob on the code, JPEG compression; and a
phone screen showing a QR code (bright, in a black bezel) instead of a printed card.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from photocheck.cards.pdf import PAGE_H, card_boxes, cards_pdf

PX_PER_MM = 8.0  # card raster resolution: a 2.5 mm module is 20 px, finer than any frame sees it


def render_pages(pdf: bytes, px_per_mm: float = PX_PER_MM) -> list[np.ndarray]:
    """Every page of a PDF as RGB (PDFium, the renderer of Chrome)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return [np.ascontiguousarray(doc[i].render(scale=px_per_mm * 25.4 / 72).to_numpy()[..., :3])
                for i in range(len(doc))]
    finally:
        doc.close()


@lru_cache(maxsize=64)
def card_image(number: int, session: str = "", per_page: int = 4) -> np.ndarray:
    """One printed card, cut out along its cut marks, as RGB at ``PX_PER_MM``."""
    page = render_pages(cards_pdf([number], session, per_page))[0]
    b = card_boxes(per_page)[0]
    x0, x1 = round(b.x * PX_PER_MM), round((b.x + b.w) * PX_PER_MM)
    y0 = round((PAGE_H - b.y - b.h) * PX_PER_MM)
    y1 = round((PAGE_H - b.y) * PX_PER_MM)
    return np.ascontiguousarray(page[y0:y1, x0:x1])


def phone_image(text: str, module_px: int = 12) -> np.ndarray:
    """A phone showing a QR code: white screen, 4-module quiet zone, black bezel (9:19.5)."""
    import segno

    qr = segno.make_qr(text, error="m")
    mat = np.array([[bool(v) for v in row] for row in qr.matrix])
    code = np.where(np.kron(mat, np.ones((module_px, module_px), bool)), 20, 250).astype(np.uint8)
    code = cv2.copyMakeBorder(code, 4 * module_px, 4 * module_px, 4 * module_px, 4 * module_px, cv2.BORDER_CONSTANT, value=250)
    sw = code.shape[1] + 2 * module_px
    sh = int(sw * 19.5 / 9)
    screen = np.full((sh, sw), 250, np.uint8)
    y = (sh - code.shape[0]) // 2
    screen[y:y + code.shape[0], module_px:module_px + code.shape[1]] = code
    bez = int(0.06 * sw)
    phone = cv2.copyMakeBorder(screen, bez, bez, bez, bez, cv2.BORDER_CONSTANT, value=15)
    return np.ascontiguousarray(np.repeat(phone[..., None], 3, axis=2))


def _corners(w: float, h: float, yaw: float, pitch: float, roll: float, focal: float) -> np.ndarray:
    """Image offsets of a w×h card's corners (TL, TR, BR, BL) after a 3-D rotation, projected at
    distance ``focal`` (so an untilted card keeps its size)."""
    pts = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]], np.float64)
    a, b, c = map(math.radians, (yaw, pitch, roll))
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    p = pts @ (rz @ rx @ ry).T
    z = p[:, 2] + focal
    return np.stack([focal * p[:, 0] / z, focal * p[:, 1] / z], axis=1)


def hold(frame: np.ndarray, card: np.ndarray, *, width_frac: float, cx: float = 0.5, cy: float = 0.8,
         yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0, blur_px: float = 0.0, blur_angle: float = 0.0,
         glare: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``frame`` with ``card`` held in it: the card's width is ``width_frac`` of the frame's, its
    centre at (cx, cy) of the frame. Returns (frame, the card's corners in frame px)."""
    H, W = frame.shape[:2]
    ch, cw = card.shape[:2]
    w = width_frac * W
    h = w * ch / cw
    quad = _corners(w, h, yaw, pitch, roll, 1.5 * W) + np.array([cx * W, cy * H])
    src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    M = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    warped = cv2.warpPerspective(card, M, (W, H), flags=cv2.INTER_AREA if w < cw else cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), M, (W, H), flags=cv2.INTER_LINEAR).astype(np.float32) / 255
    out = frame.astype(np.float32)
    card_f = warped.astype(np.float32) * 0.92  # paper in the room's light is not the sky's white
    if glare > 0:  # a specular blob somewhere on the code (upper two-thirds of the card)
        rng = np.random.default_rng(seed)
        gx, gy = rng.uniform(0.25, 0.75), rng.uniform(0.15, 0.6)
        p = cv2.perspectiveTransform(np.array([[[gx * cw, gy * ch]]], np.float32), M)[0, 0]
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        s = 0.12 * w
        card_f += glare * 255 * np.exp(-((xx - p[0]) ** 2 + (yy - p[1]) ** 2) / (2 * s * s))[..., None]
    out = out * (1 - mask[..., None]) + card_f * mask[..., None]
    out = np.clip(out, 0, 255).astype(np.uint8)
    if blur_px >= 1:  # the card moved during the exposure (the whole frame is blurred: cheaper, harsher)
        k = np.zeros((int(blur_px) | 1, int(blur_px) | 1), np.float32)
        k[k.shape[0] // 2, :] = 1
        R = cv2.getRotationMatrix2D((k.shape[1] / 2 - 0.5, k.shape[0] / 2 - 0.5), blur_angle, 1.0)
        k = cv2.warpAffine(k, R, k.shape[::-1])
        out = cv2.filter2D(out, -1, k / max(k.sum(), 1e-6))
    return out, quad


def jpeg_bytes(rgb: np.ndarray, quality: int = 90, exif_time: str | None = None) -> bytes:
    buf = io.BytesIO()
    kw = {}
    if exif_time:
        exif = Image.Exif()
        exif[0x8769] = {0x9003: exif_time}
        kw["exif"] = exif.tobytes()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, **kw)
    return buf.getvalue()


def portrait_canvas(face_rgb: np.ndarray, size: tuple[int, int], blue=(100, 197, 255), shift: int = 0) -> np.ndarray:
    """A camera frame (w, h) with a person (already on a flat background) scaled to its height and
    standing on its bottom edge, ``shift`` px right of the centre, as samples/make_shoot.py makes them."""
    w, h = size
    k = h / face_rgb.shape[0]
    p = cv2.resize(face_rgb, (max(1, int(face_rgb.shape[1] * k)), h), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    canvas = np.empty((h, w, 3), np.uint8)
    canvas[:] = blue
    x0 = (w - p.shape[1]) // 2 + shift
    xs, xe = max(0, x0), min(w, x0 + p.shape[1])
    canvas[:, xs:xe] = p[:, xs - x0:xe - x0]
    return canvas


#: the card shoot (tests/test_cards.py): London faces, printed cards, no references, no log times.
#: (frame kind, shot number of the card or the student's row, London face id) in capture order.
#: Shots 3 and 4 are photographed in swapped order; shot 5's student forgot the card; shot 6's card
#: was photographed but the student left (missing); a person not in the log (099) follows shot 7;
#: shot 8 shows the 采集码 on a phone; shot 2's card is photographed alone, the others held at the
#: chest (inside the upload crop: slates); shots 9 and 10 hold the card at the side, outside the
#: crop: a portrait bound by its own card — shot 9 then photographed without it (that frame is
#: preferred), shot 10 in that one frame only.
CARD_SHOOT = [
    ("card", 1, "005"), ("portrait", 1, "005"),
    ("card_alone", 2, None), ("portrait", 2, "006"), ("portrait", 2, "006"),
    ("card", 4, "034"), ("portrait", 4, "034"),
    ("card", 3, "025"), ("portrait", 3, "025"),
    ("portrait", 5, "036"),
    ("card_alone", 6, None),
    ("card", 7, "042"), ("portrait", 7, "042"), ("portrait", None, "099"),
    ("phone", 8, "045"), ("portrait", 8, "045"),
    ("card_side", 9, "062"), ("portrait", 9, "062"),
    ("card_side", 10, "067"),
]
CARD_SHOOT_FACES = {1: "005", 2: "006", 3: "025", 4: "034", 5: "036", 6: "037", 7: "042", 8: "045", 9: "062", 10: "067"}
PHONE_CODE = "CJ2026XQ7LPM4RZ8KD3NWT"


def make_card_shoot(out, size: tuple[int, int] = (2400, 1600), session: str = "T1") -> dict[str, tuple[str, int | None]]:
    """Write the card shoot to ``out/shots`` and its log (``shot_no,student_id,name,code``, no times)
    to ``out/shots.csv``. Returns file name → (frame kind, shot number)."""
    from pathlib import Path

    from support.compose import composed  # heavy: the person mask model

    out = Path(out)
    (out / "shots").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    truth = {}
    for k, (kind, shot, face) in enumerate(CARD_SHOOT):
        if face is None:
            frame = np.empty((size[1], size[0], 3), np.uint8)
            frame[:] = (100, 197, 255)
        else:
            retake = sum(1 for kd, sh, fc in CARD_SHOOT[:k] if (kd, sh, fc) == (kind, shot, face))
            frame = portrait_canvas(composed(face)[0], size, shift=60 * retake)  # a retake: the student moved
        if kind == "card_side":
            frame, _ = hold(frame, card_image(shot, session), width_frac=0.12, cx=0.17, cy=0.72, yaw=-20, seed=k)
        elif kind in ("card", "card_alone"):
            frame, _ = hold(frame, card_image(shot, session), width_frac=0.13, cx=rng.uniform(0.45, 0.55),
                            cy=0.8 if kind == "card" else 0.5, yaw=rng.uniform(-25, 25), roll=rng.uniform(-8, 8), seed=k)
        elif kind == "phone":
            frame, _ = hold(frame, phone_image(PHONE_CODE), width_frac=0.08, cx=0.5, cy=0.8, yaw=10, seed=k)
        name = f"DSC_{k + 1:04d}.JPG"
        (out / "shots" / name).write_bytes(jpeg_bytes(frame, 90))
        truth[name] = (kind, shot)
    lines = ["shot_no,student_id,name,code"]
    for shot in sorted(CARD_SHOOT_FACES):
        lines.append(f"{shot},2026{shot:03d},学生{shot},{PHONE_CODE if shot == 8 else ''}")
    (out / "shots.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return truth


def card_frame(number: int, session: str = "", exif_time: str | None = None, size: tuple[int, int] = (2400, 1600)) -> bytes:
    """A camera JPEG of printed card ``number`` photographed alone (held up in front of the backdrop,
    13 % of the frame's width, slightly turned): a slate frame with no face. ``exif_time``
    ("2026:06:10 09:02:04") places it in the capture order among real camera frames."""
    frame = np.empty((size[1], size[0], 3), np.uint8)
    frame[:] = (100, 197, 255)
    frame, _ = hold(frame, card_image(number, session), width_frac=0.13, cx=0.5, cy=0.5, yaw=10, roll=3, seed=number)
    return jpeg_bytes(frame, 90, exif_time)
