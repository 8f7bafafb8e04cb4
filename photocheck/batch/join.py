"""Join the shot log to the registration form (``--roster``): which registered student each log row is.

The typed-up log often has only 拍摄号 + 姓名; the form has the student numbers. Names repeat (同名)
and get mistyped (王晓明 typed as 王小明), so the join never guesses:

1. **By student number** where the log has one. If the log's name is another registered student's
   name, the number or the name is wrong: the row is *unresolved* with both students as candidates.
2. **By name** (spaces, full-width letters and middle dots ignored) when exactly one registered
   student has it.
3. A name that **two or more** students have (同名) is *unresolved* with all of them as candidates.
4. A name that **no** student has is *unresolved*; its candidates are the registered names one
   character off (one character changed, added or dropped). Of those, only the ones in the
   department of the log row (or of the shoot: the departments of at least two rows joined for
   sure, when the log has no department) and not already joined to another row are offered,
   unless that leaves none.
5. A name that only a student of **another department** has, while a student of the shoot's
   department not joined elsewhere is one character off, is *unresolved* with both: a typo that
   happens to be another group's name must not give the photo to that student.

An unresolved row is settled only by the face (:func:`settle`): the row's photo against the reference
photo of every candidate. Exactly one candidate's reference must confirm it (similarity at or above
``[identity] same_person``) and no other's; a candidate already joined to another row is never
chosen. Otherwise the row stays unresolved: it is reported with its candidates and nothing is
exported for it (no upload file can carry a guessed student number).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from .registration import HEADERS as FORM_HEADERS, Registration, Student
from .roster import Row
from .tables import norm_header

#: how a row was joined; the first four are decided, the rest are not
DECIDED = ("student_id", "name", "face", "not_registered")
_DOTS = re.compile(r"[·•‧・∙．.]")
_DEPARTMENT_HEADERS = {norm_header(h) for h in FORM_HEADERS["department"]}


def norm_name(name: str) -> str:
    """A name as compared: width-normalised, no spaces (offices pad 2-character names: 王  芳), one
    kind of middle dot (买买提·艾力), case-folded.

    >>> norm_name(" 王　芳 ") == norm_name("王芳"), norm_name("买买提•艾力") == norm_name("买买提·艾力")
    (True, True)
    """
    n = unicodedata.normalize("NFKC", name or "")
    n = re.sub(r"\s+", "", n)
    return _DOTS.sub("·", n).casefold()


def one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by exactly one character changed, added or dropped.

    >>> one_edit("王晓明", "王小明"), one_edit("王明", "王晓明"), one_edit("王晓明", "王晓明"), one_edit("王芳", "李娜")
    (True, True, False, False)
    """
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)):] == b[i + 1:]


