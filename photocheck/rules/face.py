"""Rules on the parts of the face, measured in the 480×640 frame: eyes open and looking ahead, lips
closed with no teeth showing, head pose (yaw, pitch), glasses (tinted lenses, glare).

Colour is judged against the student's own face (lips against teeth, skin against the area around
the eyes), so a value means the same for every skin tone; the fairness table in
``docs/accuracy.md`` checks that it does. Values two rules share live on the analysis
(``a.skin_lab``, ``a.pose_angles``, ``a.eye_masks``, ``a.lens_masks``).
"""

from __future__ import annotations

import cv2
import numpy as np

from .. import landmarks as L
from . import Analysis, Limit, Measurement, rule
from .detail import fails_sharpness
from .regions import count, full, r

EYES = ((L.RIGHT_EYE, L.RIGHT_IRIS, 33, 133, ((160, 144), (159, 145), (158, 153))),
        (L.LEFT_EYE, L.LEFT_IRIS, 263, 362, ((387, 373), (386, 374), (385, 380))))


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
def eyes_open(a: Analysis, lim: Limit) -> Measurement:
    o_r, o_l = eye_openness(a)
    opening = min(o_r, o_l)
    gaze = gaze_offset(a)
    value = {"open": r(opening), "right": r(o_r), "left": r(o_l), "gaze": r(gaze)}
    status, side = lim.judge(opening)
    if status == "pass" and abs(gaze) > lim["gaze_warn"]:
        status, side = "warn", "gaze"
    regions = tuple(("mask", m) for m in a.eye_masks)
    return Measurement(value, status=status, side=side, regions=regions,
                       fmt={"open": r(opening, 2), "gaze": r(gaze, 2)})


# -- mouth ----------------------------------------------------------------------------------------

def mouth_measures(a, lim) -> dict:
    """Lip opening (inner-lip gap / mouth width) and visible teeth.

    Teeth are pixels between the lips that are clearly lighter than the student's own lips and much
    less coloured than them (or, next to dark lips that are themselves nearly grey, far lighter and
    near-grey): relative to the lips, so the same for every skin tone. "Between the
    lips" is the inner-lip outline plus a thin band (± ``edge_band`` × mouth width) along the line
    where the lips meet, over the middle ``edge_width`` of the mouth: when lips part only slightly the
    mesh's inner outline is a sliver, and the edge of the teeth shows along that line.
    Returns ``opening``, ``teeth`` (area / mouth width²), ``span`` (share of the mouth width with a
    tooth pixel in its column) and ``mask``.
    """
    p = a.face.points
    shape = a.rgb.shape[:2]
    mw = float(np.linalg.norm(p[61, :2] - p[291, :2])) or 1.0
    gap = float(np.linalg.norm(p[13, :2] - p[14, :2])) / mw
    pad = int(max(2.0, lim["edge_band"] * mw)) + 2
    # everything below happens in a window around the lips
    lo, hi = np.floor(p[L.LIPS, :2].min(axis=0)) - pad, np.ceil(p[L.LIPS, :2].max(axis=0)) + pad
    win = (slice(int(max(0, lo[1])), int(min(shape[0], hi[1]))), slice(int(max(0, lo[0])), int(min(shape[1], hi[0]))))
    off = np.array([win[1].start, win[0].start], np.float32)
    size = (win[0].stop - win[0].start, win[1].stop - win[1].start)
    empty = {"opening": gap, "teeth": 0.0, "span": 0.0, "mask": np.zeros(shape, bool)}
    if min(size) < 3:
        return empty
    inner = np.zeros(size, np.uint8)
    cv2.fillPoly(inner, [np.round(p[L.INNER_LIPS, :2] - off).astype(np.int32)], 1)
    outer = np.zeros(size, np.uint8)
    cv2.fillPoly(outer, [np.round(p[L.LIPS, :2] - off).astype(np.int32)], 1)
    lips = (outer > 0) & (inner == 0)
    lab_l, c = a.L[win], a.chroma[win]
    if count(lips) < 10:
        return empty
    # the lighter of the two lips is the yardstick: a pale lower lip next to a dark upper lip is
    # still lip, not teeth (its own median is the bar it must clear)
    upper = lips & (np.arange(size[0])[:, None] < np.interp(np.arange(size[1]), *by_x(p[L.UPPER_INNER_LIP, :2] - off))[None, :] + 0.5)
    halves = [m for m in (upper, lips & ~upper) if count(m) >= 5] or [lips]
    lip_l = max(float(np.median(lab_l[m])) for m in halves)
    lip_c = float(np.median(c[lips]))
    between = cv2.dilate(inner, np.ones((3, 3), np.uint8))
    # the band along the meeting line: the midline of the inner lips, shifted up and down
    mid = (p[L.UPPER_INNER_LIP, :2] + p[L.LOWER_INNER_LIP, :2]) / 2 - off
    cx = float(mid[:, 0].mean())
    keep = np.abs(mid[:, 0] - cx) <= lim["edge_width"] * mw / 2
    if np.count_nonzero(keep) >= 2:
        half = max(1.0, lim["edge_band"] * mw)
        band = np.vstack([mid[keep] - (0, half), (mid[keep] + (0, half))[::-1]])
        cv2.fillPoly(between, [np.round(band).astype(np.int32)], 1)
    # Teeth are much less coloured than pink or red lips; dark lips are nearly as grey as teeth, so
    # there a tooth is one far lighter than the lips and near-grey in absolute terms.
    lighter = lab_l > lip_l + lim["teeth_dl"]
    greyer = (c < lim["teeth_chroma"] * lip_c) | ((lab_l > lip_l + 2 * lim["teeth_dl"]) & (c < lim["teeth_grey"]))
    teeth = (between > 0) & lighter & greyer
    span = count(teeth.any(axis=0)) / mw
    return {"opening": gap, "teeth": count(teeth) / mw ** 2, "span": span, "mask": full(shape, win, teeth)}


