"""Person rules, measured on the face in the 480×640 frame: eyes open and looking ahead, lips
closed (no teeth), head pose (yaw, pitch), glasses (tinted lenses, glare), hair over the brows,
ears visible, headwear, accessories and clothing against the background.

Every measurement is relative to the student's own face where colour matters (skin, lips, eye
surround are compared with the same face's skin), so that the values mean the same for every skin
tone; the fairness table in ``docs/accuracy.md`` checks that they do.

Derived values that several rules need (skin colour, lens regions, head rotation) are computed
once per analysis by :func:`_once` and stored on the analysis object.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import cv2
import numpy as np

from .. import landmarks as L
from ..color import delta_e2000, rgb_to_lab
from . import Measurement, rule

# -- shared derived values (computed once per analysis) ------------------------------------------


def _once(a, name: str, fn: Callable[[Any], Any]) -> Any:
    """Compute ``fn(a)`` once per analysis and keep it on the analysis (rules share it)."""
    key = "_person_" + name
    d = a.__dict__
    if key not in d:
        d[key] = fn(a)
    return d[key]


def _r(v: float | None, n: int = 3) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), n)


def _hull_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(m, cv2.convexHull(np.round(pts).astype(np.int32)), 1)
    return m.astype(bool)


def _rect(shape: tuple[int, int], x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
    """Row and column slices of a rectangle, rounded and clipped to the frame."""
    h, w = shape
    xa, xb = int(np.clip(round(min(x0, x1)), 0, w)), int(np.clip(round(max(x0, x1)), 0, w))
    ya, yb = int(np.clip(round(min(y0, y1)), 0, h)), int(np.clip(round(max(y0, y1)), 0, h))
    return slice(ya, yb), slice(xa, xb)


def _grow(win: tuple[slice, slice], shape: tuple[int, int], margin: int) -> tuple[slice, slice]:
    """A window grown by ``margin`` px, clipped to the frame (filters on it then match the frame)."""
    ys, xs = win
    return (slice(max(0, ys.start - margin), min(shape[0], ys.stop + margin)),
            slice(max(0, xs.start - margin), min(shape[1], xs.stop + margin)))


def _full(shape: tuple[int, int], win: tuple[slice, slice], m: np.ndarray) -> np.ndarray:
    """A window's mask placed in a frame-sized mask (for the annotated picture)."""
    out = np.zeros(shape, bool)
    out[win] = m
    return out


def _count(m: np.ndarray) -> int:
    return int(np.count_nonzero(m))  # ~6× faster than bool .sum()


def _share(shape: tuple[int, int], win: tuple[slice, slice], region: np.ndarray, hit: np.ndarray) -> tuple[float, np.ndarray]:
    """Share of the ``region`` pixels of window ``win`` that are ``hit`` (NaN under 20 pixels: too
    little to judge), and the frame mask to draw: the hits, or the region when it is too small."""
    n = _count(region)
    if n < 20:
        return float("nan"), _full(shape, win, region)
    hits = region & hit
    return _count(hits) / n, _full(shape, win, hits)


def _worst(values: list[float], pick) -> float:
    """The worse side (``np.nanmax`` or ``np.nanmin``), NaN when neither side could be judged."""
    return float("nan") if all(math.isnan(v) for v in values) else float(pick(values))


def skin_lab(a) -> np.ndarray:
    """Median Lab of the face skin (cheeks and below the brows, features excluded)."""

    def f(a):
        m = a.skin_mask
        if np.count_nonzero(m) < 50:
            m = a.face_mask
        return np.array([np.median(plane[m]) for plane in a.planes], np.float32)

    return _once(a, "skin_lab", f)


def skin_like(a, lim, win: tuple[slice, slice]) -> np.ndarray:
    """Pixels in the window ``win`` whose colour could be this face's skin: chroma (a*, b*)
    within ``skin_dab`` of the skin median and lightness within −``skin_dl_lo``…+``skin_dl_hi`` of
    it (shadowed ears, shiny foreheads and scalps still count as skin; hair, fabric and background
    do not). Computed on the window only: the rules ask about a brow band, an ear, the crown."""
    sk = skin_lab(a)
    L_, A, B = (plane[win] for plane in a.planes)
    d_l = L_ - sk[0]
    return ((cv2.magnitude(A - sk[1], B - sk[2]) < float(lim["skin_dab"]))
            & (d_l > -float(lim["skin_dl_lo"])) & (d_l < float(lim["skin_dl_hi"])))


