"""Lighting rules on the face skin (eyes, brows and lips excluded): exposure, evenness (阴阳脸,
hot spots) and colour cast. Measured in Lab so that the values mean the same across skin tones."""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from .. import landmarks as L
from . import Analysis, Limit, Measurement, rule
from .detail import fails_sharpness

MIN_SKIN_PIXELS = 300


def _skin(a):
    m = a.skin_mask
    return m if np.count_nonzero(m) >= MIN_SKIN_PIXELS else None


def _iris_discs(a, grow: float) -> list[tuple[tuple[int, int], int]]:
    """Centre and radius (frame px, × ``grow``) of each iris from the landmarker's iris points."""
    p = a.face.points
    out = []
    for idx in (L.RIGHT_IRIS, L.LEFT_IRIS):
        c = p[idx[0], :2]
        r = float(np.linalg.norm(p[idx[1:], :2] - c, axis=1).mean())
        out.append(((int(round(c[0])), int(round(c[1]))), int(r * grow) + 1))
    return out


def eye_opening(a) -> float:
    """Area of the narrower eye opening over its width squared (an open eye ~0.22–0.30, a
    squint or a downward look < 0.18: too little sclera shows to read)."""
    p = a.face.points
    out = []
    for idx, c1, c2 in ((L.RIGHT_EYE, 33, 133), (L.LEFT_EYE, 263, 362)):
        width = float(np.linalg.norm(p[c1, :2] - p[c2, :2])) or 1.0
        out.append(cv2.contourArea(cv2.convexHull(p[idx, :2].astype(np.float32))) / (width * width))
    return min(out)


