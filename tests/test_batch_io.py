"""Batch inputs and outputs that need no models: the log in every encoding staff produce, file
scanning, output-name safety, CSV injection and ID masking in the reports."""

from __future__ import annotations

import csv
import io
import json

import pytest

from photocheck.batch.reports import csv_bytes, html_text, json_text, safe_cell
from photocheck.batch.roster import RosterError, mask_id, read_roster
from photocheck.batch.runner import BatchUsageError, check_template, output_name
from photocheck.batch.scan import scan, shot_from_name

ZH_LOG = "拍摄号,学号,姓名,采集码,时间,身份证号,院系\n2,2026002,李娜,C2,09:00:30,110101200402102621,信息学院\n\n10,2026010,吴倩,C10,09:05:13,110101200401263109,数学学院\n1,2026001,王芳,C1,09:00:00,110101200401011310,信息学院\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_log_in_utf8_bom_and_gbk(tmp_path, encoding):
    p = tmp_path / "shots.csv"
    p.write_bytes(ZH_LOG.encode(encoding))
    r = read_roster(p)
    assert [row.shot_no for row in r.rows] == ["1", "2", "10"]  # natural shot order, not file order
    assert [row.name for row in r.rows] == ["王芳", "李娜", "吴倩"]
    assert r.rows[2].extra == {"院系": "数学学院"}  # unknown column passed through
    assert r.rows[0].seconds == 9 * 3600 and r.rows[2].seconds == 9 * 3600 + 313  # seconds since midnight
    assert r.notes == ["1 blank line(s) skipped"]


def test_title_rows_above_the_header_are_skipped(tmp_path):
    p = tmp_path / "shots.csv"
    p.write_text("2026届毕业生图像采集拍摄记录,,\n采集点：图书馆,,\n拍摄号,学号,姓名\n1,2026001,王芳\n", encoding="utf-8-sig")
    assert [(r.shot_no, r.student_id, r.line) for r in read_roster(p).rows] == [("1", "2026001", 4)]


def test_xlsx_log_with_english_headers(tmp_path):
    import openpyxl  # a dependency of photocheck (XLSX rosters), always there
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Shot No", "Student ID", "Name", "Room"])
    ws.append([1, 2026001, "Wang Fang", "A1"])
    ws.append([2, 2026002, "Li Na", "A2"])
    wb.save(tmp_path / "log.xlsx")
    r = read_roster(tmp_path / "log.xlsx")
    assert [(x.shot_no, x.student_id, x.name, x.extra) for x in r.rows] == [
        ("1", "2026001", "Wang Fang", {"Room": "A1"}), ("2", "2026002", "Li Na", {"Room": "A2"})]


def test_a_footer_typed_into_the_shot_number_column_is_skipped_not_refused(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["拍摄号", "学号", "姓名"])
    ws.append([1, 2026001, "王芳"])
    ws.append(["制表人：王老师"])
    ws.append(["合计 1 人"])
    wb.save(tmp_path / "log.xlsx")
    r = read_roster(tmp_path / "log.xlsx")
    assert [x.shot_no for x in r.rows] == ["1"]
    assert sum("制表人" in n or "合计" in n for n in r.notes) == 2  # said, not silently dropped


@pytest.mark.parametrize("text, says", [
    ("学号,姓名\n1,a\n", "no shot-number column"),
    ("拍摄号,院系\n1,a\n", "needs a student_id"),
    ("拍摄号,学号\n1,2026001\n01,2026002\n", "duplicate shot numbers: 01 (lines 2, 3)"),
    ("拍摄号,学号\n1,2026001\n,2026002\n", "line 3 has no shot number"),
    ("拍摄号,学号,姓名\n1,2026001,a\n2,,\n", "line 3 (shot 2) has neither student id nor name"),
    ("拍摄号,学号,时间\n1,2026001,noon\n", "cannot read the time 'noon'"),
    ("", "empty"),
])
def test_bad_logs_are_refused_with_the_line(tmp_path, text, says):
    p = tmp_path / "shots.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError) as e:
        read_roster(p)
    assert says in e.value.en and str(p) in e.value.message("en")


def test_a_bom_followed_by_broken_utf8_is_a_clear_roster_error(tmp_path):
    log = tmp_path / "shots.csv"
    log.write_bytes(b"\xef\xbb\xbf" + "拍摄号,学号\n1,2026001\n".encode("utf-8") + b"\xff\xfe,2026002\n")
    with pytest.raises(RosterError) as e:
        read_roster(str(log))
    assert "UTF-8" in e.value.message("en") and str(log) in str(e.value.file)


def test_id_numbers_are_masked():
    assert mask_id("110101200401011310") == "110***********1310"


def test_output_names_never_leave_out_dir():
    from photocheck.batch.roster import Row

    for bad in ("../{student_id}.jpg", "{student_id}/x.jpg", "/tmp/{student_id}.jpg", "{student_id}", "{nope}.jpg",
                "C:{student_id}.jpg", "x.jpg"):
        with pytest.raises(BatchUsageError):
            check_template(bad)
    check_template("{shot_no}_{student_id}.jpg")
    assert output_name("{student_id}.jpg", Row(2, "1", "2026001"))[0] == "2026001.jpg"
    for value in ("../../etc/passwd", "a/b", "..", ".hidden", "a\\b", ""):
        name, problem = output_name("{student_id}.jpg", Row(2, "1", value, "x"))
        assert name is None and problem


