"""Camera files of one studio session made from real faces, with faults planted the way a studio
makes them (issue 24): for the session rules' tests and benchmark.

Physics, in scene light: the student (a real photo, taken back through the camera curve of
:mod:`support.variants`) is relit by the session's key and fill lights by the shape of the face
(Lambert on the face mesh's normals, as :func:`support.variants.key_light` does), stands in front
of a backdrop with its own reflectance and its own light (a fall-off from top to bottom and side to
side), and the camera exposes, white-balances (Bradford between two blackbody whites), applies
its tone curve, adds sensor noise and writes a JPEG. A fault changes one of these: the exposure
(flash, aperture), the light on the person only, the fill light, the white balance, the backdrop
light. Every frame also gets the small differences of a real session: the flash's power and the
student's distance to the lights vary a little (``jitter``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import cv2
import numpy as np

from photocheck.batch.session import REFERENCE_K, white_balance_matrix

from . import variants as V

SIZE = (1500, 2000)  # camera width × height: the analysis works at a reduced size anyway


@dataclass(frozen=True)
class Setup:
    """A session's lights and camera, and what a fault changes of them."""

    key: float = 1.0            # key light on a surface facing it (relative)
    fill: float = 0.6           # frontal fill light
    azimuth: float = 45.0       # the key's angle from the camera axis (degrees)
    key_left: bool = True       # the key stands on the image-left
    ambient: float = 0.15       # bounce light every surface gets
    backdrop: tuple[float, float, float] = (0.13, 0.55, 1.05)  # backdrop reflectance × its light (scene RGB)
    fall_v: float = 0.25        # backdrop light: top brighter than bottom by this share of the light
    fall_h: float = 0.08        # and the key's side brighter
    exposure: float = 0.0       # stops, the whole picture (flash power, aperture, shutter, ISO)
    person: float = 0.0         # stops, the light on the person only
    white_k: float = REFERENCE_K  # the picture's white (kelvin): REFERENCE_K is balanced
    jitter: float = 1.0         # scale of the session's natural frame-to-frame differences


LONDON = Setup()
# another studio: key from the right at 30°, more fill, a backdrop lit brighter and more evenly, so
# that it records as the CHSI blue itself (sRGB ≈ 100, 197, 255: blue clipped, as on most real shoots)
OTHER = Setup(key=1.0, fill=0.8, azimuth=30.0, key_left=False, backdrop=(0.15, 1.25, 5.0), fall_v=0.12, fall_h=0.04)

# fault → function of the session's Setup and the strength
FAULTS = {
    "exposure": lambda s, k: replace(s, exposure=s.exposure - k),            # flash / camera: face and backdrop
    "person": lambda s, k: replace(s, person=s.person - k),                  # the light on the person only
    "fill_off": lambda s, k: replace(s, fill=0.0),
    "fill_weaker": lambda s, k: replace(s, fill=s.fill * 2.0 ** -k),       # fill k stops weaker
    "warmer": lambda s, k: replace(s, white_k=REFERENCE_K - k),
    "cooler": lambda s, k: replace(s, white_k=REFERENCE_K + k),
    "backdrop_off": lambda s, k: replace(s, backdrop=tuple(c * 2.0 ** -k for c in s.backdrop), fall_h=0.35),
}