@dataclass
class RowJoin:
    """What the join decided for one log row."""

    how: str  # student_id | name | face | not_registered  (decided) · ambiguous | near | other_group | none | conflict  (not)
    log_id: str
    log_name: str
    student: Student | None = None  # the registered student, when decided
    candidates: list[Student] = field(default_factory=list)  # when not decided (or settled by the face)
    name_differs: bool = False  # joined by number, but the log's name is not the form's
    similarities: dict[str, float | None] = field(default_factory=dict)  # candidate student id → face similarity
    why_not: str = ""  # why the face did not settle it

    @property
    def decided(self) -> bool:
        return self.how in DECIDED

    def to_dict(self) -> dict:
        d = {"how": self.how, "decided": self.decided, "log_name": self.log_name or None, "log_student_id": self.log_id or None}
        if self.candidates:
            d["candidates"] = [{**c.public(), "similarity": _round(self.similarities.get(c.student_id))} for c in self.candidates]
        if self.name_differs:
            d["name_differs"] = True
        return d

    def message(self) -> tuple[str, str, str] | None:
        """(status, zh, en) of the finding this join puts on the row, or None when there is nothing to say."""
        cands_zh = "；".join(_who(c, self.similarities, True) for c in self.candidates)
        cands_en = "; ".join(_who(c, self.similarities, False) for c in self.candidates)
        typed = self.log_name or self.log_id
        if self.how == "student_id" and self.name_differs:
            s = self.student
            return ("warn", f"记录中的姓名“{self.log_name}”与登记表中学号 {s.student_id} 的姓名“{s.name}”不同；按学号匹配。请核对。",
                    f"the log's name '{self.log_name}' is not the registration form's name for {s.student_id} ('{s.name}'); "
                    "joined by student number. Check it.")
        if self.how == "not_registered":
            return ("warn", f"学号 {self.log_id} 不在登记表中；使用记录中的学号。",
                    f"student number {self.log_id} is not in the registration form; the log's number is used.")
        if self.how == "face":
            s = self.student
            sim = self.similarities.get(s.student_id)
            return ("warn", f"“{typed}”在登记表中无法唯一确定（候选：{cands_zh}）；照片与 {s.student_id} {s.name} 的参考照片一致"
                            f"（相似度 {sim:.2f}），已按此匹配。请在记录中补上学号或更正姓名。",
                    f"'{typed}' does not single out one student in the registration form (candidates: {cands_en}); the photo "
                    f"matches the reference photo of {s.student_id} {s.name} (similarity {sim:.2f}), so it is joined to them. "
                    "Add the student number to the log or correct the name.")
        if self.decided:
            return None
        why_zh = {"": "", "no_photo": "", "no_reference": "候选学生没有可用的参考照片，无法用人脸确认。",
                  "no_references": "没有提供参考照片（--references），无法用人脸确认。",
                  "no_confirm": "照片与任何候选学生的参考照片都不够相似。", "several": "照片与多名候选学生的参考照片都相似。",
                  "taken": "照片是已匹配到其他拍摄号的学生。"}[self.why_not]
        why_en = {"": "", "no_photo": "", "no_reference": "No candidate has a usable reference photo to confirm the face. ",
                  "no_references": "No reference photos were given (--references), so the face cannot decide. ",
                  "no_confirm": "The photo is not close enough to any candidate's reference photo. ",
                  "several": "The photo is close to more than one candidate's reference photo. ",
                  "taken": "The photo shows a student already joined to another shot. "}[self.why_not]
        fix_zh, fix_en = "请在记录中补上学号或更正姓名后重新运行。", "Add the student number to the log or correct the name, and run again."
        if self.how == "ambiguous":
            return ("fail", f"登记表中有 {len(self.candidates)} 名学生叫“{self.log_name}”（{cands_zh}），无法确定是哪一位，未导出。{why_zh}{fix_zh}",
                    f"{len(self.candidates)} students in the registration form are named '{self.log_name}' ({cands_en}); which one "
                    f"was photographed cannot be told, so nothing is exported. {why_en}{fix_en}")
        if self.how == "near":
            return ("fail", f"“{self.log_name}”不在登记表中；相近的姓名：{cands_zh}。未导出。{why_zh}{fix_zh}",
                    f"'{self.log_name}' is not in the registration form; similar names: {cands_en}. Nothing is exported. "
                    f"{why_en}{fix_en}")
        if self.how == "other_group":
            first, rest = self.candidates[0], self.candidates[1:]
            near_zh = "；".join(_who(c, self.similarities, True) for c in rest)
            near_en = "; ".join(_who(c, self.similarities, False) for c in rest)
            return ("fail", f"登记表中叫“{self.log_name}”的只有其他院系的 {_who(first, self.similarities, True)}，而本次拍摄院系有相近的姓名："
                            f"{near_zh}，无法确定是谁，未导出。{why_zh}{fix_zh}",
                    f"the only '{self.log_name}' in the registration form is {_who(first, self.similarities, False)} of another "
                    f"department than this shoot's, where a name is one character off: {near_en}. Which one was photographed "
                    f"cannot be told, so nothing is exported. {why_en}{fix_en}")
        if self.how == "conflict":
            return ("fail", f"记录中的学号 {self.log_id} 与姓名“{self.log_name}”在登记表中不是同一名学生（候选：{cands_zh}），未导出。"
                            f"{why_zh}请更正记录后重新运行。",
                    f"the log's student number {self.log_id} and name '{self.log_name}' are two different students in the "
                    f"registration form (candidates: {cands_en}); nothing is exported. {why_en}Correct the log and run again.")
        return ("fail", f"“{typed}”不在登记表中，也没有相近的姓名。未导出。请核对记录中的姓名。",
                f"'{typed}' is not in the registration form and no registered name is close. Nothing is exported. "
                "Check the name in the log.")


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def _who(s: Student, sims: dict, zh: bool) -> str:
    """"2026001 王芳 (信息学院, similarity 0.91)": a candidate as messages name them."""
    bits = [s.department] if s.department else []
    sim = sims.get(s.student_id)
    if sim is not None:
        bits.append(f"相似度 {sim:.2f}" if zh else f"similarity {sim:.2f}")
    if not bits:
        return f"{s.student_id} {s.name}"
    return f"{s.student_id} {s.name}（{'，'.join(bits)}）" if zh else f"{s.student_id} {s.name} ({', '.join(bits)})"


def _row_department(row: Row) -> str:
    return next((v for k, v in row.extra.items() if norm_header(k) in _DEPARTMENT_HEADERS and v), "")


