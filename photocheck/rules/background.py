"""Background rules: the colour against the spec's reference, and uniformity (gradient, shadow
next to the head, objects)."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from ..color import delta_e2000, rgb_to_lab
from . import Analysis, Limit, Measurement, rule

MIN_BACKGROUND_FRACTION = 0.04  # below this there is too little background to judge


def _bg_pixels(a):
    m = a.background_mask
    if np.count_nonzero(m) < MIN_BACKGROUND_FRACTION * m.size:
        return None
    return m


@functools.lru_cache(maxsize=4)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Column and row of every frame pixel as float32 (made once per frame size, read-only)."""
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx.flags.writeable = gy.flags.writeable = False
    return gx, gy


def within(mask: np.ndarray, radii: tuple[float, ...]) -> list[np.ndarray]:
    """Pixels within each Euclidean distance of ``mask`` (one distance transform for all radii).

    The transform runs on 2×2 blocks (a block is in the mask when any of its pixels is): the
    distances are right to a pixel or two, which 20- and 60-pixel bands do not notice, at a
    quarter of the cost of a full-frame transform.
    """
    h, w = mask.shape
    m = np.ascontiguousarray(mask, dtype=bool).view(np.uint8)
    small = cv2.resize(m, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)  # block mean
    d = cv2.distanceTransform((small == 0).view(np.uint8), cv2.DIST_L2, 3)
    return [cv2.resize((d <= r / 2).view(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).view(bool)
            for r in radii]


def _median_u8(v: np.ndarray) -> float:
    """``np.median`` of uint8 values from their histogram (the same number, without a sort)."""
    cum = np.cumsum(np.bincount(v, minlength=256))
    n = int(cum[-1])
    lo, hi = np.searchsorted(cum, [(n - 1) // 2 + 1, n // 2 + 1])
    return (float(lo) + float(hi)) / 2


@rule("background.color",
      title=("背景颜色（浅蓝）", "Background colour (light blue)"),
      messages={
          "high": ("背景颜色与要求的 RGB{ref} 相差太大（色差 ΔE {value}；实际约 RGB{seen}）。请使用规定颜色的纯色背景。", "the background colour is too far from the required RGB{ref} (ΔE {value}; it is about RGB{seen}). Use a plain background of the required colour."),
          "none": ("几乎看不到背景，无法判断背景颜色（人像太大或太靠边）。", "almost no background is visible, so its colour cannot be judged (the person fills the frame)."),
      })
def background_color(a: Analysis, lim: Limit) -> Measurement:
    m = _bg_pixels(a)
    ref = a.spec.background_rgb
    if m is None:
        return Measurement(None, status="warn", side="none", fmt={"ref": ref})
    # medians over every other row and column: a quarter of the work, the same colour to 0.1 ΔE
    q = m[::2, ::2]
    med = np.array([np.median(plane[::2, ::2][q]) for plane in a.planes], dtype=np.float32)
    de = round(float(delta_e2000(med, rgb_to_lab(np.array(ref, np.uint8)))), 2)
    status, side = lim.judge(de)
    if status == "pass":
        return Measurement(de, status=status, side=side, fmt={"ref": ref})
    px = a.rgb[::2, ::2][q]  # the colour seen, in RGB, only for the message
    seen = tuple(int(_median_u8(px[:, k])) for k in range(3))
    return Measurement(de, status=status, side=side, fmt={"ref": ref, "seen": seen})


@rule("background.uniform",
      title=("背景均匀（无渐变、阴影、杂物）", "Background even (no gradient, shadow or objects)"),
      messages={
          "gradient": ("背景明暗或颜色不均匀（渐变 ΔE {g}）。请使用均匀照明的纯色背景。", "the background has a gradient (ΔE {g} across it). Use an evenly lit plain background."),
          "shadow": ("头部旁边的背景上有阴影（比远处暗 {s}）。请让人离背景远一些，或从两侧打光。", "there is a shadow on the background next to the head ({s} darker than further away). Stand further from the background or light it from both sides."),
          "clutter": ("背景上有其他物体或人物（占背景的 {c}%）。背景必须干净、无杂物。", "there are objects or other people on the background ({c}% of it). The background must be plain."),
          "none": ("几乎看不到背景，无法判断是否均匀。", "almost no background is visible, so its evenness cannot be judged."),
      })
def background_uniform(a: Analysis, lim: Limit) -> Measurement:
    m = _bg_pixels(a)
    if m is None:
        return Measurement(None, status="warn", side="none")
    # Everything below works on the background pixels as 1-D arrays (in row-major order), never
    # on frame-sized float images.
    h, w = m.shape
    gx, gy = _grid(h, w)
    fx, fy = gx[m], gy[m]
    px = [plane[m] for plane in a.planes]
    step = max(1, len(fx) // 6000)  # a plane fit needs a few thousand points, not all of them
    sx, sy = fx[::step], fy[::step]
    A = np.stack([np.ones_like(sx), sx, sy], axis=1)
    vals = np.stack([v[::step] for v in px], axis=1)
    coef, *_ = np.linalg.lstsq(A, vals, rcond=None)  # 3×3: per channel (c0, cx, cy)
    ext_x, ext_y = float(np.ptp(sx)), float(np.ptp(sy))
    gradient = float(np.linalg.norm(np.abs(coef[1]) * ext_x + np.abs(coef[2]) * ext_y))

    # residual from the plane: objects, people, strong texture
    diff = []
    for k, v in enumerate(px):
        model = fx * coef[1][k]
        model += coef[0][k]
        model += fy * coef[2][k]
        np.subtract(v, model, out=model)
        diff.append(model)
    outlier = np.zeros((h, w), bool)
    outlier[m] = diff[0] * diff[0] + diff[1] * diff[1] + diff[2] * diff[2] > 12.0 ** 2
    outlier = cv2.morphologyEx(outlier.view(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)
    clutter = float(np.count_nonzero(outlier) / max(len(fx), 1) * 100)

    # shadow: background right next to the head, on either side, darker than the far background
    # (L* after removing the overall gradient)
    person = (a.person >= 0.5).astype(np.uint8)
    near, around = within(person, (20, 60))  # beside the head / clear of it
    near, far = near[m], ~around[m]
    if a.face is not None:
        near &= fy < int(a.face.points[:, 1].max()) + 10  # below the chin: shoulders, not the head
    shadow = 0.0
    if np.count_nonzero(far) > 200:
        far_l = float(np.median(diff[0][far]))
        cx = a.face_cx if a.face is not None else w / 2
        left = fx < cx
        for side in (near & left, near & ~left):
            if np.count_nonzero(side) > 200:
                shadow = max(shadow, far_l - float(np.median(diff[0][side])))
    value = {"gradient": round(gradient, 2), "shadow": round(shadow, 2), "clutter_pct": round(clutter, 2)}
    fmt = {"g": round(gradient, 1), "s": round(shadow, 1), "c": round(clutter, 1)}
    regions = (("mask", outlier),) if clutter > 0 else ()
    for key, val, mx in (("shadow", shadow, lim["shadow_max"]), ("clutter", clutter, lim["clutter_max"]),
                         ("gradient", gradient, lim["gradient_max"])):
        if val > mx:
            return Measurement(value, status="fail", side=key, fmt=fmt, regions=regions)
    return Measurement(value, status="pass", fmt=fmt)
