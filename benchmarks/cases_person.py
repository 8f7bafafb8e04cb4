"""Cases for the person rules, and the London faces on blue that every other rule must pass (the
compliant reference set the other plugins rely on).

Sources:
- London neutral (``_03``) and smiling (``_08``) on blue, as 480×640 upload files: for the person
  rules, what the original photo's labels say (tests/support/labels.py: ears hidden by hair, a
  headband, teeth in a smile); compliant for every other rule. Grouped by ethnicity and sex from
  london_info.csv for the fairness table.
- The labelled real photos in ../shared/faces (manifest.csv, accessories.csv), checked as camera
  originals, with the same labels.
- Single-fault variants of the London photos, made here (``origin="variant"``): dark lenses
  painted over the eyes, a lamp's glare on a lens, clothes recoloured to the background colour,
  striped clothes, and smiles with teeth closed to lips slightly apart (the edge of the teeth
  showing; tests/support/person_variants.py).

Label corrections made by looking at a photo (LABEL_FIXES) and labelled violations that are not
clear ones (NOT_CLEAR, named in docs/accuracy.md) live in tests/support/labels.py.
"""

from __future__ import annotations

from benchmarks.accuracy import Case

PERSON_RULES = ("eyes.open", "mouth.closed", "pose.yaw", "pose.pitch", "glasses.tinted", "glasses.glare",
                "hair.eyebrows", "ears.visible", "headwear", "accessories", "clothing.contrast")
# the person rules whose labels tests/support/labels.py reads off the real photos
LABELLED_RULES = ("eyes.open", "mouth.closed", "pose.yaw", "pose.pitch", "glasses.tinted", "glasses.glare",
                  "hair.eyebrows", "ears.visible", "headwear", "accessories")


# -- single-fault variants of a London neutral photo --------------------------------------------


def _frame_and_face(fid: str):
    """The compliant 480×640 frame and its analysis (landmarks in frame px)."""
    import photocheck
    from support.compose import compliant_frame, compliant_upload

    rgb = compliant_frame(fid).copy()
    return rgb, photocheck.analyse(compliant_upload(fid))


def _ellipse(shape, centre, axes, angle=0.0):
    import cv2
    import numpy as np

    m = np.zeros(shape[:2], np.uint8)
    cv2.ellipse(m, (int(round(centre[0])), int(round(centre[1]))), (max(1, int(axes[0])), max(1, int(axes[1]))),
                angle, 0, 360, 1, -1)
    return m.astype(bool)


def _lens_geometry(a):
    """Per eye (centre, half-width, half-height, angle) of a plausible spectacle lens."""
    import math

    import numpy as np

    from photocheck import landmarks as L

    p = a.face.points
    out = []
    for idx, c1, c2 in ((L.RIGHT_EYE, 33, 133), (L.LEFT_EYE, 263, 362)):
        c = p[idx, :2].mean(axis=0)
        w = float(np.linalg.norm(p[c1, :2] - p[c2, :2]))
        ang = math.degrees(math.atan2(p[c2, 1] - p[c1, 1], p[c2, 0] - p[c1, 0]))
        out.append((c, 0.8 * w, 0.6 * w, ang))
    return out


def sunglasses(rgb, a, transmit: float = 0.15):
    """Dark lenses (15 % light transmission) with a thin dark frame over both eyes."""
    import cv2
    import numpy as np

    out = rgb.astype(np.float32)
    for c, ax, ay, ang in _lens_geometry(a):
        m = _ellipse(rgb.shape, c, (ax, ay), ang)
        out[m] = out[m] * transmit + 8
        rim = _ellipse(rgb.shape, c, (ax + 2, ay + 2), ang) & ~m
        out[rim] = 20
    (c0, *_), (c1, *_) = _lens_geometry(a)
    cv2.line(out, tuple(int(v) for v in c0), tuple(int(v) for v in c1), (20, 20, 20), 2)
    return np.clip(out, 0, 255).astype(np.uint8)


def glare(rgb, a, eye: int = 0, strength: float = 0.97):
    """A lamp mirrored in a spectacle lens: a soft near-white patch over part of one lens."""
    import cv2
    import numpy as np

    c, ax, ay, ang = _lens_geometry(a)[eye]
    blob = np.zeros(rgb.shape[:2], np.float32)
    cv2.ellipse(blob, (int(c[0] - 0.2 * ax), int(c[1] - 0.2 * ay)), (int(0.55 * ax), int(0.45 * ay)), ang - 20,
                0, 360, 1.0, -1)
    blob = cv2.GaussianBlur(blob, (0, 0), 1.5)[..., None] * strength
    out = rgb.astype(np.float32) * (1 - blob) + 252.0 * blob
    return np.clip(out, 0, 255).astype(np.uint8)


def _clothes(rgb, a):
    import numpy as np

    from photocheck import landmarks as L

    chin = float(a.face.points[L.CHIN, 1])
    m = np.zeros(rgb.shape[:2], bool)
    m[int(chin + 0.35 * a.face_width):, :] = True
    return m & (a.person >= 0.5)