def chroma(a) -> np.ndarray:
    return a.chroma


def head_angles(a) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the landmarker's facial transformation matrix.

    yaw > 0: the face turns toward the image right; pitch > 0: chin down (looking down).
    """

    def f(a):
        r = np.asarray(a.face.matrix, dtype=np.float64)[:3, :3]
        r = r / np.linalg.norm(r[:, 0])
        pitch = math.degrees(math.atan2(-r[1, 2], r[2, 2]))
        yaw = math.degrees(math.asin(float(np.clip(r[0, 2], -1.0, 1.0))))
        roll = math.degrees(math.atan2(-r[0, 1], r[0, 0]))
        return yaw, pitch, roll

    return _once(a, "angles", f)


EYES = ((L.RIGHT_EYE, L.RIGHT_IRIS, 33, 133, ((160, 144), (159, 145), (158, 153))),
        (L.LEFT_EYE, L.LEFT_IRIS, 263, 362, ((387, 373), (386, 374), (385, 380))))


# Where a spectacle lens sits: the eye opening scaled about its centre (width, height). Geometry of
# the region measured, not a limit.
LENS_SCALE = np.array([1.5, 2.6])


def lens_masks(a) -> list[np.ndarray]:
    """Per eye: where a spectacle lens would be (the eye opening scaled by ``LENS_SCALE``)."""

    def f(a):
        p = a.face.points
        shape = a.rgb.shape[:2]
        out = []
        for idx, *_ in EYES:
            q = p[idx, :2]
            c = q.mean(axis=0)
            out.append(_hull_mask(shape, c + (q - c) * LENS_SCALE))
        return out

    return _once(a, "lens", f)


def eye_masks(a) -> list[np.ndarray]:
    return _once(a, "eyes", lambda a: [a.polygon_mask(idx) for idx, *_ in EYES])


# -- eyes ----------------------------------------------------------------------------------------


def eye_openness(a) -> tuple[float, float]:
    """Lid opening / eye width for each eye (mean of three lid pairs): ~0.3 open, < 0.12 closed."""
    p = a.face.points
    out = []
    for _, _, c1, c2, pairs in EYES:
        width = float(np.linalg.norm(p[c1, :2] - p[c2, :2])) or 1.0
        out.append(float(np.mean([np.linalg.norm(p[u, :2] - p[d, :2]) for u, d in pairs])) / width)
    return out[0], out[1]


def gaze_offset(a) -> float:
    """Where the irises sit between the eye corners, averaged over both eyes: 0 = centred,
    ±0.5 = at a corner. Positive: looking toward the image right."""
    p = a.face.points
    vals = []
    for _, iris, c1, c2, _ in EYES:
        a0, b0 = p[c1, :2], p[c2, :2]
        if a0[0] > b0[0]:
            a0, b0 = b0, a0
        v = b0 - a0
        t = float(np.dot(p[iris[0], :2] - a0, v) / max(np.dot(v, v), 1e-6))
        vals.append(t - 0.5)
    return float(np.mean(vals))


@rule("eyes.open",
      title=("双眼自然睁开、平视前方", "Eyes open, looking straight ahead"),
      messages={
          "low": ("眼睛没有完全睁开（开合度 {open}，闭眼约 0.1 以下）。请自然睁大双眼再拍。",
                  "the eyes are not fully open (opening {open}; closed is below about 0.1). Open both eyes naturally and retake."),
          "gaze": ("眼睛没有平视镜头（瞳孔偏向一侧 {gaze}）。请直视镜头。",
                   "the eyes are not looking at the camera (irises off-centre by {gaze}). Look straight into the lens."),
      })
def eyes_open(a, lim):
    o_r, o_l = eye_openness(a)
    opening = min(o_r, o_l)
    gaze = gaze_offset(a)
    value = {"open": _r(opening), "right": _r(o_r), "left": _r(o_l), "gaze": _r(gaze)}
    status, side = lim.judge(opening)
    if status == "pass" and abs(gaze) > lim["gaze_warn"]:
        status, side = "warn", "gaze"
    regions = tuple(("mask", m) for m in eye_masks(a))
    return Measurement(value, status=status, side=side, regions=regions,
                       fmt={"open": _r(opening, 2), "gaze": _r(gaze, 2)})


# -- mouth ----------------------------------------------------------------------------------------

def mouth_measures(a, lim) -> dict[str, float]:
    """Lip opening (inner-lip gap / mouth width) and visible teeth (share of mouth width²).

    Teeth are pixels inside the inner-lip outline that are clearly lighter than the student's own
    lips and much less coloured than them: relative to the lips, so the same for every skin tone.
    """
    p = a.face.points
    shape = a.rgb.shape[:2]
    mw = float(np.linalg.norm(p[61, :2] - p[291, :2])) or 1.0
    gap = float(np.linalg.norm(p[13, :2] - p[14, :2])) / mw
    inner = np.zeros(shape, np.uint8)
    cv2.fillPoly(inner, [np.round(p[L.INNER_LIPS, :2]).astype(np.int32)], 1)
    outer = np.zeros(shape, np.uint8)
    cv2.fillPoly(outer, [np.round(p[L.LIPS, :2]).astype(np.int32)], 1)
    lips = (outer > 0) & (inner == 0)
    lab_l, c = a.L, chroma(a)
    if np.count_nonzero(lips) < 10:
        return {"opening": gap, "teeth": 0.0, "teeth_mask": np.zeros(shape, bool)}
    lip_l = float(np.median(lab_l[lips]))
    lip_c = float(np.median(c[lips]))
    inn = cv2.dilate(inner, np.ones((3, 3), np.uint8)) > 0
    teeth = inn & (lab_l > lip_l + lim["teeth_dl"]) & (c < lim["teeth_chroma"] * lip_c)
    return {"opening": gap, "teeth": np.count_nonzero(teeth) / mw ** 2, "teeth_mask": teeth}


@rule("mouth.closed",
      title=("嘴唇自然闭合、笑不露齿", "Lips closed, no teeth showing"),
      messages={
          "teeth": ("露出了牙齿（牙齿面积 {teeth}）。请自然闭合嘴唇，可以微笑但不要露齿。",
                    "teeth are showing (teeth area {teeth}). Close the lips naturally; a smile is fine, but without teeth."),
          "high": ("嘴巴张开（唇间开口 {opening}）。请自然闭合嘴唇。",
                   "the mouth is open (lip gap {opening}). Close the lips naturally."),
      })
def mouth_closed(a, lim):
    m = mouth_measures(a, lim)
    value = {"opening": _r(m["opening"]), "teeth": _r(m["teeth"], 4)}
    if m["teeth"] >= lim["teeth_max"]:
        status, side = "fail", "teeth"
    else:
        status, side = lim.judge(m["opening"])
    return Measurement(value, status=status, side=side, regions=(("mask", m["teeth_mask"]),),
                       fmt={"opening": _r(m["opening"], 2), "teeth": _r(m["teeth"], 3)})


# -- head pose --------------------------------------------------------------------------------------


@rule("pose.yaw",
      title=("正面朝向镜头（不转头）", "Facing the camera (no head turn)"),
      messages={
          "low": ("头部向一侧转动了 {abs}°（向画面左侧）。请正对镜头。", "the head is turned {abs}° (toward the image left). Face the camera squarely."),
          "high": ("头部向一侧转动了 {abs}°（向画面右侧）。请正对镜头。", "the head is turned {abs}° (toward the image right). Face the camera squarely."),
      })
def yaw(a, lim):
    y = head_angles(a)[0]
    return Measurement(_r(y, 1), fmt={"abs": _r(abs(y), 1)})


@rule("pose.pitch",
      title=("不抬头、不低头", "Head not tilted up or down"),
      messages={
          "low": ("头部上仰约 {abs}°。请收下巴，平视镜头。", "the head is tilted up by about {abs}°. Lower the chin and look straight at the camera."),
          "high": ("头部低下约 {abs}°。请抬头，平视镜头。", "the head is tilted down by about {abs}°. Raise the head and look straight at the camera."),
      })
def pitch(a, lim):
    # The landmarker's pitch has a per-model offset; "offset" is its median on frontal studio
    # portraits (London neutral set), so 0 means the head is level.
    v = head_angles(a)[1] - lim["offset"]
    return Measurement(_r(v, 1), fmt={"abs": _r(abs(v), 1)})


# -- glasses --------------------------------------------------------------------------------------


def lens_darkness(a) -> tuple[float, float, float]:
    """(ratio, right, left): median lightness around each eye (lens area minus the eye opening)
    divided by the face's skin lightness; the darker eye counts. ~0.5–1 bare eyes, ~0.1 sunglasses."""

    def f(a):
        skin_l = max(float(skin_lab(a)[0]), 1.0)
        vals = []
        for lens, eye in zip(lens_masks(a), eye_masks(a)):
            ring = lens & ~eye
            if np.count_nonzero(ring) < 10:
                vals.append(float("nan"))
                continue
            vals.append(float(np.median(a.L[ring])) / skin_l)
        return float(np.nanmin(vals)), vals[0], vals[1]

    return _once(a, "lens_dark", f)


