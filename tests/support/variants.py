"""Single-fault variants of a compliant 480×640 frame, one per core rule (issue 2).

Each function takes the compliant RGB frame (and, where needed, its person mask) and returns
JPEG bytes that break one rule: the faults are physical (the head is higher, one side of the face
is in shadow, the lens is out of focus), not edits of photocheck's own measurements.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from photocheck.inference import get_models

from .compose import BLUE, jpeg, reframed


def _affine(rgb: np.ndarray, m: np.ndarray, fill=BLUE) -> np.ndarray:
    return cv2.warpAffine(rgb, m, (rgb.shape[1], rgb.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _mask(rgb):
    return cv2.GaussianBlur(get_models().person_mask(rgb), (0, 0), 2)


def shifted(rgb, dx=0.0, dy=0.0):
    """The camera aimed elsewhere: the whole picture moves (background replicated at the edge)."""
    return _affine(rgb, np.float32([[1, 0, dx], [0, 1, dy]]))


def head_too_high(face_id: str):
    return jpeg(reframed(face_id, dy=-45))


def head_too_low(face_id: str):
    return jpeg(reframed(face_id, dy=75))


def off_centre(face_id: str):
    return jpeg(reframed(face_id, dx=45))


def face_too_small(face_id: str, head_top_y: float):
    """Zoomed out to 70 %, aimed so the head top lands near y=92 (the eyes stay in range)."""
    k = 0.7
    # about the frame centre: y' = 320 + k (y - 320) + dy; want head_top -> 92
    dy = 92 - (320 + k * (head_top_y - 320))
    return jpeg(reframed(face_id, dy=dy, zoom=k))


def tilted(rgb, center, degrees=12.0):
    return jpeg(_affine(rgb, cv2.getRotationMatrix2D(tuple(map(float, center)), degrees, 1.0)))


def background(rgb, color):
    m = _mask(rgb)[..., None]
    out = rgb * m + np.array(color, np.float32) * (1 - m)
    return jpeg(np.clip(out + 0.5, 0, 255).astype(np.uint8))


def gradient_background(rgb, strength=0.35):
    """Background lit unevenly: bright at the top, darker at the bottom, same mean colour."""
    h, w = rgb.shape[:2]
    ramp = np.linspace(1 + strength, 1 - strength, h, dtype=np.float32)[:, None, None]
    bg = np.clip(np.array(BLUE, np.float32)[None, None, :] * ramp, 0, 255) * np.ones((h, w, 1), np.float32)
    m = _mask(rgb)[..., None]
    return jpeg(np.clip(rgb * m + bg * (1 - m) + 0.5, 0, 255).astype(np.uint8))


def shadowed_background(rgb, offset=(18, 10), darkness=0.55):
    """A hard light from the front-left throws the person's shadow on the backdrop."""
    m = _mask(rgb)
    shadow = cv2.GaussianBlur(np.roll(np.roll(m, offset[0], axis=1), offset[1], axis=0), (0, 0), 6)
    factor = 1 - (1 - darkness) * shadow * (1 - m)
    return jpeg(np.clip(rgb * factor[..., None] + 0.5, 0, 255).astype(np.uint8))


def person_exposure(rgb, gain: float):
    """The person under- or over-lit against a properly lit backdrop (gain on linear light)."""
    m = _mask(rgb)[..., None]
    lin = (rgb.astype(np.float32) / 255) ** 2.2 * gain
    lit = np.clip(lin, 0, 1) ** (1 / 2.2) * 255
    return jpeg(np.clip(lit * m + rgb * (1 - m) + 0.5, 0, 255).astype(np.uint8))


def half_face_shadow(rgb, face_cx: float, darkness=0.45):
    """Side light: the image-left half of the person falls into shadow (阴阳脸)."""
    h, w = rgb.shape[:2]
    x = np.arange(w, dtype=np.float32)
    ramp = 1 - (1 - darkness) / (1 + np.exp((x - face_cx) / 6.0))  # dark left of the midline
    m = _mask(rgb)
    factor = 1 - (1 - ramp[None, :]) * m
    return jpeg(np.clip(rgb * factor[..., None] + 0.5, 0, 255).astype(np.uint8))


