"""Cases for the core rules (issue 2): single-fault variants of every London face composed on
blue, smiling London faces as extra compliant photos, and real photos from ../shared/faces
labelled in manifest.csv (group photos, cluttered or non-blue backgrounds, bad light, blur, roll).

The neutral London faces on blue (compliant for every rule) come from cases_person.py."""

from __future__ import annotations

import functools

from benchmarks.accuracy import Case

CORE_PATTERNS = ("file.*", "image.*", "face.*", "geometry.*", "pose.roll", "background.*", "lighting.*", "quality.*")

VARIANTS = {  # name → (rule it breaks, builder(rgb, analysis) → jpeg bytes)
    "head_too_high": ("geometry.head_top", lambda V, fid, rgb, a: V.head_too_high(fid)),
    "face_too_small": ("geometry.face_width", lambda V, fid, rgb, a: V.face_too_small(fid, a.head_top)),
    "off_centre": ("geometry.centered", lambda V, fid, rgb, a: V.off_centre(fid)),
    "tilted": ("pose.roll", lambda V, fid, rgb, a: V.tilted(rgb, (a.face_cx, a.eye_y))),
    "white_background": ("background.color", lambda V, fid, rgb, a: V.background(rgb, (255, 255, 255))),
    "grey_background": ("background.color", lambda V, fid, rgb, a: V.background(rgb, (240, 240, 240))),
    "red_background": ("background.color", lambda V, fid, rgb, a: V.background(rgb, (200, 40, 40))),
    "gradient_background": ("background.uniform", lambda V, fid, rgb, a: V.gradient_background(rgb)),
    "shadowed_background": ("background.uniform", lambda V, fid, rgb, a: V.shadowed_background(rgb)),
    "too_dark": ("lighting.exposure", lambda V, fid, rgb, a: V.person_exposure(rgb, 0.12)),
    "overexposed": ("lighting.exposure", lambda V, fid, rgb, a: V.person_exposure(rgb, 4.0)),
    "half_face_shadow": ("lighting.evenness", lambda V, fid, rgb, a: V.half_face_shadow(rgb, a.face_cx)),
    "blurred": ("quality.sharpness", lambda V, fid, rgb, a: V.blurred(rgb)),
    "quality_15": ("file.jpeg_quality", lambda V, fid, rgb, a: V.low_quality(rgb, 15)),
    "quality_15_blocks": ("quality.compression", lambda V, fid, rgb, a: V.low_quality(rgb, 15)),
    "greyscale": ("image.color", lambda V, fid, rgb, a: V.greyscale(rgb)),
    "size_600x800": ("image.dimensions", lambda V, fid, rgb, a: V.wrong_size(rgb)),
    "over_40kb": ("file.size", lambda V, fid, rgb, a: V.too_big(rgb)),
    "head_too_low": ("geometry.eye_line", lambda V, fid, rgb, a: V.head_too_low(fid)),
    "green_cast": ("lighting.color_cast", lambda V, fid, rgb, a: V.colour_cast(rgb, (0.85, 1.15, 0.85))),
    "magenta_cast": ("lighting.color_cast", lambda V, fid, rgb, a: V.colour_cast(rgb, (1.15, 0.8, 1.15))),
    "dpi_72": ("image.dpi", lambda V, fid, rgb, a: V.dpi_72(rgb)),
    "png_named_jpg": ("file.format", lambda V, fid, rgb, a: V.png_named_jpg(rgb)),
    "progressive": ("file.format", lambda V, fid, rgb, a: V.progressive(rgb)),
    "zero_padded": ("file.format", lambda V, fid, rgb, a: V.padded(rgb)),
}


def _variant(fid: str, name: str):
    def build():
        import photocheck
        from support import variants as V
        from support.compose import compliant_frame, compliant_upload

        rgb = compliant_frame(fid)
        a = photocheck.analyse(compliant_upload(fid))
        return VARIANTS[name][1](V, fid, rgb, a)

    return build


# Faults as cameras and lights make them (issue 13): made on a 2400×3200 camera original of each
# London face, in linear light, before the crop/resize/JPEG; judged as the original and as the
# 480×640 upload made from it. Angles rotate over the people so every angle is covered.
ANGLES = (0, 30, 45, 60, 90, 135)
CAMERA_FAULTS = {  # kind → (rule, [(strength label, builder(V, rgb, points, mask, i) → rgb, noise after?)])
    "motion_blur": ("quality.sharpness", [
        (f"{pct} % of width", (lambda pct: lambda V, rgb, p, m, i: V.motion_blur(rgb, pct, ANGLES[i % 6]))(pct))
        for pct in (0.5, 1.0, 1.7, 2.5)] + [
        ("1.7 % of width, curved", lambda V, rgb, p, m, i: V.motion_blur(rgb, 1.7, ANGLES[(i + 3) % 6] + 10, 0.15))]),
    "defocus": ("quality.sharpness", [
        (f"disk {pct} % of width", (lambda pct: lambda V, rgb, p, m, i: V.defocus(rgb, pct))(pct)) for pct in (0.5, 1.0)]),
    "under_exposure": ("lighting.exposure", [
        (f"{s} stops, tone curve", (lambda s: lambda V, rgb, p, m, i: V.tone_exposure(rgb, -s, m))(s)) for s in (1.0, 1.3, 1.5)] + [
        (f"{s} stops, mid-tones (highlights kept)", (lambda s: lambda V, rgb, p, m, i: V.midtone_exposure(rgb, -s, m))(s))
        for s in (1.0, 1.5)]),
    "side_light": ("lighting.evenness", [
        (f"{s} stops cheek to cheek", (lambda s: lambda V, rgb, p, m, i: V.side_light(rgb, s, p, m, from_left=i % 2 == 1))(s))
        for s in (1.0, 1.5, 2.0, 3.0)]),
    # the same cheek ratios from a studio key light 60° to the side plus a frontal fill, shading
    # the face by its surface (variants.key_light): what the ramp above leaves out
    "key_light": ("lighting.evenness", [
        (f"{s} stops mid-cheek to mid-cheek, key 60°",
         (lambda s: lambda V, rgb, p, m, i: V.key_light(rgb, s, p, m, from_left=i % 2 == 1))(s))
        for s in (1.0, 1.5, 2.0, 3.0)]),
}


