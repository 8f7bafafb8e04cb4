"""`photocheck fix`: real London portraits become compliant upload files; photos with problems
that cropping cannot fix produce nothing (unless --force); a user's file is never overwritten."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import photocheck
from photocheck.cli import main
from photocheck.fix import default_output, fix
from support.compose import london, on_background, read_rgb

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
ORIGINALS = SAMPLES / "original"


@pytest.fixture(scope="module")
def studio_rgb(faces) -> np.ndarray:
    """A studio-style original: London face 005 on the light-blue background, with margin (2024²)."""
    return on_background(read_rgb(london("005")))


def test_shipped_camera_original_becomes_a_passing_upload_and_the_others_are_refused(tmp_path):
    """What a newcomer tries first (README, docs/students.md): the shipped samples, named for what
    `fix` does with them. Runs without ../shared/faces."""
    for p in sorted(ORIGINALS.glob("*.jpg")):
        shutil.copyfile(p, tmp_path / p.name)
    good = tmp_path / "london_087_camera_ok.jpg"
    with Image.open(good) as im:
        assert min(im.size) >= 2000  # a camera frame, not a prepared upload file
    res = _run(str(good), "--lang", "en")
    out = tmp_path / "london_087_camera_ok_480x640.jpg"
    assert res.exit_code == 0 and out.exists(), res.output
    checked = CliRunner().invoke(main, ["check", str(out), "--json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout)[0]["ok"] is True
    refused = sorted(tmp_path.glob("*_refused_*.jpg"))
    assert [p.name for p in refused] == ["grace_hopper_refused_several_rules.jpg",
                                         "london_036_studio_refused_background.jpg"]
    for p in refused:
        res = _run(str(p), "--lang", "en")
        assert res.exit_code == 1 and "Nothing written" in res.output, res.output
        assert not (tmp_path / f"{p.stem}_480x640.jpg").exists()
    assert "background.color" in _run(str(refused[1]), "--lang", "en").output  # what its name says


def _save(rgb: np.ndarray, path, fmt: str = "JPEG", **kw) -> None:
    Image.fromarray(rgb).save(path, fmt, **kw)


def _run(*args: str):
    return CliRunner().invoke(main, ["fix", *args], catch_exceptions=False)


def test_studio_original_becomes_a_compliant_upload_file(tmp_path, studio_rgb):
    src = tmp_path / "studio.jpg"
    _save(studio_rgb, src, quality=92, dpi=(72, 72))
    res = _run(str(src), "--lang", "en")
    out = tmp_path / "studio_480x640.jpg"  # the documented default name
    assert res.exit_code == 0, res.output
    assert "ready to upload" in res.output
    data = out.read_bytes()
    im = Image.open(io.BytesIO(data))
    assert (im.format, im.size, im.mode) == ("JPEG", (480, 640), "RGB")
    assert 20 * 1024 <= len(data) <= 40 * 1024
    assert round(im.info["dpi"][0]) == 300 and not im.info.get("exif")
    report = photocheck.check(str(out), lang="en")
    assert report.ok, [(f.rule, f.value) for f in report.failed]
    # the CLI agrees: `photocheck check` exits 0 on the file fix wrote
    assert CliRunner().invoke(main, ["check", str(out)]).exit_code == 0
    assert src.read_bytes()[:2] == b"\xff\xd8"  # input left alone


def test_wrong_background_writes_nothing_without_force(tmp_path):
    """The London original is on a grey wall: cropping cannot make it blue."""
    src = tmp_path / "grey_wall.jpg"
    src.write_bytes((ORIGINALS / "london_036_studio_refused_background.jpg").read_bytes())
    res = _run(str(src), "--lang", "en")
    assert res.exit_code == 1
    assert "background.color" in res.output and "cannot fix" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grey_wall.jpg"]
    forced = _run(str(src), "--force", "--json")
    out = tmp_path / "grey_wall_480x640.jpg"
    assert forced.exit_code == 1 and out.exists()  # written on request, still reported as failing
    result = json.loads(forced.output)
    assert result["written"] == str(out) and result["forced"] and not result["ok"]
    assert "background.color" in [f["rule"] for f in result["blocking"]]
    assert photocheck.check(str(out)).status("background.color") == "fail"


def test_head_cut_off_and_too_small_are_not_croppable(studio_rgb):
    cut = studio_rgb[int(0.3 * studio_rgb.shape[0]):]  # no margin above the head
    r = fix(cut, lang="en")
    assert r.data is None and "geometry.head_top" in {f.rule for f in r.blocking}
    small = np.asarray(Image.fromarray(studio_rgb).resize((500, 500), Image.LANCZOS))
    r = fix(small, lang="en")
    assert r.data is None and "image.dimensions" in {f.rule for f in r.blocking}
    assert "resolution" in r.blocking[0].message


def test_never_overwrites(tmp_path, studio_rgb):
    src = tmp_path / "me.jpg"
    _save(studio_rgb, src, quality=90)
    out = tmp_path / "mine.jpg"
    out.write_bytes(b"precious")
    res = _run(str(src), str(out), "--lang", "en")
    assert res.exit_code == 2 and "not overwriting" in res.output
    assert out.read_bytes() == b"precious"
    # the default name steps aside for an existing file instead of replacing it
    (tmp_path / "me_480x640.jpg").write_bytes(b"older")
    assert default_output(src).name == "me_480x640-1.jpg"
    assert _run(str(src)).exit_code == 0
    assert (tmp_path / "me_480x640.jpg").read_bytes() == b"older"
    assert Image.open(tmp_path / "me_480x640-1.jpg").size == (480, 640)


def test_compliant_upload_is_copied_unchanged(tmp_path, studio_rgb):
    first = fix(studio_rgb)
    assert first.ok
    again = fix(first.data)
    assert again.ok and again.unchanged and again.data == first.data


def test_unreadable_input_is_a_clear_message(tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a photo")
    res = _run(str(bad), "--lang", "en")
    assert res.exit_code == 2 and "notes.jpg" in res.output and "not a recognisable image" in res.output
    assert "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.jpg"]


def test_heic_from_a_phone(tmp_path, studio_rgb):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    src = tmp_path / "IMG_0001.HEIC"
    phone = np.asarray(Image.fromarray(studio_rgb).resize((1300, 1300), Image.LANCZOS))  # HEIC encoding is slow
    _save(phone, src, "HEIF", quality=85)
    res = _run(str(src), "--lang", "en")
    assert res.exit_code == 0, res.output
    assert photocheck.check(str(tmp_path / "IMG_0001_480x640.jpg")).ok


def test_phone_jpeg_stored_sideways_comes_out_upright(tmp_path, studio_rgb):
    """Phones store portraits sideways with an EXIF orientation tag; the output must be upright."""
    src = tmp_path / "IMG_0002.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # display = stored image rotated 90° clockwise
    Image.fromarray(studio_rgb).transpose(Image.ROTATE_90).save(src, quality=90, exif=exif)
    r = fix(str(src), lang="en")
    assert r.ok, [(f.rule, f.value) for f in r.blocking]
    out = Image.open(io.BytesIO(r.data))
    assert out.size == (480, 640) and not out.getexif()  # upright pixels, no orientation tag left
    # upright: the eyes are in the upper half and level
    assert 200 <= r.report.finding("geometry.eye_line").value <= 300


def test_right_size_wrong_file_is_re_encoded_not_re_cropped():
    """A 480×640 PNG (an ID-photo app's export): only the file rules fail, so it is re-saved as JPEG."""
    buf = io.BytesIO()
    Image.open(SAMPLES / "upload" / "london_005.jpg").save(buf, "PNG")
    r = fix(buf.getvalue(), lang="en")
    assert {f.rule for f in r.source_report.failed} >= {"file.format"} and not r.blocking
    assert r.ok and not r.unchanged and Image.open(io.BytesIO(r.data)).format == "JPEG"
