"""Read the registration form (the notice's "Attachment 2", ``--roster``): one row per student with
学号 and 姓名 and any of 身份证号, 采集码, 培养单位/学院, 专业, 性别, 联系电话; usually an ``.xls``
with a title row, sometimes several sheets. The form is the authority on who a student is; the
shot log says who was photographed when (:mod:`photocheck.batch.join` puts the two together).

>>> reg = read_registration("samples/shoot-roster/registration.xls")  # doctest: +SKIP
>>> reg.sheet, len(reg.students), reg.students[0].student_id  # doctest: +SKIP
('报名表', 16, '2026001')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .bilingual import Said
from .roster import lossy_note
from .tables import RosterError, mask_id, norm_header, pick_sheet, plain_number, read_sheets, row_text, sheet_note

#: canonical column → accepted headers (compared as :func:`photocheck.batch.tables.norm_header` does)
HEADERS: dict[str, tuple[str, ...]] = {
    "student_id": ("student_id", "student id", "student_no", "student number", "学号"),
    "name": ("name", "姓名"),
    "id_number": ("id_number", "id number", "身份证号", "身份证号码", "证件号码", "证件号", "身份证件号", "身份证件号码"),
    "code": ("code", "collection_code", "采集码", "图像采集码"),
    "department": ("department", "faculty", "school", "college", "培养单位", "学院", "院系", "所在学院", "所在院系", "单位"),
    "major": ("major", "专业", "专业名称"),
    "sex": ("sex", "gender", "性别"),
    "phone": ("phone", "mobile", "联系电话", "手机", "手机号", "手机号码", "电话"),
}
#: row counters of the form: not a property of the student, so not carried into the report
_COUNTERS = {norm_header(h) for h in ("序号", "编号", "no", "no.", "#")}


@dataclass
class Student:
    """One row of the registration form."""

    line: int  # 1-based row in the sheet (line in a CSV), for messages
    student_id: str
    name: str
    id_number: str = ""
    code: str = ""
    department: str = ""
    major: str = ""
    sex: str = ""
    phone: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # the form's header → value, for the report (masked)

    def public(self) -> dict:
        """What a report may show of this student: no full ID or phone number."""
        d = {"student_id": self.student_id, "name": self.name}
        for k in ("department", "major", "sex"):
            if getattr(self, k):
                d[k] = getattr(self, k)
        if self.id_number:
            d["id_number"] = mask_id(self.id_number)
        return d


@dataclass
class Registration:
    file: str
    sheet: str | None  # the worksheet read (None for a CSV)
    students: list[Student]  # in form order
    columns: list[str]
    notes: list[str] = field(default_factory=list)


def _needs(index: dict[str, int]) -> tuple[str, str] | None:
    if "student_id" in index and "name" in index:
        return None
    return "登记表需要“学号”和“姓名”两列", "the registration form needs both a 学号 (student_id) and a 姓名 (name) column"


def read_registration(path: str | os.PathLike) -> Registration:
    """Read the registration form: the first sheet with 学号 and 姓名 columns.

    Title rows above the header, blank rows and footer rows (no 学号 and no 姓名) are skipped; a row
    with a name but no 学号 cannot be joined safely and is left out with a note. The same 学号 twice
    with the same name is one student (a note says so); with two names it is an error naming both rows.
    """
    file = os.fspath(path)
    sheets = read_sheets(file)
    sheet, header_at, index = pick_sheet(file, sheets, HEADERS, _needs)
    headers = sheet.rows[header_at]
    word = sheet.row_word("en")
    notes = sheet_note(file, sheets, sheet)
    shown = {i: h for i, h in enumerate(headers)
             if h and norm_header(h) not in _COUNTERS and i not in (index["student_id"], index["name"], index.get("id_number"),
                                                                 index.get("code"))}
    students: list[Student] = []
    by_id: dict[str, Student] = {}
    for r in range(header_at + 1, len(sheet.rows)):
        cells = sheet.rows[r] + [""] * (len(headers) - len(sheet.rows[r]))
        if not any(cells):
            continue
        get = lambda k: cells[index[k]] if k in index else ""  # noqa: E731
        sid, name = plain_number(get("student_id")), get("name")
        if not sid:
            text = name or row_text(cells)
            notes.append(Said(f"{os.path.basename(file)} {word} {r + 1} left out (no student number): {text}",
                              f"{os.path.basename(file)} 第 {r + 1} 行未读入（没有学号）：{text}", "form_row_skipped"))
            continue
        cols = {h: cells[i] for i, h in shown.items() if cells[i]}
        if "phone" in index and cells[index["phone"]]:
            cols[headers[index["phone"]]] = mask_id(cells[index["phone"]])
        s = Student(r + 1, sid, name, get("id_number"), get("code"), get("department"), get("major"), get("sex"),
                    get("phone"), cols)
        if sid in by_id:
            first = by_id[sid]
            if first.name != name:
                raise RosterError(file, f"学号 {sid} 出现了两次且姓名不同（第 {first.line} 行 {first.name}，第 {r + 1} 行 {name}）。请更正登记表。",
                                  f"student number {sid} appears twice with different names ({word} {first.line}: {first.name}, "
                                  f"{word} {r + 1}: {name}). Correct the registration form.", sheet.name)
            notes.append(Said(f"{os.path.basename(file)}: student number {sid} is listed twice ({word}s {first.line} and {r + 1}); read once",
                              f"{os.path.basename(file)}：学号 {sid} 出现两次（第 {first.line} 行和第 {r + 1} 行），只读入一次",
                              "form_student_twice"))
            continue
        by_id[sid] = s
        students.append(s)
        notes += lossy_note(file, sheet, r, index.get("id_number"), "ID number")
    if not students:
        raise RosterError(file, "登记表中没有任何学生（有学号的行）。", "the registration form lists no student (no row with a 学号).",
                          sheet.name)
    return Registration(file, sheet.name, students, headers, notes)
