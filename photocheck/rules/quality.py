"""Image-quality rules: sharpness of the face and visible JPEG blockiness."""

from __future__ import annotations

import cv2
import numpy as np

from . import Analysis, Limit, Measurement, rule
from .detail import face_detail


@rule("quality.sharpness",
      title=("清晰对焦", "In focus"),
      messages={"low": ("照片不清晰（对焦不准、手抖或被放大过，清晰度 {value}，要求 {limit}）。请对准眼睛对焦、保持相机稳定后重拍。",
                        "the photo is not sharp (out of focus, camera shake or upscaled; sharpness {value}, limit "
                        "{limit}). Focus on the eyes, hold the camera still and retake it."),
                "smeared": ("照片不清晰：拍摄时手抖，脸部细节沿 {angle}° 方向被拖糊（清晰度 {value}，要求 {limit}）。"
                            "请保持相机稳定（用三脚架或更快的快门）后重拍。",
                            "the photo is not sharp: camera shake smeared the face along {angle}° (sharpness {value}, "
                            "limit {limit}). Hold the camera still (a tripod or a faster shutter) and retake it."),
                "shake": ("照片像是拍摄时手抖了：脸部细节沿 {angle}° 方向被拖糊（清晰度 {value}，方向性 {directional}，"
                          "抖动指数 {shake}，要求 ≥ {shake_min}）。请保持相机稳定（用三脚架或更快的快门）后重拍。",
                          "the photo looks shaken: the face's detail is smeared along {angle}° (sharpness {value}, "
                          "directionality {directional}, shake index {shake}, limit ≥ {shake_min}). Hold the camera "
                          "still (a tripod or a faster shutter) and retake it.")})
def sharpness(a: Analysis, lim: Limit) -> Measurement:
    # Fine detail in the face's blurriest direction, on the face window of the working image at
    # the detail a 480×640 upload keeps (rules/detail.py): camera shake at any angle and defocus.
    got = face_detail(a, float(lim["min_skin_L"]))
    if got is None:  # too small, or too dark to hold detail: exposure's verdict
        return Measurement(None, status="skip")
    val, angle, directional = got
    # A mild shake (half a percent of the frame) leaves as much detail as a soft but steady photo,
    # but all of it in one direction: the sharpness over its directionality separates the two
    # (limits/core.toml: warn_shake_below).
    shake, shake_min = val / max(directional, 1.0), float(lim["warn_shake_below"])
    fmt = {"angle": round(angle), "directional": round(directional, 2), "shake": round(shake, 3),
           "shake_min": shake_min}
    value = round(val, 3)
    status, side = lim.judge(value)
    if status == "pass" and shake < shake_min:
        status, side = "warn", "shake"
    elif side == "low" and directional >= float(lim["smear_directional"]):
        side = "smeared"  # the same verdict; the message names the cause, so the fix is clear
    return Measurement(value, status=status, side=side, fmt=fmt)


@rule("quality.compression",
      title=("无明显压缩痕迹", "No visible compression artefacts"),
      messages={"high": ("照片有明显的 JPEG 压缩块（块效应 {value}）。请用原图以更高质量重新保存。", "visible JPEG blocks (blockiness {value}). Save again from the original at a higher quality.")})
def compression(a: Analysis, lim: Limit) -> Measurement:
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
