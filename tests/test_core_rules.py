"""Issue 2: the framing/background/lighting/file rules on real photos.

A compliant photo is a real London-set studio portrait composed on the light-blue background and
framed to the rules; each single-fault variant must fail exactly the rule it is about."""

from __future__ import annotations

import pytest

import photocheck
from support import variants as V
from support.compose import compliant_frame, compliant_upload, faces_available

pytestmark = pytest.mark.skipif(not faces_available(), reason="../shared/faces not present")

CORE = {"file", "image", "face", "geometry", "pose", "background", "lighting", "quality"}
# Three people across skin tones and sexes: East Asian man, Black man (very dark skin), East Asian woman.
PEOPLE = ["005", "042", "087"]


def core_failures(report) -> set[str]:
    return {f.rule for f in report.findings if f.status in ("fail", "error") and f.rule.split(".")[0] in CORE
            and f.rule != "pose.yaw" and f.rule != "pose.pitch"}


@pytest.fixture(scope="module", params=PEOPLE)
def person(request):
    fid = request.param
    rgb = compliant_frame(fid)
    a = photocheck.analyse(compliant_upload(fid))
    return fid, rgb, a


@pytest.mark.slow
def test_compliant_photos_pass_every_core_rule():
    from support.compose import london_ids

    for fid in london_ids():
        report = photocheck.check(compliant_upload(fid), lang="en")
        assert core_failures(report) == set(), (fid, [f.to_dict() for f in report.failed])


@pytest.mark.parametrize("variant, rule", [
    ("head_too_high", "geometry.head_top"),
    ("face_too_small", "geometry.face_width"),
    ("off_centre", "geometry.centered"),
    ("tilted", "pose.roll"),
    ("white_background", "background.color"),
    ("red_background", "background.color"),
    ("gradient_background", "background.uniform"),
    ("shadowed_background", "background.uniform"),
    ("too_dark", "lighting.exposure"),
    ("overexposed", "lighting.exposure"),
    ("half_face_shadow", "lighting.evenness"),
    ("blurred", "quality.sharpness"),
    ("wrong_size", "image.dimensions"),
    ("too_big", "file.size"),
])
def test_single_fault_fails_exactly_its_rule(person, variant, rule):
    fid, rgb, a = person
    data = {
        "head_too_high": lambda: V.head_too_high(fid),
        "face_too_small": lambda: V.face_too_small(fid, a.head_top),
        "off_centre": lambda: V.off_centre(fid),
        "tilted": lambda: V.tilted(rgb, (a.face_cx, a.eye_y)),
        "white_background": lambda: V.background(rgb, (255, 255, 255)),
        "red_background": lambda: V.background(rgb, (200, 40, 40)),
        "gradient_background": lambda: V.gradient_background(rgb),
        "shadowed_background": lambda: V.shadowed_background(rgb),
        "too_dark": lambda: V.person_exposure(rgb, 0.12),
        "overexposed": lambda: V.person_exposure(rgb, 4.0),
        "half_face_shadow": lambda: V.half_face_shadow(rgb, a.face_cx),
        "blurred": lambda: V.blurred(rgb),
        "wrong_size": lambda: V.wrong_size(rgb),
        "too_big": lambda: V.too_big(rgb),
    }[variant]()
    report = photocheck.check(data, lang="en")
    assert core_failures(report) == {rule}, (fid, variant, [f.to_dict() for f in report.failed])
    f = report.finding(rule)
    assert f.message and f.value is not None  # says what to do, with the raw value


@pytest.mark.parametrize("name", ["insightface__yifei.jpg", "insightface__pose_lower_face.jpeg"])
def test_a_turned_or_bowed_head_in_even_light_is_not_side_light(name):
    """The far side of a turned (24°) or bowed head is darker by its shape alone; what a frontal
    light gives each pair of patches (their mesh normals) is divided out, so these evenly lit photos
    pass, though the plain ratio read them as side light."""
    from support.compose import IMAGES

    f = photocheck.check(IMAGES / name, profile="original", lang="en").finding("lighting.evenness")
    assert f.status == "pass", f


