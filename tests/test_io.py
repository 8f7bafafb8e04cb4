"""Loader and JPEG facts: quality read from the quantisation tables, layout, models shipped."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import photocheck
from photocheck.jpeg import jpeg_layout

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "upload" / "london_005.jpg"


@pytest.fixture(scope="module")
def photo():
    return np.asarray(Image.open(SAMPLE))


def encode(rgb, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", **kw)
    return buf.getvalue()


@pytest.mark.parametrize("q", [15, 35, 59, 60, 61, 75, 90, 98])
def test_quality_is_read_exactly_from_libjpeg_tables(photo, q):
    est = photocheck.load(encode(photo, quality=q)).quality
    assert est.exact and est.quality == q


def test_foreign_tables_are_estimated_not_claimed_exact(photo):
    # Photoshop-style custom tables: a flat table is not any IJG quality
    data = encode(photo, qtables=[[6] * 64, [9] * 64])
    est = photocheck.load(data).quality
    assert not est.exact and 80 <= est.quality <= 100


def test_layout_finds_trailing_bytes_and_progressive(photo):
    base = encode(photo, quality=80)
    assert jpeg_layout(base).trailing_bytes == 0 and jpeg_layout(base).complete
    assert jpeg_layout(base + b"\0" * 100).trailing_bytes == 100
    assert jpeg_layout(encode(photo, quality=80, progressive=True)).progressive
    assert not jpeg_layout(base[: len(base) // 2]).complete
    assert jpeg_layout(b"\x89PNG....") is None


def test_exif_thumbnail_end_marker_is_not_mistaken_for_the_end(photo):
    """A camera JPEG carries a thumbnail JPEG inside EXIF: its FFD9 is not the file's end."""
    thumb = encode(photo[::8, ::8].copy(), quality=70)
    exif = Image.Exif()
    exif[0x0112] = 1
    app1 = b"Exif\0\0" + exif.tobytes()[6:] if exif.tobytes().startswith(b"Exif") else b"Exif\0\0" + exif.tobytes()
    data = encode(photo, quality=80)
    # splice an APP1 segment whose payload contains a whole JPEG (with its own FFD9)
    payload = app1 + thumb
    seg = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    spliced = data[:2] + seg + data[2:]
    lay = jpeg_layout(spliced)
    assert lay.complete and lay.trailing_bytes == 0


def test_reduced_size_decode_of_a_camera_file_keeps_full_size_facts(photo):
    big = np.ascontiguousarray(np.kron(photo, np.ones((6, 6, 1), np.uint8)))  # 2880×3840
    img = photocheck.load(encode(big, quality=90))
    assert (img.width, img.height) == (2880, 3840)
    assert min(img.rgb.shape[:2]) >= 1000 and img.rgb.shape[1] < 2880  # decoded smaller
    assert img.scale == pytest.approx(img.rgb.shape[1] / 2880)


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_a_camera_file_decodes_to_the_same_pixels_by_either_reduced_decoder(photo, orientation, monkeypatch):
    # plain camera JPEGs take OpenCV's reduced decode (faster); it must be exactly the image
    # Pillow's draft mode gives, upright, with the same facts — else the checks would change
    big = np.ascontiguousarray(np.kron(photo, np.ones((5, 5, 1), np.uint8)))  # 2400×3200: decoded at 1/2
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(big, quality=90, exif=exif.tobytes())
    fast = photocheck.load(data)
    import photocheck.io as pio

    monkeypatch.setattr(pio, "reduced_jpeg", lambda *a, **k: None)
    slow = photocheck.load(data)
    assert np.array_equal(fast.rgb, slow.rgb)
    assert (fast.width, fast.height, fast.orientation) == (slow.width, slow.height, slow.orientation)
    assert fast.rgb.shape[:2] == ((1600, 1200) if orientation == 1 else (1200, 1600))


def test_greyscale_and_alpha_inputs_become_rgb_with_mode_recorded(photo):
    buf = io.BytesIO()
    Image.fromarray(photo).convert("LA").save(buf, "PNG")
    img = photocheck.load(buf.getvalue())
    assert img.mode == "LA" and img.rgb.shape[2] == 3 and img.format == "PNG"


def test_shipped_models_match_their_recorded_checksums():
    assert all(photocheck.models_check().values()), photocheck.models_check()


def test_wheel_contains_models_and_limits(tmp_path):
    """`pip install .` must install the model files: build the wheel and look inside."""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(root)], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "No module named" in proc.stderr:
        pytest.skip("pip/setuptools not available to build a wheel: " + proc.stderr[-200:])
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("photocheck-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for model in photocheck.inference.MODEL_FILES:
        assert f"photocheck/models/{model}" in names
    assert "photocheck/limits/core.toml" in names and "photocheck/models/README.md" in names
    # every data file the package reads at run time must be in the wheel
    root_pkg = root / "photocheck"
    for data in list(root_pkg.rglob("*.toml")) + list((root_pkg / "web" / "static").iterdir()):
        assert f"photocheck/{data.relative_to(root_pkg).as_posix()}" in names, data
