"""Image-quality rules: sharpness of the face and visible JPEG blockiness."""

from __future__ import annotations

import cv2
import numpy as np

from . import Measurement, rule


@rule("quality.sharpness",
      title=("清晰对焦", "In focus"),
      messages={"low": ("照片不清晰（对焦不准、抖动或被放大过，清晰度 {value}）。请对准眼睛对焦、保持稳定后重拍。", "the photo is not sharp (out of focus, shaken or upscaled; sharpness {value}). Focus on the eyes, hold still and retake it.")})
def sharpness(a, lim):
    # Fine-detail energy relative to mid-scale energy on the face: independent of contrast and
    # skin tone, and it drops fast when the image is blurred or upscaled.
    x0, y0, w, h = cv2.boundingRect(a.face_mask.view(np.uint8))
    if w < 16 or h < 16:
        return Measurement(None, status="skip")
    g = a.gray[y0:y0 + h, x0:x0 + w].astype(np.float32)
    fine = g - cv2.GaussianBlur(g, (0, 0), 1.0)
    mid = g - cv2.GaussianBlur(g, (0, 0), 4.0)
    val = float(np.sqrt(np.mean(fine ** 2) / max(np.mean(mid ** 2), 1e-6)))
    # Normalise by face size: detail per pixel falls as the face fills more of the frame.
    return Measurement(round(val, 4))


@rule("quality.compression",
      title=("无明显压缩痕迹", "No visible compression artefacts"),
      messages={"high": ("照片有明显的 JPEG 压缩块（块效应 {value}）。请用原图以更高质量重新保存。", "visible JPEG blocks (blockiness {value}). Save again from the original at a higher quality.")})
def compression(a, lim):
    img = a.image
    if img.format != "JPEG" or img.rgb.shape[1] != img.width:
        return Measurement(None, status="skip")  # no JPEG grid to look at
    g = cv2.cvtColor(img.rgb, cv2.COLOR_RGB2GRAY)
    # |differences| between neighbours, in uint8 (exact), summed per column / per row
    dx = cv2.absdiff(g[:, 1:], g[:, :-1]).sum(axis=0, dtype=np.int64)
    dy = cv2.absdiff(g[1:], g[:-1]).sum(axis=1, dtype=np.int64)
    # differences across block edges (between column 8k-1 and 8k) vs inside the blocks
    cx = np.arange(dx.shape[0]) % 8 == 7
    cy = np.arange(dy.shape[0]) % 8 == 7
    h, w = g.shape
    edge = dx[cx].sum() / (h * cx.sum()) + dy[cy].sum() / (w * cy.sum())
    inner = dx[~cx].sum() / (h * (~cx).sum()) + dy[~cy].sum() / (w * (~cy).sum())
    return Measurement(round(float(edge / max(inner, 1e-6)), 3))