@rule("glasses.tinted",
      title=("不戴有色眼镜、镜片不遮挡眼睛", "No tinted glasses; eyes not covered"),
      messages={
          "low": ("眼睛周围明显发暗（亮度只有肤色的 {pct}%），像是戴了墨镜或有色镜片。请摘下有色眼镜，露出双眼。",
                  "the area around the eyes is very dark ({pct}% of the skin lightness), like sunglasses or tinted lenses. Take off tinted glasses so the eyes are clearly visible."),
      })
def tinted(a, lim):
    ratio, r, l = lens_darkness(a)
    return Measurement(_r(ratio), fmt={"pct": round(100 * ratio)},
                       regions=tuple(("mask", m) for m in lens_masks(a)))


@rule("glasses.glare",
      title=("眼镜片无反光", "No glare on glasses"),
      messages={
          "high": ("眼睛/镜片区域有强烈反光（{value}% 的镜片面积）。请调整灯光角度或略微低头，避免镜片反光。",
                   "strong reflections on the glasses ({value}% of the lens area). Move the lights or tilt the glasses slightly so the lenses do not reflect."),
      })
def glare(a, lim):
    skin = a.L[a.skin_mask] if _count(a.skin_mask) >= 50 else a.L[a.face_mask]
    # Specular = near-white, much lighter than the brightest skin: a lamp mirrored in a lens.
    thr = max(lim["white_l"], float(np.percentile(skin, 99)) + lim["above_skin"])
    lens = lens_masks(a)[0] | lens_masks(a)[1]
    x, y, w, h = cv2.boundingRect(lens.view(np.uint8))
    if w == 0 or h == 0:  # both lenses outside the frame: nothing to reflect
        return Measurement(0.0, regions=(("mask", lens),))
    win = (slice(y, y + h), slice(x, x + w))  # every lens pixel: the same blobs as on the frame
    lw = lens[win]
    spec = (lw & (a.L[win] >= thr) & (a.chroma[win] < lim["white_chroma"])).astype(np.uint8)
    # catchlights in the pupils are tiny: keep blobs bigger than `min_blob` of the lens area
    n, lab_img, stats, _ = cv2.connectedComponentsWithStats(spec, connectivity=8)
    area = float(_count(lw)) or 1.0
    big = stats[1:, cv2.CC_STAT_AREA] >= lim["min_blob"] * area
    keep = np.isin(lab_img, 1 + np.flatnonzero(big))
    pct = 100.0 * _count(keep) / area
    return Measurement(_r(pct, 2), regions=(("mask", _full(lens.shape, win, keep)),))