def join_log(rows: list[Row], reg: Registration) -> list[RowJoin]:
    """One :class:`RowJoin` per log row (same order). Rows that are decided get the student's number,
    the form's name, and the form's ID number, code and other columns where the log has none."""
    by_id = {s.student_id: s for s in reg.students}
    by_name: dict[str, list[Student]] = {}
    for s in reg.students:
        by_name.setdefault(norm_name(s.name), []).append(s)
    joins: list[RowJoin] = []
    for row in rows:
        log_id, n = row.student_id.strip(), norm_name(row.name)
        named = by_name.get(n, []) if n else []
        j = RowJoin("", log_id, row.name)
        if log_id:
            s = by_id.get(log_id)
            others = [x for x in named if x is not s]
            if s is not None and (not n or norm_name(s.name) == n or not others):
                j.how, j.student, j.name_differs = "student_id", s, bool(n) and norm_name(s.name) != n
            elif others:  # the number says one student, the name another (or the number is not registered)
                j.how, j.candidates = "conflict", ([s] if s else []) + others
            else:
                j.how = "not_registered"
        elif len(named) == 1:
            j.how, j.student = "name", named[0]
        elif named:
            j.how, j.candidates = "ambiguous", list(named)
        else:
            j.how = "near"  # candidates below, once the shoot's departments are known
        joins.append(j)
    shoot_departments = _shoot_departments(joins)
    taken = {j.student.student_id for j in joins if j.student}
    for row, j in zip(rows, joins):
        wanted = {_row_department(row)} - {""} or shoot_departments
        if j.how == "name" and wanted and j.student.department and j.student.department not in wanted:
            # a name only another department's student has, while one of this shoot's is a character off:
            # a typo that hit another group's name is as likely as that student having come today
            near = [s for s in reg.students if s.department in wanted and s.student_id not in taken
                    and one_edit(norm_name(s.name), norm_name(row.name))]
            if near:
                j.how, j.candidates, j.student = "other_group", [j.student, *near], None
    taken = {j.student.student_id for j in joins if j.student}
    for row, j in zip(rows, joins):
        if j.how == "near":
            j.candidates = _near(norm_name(row.name), reg.students, _row_department(row), shoot_departments, taken)
            j.how = "near" if j.candidates else "none"
    for row, j in zip(rows, joins):
        if j.student is not None:
            apply_student(row, j.student)
    return joins


def _shoot_departments(joins: list[RowJoin]) -> set[str]:
    """The departments this shoot is for: those of at least two rows joined for sure (any, when none has two)."""
    count: dict[str, int] = {}
    for j in joins:
        if j.student is not None and j.student.department:
            count[j.student.department] = count.get(j.student.department, 0) + 1
    return {d for d, k in count.items() if k >= 2} or set(count)


def _near(n: str, students: list[Student], department: str, shoot_departments: set[str], taken: set[str]) -> list[Student]:
    if not n:
        return []
    near = [s for s in students if one_edit(norm_name(s.name), n)]
    wanted = {department} if department else shoot_departments
    near = [s for s in near if s.department in wanted] or near  # other groups only when no one of this shoot's is close
    return [s for s in near if s.student_id not in taken] or near  # joined to another row: only when no one else is close


def apply_student(row: Row, s: Student) -> None:
    """Give the log row the registered student's number and name, and what the log lacks."""
    row.student_id, row.name = s.student_id, s.name or row.name
    row.id_number = row.id_number or s.id_number
    row.code = row.code or s.code
    for k, v in s.columns.items():
        row.extra.setdefault(k, v)


def settle(j: RowJoin, row: Row, embedding: np.ndarray | None, refs: dict[str, np.ndarray], same_person: float,
           taken: set[str]) -> None:
    """Settle an unresolved row by the face of its photo (``embedding``, None when the row has no
    photo) against the candidates' reference embeddings (``refs``: student id → unit vector)."""
    if j.decided or not j.candidates:
        return
    if embedding is None:
        j.why_not = "no_photo"
        return
    j.similarities = {c.student_id: (float(refs[c.student_id] @ embedding) if c.student_id in refs else None)
                      for c in j.candidates}
    confirmed = [c for c in j.candidates if (j.similarities[c.student_id] or -1.0) >= same_person]
    if not any(v is not None for v in j.similarities.values()):
        j.why_not = "no_reference"
    elif not confirmed:
        j.why_not = "no_confirm"
    elif len(confirmed) > 1:
        j.why_not = "several"
    elif confirmed[0].student_id in taken:
        j.why_not = "taken"
    else:
        j.how, j.student = "face", confirmed[0]
        apply_student(row, confirmed[0])


def candidate_ids(j: RowJoin | None, row: Row) -> list[str]:
    """The student ids whose reference photos are evidence for this row in the matching."""
    if j is None or j.decided:
        return [row.student_id] if row.student_id else []
    return [c.student_id for c in j.candidates]


def not_photographed(reg: Registration, joins: list[RowJoin]) -> list[Student]:
    """Registered students that no log row is (decided) nor may be (a candidate of an unresolved row)."""
    seen = {j.student.student_id for j in joins if j.student}
    seen |= {c.student_id for j in joins if not j.decided for c in j.candidates}
    return [s for s in reg.students if s.student_id not in seen]