def test_shot_numbers_in_file_names():
    keys = {"7", "12"}
    assert shot_from_name("cam1/007.jpg", keys) == "7"
    assert shot_from_name("012-2.JPG", keys) == "12"
    assert shot_from_name("shot12 (2).jpg", keys) == "12"
    assert shot_from_name("DSC_0012.JPG", keys) is None  # a camera counter is not a shot number
    assert shot_from_name("IMG_0007.jpg", keys) is None
    assert shot_from_name("99.jpg", keys) is None  # not in the log


def test_scan_classifies_and_finds_byte_duplicates(tmp_path):
    (tmp_path / "a").mkdir()
    jpg = b"\xff\xd8\xff\xe0" + b"x" * 100
    (tmp_path / "a" / "DSC_0002.JPG").write_bytes(jpg)
    (tmp_path / "DSC_0010.JPG").write_bytes(jpg)
    (tmp_path / "DSC_0001.JPG").write_bytes(b"\xff\xd8\xff\xe1" + b"y" * 50)
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "raw.NEF").write_bytes(b"II*\x00....")
    got = {f.rel: (f.kind, f.duplicate_of) for f in scan(tmp_path)}
    # of identical files the one nearest the top folder is kept, the copy in a/ is the duplicate
    assert got == {"DSC_0001.JPG": ("image", None), "DSC_0010.JPG": ("image", None),
                   "a/DSC_0002.JPG": ("image", "DSC_0010.JPG"), "notes.txt": ("not_image", None),
                   "empty.jpg": ("unreadable", None), "raw.NEF": ("not_image", None)}
    # files are listed in natural order of their relative paths
    assert [f.rel for f in scan(tmp_path)] == ["a/DSC_0002.JPG", "DSC_0001.JPG", "DSC_0010.JPG", "empty.jpg", "notes.txt", "raw.NEF"]


def test_of_identical_files_the_camera_name_is_kept_not_the_copy(tmp_path):
    jpg = b"\xff\xd8\xff\xe0" + b"x" * 100
    copies = ["DSC_4107 (1).JPG", "DSC_4107 - 副本.JPG", "DSC_4107 - Copy.JPG", "复件 DSC_4107.JPG", "Copy of DSC_4107.JPG",
              "DSC_4107 copy 2.JPG", "DSC_4107(2).JPG"]
    for n in copies + ["DSC_4107.JPG"]:
        (tmp_path / n).write_bytes(jpg)
    (tmp_path / "card2").mkdir()
    (tmp_path / "card2" / "DSC_4107.JPG").write_bytes(jpg)  # the camera's name one folder down still wins over a copy's name
    got = {f.rel: f.duplicate_of for f in scan(tmp_path)}
    assert got.pop("DSC_4107.JPG") is None
    assert got == {n: "DSC_4107.JPG" for n in copies + ["card2/DSC_4107.JPG"]}
    # a copy's name alone does not make a file a duplicate: different bytes are two photos
    other = tmp_path / "other"
    other.mkdir()
    (other / "DSC_5000 (1).JPG").write_bytes(jpg + b"y")
    (other / "DSC_5000.JPG").write_bytes(jpg + b"z")
    assert {f.rel: f.duplicate_of for f in scan(other)} == {"DSC_5000 (1).JPG": None, "DSC_5000.JPG": None}


def _report():
    return {"shots": "s", "log": "l", "references": None, "notes": [], "columns": [],
            "summary": {"students": {"ok": 1, "failed": 1}, "files_by_status": {}},
            "mismatches": [{"kind": "missing", "shot_nos": ["2"], "files": [], "message": "<b>no photo</b>"}],
            "students": [
                {"shot_no": "1", "student_id": "=cmd|' /C calc'!A0", "name": "@SUM(1+1)", "status": "ok", "file": "DSC_1.JPG",
                 "retakes": [], "output": "upload/x.jpg", "findings": [], "id_number": mask_id("110101200401011310"),
                 "extra": {"院系": "+HYPERLINK(\"http://x\")"}},
                {"shot_no": "2", "student_id": "2026002", "name": "李娜", "status": "failed", "file": None, "retakes": [],
                 "output": None, "findings": [{"rule": "batch.missing", "status": "fail", "value": None, "limit": None,
                                                "message": "-no photo"}]}],
            "files": [{"file": "notes.txt", "status": "not_image", "shot_no": None, "reason": "not an image file"}]}


def test_csv_opens_in_chinese_excel_and_formulas_are_text():
    data = csv_bytes(_report(), "zh")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows the Chinese correctly
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["拍摄号", "学号", "姓名", "结果"] and rows[0][-1] == "院系"
    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][2] == "'@SUM(1+1)" and rows[1][-1].startswith("'+HYPERLINK")
    assert rows[2][8] == "'-no photo" and rows[2][2] == "李娜"
    assert safe_cell(-3) == "'-3" and safe_cell("2026001") == "2026001"


def test_html_escapes_everything_and_puts_problems_first():
    page = html_text(_report(), "en")
    assert "<b>no photo</b>" not in page and "&lt;b&gt;no photo&lt;/b&gt;" in page
    assert page.index("Problems to resolve") < page.index("Students")
    assert "110***********1310" in page and "110101200401011310" not in page
    assert json.loads(json_text(_report()))["students"][0]["id_number"] == "110***********1310"