def blurred(rgb, sigma=2.5):
    return jpeg(cv2.GaussianBlur(rgb, (0, 0), sigma))


def low_quality(rgb, quality=15):
    return jpeg(rgb, quality=quality)


def greyscale(rgb):
    buf = io.BytesIO()
    Image.fromarray(rgb).convert("L").save(buf, "JPEG", quality=85, dpi=(300, 300))
    return buf.getvalue()


def wrong_size(rgb, size=(600, 800)):
    return jpeg(cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC))


def too_big(rgb):
    return jpeg(rgb, quality=97)


def colour_cast(rgb, gains=(0.75, 1.0, 1.25)):
    """Wrong white balance (e.g. tungsten preset under daylight): a blue-cyan cast over everything."""
    lin = (rgb.astype(np.float32) / 255) ** 2.2 * np.array(gains, np.float32)
    return jpeg(np.clip(np.clip(lin, 0, 1) ** (1 / 2.2) * 255 + 0.5, 0, 255).astype(np.uint8))


def dpi_72(rgb):
    return jpeg(rgb, dpi=72)


def png_named_jpg(rgb):
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def progressive(rgb):
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=80, progressive=True, dpi=(300, 300))
    return buf.getvalue()


def padded(rgb, n=4096):
    """What some ID-photo tools do to reach a minimum size: zero bytes after the end marker."""
    return jpeg(rgb) + b"\x00" * n


# ---------------------------------------------------------------------------------------------
# Faults as cameras, lights and phone apps make them (issue 13). Each works in linear light
# (sRGB → linear, the physical effect, → sRGB) and is applied to the camera file *before* the
# crop, resize and JPEG a real pipeline does: the fault is in the camera file, the upload is made
# from it (:func:`camera_original`, :func:`upload_from`).

CAMERA_SIZE = (2400, 3200)  # a portrait camera original (width × height), 7.7 MP


def to_linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB uint8 → linear light, float32 0–1 (the exact sRGB transfer function)."""
    x = rgb.astype(np.float32) / 255
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def to_srgb(lin: np.ndarray) -> np.ndarray:
    """Linear light (float, clipped to 0–1) → sRGB uint8."""
    x = np.clip(lin, 0, 1)
    y = np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return np.clip(y * 255 + 0.5, 0, 255).astype(np.uint8)


def person_mask(rgb: np.ndarray) -> np.ndarray:
    """Soft person mask (float32 0–1) at the image's size: the selfie model on a ≤ 512 px copy."""
    h, w = rgb.shape[:2]
    k = min(1.0, 512 / max(h, w))
    small = cv2.resize(rgb, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA) if k < 1 else rgb
    m = get_models().person_mask(small)
    m = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(m, (0, 0), max(1.0, w / 600))


def face_mesh(rgb: np.ndarray) -> np.ndarray:
    """The 478 face-mesh landmarks of the main face as 478×3: x, y in ``rgb`` px and the
    landmarker's depth z (away from the camera) in the same px scale, from photocheck's own
    analysis run as a camera original (the variants need to know where and how the face is)."""
    from photocheck.analysis import analyse
    from photocheck.spec import load_spec

    a = analyse(rgb, load_spec("original"))
    fr, (fw, fh) = a.frame_full, a.frame_size
    p = a.face.points[:, :3].astype(np.float64)
    return np.c_[fr.x + p[:, 0] * fr.w / fw, fr.y + p[:, 1] * fr.h / fh, p[:, 2] * fr.w / fw]


def face_points(rgb: np.ndarray) -> np.ndarray:
    """The 478 landmarks' x, y in ``rgb`` px (:func:`face_mesh` without the depth)."""
    return face_mesh(rgb)[:, :2]