def by_x(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of a polyline (N×2) sorted by x, for ``np.interp(xs, *by_x(pts))``."""
    order = np.argsort(pts[:, 0])
    return pts[order, 0], pts[order, 1]


@rule("mouth.closed",
      title=("嘴唇自然闭合、笑不露齿", "Lips closed, no teeth showing"),
      messages={
          "teeth": ("露出了牙齿（牙齿面积 {teeth}）。请自然闭合嘴唇，可以微笑但不要露齿。",
                    "teeth are showing (teeth area {teeth}). Close the lips naturally; a smile is fine, but without teeth."),
          "edge": ("双唇微张，露出了牙齿边缘（横跨嘴宽的 {span}%）。请自然闭合嘴唇。",
                   "the lips are slightly apart and the edge of the teeth shows (across {span}% of the mouth). Close the lips naturally."),
          "high": ("嘴巴张开（唇间开口 {opening}）。请自然闭合嘴唇。",
                   "the mouth is open (lip gap {opening}). Close the lips naturally."),
          "blurred": ("嘴巴可能张开（唇间开口 {opening}），但照片太模糊，无法确定。重拍清晰照片时请自然闭合嘴唇。",
                      "the mouth may be open (lip gap {opening}), but the photo is too blurred to be sure. In the "
                      "sharp retake, close the lips naturally."),
      })
def mouth_closed(a: Analysis, lim: Limit) -> Measurement:
    m = mouth_measures(a, lim)
    value = {"opening": r(m["opening"]), "teeth": r(m["teeth"], 4), "span": r(m["span"])}
    if m["teeth"] >= lim["teeth_max"]:
        status, side = "fail", "teeth"
    elif fails_sharpness(a):
        # a blurred lip line reads as a gap (closed London mouths read 0.05–0.21 when shaken or
        # defocused): only a wider gap fails, a narrower one over the limit is a "maybe"
        if m["opening"] > lim["blurred_max"]:
            status, side = "fail", "high"
        elif lim.max is not None and m["opening"] > lim.max:
            status, side = "warn", "blurred"
        else:
            status, side = "pass", None
    elif m["opening"] >= lim["parted"] and m["teeth"] >= lim["edge_teeth"] and m["span"] >= lim["edge_span"]:
        status, side = "fail", "edge"  # a thin line of teeth between slightly parted lips
    else:
        status, side = lim.judge(m["opening"])
    return Measurement(value, status=status, side=side, regions=(("mask", m["mask"]),),
                       fmt={"opening": r(m["opening"], 2), "teeth": r(m["teeth"], 3), "span": round(100 * m["span"])})


# -- head pose --------------------------------------------------------------------------------------


@rule("pose.yaw",
      title=("正面朝向镜头（不转头）", "Facing the camera (no head turn)"),
      messages={
          "low": ("头部向一侧转动了 {abs}°（向画面左侧）。请正对镜头。", "the head is turned {abs}° (toward the image left). Face the camera squarely."),
          "high": ("头部向一侧转动了 {abs}°（向画面右侧）。请正对镜头。", "the head is turned {abs}° (toward the image right). Face the camera squarely."),
      })
def yaw(a: Analysis, lim: Limit) -> Measurement:
    y = a.pose_angles[0]
    return Measurement(r(y, 1), fmt={"abs": r(abs(y), 1)})


@rule("pose.pitch",
      title=("不抬头、不低头", "Head not tilted up or down"),
      messages={
          "low": ("头部上仰约 {abs}°。请收下巴，平视镜头。", "the head is tilted up by about {abs}°. Lower the chin and look straight at the camera."),
          "high": ("头部低下约 {abs}°。请抬头，平视镜头。", "the head is tilted down by about {abs}°. Raise the head and look straight at the camera."),
      })
def pitch(a: Analysis, lim: Limit) -> Measurement:
    # The landmarker's pitch has a per-model offset; "offset" is its median on frontal studio
    # portraits (London neutral set), so 0 means the head is level.
    v = a.pose_angles[1] - lim["offset"]
    return Measurement(r(v, 1), fmt={"abs": r(abs(v), 1)})


# -- glasses --------------------------------------------------------------------------------------


def lens_darkness(a) -> tuple[float, float, float]:
    """(ratio, right, left): median lightness around each eye (lens area minus the eye opening)
    divided by the face's skin lightness; the darker eye counts. ~0.5–1 bare eyes, ~0.1 sunglasses."""
    skin_l = max(float(a.skin_lab[0]), 1.0)
    vals = []
    for lens, eye in zip(a.lens_masks, a.eye_masks):
        ring = lens & ~eye
        if count(ring) < 10:
            vals.append(float("nan"))
            continue
        vals.append(float(np.median(a.L[ring])) / skin_l)
    return float(np.nanmin(vals)), vals[0], vals[1]


@rule("glasses.tinted",
      title=("不戴有色眼镜、镜片不遮挡眼睛", "No tinted glasses; eyes not covered"),
      messages={
          "low": ("眼睛周围明显发暗（亮度只有肤色的 {pct}%），像是戴了墨镜或有色镜片。请摘下有色眼镜，露出双眼。",
                  "the area around the eyes is very dark ({pct}% of the skin lightness), like sunglasses or tinted lenses. Take off tinted glasses so the eyes are clearly visible."),
      })
def tinted(a: Analysis, lim: Limit) -> Measurement:
    ratio = lens_darkness(a)[0]
    return Measurement(r(ratio), fmt={"pct": round(100 * ratio)},
                       regions=tuple(("mask", m) for m in a.lens_masks))


@rule("glasses.glare",
      title=("眼镜片无反光", "No glare on glasses"),
      messages={
          "high": ("眼睛/镜片区域有强烈反光（{value}% 的镜片面积）。请调整灯光角度或略微低头，避免镜片反光。",
                   "strong reflections on the glasses ({value}% of the lens area). Move the lights or tilt the glasses slightly so the lenses do not reflect."),
      })
def glare(a: Analysis, lim: Limit) -> Measurement:
    skin = a.L[a.skin_mask] if count(a.skin_mask) >= 50 else a.L[a.face_mask]
    # Specular = near-white, much lighter than the brightest skin: a lamp mirrored in a lens.
    thr = max(lim["white_l"], float(np.percentile(skin, 99)) + lim["above_skin"])
    lens = a.lens_masks[0] | a.lens_masks[1]
    x, y, w, h = cv2.boundingRect(lens.view(np.uint8))
    if w == 0 or h == 0:  # both lenses outside the frame: nothing to reflect
        return Measurement(0.0, regions=(("mask", lens),))
    win = (slice(y, y + h), slice(x, x + w))  # every lens pixel: the same blobs as on the frame
    lw = lens[win]
    spec = (lw & (a.L[win] >= thr) & (a.chroma[win] < lim["white_chroma"])).astype(np.uint8)
    # catchlights in the pupils are tiny: keep blobs bigger than `min_blob` of the lens area
    n, lab_img, stats, _ = cv2.connectedComponentsWithStats(spec, connectivity=8)
    area = float(count(lw)) or 1.0
    big = stats[1:, cv2.CC_STAT_AREA] >= lim["min_blob"] * area
    keep = np.isin(lab_img, 1 + np.flatnonzero(big))
    pct = 100.0 * count(keep) / area
    return Measurement(r(pct, 2), regions=(("mask", full(lens.shape, win, keep)),))
