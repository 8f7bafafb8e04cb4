"""Rules on the head and body around the face, measured in the 480×640 frame: hair over the brows,
ears visible, headwear, jewellery and clothing against the background.

Hair is what the hair model says (``a.hair``, run once per analysis on the head square); skin is
judged against the student's own face (``a.skin_lab``), so values mean the same for every skin
tone and hair colour the model knows. Each rule reports the worse side and says which side it is.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .. import landmarks as L
from ..color import delta_e2000, rgb_to_lab
from . import Analysis, Limit, Measurement, rule
from .regions import count, full, grow, longest_run, r, rect, share, side_name, skin_like, union, worst

# -- hair over the brows ----------------------------------------------------------------------------


def brow_cover(a, lim) -> tuple[float, list[float], list[np.ndarray]]:
    """Share of the forehead band just above each eyebrow that is hair and not skin-coloured (hair
    over the brow; a heavy spectacle frame or a shadow is not hair). The band spans
    ``band_lo``…``band_hi`` × the brow–eye distance above the brow top. Returns the worse side, both
    sides (image left, image right) and the masks to draw."""
    p = a.face.points
    shape = a.rgb.shape[:2]
    out, masks = [], []
    for brow, iris in ((L.RIGHT_BROW, L.RIGHT_IRIS), (L.LEFT_BROW, L.LEFT_IRIS)):
        q = p[brow, :2]
        top = float(q[:, 1].min())
        dist = max(float(p[iris[0], 1]) - top, 4.0)
        win = rect(shape, q[:, 0].min(), top - lim["band_hi"] * dist, q[:, 0].max(), top - lim["band_lo"] * dist)
        hair = (a.hair[win] >= lim["hair_p"]) & ~skin_like(a, lim, win)
        v, m = share(shape, win, a.face_mask[win], hair)
        out.append(v)
        masks.append(m)
    return worst(out, np.nanmax), out, masks


@rule("hair.eyebrows",
      title=("头发不遮挡眉毛和眼睛", "Hair clear of the eyebrows and eyes"),
      messages={
          "high": ("头发遮住了{which}的眉毛（眉毛上方 {pct}% 是头发）。请把刘海梳上去或别到一边，露出眉毛和眼睛。",
                   "hair covers the eyebrows ({which_en}; {pct}% of the band above the brow is hair). Comb the fringe up or aside so the brows and eyes show."),
      })
def hair_eyebrows(a: Analysis, lim: Limit) -> Measurement:
    v, sides, masks = brow_cover(a, lim)
    which = _which(sides, lim.warn_max if lim.warn_max is not None else lim.max or 0.0)
    return Measurement(r(v), fmt={"pct": round(100 * v), "which": which[0], "which_en": which[1]},
                       regions=tuple(("mask", m) for m in masks))


def _which(sides: list[float], over: float) -> tuple[str, str]:
    """(zh, en) words for the side(s) whose value is over ``over``: one side of the picture, or both."""
    hit = [i for i, s in enumerate(sides) if not np.isnan(s) and s > over]
    if len(hit) != 1:
        return "两侧", "both sides"
    return side_name(hit[0])


# -- ears ---------------------------------------------------------------------------------------------


def ear_cover(a, lim) -> tuple[float, list[float], list[np.ndarray]]:
    """Per side: how much of the strip just outside the face edge at ear height is hair.

    The strip starts ``gap`` × face width outside the face outline (row by row, so a tilted or
    narrow face is followed) and is ``width`` × face width wide, from ``top`` to ``bottom`` of the
    eye-to-nose-base distance below the eyes: where the middle and lobe of the ear are. A visible
    ear is skin there (hair above or behind it does not reach the strip); an ear under the hair is
    hair. Value: the mean hair probability over the strip's person pixels, per side (image left,
    image right); the worse side counts."""
    p = a.face.points
    shape = a.rgb.shape[:2]
    fw = a.face_width
    eye, base = a.eye_y, float(p[2, 1])
    y0, y1 = eye + lim["top"] * (base - eye), eye + lim["bottom"] * (base - eye)
    x_edges = (float(p[L.RIGHT_CHEEK_EDGE, 0]), float(p[L.LEFT_CHEEK_EDGE, 0]))
    reach = (lim["gap"] + lim["width"]) * fw
    out, masks = [], []
    for x_edge, sign in zip(x_edges, (-1, 1)):
        win = rect(shape, x_edge - 0.25 * fw * sign, y0, x_edge + sign * (reach + 2), y1)
        face = a.face_mask[win]
        h, w = face.shape
        if h < 2 or w < 2:
            out.append(float("nan"))
            masks.append(np.zeros(shape, bool))
            continue
        cols = np.arange(w)[None, :]
        has = face.any(axis=1)
        # the face outline in each row, seen from this side
        edge = np.where(has, face.argmax(axis=1) if sign < 0 else w - 1 - face[:, ::-1].argmax(axis=1), -1)[:, None]
        near, far = edge + sign * lim["gap"] * fw, edge + sign * reach
        strip = has[:, None] & (cols >= np.minimum(near, far)) & (cols <= np.maximum(near, far))
        person = strip & (a.person[win] >= 0.5)
        n = count(person)
        if n < 20:
            out.append(float("nan"))
            masks.append(full(shape, win, strip))
            continue
        out.append(float(a.hair[win][person].mean()))
        masks.append(full(shape, win, person & (a.hair[win] >= 0.5)))
    return worst(out, np.nanmax), out, masks


@rule("ears.visible",
      title=("双耳露出", "Both ears visible"),
      messages={
          "high": ("{which}被头发遮住（耳部 {pct}% 是头发）。请把头发别到耳后，露出双耳。",
                   "{which_en} covered by hair ({pct}% of the ear area is hair). Put the hair behind the ears so both ears show."),
      })
def ears_visible(a: Analysis, lim: Limit) -> Measurement:
    v, sides, masks = ear_cover(a, lim)
    if np.isnan(v):
        return Measurement(None, status="skip")
    zh, en = _which(sides, lim.warn_max if lim.warn_max is not None else lim.max or 0.0)
    which = ("两侧耳朵都", "both ears are") if en == "both sides" else (f"{zh}的耳朵", f"the {en} ear is")
    return Measurement(r(v), fmt={"pct": round(100 * v), "which": which[0], "which_en": which[1]},
                       regions=tuple(("mask", m) for m in masks))


# -- headwear -----------------------------------------------------------------------------------------


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
    win = rect(shape, cx - lim["half_width"] * fw, top, cx + lim["half_width"] * fw, fore)
    # erode on the window plus the kernel radius: the same "sure" pixels as eroding the frame
    big = grow(win, shape, 2)
    sure = cv2.erode((a.person[big] >= 0.8).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    crown = sure[win[0].start - big[0].start: win[0].stop - big[0].start,
                 win[1].start - big[1].start: win[1].stop - big[1].start]
    if count(crown) < 50:
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
    n_rows = count(rows)
    return count(covered) / n_rows, longest_run(covered[rows]) / n_rows, full(shape, win, foreign)


@rule("headwear",
      title=("不戴帽子或头饰", "No hat or head covering"),
      messages={
          "high": ("头顶有帽子或头饰（覆盖头顶 {pct}%）。请摘下帽子/头巾后再拍（宗教或医疗用头巾不能遮挡面部或投下阴影）。",
                   "something covers the top of the head ({pct}% of the crown), like a hat or scarf. Take it off (religious or medical coverings must not cover the face or cast shadows)."),
          "band": ("头顶有发箍或头带（覆盖头顶 {pct}%）。建议摘下。",
                   "a headband or hair band is on the head ({pct}% of the crown). Better take it off."),
      })
def headwear(a: Analysis, lim: Limit) -> Measurement:
    share, run, mask = crown_cover(a, lim)
    value = {"cover": r(share), "run": r(run)}
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


# -- jewellery ----------------------------------------------------------------------------------------


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
    rects = [rect(shape, float(p[e, 0]) - s * lim["inside"] * fw, nose_y, float(p[e, 0]) + s * lim["outside"] * fw, low_y)
             for e, s in ((L.RIGHT_CHEEK_EDGE, -1), (L.LEFT_CHEEK_EDGE, 1))]
    # one window over both rectangles, plus the opening's reach: the same blobs as on the frame
    win = grow(union(rects), shape, 2)
    regions = np.zeros(shape, bool)
    for box in rects:
        regions[box] = True
    regions = regions[win] & ~a.face_mask[win] & (a.person[win] >= 0.5)
    skin_l = float(a.skin_lab[0])
    shiny = regions & (a.L[win] >= max(lim["shine_l"], skin_l + lim["above_skin"])) & (a.chroma[win] < lim["shine_chroma"])
    shiny = cv2.morphologyEx(shiny.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)) > 0
    return 1000.0 * count(shiny) / fw ** 2, full(shape, win, shiny)


@rule("accessories",
      title=("不戴耳环、项链等饰品", "No earrings, necklaces or jewellery"),
      messages={
          "high": ("耳垂附近可能有耳环等首饰（发亮区域 {value}）。请摘下耳环、项链等饰品。",
                   "there may be earrings or other jewellery by the ears (shiny area {value}). Take off earrings, necklaces and other jewellery."),
      })
def accessories(a: Analysis, lim: Limit) -> Measurement:
    v, mask = jewellery(a, lim)
    return Measurement(r(v, 2), regions=(("mask", mask),))


# -- clothing -----------------------------------------------------------------------------------------


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
def clothing(a: Analysis, lim: Limit) -> Measurement:
    m = clothes_region(a, lim)
    n = count(m)
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
    value = {"de": r(near, 1), "pattern": r(pattern)}
    status, side = lim.judge(near)
    if status == "pass" and pattern > lim["pattern_warn"]:
        status, side = "warn", "pattern"
    return Measurement(value, status=status, side=side, fmt={"de": r(near, 1), "pattern": r(pattern, 2)},
                       regions=(("mask", m),))