# -- exposure: a camera tone curve, the person under-lit against a correctly lit backdrop --------
CURVE_WHITE = 4.0  # the curve's white point: clipped highlights were ≥ 2 stops above diffuse white


def _curve(x: np.ndarray) -> np.ndarray:
    """A camera's tone curve on linear scene light (extended Reinhard: a highlight shoulder that
    reaches display white at CURVE_WHITE), output in linear display light 0–1."""
    return x * (1 + x / CURVE_WHITE ** 2) / (1 + x)


def _curve_inverse(y: np.ndarray) -> np.ndarray:
    # solve x² / W² + x (1 − y) − y = 0 for x ≥ 0
    a, b = 1 / CURVE_WHITE ** 2, 1 - y
    return (-b + np.sqrt(b * b + 4 * a * y)) / (2 * a)


def _person_through(rgb: np.ndarray, curve, mask: np.ndarray | None) -> np.ndarray:
    """The person's pixels through ``curve`` (linear light → linear light), the backdrop as it was."""
    m = (person_mask(rgb) if mask is None else mask)[..., None]
    out = to_srgb(curve(to_linear(rgb))).astype(np.float32)
    return np.clip(out * m + rgb * (1 - m) + 0.5, 0, 255).astype(np.uint8)


def tone_exposure(rgb: np.ndarray, stops: float, mask: np.ndarray | None = None) -> np.ndarray:
    """The person ``stops`` under- (negative) or over-exposed in the mid-tones, through the camera's
    tone curve (highlights compress on the shoulder, shadows sink in the toe), in front of a
    correctly lit backdrop: what a camera that meters a bright backdrop does to the face."""
    return _person_through(rgb, lambda lin: _curve(_curve_inverse(lin) * 2.0 ** stops), mask)


def midtone_exposure(rgb: np.ndarray, stops: float, mask: np.ndarray | None = None) -> np.ndarray:
    """The person's mid-tones ``stops`` darker while white stays white and black black (a power
    curve through mid-grey 0.18 → 0.18·2^stops in linear light): a phone's or a raw converter's
    tone mapping of a face lit too weakly, whose catchlights and white clothes stay bright — the
    other shape of under-exposure, which a rule trusting the highlights alone would pass."""
    g = np.log2(0.18 * 2.0 ** stops) / np.log2(0.18)
    return _person_through(rgb, lambda lin: lin ** g, mask)


# -- side light: a smooth relighting falloff, and a studio key light shading the face's shape ---
def _side_ramp(width: int, p: np.ndarray, stops: float, from_left: bool) -> np.ndarray:
    """Gain per image column of :func:`side_light`: 1 on the lit cheek, 2^-stops on the far one."""
    cx = float(p[:, 0].mean())
    fw = float(np.ptp(p[:, 0]))

    def ramp(x):
        return 1 / (1 + np.exp(-(x - cx) / (0.22 * fw)))  # 0 → 1 across the face, smooth

    x = np.arange(width, dtype=np.float32)
    lo, hi = ramp(cx - 0.25 * fw), ramp(cx + 0.25 * fw)  # the two cheek centres
    t = (ramp(x) - lo) / (hi - lo)
    if from_left:
        t = 1 - t
    return 2.0 ** (-stops * np.clip(t, 0, None))


def side_light(rgb: np.ndarray, stops: float, points: np.ndarray | None = None, mask: np.ndarray | None = None,
               from_left: bool = False) -> np.ndarray:
    """A key light from one side: the far cheek receives ``stops`` less light than the near one,
    with a smooth falloff across the face (a relighting ramp over about one face width, darker
    still beyond the far cheek), not a hard half mask. The backdrop keeps its own light.
    ``from_left``: the image-left side is the dark one (default: the image-right)."""
    p = face_points(rgb) if points is None else points
    m = person_mask(rgb) if mask is None else mask
    g = 1 - (1 - _side_ramp(rgb.shape[1], p, stops, from_left)[None, :]) * m
    return to_srgb(to_linear(rgb) * g[..., None])


