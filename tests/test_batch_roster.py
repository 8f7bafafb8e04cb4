"""The registration form (``--roster``) and the spreadsheets offices produce, without models: real
.xls files written with xlwt (what Excel 97–2003 writes), .xlsx, CSV; and the join of a name-only
log to the form, with the face evidence given as synthetic unit vectors. The same join on real
photos is asserted in test_batch.py (test_roster_…)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from photocheck.batch.join import join_log, not_photographed, one_edit, settle
from photocheck.batch.registration import Registration, Student, read_registration
from photocheck.batch.roster import RosterError, Row, read_roster

xlwt = pytest.importorskip("xlwt")

FORM_HEAD = ["序号", "学号", "姓名", "性别", "身份证号", "培养单位", "专业", "联系电话"]
FORM = [  # 学号 as the number Excel stores, ID numbers as text (the last one ends in X)
    (202531000.0, "王晓明", "男", "110101200001011234", "信息学院", "软件工程", "13800001111"),
    (202531001.0, "王芳", "女", "11010120000202232X", "信息学院", "软件工程", "13800002222"),
    (202531002.0, "李娜", "女", "110101200003033456", "信息学院", "计算机", "13800003333"),
    (202539001.0, "王芳", "女", "110101200004044567", "数学学院", "统计学", "13800004444"),
    (202539002.0, "王晓民", "男", "110101200005055678", "数学学院", "统计学", "13800005555"),
]


def write_form(path, rows=FORM, sheets=("填表说明", "报名表"), blank_rows=(3,), footer=True, head=FORM_HEAD):
    """An Attachment-2 style .xls: an instructions sheet, then the form with a merged title row, a
    blank row inside the data, two trailing blank rows and a footer."""
    book = xlwt.Workbook(encoding="utf-8")
    for name in sheets[:-1]:
        book.add_sheet(name).write(0, 0, "学号、姓名必填，身份证号请用文本格式。")
    ws = book.add_sheet(sheets[-1])
    ws.write_merge(0, 0, 0, len(head) - 1, "附件2：2026届毕业生图像采集报名表")
    for c, h in enumerate(head):
        ws.write(1, c, h)
    r = 2
    for k, row in enumerate(rows):
        while r in blank_rows:
            r += 1
        ws.write(r, 0, k + 1)
        for c, v in enumerate(row, start=1):
            ws.write(r, c, v)
        r += 1
    if footer:
        ws.write(r + 2, 0, "制表人：研究生院")
        ws.write(r + 2, 7, "13800009999")
    book.save(str(path))
    return path


# -- reading what offices produce -------------------------------------------------------------------
def test_xls_form_title_row_number_cells_text_ids_blank_and_trailing_rows_several_sheets(tmp_path):
    reg = read_registration(write_form(tmp_path / "附件2.xls"))
    assert reg.sheet == "报名表" and any("read sheet '报名表'" in n and "填表说明" in n for n in reg.notes)
    assert [s.student_id for s in reg.students] == ["202531000", "202531001", "202531002", "202539001", "202539002"]
    first = reg.students[0]
    assert (first.name, first.id_number, first.department, first.major, first.sex) == (
        "王晓明", "110101200001011234", "信息学院", "软件工程", "男")
    assert reg.students[1].id_number == "11010120000202232X"  # text stays text
    assert [s.line for s in reg.students[:3]] == [3, 5, 6]  # Excel row numbers, the blank row 4 counted
    footer = [n for n in reg.notes if "制表人" in n]
    assert footer and "left out" in footer[0]  # the footer is not a student
    assert "138****9999" in footer[0] and "13800009999" not in footer[0]  # a note never shows a full number
    # what a report may show: no full ID or phone number, no row counter
    assert first.public()["id_number"] == "110***********1234"
    assert first.columns == {"性别": "男", "培养单位": "信息学院", "专业": "软件工程", "联系电话": "138****1111"}


def test_xls_log_with_numeric_shot_numbers_and_a_title_row(tmp_path):
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("拍摄记录")
    ws.write_merge(0, 0, 0, 2, "图书馆拍摄点 6月10日上午")
    for c, h in enumerate(["序号", "拍摄号", "姓名"]):
        ws.write(1, c, h)
    for k, (shot, name) in enumerate([(2.0, "李娜"), (1.0, "王  芳"), (10.0, "王小明")]):
        ws.write(k + 2, 0, k + 1)
        ws.write(k + 2, 1, shot)
        ws.write(k + 2, 2, name)
    book.save(str(tmp_path / "log.xls"))
    log = read_roster(tmp_path / "log.xls")
    # 拍摄号 is the shot number even with a 序号 counter left of it; shot numbers read as "1", never "1.0"
    assert [(r.shot_no, r.name, r.line) for r in log.rows] == [("1", "王  芳", 4), ("2", "李娜", 3), ("10", "王小明", 5)]


def test_an_id_number_typed_as_a_number_is_noted(tmp_path):
    rows = [(202531000.0, "王晓明", "男", 110101200001011234.0, "信息学院", "软件工程", "")]
    reg = read_registration(write_form(tmp_path / "f.xls", rows))
    assert any("ID number is stored as a number" in n and "row 3" in n for n in reg.notes)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_form_and_xlsx_form(tmp_path, encoding):
    text = "学号,姓名,学院\n202531000,王晓明,信息学院\n\n202531001,王芳,信息学院\n"
    (tmp_path / "f.csv").write_bytes(text.encode(encoding))
    assert [(s.student_id, s.department) for s in read_registration(tmp_path / "f.csv").students] == [
        ("202531000", "信息学院"), ("202531001", "信息学院")]
    import openpyxl  # a dependency of photocheck (XLSX rosters), always there
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.active.append(["2026届毕业生"])
    ws = wb.create_sheet("名单")
    ws.append(["附件2"])
    ws.append(["*学号\n(必填)", "姓名", "身份证号"])
    ws.append([202531000, "王晓明", "110101200001011234"])
    wb.save(tmp_path / "f.xlsx")
    reg = read_registration(tmp_path / "f.xlsx")
    assert reg.sheet == "名单" and [(s.student_id, s.id_number) for s in reg.students] == [("202531000", "110101200001011234")]


def test_a_tab_separated_export_named_xls_is_read_with_padded_headers_and_numbers_as_text(tmp_path):
    # what web systems export as ".xls": GBK text, headers padded for alignment, numbers written out as "….0"
    (tmp_path / "export.xls").write_text("学  号\t姓　　名\n202531000.0\t王晓明\n２０２５３１００１\t王芳\n", encoding="gbk")
    reg = read_registration(tmp_path / "export.xls")
    assert [(s.student_id, s.name) for s in reg.students] == [("202531000", "王晓明"), ("202531001", "王芳")]
    (tmp_path / "log.csv").write_text("拍摄号,学号\n1.0,202531000.0\n", encoding="utf-8")
    assert [(r.shot_no, r.student_id) for r in read_roster(tmp_path / "log.csv").rows] == [("1", "202531000")]


def _bad_xls(tmp_path):
    good = write_form(tmp_path / "good.xls").read_bytes()
    (tmp_path / "truncated.xls").write_bytes(good[:1500])
    (tmp_path / "random.xls").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "webpage.xls").write_text("<html><body><table><tr><td>学号</td></tr></table></body></html>", encoding="utf-8")
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("拍摄记录")
    for c, h in enumerate(["拍摄号", "姓名"]):
        ws.write(0, c, h)
    ws.write(1, 0, 1.0)
    ws.write(1, 1, "王芳")
    ws.write(2, 0, 1.0)  # the same shot number twice
    ws.write(2, 1, "李娜")
    ws.write(4, 1, "王晓明")  # a name without a shot number, on row 5
    book.save(str(tmp_path / "noshot.xls"))
    return tmp_path


@pytest.mark.parametrize("name, says", [
    ("truncated.xls", "cannot read the .xls file"),
    ("random.xls", "cannot read the Excel file"),
    ("webpage.xls", "really a web page"),
    ("noshot.xls", "sheet '拍摄记录'): row 5 has no shot number"),
    ("missing.xls", "cannot read"),
])
def test_bad_spreadsheets_name_the_file_sheet_and_row(tmp_path, name, says):
    path = _bad_xls(tmp_path) / name
    with pytest.raises(RosterError) as e:
        read_roster(path)
    assert says in e.value.message("en") and str(path) in e.value.message("en")
    assert e.value.message("zh").startswith(str(path))


def test_a_form_without_the_columns_or_with_a_number_given_twice_is_refused(tmp_path):
    with pytest.raises(RosterError) as e:
        read_registration(write_form(tmp_path / "f.xls", head=["序号", "编号", "姓名"], rows=[(1.0, "王芳")]))
    msg = e.value.message("en")
    assert "no sheet has the columns needed" in msg and "'报名表': 序号, 编号, 姓名" in msg
    rows = [FORM[0], (202531000.0, "王小明", "男", "", "信息学院", "", "")]
    with pytest.raises(RosterError) as e:
        read_registration(write_form(tmp_path / "g.xls", rows, sheets=("报名表",)))
    assert "202531000 appears twice with different names (row 3: 王晓明, row 5: 王小明)" in e.value.message("en")
    assert "sheet '报名表'" in e.value.message("en")


def test_cli_refuses_a_bad_form_with_exit_code_2_and_no_traceback(tmp_path):
    from photocheck.cli import main

    shots = tmp_path / "shots"
    shots.mkdir()
    (tmp_path / "log.csv").write_text("拍摄号,姓名\n1,王芳\n", encoding="utf-8")
    bad = _bad_xls(tmp_path) / "truncated.xls"
    res = CliRunner().invoke(main, ["batch", str(shots), "--log", str(tmp_path / "log.csv"), "--roster", str(bad),
                                    "--out", str(tmp_path / "out"), "--lang", "en", "--exit-zero"])
    assert res.exit_code == 2 and str(bad) in res.output and "cannot read the .xls file" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()


# -- the join ----------------------------------------------------------------------------------------
def form(*people) -> Registration:
    return Registration("f.xls", "报名表", [Student(k + 3, sid, name, department=dept) for k, (sid, name, dept) in enumerate(people)], [])


REG = form(("1001", "王晓明", "信息学院"), ("1002", "王芳", "信息学院"), ("1003", "李娜", "信息学院"),
           ("1004", "张敏", "信息学院"), ("2001", "王芳", "数学学院"), ("2002", "王晓民", "数学学院"), ("2003", "刘洋", "数学学院"))


def log(*rows) -> list[Row]:
    return [Row(k + 2, str(k + 1), sid, name) for k, (sid, name) in enumerate(rows)]


def test_join_by_number_by_name_and_never_by_guess():
    rows = log(("", "李  娜"), ("1004", "张敏"), ("", "王芳"), ("", "王小明"), ("", "赵六"), ("1004", "王芳"),
               ("9999", "钱七"), ("1001", "王小明"))
    joins = join_log(rows, REG)
    assert [j.how for j in joins] == ["name", "student_id", "ambiguous", "near", "none", "conflict", "not_registered", "student_id"]
    assert [r.student_id for r in rows] == ["1003", "1004", "", "", "", "1004", "9999", "1001"]
    assert rows[0].name == "李娜" and joins[0].log_name == "李  娜"  # the form's spelling, the log's kept in the join
    # 同名: both students, whatever their department
    assert [c.student_id for c in joins[2].candidates] == ["1002", "2001"] and not joins[2].decided
    # one character off: the shoot's department (信息学院) only, not 王晓民 of 数学学院
    assert [c.student_id for c in joins[3].candidates] == ["1001"] and not joins[3].decided
    # a number and a name that are two different students: both are candidates
    assert {c.student_id for c in joins[5].candidates} == {"1004", "1002", "2001"}
    assert joins[7].name_differs and joins[7].message()[0] == "warn"
    status, zh, en = joins[2].message()
    assert status == "fail" and "1002 王芳 (信息学院); 2001 王芳 (数学学院)" in en and "nothing is exported" in en
    # students of the form that no row is nor may be: not those of the unresolved rows
    assert [s.student_id for s in not_photographed(REG, joins)] == ["2002", "2003"]


def test_near_names_of_other_groups_only_when_nothing_closer():
    rows = log(("", "王晓明"), ("", "刘阳"))
    joins = join_log(rows, REG)
    assert [c.student_id for c in joins[1].candidates] == ["2003"]  # 刘洋 of 数学学院: no one of 信息学院 is close
    assert one_edit("王芳", "汪芳") and not one_edit("王芳", "王芳") and not one_edit("王晓明", "王小民")


def test_a_typo_that_is_another_groups_name_is_not_joined_to_that_student():
    # 王晓民 is registered only in 数学学院; this shoot is 信息学院, where 王晓明 is one character off
    rows = log(("", "李娜"), ("", "张敏"), ("", "王晓民"))
    j = join_log(rows, REG)[2]
    assert (j.how, [c.student_id for c in j.candidates], rows[2].student_id) == ("other_group", ["2002", "1001"], "")
    assert "another department" in j.message()[2] and not j.decided
    # …unless that name of this shoot's department is someone else's row already: then it is the other group's student
    rows = log(("", "李娜"), ("", "王晓明"), ("", "王晓民"))
    assert [(j.how, r.student_id) for j, r in zip(join_log(rows, REG), rows)][2] == ("name", "2002")
    # a log with a department column says which department the row is
    rows = log(("", "李娜"), ("", "张敏"), ("", "王晓民"))
    rows[2].extra["学院"] = "数学学院"
    assert join_log(rows, REG)[2].how == "name"


def unit(k: int, noise: float = 0.0) -> np.ndarray:
    v = np.random.default_rng(k).normal(size=128)
    if noise:
        v = v / np.linalg.norm(v) + noise * np.random.default_rng(k + 99).normal(size=128) / np.sqrt(128)
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_the_face_settles_a_row_only_when_exactly_one_candidate_is_confirmed():
    same = 0.6
    photo_of_1002 = unit(1002, noise=0.3)
    cases = {  # references available → (how, student id or why not)
        "one confirmed": ({"1002": unit(1002), "2001": unit(2001)}, ("face", "1002")),
        "the other has no reference": ({"1002": unit(1002)}, ("face", "1002")),
        "the photo is neither": ({"1002": unit(5), "2001": unit(2001)}, ("ambiguous", "no_confirm")),
        "both look alike": ({"1002": unit(1002), "2001": unit(1002, noise=0.2)}, ("ambiguous", "several")),
        "no reference": ({}, ("ambiguous", "no_reference")),
    }
    for what, (refs, (how, expect)) in cases.items():
        rows = log(("", "王芳"))
        j = join_log(rows, REG)[0]
        settle(j, rows[0], photo_of_1002, refs, same, taken=set())
        got = (j.how, j.student.student_id if j.student else j.why_not)
        assert got == (how, expect), what
        assert rows[0].student_id == ("1002" if how == "face" else ""), what
        if how == "face":
            assert j.similarities["1002"] >= same and "similarity" in j.message()[2]
    # a row without a photo stays unresolved; a student already joined to another row is never chosen
    rows = log(("", "王芳"))
    j = join_log(rows, REG)[0]
    settle(j, rows[0], None, {"1002": unit(1002)}, same, set())
    assert (j.decided, j.why_not) == (False, "no_photo")
    settle(j, rows[0], photo_of_1002, {"1002": unit(1002)}, same, taken={"1002"})
    assert (j.decided, j.why_not, rows[0].student_id) == (False, "taken", "")
