"""The `photocheck check` / `photocheck rules` contract: JSON shape, exit codes, annotations,
messages in both languages, and bad input that is reported rather than crashing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import photocheck
from photocheck.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
GOOD = SAMPLES / "upload" / "london_005.jpg"
BAD = SAMPLES / "problems" / "london_034_head_too_high.jpg"


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


def test_json_report_shape_and_exit_code_for_good_and_bad_photos():
    res = run("check", "--json", "--lang", "en", GOOD, BAD)
    assert res.exit_code == 1
    out = json.loads(res.output)
    assert [Path(o["file"]).name for o in out] == [GOOD.name, BAD.name]
    good, bad = out
    assert good["ok"] is True and bad["ok"] is False
    for obj in out:
        assert set(obj) == {"file", "ok", "findings"}
        for f in obj["findings"]:
            assert set(f) == {"rule", "status", "value", "limit", "message"}
            assert f["status"] in ("pass", "warn", "fail", "skip", "error")
    head = next(f for f in bad["findings"] if f["rule"] == "geometry.head_top")
    assert head["status"] == "fail" and head["value"] < 50 and head["limit"] == "50–110"
    assert "top of the head" in head["message"]


def test_all_good_photos_exit_zero():
    assert run("check", "-q", GOOD).exit_code == 0


def test_messages_default_to_chinese():
    res = run("check", BAD)
    assert "头顶" in res.output and "不合格" in res.output


def test_unreadable_input_is_reported_and_other_photos_still_checked(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    fake = tmp_path / "notes.jpg"
    fake.write_text("not a photo")
    res = run("check", "--json", "--lang", "en", empty, GOOD, tmp_path / "missing.jpg", fake)
    assert res.exit_code == 2
    out = json.loads(res.output)
    assert len(out) == 4 and out[1]["ok"] is True
    for obj, word in ((out[0], "empty"), (out[2], "not found"), (out[3], "not a recognisable image")):
        (f,) = obj["findings"]
        assert f["status"] == "error" and word in f["message"], f


def test_annotate_writes_a_png_per_photo_without_overwriting(tmp_path):
    res = run("check", "--annotate", tmp_path, GOOD, BAD, BAD)
    assert res.exit_code == 1
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["london_005.annotated.png", "london_034_head_too_high.annotated-1.png",
                     "london_034_head_too_high.annotated.png"]
    from PIL import Image

    im = Image.open(tmp_path / "london_034_head_too_high.annotated.png")
    assert im.size == (480, 640)


def test_rules_lists_every_rule_with_its_limit():
    res = run("rules", "--lang", "en")
    assert res.exit_code == 0
    lines = res.output.split("\n\n")[0].splitlines()  # the table; a note on experimental rules follows
    ids = [line.split()[0] for line in lines]
    assert ids == [r.id for r in photocheck.rules()]
    trial = photocheck.load_spec().experimental
    assert trial and all(("experimental" in line) == (line.split()[0] in trial) for line in lines)
    assert "check --experimental" in res.output
    eye = next(line for line in lines if line.startswith("geometry.eye_line"))
    assert "200–300" in eye
    orig = run("rules", "--profile", "original").output
    assert "file.size" in orig and "(off)" in next(line for line in orig.splitlines() if line.startswith("file.size"))


def test_usage_error_exits_two():
    assert run("check").exit_code == 2
    assert run("check", "--profile", "nope", GOOD).exit_code == 2


def test_api_accepts_path_bytes_and_array():
    import numpy as np
    from PIL import Image

    by_path = photocheck.check(GOOD)
    by_bytes = photocheck.check(GOOD.read_bytes())
    by_array = photocheck.check(np.asarray(Image.open(GOOD)))
    assert by_path.ok and by_bytes.ok
    assert by_path.finding("geometry.eye_line").value == by_bytes.finding("geometry.eye_line").value
    # an array has no file: the file rules are skipped, the content rules agree
    assert by_array.status("file.size") == "skip"
    assert abs(by_array.finding("geometry.eye_line").value - by_path.finding("geometry.eye_line").value) < 0.5
    assert by_path.to_dict()["ok"] is True


def test_command_line_entry_point_runs_in_a_fresh_process_with_clean_stderr():
    """The installed `photocheck` script: no model-loading chatter on stderr, exit code kept."""
    exe = Path(sys.executable).with_name("photocheck")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "photocheck"]
    proc = subprocess.run(cmd + ["check", "-q", "--lang", "en", str(GOOD)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout
    assert proc.stderr.strip() == "", proc.stderr
