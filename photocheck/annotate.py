"""Draw the measurements on the frame so a person can see what is wrong."""

from __future__ import annotations

import cv2
import numpy as np

from .analysis import Analysis
from .report import Report

GREEN, ORANGE, RED, BLUE = (46, 160, 67), (230, 140, 0), (220, 40, 40), (40, 110, 230)
_STATUS_COLOR = {"pass": GREEN, "warn": ORANGE, "fail": RED, "error": RED}


def annotate(a: Analysis, report: Report, scale: int = 1) -> np.ndarray:
    """RGB image of the 480×640 frame with bands, lines, boxes and problem areas drawn on it."""
    img = a.rgb.copy()
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
                cv2.putText(img, f"{f.rule.split('.')[-1]} {y:.0f}", (4, int(y) - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.45, color, 1, cv2.LINE_AA)
            elif kind == "vline":
                x, mid = data
                cv2.line(img, (int(mid), 0), (int(mid), h - 1), BLUE, 1)
                cv2.line(img, (int(round(x)), 0), (int(round(x)), h - 1), color, 1)
            elif kind == "segment":
                p, q = data
                cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), color, 2)
                if f.rule == "geometry.face_width":  # say what the line measures, like the bands
                    x, y = int(min(p[0], q[0])), int(max(p[1], q[1])) + 16
                    cv2.putText(img, f"face_width {f.value:.0f}", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.45, color, 1, cv2.LINE_AA)
            elif kind == "rect":
                x, y, rw, rh = data
                cv2.rectangle(img, (int(x), int(y)), (int(x + rw), int(y + rh)), color, 2)
            elif kind == "points":
                for p in data:
                    cv2.circle(img, (int(p[0]), int(p[1])), 3, color, -1)
    if a.face is not None:
        x, y, bw, bh = cv2.boundingRect(a.face_mask.astype(np.uint8))
        cv2.rectangle(img, (x, y), (x + bw, y + bh), GREEN if report.ok else RED, 1)
    if scale != 1:
        img = cv2.resize(img, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
    return img