def _mesh_normals(mesh: np.ndarray, window: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray]:
    """Unit surface normals (x right, y down, z toward the camera) of the face mesh per pixel of
    ``window``: each triangle of MediaPipe's tessellation filled with its own normal, then smoothed
    over a thirtieth of the face width (a face is curved, not faceted); and how much of each pixel
    the mesh covers (0–1)."""
    from photocheck import landmarks as LM

    tri = LM.triangles()
    a, b, c = mesh[tri[:, 0]], mesh[tri[:, 1]], mesh[tri[:, 2]]
    n = np.cross(b - a, c - a)
    n[:, 2] *= -1  # z toward the camera
    n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-12
    n[n[:, 2] < 0] *= -1  # every face of the mesh is seen from the front
    ys, xs = window
    acc = np.zeros((ys.stop - ys.start, xs.stop - xs.start, 4), np.float32)
    for t, nv in zip(tri, n):
        poly = np.round(mesh[t, :2] - (xs.start, ys.start)).astype(np.int32)
        cv2.fillConvexPoly(acc, poly, (float(nv[0]), float(nv[1]), float(nv[2]), 1.0))
    acc = cv2.GaussianBlur(acc, (0, 0), float(np.ptp(mesh[LM.FACE_OVAL, 0])) / 30)
    cover = acc[..., 3]
    nm = acc[..., :3] / np.maximum(cover, 1e-6)[..., None]
    return nm / (np.linalg.norm(nm, axis=2, keepdims=True) + 1e-6), cover


def key_light(rgb: np.ndarray, stops: float, mesh: np.ndarray | None = None, mask: np.ndarray | None = None,
              from_left: bool = False, azimuth: float = 60.0) -> np.ndarray:
    """Side light the way a studio makes it: a key light ``azimuth``° to one side plus a frontal
    fill, shading the face by its surface (Lambert on the face mesh's normals: the nose's far side,
    the far eye socket and cheek fall into shade, the near side of the forehead catches the light),
    key over fill set so the two mid-cheeks (mesh points 205, 425) receive ``stops`` apart, the lit
    one keeping its exposure. The photo is taken to be lit from the front, so each pixel gets the
    new light over the frontal light it replaces. Beyond the face (hair, ears, neck, clothes) the
    smooth falloff of :func:`side_light` continues; the backdrop keeps its own light.
    ``mesh``: :func:`face_mesh` (478×3); ``from_left`` as in :func:`side_light`."""
    p = face_mesh(rgb) if mesh is None else mesh
    m = person_mask(rgb) if mask is None else mask
    h, w = rgb.shape[:2]
    fw = float(np.ptp(p[:, 0]))
    x0, y0 = np.maximum(np.floor(p[:, :2].min(axis=0) - 0.2 * fw).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(p[:, :2].max(axis=0) + 0.2 * fw).astype(int), (w, h))
    win = (slice(y0, y1), slice(x0, x1))
    n, cover = _mesh_normals(p, win)
    side = 1.0 if from_left else -1.0  # the key's side of the image, in x
    th = np.deg2rad(azimuth)
    light = np.array([side * np.sin(th), 0.0, np.cos(th)])
    ambient = 0.15  # skylight and bounce: a surface turned from both lights is not black

    def irradiance(nv: np.ndarray, key: float) -> np.ndarray:
        return ambient + np.maximum(nv[..., 2], 0) + key * np.maximum(nv @ light, 0)

    cheeks = [n[int(q[1]) - y0, int(q[0]) - x0] for q in p[[205, 425], :2]]
    near, far = sorted(cheeks, key=lambda nv: -side * nv[0])
    lo, hi = 0.0, 100.0
    for _ in range(50):  # key/fill for the cheek ratio: the ratio grows with the key
        key = (lo + hi) / 2
        lo, hi = (key, hi) if np.log2(irradiance(near, key) / irradiance(far, key)) < stops else (lo, key)
    frontal = ambient + np.maximum(n[..., 2], 0)
    g = irradiance(n, key) / frontal / (irradiance(near, key) / (ambient + max(near[2], 0)))
    gain = np.broadcast_to(_side_ramp(w, p, stops, from_left)[None, :], (h, w)).copy()
    wv = np.clip(cover * 1.5, 0, 1)  # the face by its shape, the rest by the falloff
    gain[win] = g * wv + gain[win] * (1 - wv)
    gain = 1 - (1 - gain) * m
    return to_srgb(to_linear(rgb) * gain[..., None])