@functools.lru_cache(maxsize=4)
def _camera_base(fid: str):
    from support import variants as V

    rgb = V.camera_original(fid)
    return rgb, V.face_mesh(rgb), V.person_mask(rgb)


@functools.lru_cache(maxsize=2)
def camera_fault(fid: str, i: int, kind: str, strength: str) -> tuple[bytes, bytes]:
    """(camera original JPEG, 480×640 upload made from it) with one fault; sensor noise after it."""
    from support import variants as V

    rgb, p, m = _camera_base(fid)
    make = dict(CAMERA_FAULTS[kind][1])[strength]
    cam = V.camera_jpeg(V.sensor_noise(make(V, rgb, p, m, i), seed=int(fid)))
    return cam, V.upload_from(cam)


@functools.lru_cache(maxsize=2)
def _clean_camera(fid: str) -> bytes:
    """The 2400×3200 camera original with sensor noise and no fault (compliant for light and focus)."""
    from support import variants as V

    rgb, _, _ = _camera_base(fid)
    return V.camera_jpeg(V.sensor_noise(rgb, seed=int(fid)))


def _upload_of(camera: bytes) -> bytes:
    from support import variants as V

    return V.upload_from(camera)


def cases():
    from support.compose import IMAGES, compliant_upload, faces_available, london_info, manifest

    if not faces_available():
        return
    for fid, info in london_info().items():
        g = {"eth": info["face_eth"], "sex": info["face_gender"]}
        for pattern in CORE_PATTERNS:
            yield Case(f"london_{fid}_08_blue", pattern, "compliant", lambda fid=fid: compliant_upload(fid, "08"),
                       "upload", group=g, key=f"london_{fid}_08_blue_upload")
        for name, (rule, _) in VARIANTS.items():
            key = f"london_{fid}_{name.replace('_blocks', '')}"
            yield Case(key if not name.endswith("_blocks") else key + "_blocks", rule, "violation",
                       _variant(fid, name.replace("_blocks", "")), "upload", key=key, origin="variant",
                       kind=name.replace("_blocks", ""))
    for i, fid in enumerate(london_info()):
        g = {"eth": london_info()[fid]["face_eth"], "sex": london_info()[fid]["face_gender"]}
        for rule in ("lighting.*", "quality.sharpness"):  # the same camera file without a fault
            yield Case(f"london_{fid}_camera_clean", rule, "compliant", lambda fid=fid: _clean_camera(fid), "original",
                       group=g, key=f"london_{fid}_camera_clean", origin="variant", kind="clean camera original")
            yield Case(f"london_{fid}_camera_clean_upload", rule, "compliant",
                       lambda fid=fid: _upload_of(_clean_camera(fid)), "upload", group=g,
                       key=f"london_{fid}_camera_clean_upload", origin="variant", kind="clean camera original")
        for kind, (rule, strengths) in CAMERA_FAULTS.items():
            for strength, _ in strengths:
                for prof, j in (("original", 0), ("upload", 1)):
                    yield Case(f"london_{fid}_{kind}_{strength}_{prof}", rule, "violation",
                               lambda fid=fid, i=i, kind=kind, strength=strength, j=j: camera_fault(fid, i, kind, strength)[j],
                               prof, key=f"cam_{fid}_{kind}_{strength}_{prof}", origin="variant", kind=kind,
                               strength=strength + (f", {ANGLES[i % 6]}°" if kind == "motion_blur" and "curved" not in strength else ""))

    # real photos, judged as camera originals (the frame is the planned crop)
    for row in manifest():
        path = IMAGES / row["file"]
        n, notes = int(row["n_faces"] or 1), row["notes"].lower()
        cid = row["file"].rsplit(".", 1)[0]
        # "1 face" photos with other people partly in view (crowds, heads at the edge) are not
        # compliant for "only the student in the photo"; they are left out of the face.count tally.
        crowd = any(w in notes for w in ("crowd", "other heads", "people behind", "photographers"))
        if n >= 2 or not crowd:
            yield Case(cid, "face.count", "violation" if n >= 2 else "compliant", path, "original",
                       note=f"{n} faces labelled")
        if n != 1:
            continue
        if row["background"] in ("cluttered", "plain_white", "plain_other"):
            yield Case(cid, "background.color", "violation", path, "original", note=row["background"])
        if row["background"] == "cluttered":
            yield Case(cid, "background.uniform", "violation", path, "original", note="cluttered")

    # the real photos labelled dark / overexposed / side-lit / blurred / rolled, and those labelled
    # clean for these rules (tests/support/labels.py, the labels the precision test reads too)
    from support.labels import real_labels

    for rule in ("pose.roll", "lighting.exposure", "lighting.evenness", "quality.sharpness"):
        for name, (expect, note) in real_labels(rule).items():
            if not name.startswith("webmorphstim__london_"):
                yield Case(name.rsplit(".", 1)[0], rule, expect, IMAGES / name, "original", note=note)
