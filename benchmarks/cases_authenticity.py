"""Authenticity-rule cases for ``benchmarks/accuracy.py``, and the image transforms that make them.

Copies of a reference (``enrollment_reuse`` violations) are derived from the real London photos the
way a vendor or student would reuse an old photo: re-encoded, resized, cropped, rotated 2–3°,
brightened, recoloured, put on a new background and framed as an upload, mirrored, or all at once.
New photos of the same person (the London smiling photo against the neutral one; other photos of
one person in ``manifest.csv``) must pass. Identity pairs: same person vs other London people.
Retouch: a typical beauty filter (:func:`beauty_filter`) vs the natural photo. Recapture: the real
re-photographed screen in ``../shared/faces`` and synthetic screen/halftone re-shots vs every real
single-face photo.

The transforms are plain functions (used by ``tests/test_authenticity.py`` too).
"""

from __future__ import annotations

import functools
import io
from collections import defaultdict

import cv2
import numpy as np
from PIL import Image

try:
    from benchmarks.accuracy import Case
except ImportError:  # imported from the tests without the benchmark on the path
    Case = None  # type: ignore[assignment]


# -- transforms (all vectorised; RGB uint8 in, RGB uint8 out) ------------------------------------
def encode(rgb: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def rotate(rgb: np.ndarray, degrees: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(rgb, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def resize(rgb: np.ndarray, k: float) -> np.ndarray:
    return cv2.resize(rgb, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)


def crop_margins(rgb: np.ndarray, top=0.08, bottom=0.05, left=0.12, right=0.10) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.ascontiguousarray(rgb[int(top * h):int((1 - bottom) * h), int(left * w):int((1 - right) * w)])


def brighten(rgb: np.ndarray, gain: float = 1.25, offset: float = 15) -> np.ndarray:
    return np.clip(rgb.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8)


def recolour(rgb: np.ndarray, hue: int = 8, balance=(1.08, 1.0, 0.9)) -> np.ndarray:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = ((hsv[..., 0].astype(np.int32) + hue) % 180).astype(np.uint8)
    out = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).astype(np.float32) * np.array(balance, np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def mirror(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, ::-1])


def beauty_filter(rgb: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """A typical phone/vendor beauty filter: edge-preserving (bilateral) smoothing of skin-coloured
    pixels (YCrCb skin range, feathered), two passes, then a brightening gamma."""
    h, w = rgb.shape[:2]
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    skin = ((ycc[..., 1] > 133) & (ycc[..., 1] < 178) & (ycc[..., 2] > 77) & (ycc[..., 2] < 130)).astype(np.float32)
    skin = cv2.GaussianBlur(skin, (0, 0), max(2.0, w / 300))[..., None]
    d = max(5, int(w / 90)) | 1
    smooth = rgb
    for _ in range(2):
        smooth = cv2.bilateralFilter(smooth, d, 40 * strength, d)
    out = rgb * (1 - skin) + smooth * skin
    out = 255.0 * (out / 255.0) ** 0.85
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def screen_reshot(rgb: np.ndarray, period: int = 3, angle: float = 1.5, out_scale: float = 0.42,
                  seed: int = 0, sampling: str = "sensor") -> np.ndarray:
    """The photo shown on an RGB-stripe screen (each pixel → ``period``² subpixels, dark row gaps)
    and photographed: slight rotation, lens blur, sensor sampling (point sampling, which aliases
    the grid into moiré as a camera does; ``sampling="area"`` averages it away instead), noise."""
    h, w = rgb.shape[:2]
    big = cv2.resize(rgb, (w * period, h * period), interpolation=cv2.INTER_NEAREST).astype(np.float32)
    yy, xx = np.mgrid[0:h * period, 0:w * period]
    sub = xx % period
    grid = np.stack([(sub == c % period) for c in range(3)], axis=-1).astype(np.float32)
    grid[(yy % period) == period - 1] *= 0.3
    big = np.clip(big * (0.25 + 0.75 * grid) * 1.6, 0, 255).astype(np.uint8)
    m = cv2.getRotationMatrix2D((w * period / 2, h * period / 2), angle, 1.0)
    big = cv2.warpAffine(big, m, (w * period, h * period), borderMode=cv2.BORDER_REFLECT)
    big = cv2.GaussianBlur(big, (0, 0), 0.8)
    k = out_scale / period * 3
    interp = cv2.INTER_AREA if sampling == "area" else cv2.INTER_LINEAR
    out = cv2.resize(big, None, fx=k, fy=k, interpolation=interp).astype(np.float32)
    out += np.random.default_rng(seed).normal(0, 2.0, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def halftone_reshot(rgb: np.ndarray, period: float = 7.0, angle: float = 45, out_scale: float = 0.5) -> np.ndarray:
    """The photo printed with a halftone dot screen, then photographed/scanned (blur, resampling)."""
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = np.deg2rad(angle)
    u = (xx * np.cos(t) + yy * np.sin(t)) * 2 * np.pi / period
    v = (-xx * np.sin(t) + yy * np.cos(t)) * 2 * np.pi / period
    dots = (np.cos(u) + np.cos(v)) / 4 + 0.5
    out = np.where(rgb.astype(np.float32) / 255 > dots[..., None], 255, 30).astype(np.float32)
    out = cv2.GaussianBlur(out, (0, 0), 1.2)
    out = cv2.resize(out, None, fx=out_scale, fy=out_scale, interpolation=cv2.INTER_AREA)
    return np.clip(out, 0, 255).astype(np.uint8)


def add_border(rgb: np.ndarray, width: int = 12, colour=(255, 255, 255), sides: str = "tblr",
               keep_size: bool = True) -> np.ndarray:
    """A painted border (``sides`` of t/b/l/r), the image scaled back to its size when ``keep_size``."""
    h, w = rgb.shape[:2]
    t, b, l, r = (width if c in sides else 0 for c in "tblr")
    out = cv2.copyMakeBorder(rgb, t, b, l, r, cv2.BORDER_CONSTANT, value=tuple(int(c) for c in colour))
    return cv2.resize(out, (w, h), interpolation=cv2.INTER_AREA) if keep_size else out


def as_upload(rgb: np.ndarray, background: bool = True) -> bytes:
    """Frame ``rgb`` as photocheck plans it and encode the 480×640 upload (new blue background
    first when ``background``)."""
    from photocheck.framing import crop
    from support.compose import frame_of, jpeg, on_background

    src = on_background(rgb) if background else rgb
    return jpeg(np.ascontiguousarray(crop(src, frame_of(src), (480, 640))))


COPIES = {
    "jpeg_q40": lambda o: encode(o, 40),
    "resized_35pct": lambda o: encode(resize(o, 0.35)),
    "cropped": lambda o: encode(crop_margins(o)),
    "rotated_2.5": lambda o: encode(rotate(o, 2.5)),
    "rotated_-3": lambda o: encode(rotate(o, -3.0)),
    "brightened": lambda o: encode(brighten(o)),
    "recoloured": lambda o: encode(recolour(o)),
    "new_background_upload": lambda o: as_upload(o),
    "mirrored": lambda o: encode(mirror(o)),
    "all_at_once": lambda o: encode(brighten(rotate(resize(recolour(o), 0.5), -2.0), 1.1, 10), 60),
    "thumbnail_enlarged": lambda o: encode(resize(resize(o, 0.1), 6)),  # from a 135 px thumbnail
}


BEAUTY_METHODS = ("bilateral", "guided", "freqsep")


@functools.lru_cache(maxsize=1)
def _noisy_original(fid: str) -> tuple[np.ndarray, np.ndarray]:
    """The 2400×3200 camera original with its sensor noise and its landmarks, made once for the
    cases of one face (they come one face after another; read-only)."""
    from support import variants as V

    rgb = V.sensor_noise(V.camera_original(fid), seed=int(fid))
    rgb.flags.writeable = False
    return rgb, V.face_points(rgb)


def phone_beauty(fid: str, method: str, strength: float, brighten: float) -> bytes:
    """The 480×640 upload made from a camera original that a phone's beauty mode smoothed."""
    from support import variants as V

    rgb, points = _noisy_original(fid)
    return V.upload_from(V.camera_jpeg(V.beauty(rgb, strength, method, brighten, points=points)))


def phone_natural(fid: str) -> bytes:
    """The upload made from the same noisy camera original with no beauty filter (the control)."""
    from support import variants as V

    return V.upload_from(V.camera_jpeg(_noisy_original(fid)[0]))


# -- cases --------------------------------------------------------------------------------------
def cases():
    from support.compose import (IMAGES, compliant_frame, compliant_upload, faces_available, london, london_ids,
                                 london_info, manifest, read_rgb)
    from support.compose import jpeg as T_jpeg

    if not faces_available():
        return
    info = london_info()
    ids = london_ids()

    def orig(fid):
        return read_rgb(london(fid, "03"))

    for i, fid in enumerate(ids):
        g = {"eth": info[fid]["face_eth"], "sex": info[fid]["face_gender"]}
        ref = london(fid, "03")
        # enrollment_reuse: copies of the reference fail, the new (smiling) photo passes
        for name, make in COPIES.items():
            prof = "upload" if name == "new_background_upload" else "original"
            yield Case(f"london_{fid}_copy_{name}", "authenticity.enrollment_reuse", "violation",
                       lambda fid=fid, make=make: make(orig(fid)), prof, references=(ref,),
                       key=f"auth_london_{fid}_{name}", origin="variant", kind="copy", strength=name)
        # a small enrollment-size reference (176 px) of the same file
        small_ref = (lambda fid=fid: encode(resize(orig(fid), 0.13), 75))
        yield Case(f"london_{fid}_copy_of_small_ref", "authenticity.enrollment_reuse", "violation",
                   lambda fid=fid: compliant_upload(fid), "upload", references=(small_ref,),
                   key=f"london_{fid}_03_blue_upload")
        yield Case(f"london_{fid}_new_photo", "authenticity.*", "compliant",
                   lambda fid=fid: compliant_upload(fid, "08"), "upload", references=(ref,), group=g,
                   key=f"london_{fid}_08_blue_upload")
        yield Case(f"london_{fid}_new_photo_blurred", "authenticity.enrollment_reuse", "compliant",
                   lambda fid=fid: encode(cv2.GaussianBlur(read_rgb(london(fid, "08")), (0, 0), 3.0)), "original",
                   references=(ref,), group=g, key=f"auth_london_{fid}_08_blurred",
                   note="a new photo, out of focus: compared at a coarser band, must still not look like a copy")
        yield Case(f"london_{fid}_new_photo_small_ref", "authenticity.enrollment_reuse", "compliant",
                   lambda fid=fid: compliant_upload(fid, "08"), "upload", references=(small_ref,), group=g,
                   key=f"london_{fid}_08_blue_upload")
        # identity: the next London person (a different sex/ethnicity as often as not)
        other = london(ids[(i + 1) % len(ids)], "03")
        yield Case(f"london_{fid}_vs_{ids[(i + 1) % len(ids)]}", "authenticity.identity", "violation",
                   lambda fid=fid: compliant_upload(fid, "08"), "upload", references=(other,),
                   key=f"london_{fid}_08_blue_upload")
        # retouch: beauty filter at two strengths, as an upload and as a camera original
        yield Case(f"london_{fid}_beauty_upload", "authenticity.retouch", "violation",
                   lambda fid=fid: as_upload(beauty_filter(orig(fid))), "upload", key=f"auth_beauty_{fid}_up",
                   origin="variant", kind="beauty_filter", strength="bilateral 1.0 + gamma, on the 1350 px photo")
        yield Case(f"london_{fid}_beauty_soft_upload", "authenticity.retouch", "violation",
                   lambda fid=fid: as_upload(beauty_filter(orig(fid), 0.6)), "upload", key=f"auth_beauty06_{fid}_up",
                   origin="variant", kind="beauty_filter", strength="bilateral 0.6 + gamma, on the 1350 px photo")
        yield Case(f"london_{fid}_beauty_original", "authenticity.retouch", "violation",
                   lambda fid=fid: encode(beauty_filter(orig(fid)), 92), "original", key=f"auth_beauty_{fid}_orig",
                   origin="variant", kind="beauty_filter", strength="bilateral 1.0 + gamma, on the 1350 px photo")
        for expr in ("03", "08"):
            yield Case(f"london_{fid}_{expr}_natural", "authenticity.retouch", "compliant",
                       lambda fid=fid, expr=expr: compliant_upload(fid, expr), "upload", group=g,
                       key=f"london_{fid}_{expr}_blue_upload")
            yield Case(f"london_{fid}_{expr}_camera", "authenticity.re*", "compliant", london(fid, expr), "original",
                       group=g)
        # retouch as phone beauty modes do it, on the 2400×3200 camera original (noise first: the
        # phone filters what the sensor captured), judged as the upload made from it: every method
        # on every face (12 cases per method and strength), and the same camera pipeline without
        # the filter as the compliant control
        for method in BEAUTY_METHODS:
            for strength, bright in ((0.4, 0.0), (0.7, 0.0), (1.0, 0.0), (0.7, 0.6)):
                label = f"{method} {strength}" + (" + brightening" if bright else "")
                yield Case(f"london_{fid}_phone_beauty_{method}_{strength}_{bright}", "authenticity.retouch",
                           "violation", lambda fid=fid, m=method, s_=strength, b=bright: phone_beauty(fid, m, s_, b),
                           "upload", key=f"auth_phone_beauty_{fid}_{method}_{strength}_{bright}", origin="variant",
                           kind="beauty_smoothing", strength=label)
        yield Case(f"london_{fid}_phone_natural", "authenticity.retouch", "compliant",
                   lambda fid=fid: phone_natural(fid), "upload", group=g, key=f"auth_phone_natural_{fid}",
                   origin="variant", note="the phone-beauty pipeline (sensor noise, camera JPEG, upload) without the filter")
        # recapture: shown on a screen / printed in halftone, then photographed
        yield Case(f"london_{fid}_screen_reshot", "authenticity.recapture", "violation",
                   lambda fid=fid: encode(screen_reshot(orig(fid), seed=int(fid))), "original", key=f"auth_screen_{fid}",
                   origin="variant", kind="screen_reshot")
        yield Case(f"london_{fid}_halftone_reshot", "authenticity.recapture", "violation",
                   lambda fid=fid: encode(halftone_reshot(orig(fid))), "original", key=f"auth_halftone_{fid}",
                   origin="variant", kind="halftone_reshot")
        yield Case(f"london_{fid}_halftone_upload", "authenticity.recapture", "violation",
                   lambda fid=fid: as_upload(halftone_reshot(orig(fid)), background=False), "upload",
                   key=f"auth_halftone_{fid}_up", origin="variant", kind="halftone_reshot")
        yield Case(f"london_{fid}_screen_upload", "authenticity.recapture", "violation",
                   lambda fid=fid: as_upload(screen_reshot(orig(fid), seed=int(fid)), background=False), "upload",
                   key=f"auth_screen_{fid}_up", origin="variant", kind="screen_reshot")
        # edits: a border painted around the upload (white frame; a coloured bar at one side)
        yield Case(f"london_{fid}_white_border", "authenticity.edits", "violation",
                   lambda fid=fid: T_jpeg(add_border(compliant_frame(fid))), "upload", key=f"auth_border_{fid}",
                   origin="variant", kind="border", strength="white frame 12 px")
        yield Case(f"london_{fid}_red_bar_left", "authenticity.edits", "violation",
                   lambda fid=fid: T_jpeg(add_border(compliant_frame(fid), 20, (200, 30, 30), "l")), "upload",
                   key=f"auth_bar_{fid}", origin="variant", kind="border", strength="red bar 20 px, left")
        yield Case(f"london_{fid}_03_natural_edits", "authenticity.edits", "compliant",
                   lambda fid=fid: compliant_upload(fid), "upload", group=g, key=f"london_{fid}_03_blue_upload")
        yield Case(f"london_{fid}_03_natural_recapture", "authenticity.recapture", "compliant",
                   lambda fid=fid: compliant_upload(fid), "upload", group=g, key=f"london_{fid}_03_blue_upload")

    # real photos from manifest.csv
    rows = manifest()
    by_person = defaultdict(list)
    for r in rows:
        pid = r["person_id"]
        if r["n_faces"] == "1" and pid and ";" not in pid and not pid.startswith("london"):
            by_person[pid].append(r["file"])
    copies_of = {"hivision__test0.jpg": "deepface__img18.jpg", "facerec__obama_partial_face.jpg": "facerec__obama.jpg",
                 "insightface__r90.jpg": "insightface__kun.jpg"}  # re-framed / cropped / turned 90° copies
    for pid, files in by_person.items():
        ref = IMAGES / files[0]
        for f in files[1:]:
            if copies_of.get(f) == files[0]:
                continue
            # a different photo of the same person: not a copy, same identity
            yield Case(f"{pid}_{f}_vs_{files[0]}", "authenticity.enrollment_reuse", "compliant", IMAGES / f,
                       "original", references=(ref,))
            yield Case(f"{pid}_{f}_same_person", "authenticity.identity", "compliant", IMAGES / f,
                       "original", references=(ref,))
    for f, ref in copies_of.items():
        yield Case(f"real_copy_{f}", "authenticity.enrollment_reuse", "violation", IMAGES / f, "original",
                   references=(IMAGES / ref,), note="a real crop/re-edit of the same source photo")
    yield Case("real_screen_reshot_rgb_fake", "authenticity.recapture", "violation",
               IMAGES / "insightface__rgb_fake.jpg", "original", note="a real photo of a screen")
    # retouching as labelled in manifest.csv (tests/support/labels.py, as the precision test reads it)
    from support.labels import real_labels

    for name, (expect, note) in real_labels("authenticity.retouch").items():
        if "fake" not in name and not name.startswith("webmorphstim__london"):
            yield Case(f"real_{name}_" + ("retouched" if expect == "violation" else "not_retouched"),
                       "authenticity.retouch", expect, IMAGES / name, "original", note=note)
    for r in rows:
        if r["n_faces"] == "1" and "fake" not in r["file"] and not r["file"].startswith("webmorphstim__london"):
            yield Case(f"real_{r['file']}_not_recaptured", "authenticity.recapture", "compliant", IMAGES / r["file"],
                       "original")
            if "bars left/right (padded image)" in r["notes"]:
                yield Case(f"real_{r['file']}_padded", "authenticity.edits", "violation", IMAGES / r["file"], "original",
                           note="white bars added at the sides (manifest.csv)")
            else:
                yield Case(f"real_{r['file']}_no_border", "authenticity.edits", "compliant", IMAGES / r["file"],
                           "original")