# -- blur: motion kernels and a defocus disk, in linear light -----------------------------------
def motion_kernel(length: float, angle: float, bend: float = 0.0) -> np.ndarray:
    """Normalised motion-blur kernel: a path of ``length`` px at ``angle`` degrees (0 = horizontal,
    counter-clockwise), bent sideways by ``bend`` × length at its middle (a handheld arc)."""
    n = max(2, int(length * 4))
    s = np.linspace(-0.5, 0.5, n)
    t = np.deg2rad(angle)
    along = s * length
    side = bend * length * (1 - 4 * s * s)  # a parabola: 0 at the ends, ``bend`` × length mid-way
    x = along * np.cos(t) - side * np.sin(t)
    y = -along * np.sin(t) - side * np.cos(t)
    r = int(np.ceil(max(np.abs(x).max(), np.abs(y).max()))) + 2
    k = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    xi, yi = x + r, y + r
    x0, y0 = np.floor(xi).astype(int), np.floor(yi).astype(int)
    fx, fy = (xi - x0).astype(np.float32), (yi - y0).astype(np.float32)
    for dx, dy, wgt in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(k, (y0 + dy, x0 + dx), wgt)
    return k / k.sum()


def disk_kernel(radius: float) -> np.ndarray:
    """Normalised defocus disk (the lens aperture's image), anti-aliased at its rim."""
    r = int(np.ceil(radius)) + 1
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1].astype(np.float32)
    k = np.clip(radius + 0.5 - np.hypot(xx, yy), 0, 1)
    return k / k.sum()


