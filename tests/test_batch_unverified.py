"""No evidence, no green: a photo matched to a log row by shooting order alone is *unverified*.

The sample shoot (samples/shoot: real London-set faces in camera frames) has shot 9 missing and a
person not in the log photographed between shots 4 and 5, so the counts agree. With a log that has
no times and no reference photos, nothing can tell the stranger from the missing student: by order
the stranger's photo lands on shot 5 and every later student gets the photo of the one before. The
batch must not call any of them ok nor write any of them to upload/."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from photocheck.batch import run_batch
from photocheck.batch.runner import load_settings
from support.batch_runs import by_shot, seeded

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "shoot"
SHOTS, LOG, REFS = SAMPLE / "shots", SAMPLE / "shots.csv", SAMPLE / "references"
NAME_LOG, FORM = REPO / "samples" / "shoot-roster" / "shots.csv", REPO / "samples" / "shoot-roster" / "registration.xls"

pytestmark = pytest.mark.skipif(not SHOTS.is_dir(), reason="samples/shoot is missing (run samples/make_shoot.py)")

FAST = load_settings()
FAST["output"]["verify_upload"] = False  # test_batch.py covers the in-worker re-check


def timeless_log(tmp: Path) -> Path:
    """The sample's log without its time column: student numbers and names only."""
    with open(LOG, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    drop = rows[0].index("时间")
    out = tmp / "log-no-times.csv"
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([r[:drop] + r[drop + 1:] for r in rows])
    return out


@pytest.fixture(scope="module")
def blind(tmp_path_factory):
    """The sample shoot with no references and no log times."""
    tmp = tmp_path_factory.mktemp("blind")
    log = timeless_log(tmp)
    r = run_batch(SHOTS, log, tmp / "out", workers=1, progress=False, lang="en", settings=FAST)
    return r, log


def outputs(out: Path, sub: str) -> list[str]:
    return sorted(p.name for p in (out / sub).iterdir()) if (out / sub).is_dir() else []


def test_a_missing_student_plus_a_stranger_unseen_by_order_is_never_ok(blind):
    r, _ = blind
    s = by_shot(r)
    # the shift the order cannot see: shot 5 gets the stranger, shots 6-9 the photos of shots 5-8
    assert s["5"]["file"] == "DSC_0417.JPG" and s["9"]["file"] == "DSC_0421.JPG"
    assert not any(x["status"] == "ok" for x in r.students)
    matched = [x for x in r.students if x["file"]]
    assert len(matched) == 12 and all((x["status"], x["matched_by"]) == ("unverified", "order") for x in matched)
    assert r.report["summary"]["unverified"] == 12 and r.report["summary"]["students"] == {"unverified": 12}
    assert r.exit_code == 1
    for x in matched:  # each row says why and what would verify it
        msg = next(f["message"] for f in x["findings"] if f["rule"] == "batch.unverified")
        assert "shooting order only" in msg and "--references" in msg and "log times" in msg and "shot-number cards" in msg


def test_nothing_unverified_is_uploaded_passing_photos_go_to_review(blind):
    r, _ = blind
    out = Path(r.out_dir)
    assert outputs(out, "upload") == []
    passing = [x for x in r.students if x["status"] == "unverified" and x["photo_ok"]]
    assert passing, "the sample has passing photos"
    assert outputs(out, "review") == sorted(f"{x['student_id']}.jpg" for x in passing)
    assert all(x["output"] == f"review/{x['student_id']}.jpg" for x in passing)
    assert by_shot(r)["5"]["output"] == "review/2026005.jpg"  # the stranger's photo: a person must look at it
    issue = next(i for i in r.report["mismatches"] if i["kind"] == "unverified")
    assert issue["shot_nos"] == [str(k) for k in range(1, 13)] and "review/, not upload/" in issue["message"]


def test_report_shows_unverified_apart_from_ok_with_thumbnails_and_how_it_was_matched(blind):
    r, _ = blind
    out = Path(r.out_dir)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2 class='unverified'>Unverified: confirm by eye (12)</h2>" in html
    top = html[:html.index("<h2>Students")]
    assert top.count("data:image/jpeg;base64,") == 12  # each log row with its photo, to confirm by eye
    assert "class='st ok" not in html and html.count("class='st unverified'") >= 12
    assert html.count("by order (unverified)") == 12
    rows = list(csv.reader(io.StringIO((out / "report.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][3:5] == ["status", "matched_by"]
    assert {(x[3], x[4]) for x in rows[1:]} == {("unverified", "by order (unverified)")}
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["summary"]["unverified"] == 12


def test_cli_summary_says_how_many_are_unverified(tmp_path, blind):
    from photocheck.cli import main

    r, log = blind
    out = seeded(tmp_path, r)
    res = CliRunner().invoke(main, ["batch", str(SHOTS), "--log", str(log), "--out", str(out), "--workers", "1"])
    assert res.exit_code == 1, res.output
    assert "学生：未核实 12" in res.output and "未核实 12 名" in res.output
    assert "合格" not in res.output.split("学生：")[1].splitlines()[0]
    assert not (out / "upload").exists()


def test_trust_order_exports_by_order_and_says_so(tmp_path, blind):
    from photocheck.cli import main

    r, log = blind
    out = seeded(tmp_path, r)
    res = CliRunner().invoke(main, ["batch", str(SHOTS), "--log", str(log), "--out", str(out), "--workers", "1",
                                    "--lang", "en", "--trust-order"])
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    ok = [x for x in rep["students"] if x["status"] == "ok"]
    assert ok and all(x["order_trusted"] and x["matched_by"] == "order" for x in ok)
    assert outputs(out, "upload") == sorted(f"{x['student_id']}.jpg" for x in ok) and outputs(out, "review") == []
    assert rep["summary"]["trusted_order"] == 12 and rep["trust_order"]["shot_nos"] == [str(k) for k in range(1, 13)]
    assert "--trust-order: 12 student(s) matched by shooting order only, not verified, exported to upload/" in res.output
    html = re.sub(r"<[^>]+>", "", (out / "report.html").read_text(encoding="utf-8"))  # the text a person reads
    assert "--trust-order was used: the photos of 12 students" in html
    assert html.count("by order (--trust-order, not verified)") == 12
    assert res.exit_code == (0 if len(ok) == 12 else 1), res.output


def test_references_for_some_students_verify_only_those(tmp_path, blind):
    r, log = blind
    refs = tmp_path / "refs"
    refs.mkdir()
    for p in REFS.iterdir():
        if p.stem not in ("2026002", "2026011"):
            shutil.copy(p, refs / p.name)
    res = run_batch(SHOTS, log, seeded(tmp_path, r), workers=1, references=refs, progress=False, lang="en", settings=FAST)
    s = by_shot(res)
    # shots 2 and 11 sit between face-confirmed neighbours, but only their order says whose they are
    assert (s["2"]["status"], s["2"]["matched_by"]) == ("unverified", "order")
    assert (s["11"]["status"], s["11"]["matched_by"]) == ("unverified", "order")
    assert {s[k]["matched_by"] for k in ("1", "3", "4", "5", "8", "10", "12")} == {"face"}
    assert s["9"]["status"] == "missing" and not any(x["status"] == "unverified" for x in res.students if x["shot_no"] is None)
    assert "2026002.jpg" not in outputs(Path(res.out_dir), "upload") and "2026011.jpg" not in outputs(Path(res.out_dir), "upload")


def test_name_only_log_labels_the_join_apart_from_the_match(tmp_path, blind):
    """README's roster command without references: the name join is where the student number came
    from, not how the photo was matched."""
    r, _ = blind
    out = seeded(tmp_path, r)
    res = run_batch(SHOTS, NAME_LOG, out, workers=1, roster=FORM, progress=False, lang="zh", settings=FAST)
    s = by_shot(res)
    assert not any(x["status"] == "ok" for x in res.students) and outputs(out, "upload") == []
    assert {x["matched_by"] for x in res.students if x["file"]} == {"order"}
    assert s["2"]["roster"]["how"] == "name" and s["2"]["status"] == "unverified"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "学号来源：按姓名匹配报名表" in html and "按顺序（未核实）" in html
    assert "<small>按姓名</small>" not in html


def test_counts_that_disagree_with_no_evidence_anywhere_export_nothing_and_name_the_whole_shoot(tmp_path, blind):
    """A student in the log who never came (an extra last row), no references, no times: nothing anchors
    the order, so every row is a mismatch, nothing goes to upload/ or review/, and the problem says
    where — the whole shoot — instead of starting with an empty place (': the photos show …')."""
    r, log = blind
    with open(log, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    extra = tmp_path / "log-one-more.csv"
    with open(extra, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows + [["13", "2026013", "郑浩", "", "", "信息学院"][:len(rows[0])]])
    out = seeded(tmp_path, r)
    res = run_batch(SHOTS, extra, out, workers=1, progress=False, lang="en", settings=FAST)
    assert {x["status"] for x in res.students if x["shot_no"]} == {"mismatch"} and res.exit_code == 1
    assert outputs(out, "upload") == [] and outputs(out, "review") == []
    amb = next(i for i in res.report["mismatches"] if i["kind"] == "ambiguous")
    assert amb["message"].startswith("across the whole shoot: the photos show 12 people but the log has 13 students")
    zh = run_batch(SHOTS, extra, out, workers=1, progress=False, lang="zh", settings=FAST)
    amb = next(i for i in zh.report["mismatches"] if i["kind"] == "ambiguous")
    assert amb["message"].startswith("整场拍摄：照片中有 12 人，记录中有 13 名学生")


def test_a_file_named_for_one_shot_that_shows_another_students_face_is_not_uploaded(tmp_path, blind):
    """Staff fixing a shot by hand copy the wrong camera file: shot 4's photo saved as 003.jpg. Shot 3
    has no reference photo, so its own reference cannot contradict the name; but the face is shot 4's
    student's (reference similarity ≈ 0.9). The name must not win over that: shot 3 is a mismatch
    that says whose face it is, and no upload or review file carries shot 3's student number."""
    r, log = blind
    shots = tmp_path / "shots"
    shutil.copytree(SHOTS, shots)
    shutil.copy(SHOTS / "DSC_0416.JPG", shots / "003.jpg")  # DSC_0416 is shot 4's student
    refs = tmp_path / "refs"
    refs.mkdir()
    for p in REFS.iterdir():
        if p.stem != "2026003":
            shutil.copy(p, refs / p.name)
    out = seeded(tmp_path, r)
    res = run_batch(shots, log, out, workers=1, references=refs, progress=False, lang="en", settings=FAST)
    s3 = by_shot(res)["3"]
    assert (s3["file"], s3["matched_by"], s3["status"]) == ("003.jpg", "file_name", "mismatch")
    msg = next(f["message"] for f in s3["findings"] if f["rule"] == "batch.identity")
    assert "shot 4" in msg and "003.jpg" in msg
    assert "2026003.jpg" not in outputs(out, "upload") + outputs(out, "review")
    assert not any(x["status"] == "ok" and x["file"] == "003.jpg" for x in res.students)


@pytest.mark.parametrize("name", ["DSC_0012.JPG", "_DSC0012.JPG", "DSC00012.JPG", "DSCF0012.JPG", "DSCN0012.JPG", "_MG_0012.JPG",
                                  "IMG_0012.JPG", "IMG_20260610_0012.jpg", "20260610_093012.jpg", "P1000012.JPG",
                                  "SAM_0012.JPG", "IMGP0012.JPG", "DJI_0012.JPG", "100_0012.JPG", "card12/DSC_0412.JPG"])
def test_a_camera_counter_that_equals_a_shot_number_is_no_evidence(name):
    """Only a file staff named by shot number (`012.jpg`) can make a match ok without a face or a
    time; a camera's own counter that happens to equal a shot number must stay 'by order'."""
    from photocheck.batch.scan import shot_from_name

    assert shot_from_name(name, {str(k) for k in range(1, 1000)}) is None
    assert shot_from_name("card12/012.jpg", {"12"}) == "12"
