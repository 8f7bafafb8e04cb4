"""Hostile and odd input: every file gets a clear verdict naming it, nothing crashes, and the other
files in the same command are still checked.

The corpus is generated here in a temporary folder (no binary junk in the repository): empty,
truncated and random files, other formats named .jpg, CMYK / 16-bit / alpha / greyscale images, a
decompression-bomb header, EXIF orientations 1–8, corrupt EXIF, an animated GIF, a Chinese file
name with spaces, an unreadable file, a folder named .jpg, a FIFO, a dangling link and a link loop.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import photocheck
from photocheck.analysis import analyse
from photocheck.cli import main
from photocheck.errors import PhotoError
from photocheck.io import MAX_PIXELS, load
from photocheck.spec import load_spec

REPO = Path(__file__).resolve().parents[1]
#: the good photo the hostile files are made from: a shipped sample, so this file needs no ../shared/faces
GOOD_SAMPLE = REPO / "samples" / "upload" / "london_005.jpg"


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(w: int = 30000, h: int = 30000) -> bytes:
    """A tiny PNG whose header claims w×h RGB pixels (2.7 GB decoded)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + _png_chunk(b"IEND", b""))


def corrupt_exif_jpeg(jpeg: bytes) -> bytes:
    """An APP1 'Exif' segment whose TIFF header and IFD are garbage, right after SOI."""
    payload = b"Exif\0\0" + b"MM\0\x2a\0\0\0\x08" + b"\xff\xee" + os.urandom(40)
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


# EXIF orientation o: the stored pixels are the upright picture transformed by the inverse of what
# a viewer applies for o (PIL's exif_transpose methods, each its own inverse except 6 and 8).
_STORE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
          5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
          8: Image.Transpose.ROTATE_270}


def oriented_jpeg(upright: Image.Image, o: int) -> bytes:
    stored = upright if o == 1 else upright.transpose(_STORE[o])
    exif = Image.Exif()
    exif[0x0112] = o
    return _save(stored, "JPEG", quality=92, exif=exif.tobytes(), dpi=(300, 300))


