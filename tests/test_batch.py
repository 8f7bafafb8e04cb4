"""The batch pipeline end to end on the sample shoot (samples/shoot: real London-set faces in camera
frames) and on variations of it built here. The sample is analysed once per session; variations
reuse those analyses through the run's journal (keyed by file content), which is exactly the resume
mechanism a rerun uses, so only files with new content are analysed again."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from photocheck.batch import BatchUsageError, run_batch
from photocheck.batch.runner import load_settings
from photocheck.batch.work import score
from photocheck.check import check

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "shoot"
SHOTS, LOG, REFS = SAMPLE / "shots", SAMPLE / "shots.csv", SAMPLE / "references"
NAME_LOG, FORM = REPO / "samples" / "shoot-roster" / "shots.csv", REPO / "samples" / "shoot-roster" / "registration.xls"
PHOTOCHECK = Path(sys.executable).with_name("photocheck")

pytestmark = pytest.mark.skipif(not SHOTS.is_dir(), reason="samples/shoot is missing (run samples/make_shoot.py)")


def tree_hash(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def shots_before():
    return tree_hash(SAMPLE)


# The pipeline re-checks every upload file in the worker (settings.toml: verify_upload). These tests
# check each output with `photocheck.check` themselves (test_outputs_…), so most runs here skip the
# in-worker re-check to keep the suite lean; test_worker_verifies_the_upload_file covers it.
FAST = load_settings()
FAST["output"]["verify_upload"] = False


@pytest.fixture(scope="session")
def sample(tmp_path_factory, shots_before):
    out = tmp_path_factory.mktemp("sample") / "out"
    return run_batch(SHOTS, LOG, out, workers=1, references=REFS, progress=False, lang="en", settings=FAST)


def seeded(tmp_path: Path, sample, name: str = "out") -> Path:
    """A fresh OUT_DIR holding the sample run's journal (its finished analyses), nothing else."""
    out = tmp_path / name
    shutil.copytree(Path(sample.out_dir) / ".photocheck", out / ".photocheck")
    return out


def journal_lines(out: Path) -> int:
    return len((out / ".photocheck" / "journal.jsonl").read_text(encoding="utf-8").splitlines())


def by_shot(result) -> dict:
    return {s["shot_no"]: s for s in result.students if s["shot_no"] is not None}


def file_status(result) -> dict:
    return {f["file"]: (f["status"], f["shot_no"]) for f in result.report["files"]}


def consistent_verdict(s) -> bool:
    """ok ⇔ the chosen frame has no failing finding (the rules themselves are tested elsewhere)."""
    fails = [f for f in s["findings"] if f["status"] in ("fail", "error")]
    return (s["status"] == "ok") == (not fails)


# -- the sample shoot, with references ---------------------------------------------------------------
def test_sample_matching_is_exact(sample):
    s = by_shot(sample)
    assert list(s) == [str(k) for k in range(1, 13)]
    expect = {"1": ("DSC_0412.JPG", []), "2": ("DSC_0413.JPG", []), "3": ("DSC_0415.JPG", ["DSC_0414.JPG"]),
              "4": ("DSC_0416.JPG", []), "5": ("DSC_0418.JPG", []), "6": ("DSC_0420.JPG", []), "7": ("DSC_0419.JPG", []),
              "8": ("DSC_0421.JPG", []), "9": (None, []), "11": ("DSC_0425.JPG", []), "12": ("DSC_0426.JPG", [])}
    assert {k: (v["file"], v["retakes"]) for k, v in s.items() if k != "10"} == expect
    # shot 10 has two good frames: the chosen one ranks at least as well as the retake
    assert sorted([s["10"]["file"]] + s["10"]["retakes"]) == ["DSC_0422.JPG", "DSC_0423.JPG"]
    # the blink retake (eyes painted over) fails eyes.open and is not the chosen frame
    recs = [json.loads(x) for x in (Path(sample.out_dir) / ".photocheck" / "journal.jsonl").read_text().splitlines()]
    blink = next(r for r in recs if r["rel"] == "DSC_0414.JPG")
    assert next(f["status"] for f in blink["findings"] if f["rule"] == "eyes.open") == "fail"
    assert s["3"]["file"] == "DSC_0415.JPG"
    rec = {r["rel"]: r for r in recs}
    assert score(rec[s["10"]["file"]]["findings"]) <= score(rec[s["10"]["retakes"][0]]["findings"])
    assert s["9"]["status"] == "missing" and s["6"]["status"] == s["7"]["status"] == "mismatch"
    assert s["6"]["matched_by"] == s["7"]["matched_by"] == "swap"
    for k in ("1", "2", "3", "4", "5", "8", "10", "11", "12"):
        assert s[k]["matched_by"] == "face" and s[k]["similarity"] > 0.8, k
        assert s[k]["status"] in ("ok", "failed") and consistent_verdict(s[k]), k
    strangers = [x for x in sample.students if x["shot_no"] is None]
    assert [(x["status"], x["file"]) for x in strangers] == [("unmatched", "DSC_0417.JPG")]
    assert sample.exit_code == 1