# -- hair, ears, headwear -----------------------------------------------------------------------------


def brow_cover(a, lim) -> tuple[float, float, float, list[np.ndarray]]:
    """Share of the forehead band just above each eyebrow that is not skin-coloured (hair over
    the brow). The band spans ``band_lo``…``band_hi`` × the brow–eye distance above the brow top."""
    p = a.face.points
    shape = a.rgb.shape[:2]
    out, masks = [], []
    for brow, (_, iris, *_rest) in zip((L.RIGHT_BROW, L.LEFT_BROW), EYES):
        q = p[brow, :2]
        top = float(q[:, 1].min())
        dist = max(float(p[iris[0], 1]) - top, 4.0)
        win = _rect(shape, q[:, 0].min(), top - lim["band_hi"] * dist, q[:, 0].max(), top - lim["band_lo"] * dist)
        v, m = _share(shape, win, a.face_mask[win], ~skin_like(a, lim, win))
        out.append(v)
        masks.append(m)
    return _worst(out, np.nanmax), out[0], out[1], masks


@rule("hair.eyebrows",
      title=("头发不遮挡眉毛和眼睛", "Hair clear of the eyebrows and eyes"),
      messages={
          "high": ("头发遮住了眉毛（眉毛上方 {pct}% 不是皮肤）。请把刘海梳上去或别到一边，露出眉毛和眼睛。",
                   "hair covers the eyebrows ({pct}% of the band above the brows is not skin). Comb the fringe up or aside so the brows and eyes show."),
      })
