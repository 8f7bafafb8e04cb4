"""Cases for the person rules (issue 3), and the neutral London faces on blue that every rule must
pass (the compliant reference set the other plugins rely on).

Three sources:
- London neutral (``_03``) on blue, as 480×640 upload files: compliant for every rule, except
  the rules their manifest labels break (ears hidden by hair, a headband). Grouped by ethnicity
  and sex from london_info.csv for the fairness table.
- London smiling (``_08``) on blue: ``mouth.closed`` violation when the manifest says the teeth
  show, compliant when the smile is closed-lipped; compliant for the other person rules.
- Single-fault variants of the London neutral photos, made here (a real photo with one thing
  changed): dark lenses painted over the eyes, a lamp's glare on a lens, clothes recoloured to
  the background colour, striped clothes.
- The labelled real photos in ../shared/faces (manifest.csv), checked as camera originals.

A few manifest labels were checked by eye and corrected for one rule (LABEL_FIXES): the label
says "mouth closed", the photo shows parted lips and teeth. Labelled violations that are not clear
ones (NOT_CLEAR) are left out of the tally and named in docs/accuracy.md.
"""

from __future__ import annotations

from benchmarks.accuracy import Case

PERSON_RULES = ("eyes.open", "mouth.closed", "pose.yaw", "pose.pitch", "glasses.tinted", "glasses.glare",
                "hair.eyebrows", "ears.visible", "headwear", "accessories", "clothing.contrast")

# rule → (manifest column, value meaning violation, value(s) meaning compliant)
LABELLED = {
    "eyes.open": ("eyes_open", "no", ("yes",)),
    "mouth.closed": ("mouth_closed", "no", ("yes",)),
    "glasses.tinted": ("glasses", "tinted", ("none", "clear")),
    "hair.eyebrows": ("hair_covers_eyebrows", "yes", ("no",)),
    "ears.visible": ("ears_visible", "none", ("both",)),
    "headwear": ("headwear", "yes", ("no",)),
}
# checked by eye: lips parted with the teeth showing, though labelled "mouth closed"
LABEL_FIXES = {
    ("faceapi__neutral.jpg", "mouth.closed"): ("violation", "lips parted, upper teeth visible (label says closed)"),
    ("openface__lennon-1.jpg", "mouth.closed"): ("violation", "lips parted, teeth visible (label says closed)"),
}
# labelled violations that are not clear ones (the targets are for clear violations): listed in
# docs/accuracy.md as known misses instead of being counted
NOT_CLEAR = {
    ("webmorphstim__lisa3.jpg", "hair.eyebrows"): "a single strand of hair over one eyebrow",
    ("deepface__img40.jpg", "pose.yaw"): "shoulders turned, face nearly frontal (matrix −3°, YuNet and mesh nose offsets ≈ 0)",
}
# head pose violations named in the manifest notes (frontal = no)
POSE_VIOLATIONS = {
    "pose.yaw": ("insightface__pose_left_face.jpeg", "deepface__img40.jpg"),
    "pose.pitch": ("insightface__pose_lower_face.jpeg", "insightface__pose_rise_face.jpeg",
                   "insightface__emotion_anger.png"),
}
EARRINGS = ("earring",)

# London faces whose labels break a person rule (manifest.csv: ears_visible / headwear)
LONDON_EARS_HIDDEN = {"025", "034", "087"}
LONDON_EARS_UNCLEAR = {"062"}
LONDON_HEADWEAR = {"025"}  # shiny headband


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


# -- the cases ------------------------------------------------------------------------------------


def cases():
    from support.compose import IMAGES, compliant_upload, faces_available, london_info, manifest

    from photocheck.rules import all_rules

    if not faces_available():
        return
    every = [r.id for r in all_rules()]
    rows = {r["file"]: r for r in manifest()}
    for fid, info in london_info().items():
        g = {"eth": info["face_eth"], "sex": info["face_gender"]}
        neutral = lambda fid=fid: compliant_upload(fid)  # noqa: E731
        key = f"london_{fid}_03_blue_upload"
        for rid in every:
            if rid == "ears.visible" and fid in LONDON_EARS_UNCLEAR:
                continue
            if rid == "ears.visible" and fid in LONDON_EARS_HIDDEN:
                yield Case(f"london_{fid}_03_blue", rid, "violation", neutral, "upload", group=g, key=key,
                           note="hair covers the ears (manifest)")
            elif rid == "headwear" and fid in LONDON_HEADWEAR:
                yield Case(f"london_{fid}_03_blue", rid, "violation", neutral, "upload", group=g, key=key,
                           note="shiny headband (manifest)")
            else:
                yield Case(f"london_{fid}_03_blue", rid, "compliant", neutral, "upload", group=g, key=key)

        # smiling: teeth or a closed-lip smile; the other person rules must still pass
        row = rows.get(f"webmorphstim__london_{fid}_08.jpg", {})
        smile = lambda fid=fid: compliant_upload(fid, "08")  # noqa: E731
        skey = f"london_{fid}_08_blue_upload"
        teeth = row.get("mouth_closed") == "no"
        yield Case(f"london_{fid}_08_blue", "mouth.closed", "violation" if teeth else "compliant", smile, "upload",
                   group=g, key=skey, note="smile with teeth" if teeth else "closed-lip smile")
        for rid in ("eyes.open", "pose.yaw", "pose.pitch", "glasses.tinted", "glasses.glare", "hair.eyebrows"):
            yield Case(f"london_{fid}_08_blue", rid, "compliant", smile, "upload", group=g, key=skey)

        for name, (rid, _) in VARIANTS.items():
            yield Case(f"london_{fid}_{name}", rid, "violation", _variant_fn(fid, name), "upload", group=g,
                       key=f"london_{fid}_{name}")

    # labelled real photos, judged as camera originals (the frame is the planned crop)
    for name, row in rows.items():
        if name.startswith("webmorphstim__london_") or row["n_faces"] != "1":
            continue
        path = IMAGES / name
        cid = name.rsplit(".", 1)[0]
        frontal = row["frontal"]
        for rid, (col, bad, good) in LABELLED.items():
            fix = LABEL_FIXES.get((name, rid))
            if (name, rid) in NOT_CLEAR:
                continue
            if fix:
                yield Case(cid, rid, fix[0], path, "original", note=fix[1])
            elif row[col] == bad:
                yield Case(cid, rid, "violation", path, "original", note=row["notes"][:80])
            elif row[col] in good and frontal != "no":
                yield Case(cid, rid, "compliant", path, "original")
        for rid, bad_files in POSE_VIOLATIONS.items():
            if (name, rid) in NOT_CLEAR:
                continue
            if name in bad_files:
                yield Case(cid, rid, "violation", path, "original", note=row["notes"][:80])
            elif frontal == "yes":
                yield Case(cid, rid, "compliant", path, "original")
        if row["glasses"] == "clear":  # wearing glasses, no visible glare
            yield Case(cid, "glasses.glare", "compliant", path, "original")
        if any(w in row["notes"].lower() for w in EARRINGS):
            yield Case(cid, "accessories", "violation", path, "original", note=row["notes"][:80])