def test_every_file_and_every_row_exactly_once(sample):
    files = [f["file"] for f in sample.report["files"]]
    assert sorted(files) == sorted(p.name for p in SHOTS.iterdir())
    assert len(files) == len(set(files))
    rows = [s["shot_no"] for s in sample.students if s["shot_no"] is not None]
    assert rows == [str(k) for k in range(1, 13)]
    fs = file_status(sample)
    assert fs["DSC_0424.JPG"] == ("unreadable", None)
    assert fs["shoot-notes.txt"] == ("not_image", None)
    assert fs["DSC_0417.JPG"] == ("unmatched", None)
    assert fs["DSC_0414.JPG"] == ("retake", "3") and fs["DSC_0415.JPG"] == ("used", "3")
    assert fs["DSC_0419.JPG"] == ("used", "7") and fs["DSC_0420.JPG"] == ("used", "6")


def test_mismatches_name_shots_and_files(sample):
    m = {(i["kind"], tuple(i["shot_nos"])): i for i in sample.report["mismatches"]}
    assert ("swap", ("6", "7")) in m and set(m[("swap", ("6", "7"))]["files"]) == {"DSC_0419.JPG", "DSC_0420.JPG"}
    assert ("missing", ("9",)) in m
    stranger = m[("stranger", ())]
    assert stranger["files"] == ["DSC_0417.JPG"] and "between shot 4 and shot 5" in stranger["message"]
    assert m[("unreadable", ())]["files"] == ["DSC_0424.JPG"]
    assert ("count", ()) not in m  # 11 students + 1 stranger photographed, 12 rows: the counts agree
    kinds = sorted(k for k, _ in m)
    assert kinds == sorted(["swap", "missing", "stranger", "unreadable"])


def test_outputs_are_upload_ready_and_only_for_ok_students(sample):
    out = Path(sample.out_dir)
    ok = {s["student_id"] for s in sample.students if s["status"] == "ok"}
    assert ok, "the sample should have students whose photo passes"
    assert sorted(p.name for p in (out / "upload").iterdir()) == sorted(f"{i}.jpg" for i in ok)
    for s in sample.students:
        if s["status"] == "ok":
            assert s["output"] == f"upload/{s['student_id']}.jpg"
            data = (out / s["output"]).read_bytes()
            rep = check(data, profile="upload", lang="en")
            assert rep.ok, (s["output"], [(f.rule, f.value) for f in rep.failed])
            assert 20 * 1024 <= len(data) <= 40 * 1024 and Image.open(io.BytesIO(data)).size == (480, 640)
        elif s["status"] != "mismatch":
            assert s["output"] is None
    # the swapped pair goes to review/, named by the student whose face it shows
    review = {s["output"] for s in sample.students if s["status"] == "mismatch" and s["output"]}
    assert review <= {"review/2026006.jpg", "review/2026007.jpg"}