def hair_eyebrows(a, lim):
    v, r, l, masks = brow_cover(a, lim)
    return Measurement(_r(v), fmt={"pct": round(100 * v)}, regions=tuple(("mask", m) for m in masks))


def ear_skin(a, lim) -> tuple[float, float, float, list[np.ndarray]]:
    """Per side: share of the region beside the cheek (eye to nose-base height) that is skin-coloured
    person. An ear shows as skin there; hair over the ear does not."""
    p = a.face.points
    shape = a.rgb.shape[:2]
    fw = a.face_width
    y0 = float(min(p[L.RIGHT_IRIS[0], 1], p[L.LEFT_IRIS[0], 1]))
    y1 = float(p[2, 1])  # nose base
    out, masks = [], []
    for edge, sign in ((L.RIGHT_CHEEK_EDGE, -1), (L.LEFT_CHEEK_EDGE, 1)):
        # the face edge at ear height, then outward by `width` × face width
        rows = p[[edge], :2][0]
        x_edge = float(rows[0])
        x_far = x_edge + sign * lim["width"] * fw
        win = _rect(shape, x_edge + sign * lim["gap"] * fw, y0, x_far, y1)
        # skin-coloured person, not background
        v, m = _share(shape, win, ~a.face_mask[win], skin_like(a, lim, win) & (a.person[win] >= 0.5))
        out.append(v)
        masks.append(m)
    return _worst(out, np.nanmin), out[0], out[1], masks


@rule("ears.visible",
      title=("双耳露出", "Both ears visible"),
      messages={
          "low": ("看不到{which}耳朵（耳部区域只有 {pct}% 是皮肤）。请把头发别到耳后，露出双耳。",
                  "the {which_en} ear is not visible (only {pct}% of the ear area is skin). Put the hair behind the ears so both ears show."),
      })
def ears_visible(a, lim):
    v, r, l, masks = ear_skin(a, lim)
    if math.isnan(v):
        return Measurement(None, status="skip")
    r_, l_ = (1.0 if math.isnan(r) else r), (1.0 if math.isnan(l) else l)
    which = ("画面左侧的", "image-left") if r_ <= l_ else ("画面右侧的", "image-right")
    if max(r_, l_) < (lim.warn_min or lim.min or 0):
        which = ("两侧的", "both")
    return Measurement(_r(v), fmt={"pct": round(100 * v), "which": which[0], "which_en": which[1]},
                       regions=tuple(("mask", m) for m in masks))