#: name → reason code of files that cannot be read at all (a file.read error, exit code 2)
UNREADABLE = {
    "empty.jpg": "empty",
    "truncated.jpg": "truncated",
    "random bytes.jpg": "not_image",
    "bomb.jpg": "too_large",
    "folder.jpg": "not_file",
    "fifo.jpg": "not_file",
    "dangling.jpg": "missing",
    "loop.jpg": "unreadable",
}
#: name → the file fact that must be reported (the photo decodes; the file rules fail)
WRONG_FILE = {
    "webp.jpg": ("file.format", "WEBP"),
    "png.jpg": ("file.format", "PNG"),
    "tiff.jpg": ("file.format", "TIFF"),
    "heic.jpg": ("file.format", "HEIF"),
    "animated.gif": ("file.format", "GIF"),
    "cmyk.jpg": ("image.color", "CMYK"),
    "grey.jpg": ("image.color", "L"),
    "deep16.png": ("image.color", "I;16"),
    "alpha.png": ("image.color", "RGBA"),
}
#: decodable files whose content is the good photo: the face must be measured as in the original
SAME_FACE = ["webp.jpg", "png.jpg", "tiff.jpg", "heic.jpg", "cmyk.jpg", "deep16.png", "alpha.png", "grey.jpg",
             "corrupt exif.jpg", "张三 毕业 照片.jpg", "animated.gif"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    up = Image.open(GOOD_SAMPLE).convert("RGB")
    rgb = np.asarray(up)
    good = _save(up, "JPEG", quality=90, dpi=(300, 300))
    (d / "good.jpg").write_bytes(good)
    (d / "empty.jpg").write_bytes(b"")
    (d / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (d / "random bytes.jpg").write_bytes(np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes())
    (d / "bomb.jpg").write_bytes(bomb_png())
    (d / "folder.jpg").mkdir()
    os.mkfifo(d / "fifo.jpg")  # open() on a FIFO blocks forever: it must never be opened
    os.symlink(d / "nowhere.jpg", d / "dangling.jpg")
    os.symlink(d / "loop.jpg", d / "loop.jpg")
    (d / "webp.jpg").write_bytes(_save(up, "WEBP", quality=95))
    (d / "png.jpg").write_bytes(_save(up, "PNG"))
    (d / "tiff.jpg").write_bytes(_save(up, "TIFF"))
    import pillow_heif  # noqa: F401  (photocheck.io registers the HEIF plug-in)

    (d / "heic.jpg").write_bytes(_save(up, "HEIF", quality=95))
    (d / "cmyk.jpg").write_bytes(_save(up.convert("CMYK"), "JPEG", quality=95))
    (d / "grey.jpg").write_bytes(_save(up.convert("L"), "JPEG", quality=95))
    deep = np.round(rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) * 257).astype(np.uint16)
    (d / "deep16.png").write_bytes(_save(Image.fromarray(deep), "PNG"))
    alpha = up.convert("RGBA")
    alpha.putalpha(255)
    alpha.putpixel((0, 0), (0, 0, 0, 0))
    (d / "alpha.png").write_bytes(_save(alpha, "PNG"))
    frames = [up, up.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    (d / "animated.gif").write_bytes(_save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0))
    (d / "corrupt exif.jpg").write_bytes(corrupt_exif_jpeg(good))
    (d / "张三 毕业 照片.jpg").write_bytes(good)
    for o in range(1, 9):
        (d / f"orient{o}.jpg").write_bytes(oriented_jpeg(up, o))
    return d


@pytest.fixture(scope="module")
def good_analysis(corpus):
    return analyse(corpus / "good.jpg", load_spec("upload"))


@pytest.fixture(scope="module")
def api_reports(corpus):
    names = ["good.jpg", *UNREADABLE, *WRONG_FILE, "corrupt exif.jpg", "张三 毕业 照片.jpg"]
    return {n: photocheck.check(str(corpus / n), lang="en") for n in names}


# -- the loader ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name,code", sorted(UNREADABLE.items()))
def test_loader_turns_unreadable_files_into_a_photo_error_naming_the_file(corpus, name, code):
    path = corpus / name
    with pytest.raises(PhotoError) as e:
        load(path)
    assert e.value.code == code
    assert e.value.file == str(path)
    assert e.value.zh and e.value.en and name in str(e.value)


def test_decompression_bomb_is_refused_from_its_header_without_decoding():
    with pytest.raises(PhotoError) as e:
        load(bomb_png(30000, 30000), name="bomb.png")
    assert e.value.code == "too_large" and "30000" in e.value.en
    w = int(MAX_PIXELS ** 0.5) + 1  # just over the limit
    with pytest.raises(PhotoError) as e:
        load(bomb_png(w, w), name="big.png")
    assert e.value.code == "too_large"


def test_link_loop_and_fifo_messages_say_what_they_are(corpus):
    with pytest.raises(PhotoError) as e:
        load(corpus / "loop.jpg")
    assert "link" in e.value.en.lower()
    with pytest.raises(PhotoError) as e:
        load(corpus / "fifo.jpg")
    assert "not a regular file" in e.value.en or "folder" in e.value.en


# -- the API: photocheck.check never raises, reports each problem ---------------------------------
@pytest.mark.parametrize("name,code", sorted(UNREADABLE.items()))
def test_api_reports_unreadable_files_as_an_error_finding(api_reports, corpus, name, code):
    rep = api_reports[name]
    assert rep.file == str(corpus / name)
    assert not rep.ok
    f = rep.findings[0]
    assert (f.rule, f.status, f.value) == ("file.read", "error", code)
    assert f.message


@pytest.mark.parametrize("name,fact", sorted(WRONG_FILE.items()))
def test_api_reports_the_real_format_and_mode_of_odd_files(api_reports, name, fact):
    rep = api_reports[name]
    rule, value = fact
    assert rep.status("file.read") == "pass"
    assert rep.status(rule) == "fail"
    f = rep.finding(rule)
    assert f.value == value and value in f.message


@pytest.mark.parametrize("name", SAME_FACE)
def test_odd_but_decodable_files_are_measured_like_the_original(corpus, good_analysis, name):
    """Format, colour mode, alpha, bit depth, EXIF damage or the file name must not move the face."""
    a = analyse(corpus / name, load_spec("upload"))
    assert a.face is not None
    assert a.image.rgb.shape == (640, 480, 3) and a.image.rgb.dtype == np.uint8
    assert abs(a.eye_y - good_analysis.eye_y) < 2.0
    assert abs(a.face_width - good_analysis.face_width) < 3.0


def test_corrupt_exif_is_noted_and_the_photo_still_checked(api_reports, good_analysis):
    rep = api_reports["corrupt exif.jpg"]
    assert rep.status("file.read") == "pass"
    assert rep.status("geometry.eye_line") == api_reports["good.jpg"].status("geometry.eye_line")


def test_chinese_file_name_with_spaces_is_checked_like_any_other(api_reports, corpus):
    rep, good = api_reports["张三 毕业 照片.jpg"], api_reports["good.jpg"]
    assert rep.file == str(corpus / "张三 毕业 照片.jpg")
    assert [(f.rule, f.status, f.value) for f in rep.findings] == [(f.rule, f.status, f.value) for f in good.findings]


@pytest.mark.parametrize("o", range(1, 9))
def test_exif_orientation_is_applied_so_the_face_is_upright(corpus, good_analysis, o):
    a = analyse(corpus / f"orient{o}.jpg", load_spec("upload"))
    assert a.image.orientation == o
    assert (a.image.width, a.image.height) == (480, 640)
    assert a.face is not None
    assert abs(a.eye_y - good_analysis.eye_y) < 2.0
    assert abs(a.face_cx - good_analysis.face_cx) < 2.0
    # upright: the eyes are above the nose tip and the mouth, and image-left/right are kept
    p = a.face.points
    assert p[1, 1] > a.eye_y and p[13, 1] > p[1, 1]
    assert np.allclose(a.pupils, good_analysis.pupils, atol=2.0)


# -- the command line ---------------------------------------------------------------------------
def _cli(*args):
    res = CliRunner().invoke(main, ["check", *map(str, args)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    return res


def test_cli_reports_every_file_once_keeps_going_and_exits_2(corpus):
    names = ["good.jpg", *UNREADABLE, *WRONG_FILE, "corrupt exif.jpg", "张三 毕业 照片.jpg"]
    res = _cli("--json", "--lang", "en", *[corpus / n for n in names])
    assert res.exit_code == 2  # some input could not be read
    out = json.loads(res.stdout)
    assert [r["file"] for r in out] == [str(corpus / n) for n in names]
    by = {Path(r["file"]).name: r for r in out}
    for n, code in UNREADABLE.items():
        f = by[n]["findings"][0]
        assert (f["rule"], f["status"], f["value"]) == ("file.read", "error", code) and f["message"]
    for n, (rule, value) in WRONG_FILE.items():
        f = next(x for x in by[n]["findings"] if x["rule"] == rule)
        assert f["status"] == "fail" and f["value"] == value


def test_cli_text_output_names_the_file_next_to_its_problem(corpus):
    res = _cli("--lang", "en", corpus / "truncated.jpg", corpus / "good.jpg", corpus / "loop.jpg")
    assert res.exit_code == 2
    lines = res.stdout.splitlines()
    # "FILE: NOT OK", the finding line, then "→ message"
    i = next(k for k, s in enumerate(lines) if s.startswith(str(corpus / "truncated.jpg")))
    assert "file.read" in lines[i + 1] and "truncated" in lines[i + 2]
    assert any(s.startswith(str(corpus / "good.jpg")) for s in lines)
    j = next(k for k, s in enumerate(lines) if s.startswith(str(corpus / "loop.jpg")))
    assert "file.read" in lines[j + 1] and "link loop" in lines[j + 2]


def test_cli_exit_code_is_1_for_readable_photos_that_fail_and_0_when_all_pass(corpus, api_reports):
    res = _cli("--json", corpus / "webp.jpg", corpus / "cmyk.jpg", corpus / "good.jpg")
    assert res.exit_code == 1
    res = _cli("--json", corpus / "good.jpg", corpus / "张三 毕业 照片.jpg")
    assert res.exit_code == (0 if api_reports["good.jpg"].ok else 1)


def test_cli_on_a_folder_reports_links_and_fifos_named_like_photos(corpus):
    res = _cli("--json", "-q", corpus)
    files = {Path(r["file"]).name: r for r in json.loads(res.stdout)}
    for n in ("loop.jpg", "dangling.jpg", "fifo.jpg", "empty.jpg", "bomb.jpg"):
        assert files[n]["findings"][0]["status"] == "error"
    assert "folder.jpg" not in files  # a folder is walked into, not reported as a photo
    assert files["good.jpg"]["findings"][0]["status"] == "pass"
    assert res.exit_code == 2


def test_permission_denied_is_reported_not_raised(corpus, monkeypatch):
    """The loader's answer to EACCES, whoever runs the tests (root reads chmod 000 files anyway)."""
    import photocheck.io as pio

    real_open = os.open

    def denied(path, *a, **kw):
        if str(path).endswith("good.jpg"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **kw)

    monkeypatch.setattr(pio.os, "open", denied)
    rep = photocheck.check(str(corpus / "good.jpg"), lang="en")
    f = rep.findings[0]
    assert (f.status, f.value) == ("error", "unreadable") and "permission" in f.message
    res = _cli("--lang", "en", corpus / "good.jpg", corpus / "png.jpg")
    assert res.exit_code == 2 and "permission" in res.stdout and str(corpus / "png.jpg") in res.stdout


def test_unreadable_permissions_for_real():
    """chmod 000 for real: as an ordinary user; as root, by running the check as 'nobody'."""
    d = Path(tempfile.mkdtemp(prefix="photocheck-perm-"))
    try:
        os.chmod(d, 0o755)
        locked = d / "locked.jpg"
        locked.write_bytes(_save(Image.new("RGB", (480, 640), (100, 197, 255)), "JPEG"))
        os.chmod(locked, 0)
        if os.geteuid() != 0:
            rep = photocheck.check(str(locked), lang="en")
            assert rep.findings[0].value == "unreadable" and "permission" in rep.findings[0].message
            assert _cli(locked).exit_code == 2
            return
        code = ("import json, photocheck; r = photocheck.check(%r, lang='en'); "
                "print(json.dumps(r.to_dict()['findings'][0]))" % str(locked))

        def as_nobody():
            os.setgid(65534)
            os.setuid(65534)

        env = {**os.environ, "HOME": str(d)}
        try:
            api = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                                 preexec_fn=as_nobody, env=env, cwd=d)
        except (PermissionError, OSError, subprocess.SubprocessError) as e:
            pytest.skip(f"running as root and the unprivileged user cannot start this Python ({e}); "
                        "permission handling is covered by test_permission_denied_is_reported_not_raised")
        if api.returncode != 0 and ("Error" in api.stderr or "denied" in api.stderr):
            pytest.skip("running as root and the unprivileged user cannot import the environment")
        f = json.loads(api.stdout.strip().splitlines()[-1])
        assert (f["status"], f["value"]) == ("error", "unreadable") and "permission" in f["message"]
        cli = subprocess.run([sys.executable, "-c", "from photocheck.cli import main; main()", "check", "--lang", "en",
                              str(locked)], capture_output=True, text=True, timeout=120, preexec_fn=as_nobody,
                             env=env, cwd=d)
        assert cli.returncode == 2 and "Traceback" not in cli.stderr
        assert str(locked) in cli.stdout and "permission" in cli.stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("profile", ["upload", "original"])
def test_degenerate_pictures_get_a_report_not_an_exception(profile):
    """Smallest accepted size, extreme aspect ratios, a blank and a noise picture: no face, no crash."""
    rng = np.random.default_rng(0)
    pictures = {"16x16.jpg": np.zeros((16, 16, 3), np.uint8), "16x5000.jpg": np.full((5000, 16, 3), 128, np.uint8),
                "5000x16.jpg": np.full((16, 5000, 3), 200, np.uint8), "white.jpg": np.full((640, 480, 3), 255, np.uint8),
                "noise.jpg": (rng.random((1500, 1500, 3)) * 255).astype(np.uint8)}
    for name, rgb in pictures.items():
        rep = photocheck.check(_save(Image.fromarray(rgb), "JPEG"), profile=profile, name=name, lang="en")
        assert rep.file == name and not rep.ok
        assert not [f.rule for f in rep.findings if f.status == "error"]
        assert rep.status("geometry.eye_line") == "skip"  # no face: measured as absent, not guessed
