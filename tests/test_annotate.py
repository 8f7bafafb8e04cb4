"""The annotated image (``check --annotate``, the page's picture): colours that mean what the legend
says, labels in the run's language, and the command saying where it wrote."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from photocheck.annotate import RED, label_font
from photocheck.check import analyse_and_check
from photocheck.cli import main
from photocheck.rules import all_rules
from photocheck.spec import load_spec

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_the_label_font_has_every_character_of_every_rule_title():
    """A missing glyph would draw as an empty box: re-run photocheck/fonts/make_font.py."""
    font = label_font()
    notdef = bytes(font.getmask("\ue000"))  # a private-use character: the font's "missing glyph" box
    for r in all_rules():
        zh, en = r.title if isinstance(r.title, tuple) else (str(r.title), str(r.title))
        missing = {c for c in zh + en + "：: 0123456789" if not c.isspace() and bytes(font.getmask(c)) == notdef}
        assert not missing, (r.id, missing)
    assert bytes(font.getmask("\u9fa0")) == notdef  # a rare character it lacks: the check can fail
    assert label_font().getbbox("头顶距上边缘 50–110 像素：56")[2] > 100  # it loads and draws


def _red_pixels(img: np.ndarray) -> int:
    return int(np.all(img == np.array(RED), axis=-1).sum())


@pytest.fixture(scope="module")
def annotated():
    from photocheck.annotate import annotate

    spec = load_spec("upload")
    out = {}
    for key, path in (("pass", SAMPLES / "upload" / "london_005.jpg"),
                      ("head_high", SAMPLES / "problems" / "london_034_head_too_high.jpg"),
                      ("file_only", SAMPLES / "problems" / "london_034_over_40kb.jpg")):
        a, rep = analyse_and_check(str(path), spec, lang="zh")
        out[key] = (rep, annotate(a, rep, lang="zh"), annotate(a, rep, lang="en"))
    return out


def test_nothing_is_red_on_a_passing_photo_and_the_problem_is(annotated):
    rep, zh, _ = annotated["pass"]
    assert rep.ok and _red_pixels(zh) == 0  # the face box is a blue guide, not a red "problem"
    rep, zh, _ = annotated["head_high"]
    assert not rep.ok and _red_pixels(zh) > 400  # the head-top line across the frame
    # a file that is too large: nothing is wrong in the picture, so nothing in it is red
    rep, zh, _ = annotated["file_only"]
    assert [f.rule for f in rep.failed] == ["file.size"] and _red_pixels(zh) == 0


def test_labels_follow_the_language(annotated):
    """Same drawing, only the labels differ: the Chinese run's image is not the English one's."""
    _, zh, en = annotated["pass"]
    differ = np.any(zh != en, axis=-1)
    ys = np.nonzero(differ.any(axis=1))[0]
    assert differ.sum() > 200 and ys.max() - ys.min() < 640  # text, not the whole picture


def test_check_annotate_says_where_it_wrote_and_never_overwrites(tmp_path):
    photo = str(SAMPLES / "upload" / "london_005.jpg")
    out = tmp_path / "标注"  # a non-ASCII folder (cv2.imwrite cannot write one on Windows)
    runner = CliRunner()
    for i in range(2):
        r = runner.invoke(main, ["check", photo, "--annotate", str(out), "-q"])
        assert r.exit_code == 0, r.output
        name = "london_005.annotated.png" if i == 0 else "london_005.annotated-1.png"
        assert f"标注图 / annotated: {out / name}" in r.output
    r = runner.invoke(main, ["check", photo, "--annotate", str(out), "--json", "--lang", "en"])
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["ok"]  # stdout stays one JSON document
    assert f"annotated: {out / 'london_005.annotated-2.png'}" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["london_005.annotated-1.png", "london_005.annotated-2.png",
                                                      "london_005.annotated.png"]
    with Image.open(out / "london_005.annotated.png") as im:
        assert im.size == (480, 640)
