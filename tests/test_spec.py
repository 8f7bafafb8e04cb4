"""Limits are data a user can override: a misspelt override is refused, never silently ignored; a
finding is judged once and worded at output, stating the limit in force."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import photocheck
from photocheck.batch.work import judgements, pick_lang
from photocheck.check import report_for
from photocheck.report import Finding, Status
from photocheck.rules import all_rules
from photocheck.spec import PROFILES, SpecError, load_spec

ROOT = Path(__file__).resolve().parents[1]
HIGH_HEAD = ROOT / "samples" / "problems" / "london_034_head_too_high.jpg"  # head top 13 px
GOOD = ROOT / "samples" / "upload" / "london_005.jpg"


def _spec_file(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "my-limits.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("profile", PROFILES)
def test_every_rule_has_its_limits_table(profile):
    """A rule without a table would get an empty limit that always passes."""
    spec = load_spec(profile)
    missing = [r.id for r in all_rules() if r.id not in spec.limits]
    assert not missing, f"no [{profile}.\"…\"] table in photocheck/limits/*.toml for {missing}"


@pytest.mark.parametrize("text, table, key, says", [
    ('[upload."geometry.eyeline"]\nmin = 190\n', 'upload."geometry.eyeline"', None, "geometry.eye_line"),
    ('[upload."geometry.eye_line"]\nmni = 190\n', 'upload."geometry.eye_line"', "mni", "did you mean min"),
    ('[upload."geometry.eye_line"]\nmin = "190"\n', 'upload."geometry.eye_line"', "min", "must be a number"),
    ('[upload."lighting.exposure"]\nwhite_ref_min = true\n', 'upload."lighting.exposure"', "white_ref_min",
     "must be a number"),
    ('[upload."eyes.open"]\nexperimental = "yes"\n', 'upload."eyes.open"', "experimental", "must be a boolean"),
    ('[original."quality.sharpness"]\nmin_skin_l = 10\n', 'original."quality.sharpness"', "min_skin_l",
     "did you mean min_skin_L"),
    ('[settings]\nbackground = [255, 255, 255]\n', "settings", "background", "background_rgb"),
    ('[uplaod."geometry.eye_line"]\nmin = 190\n', "uplaod", None, "unknown table"),
])
def test_a_misspelt_spec_is_refused_naming_file_table_and_key(tmp_path, text, table, key, says):
    path = _spec_file(tmp_path, text)
    with pytest.raises(SpecError) as e:
        load_spec("upload", path)
    assert (e.value.file, e.value.table, e.value.key) == (str(path), table, key)
    assert str(path) in str(e.value) and table in str(e.value) and says in str(e.value)


def test_a_valid_override_is_taken(tmp_path):
    path = _spec_file(tmp_path, '[upload."geometry.eye_line"]\nmin = 190\n[original."file.size"]\nenabled = true\n'
                                '[upload."lighting.exposure"]\nwhite_ref_min = 50\n[settings]\nbackground_rgb = [255, 255, 255]\n')
    spec = load_spec("original", path)
    assert spec.limit("geometry.eye_line").min == 190 and spec.limit("geometry.eye_line").max == 300
    assert spec.is_enabled("file.size") and spec.limit("lighting.exposure")["white_ref_min"] == 50
    assert spec.background_rgb == (255, 255, 255)


def test_cli_refuses_a_misspelt_spec_with_exit_2(tmp_path):
    path = _spec_file(tmp_path, '[upload."geometry.eye_line"]\nmni = 190\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    got = subprocess.run([sys.executable, "-m", "photocheck", "check", "--spec", str(path), str(GOOD)],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert got.returncode == 2, got
    assert str(path) in got.stderr and 'upload."geometry.eye_line"' in got.stderr and "mni" in got.stderr
    assert "Traceback" not in got.stderr


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_override_changes_the_verdict_and_the_message(tmp_path, lang):
    """The message states the limit in force, not the shipped one."""
    shipped = photocheck.check(HIGH_HEAD, lang=lang).finding("geometry.head_top")
    assert shipped.status == "fail" and "50–110" in shipped.message and "50–110" in shipped.title
    path = _spec_file(tmp_path, '[upload."geometry.head_top"]\nmin = 10\nmax = 100\n')
    spec = load_spec("upload", path)
    passes = photocheck.check(HIGH_HEAD, spec=spec, lang=lang).finding("geometry.head_top")
    assert passes.status == "pass" and "10–100" in passes.title
    path = _spec_file(tmp_path, '[upload."geometry.head_top"]\nmin = 20\nmax = 100\n')
    fails = photocheck.check(HIGH_HEAD, spec=load_spec("upload", path), lang=lang).finding("geometry.head_top")
    assert fails.status == "fail" and "20–100" in fails.message and "50" not in fails.message
    assert fails.to_dict()["limit"] == "20–100"


@pytest.fixture(scope="module")
def problem_report():
    spec = load_spec("upload")
    return report_for(photocheck.analyse(HIGH_HEAD, spec), spec, "zh")


def test_one_judgement_is_worded_in_either_language(problem_report):
    """The same findings, worded in English, as a check run in English (nothing judged twice)."""
    en = photocheck.check(HIGH_HEAD, lang="en")
    assert problem_report.in_lang("en").to_dict() == en.to_dict()
    assert problem_report.to_dict("en") == en.to_dict()
    f = problem_report.finding("geometry.head_top")
    assert f.status is Status.FAIL and f.status == "fail" and json.dumps(f.status) == '"fail"'
    assert "头顶" in f.message and f.text("en").startswith("the top of the head")


def test_a_journal_record_words_the_report_in_either_language(problem_report):
    """The batch keeps the judgement (no words) and words it when the report is made."""
    record = json.loads(json.dumps(judgements(problem_report)))  # as the journal stores it
    assert all("message" not in f for f in record)
    for lang in ("zh", "en"):
        assert pick_lang(record, lang) == problem_report.to_dict(lang)["findings"]
    back = Finding.from_record(record[0], "en")
    assert back == problem_report.findings[0]


def test_a_size_override_changes_the_limit_text_and_the_message(tmp_path):
    """Limits spelt out for people (file.size in KB) follow the override too, in JSON and messages."""
    big = ROOT / "samples" / "problems" / "london_034_over_40kb.jpg"  # 64.6 KB
    shipped = photocheck.check(big, lang="en").finding("file.size")
    assert shipped.status == "fail" and shipped.limit_text == "≤ 40 KB (warn < 20 KB)" and "over 40 KB" in shipped.message
    path = _spec_file(tmp_path, '[upload."file.size"]\nmax = 51200\n')
    f = photocheck.check(big, spec=load_spec("upload", path), lang="en").finding("file.size")
    assert f.status == "fail" and f.to_dict()["limit"] == "≤ 50 KB (warn < 20 KB)" and "over 50 KB" in f.message
    assert f.title == "File size 20–50 KB"
    path = _spec_file(tmp_path, '[upload."file.size"]\nmax = 81920\n')
    assert photocheck.check(big, spec=load_spec("upload", path)).status("file.size") == "pass"