def canvas(rgb: np.ndarray, pad: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """The person of a real photo (RGB) and their soft mask on a canvas padded by ``pad`` of the
    height above and at the sides (clothes continued down), scaled to :data:`SIZE`'s width and cut
    or extended to its height — the framing of a studio camera."""
    m = V.person_mask(rgb)
    p = int(pad * rgb.shape[0])
    rgb = cv2.copyMakeBorder(cv2.copyMakeBorder(rgb, 0, p, 0, 0, cv2.BORDER_REPLICATE), p, 0, p, p, cv2.BORDER_CONSTANT)
    m = cv2.copyMakeBorder(cv2.copyMakeBorder(m, 0, p, 0, 0, cv2.BORDER_REPLICATE), p, 0, p, p, cv2.BORDER_CONSTANT)
    W, H = SIZE
    k = W / rgb.shape[1]
    size = (W, round(rgb.shape[0] * k))
    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    m = cv2.resize(m, size, interpolation=cv2.INTER_LINEAR)
    if rgb.shape[0] < H:
        rgb = cv2.copyMakeBorder(rgb, 0, H - rgb.shape[0], 0, 0, cv2.BORDER_REPLICATE)
        m = cv2.copyMakeBorder(m, 0, H - m.shape[0], 0, 0, cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(rgb[:H]), np.ascontiguousarray(m[:H])


@functools.lru_cache(maxsize=4)
def student(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(person in scene light, soft mask, face mesh 478×3, mesh normals' cover data) of a real photo
    placed on the studio canvas. The photo is taken as rendered by the camera curve."""
    from photocheck.io import load

    rgb, m = canvas(load(path).rgb)
    mesh = V.face_mesh(rgb)
    scene = V._curve_inverse(V.to_linear(rgb).astype(np.float64)).astype(np.float32)
    return scene, m, mesh, rgb


def _light_gain(shape, mesh: np.ndarray, s: Setup, base: Setup) -> np.ndarray:
    """Light on the person under the session's key and fill over the frontal light the photo had:
    by the face's surface normals on the face, by a smooth body shape beyond it."""
    from photocheck import landmarks as LM

    h, w = shape
    fw = float(np.ptp(mesh[LM.FACE_OVAL, 0]))
    cx = float(mesh[LM.FACE_OVAL, 0].mean())
    th = np.deg2rad(s.azimuth)
    light = np.array([(-1.0 if s.key_left else 1.0) * np.sin(th), 0.0, np.cos(th)])

    def irr(n):
        return s.ambient + s.fill * np.maximum(n[..., 2], 0) + s.key * np.maximum(n @ light, 0)

    # a frontal surface keeps its exposure under the session's own lights (not the fault's)
    norm = (base.ambient + base.fill + base.key * np.cos(np.deg2rad(base.azimuth))) / (base.ambient + 1.0)
    # beyond the face: a rounded body, its normal turning sideways over ~1.2 face widths
    x = np.arange(w, dtype=np.float32)
    nx = np.clip((x - cx) / (1.2 * fw), -0.95, 0.95)
    body = np.stack([nx, np.zeros_like(nx), np.sqrt(1 - nx ** 2)], axis=1)
    gain = np.broadcast_to((irr(body) / (s.ambient + body[:, 2]))[None, :], (h, w)).astype(np.float32).copy()
    x0, y0 = np.maximum(np.floor(mesh[:, :2].min(axis=0) - 0.2 * fw).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(mesh[:, :2].max(axis=0) + 0.2 * fw).astype(int), (w, h))
    win = (slice(y0, y1), slice(x0, x1))
    n, cover = V._mesh_normals(mesh, win)
    g = irr(n) / (s.ambient + np.maximum(n[..., 2], 0))
    wv = np.clip(cover * 1.5, 0, 1)
    gain[win] = g * wv + gain[win] * (1 - wv)
    return gain / norm


def _backdrop(shape, s: Setup) -> np.ndarray:
    h, w = shape
    y = np.linspace(0.5, -0.5, h, dtype=np.float32)[:, None]
    x = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :] * (-1.0 if s.key_left else 1.0)
    light = (1 + 2 * s.fall_v * y) * (1 + 2 * s.fall_h * x)
    return light[..., None] * np.array(s.backdrop, np.float32)


def frame(path: str, s: Setup, seed: int = 0, base: Setup | None = None) -> bytes:
    """The camera JPEG of the student in ``path`` under set-up ``s`` (a session's set-up, or one a
    fault changed: ``base`` is then the session's own, which sets the exposure), with the
    session's natural differences drawn from ``seed``: flash power ±0.05 stop, the student's
    distance to the lights ±0.1 stop (sd)."""
    scene, m, mesh, _ = student(path)
    rng = np.random.default_rng(seed)
    flash = rng.normal(0, 0.05 * s.jitter)
    near = rng.normal(0, 0.10 * s.jitter)
    person = scene * _light_gain(scene.shape[:2], mesh, s, base or s)[..., None] * 2.0 ** (s.person + near)
    mm = m[..., None]
    lin = (person * mm + _backdrop(scene.shape[:2], s) * (1 - mm)) * 2.0 ** (s.exposure + flash)
    if s.white_k != REFERENCE_K:
        lin = lin @ white_balance_matrix(REFERENCE_K, s.white_k).T.astype(np.float32)
    out = V.to_srgb(V._curve(np.maximum(lin, 0)))
    return V.camera_jpeg(V.sensor_noise(out, sigma=1.5, seed=seed))
