"""Issue 3, authenticity: copies of a reference fail, a new photo of the same person passes; a
different person is flagged; a beauty filter and a re-shot screen/print are caught; a bad reference
gives a clear error without hiding the photo's own findings. Real photos from ../shared/faces."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from photocheck.analysis import analyse
from photocheck.check import check, report_for
from photocheck.cli import main
from photocheck.references import Reference, load_references
from photocheck.spec import load_spec
from support.compose import IMAGES, compliant_upload, faces_available, london, read_rgb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import cases_authenticity as T  # noqa: E402  (the image transforms)

pytestmark = pytest.mark.skipif(not faces_available(), reason="../shared/faces not present")

AUTH = ["authenticity"]


@pytest.fixture(scope="module")
def refs():
    """Reference photos analysed once: the neutral London photos of two people."""
    return {fid: load_references([str(london(fid, "03"))])[0] for fid in ("005", "062")}


@pytest.fixture(scope="module")
def originals():
    return {fid: read_rgb(london(fid, "03")) for fid in ("005", "062")}


def judge(photo, references, profile="upload", select=AUTH):
    spec = load_spec(profile)
    a = analyse(photo, spec, references=list(references))
    return report_for(a, spec, "en", select)


@pytest.mark.parametrize("copy, profile", [
    ("new_background_upload", "upload"),  # the vendor's re-framing of the old photo on blue
    ("all_at_once", "original"),  # recoloured, resized, rotated −2°, brightened, JPEG q60
    ("cropped", "original"),
    ("mirrored", "original"),
])
def test_a_copy_of_the_reference_fails_reuse(refs, originals, copy, profile):
    rep = judge(T.COPIES[copy](originals["005"]), [refs["005"]], profile)
    f = rep.finding("authenticity.enrollment_reuse")
    assert f.status == "fail", f
    assert f.value >= 0.95
    assert "webmorphstim__london_005_03.jpg" in f.message
    assert rep.status("authenticity.identity") == "pass"  # a copy is of course the same person


@pytest.mark.parametrize("fid", ["005", "062"])
def test_a_new_photo_of_the_same_person_passes(refs, fid):
    # The London smiling photo: same person, studio and light, but a new moment.
    rep = judge(compliant_upload(fid, "08"), [refs[fid]])
    assert rep.status("authenticity.enrollment_reuse") == "pass", rep.finding("authenticity.enrollment_reuse")
    assert rep.finding("authenticity.enrollment_reuse").value < 0.93
    ident = rep.finding("authenticity.identity")
    assert ident.status == "pass" and ident.value > 0.8, ident


def test_a_different_person_fails_identity(refs):
    rep = judge(compliant_upload("005", "08"), [refs["062"]])
    ident = rep.finding("authenticity.identity")
    assert ident.status == "fail" and ident.value < 0.3, ident
    assert "062" in ident.message
    assert rep.status("authenticity.enrollment_reuse") == "pass"


def test_a_face_only_the_landmarker_finds_is_still_compared():
    # The 90°-turned copy of kun.jpg: YuNet gives no alignment points, the landmarks do.
    rep = check(str(IMAGES / "insightface__r90.jpg"), profile="original", lang="en", select=AUTH,
                references=[str(IMAGES / "insightface__kun.jpg")])
    assert rep.finding("authenticity.identity").value > 0.8, rep.finding("authenticity.identity")
    assert rep.status("authenticity.enrollment_reuse") == "fail"


def test_the_closest_reference_decides(refs):
    # Enrollment photo of someone else plus the student's own earlier photo: the copy is found.
    rep = judge(compliant_upload("062"), [refs["005"], refs["062"]])
    assert rep.status("authenticity.enrollment_reuse") == "fail"
    assert rep.status("authenticity.identity") == "pass"


@pytest.mark.parametrize("fid", ["005", "062"])
def test_beauty_filter_fails_retouch_and_the_natural_photo_passes(originals, fid):
    natural = check(compliant_upload(fid), lang="en", select=["authenticity.retouch"])
    beautified = check(T.as_upload(T.beauty_filter(originals[fid])), lang="en", select=["authenticity.retouch"])
    nat, bea = natural.finding("authenticity.retouch"), beautified.finding("authenticity.retouch")
    assert nat.status == "pass", nat
    assert bea.status == "fail", bea
    assert bea.value < nat.value * 0.7


@pytest.mark.slow
@pytest.mark.parametrize("method", ["bilateral", "freqsep"])
def test_phone_beauty_mode_is_flagged_and_the_same_camera_pipeline_without_it_passes(method):
    # 062: the darkest London skin; the control goes through the very same noise, camera JPEG and
    # upload framing, so only the filter differs
    natural = check(T.phone_natural("062"), lang="en", select=["authenticity.retouch"])
    smoothed = check(T.phone_beauty("062", method, 1.0, 0.0), lang="en", select=["authenticity.retouch"])
    nat, smo = natural.finding("authenticity.retouch"), smoothed.finding("authenticity.retouch")
    assert nat.status == "pass", nat
    assert smo.status in ("warn", "fail"), smo
    assert smo.value < nat.value * 0.6


def test_natural_uploads_at_the_lowest_allowed_jpeg_quality_are_not_failed():
    # q60 is the lowest quality file.jpeg_quality accepts (15–19 KB here); JPEG takes fine skin
    # texture away too, darker and smoother faces first. No natural face may fail for it.
    from support.compose import compliant_frame, jpeg, london_ids

    for fid in london_ids():
        f = check(jpeg(compliant_frame(fid), 60), lang="en", select=["authenticity.retouch"]).finding(
            "authenticity.retouch")
        assert f.status != "fail", (fid, f)


def test_recaptured_screen_and_print_fail_recapture(originals):
    real_screen = check(str(IMAGES / "insightface__rgb_fake.jpg"), profile="original", lang="en",
                        select=["authenticity.recapture"]).finding("authenticity.recapture")
    assert real_screen.status == "fail", real_screen
    printed = check(T.encode(T.halftone_reshot(originals["062"])), profile="original", lang="en",
                    select=["authenticity.recapture"]).finding("authenticity.recapture")
    assert printed.status == "fail", printed
    screen_upload = check(T.as_upload(T.screen_reshot(originals["062"]), background=False), lang="en",
                          select=["authenticity.recapture"]).finding("authenticity.recapture")
    assert screen_upload.status in ("warn", "fail"), screen_upload  # the moiré survives the 480×640 upload
    natural = check(compliant_upload("062"), lang="en", select=["authenticity.recapture"]).finding("authenticity.recapture")
    assert natural.status == "pass" and natural.value < real_screen.value - 2, natural


@pytest.mark.parametrize("fid", ["005", "062"])
def test_an_added_border_fails_edits_and_the_plain_upload_passes(fid):
    from support.compose import compliant_frame, jpeg

    plain = check(compliant_upload(fid), lang="en", select=["authenticity.edits"]).finding("authenticity.edits")
    framed = check(jpeg(T.add_border(compliant_frame(fid), 10)), lang="en",
                   select=["authenticity.edits"]).finding("authenticity.edits")
    bar = check(jpeg(T.add_border(compliant_frame(fid), 16, (200, 30, 30), "r")), lang="en",
                select=["authenticity.edits"]).finding("authenticity.edits")
    assert plain.status == "pass" and plain.value == 0
    assert framed.status == "fail" and 7 <= framed.value <= 12, framed
    assert bar.status == "fail" and "right" in bar.message, bar


def test_a_border_on_a_large_original_is_found_and_measured_in_its_pixels():
    # Long lines are sampled more sparsely (about 200 points): a 3000×2000 original with a 24 px
    # bar at the bottom must still be caught, and the same photo without it must pass.
    import cv2
    from support.compose import on_background

    person = on_background(read_rgb(london("042", "03")))
    person = cv2.resize(person, (2000, 2000), interpolation=cv2.INTER_CUBIC)
    canvas = np.empty((2000, 3000, 3), np.uint8)
    canvas[:] = person[:1, :1]
    canvas[:, 500:2500] = person
    barred = canvas.copy()
    barred[-24:] = (30, 30, 30)
    plain = check(T.encode(canvas), profile="original", lang="en", select=["authenticity.edits"])
    found = check(T.encode(barred), profile="original", lang="en", select=["authenticity.edits"])
    assert plain.finding("authenticity.edits").status == "pass", plain.finding("authenticity.edits")
    f = found.finding("authenticity.edits")
    assert f.status == "fail" and "bottom" in f.message and 18 <= f.value <= 26, f


def test_bad_references_give_a_clear_error_and_the_photo_is_still_checked(tmp_path):
    missing = tmp_path / "missing.jpg"
    not_image = tmp_path / "notes.jpg"
    not_image.write_text("this is not a photo")
    no_face = tmp_path / "wall.jpg"
    no_face.write_bytes(T.encode(np.full((400, 300, 3), 180, np.uint8)))
    loaded = load_references([str(missing), str(not_image), str(no_face)])
    assert not any(isinstance(r, Reference) for r in loaded)
    assert [e.code for e in loaded] == ["missing", "not_image", "no_face"]

    rep = check(compliant_upload("005"), references=[str(no_face)], lang="en")
    reuse = rep.finding("authenticity.enrollment_reuse")
    assert reuse.status == "error" and "wall.jpg" in reuse.message and "no face" in reuse.message
    assert rep.status("authenticity.identity") == "error"
    # the photo's own rules still ran
    assert rep.status("geometry.eye_line") == "pass"
    assert rep.status("authenticity.retouch") == "pass"
    assert not rep.ok


def test_a_bad_reference_next_to_a_good_one_still_catches_the_copy(tmp_path, refs):
    rep = check(compliant_upload("062"), references=[str(tmp_path / "gone.jpg"), str(london("062", "03"))],
                lang="en", select=AUTH)
    assert rep.status("authenticity.enrollment_reuse") == "fail"


def test_cli_reference_and_references_dir(tmp_path, originals):
    photos, refdir = tmp_path / "photos", tmp_path / "refs"
    photos.mkdir()
    refdir.mkdir()
    # s001: a genuinely new photo of student 005; s002: the old photo of student 062 on a new background
    (photos / "s001.jpg").write_bytes(compliant_upload("005", "08"))
    (photos / "s002.jpg").write_bytes(T.COPIES["new_background_upload"](originals["062"]))
    (refdir / "s001.jpg").write_bytes(london("005", "03").read_bytes())
    (refdir / "s002.jpg").write_bytes(london("062", "03").read_bytes())
    (refdir / "s002.txt").write_text("not a reference")  # only images with the same stem pair up

    runner = CliRunner()
    res = runner.invoke(main, ["check", "--json", "--lang", "en", "--reference", str(refdir / "s002.jpg"),
                               str(photos / "s002.jpg")])
    assert res.exit_code == 1, res.output
    [one] = json.loads(res.output)
    st = {f["rule"]: f for f in one["findings"]}
    assert st["authenticity.enrollment_reuse"]["status"] == "fail"
    assert st["authenticity.enrollment_reuse"]["value"] >= 0.95

    (photos / "s003.jpg").write_bytes(compliant_upload("087"))  # a student with no reference on file
    res = runner.invoke(main, ["check", "--json", "--lang", "en", "--references", str(refdir), str(photos)])
    out = {Path(r["file"]).stem: {f["rule"]: f for f in r["findings"]} for r in json.loads(res.output)}
    missing = out["s003"]["authenticity.enrollment_reuse"]
    assert missing["status"] == "error" and "s003.jpg" in missing["message"], missing
    assert out["s003"]["geometry.eye_line"]["status"] == "pass"
    assert out["s001"]["authenticity.enrollment_reuse"]["status"] == "pass"
    assert out["s001"]["authenticity.identity"]["status"] == "pass"  # paired with its own reference
    assert out["s002"]["authenticity.enrollment_reuse"]["status"] == "fail"
    assert out["s002"]["authenticity.identity"]["status"] == "pass"