def convolve_linear(rgb: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve in linear light (the lens and the sensor integrate light, not sRGB values)."""
    return to_srgb(cv2.filter2D(to_linear(rgb), -1, kernel, borderType=cv2.BORDER_REFLECT))


# The London camera originals' face spans this share of their width: on another photo, a fault of
# "p % of width" is p × face_px_per_pct(points) px, so it covers the same share of every face.
LONDON_FACE_SHARE = 0.236


def face_px_per_pct(points: np.ndarray) -> float:
    """Pixels per "% of the camera width" for a face with these landmarks, as on the London camera
    originals (where the blur strengths are defined)."""
    from photocheck import landmarks as LM

    return float(np.ptp(points[LM.FACE_OVAL, 0])) / LONDON_FACE_SHARE / 100


def motion_blur(rgb: np.ndarray, pct_width: float, angle: float, bend: float = 0.0) -> np.ndarray:
    """Camera shake: a motion path of ``pct_width`` % of the image width at ``angle`` degrees."""
    return convolve_linear(rgb, motion_kernel(pct_width / 100 * rgb.shape[1], angle, bend))


def defocus(rgb: np.ndarray, pct_width: float) -> np.ndarray:
    """Out of focus: a disk of diameter ``pct_width`` % of the image width."""
    return convolve_linear(rgb, disk_kernel(pct_width / 200 * rgb.shape[1]))


def sensor_noise(rgb: np.ndarray, sigma: float = 1.5, seed: int = 0) -> np.ndarray:
    """Sensor read/shot noise added after the optics (a blur does not blur the noise)."""
    noise = np.random.default_rng(seed).normal(0, sigma, rgb.shape[:2])[..., None]  # luminance grain
    return np.clip(rgb + noise + 0.5, 0, 255).astype(np.uint8)


# -- camera originals and the upload made from them --------------------------------------------
def camera_original(face_id: str, expr: str = "03", size=CAMERA_SIZE) -> np.ndarray:
    """A portrait camera original (default 2400×3200): a London face composed on blue, scaled to the
    frame width, the clothes continued to the bottom edge. The caller adds the fault, then
    :func:`sensor_noise`, then encodes."""
    from .compose import london, on_background, read_rgb

    person = on_background(read_rgb(london(face_id, expr)))
    W, H = size
    k = W / person.shape[1]
    person = cv2.resize(person, (W, round(person.shape[0] * k)), interpolation=cv2.INTER_CUBIC)
    if person.shape[0] < H:  # clothes continue down
        person = cv2.copyMakeBorder(person, 0, H - person.shape[0], 0, 0, cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(person[:H])


def camera_jpeg(rgb: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, dpi=(72, 72))
    return buf.getvalue()


def upload_from(camera: bytes | np.ndarray) -> bytes:
    """The 480×640 upload a vendor makes from a camera file: photocheck's planned crop, resized,
    encoded (the fault, already in the camera file, goes along)."""
    from photocheck.export import export_upload
    from photocheck.analysis import analyse
    from photocheck.spec import load_spec

    return export_upload(camera, analyse(camera, load_spec("original")))


# -- beauty retouching as phone apps do it ------------------------------------------------------
def skin_region(rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
    """A beauty app's skin mask (float32 0–1): the face oval, forehead and neck skin by colour,
    minus the eyes, brows and lips (kept sharp), feathered."""
    from photocheck import landmarks as LM

    h, w = rgb.shape[:2]
    fw = float(np.ptp(points[LM.FACE_OVAL, 0]))
    oval = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(oval, cv2.convexHull(np.round(points[LM.FACE_OVAL]).astype(np.int32)), 1)
    oval = cv2.dilate(oval, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (int(fw * 0.3) | 1,) * 2))
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    colour = (ycc[..., 1] > 133) & (ycc[..., 1] < 180) & (ycc[..., 2] > 75) & (ycc[..., 2] < 135)
    keep = np.zeros((h, w), np.uint8)
    for idx in (LM.RIGHT_EYE, LM.LEFT_EYE, LM.RIGHT_BROW, LM.LEFT_BROW, LM.LIPS):
        cv2.fillConvexPoly(keep, cv2.convexHull(np.round(points[idx]).astype(np.int32)), 1)
    keep = cv2.dilate(keep, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (int(fw * 0.06) | 1,) * 2))
    m = ((oval > 0) & colour & (keep == 0)).astype(np.float32)
    return cv2.GaussianBlur(m, (0, 0), fw / 80)


def beauty(rgb: np.ndarray, strength: float, method: str = "bilateral", brighten: float = 0.0,
           points: np.ndarray | None = None) -> np.ndarray:
    """Skin smoothing as phone beauty modes do it (eyes, brows and lips kept sharp): ``method``
    "bilateral" (two edge-preserving passes), "guided" (guided filter) or "freqsep" (frequency
    separation: the fine layer attenuated, the coarse layer surface-blurred), blended into the skin
    by ``strength`` (the app's slider, 0–1); ``brighten`` (0–1) lifts and whitens the skin.
    A phone filters the captured image, noise included: add :func:`sensor_noise` *before* it."""
    p = face_points(rgb) if points is None else points
    from photocheck import landmarks as LM

    fw = float(np.ptp(p[LM.FACE_OVAL, 0]))
    r = max(2, int(fw / 40))
    # Filter only the window around the skin mask, grown by the filters' reach (4 r: two bilateral
    # passes, or the guided filter's two box passes): the same pixels as filtering the whole
    # camera frame, at a fraction of the cost.
    skin = skin_region(rgb, p)
    ys_, xs_ = np.nonzero(skin > 0)
    h, w = rgb.shape[:2]
    y0, y1 = (max(0, ys_.min() - 4 * r), min(h, ys_.max() + 4 * r + 1)) if ys_.size else (0, h)
    x0, x1 = (max(0, xs_.min() - 4 * r), min(w, xs_.max() + 4 * r + 1)) if xs_.size else (0, w)
    win = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    xw = win.astype(np.float32)
    if method == "bilateral":
        sm = win
        for _ in range(2):
            sm = cv2.bilateralFilter(sm, 2 * r + 1, 25 + 35 * strength, r)
        sm = sm.astype(np.float32)
    elif method == "guided":
        eps = (0.03 + 0.07 * strength) ** 2 * 255 ** 2
        sm = cv2.ximgproc.guidedFilter(win, xw, 2 * r, eps)
    elif method == "freqsep":
        low = cv2.GaussianBlur(xw, (0, 0), r / 2)
        high = xw - low
        low = cv2.bilateralFilter(low, 2 * r + 1, 30, r)
        sm = low + high * 0.1
    else:
        raise ValueError(method)
    x = rgb.astype(np.float32)
    m = (skin * strength)[..., None]
    out = x.copy()
    out[y0:y1, x0:x1] = xw * (1 - m[y0:y1, x0:x1]) + sm * m[y0:y1, x0:x1]
    if brighten:
        lin = to_linear(np.clip(out + 0.5, 0, 255).astype(np.uint8))
        grey = lin.mean(axis=2, keepdims=True)
        lifted = (grey + (lin - grey) * (1 - 0.35 * brighten)) * (1 + 0.6 * brighten)  # whiter, lighter
        mb = skin[..., None]
        out = to_srgb(lin * (1 - mb) + lifted * mb).astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _warp(rgb: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Move the picture by the field (dx, dy) (where each output pixel takes its colour from)."""
    h, w = rgb.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(rgb, gx + dx, gy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def slim_face(rgb: np.ndarray, strength: float, points: np.ndarray | None = None) -> np.ndarray:
    """Face slimming as a liquify push: the cheeks and jaw drawn toward the face's centre line by
    ``strength`` × face width at most, with a smooth Gaussian falloff."""
    from photocheck import landmarks as LM

    p = face_points(rgb) if points is None else points
    fw = float(np.ptp(p[LM.FACE_OVAL, 0]))
    h, w = rgb.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    dx = np.zeros((h, w), np.float32)
    cx = float(p[[LM.NOSE_TIP, LM.CHIN], 0].mean())
    for idx in (172, 136, 150, 397, 365, 379, 132, 361):  # lower cheeks and jaw, both sides
        qx, qy = p[idx]
        bump = np.exp(-((gx - qx) ** 2 + (gy - qy) ** 2) / (2 * (0.12 * fw) ** 2))
        dx += np.sign(qx - cx) * strength * fw * bump / 2.2  # sample from farther out: the edge moves in
    return _warp(rgb, dx, np.zeros_like(dx))


def enlarge_eyes(rgb: np.ndarray, strength: float, points: np.ndarray | None = None) -> np.ndarray:
    """Eye enlarging: a smooth radial magnification (1 + ``strength`` at the centre) about each eye."""
    from photocheck import landmarks as LM

    p = face_points(rgb) if points is None else points
    h, w = rgb.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    dx, dy = np.zeros((h, w), np.float32), np.zeros((h, w), np.float32)
    for idx in (LM.RIGHT_EYE, LM.LEFT_EYE):
        c = p[idx].mean(axis=0)
        rad = 1.3 * float(np.ptp(p[idx, 0]))
        ox, oy = gx - c[0], gy - c[1]
        r2 = (ox * ox + oy * oy) / (rad * rad)
        k = np.where(r2 < 1, strength * (1 - r2) ** 2, 0).astype(np.float32) / (1 + strength)
        dx -= ox * k
        dy -= oy * k
    return _warp(rgb, dx, dy)
