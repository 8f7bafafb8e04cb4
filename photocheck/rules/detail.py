"""The face's fine detail — how sharp it is — measured once per analysis: quality.sharpness judges
it, lighting.exposure reads it to know whether the eye whites can be read at all. A helper module
(no rules), so importing it does not change the order the rule families register in."""

from __future__ import annotations

import cv2
import numpy as np


def _gradient_tensor(band: np.ndarray) -> np.ndarray:
    """2×2 mean structure tensor of a band-passed image: its gradient energy in every direction
    (u·T·u is the mean squared derivative along the unit vector u)."""
    gx = cv2.Sobel(band, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(band, cv2.CV_32F, 0, 1, ksize=3)
    xy = float(cv2.mean(gx * gy)[0])
    return np.array([[float(cv2.mean(gx * gx)[0]), xy], [xy, float(cv2.mean(gy * gy)[0])]])


def face_window_gray(a, face_px: float, margin: float) -> tuple[np.ndarray, float, int]:
    """Grey face window (float32) of the working image — the camera file at the resolution it was
    decoded, not the 480×640 frame — shrunk so the face is at most ``face_px`` wide (never
    enlarged: a small file is measured in its own pixels). ``margin`` (in measurement px) is kept
    around the landmarks' box for filters to settle. Returns (window, face width in measurement
    px, margin px)."""
    pts = a.image_points
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    k = min(1.0, face_px / max(x1 - x0, 1.0))
    pad = int(np.ceil(margin / k))
    h, w = a.image.rgb.shape[:2]
    xa, ya = max(0, int(x0) - pad), max(0, int(y0) - pad)
    xb, yb = min(w, int(np.ceil(x1)) + pad + 1), min(h, int(np.ceil(y1)) + pad + 1)
    if a.image.rgb.shape[:2] == a.gray.shape and a.frame.w == w and a.frame.h == h:
        g = a.gray[ya:yb, xa:xb]  # an upload file: the frame is the file, its grey is shared
    else:
        g = cv2.cvtColor(np.ascontiguousarray(a.image.rgb[ya:yb, xa:xb]), cv2.COLOR_RGB2GRAY)
    if k < 1:
        g = cv2.resize(g, (max(1, round(g.shape[1] * k)), max(1, round(g.shape[0] * k))), interpolation=cv2.INTER_AREA)
    return g.astype(np.float32), (x1 - x0) * k, int(round(pad * k))


def blur_measure(g: np.ndarray, face_w: float, inner: tuple[slice, slice]) -> tuple[float, float, float]:
    """Fine detail in the blurriest direction relative to the face's mid-scale detail.

    Fine bands: the differences of Gaussians at σ 0→1 and 1→2 px; mid band: σ face/60 → face/30
    (a few % of the face: features and shading, which blur of a few px barely touches). For each
    fine band the direction with the least gradient energy is the smallest eigenvalue of its
    structure tensor; it is compared with the mid band's mean energy over all directions. Camera
    shake smears detail along one direction only (the other keeps it), defocus in all: both drop
    the value. Returns (value, angle of the blurriest direction in degrees, 0 = horizontal,
    directionality).

    Directionality: how much more fine detail the face keeps in its sharpest direction than in its
    blurriest, each direction's fine detail taken over the mid band's *in the same direction* (the
    generalised eigenvalues of the two structure tensors), so a face's own lines — eyes, brows and
    mouth run across, the nose down — do not count as a smear. 1: the same detail every way; sharp
    and defocused faces read 1.0–1.5, a shake drags it up (London 0.5 % shakes 1.48–3.2).
    """
    sc = max(face_w / 60.0, 1.5)
    blur = {s: cv2.GaussianBlur(g, (0, 0), s) for s in (1.0, 2.0)}
    ys, xs = inner
    if sc >= 3.0:
        # the mid band is smooth: build it at half resolution from the σ 2 image (4× fewer pixels,
        # 2× shorter kernels); gradients per half-res px are 2× per px, so the energy is ÷ 4
        half = blur[2.0][::2, ::2]
        sa, sb = np.sqrt(sc * sc - 4.0) / 2, np.sqrt(4 * sc * sc - 4.0) / 2
        band = cv2.GaussianBlur(half, (0, 0), sa) - cv2.GaussianBlur(half, (0, 0), sb)
        mid = _gradient_tensor(band[ys.start // 2:ys.stop // 2, xs.start // 2:xs.stop // 2]) / 4.0
    else:  # a small face: the window is small, the full-resolution band is cheap
        mid = _gradient_tensor((cv2.GaussianBlur(g, (0, 0), sc) - cv2.GaussianBlur(g, (0, 0), 2 * sc))[ys, xs])
    ref = max(float(np.trace(mid)) / 2, 1e-6)
    best, angle = np.inf, 0.0
    low_rel, directional = np.inf, 1.0
    for lo, hi in ((g, blur[1.0]), (blur[1.0], blur[2.0])):
        fine = _gradient_tensor((lo - hi)[ys, xs])
        e, v = np.linalg.eigh(fine)
        r = float(np.sqrt(max(e[0], 0.0) / ref))
        if r < best:
            # the eigenvector is the direction with no detail left: the direction of the smear
            best, angle = r, float(np.degrees(np.arctan2(-v[1, 0], v[0, 0]))) % 180
        g_lo, g_hi = _relative_extremes(fine, mid)
        if g_lo < low_rel:
            low_rel, directional = g_lo, float(np.sqrt(g_hi / max(g_lo, 1e-12)))
    return best, angle, directional


def _relative_extremes(fine: np.ndarray, mid: np.ndarray) -> tuple[float, float]:
    """Least and greatest fine-over-mid gradient energy over all directions u (u·F·u / u·M·u): the
    generalised eigenvalues of the pair of 2×2 structure tensors, in closed form."""
    m = mid + np.eye(2) * (1e-9 * max(float(np.trace(mid)), 1e-12))
    k = np.linalg.solve(m, fine)  # its eigenvalues are the ratios; real, as both tensors are symmetric ≥ 0
    tr, det = float(np.trace(k)), float(np.linalg.det(k))
    disc = float(np.sqrt(max(tr * tr / 4 - det, 0.0)))
    return max(tr / 2 - disc, 0.0), max(tr / 2 + disc, 0.0)


# The face is measured at most this wide (px), so every file is judged at the detail the 480×640
# upload keeps: finer detail depends on the lens and the sensor, not on shake.
DETAIL_FACE_PX = 240.0


def face_detail(a, min_skin_l: float) -> tuple[float, float, float] | None:
    """:func:`blur_measure` on the face window of the working image (a camera original at its decoded
    resolution, an upload file as it is), shrunk to :data:`DETAIL_FACE_PX`: (value, angle,
    directionality), or None
    when the face is too small or so dark (skin L* < ``min_skin_l``) that the JPEG has quantised its
    detail away. Computed once per analysis (quality.sharpness judges it; :func:`fails_sharpness`
    tells the rules that read fine detail)."""

    def make():
        g, fw, pad = face_window_gray(a, DETAIL_FACE_PX, 4 * DETAIL_FACE_PX / 30)
        skin = a.skin_mask
        if fw < 48 or (np.count_nonzero(skin) and float(np.median(a.L[skin])) < min_skin_l):
            return None
        inner = (slice(pad, max(pad + 1, g.shape[0] - pad)), slice(pad, max(pad + 1, g.shape[1] - pad)))
        return blur_measure(g, fw, inner)

    return a.shared(("face_detail", min_skin_l), make)


def fails_sharpness(a) -> bool:
    """Whether the face is below ``quality.sharpness``'s fail limit. Rules that read fine detail —
    the eye whites, the lip line, the skin's texture — cannot read it there, and must not blame
    the blur on something else: a shaken photo is told it is shaken, not "retouched" or "mouth
    open" as well."""
    sharp = a.spec.limit("quality.sharpness")
    detail = face_detail(a, float(sharp["min_skin_L"]))  # the rule's own reading, shared per analysis
    return detail is not None and sharp.judge(round(detail[0], 3))[0] == "fail"  # and its own verdict