def crown_cover(a, lim) -> tuple[float, float, np.ndarray]:
    """Headwear: the share of the crown (head top down to the top of the forehead, centre of the
    head) covered by something that is neither skin nor hair.

    Hair is the median colour of the darker ``hair_pct`` % of the crown; a hat, cap or band shows
    as rows where most pixels differ from that hair by more than ``hair_de`` and are not skin.
    Returns (share of crown rows covered, longest covered run as a share of the crown, mask)."""
    p = a.face.points
    shape = a.rgb.shape[:2]
    fw, cx = a.face_width, a.face_cx
    top = a.head_top
    fore = float(p[L.FOREHEAD_TOP, 1])
    if math.isnan(top) or fore - top < 8:
        return 0.0, 0.0, np.zeros(shape, bool)
    # skip the outline itself (soft mask edge, background between strands): start a little lower
    # and keep only sure person pixels
    top = top + lim["skip_top"] * (fore - top)
    win = _rect(shape, cx - lim["half_width"] * fw, top, cx + lim["half_width"] * fw, fore)
    # erode on the window plus the kernel radius: the same "sure" pixels as eroding the frame
    big = _grow(win, shape, 2)
    sure = cv2.erode((a.person[big] >= 0.8).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    crown = sure[win[0].start - big[0].start: win[0].stop - big[0].start,
                 win[1].start - big[1].start: win[1].stop - big[1].start]
    if _count(crown) < 50:
        return 0.0, 0.0, np.zeros(shape, bool)
    px = np.stack([plane[win][crown] for plane in a.planes], axis=1)
    l = px[:, 0]
    dark = px[l <= np.percentile(l, lim["hair_pct"])]
    hair = np.array([np.median(dark[:, k]) for k in range(3)], np.float32)
    foreign = np.zeros(crown.shape, bool)
    foreign[crown] = (delta_e2000(px, hair) > lim["hair_de"]) & ~skin_like(a, lim, win)[crown]
    rows = crown.any(axis=1)
    frac = np.zeros(crown.shape[0])
    cnt = np.count_nonzero(crown, axis=1)
    frac[rows] = np.count_nonzero(foreign, axis=1)[rows] / cnt[rows]
    covered = rows & (frac >= 0.5)
    n_rows = _count(rows)
    return _count(covered) / n_rows, _longest_run(covered[rows]) / n_rows, _full(shape, win, foreign)


def _longest_run(flags: np.ndarray) -> int:
    """Length of the longest run of True in a 1-D bool array (vectorised)."""
    if not flags.any():
        return 0
    edges = np.diff(np.r_[0, flags.astype(np.int8), 0])
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


@rule("headwear",
      title=("不戴帽子或头饰", "No hat or head covering"),
      messages={
          "high": ("头顶有帽子或头饰（覆盖头顶 {pct}%）。请摘下帽子/头巾后再拍（宗教或医疗用头巾不能遮挡面部或投下阴影）。",
                   "something covers the top of the head ({pct}% of the crown), like a hat or scarf. Take it off (religious or medical coverings must not cover the face or cast shadows)."),
          "band": ("头顶有发箍或头带（覆盖头顶 {pct}%）。建议摘下。",
                   "a headband or hair band is on the head ({pct}% of the crown). Better take it off."),
      })
def headwear(a, lim):
    share, run, mask = crown_cover(a, lim)
    value = {"cover": _r(share), "run": _r(run)}
    # Warn only: one real hat in the labelled photos is too little evidence to fail anyone
    # (docs/accuracy.md); "hat_cover" marks a covered crown, warn_max a band across it.
    if share >= lim["hat_cover"]:
        status, side = "warn", "high"
    elif share > lim.warn_max:
        status, side = "warn", "band"
    else:
        status, side = "pass", None
    return Measurement(value, status=status, side=side, fmt={"pct": round(100 * share)},
                       regions=(("mask", mask),))


# -- accessories and clothing ----------------------------------------------------------------------


def jewellery(a, lim) -> tuple[float, np.ndarray]:
    """Earrings: bright, shiny blobs beside the jaw below the ears (nose base to chin height, from
    just inside the face edge outward). Value: blob area / face width² × 1000.

    Necklaces are not measured: a white collar or T-shirt neckline looks the same to colour
    statistics (see docs/accuracy.md)."""
    p = a.face.points
    shape = a.rgb.shape[:2]
    fw = a.face_width
    nose_y, chin_y = float(p[2, 1]), float(p[L.CHIN, 1])
    low_y = nose_y + lim["depth"] * (chin_y - nose_y)  # earrings hang about to the mouth; collars start lower
    rects = [_rect(shape, float(p[e, 0]) - s * lim["inside"] * fw, nose_y, float(p[e, 0]) + s * lim["outside"] * fw, low_y)
             for e, s in ((L.RIGHT_CHEEK_EDGE, -1), (L.LEFT_CHEEK_EDGE, 1))]
    # one window over both rectangles, plus the opening's reach: the same blobs as on the frame
    win = _grow((slice(min(r[0].start for r in rects), max(r[0].stop for r in rects)),
                 slice(min(r[1].start for r in rects), max(r[1].stop for r in rects))), shape, 2)
    regions = np.zeros(shape, bool)
    for r in rects:
        regions[r] = True
    regions = regions[win] & ~a.face_mask[win] & (a.person[win] >= 0.5)
    skin_l = float(skin_lab(a)[0])
    shiny = regions & (a.L[win] >= max(lim["shine_l"], skin_l + lim["above_skin"])) & (a.chroma[win] < lim["shine_chroma"])
    shiny = cv2.morphologyEx(shiny.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)) > 0
    return 1000.0 * _count(shiny) / fw ** 2, _full(shape, win, shiny)


