"""The registration form (``--roster``) and the spreadsheets offices produce, without models: real
.xls files written with xlwt (what Excel 97–2003 writes), .xlsx, CSV."""

from __future__ import annotations

import pytest

from photocheck.batch.registration import read_registration
from photocheck.batch.roster import RosterError, read_roster

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
    assert any("制表人" in n and "left out" in n for n in reg.notes)  # the footer is not a student
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
    openpyxl = pytest.importorskip("openpyxl")
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


def test_a_tab_separated_export_named_xls_is_read(tmp_path):
    (tmp_path / "export.xls").write_text("学号\t姓名\n202531000\t王晓明\n", encoding="gbk")
    assert [s.name for s in read_registration(tmp_path / "export.xls").students] == ["王晓明"]


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
