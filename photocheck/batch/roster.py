"""Read the shot-number log: CSV in UTF-8 (with or without BOM) or GBK, XLSX or XLS (the file
reading is :mod:`photocheck.batch.tables`).

Columns are found by English or Chinese header; unknown columns are kept and passed through to the
report. Every problem is a :class:`RosterError` naming the file, the sheet, the line and what to fix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime

from .tables import RosterError, mask_id  # noqa: F401 (re-exported: part of this module's API)
from .bilingual import Said
from .tables import Sheet, pick_sheet, plain_number, read_sheets, row_text, sheet_note

#: canonical column → accepted headers (compared case- and space-insensitively)
HEADERS: dict[str, tuple[str, ...]] = {
    "shot_no": ("shot_no", "shot", "shot number", "shot_number", "拍摄号", "拍摄序号", "序号"),
    "student_id": ("student_id", "student id", "student_no", "学号"),
    "name": ("name", "姓名"),
    "code": ("code", "collection_code", "采集码"),
    "time": ("time", "时间", "扫码时间", "拍摄时间"),
    "id_number": ("id_number", "id number", "身份证号", "证件号码", "身份证号码"),
}


@dataclass
class Row:
    """One log row: a shot number given to one student."""

    line: int  # 1-based line (CSV) or row (XLSX, XLS) in the file, for messages
    shot_no: str
    student_id: str = ""
    name: str = ""
    code: str = ""
    time: str = ""
    id_number: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    seconds: float | None = None  # parsed time (seconds since midnight of the first day seen)

    @property
    def label(self) -> str:
        who = " ".join(x for x in (self.student_id, self.name) if x)
        return f"{self.shot_no} ({who})" if who else self.shot_no


@dataclass
class Roster:
    file: str
    rows: list[Row]  # in shot order
    columns: list[str]  # original headers, in file order
    notes: list[str] = field(default_factory=list)


class EmptyLogError(RosterError):
    """The log has its header but no rows yet (``watch`` starts on it: the code reader has not
    scanned anyone yet)."""


def natural_key(s: str) -> tuple:
    """Sort key that orders "2" before "10" and "A-9" before "A-10"."""
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.findall(r"\d+|\D+", s))


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M",
                 "%Y-%m-%dT%H:%M:%S", "%H:%M:%S", "%H:%M")


def parse_time(text: str) -> datetime | None:
    """A log or EXIF time as a datetime (date 1900-01-01 when only a clock time is given)."""
    t = (text or "").strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(t, fmt)
        except ValueError:
            continue
    return None


def _log_needs(index: dict[str, int]) -> tuple[str, str] | None:
    if "shot_no" not in index:
        return "缺少“拍摄号”(shot_no) 列", "no shot-number column (shot_no / 拍摄号)"
    if "student_id" not in index and "name" not in index:
        return "至少需要“学号”(student_id) 或“姓名”(name) 列之一", "needs a student_id / 学号 or name / 姓名 column"
    return None


def lossy_note(file: str, sheet: Sheet, r: int, c: int | None, what: str, what_zh: str = "身份证号") -> list[Said]:
    """A note for a long number that Excel stored as a number (only 15 digits kept)."""
    if c is None or (r, c) not in sheet.lossy:
        return []
    name = os.path.basename(file)
    return [Said(f"{name} row {r + 1}: the {what} is stored as a number, so Excel kept only 15 digits "
                 "and the last ones are wrong; format that column as text and type them again",
                 f"{name} 第 {r + 1} 行：{what_zh}被存成了数字，Excel 只保留 15 位，后几位已经不对；请把该列设为文本格式后重新输入",
                 "number_cut")]


def read_roster(path: str | os.PathLike) -> Roster:
    """Read and validate a log. Rows come back sorted by shot number (natural order).

    In a workbook the first sheet with the columns is read (the report's notes say which). Rows with
    no shot number, student id or name (blank rows, a footer such as "制表人：…") are skipped.
    Raises RosterError for: no header, no shot-number column, neither student id nor name, a row
    without shot number, duplicate shot numbers, unparseable times.
    """
    file = os.fspath(path)
    sheets = read_sheets(file)
    sheet, header_at, index = pick_sheet(file, sheets, HEADERS, _log_needs)
    headers = sheet.rows[header_at]
    ln_word = sheet.row_word("en")

    def fail(zh: str, en: str):
        return RosterError(file, zh, en, sheet.name)

    known = set(index.values())
    rows: list[Row] = []
    blank = 0
    notes = sheet_note(file, sheets, sheet)
    for r in range(header_at + 1, len(sheet.rows)):
        ln = r + 1
        cells = sheet.rows[r] + [""] * (len(headers) - len(sheet.rows[r]))
        get = lambda k: cells[index[k]] if k in index else ""  # noqa: E731
        if not any(cells):
            blank += 1
            continue
        if not (get("student_id") or get("name")) and not _looks_like_shot_no(get("shot_no")):
            notes.append(Said(f"{ln_word} {ln} skipped (no shot number, student id or name): {row_text(cells)}",
                              f"第 {ln} 行已跳过（没有拍摄号、学号或姓名）：{row_text(cells)}", "row_skipped"))
            continue
        if not get("shot_no"):
            raise fail(f"第 {ln} 行没有拍摄号。请补上或删除该行。", f"{ln_word} {ln} has no shot number. Fill it in or delete the {ln_word}.")
        if not get("student_id") and not get("name"):
            raise fail(f"第 {ln} 行（拍摄号 {get('shot_no')}）既没有学号也没有姓名。",
                       f"{ln_word} {ln} (shot {get('shot_no')}) has neither student id nor name.")
        extra = {headers[i]: cells[i] for i in range(len(headers)) if i not in known and headers[i]}
        rows.append(Row(ln, plain_number(get("shot_no")), plain_number(get("student_id")), get("name"), get("code"),
                        get("time"), get("id_number"), extra))
        notes += lossy_note(file, sheet, r, index.get("id_number"), "ID number")
    if not rows:
        raise EmptyLogError(file, "没有任何数据行。", "no data rows below the header.", sheet.name)
    seen: dict[str, int] = {}
    dups = []
    for row in rows:
        key = _shot_key(row.shot_no)
        if key in seen:
            dups.append(f"{row.shot_no} ({ln_word}s {seen[key]}, {row.line})")
        seen.setdefault(key, row.line)
    if dups:
        d = "; ".join(dups)
        raise fail(f"拍摄号重复：{d}。每个拍摄号只能出现一次，请核对记录。",
                   f"duplicate shot numbers: {d}. Each shot number must appear once; check the log.")
    _parse_times(rows, fail, ln_word)
    rows.sort(key=lambda r: natural_key(r.shot_no))
    if blank:
        notes.insert(0, Said(f"{blank} blank line(s) skipped", f"已跳过 {blank} 个空行", "blank_lines"))
    ids: dict[str, str] = {}
    for row in rows:
        if row.student_id and row.student_id in ids:
            notes.append(Said(f"student id {row.student_id} appears at shots {ids[row.student_id]} and {row.shot_no}",
                              f"学号 {row.student_id} 出现在拍摄号 {ids[row.student_id]} 和 {row.shot_no}", "student_id_twice"))
        ids.setdefault(row.student_id, row.shot_no)
    return Roster(file, rows, headers, notes)


def _looks_like_shot_no(text: str) -> bool:
    """A footer typed into the shot-number column ("制表人：王老师", "合计 25 人") is not a shot number:
    a shot number has a digit, no colon and no spaces inside."""
    t = text.strip()
    return bool(t) and any(c.isdigit() for c in t) and not any(c in t for c in ":： ") and len(t) <= 12


def _shot_key(s: str) -> str:
    """"007" and "7" are the same shot number."""
    s = s.strip()
    return str(int(s)) if s.isdigit() else s.lower()


def _parse_times(rows: list[Row], fail, ln_word: str) -> None:
    if not any(r.time for r in rows):
        return
    base = None
    for r in rows:
        if not r.time:
            continue
        t = parse_time(r.time)
        if t is None:
            raise fail(f"第 {r.line} 行的时间“{r.time}”无法识别（例：2026-06-10 09:12:03 或 09:12:03）。",
                       f"{ln_word} {r.line}: cannot read the time '{r.time}' (e.g. 2026-06-10 09:12:03 or 09:12:03).")
        base = base or t.replace(hour=0, minute=0, second=0, microsecond=0)
        r.seconds = (t - base).total_seconds()
