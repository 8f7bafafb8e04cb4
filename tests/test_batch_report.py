"""The batch report as a person reads it: in the report's language, warnings apart from problems,
readable on a phone (390 px) and on a laptop (1366 px) in Chromium, and no stray progress line
when stderr is not a terminal. Runs the real pipeline on the sample shoot (samples/shoot)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from photocheck.batch import run_batch
from photocheck.batch.runner import load_settings
from support.batch_runs import by_shot, seeded

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "shoot"
SHOTS, LOG, REFS = SAMPLE / "shots", SAMPLE / "shots.csv", SAMPLE / "references"
NAME_LOG, FORM = REPO / "samples" / "shoot-roster" / "shots.csv", REPO / "samples" / "shoot-roster" / "registration.xls"
CHROMIUM = os.environ.get("PHOTOCHECK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(not SHOTS.is_dir(), reason="samples/shoot is missing (run samples/make_shoot.py)")

FAST = load_settings()
FAST["output"]["verify_upload"] = False  # test_batch.py covers the in-worker re-check

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory):
    """The sample with references, its full log (采集码, 时间, 院系) and the registration form, in Chinese."""
    out = tmp_path_factory.mktemp("report") / "out"
    # as shipped (the upload file re-checked in the worker: shot 10's warning is found on it)
    return run_batch(SHOTS, LOG, out, workers=1, references=REFS, roster=FORM, progress=False, lang="zh")


# -- words -------------------------------------------------------------------------------------------
def test_everything_the_chinese_report_shows_is_chinese(tmp_path, zh_run):
    r = run_batch(SHOTS, NAME_LOG, seeded(tmp_path, zh_run), workers=1, roster=FORM, progress=False, lang="zh", settings=FAST)
    rep = r.report
    assert rep["notes"] and all(CJK.search(n) for n in rep["notes"]), rep["notes"]
    assert any("读取了工作表“报名表”" in n for n in rep["notes"]) and any("没有学号" in n for n in rep["notes"])
    files = {f["file"]: f for f in rep["files"]}
    assert (files["shoot-notes.txt"]["reason"], files["shoot-notes.txt"]["reason_code"]) == ("不是图片文件", "not_image")
    assert files["DSC_0424.JPG"]["reason_code"] == "truncated" and CJK.search(files["DSC_0424.JPG"]["reason"])
    html = (Path(r.out_dir) / "report.html").read_text(encoding="utf-8")
    for english in ("not an image file", "read sheet", "no references", "no usable reference", "same bytes", "left out"):
        assert english not in html, english
    # no references were given at all: say that, not "the candidates have no usable reference photo"
    roster_msgs = [i["message"] for i in rep["mismatches"] if i["kind"] == "roster"]
    assert len(roster_msgs) == 2 and all("没有提供参考照片（--references）" in m for m in roster_msgs)
    assert "候选学生没有可用的参考照片" not in html


def test_the_english_report_keeps_english_and_the_codes(tmp_path, zh_run):
    shots = tmp_path / "shots"
    shutil.copytree(SHOTS, shots)
    shutil.copy(shots / "DSC_0412.JPG", shots / "DSC_0412 (1).JPG")
    r = run_batch(shots, LOG, seeded(tmp_path, zh_run), workers=1, references=REFS, progress=False, lang="en", settings=FAST)
    files = {f["file"]: f for f in r.report["files"]}
    assert (files["DSC_0412 (1).JPG"]["reason"], files["DSC_0412 (1).JPG"]["reason_code"]) == ("same bytes", "same_bytes")
    assert files["shoot-notes.txt"]["reason"] == "not an image file"
    assert r.report["notes"] == ["no usable reference photo for shot(s) 9"]
    dup = next(i for i in r.report["mismatches"] if i["kind"] == "duplicate")
    assert "(same bytes)" in dup["message"]
    zh = json.loads((Path(zh_run.out_dir) / "report.json").read_text(encoding="utf-8"))
    assert zh["notes"][-1] == "拍摄号 9 没有可用的参考照片" and all(CJK.search(n) for n in zh["notes"])


def test_a_warning_on_a_passing_photo_is_a_note_not_a_problem(zh_run):
    s10 = by_shot(zh_run)["10"]
    warns = [f for f in s10["findings"] if f["status"] == "warn"]
    assert s10["status"] == "ok" and warns, "the sample's shot 10 passes with a warning (lips parted)"
    html = (Path(zh_run.out_dir) / "report.html").read_text(encoding="utf-8")
    row = next(tr for tr in html.split("<tr>") if "2026010" in tr and "class='st ok" in tr)
    assert "<ul class='problems'>" not in row
    hint = row[row.index("<div class='hint'>"):]
    assert hint.startswith("<div class='hint'><b>提示，无需重拍</b>")
    assert all(w["message"] in hint for w in warns)
    rows = list(csv.reader(io.StringIO((Path(zh_run.out_dir) / "report.csv").read_text(encoding="utf-8-sig"))))
    col = rows[0].index("提示（无需重拍）")
    r10 = next(r for r in rows if r[0] == "10")
    assert r10[col] and r10[rows[0].index("问题")] == ""


# -- the page in a browser ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


LINES = """sel => [...document.querySelectorAll(sel)].filter(td => td.offsetParent !== null).map(td => {
  const r = document.createRange(); r.selectNodeContents(td);
  const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
  return [td.textContent.trim(), tops.size]; })"""


def open_report(chromium, path: Path, width: int, phone: bool):
    ctx = chromium.new_context(viewport={"width": width, "height": 844 if phone else 800}, is_mobile=phone,
                               has_touch=phone, device_scale_factor=3 if phone else 1)
    page = ctx.new_page()
    page.goto(path.as_uri())
    return ctx, page


@pytest.mark.parametrize("width,phone", [(390, True), (1366, False)])
def test_report_is_readable_on_a_phone_and_a_laptop(chromium, zh_run, width, phone):
    ctx, page = open_report(chromium, Path(zh_run.out_dir) / "report.html", width, phone)
    try:
        # laid out at the device's width (a phone without a viewport meta lays the page out 980 px wide)
        assert page.evaluate("window.innerWidth") == width
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        sizes = page.evaluate("""[...document.querySelectorAll('td.name, td.probs li, ul.issues li')]
            .map(e => parseFloat(getComputedStyle(e).fontSize))""")
        assert sizes and min(sizes) >= 14
        # 姓名 and 拍摄号 on one line each: a Chinese name is never broken one character per line
        for sel in ("td.name", "td.shot"):
            lines = page.evaluate(LINES, sel)
            assert lines and all(n == 1 for _, n in lines), (sel, [x for x in lines if x[1] != 1])
        assert "吴倩" in [t for t, _ in page.evaluate(LINES, "td.name")]
        # the log's and the form's other columns are shown with the student
        row = page.locator("table.students tr", has_text="2026001")
        details = row.locator("td.details")
        assert details.is_visible()
        text = details.inner_text()
        for expect in ("采集码", "CX600162", "时间", "2026-06-10 09:00:00", "院系", "信息学院", "专业", "110***********1310",
                       "学号来源：按学号匹配报名表"):
            assert expect in text, (expect, text)
    finally:
        ctx.close()


# -- the command line --------------------------------------------------------------------------------
def test_no_progress_line_on_stderr_when_it_is_not_a_terminal(tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    for name in ("DSC_0412.JPG", "DSC_0413.JPG"):
        shutil.copy(SHOTS / name, shots / name)
    log = tmp_path / "log.csv"
    log.write_text("拍摄号,学号,姓名\n1,2026001,王芳\n2,2026002,李娜\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-m", "photocheck", "batch", str(shots), "--log", str(log), "--out",
                          str(tmp_path / "out"), "--workers", "1", "--lang", "en"],
                         capture_output=True, timeout=300, env=env)
    assert run.returncode == 1  # two unverified students (no references, no times)
    assert run.stderr.decode() == ""  # the analyses ran, but nothing was drawn for nobody to see
    assert "students: unverified 2" in run.stdout.decode()


def test_unverified_photos_next_to_their_log_rows_on_a_phone(chromium, zh_run, tmp_path):
    r = run_batch(SHOTS, NAME_LOG, seeded(tmp_path, zh_run), workers=1, roster=FORM, progress=False, lang="zh", settings=FAST)
    ctx, page = open_report(chromium, Path(r.out_dir) / "report.html", 390, True)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        rows = page.locator("table.confirm tbody tr")
        assert rows.count() == r.report["summary"]["unverified"] == 10
        first = rows.nth(0)
        img, name = first.locator("td.photo img").bounding_box(), first.locator("td.name").bounding_box()
        assert img["width"] >= 80 and abs(img["y"] - name["y"]) < img["height"]  # the photo beside the row, big enough
        assert first.locator("td.name").inner_text().strip() == "李娜"
        assert "按姓名匹配报名表" in first.locator("td.details").inner_text()
        assert page.locator("code.opt", has_text="--trust-order").first.evaluate("e => e.getClientRects().length") == 1
    finally:
        ctx.close()
