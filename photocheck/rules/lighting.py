"""Lighting rules on the face skin (eyes, brows and lips excluded): exposure, evenness (阴阳脸,
hot spots) and colour cast. Measured in Lab so that the values mean the same across skin tones."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .. import landmarks as L
from . import Measurement, rule

MIN_SKIN_PIXELS = 300


def _skin(a):
    m = a.skin_mask
    return m if np.count_nonzero(m) >= MIN_SKIN_PIXELS else None


def eye_white_l(a) -> float | None:
    """Lightness of the whites of the eyes (95th percentile of the eye opening minus the iris).

    The sclera is nearly the same lightness for every skin tone, so it tells under-exposure from
    dark skin: a dark-skinned student in good light has bright eye whites, an under-exposed photo
    does not.
    """
    m = a.polygon_mask(L.RIGHT_EYE) | a.polygon_mask(L.LEFT_EYE)
    iris = np.zeros(m.shape, np.uint8)
    p = a.face.points
    for idx in (L.RIGHT_IRIS, L.LEFT_IRIS):
        c = p[idx[0], :2]
        r = float(np.linalg.norm(p[idx[1:], :2] - c, axis=1).mean())
        cv2.circle(iris, (int(round(c[0])), int(round(c[1]))), int(r * 1.15) + 1, 1, -1)
    m &= iris == 0
    if np.count_nonzero(m) < 20:  # eyes closed or too small to see
        return None
    # 95th, not 90th: a narrow opening on a dark-eyed face shows little sclera, and the 90th
    # percentile then missed clipped eye whites (London 042 at 4× exposure read 85, at the limit).
    return float(np.percentile(a.L[m], 95))


@rule("lighting.exposure",
      title=("曝光适中（不过暗、不过亮）", "Exposure (not too dark or too bright)"),
      messages={
          "low": ("脸部太暗（眼白亮度 L* {eye}，肤色亮度 {skin}）。请增加正面光照，或调整相机曝光。", "the face is too dark (eye-white L* {eye}, skin L* {skin}). Add frontal light or increase the camera exposure."),
          "high": ("脸部过亮/过曝（肤色亮度 L* {skin}，眼白亮度 {eye}）。请减弱光照或降低曝光。", "the face is too bright / overexposed (skin L* {skin}, eye-white L* {eye}). Reduce the light or the exposure."),
      })
def exposure(a, lim):
    m = _skin(a)
    if m is None:
        return Measurement(None, status="skip")
    skin = round(float(np.median(a.L[m])), 1)
    eye = eye_white_l(a)
    eye = None if eye is None else round(eye, 1)
    value = {"skin_L": skin, "eye_white_L": eye}
    fmt = {"skin": skin, "eye": eye if eye is not None else "—"}
    # Under-exposure is judged on the eye whites (tone-independent), or on the skin when the eyes
    # cannot be seen; over-exposure on the skin (a lighter skin tone only ever reads brighter).
    low = (eye is not None and eye < lim["eye_white_min"]) or skin < lim["skin_min"]
    if low:
        return Measurement(value, status="fail", side="low", fmt=fmt, regions=(("mask", m),))
    if skin > lim["skin_max"] or (eye is not None and eye > lim["eye_white_max"]):
        return Measurement(value, status="fail", side="high", fmt=fmt, regions=(("mask", m),))
    return Measurement(value, status="pass", fmt=fmt)


@rule("lighting.evenness",
      title=("面部光照均匀（无阴阳脸、无光斑）", "Even light on the face (no half shadow, no hot spots)"),
      messages={
          "high": ("脸部左右明暗不均（阴阳脸，两侧亮度差 {value}）。请从正面或两侧均匀打光。", "one side of the face is darker than the other (ΔL* {value}). Light the face evenly from the front or both sides."),
          "hot": ("脸上有明显的反光/光斑（{hot}% 的皮肤过亮）。请使用柔光，减少油光。", "there are hot spots on the face ({hot}% of the skin is blown out). Use soft light and reduce shine."),
      })
def evenness(a, lim):
    m = _skin(a)
    if m is None:
        return Measurement(None, status="skip")
    win = a.face_box()  # the skin lies inside the face oval: work on its window
    l, m = a.L[win], m[win]
    p = a.face.points
    # face midline through the nose bridge and chin, evaluated per row
    (x0, y0), (x1, y1) = p[L.NOSE_BRIDGE, :2], p[L.CHIN, :2]
    ys = np.arange(win[0].start, win[0].stop, dtype=np.float32)
    mid = x0 + (ys - y0) * ((x1 - x0) / (y1 - y0 if abs(y1 - y0) > 1e-3 else 1e-3))
    xs = np.arange(win[1].start, win[1].stop, dtype=np.float32)[None, :]
    margin = 0.06 * a.face_width  # skip the nose ridge itself
    left = m & (xs < mid[:, None] - margin)
    right = m & (xs > mid[:, None] + margin)
    if np.count_nonzero(left) < MIN_SKIN_PIXELS // 3 or np.count_nonzero(right) < MIN_SKIN_PIXELS // 3:
        return Measurement(None, status="skip")
    med_left, med_right = float(np.median(l[left])), float(np.median(l[right]))
    diff = abs(med_left - med_right)
    skin_l = l[m]
    med = float(np.median(skin_l))
    hot = float(np.mean((skin_l > med + 25) & (skin_l > 90)) * 100)
    value = {"side_diff": round(diff, 2), "hot_spots_pct": round(hot, 2)}
    darker = np.zeros(a.skin_mask.shape, bool)
    darker[win] = left if med_left < med_right else right
    st, side = lim.judge(diff)
    if st != "fail" and hot > float(lim.params.get("hot_max", 2.0)):
        st, side = "fail", "hot"
    return Measurement(value, status=st, side=side, fmt={"value": round(diff, 1), "hot": round(hot, 1)},
                       regions=(("mask", darker),) if st != "pass" else ())


@rule("lighting.color_cast",
      title=("色彩真实（无偏色）", "True colours (no colour cast)"),
      messages={
          "low": ("照片偏色（偏红/偏品红，肤色色相 {value}°）。请在白光下拍摄，检查相机白平衡。", "the photo has a red/magenta cast (skin hue {value}°). Shoot under white light and check the white balance."),
          "high": ("照片偏色（偏黄绿/偏青，肤色色相 {value}°）。请在白光下拍摄，检查相机白平衡。", "the photo has a yellow-green/cyan cast (skin hue {value}°). Shoot under white light and check the white balance."),
      })
def color_cast(a, lim):
    m = _skin(a)
    if m is None:
        return Measurement(None, status="skip")
    l, a_, b_ = (plane[m] for plane in a.planes)
    lit = l < 95  # clipped highlights carry no hue
    if np.count_nonzero(lit) < MIN_SKIN_PIXELS // 3:
        return Measurement(None, status="skip")
    am, bm = float(np.median(a_[lit])), float(np.median(b_[lit]))
    if math.hypot(am, bm) < lim["chroma_min"]:
        return Measurement(None, status="skip")  # no colour to judge (greyscale: image.color's job)
    return Measurement(round(math.degrees(math.atan2(bm, am)), 1))