def test_reports_mask_ids_escape_formulas_and_show_thumbnails(sample):
    out = Path(sample.out_dir)
    with open(LOG, encoding="utf-8-sig") as fh:
        ids = [r["身份证号"] for r in csv.DictReader(fh)]
    texts = {n: (out / n).read_text(encoding="utf-8-sig") for n in ("report.json", "report.csv", "report.html")}
    for n, t in texts.items():
        for full in ids:
            assert full not in t, n
            assert full[:3] + "*" * 11 + full[-4:] in t, n
    rows = list(csv.reader(io.StringIO(texts["report.csv"])))
    assert (out / "report.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert rows[0][-1] == "院系"
    row12 = next(r for r in rows if r[0] == "12")
    assert row12[-1].startswith("'=HYPERLINK")
    html = texts["report.html"]
    assert html.count("data:image/jpeg;base64,") == sum(1 for s in sample.students if s["file"])
    assert html.index("swapped order") < html.index("<h2>Students")
    rep = json.loads(texts["report.json"])
    assert all(set(s) >= {"shot_no", "student_id", "name", "status", "file", "retakes", "output", "findings"} for s in rep["students"])
    assert all(set(f) >= {"file", "status", "shot_no"} for f in rep["files"])
    assert rep["students"][0]["extra"] == {"院系": "信息学院"}


def test_shots_dir_is_never_modified(sample, shots_before):
    assert tree_hash(SAMPLE) == shots_before


def test_worker_verifies_the_upload_file():
    import base64

    from photocheck.batch.work import analyse_file

    rec = analyse_file(str(SHOTS / "DSC_0413.JPG"), "DSC_0413.JPG", "x")
    assert rec["ok"] and rec["upload_ok"] and rec["exif_time"] == "2026:06:10 09:02:14"
    data = base64.b64decode(rec["upload"])
    assert check(data, profile="upload").ok
    assert {f["rule"] for f in rec["upload_findings"]} <= {f.rule for f in check(data, profile="upload").findings if f.status == "warn"}
    bad = analyse_file(str(SHOTS / "DSC_0424.JPG"), "DSC_0424.JPG", "y")
    assert bad["kind"] == "unreadable" and bad["error"]["code"] == "truncated"


# -- variations --------------------------------------------------------------------------------------
def test_without_references_swap_is_not_detectable_and_said(tmp_path, sample):
    r = run_batch(SHOTS, LOG, seeded(tmp_path, sample), workers=1, progress=False, lang="en", settings=FAST)
    s = by_shot(r)
    assert s["6"]["file"] == "DSC_0419.JPG" and s["6"]["matched_by"] == "time"  # in order, by the clock
    assert s["9"]["status"] == "missing"
    assert [x["file"] for x in r.students if x["status"] == "unmatched"] == ["DSC_0417.JPG"]
    assert any("swap of two students cannot be detected" in n for n in r.report["notes"])
    assert r.report["summary"]["clock_offset_s"] == pytest.approx(104, abs=3)


def copy_shots(tmp_path: Path, skip=()) -> Path:
    d = tmp_path / "shots"
    shutil.copytree(SHOTS, d, ignore=shutil.ignore_patterns(*skip))
    return d


def test_duplicates_by_bytes_and_by_image(tmp_path, sample):
    shots = copy_shots(tmp_path)
    (shots / "card2").mkdir()
    shutil.copy(shots / "DSC_0412.JPG", shots / "card2" / "DSC_0412.JPG")  # same bytes
    im = Image.open(shots / "DSC_0413.JPG")
    im.save(shots / "card2" / "DSC_0413_export.jpg", "JPEG", quality=80, exif=im.getexif().tobytes())  # same image
    r = run_batch(shots, LOG, seeded(tmp_path, sample), workers=1, references=REFS, progress=False, lang="en", settings=FAST)
    fs = {f["file"]: f for f in r.report["files"]}
    assert fs["card2/DSC_0412.JPG"]["status"] == "duplicate" and fs["card2/DSC_0412.JPG"]["duplicate_of"] == "DSC_0412.JPG"
    assert fs["card2/DSC_0413_export.jpg"]["status"] == "duplicate"
    assert fs["card2/DSC_0413_export.jpg"]["duplicate_of"] == "DSC_0413.JPG"
    assert fs["card2/DSC_0413_export.jpg"]["shot_no"] == "2"
    assert {k: v["file"] for k, v in by_shot(r).items()} == {k: v["file"] for k, v in by_shot(sample).items()}
    assert sum(i["kind"] == "duplicate" for i in r.report["mismatches"]) == 2


def test_copies_named_by_the_file_manager_are_the_duplicates_not_the_camera_file(tmp_path, sample):
    shots = copy_shots(tmp_path)
    for copy in ("DSC_0412 (1).JPG", "DSC_0412 - 副本.JPG"):  # same bytes
        shutil.copy(shots / "DSC_0412.JPG", shots / copy)
    im = Image.open(shots / "DSC_0413.JPG")
    im.save(shots / "DSC_0413 - Copy.JPG", "JPEG", quality=85, exif=im.getexif().tobytes())  # same image, other bytes
    r = run_batch(shots, LOG, seeded(tmp_path, sample), workers=1, references=REFS, progress=False, lang="en", settings=FAST)
    fs = {f["file"]: f for f in r.report["files"]}
    for copy, orig in (("DSC_0412 (1).JPG", "DSC_0412.JPG"), ("DSC_0412 - 副本.JPG", "DSC_0412.JPG"),
                       ("DSC_0413 - Copy.JPG", "DSC_0413.JPG")):
        assert (fs[copy]["status"], fs[copy]["duplicate_of"]) == ("duplicate", orig), copy
        assert fs[orig]["status"] == "used"
    assert by_shot(r)["1"]["file"] == "DSC_0412.JPG" and by_shot(r)["2"]["file"] == "DSC_0413.JPG"
    assert sum(i["kind"] == "duplicate" for i in r.report["mismatches"]) == 3


def test_files_renamed_by_shot_number_override_the_order(tmp_path, sample):
    shots = copy_shots(tmp_path)
    os.rename(shots / "DSC_0419.JPG", shots / "007.JPG")  # staff sorted out the swap by hand
    os.rename(shots / "DSC_0420.JPG", shots / "006.JPG")
    r = run_batch(shots, LOG, seeded(tmp_path, sample), workers=1, references=REFS, progress=False, lang="en", settings=FAST)
    s = by_shot(r)
    assert (s["6"]["file"], s["6"]["matched_by"]) == ("006.JPG", "file_name")
    assert (s["7"]["file"], s["7"]["matched_by"]) == ("007.JPG", "file_name")
    assert s["6"]["status"] in ("ok", "failed") and consistent_verdict(s["6"])
    assert not any(i["kind"] == "swap" for i in r.report["mismatches"])
    assert s["5"]["file"] == "DSC_0418.JPG" and s["8"]["file"] == "DSC_0421.JPG"


def test_log_values_that_would_escape_out_dir_are_refused(tmp_path, sample):
    text = LOG.read_text(encoding="utf-8-sig")
    ok_ids = [s["student_id"] for s in sample.students if s["status"] == "ok"]
    victim = ok_ids[0]
    log = tmp_path / "evil.csv"
    log.write_text(text.replace(victim, "../../evil"), encoding="utf-8-sig")
    out = seeded(tmp_path, sample)
    r = run_batch(SHOTS, log, out, workers=1, references=REFS, progress=False, lang="en", settings=FAST)
    s = next(x for x in r.students if x["student_id"] == "../../evil")
    assert s["status"] == "failed" and s["output"] is None
    assert any(f["rule"] == "batch.output_name" for f in s["findings"])
    assert not list(tmp_path.rglob("evil*.jpg")) and not (tmp_path.parent / "evil.jpg").exists()
    with pytest.raises(BatchUsageError):
        run_batch(SHOTS, LOG, out, workers=1, progress=False, name_template="../{student_id}.jpg")
    with pytest.raises(BatchUsageError):
        run_batch(SHOTS, LOG, SHOTS / "out", workers=1, progress=False)  # never write into SHOTS_DIR
    assert not (SHOTS / "out").exists()


def test_rerun_resumes_without_duplicates_and_never_overwrites(tmp_path, sample):
    out = seeded(tmp_path, sample)
    r1 = run_batch(SHOTS, LOG, out, workers=1, references=REFS, progress=False, lang="en", settings=FAST)
    n = journal_lines(out)
    first = (out / "report.json").read_bytes()
    uploads = sorted(p.name for p in (out / "upload").iterdir())
    r2 = run_batch(SHOTS, LOG, out, workers=1, references=REFS, progress=False, lang="en", settings=FAST)
    assert journal_lines(out) == n  # nothing analysed again
    assert (out / "report.json").read_bytes() == first and r2.report == r1.report
    assert sorted(p.name for p in (out / "upload").iterdir()) == uploads
    assert r1.report["students"] == sample.report["students"]
    # an upload file changed by hand is kept (and reported) unless --force
    target = out / "upload" / uploads[0]
    good = target.read_bytes()
    target.write_bytes(b"edited by hand")
    r3 = run_batch(SHOTS, LOG, out, workers=1, references=REFS, progress=False, lang="en", settings=FAST)
    assert target.read_bytes() == b"edited by hand"
    s = next(x for x in r3.students if x["output"] is None and any(f["rule"] == "batch.output_exists" for f in x["findings"]))
    assert f"{s['student_id']}.jpg" == uploads[0]
    run_batch(SHOTS, LOG, out, workers=1, references=REFS, progress=False, lang="en", force=True, settings=FAST)
    assert target.read_bytes() == good


def test_cli_summary_exit_codes_and_json(tmp_path, sample):
    from photocheck.cli import main

    out = seeded(tmp_path, sample)
    res = CliRunner().invoke(main, ["batch", str(SHOTS), "--log", str(LOG), "--out", str(out), "--workers", "1",
                                    "--references", str(REFS), "--lang", "en"])
    assert res.exit_code == 1, res.output
    assert "swapped order" in res.output and "report: " in res.output
    res = CliRunner().invoke(main, ["batch", str(SHOTS), "--log", str(LOG), "--out", str(out), "--workers", "1", "--json"])
    assert res.exit_code == 1
    assert len(json.loads(res.output)["students"]) == 13
    # the README's demo: the same problems are reported, only the exit code is 0
    res = CliRunner().invoke(main, ["batch", str(SHOTS), "--log", str(LOG), "--out", str(out), "--workers", "1",
                                    "--references", str(REFS), "--lang", "en", "--exit-zero"])
    assert res.exit_code == 0 and "swapped order" in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("学号,姓名\n1,a\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["batch", str(SHOTS), "--log", str(bad), "--out", str(out), "--lang", "en"])
    assert res.exit_code == 2 and "no shot-number column" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["batch", str(tmp_path / "nope"), "--log", str(LOG), "--exit-zero"])
    assert res.exit_code == 2  # --exit-zero never hides a usage error


# -- the registration form (--roster) with a name-only log ------------------------------------------
def outputs(out: Path) -> dict[str, bytes]:
    return {f"{p.parent.name}/{p.name}": p.read_bytes() for sub in ("upload", "review") if (out / sub).is_dir()
            for p in (out / sub).iterdir()}


def test_roster_with_references_settles_the_shared_and_the_mistyped_name_by_face(tmp_path, sample):
    out = seeded(tmp_path, sample)
    r = run_batch(SHOTS, NAME_LOG, out, workers=1, references=REFS, roster=FORM, progress=False, lang="en", settings=FAST)
    s = by_shot(r)
    assert list(s) == [str(k) for k in range(1, 13)] and len(r.students) == 13  # every log row once, + the stranger
    assert {k: v["student_id"] for k, v in s.items()} == {str(k): str(2026000 + k) for k in range(1, 13)}
    # 王芳 is two students of the form; the photo is the reference of 2026001 (信息学院), not 2026107 (数学学院)
    assert s["1"]["roster"]["how"] == "face" and [c["student_id"] for c in s["1"]["roster"]["candidates"]] == ["2026001", "2026107"]
    assert s["1"]["roster"]["candidates"][0]["similarity"] > 0.8 and s["1"]["roster"]["candidates"][1]["similarity"] is None
    # 张明 was typed for 张敏: one character off, confirmed by the face; the form's name is reported
    assert (s["3"]["roster"]["how"], s["3"]["roster"]["log_name"], s["3"]["name"]) == ("face", "张明", "张敏")
    assert {v["roster"]["how"] for k, v in s.items() if k not in ("1", "3")} == {"name"}
    # the same photos, verdicts and upload files as the sample run whose log has the student numbers
    assert {k: (v["file"], v["status"]) for k, v in s.items()} == {k: (v["file"], v["status"]) for k, v in by_shot(sample).items()}
    assert outputs(out) == outputs(Path(sample.out_dir))
    absent = [x["student_id"] for x in r.report["roster"]["not_photographed"]]
    assert absent == ["2026101", "2026107", "2026112", "2026203", "2026208"]  # other groups, the other 王芳 among them
    assert r.report["roster"]["sheet"] == "报名表" and any("read sheet '报名表'" in n for n in r.report["notes"])


def test_roster_without_references_flags_both_names_and_exports_nothing_for_them(tmp_path, sample):
    out = seeded(tmp_path, sample)
    r = run_batch(SHOTS, NAME_LOG, out, workers=1, roster=FORM, progress=False, lang="en", settings=FAST)
    s = by_shot(r)
    for k, cands in (("1", ["2026001", "2026107"]), ("3", ["2026003"])):
        assert (s[k]["status"], s[k]["output"], s[k]["student_id"]) == ("mismatch", None, None), k
        assert not s[k]["roster"]["decided"] and [c["student_id"] for c in s[k]["roster"]["candidates"]] == cands
        assert any(i["kind"] == "roster" and i["shot_nos"] == [k] for i in r.report["mismatches"])
    assert not {"upload/2026001.jpg", "upload/2026003.jpg", "upload/2026107.jpg"} & set(outputs(out))
    assert "2026107" not in [x["student_id"] for x in r.report["roster"]["not_photographed"]]  # may be shot 1
    assert r.exit_code == 1


def test_roster_a_mistyped_name_is_never_given_to_the_student_it_resembles(tmp_path, sample):
    log = tmp_path / "typed.csv"
    log.write_text(NAME_LOG.read_text(encoding="utf-8-sig").replace("4,刘洋", "4,陈晶"), encoding="utf-8-sig")
    out = seeded(tmp_path, sample)
    r = run_batch(SHOTS, log, out, workers=1, references=REFS, roster=FORM, progress=False, lang="en", settings=FAST)
    s = by_shot(r)
    # 陈晶 is one character off 陈静 (shot 5's student), but shot 4's photo is not 陈静: flagged, nothing exported
    assert [c["student_id"] for c in s["4"]["roster"]["candidates"]] == ["2026005"] and not s["4"]["roster"]["decided"]
    assert s["4"]["output"] is None and s["4"]["status"] in ("mismatch", "missing")
    assert s["5"]["student_id"] == "2026005" and outputs(out)["upload/2026005.jpg"] == outputs(Path(sample.out_dir))["upload/2026005.jpg"]
    assert "upload/2026004.jpg" not in outputs(out)


def test_roster_joined_by_student_number_and_every_id_number_masked(tmp_path, sample):
    from photocheck.batch.registration import read_registration

    out = seeded(tmp_path, sample)
    r = run_batch(SHOTS, LOG, out, workers=1, references=REFS, roster=FORM, progress=False, lang="en", settings=FAST)
    assert {s["roster"]["how"] for s in r.students if s["shot_no"]} == {"student_id"}
    assert [f for s in r.students for f in s["findings"] if f["rule"] == "batch.roster"] == []
    assert by_shot(r)["2"]["extra"]["培养单位"] == "信息学院" and by_shot(r)["2"]["extra"]["联系电话"] == "138****6002"
    texts = {n: (out / n).read_text(encoding="utf-8-sig") for n in ("report.json", "report.csv", "report.html")}
    for st in read_registration(FORM).students:
        for n, t in texts.items():
            assert st.id_number not in t and st.phone not in t, (n, st.student_id)
            assert st.id_number[:3] + "*" * 11 + st.id_number[-4:] in t, (n, st.student_id)
    rows = list(csv.reader(io.StringIO(texts["report.csv"])))
    assert rows[0][13] == "student_number_from" and {r[13] for r in rows[1:13]} == {"student number: form, by student number"}
    assert [(r[1], r[3]) for r in rows[14:]] == [(i, "not in this log") for i in ("2026101", "2026107", "2026112", "2026203", "2026208")]
    assert "In the registration form, not in this log (5)" in texts["report.html"]


def test_roster_a_number_and_a_name_of_two_students_export_nothing(tmp_path, sample):
    log = tmp_path / "log.csv"
    log.write_text(LOG.read_text(encoding="utf-8-sig").replace("2,2026002,李娜", "2,2026002,王芳"), encoding="utf-8-sig")
    out = seeded(tmp_path, sample)
    r = run_batch(SHOTS, log, out, workers=1, roster=FORM, progress=False, lang="en", settings=FAST)
    s = by_shot(r)["2"]
    assert (s["roster"]["how"], s["status"], s["output"]) == ("conflict", "mismatch", None)
    assert [c["student_id"] for c in s["roster"]["candidates"]] == ["2026002", "2026001", "2026107"]
    assert not any(name.endswith("2026002.jpg") for name in outputs(out))  # not even in review/


def test_cli_roster_summary(tmp_path, sample):
    from photocheck.cli import main

    res = CliRunner().invoke(main, ["batch", str(SHOTS), "--log", str(NAME_LOG), "--roster", str(FORM), "--out",
                                    str(seeded(tmp_path, sample)), "--workers", "1", "--lang", "en"])
    assert res.exit_code == 1, res.output
    assert "registration form: 17 students, 2 log row(s) not joined, 4 not in this log" in res.output
    assert "2 students in the registration form are named '王芳'" in res.output


# -- scale: worker processes, a killed worker, Dask -------------------------------------------------
SMALL_FILES = ("DSC_0412.JPG", "DSC_0413.JPG", "DSC_0416.JPG", "DSC_0417.JPG", "DSC_0418.JPG", "DSC_0424.JPG", "shoot-notes.txt")
SMALL_IMAGES = 6  # five frames and the broken file: each is analysed and journaled once


def small_shoot(tmp_path: Path) -> tuple[Path, Path]:
    """Shots 1, 2, 4, 5 of the sample with the stranger between 4 and 5, the broken file and the note."""
    d = tmp_path / "small"
    d.mkdir()
    for n in SMALL_FILES:
        shutil.copy(SHOTS / n, d / n)
    with open(LOG, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    log = tmp_path / "small.csv"
    with open(log, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(r for r in rows if r["拍摄号"] in ("1", "2", "4", "5"))
    return d, log


def comparable(report: dict) -> dict:
    """What a rerun must reproduce (report.json leaves the HTML thumbnails out)."""
    students = [{k: v for k, v in s.items() if k != "thumbnail"} for s in report["students"]]
    return {"students": students, **{k: report[k] for k in ("files", "mismatches", "summary")}}


def _descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, depth) of every descendant process (Linux /proc)."""
    out, todo = [], [(pid, 0)]
    while todo:
        p, d = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = (task / "children").read_text().split()
            except OSError:
                continue
            for k in kids:
                out.append((int(k), d + 1))
                todo.append((int(k), d + 1))
    return out


def _interrupted_run_setup(tmp_path, sample, workers: int):
    """A small shoot (shots, log), its uninterrupted reference report, the output folder and the CLI
    command to interrupt."""
    shots, log = small_shoot(tmp_path)
    ref = run_batch(shots, log, seeded(tmp_path, sample, "ref"), workers=1, progress=False, lang="en", settings=FAST)
    out = tmp_path / "out"
    fast = tmp_path / "fast.toml"
    fast.write_text("[output]\nverify_upload = false\n", encoding="utf-8")
    cmd = [str(PHOTOCHECK), "batch", str(shots), "--log", str(log), "--out", str(out), "--workers", str(workers),
           "--lang", "en", "--settings", str(fast)]
    return shots, log, ref, out, cmd


@pytest.mark.skipif(not sys.platform.startswith("linux") or not PHOTOCHECK.exists(), reason="needs Linux /proc and the CLI")
def test_killed_worker_then_rerun_gives_the_same_report(tmp_path, sample):
    _, _, ref, out, cmd = _interrupted_run_setup(tmp_path, sample, workers=2)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = None
    deadline = time.time() + 120
    try:
        while time.time() < deadline and proc.poll() is None:
            j = out / ".photocheck" / "journal.jsonl"
            if j.exists() and j.read_text().count("\n") >= 1:
                workers = [p for p, d in _descendants(proc.pid) if d == 2]  # main → forkserver → workers
                if workers:
                    killed = workers[0]
                    os.kill(killed, signal.SIGKILL)
                    break
            time.sleep(0.05)
        proc.wait(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert killed is not None, "no worker process seen"
    assert proc.returncode in (0, 1), proc.stderr.read().decode()[-2000:]
    rerun = subprocess.run(cmd + ["--json"], capture_output=True, timeout=180)
    assert rerun.returncode == 1
    assert comparable(json.loads(rerun.stdout)) == comparable(ref.report)
    lines = (out / ".photocheck" / "journal.jsonl").read_text().splitlines()
    keys = [json.loads(x)["key"] for x in lines]
    assert len(keys) == len(set(keys)) == SMALL_IMAGES


@pytest.mark.skipif(not PHOTOCHECK.exists(), reason="needs the photocheck CLI")
def test_workers_import_installed_packages_not_files_in_the_current_directory(tmp_path, sample):
    # README's first command runs in a fresh clone after `pip install .`: the clone's photocheck/ folder
    # (importable, but without the models) is in the current directory and must not shadow the installed
    # package in the worker processes, which inherit what the fork server preloaded. An editable install
    # is found before the current directory, so the test shadows an ordinary installed module instead.
    _, _, ref, out, cmd = _interrupted_run_setup(tmp_path, sample, workers=2)
    decoy = tmp_path / "checkout"
    decoy.mkdir()
    (decoy / "cv2.py").write_text("def __getattr__(name):\n    raise AttributeError(f'the cv2.py in the current directory has no {name}')\n")
    run = subprocess.run(cmd + ["--json"], capture_output=True, timeout=300, cwd=decoy)
    assert run.returncode == 1, run.stderr.decode()[-2000:]
    assert comparable(json.loads(run.stdout)) == comparable(ref.report)


def test_a_crash_on_one_file_does_not_stop_the_batch_and_is_retried(tmp_path, sample, monkeypatch):
    import photocheck.batch.runner as runner

    shots, log = small_shoot(tmp_path)
    ref = run_batch(shots, log, seeded(tmp_path, sample, "ref"), workers=1, progress=False, lang="en", settings=FAST)
    out = seeded(tmp_path, sample)
    j = out / ".photocheck" / "journal.jsonl"
    j.write_text("".join(x + "\n" for x in j.read_text().splitlines() if json.loads(x)["rel"] != "DSC_0413.JPG"))
    real = runner.analyse_file

    def buggy(path, rel, *a, **k):
        if rel == "DSC_0413.JPG":
            raise RuntimeError("decoder bug")
        return real(path, rel, *a, **k)

    monkeypatch.setattr(runner, "analyse_file", buggy)
    r = run_batch(shots, log, out, workers=1, progress=False, lang="en", settings=FAST)
    f = next(x for x in r.report["files"] if x["file"] == "DSC_0413.JPG")
    assert f["status"] == "unreadable" and "decoder bug" in f["reason"]
    s = by_shot(r)
    assert s["2"]["status"] == "missing" and [s[k]["file"] for k in ("1", "4", "5")] == ["DSC_0412.JPG", "DSC_0416.JPG", "DSC_0418.JPG"]
    monkeypatch.setattr(runner, "analyse_file", real)
    r = run_batch(shots, log, out, workers=1, progress=False, lang="en", settings=FAST)  # the crash was not journaled
    assert comparable(r.report) == comparable(ref.report)


@pytest.mark.skipif(not PHOTOCHECK.exists(), reason="needs the photocheck CLI")
def test_ctrl_c_then_rerun_continues_and_gives_the_same_report(tmp_path, sample):
    shots, log, ref, out, cmd = _interrupted_run_setup(tmp_path, sample, workers=1)
    # Ctrl-C as in a terminal: a process started as a background job (`cmd &`, as CI scripts and
    # nohup do) inherits SIGINT ignored, and Python then rightly ignores it too
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    j = out / ".photocheck" / "journal.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not (j.exists() and j.read_text().count("\n") >= 1):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()[-2000:]
    assert "run the same command again" in err.decode() and "Traceback" not in err.decode()
    done = journal_lines(out)
    assert 1 <= done < SMALL_IMAGES and not (out / "report.json").exists()
    r = run_batch(shots, log, out, workers=1, progress=False, lang="en", settings=FAST)  # the rerun
    assert journal_lines(out) == SMALL_IMAGES  # only the unfinished files were analysed
    assert comparable(r.report) == comparable(ref.report)


def test_dask_local_cluster_gives_the_same_report(tmp_path, sample):
    distributed = pytest.importorskip("distributed")
    shots, log = small_shoot(tmp_path)
    ref = run_batch(shots, log, seeded(tmp_path, sample, "ref"), workers=1, progress=False, lang="en", settings=FAST)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        r = run_batch(shots, log, tmp_path / "dask-out", scheduler=cluster.scheduler_address, progress=False, lang="en", settings=FAST)
    assert comparable(r.report) == comparable(ref.report)
    assert journal_lines(tmp_path / "dask-out") == SMALL_IMAGES


def _journal_rules(out: Path) -> list[set[str]]:
    """Per analysed image in the run's journal, the rules it was checked with (latest record wins)."""
    recs = {}
    for line in (out / ".photocheck" / "journal.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("kind") == "image":
            recs[rec["key"]] = rec
    return [{f["rule"] for f in rec["findings"]} for rec in recs.values()]


def test_experimental_rules_run_only_when_the_batch_setting_asks(tmp_path, sample):
    default = seeded(tmp_path, sample, "default")
    assert all("ears.visible" not in rules for rules in _journal_rules(default))
    cfg = json.loads(json.dumps(FAST))
    cfg["rules"]["experimental"] = True
    out = seeded(tmp_path, sample, "trial")  # records made without them are redone, not reused
    run_batch(SHOTS, LOG, out, workers=1, references=REFS, progress=False, lang="en", settings=cfg)
    rules = _journal_rules(out)
    assert rules and all({"ears.visible", "headwear", "accessories"} <= r for r in rules)
