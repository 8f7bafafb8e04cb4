"""Property-based fuzzing (hypothesis) of the two parsers that read untrusted files: the image
loader and the roster (shot-log) reader. Whatever the bytes, each either returns a valid result or
raises its own user-facing error (PhotoError / RosterError) — never anything else.

Bounded for CI: a few hundred small inputs, derandomised so a failure reproduces on every run.
"""

from __future__ import annotations

import io
import math

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image

from photocheck.batch import roster
from photocheck.errors import PhotoError
from photocheck.io import LoadedImage, load

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _seed_images() -> dict[str, bytes]:
    """Small valid files with the structures worth mutating: markers, tables, EXIF, chunks."""
    rng = np.random.default_rng(3)
    rgb = (rng.random((48, 40, 3)) * 255).astype(np.uint8)
    im = Image.fromarray(rgb)
    out = {}
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[0x9003] = "2026:06:01 09:00:00"
    for key, fmt, kw in (("jpeg", "JPEG", {"quality": 80, "exif": exif.tobytes(), "dpi": (300, 300)}),
                         ("progressive", "JPEG", {"quality": 70, "progressive": True}),
                         ("png", "PNG", {}), ("gif", "GIF", {})):
        buf = io.BytesIO()
        im.save(buf, fmt, **kw)
        out[key] = buf.getvalue()
    return out


SEEDS = _seed_images()


@st.composite
def mutated(draw, seeds: dict[str, bytes]):
    data = bytearray(seeds[draw(st.sampled_from(sorted(seeds)))])
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "set", "cut", "insert", "dup", "header"]))
        n = len(data)
        if n == 0:
            break
        i = draw(st.integers(0, n - 1))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[i] = draw(st.sampled_from([0x00, 0xFF, 0xD8, 0xD9, 0xDA, 0xC0, 0xC2, 0xE1, 0x7F]))
        elif op == "cut":
            del data[i: i + draw(st.integers(1, max(1, n // 2)))]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=64))
        elif op == "dup":
            j = draw(st.integers(i, min(n, i + 256)))
            data[i:i] = data[i:j]
        elif op == "header":  # sizes and lengths live in the first few hundred bytes
            k = draw(st.integers(0, min(n - 1, 400)))
            data[k] = draw(st.integers(0, 255))
    return bytes(data)


def _valid(img: LoadedImage) -> None:
    assert isinstance(img, LoadedImage)
    assert img.rgb.dtype == np.uint8 and img.rgb.ndim == 3 and img.rgb.shape[2] == 3
    assert min(img.rgb.shape[:2]) > 0 and img.width > 0 and img.height > 0
    assert 0 < img.scale <= 1.0 + 1e-6
    assert img.orientation in range(1, 9)
    if img.dpi is not None:
        assert all(isinstance(v, float) for v in img.dpi)


@FUZZ
@given(mutated(SEEDS))
def test_loader_returns_an_image_or_a_photo_error(data):
    try:
        img = load(data, name="fuzz.jpg")
    except PhotoError as e:
        assert e.file == "fuzz.jpg" and e.code and e.zh and e.en
        return
    _valid(img)


@FUZZ
@given(st.binary(max_size=2048))
def test_loader_on_arbitrary_bytes(data):
    try:
        _valid(load(data, name="junk.jpg"))
    except PhotoError as e:
        assert e.file == "junk.jpg"


# -- the roster (shot-number log) reader ------------------------------------------------------------

CSV_SEED = ("shot_no,student_id,name,time,id_number,备注\n"
            "0001,2026000001,张三,09:00:01,110105199001011234,=cmd|' /C calc'!A0\n"
            "0002,2026000002,李四,09:00:15,,\n"
            "\n"
            "0003,2026000003,\"王 五\",09:00:31,,\"a,b\"\n")
CSV_SEEDS = {"utf8": CSV_SEED.encode("utf-8"), "bom": b"\xef\xbb\xbf" + CSV_SEED.encode("utf-8"),
             "gbk": CSV_SEED.encode("gbk"), "tsv": CSV_SEED.replace(",", "\t").encode("utf-8")}
TEXT_CELLS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@st.composite
def csv_tables(draw):
    """Structured CSV: headers drawn from the accepted names (and junk), cells of any text."""
    pool = ["shot_no", "拍摄号", "student_id", "学号", "name", "姓名", "time", "code", "id_number", "x", ""]
    headers = draw(st.lists(st.sampled_from(pool), min_size=0, max_size=6))
    rows = draw(st.lists(st.lists(TEXT_CELLS, max_size=len(headers) + 1), max_size=8))
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(rows)
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    return buf.getvalue().encode(enc, errors="replace")


def _read(tmp_path_factory, data: bytes, ext: str):
    d = tmp_path_factory.mktemp("roster", numbered=True)
    p = d / f"log{ext}"
    p.write_bytes(data)
    try:
        r = roster.read_roster(p)
    except roster.RosterError as e:
        assert e.zh and e.en
        return None
    assert isinstance(r, roster.Roster)
    for row in r.rows:
        assert isinstance(row.shot_no, str) and row.shot_no
        assert row.seconds is None or math.isfinite(row.seconds)
    return r


# Found by this test: a UTF-8 BOM followed by invalid UTF-8 escaped roster._decode as a raw
# UnicodeDecodeError instead of a RosterError (fixed).
@FUZZ
@given(data=mutated(CSV_SEEDS), ext=st.sampled_from([".csv", ".txt", ".xlsx"]))
def test_roster_reader_returns_a_roster_or_a_roster_error(tmp_path_factory, data, ext):
    _read(tmp_path_factory, data, ext)


@FUZZ
@given(csv_tables())
def test_roster_reader_on_structured_tables(tmp_path_factory, data):
    _read(tmp_path_factory, data, ".csv")