def clothes_recoloured(rgb, a, color=(100, 197, 255)):
    """The clothes recoloured to ``color`` (the background blue), shading kept."""
    import numpy as np

    m = _clothes(rgb, a)
    g = rgb[..., :].astype(np.float32).mean(axis=2)
    shade = g / max(float(np.median(g[m])), 1.0)
    out = rgb.astype(np.float32)
    out[m] = np.clip(np.array(color, np.float32)[None, :] * shade[m][:, None], 0, 255)
    return out.astype(np.uint8)


def striped_clothes(rgb, a, period: int = 10):
    """Dark horizontal stripes across the clothes (a busy pattern)."""
    import numpy as np

    m = _clothes(rgb, a)
    y = np.arange(rgb.shape[0])[:, None]
    stripe = ((y // (period // 2)) % 2 == 0) & m
    out = rgb.copy()
    out[stripe] = (out[stripe] * 0.25).astype(np.uint8)
    return out


VARIANTS = {  # name → (rule it breaks, builder(rgb, analysis) → rgb)
    "sunglasses": ("glasses.tinted", sunglasses),
    "lens_glare": ("glasses.glare", glare),
    "clothes_like_background": ("clothing.contrast", clothes_recoloured),
    "striped_clothes": ("clothing.contrast", striped_clothes),
}


def variant(fid: str, name: str) -> bytes:
    """The upload JPEG of London face ``fid`` (neutral, on blue) with one person fault added."""
    from support.compose import jpeg

    rgb, a = _frame_and_face(fid)
    return jpeg(VARIANTS[name][1](rgb, a))


def _variant_fn(fid: str, name: str):
    return lambda: variant(fid, name)


# lips slightly parted over a smile with teeth: the gap between the lips, in mouth widths
TEETH_EDGE_GAPS = (0.06, 0.04, 0.025)


def _parted_fn(fid: str, gap: float):
    def build():
        from support.person_variants import slightly_parted_upload

        return slightly_parted_upload(fid, gap)

    return build


# -- the cases ------------------------------------------------------------------------------------


def cases():
    from support.compose import IMAGES, compliant_upload, faces_available, london_info
    from support.labels import real_labels, single_face_files

    from photocheck.rules import all_rules

    if not faces_available():
        return
    every = [r.id for r in all_rules()]
    labels = {rid: real_labels(rid) for rid in LABELLED_RULES}

    def london_case(fid: str, expr: str, rid: str, photo, g, key: str):
        """A London photo on blue: what its original's labels say for a person rule (the person is
        untouched by the composition), compliant for every other rule."""
        if rid not in labels:
            return Case(f"london_{fid}_{expr}_blue", rid, "compliant", photo, "upload", group=g, key=key)
        got = labels[rid].get(f"webmorphstim__london_{fid}_{expr}.jpg")
        if got is None:  # not clearly labelled for this rule
            return None
        return Case(f"london_{fid}_{expr}_blue", rid, got[0], photo, "upload", group=g, key=key, note=got[1])

    for fid, info in london_info().items():
        g = {"eth": info["face_eth"], "sex": info["face_gender"]}
        neutral = lambda fid=fid: compliant_upload(fid)  # noqa: E731
        smile = lambda fid=fid: compliant_upload(fid, "08")  # noqa: E731
        for rid in every:
            c = london_case(fid, "03", rid, neutral, g, f"london_{fid}_03_blue_upload")
            if c:
                yield c
        # smiling: teeth or a closed-lip smile; the other person rules must still pass
        for rid in LABELLED_RULES:
            c = london_case(fid, "08", rid, smile, g, f"london_{fid}_08_blue_upload")
            if c:
                yield c
        for name, (rid, _) in VARIANTS.items():
            yield Case(f"london_{fid}_{name}", rid, "violation", _variant_fn(fid, name), "upload", group=g,
                       key=f"london_{fid}_{name}", origin="variant", kind=name)
        if labels["mouth.closed"].get(f"webmorphstim__london_{fid}_08.jpg", ("",))[0] == "violation":
            for gap in TEETH_EDGE_GAPS:  # the smile with teeth, lips closed to a thin gap
                yield Case(f"london_{fid}_teeth_edge_{gap}", "mouth.closed", "violation", _parted_fn(fid, gap),
                           "upload", group=g, key=f"london_{fid}_teeth_edge_{gap}", origin="variant",
                           kind="teeth_edge", strength=f"lips {100 * gap:g} % of the mouth width apart")

    # labelled real photos, judged as camera originals (the frame is the planned crop)
    for name in single_face_files():
        if name.startswith("webmorphstim__london_"):
            continue
        path = IMAGES / name
        cid = name.rsplit(".", 1)[0]
        for rid in LABELLED_RULES:
            got = labels[rid].get(name)
            if got:
                yield Case(cid, rid, got[0], path, "original", note=got[1])