@rule("accessories",
      title=("不戴耳环、项链等饰品", "No earrings, necklaces or jewellery"),
      messages={
          "high": ("耳垂附近可能有耳环等首饰（发亮区域 {value}）。请摘下耳环、项链等饰品。",
                   "there may be earrings or other jewellery by the ears (shiny area {value}). Take off earrings, necklaces and other jewellery."),
      })
def accessories(a, lim):
    v, mask = jewellery(a, lim)
    return Measurement(_r(v, 2), regions=(("mask", mask),))


def clothes_region(a, lim) -> np.ndarray:
    p = a.face.points
    chin_y = float(p[L.CHIN, 1])
    h = a.rgb.shape[0]
    m = np.zeros(a.rgb.shape[:2], bool)
    y0 = int(min(h, chin_y + lim["below_chin"] * a.face_width))
    # not neck or bare shoulders; erode from 2 rows above so the cut edge matches the frame's
    ya = max(0, y0 - 2)
    part = (a.person[ya:] >= 0.6) & ~skin_like(a, lim, (slice(ya, None), slice(None)))
    part[: y0 - ya] = False
    m[ya:] = cv2.erode(part.view(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return m


@rule("clothing.contrast",
      title=("服装与背景颜色区分明显、无复杂图案", "Clothes differ from the background; no busy patterns"),
      messages={
          "low": ("服装颜色和背景太接近（色差 ΔE {de}）。请换一件与背景颜色明显不同的衣服。",
                  "the clothes are too close to the background colour (ΔE {de}). Wear clothes clearly different from the background."),
          "none": ("画面中几乎看不到衣服，未检查。", "almost no clothing is visible in the frame; not checked."),
          "pattern": ("服装图案/条纹较复杂（纹理 {pattern}）。建议穿纯色衣服。",
                      "the clothes have a busy pattern or stripes (texture {pattern}). Plain clothes are better."),
      })
def clothing(a, lim):
    m = clothes_region(a, lim)
    n = _count(m)
    if n < lim["min_pixels"]:
        return Measurement(None, status="skip", side="none")  # no clothes in the frame
    bg = rgb_to_lab(np.array(a.spec.background_rgb, np.uint8))
    step = max(1, n // 5000)  # a quartile needs no more than ~5k pixels
    lab = np.stack([plane[m][::step] for plane in a.planes], axis=1)
    # the ΔE of the quarter of the clothes closest to the background colour
    de = delta_e2000(lab, bg)
    near = float(np.percentile(de, 25))
    # busy pattern: strong edges inside the clothes (smooth folds are weak edges); filtered on the
    # clothes' bounding box (+ a margin for the filters) instead of the whole frame
    x, y, bw, bh = cv2.boundingRect(m.astype(np.uint8))
    h, w = m.shape
    x0, y0, x1, y1 = max(0, x - 6), max(0, y - 6), min(w, x + bw + 6), min(h, y + bh + 6)
    g = cv2.GaussianBlur(a.L[y0:y1, x0:x1], (0, 0), 1.0)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    edges = cv2.magnitude(gx, gy)[m[y0:y1, x0:x1]] > lim["edge"]
    pattern = float(edges.mean())
    value = {"de": _r(near, 1), "pattern": _r(pattern)}
    status, side = lim.judge(near)
    if status == "pass" and pattern > lim["pattern_warn"]:
        status, side = "warn", "pattern"
    return Measurement(value, status=status, side=side, fmt={"de": _r(near, 1), "pattern": _r(pattern, 2)},
                       regions=(("mask", m),))
