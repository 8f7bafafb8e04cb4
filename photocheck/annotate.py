"""Draw the measurements on the frame so a person can see what is wrong.

Colours: green a measurement that passes, orange a warning, red a problem; blue the guides (where
the head top and eyes must be, the centre line, the face that was found), which judge nothing.
Labels are the rule's title in the report's language, drawn with the bundled font
(``photocheck/fonts``: OpenCV draws ASCII only).
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources

import cv2
import numpy as np

from .analysis import Analysis
from .report import Report

GREEN, ORANGE, RED, BLUE = (46, 160, 67), (230, 140, 0), (220, 40, 40), (40, 110, 230)
_STATUS_COLOR = {"pass": GREEN, "warn": ORANGE, "fail": RED, "error": RED}
LABEL_SIZE = 13


@lru_cache(maxsize=4)
def label_font(size: int = LABEL_SIZE):
    """The labels' font (a CJK subset of Noto Sans, ~100 KB), loaded once per process."""
    from PIL import ImageFont

    data = resources.files("photocheck").joinpath("fonts/labels-sc.otf").read_bytes()
    return ImageFont.truetype(io.BytesIO(data), size)


def _label(f, value: float, lang: str) -> str:
    title = f.name(lang) or f.rule
    return f"{title}：{value:.0f}" if lang == "zh" else f"{title}: {value:.0f}"


def _draw_labels(img: np.ndarray, labels: list[tuple[int, int, str, tuple]]) -> np.ndarray:
    from PIL import Image, ImageDraw

    if not labels:
        return img
    im = Image.fromarray(img)
    draw, font = ImageDraw.Draw(im), label_font()
    for x, y, text, color in labels:  # a light outline keeps the text readable on hair and on blue
        draw.text((x, y), text, font=font, fill=color, stroke_width=2, stroke_fill=(255, 255, 255))
    return np.asarray(im).copy()


def annotate(a: Analysis, report: Report, scale: int = 1, lang: str = "zh") -> np.ndarray:
    """RGB image of the 480×640 frame with bands, lines, boxes and problem areas drawn on it.

    ``lang``: the language of the labels (the rules' titles).

    >>> import photocheck
    >>> a = photocheck.analyse("samples/upload/london_005.jpg")  # doctest: +SKIP
    >>> annotate(a, photocheck.check("samples/upload/london_005.jpg")).shape  # doctest: +SKIP
    (640, 480, 3)
    """
    img = a.rgb.copy()
    labels: list[tuple[int, int, str, tuple]] = []
    h, w = img.shape[:2]
    overlay = img.copy()
    for f in report.findings:
        color = _STATUS_COLOR.get(f.status)
        if color is None:
            continue
        if f.status in ("fail", "warn") and not f.regions and f.rule.startswith("background."):
            # a background problem without an area of its own: tint the whole background, lightly
            m = a.background_mask
            overlay[m] = (0.72 * overlay[m] + 0.28 * np.array(color)).astype(np.uint8)
        for kind, data in f.regions:
            if kind == "mask" and f.status != "pass":
                overlay[data] = (0.45 * overlay[data] + 0.55 * np.array(color)).astype(np.uint8)
    img = overlay
    for f in report.findings:
        color = _STATUS_COLOR.get(f.status)
        if color is None:
            continue
        for kind, data in f.regions:
            if kind == "hline":
                y, lo, hi = data
                band = img.copy()
                cv2.rectangle(band, (0, int(lo)), (w - 1, int(hi)), BLUE, -1)
                img = cv2.addWeighted(band, 0.12, img, 0.88, 0)
                cv2.line(img, (0, int(round(y))), (w - 1, int(round(y))), color, 2)
                labels.append((4, max(0, int(y) - LABEL_SIZE - 5), _label(f, y, lang), color))
            elif kind == "vline":
                x, mid = data
                cv2.line(img, (int(mid), 0), (int(mid), h - 1), BLUE, 1)
                cv2.line(img, (int(round(x)), 0), (int(round(x)), h - 1), color, 1)
            elif kind == "segment":
                p, q = data
                cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), color, 2)
                if f.rule == "geometry.face_width":  # say what the line measures, like the bands
                    x, y = int(min(p[0], q[0])), int(max(p[1], q[1])) + 4
                    labels.append((x, y, _label(f, f.value, lang), color))
            elif kind == "rect":
                x, y, rw, rh = data
                cv2.rectangle(img, (int(x), int(y)), (int(x + rw), int(y + rh)), color, 2)
            elif kind == "points":
                for p in data:
                    cv2.circle(img, (int(p[0]), int(p[1])), 3, color, -1)
    if a.face is not None:  # where the face was found: a guide, not a verdict (red/green are the rules')
        x, y, bw, bh = cv2.boundingRect(a.face_mask.astype(np.uint8))
        cv2.rectangle(img, (x, y), (x + bw, y + bh), BLUE, 1)
    img = _draw_labels(img, labels)
    if scale != 1:
        img = cv2.resize(img, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
    return img