def test_quality_15_jpeg_fails_quality_factor_and_shows_blocks(person):
    fid, rgb, _ = person
    report = photocheck.check(V.low_quality(rgb, 15), lang="en")
    q = report.finding("file.jpeg_quality")
    assert q.status == "fail" and q.value == 15  # read exactly from the quantisation tables
    # a quality-15 file is visibly blocky too; nothing else about the photo changed
    assert core_failures(report) == {"file.jpeg_quality", "quality.compression"}


def test_greyscale_jpeg_fails_colour(person):
    fid, rgb, _ = person
    report = photocheck.check(V.greyscale(rgb), lang="en")
    assert report.status("image.color") == "fail"
    # a greyscale photo cannot have a light-blue background; every other core rule still passes
    assert core_failures(report) == {"image.color", "background.color"}


def test_geometry_matches_hand_placed_pupils():
    """Eye line from the landmarker vs pupils placed by hand in the London .tem files (±4 px)."""
    import numpy as np

    from support.compose import london, london_ids, pupils_truth

    spec = photocheck.load_spec("original")
    errs = []
    for fid in london_ids():
        a = photocheck.analyse(london(fid), spec)
        truth = pupils_truth(fid)
        r = a.frame_full  # frame in original px → frame px
        k = 640 / r.h
        truth_frame = (truth - [r.x, r.y]) * k
        errs.append(np.abs(np.sort(truth_frame[:, 1]) - np.sort(a.pupils[:, 1])).max())
    assert max(errs) <= 4.0, errs


@pytest.mark.parametrize("variant", ["progressive", "padded"])
def test_jpeg_layout_faults_fail_file_format_only(person, variant):
    fid, rgb, _ = person
    report = photocheck.check(getattr(V, variant)(rgb), lang="en")
    assert report.status("file.format") == "fail"
    # zero padding also inflates the size past 40 KB on these photos: that is the point of it
    assert core_failures(report) - {"file.size"} == {"file.format"}
    assert ("bytes after the JPEG end marker" in report.finding("file.format").message) == (variant == "padded")


def test_png_renamed_to_jpg_is_caught_by_its_content(person, tmp_path):
    fid, rgb, _ = person
    path = tmp_path / "photo.jpg"
    path.write_bytes(V.png_named_jpg(rgb))
    report = photocheck.check(path, lang="en")
    f = report.finding("file.format")
    assert f.status == "fail" and f.value == "PNG" and "PNG" in f.message


@pytest.mark.parametrize("gains", [(0.85, 1.15, 0.85), (1.15, 0.8, 1.15)], ids=["green", "magenta"])
def test_colour_cast_fails_colour_cast_only(person, gains):
    fid, rgb, _ = person
    report = photocheck.check(V.colour_cast(rgb, gains), lang="en")
    assert core_failures(report) == {"lighting.color_cast"}, [f.to_dict() for f in report.failed]


def test_wrong_dpi_is_a_warning_not_a_failure(person):
    fid, rgb, _ = person
    report = photocheck.check(V.dpi_72(rgb), lang="en")
    assert report.status("image.dpi") == "warn" and report.finding("image.dpi").value == 72
    assert core_failures(report) == set()


def test_camera_original_without_room_above_the_head_has_no_compliant_crop():
    """Grace Hopper's portrait is cut just above her cap: no 480×640 crop can give 50 px above it."""
    from support.compose import IMAGES

    report = photocheck.check(IMAGES / "qttflite__grace_hopper.jpg", profile="original", lang="en")
    assert report.status("geometry.head_top") == "fail"
    assert report.status("file.size") == "skip"  # file rules do not apply to originals


@pytest.mark.parametrize("name, labelled", [
    ("deepface__couple.jpg", 2), ("facerec__two_people.jpg", 2), ("faceapi__bbt1.jpg", 4),
    ("deepface__img41.jpg", 1),  # a blurred crowd behind the student
    ("facerec__biden2.jpg", 1),  # a painted landscape behind the student
])
def test_face_count_on_real_photos(name, labelled):
    # Real group photos must fail "only the student"; busy backgrounds must not invent a second
    # face (YuNet scored these backdrops 0.72-0.73; real other faces score >= 0.80).
    from support.compose import IMAGES

    f = photocheck.check(str(IMAGES / name), profile="original", lang="en").finding("face.count")
    if labelled == 1:
        assert f.status == "pass" and f.value == 1, f
    else:
        assert f.status == "fail" and f.value >= 2 and str(f.value) in f.message, f