def sclera_l(a) -> np.ndarray:
    """L* of the eye openings minus the irises (1-D float32), built on the eyes' window only."""
    p = a.face.points
    eyes = p[np.r_[L.RIGHT_EYE, L.LEFT_EYE], :2]
    h, w = a.L.shape
    x0, y0 = np.maximum(np.floor(eyes.min(axis=0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(eyes.max(axis=0)).astype(int) + 2, (w, h))
    if x1 <= x0 or y1 <= y0:
        return np.empty(0, np.float32)
    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for idx in (L.RIGHT_EYE, L.LEFT_EYE):
        cv2.fillConvexPoly(m, cv2.convexHull(np.round(p[idx, :2] - (x0, y0)).astype(np.int32)), 1)
    for (cx, cy), r in _iris_discs(a, 1.15):
        cv2.circle(m, (cx - x0, cy - y0), r, 0, -1)
    return a.L[y0:y1, x0:x1][m > 0]


def eye_white_l(a, values: np.ndarray | None = None) -> float | None:
    """Lightness of the whites of the eyes (95th percentile of the eye opening minus the iris).

    The sclera is nearly the same lightness for every skin tone, so it tells under-exposure from
    dark skin: a dark-skinned student in good light has bright eye whites, an under-exposed photo
    does not. A narrow opening (squint, downward look) shows lids and lashes more than sclera, so
    :func:`exposure` judges it with a lower limit. ``values``: :func:`sclera_l`, if at hand.
    """
    v = sclera_l(a) if values is None else values
    if v.size < 20:
        return None
    # 95th, not 90th: a narrow opening on a dark-eyed face shows little sclera, and the 90th
    # percentile then missed clipped eye whites (London 042 at 4× exposure read 85, at the limit).
    return float(np.percentile(v, 95))


def catchlight_l(a) -> float:
    """Brightest spot in the irises (3×3 mean, so one noisy pixel does not count): the reflection
    of the light source, which a correctly exposed studio photo shows near white."""
    best = 0.0
    for (cx, cy), r in _iris_discs(a, 1.0):
        y0, x0 = max(0, cy - r), max(0, cx - r)
        patch = cv2.blur(a.L[y0:cy + r + 1, x0:cx + r + 1], (3, 3))
        if patch.size:
            best = max(best, float(patch.max()))
    return best


def clothing_white_l(a, lim) -> float:
    """Lightness of the clothes' near-neutral highlights (a white shirt or collar, a white T-shirt):
    99th percentile of low-chroma person pixels from just below the chin to one face height lower;
    0 when there are too few (dark or colourful clothes say nothing about exposure)."""
    p = a.face.points
    chin, top = float(p[L.CHIN, 1]), float(p[L.FOREHEAD_TOP, 1])
    fh = max(chin - top, 1.0)
    h = a.frame_size[1]
    y0, y1 = int(min(h, chin + 0.15 * fh)), int(min(h, chin + 1.0 * fh))
    if y1 - y0 < 4:
        return 0.0
    rows = slice(y0, y1, 2)  # every other row and column: a percentile of ~10⁴ pixels is plenty
    band = (a.person[rows, ::2] >= 0.5) & (a.chroma[rows, ::2] < float(lim["neutral_chroma"]))
    if 4 * np.count_nonzero(band) < int(lim["clothing_min_px"]):
        return 0.0
    return float(np.percentile(a.L[rows, ::2][band], 99))


def white_reference(eye: float, catchlight: float, reach: float, below: float) -> float:
    """The eyes' white reference: the eye whites' L*, moved half-way toward the catchlight's, the gap
    counted up to ``reach`` L* above and ``below`` L* below (a small face's catchlight is a pixel or
    two, and the 3×3 mean dilutes it). Two readings of the same light — the sclera and the light
    source's reflection in the cornea — that differ between people partly for different reasons
    (lids and pigment; the light's size): their blend separated under-exposed faces from clean
    real photos better than either alone (docs/accuracy.md). The bounds keep a blown catchlight
    (which survives an under-exposure that keeps the highlights) or a missing one from deciding."""
    return eye + 0.5 * float(np.clip(catchlight - eye, -below, reach))


@rule("lighting.exposure",
      title=("曝光适中（不过暗、不过亮）", "Exposure (not too dark or too bright)"),
      messages={
          "low": ("脸部太暗（眼白与眼神光亮度 L* {eye}，肤色亮度 {skin}，要求 ≥ {eye_min}）。请增加正面光照，或调整相机曝光。",
                  "the face is too dark (eye whites and catchlights L* {eye}, skin L* {skin}; they must reach {eye_min}). Add "
                  "frontal light or increase the camera exposure."),
          "high": ("脸部过亮/过曝（肤色亮度 L* {skin}，眼白过曝 {clipped}%）。请减弱光照或降低曝光。",
                   "the face is too bright / overexposed (skin L* {skin}, {clipped}% of the eye whites blown out). "
                   "Reduce the light or the exposure."),
      })
def exposure(a: Analysis, lim: Limit) -> Measurement:
    # What a correct exposure is, the scene says, not the skin: the whites of the eyes are about
    # as light for every skin tone, and the catchlights (the light source reflected in the eyes)
    # are a second white reference in the same place (white_reference). White clothes are NOT a
    # reference for under-exposure: a tone curve that darkens the mid-tones keeps them white, and
    # with them as a rescue 1-stop under-exposures of London faces in white T-shirts all passed.
    # Skin lightness alone decides only the extremes (skin_min, skin_max), where no skin tone is.
    m = _skin(a)
    if m is None:
        return Measurement(None, status="skip")
    skin = round(float(np.median(a.L[m])), 1)
    sclera = sclera_l(a)
    eye = eye_white_l(a, sclera)
    opening = eye_opening(a) if eye is not None else None
    clipped = 0.0
    refs = {"catchlight": round(catchlight_l(a), 1), "clothing": round(clothing_white_l(a, lim), 1)}
    ref = None
    if eye is not None:
        eye = round(eye, 1)
        clipped = round(100 * float(np.mean(sclera >= float(lim["clip_L"]))), 1)
        ref = round(white_reference(eye, refs["catchlight"], float(lim["catchlight_reach"]),
                                    float(lim["catchlight_below"])), 1)
    # How much the eyes show decides how far their reading is trusted. Open eyes get the full
    # limits, and so do naturally narrow eyes in a neutral face (London 005's read as bright as
    # anyone's); a smile narrows the eyes and its raised cheeks shade the sclera (every clean real
    # photo with a narrow opening smiled): judged with the narrow limits. A squint, a downward look
    # or a blurred face (below quality.sharpness's fail limit, which reports it: the whites mix
    # with lashes and irises) fails only when the eyes are almost black, so a blur is not also
    # called "too dark".
    blurred = fails_sharpness(a)
    bs = a.face.blendshapes
    smiling = max(bs.get("mouthSmileLeft", 0.0), bs.get("mouthSmileRight", 0.0)) >= lim["smile_narrows"]
    if blurred or (opening is not None and opening < lim["squint_opening"]):
        fail_below = warn_below = lim["white_ref_min_squint"]
    elif opening is not None and opening < lim["min_opening"] and smiling:
        fail_below, warn_below = lim["white_ref_min_narrow"], lim["white_ref_warn_narrow"]
    else:
        fail_below, warn_below = lim["white_ref_min"], lim["white_ref_warn"]
    if lim["dark_skin_from"] <= skin < lim["dark_skin_to"]:
        # the darkest skin tones seen in good light: their eyes read as dim as a lighter face's a
        # stop under, and the photo cannot tell which it is — only a clear under-exposure is
        # claimed (darker skin than this has not been seen in good light: the warn band is back)
        warn_below = min(warn_below, fail_below)
    value = {"white_ref_L": ref, "eye_white_L": eye, "skin_L": skin, **{f"{k}_L": v for k, v in refs.items()},
             "eye_white_clipped_pct": clipped}
    fmt = {"skin": skin, "eye": ref if ref is not None else "—", "eye_min": warn_below, "clipped": clipped}
    # blown: the skin, or the eye whites together with the white clothes (a clipped sclera alone
    # is common in small contrasty web photos whose clothes are not white)
    blown = clipped > lim["clipped_max"] and refs["clothing"] >= lim["clothing_blown"]
    if skin > lim["skin_max"] or blown:
        return Measurement(value, status="fail", side="high", fmt=fmt, regions=(("mask", m),))
    if skin < lim["skin_min"] or (ref is not None and ref < fail_below):
        return Measurement(value, status="fail", side="low", fmt=fmt, regions=(("mask", m),))
    if ref is not None and ref < warn_below:
        return Measurement(value, status="warn", side="low", fmt=fmt, regions=(("mask", m),))
    return Measurement(value, status="pass", fmt=fmt)


# Mirror-image landmark pairs (image-left, image-right): the same skin on both sides of the face, so
# its light ratio is the light's, whatever the skin tone. Chosen by geometry, not one by one: every
# mirror pair of the mesh 12-30 % of the face width from the centre line, from 0.3 face widths above
# the eye line to 0.35 below it (under the eyes, the cheeks beside the nose, the eye sockets, the
# inner forehead), whose skin faces the camera within 37° on a frontal face (the London faces' mean
# mesh), and no eye, brow, lip, nostril or face-oval point. Left out: the nose's sides and the outer
# cheeks, which a modelling light shades by their shape (the real evenly lit photos read up to
# 1.5-3.4 stops there), and the jaw, which a turned head foreshortens.
SIDE_PAIRS = np.array([(22, 252), (23, 253), (24, 254), (26, 256), (27, 257), (36, 266), (56, 286), (69, 299),
                       (100, 329), (101, 330), (108, 337), (112, 341), (119, 348), (120, 349), (142, 371),
                       (190, 414), (203, 423), (205, 425), (206, 426), (223, 443), (229, 449), (230, 450),
                       (231, 451), (232, 452)])
# A pair whose skin turns more than ~72° from the camera (normal z < 0.3: a head turned far) reads
# its shape more than the light; without half of the pairs the sides are not compared.
SIDE_MIN_NZ = 0.3


@functools.cache
def _side_triangles() -> np.ndarray:
    """The face-mesh triangles that touch a :data:`SIDE_PAIRS` point: enough for those points'
    normals."""
    tri = L.triangles()
    return tri[np.isin(tri, SIDE_PAIRS).any(axis=1)]


def vertex_normal_z(points: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """How squarely the skin at mesh points ``idx`` faces the camera: the z component (toward the
    camera) of the area-weighted normal of the triangles around each point, from the landmarker's
    3-D points (x, y in px, z depth in about px). 1: facing the camera; 0: edge-on."""
    tri = _side_triangles()
    p = points[:, :3].astype(np.float64)
    a, b, c = p[tri[:, 0]], p[tri[:, 1]], p[tri[:, 2]]
    fn = np.cross(b - a, c - a)  # image x right, y down, z away: camera-facing normals have z < 0
    vn = np.zeros((len(points), 3))
    for j in range(3):
        np.add.at(vn, tri[:, j], fn)
    n = vn[idx]
    return -n[:, 2] / (np.linalg.norm(n, axis=1) + 1e-12)


def side_ratio_stops(a) -> tuple[float | None, np.ndarray]:
    """Light on the image-left side of the face over the image-right side, in stops (log2 of the
    linear luminance ratio; positive: left brighter): the median over mirror-image skin patches
    (each a mean over ~4 % of the face width), so a strand of hair or a spot on one patch does
    not decide. A turned or bowed head darkens its far side by its shape alone: each pair's ratio
    is divided by the one a frontal light would give (Lambert: the ratio of the two normals' z),
    so a frontal light on a turned head reads even. Pairs under hair or turned far from the camera
    are left out; None when fewer than half remain. Also returns the points of the darker side's
    patches (for the annotation)."""
    pts = a.face.points
    p = pts[:, :2]
    k = max(3, int(0.04 * a.face_width) | 1)
    ys, xs = a.face_box(k)
    lum = cv2.blur(a.L[ys, xs], (k, k))
    h, w = lum.shape
    q = np.round(p[SIDE_PAIRS.ravel()] - (xs.start, ys.start)).astype(int)
    q[:, 0], q[:, 1] = np.clip(q[:, 0], 0, w - 1), np.clip(q[:, 1], 0, h - 1)
    lstar = lum[q[:, 1], q[:, 0]].reshape(-1, 2).astype(np.float64)
    y = np.where(lstar > 8, ((lstar + 16) / 116) ** 3, lstar / 903.3)  # CIE L* → relative luminance
    nz = vertex_normal_z(pts, SIDE_PAIRS.ravel()).reshape(-1, 2)
    hair = a.hair[ys, xs][q[:, 1], q[:, 0]].reshape(-1, 2)
    keep = (nz.min(axis=1) >= SIDE_MIN_NZ) & (hair.max(axis=1) < 0.5)
    left_first = p[SIDE_PAIRS[:, 0], 0] < p[SIDE_PAIRS[:, 1], 0]
    lr = (np.log2(np.maximum(y[:, 0], 1e-4) / np.maximum(y[:, 1], 1e-4))
          - np.log2(np.maximum(nz[:, 0], SIDE_MIN_NZ) / np.maximum(nz[:, 1], SIDE_MIN_NZ)))
    lr = np.where(left_first, lr, -lr)
    if 2 * np.count_nonzero(keep) < len(SIDE_PAIRS):
        return None, np.empty((0, 2))
    stops = float(np.median(lr[keep]))
    dark_col = (1 if stops > 0 else 0) ^ (~left_first).astype(int)
    return stops, p[SIDE_PAIRS[keep, dark_col[keep]]]


@rule("lighting.evenness",
      title=("面部光照均匀（无阴阳脸、无光斑）", "Even light on the face (no half shadow, no hot spots)"),
      messages={
          "high": ("脸部左右明暗不均（阴阳脸，{side_zh}暗 {value} 档）。请从正面或两侧均匀打光。",
                   "one side of the face is darker than the other (the {side} side by {value} stops). Light the "
                   "face evenly from the front or both sides."),
          "hot": ("脸上有明显的反光/光斑（{hot}% 的皮肤过亮）。请使用柔光，减少油光。", "there are hot spots on the face ({hot}% of the skin is blown out). Use soft light and reduce shine."),
      })
def evenness(a: Analysis, lim: Limit) -> Measurement:
    # Side light (阴阳脸) as a light ratio between mirror-image patches of skin, in stops: a ratio
    # of light, so it means the same on dark and light skin (an L* difference does not: the same
    # shadow is 17 L* on light skin and 11 on dark), with what the head's turn explains by itself
    # divided out. Hot spots: blown-out shine on the skin.
    m = _skin(a)
    if m is None:
        return Measurement(None, status="skip")
    stops, dark_pts = side_ratio_stops(a)
    skin_l = a.L[m]
    med = float(np.median(skin_l))
    hot = float(np.mean((skin_l > med + 25) & (skin_l > 90)) * 100)
    side_stops = None if stops is None else round(abs(stops), 2)
    value = {"side_stops": side_stops, "hot_spots_pct": round(hot, 2)}
    # a head turned too far to compare its sides: only the hot spots are judged (pose.yaw fails it)
    st, side = lim.judge(abs(stops)) if stops is not None else ("pass", None)
    if st != "fail" and hot > float(lim.params.get("hot_max", 2.0)):
        st, side = "fail", "hot"
    dark_side = ("right", "右侧") if (stops or 0) > 0 else ("left", "左侧")  # of the image
    return Measurement(value, status=st, side=side,
                       fmt={"value": round(abs(stops or 0), 1), "hot": round(hot, 1), "side": f"image-{dark_side[0]}",
                            "side_zh": "画面" + dark_side[1]},
                       regions=(("points", [tuple(map(float, q)) for q in dark_pts]),) if st != "pass" and len(dark_pts) else ())


@rule("lighting.color_cast",
      title=("色彩真实（无偏色）", "True colours (no colour cast)"),
      messages={
          "low": ("照片偏色（偏红/偏品红，肤色色相 {value}°）。请在白光下拍摄，检查相机白平衡。", "the photo has a red/magenta cast (skin hue {value}°). Shoot under white light and check the white balance."),
          "high": ("照片偏色（偏黄绿/偏青，肤色色相 {value}°）。请在白光下拍摄，检查相机白平衡。", "the photo has a yellow-green/cyan cast (skin hue {value}°). Shoot under white light and check the white balance."),
      })
def color_cast(a: Analysis, lim: Limit) -> Measurement:
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
