"""Cases for the core rules (issue 2): single-fault variants of every London face composed on
blue, smiling London faces as extra compliant photos, and real photos from ../shared/faces
labelled in manifest.csv (group photos, cluttered or non-blue backgrounds, bad light, blur, roll).

The neutral London faces on blue (compliant for every rule) come from cases_person.py."""

from __future__ import annotations

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
                       _variant(fid, name.replace("_blocks", "")), "upload", key=key)

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
        if row["lighting"] == "dark":
            yield Case(cid, "lighting.exposure", "violation", path, "original", note="labelled dark")
        if row["lighting"] == "overexposed":
            yield Case(cid, "lighting.exposure", "violation", path, "original", note="labelled overexposed")
        if "side light" in notes:
            yield Case(cid, "lighting.evenness", "violation", path, "original", note="side light")
        if "motion blur" in notes or "blurry video" in notes:
            yield Case(cid, "quality.sharpness", "violation", path, "original", note="blurred")
        if "rolled" in notes or "(roll)" in notes:
            yield Case(cid, "pose.roll", "violation", path, "original", note="head rolled")
