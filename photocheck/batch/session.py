"""What the lights and the camera set in one frame, measured once from the analysis, for the
session rules (:mod:`photocheck.batch.baseline`): the shoot is its own grey card.

A campus shoot keeps the backdrop, the lights and the camera the same for every student, so
quantities a student's skin does not move — the backdrop's light and colour, its fall-off, the
light ratio between the two sides of the student's own face, the eye whites relative to the
backdrop — should agree between frames; a frame that differs shows a flash that did not fire, a
fill light that went off, a changed white balance. Nothing here judges: it measures.

Values are in *scene* light: the camera's tone curve compresses the highlights (a light-blue
backdrop sits on its shoulder, where a 1-stop change of light moves the recorded value by under
half a stop), so the recorded sRGB values are decoded and taken back through a typical camera
curve (extended Reinhard with white 2 stops above diffuse white) before stops and colour ratios
are measured. A camera with another curve gives somewhat different numbers; every frame of a
session has the same curve, so the comparison between frames holds.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

#: the camera curve's white point (scene light that records as sRGB 255, in units of diffuse white)
CURVE_WHITE = 4.0
#: the colour temperature the kelvin figures are quoted at (a daylight-balanced studio flash)
REFERENCE_K = 5500.0
#: a backdrop channel recorded at or above this (sRGB, 0–1) is clipped: it tells nothing of the light
CLIP = 250 / 255
MIN_BACKDROP_PX = 400  # fewer surely-backdrop pixels (a tight crop): no backdrop measures

# linear sRGB ↔ XYZ (D65) and the Bradford cone matrix
_RGB2XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                     [0.0193339, 0.1191920, 0.9503041]])
_XYZ2RGB = np.linalg.inv(_RGB2XYZ)
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """sRGB 0–1 → display-linear 0–1 (the exact sRGB transfer function)."""
    x = np.asarray(x, np.float64)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def uncurve(y: np.ndarray) -> np.ndarray:
    """Display-linear light → scene light, through the inverse of a typical camera tone curve
    (extended Reinhard, ``y = x (1 + x / W²) / (1 + x)`` with W = :data:`CURVE_WHITE`)."""
    y = np.clip(np.asarray(y, np.float64), 0, 1)
    a, b = 1 / CURVE_WHITE ** 2, 1 - y
    return (-b + np.sqrt(b * b + 4 * a * y)) / (2 * a)


def planck_xy(kelvin: float) -> tuple[float, float]:
    """CIE 1931 xy of a blackbody at ``kelvin`` (1667–25000 K; Kim et al.'s cubic fit).

    >>> [round(v, 4) for v in planck_xy(5500)]
    [0.3323, 0.341]
    """
    t = float(kelvin)
    if t <= 4000:
        x = -0.2661239e9 / t ** 3 - 0.2343589e6 / t ** 2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t ** 3 + 2.1070379e6 / t ** 2 + 0.2226347e3 / t + 0.240390
    if t <= 2222:
        y = -1.1063814 * x ** 3 - 1.34811020 * x ** 2 + 2.18555832 * x - 0.20219683
    elif t <= 4000:
        y = -0.9549476 * x ** 3 - 1.37418593 * x ** 2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x ** 3 - 5.87338670 * x ** 2 + 3.75112997 * x - 0.37001483
    return x, y


def _white_xyz(kelvin: float) -> np.ndarray:
    x, y = planck_xy(kelvin)
    return np.array([x / y, 1.0, (1 - x - y) / y])


def white_balance_matrix(from_k: float, to_k: float) -> np.ndarray:
    """3×3 matrix on linear sRGB that moves the picture's white from a blackbody at ``from_k`` to
    one at ``to_k`` (Bradford chromatic adaptation, luminance of white kept): what a white balance
    set ``from_k − to_k`` kelvin off does to every colour. ``to_k < from_k``: warmer.

    >>> m = white_balance_matrix(5500, 5000)
    >>> bool(m[0] @ [1, 1, 1] > 1 > m[2] @ [1, 1, 1])   # white turns redder, less blue
    True
    """
    src, dst = _BRADFORD @ _white_xyz(from_k), _BRADFORD @ _white_xyz(to_k)
    m = np.linalg.inv(_BRADFORD) @ np.diag(dst / src) @ _BRADFORD
    return _XYZ2RGB @ m @ _RGB2XYZ


@lru_cache(maxsize=1)
def _kelvin_grid() -> tuple[np.ndarray, np.ndarray]:
    """Temperatures 2500–12000 K and the white-balance matrices from :data:`REFERENCE_K` to each."""
    ks = np.arange(2500.0, 12001.0, 25.0)
    return ks, np.stack([white_balance_matrix(REFERENCE_K, k) for k in ks])


def white_balance_shift(base_rgb: np.ndarray, frame_rgb: np.ndarray, usable: np.ndarray) -> float | None:
    """How many kelvin warmer (positive) or cooler the frame's colour is than the base, from one
    neutral-or-not reference seen in both (the backdrop's scene-light RGB, linear): the blackbody
    white-balance change that, applied to the base colour, gives the frame's colour best up to an
    exposure change (least squares on log channel ratios of the ``usable`` channels, i.e. not
    clipped). Quoted at :data:`REFERENCE_K`: "500 K warmer" means the frame's white moved from a
    5500 K white to a 5000 K one. None with fewer than two usable channels."""
    if int(np.count_nonzero(usable)) < 2 or np.any(base_rgb[usable] <= 0) or np.any(frame_rgb[usable] <= 0):
        return None
    ks, ms = _kelvin_grid()
    pred = np.log2(np.maximum(ms @ base_rgb, 1e-9))[:, usable]  # (grid, channels)
    seen = np.log2(frame_rgb[usable])
    resid = seen[None, :] - pred
    resid -= resid.mean(axis=1, keepdims=True)  # an exposure change moves every channel alike
    err = (resid ** 2).sum(axis=1)
    i = int(np.argmin(err))
    if 0 < i < len(ks) - 1:  # parabolic refinement between grid points
        d = err[i - 1] - 2 * err[i] + err[i + 1]
        k = ks[i] + (0.5 * (err[i - 1] - err[i + 1]) / d * 25.0 if d > 0 else 0.0)
    else:
        k = ks[i]
    return float(REFERENCE_K - k)


def _log2(v: float) -> float:
    return float(np.log2(max(v, 1e-6)))


def _backdrop(a) -> dict | None:
    """Scene-light RGB of the backdrop (median per channel), clipped share per channel, and its
    fall-off: top (above the eyes) over low (below the eyes), image-left over image-right (stops)."""
    m = a.background_mask
    ys, xs = np.nonzero(m[::2, ::2])  # every other row and column: ~10⁴ pixels are plenty
    if 4 * ys.size < MIN_BACKDROP_PX:
        return None
    ys, xs = ys * 2, xs * 2
    disp = a.rgb[ys, xs].astype(np.float64) / 255
    clip = (disp >= CLIP).mean(axis=0)
    scene = uncurve(srgb_to_linear(disp))
    rgb = np.median(scene, axis=0)
    y = scene @ _RGB2XYZ[1]
    out = {"rgb": [round(_log2(v), 4) for v in rgb], "clip": [round(float(c), 3) for c in clip],
           "stops": round(_log2(float(np.median(y))), 4), "tb": None, "lr": None}
    top, low = y[ys < a.eye_y], y[ys >= a.eye_y]
    if top.size >= 50 and low.size >= 50:
        out["tb"] = round(_log2(float(np.median(top))) - _log2(float(np.median(low))), 4)
    left, right = y[xs < a.face_cx], y[xs >= a.face_cx]
    if left.size >= 50 and right.size >= 50:
        out["lr"] = round(_log2(float(np.median(left))) - _log2(float(np.median(right))), 4)
    return out


#: skin that turns further than ~72° from the camera reads its shape more than the light
SLOPE_MIN_NZ = 0.3


def _vertex_normals(points: np.ndarray) -> np.ndarray:
    """Unit surface normals of the 478 face-mesh points (area-weighted over their triangles), x
    toward the image-left, z toward the camera: a point on the image-left cheek has x > 0."""
    from .. import landmarks as LM

    tri = LM.triangles()
    p = points[:, :3].astype(np.float64)
    fn = np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]])
    vn = np.zeros((len(p), 3))
    for j in range(3):
        np.add.at(vn, tri[:, j], fn)
    vn /= np.linalg.norm(vn, axis=1, keepdims=True) + 1e-12
    return vn * np.array([-1.0, 1.0, -1.0])


def light_slope(a) -> float | None:
    """How much more light the skin turned toward the image-left receives than the skin turned
    toward the image-right, in stops between surfaces turned 30° each way: the slope of the skin's
    log light over its surface normal (least squares over the face-mesh points on skin, with a term
    for how squarely each faces the camera, outliers beyond 2.5 SD refitted without). The skin's
    own lightness is the fit's constant, so the slope is the light's, the same for every skin tone;
    the normals come from the mesh as the head is turned, so a turned head is not read as side
    light. What the fill light sets: with the fill off the far side gets only bounce light.
    None with fewer than 60 usable points."""
    pts = a.face.points
    n = _vertex_normals(pts)
    k = max(3, int(0.04 * a.face_width) | 1)
    ys, xs = a.face_box(k)
    lum = cv2.blur(a.L[ys, xs], (k, k))
    h, w = lum.shape
    q = np.round(pts[:, :2] - (xs.start, ys.start)).astype(int)
    q[:, 0], q[:, 1] = np.clip(q[:, 0], 0, w - 1), np.clip(q[:, 1], 0, h - 1)
    lstar = lum[q[:, 1], q[:, 0]].astype(np.float64)
    keep = (a.skin_mask[ys, xs][q[:, 1], q[:, 0]] & (a.hair[ys, xs][q[:, 1], q[:, 0]] < 0.5)
            & (n[:, 2] >= SLOPE_MIN_NZ) & (lstar > 5) & (lstar < 97))
    if np.count_nonzero(keep) < 60:
        return None
    y = np.log2(np.maximum(uncurve(np.where(lstar > 8, ((lstar + 16) / 116) ** 3, lstar / 903.3)), 1e-4))[keep]
    x = np.c_[np.ones(len(y)), n[keep, 0], n[keep, 2]]
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    r = y - x @ coef
    inl = np.abs(r) <= 2.5 * (r.std() + 1e-9)
    if np.count_nonzero(inl) >= 60:
        coef = np.linalg.lstsq(x[inl], y[inl], rcond=None)[0]
    return float(coef[1])  # per unit of x: surfaces at x = ±0.5 (30° each way) are this many stops apart


def _face(a) -> dict | None:
    """The light on the student's face, in measures the skin does not move: the eyes' white
    reference (eye whites and catchlights, :func:`photocheck.rules.lighting.white_reference`) in
    scene stops, and the light ratio between the two sides of the face (the evenness rule's
    mirror-image skin patches, the head's turn divided out; stops, positive: image-left brighter)
    and the light's slope over the face's surface (:func:`light_slope`, the session.light rule's).
    The skin's own lightness is kept too, for the benchmark's fairness table only."""
    from ..rules import lighting as Lg

    if a.face is None:
        return None
    out: dict = {"white": None, "side": None, "slope": None, "skin": None}
    m = Lg._skin(a)
    if m is not None:
        lstar = float(np.median(a.L[m]))
        out["skin"] = round(_log2(float(uncurve(_lstar_to_y(lstar)))), 4)
        stops, _ = Lg.side_ratio_stops(a)
        out["side"] = None if stops is None else round(stops, 4)
        slope = light_slope(a)
        out["slope"] = None if slope is None else round(slope, 4)
    lim = a.spec.limit("lighting.exposure")
    sclera = Lg.sclera_l(a)
    eye = Lg.eye_white_l(a, sclera)
    if eye is not None and Lg.eye_opening(a) >= float(lim.params.get("squint_opening", 0.12)):
        ref = Lg.white_reference(eye, Lg.catchlight_l(a), float(lim.params.get("catchlight_reach", 10)),
                                 float(lim.params.get("catchlight_below", 10)))
        out["white"] = round(_log2(float(uncurve(_lstar_to_y(ref)))), 4)
    return out


def _lstar_to_y(lstar: float) -> float:
    return ((lstar + 16) / 116) ** 3 if lstar > 8 else lstar / 903.3


def session_measures(a) -> dict:
    """The frame's session measures (a small JSON-able dict), computed once from its analysis:
    ``camera`` (EXIF make/model/serial, as the loader read it, or None),
    ``backdrop`` (scene-light RGB in log2, clipped shares, luminance in stops, fall-off top/low and
    left/right in stops) and ``face`` (eye-white reference in stops, side-to-side ratio, light slope
    and skin in stops); a part that cannot be measured is None.

    >>> from photocheck import analyse
    >>> m = session_measures(analyse("samples/shoot/shots/DSC_0412.JPG", profile="original"))
    >>> sorted(m)
    ['backdrop', 'camera', 'face']
    """
    out: dict = {"camera": a.image.camera}
    for part, measure in (("backdrop", _backdrop), ("face", _face)):
        try:
            out[part] = measure(a)
        except Exception:  # a measure that fails leaves the frame out of that comparison, never the batch
            out[part] = None
    return out
