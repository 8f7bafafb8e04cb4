"""Read the shot-number log (roster): CSV in UTF-8 (with or without BOM) or GBK, or XLSX.

Columns are found by English or Chinese header; unknown columns are kept and passed through to the
report. Every problem is a :class:`RosterError` naming the file, the line and what to fix.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, time as dtime

#: canonical column → accepted headers (compared case- and space-insensitively)
HEADERS: dict[str, tuple[str, ...]] = {
    "shot_no": ("shot_no", "shot", "shot number", "shot_number", "拍摄号", "拍摄序号", "序号"),
    "student_id": ("student_id", "student id", "student_no", "学号"),
    "name": ("name", "姓名"),
    "code": ("code", "collection_code", "采集码"),
    "time": ("time", "时间", "扫码时间", "拍摄时间"),
    "id_number": ("id_number", "id number", "身份证号", "证件号码", "身份证号码"),
}


class RosterError(ValueError):
    """The log cannot be used as it is. ``zh``/``en`` say what to fix."""

    def __init__(self, file: str, zh: str, en: str):
        self.file, self.zh, self.en = file, zh, en
        super().__init__(f"{file}: {en}")

    def message(self, lang: str = "zh") -> str:
        return f"{self.file}: {self.zh if lang == 'zh' else self.en}"


@dataclass
class Row:
    """One log row: a shot number given to one student."""

    line: int  # 1-based line (CSV) or row (XLSX) in the file, for messages
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


def natural_key(s: str) -> tuple:
    """Sort key that orders "2" before "10" and "A-9" before "A-10"."""
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.findall(r"\d+|\D+", s))


def mask_id(value: str) -> str:
    """Mask an ID-document number for reports: keep the first 3 and last 4 characters.

    >>> mask_id("110105199001011234")
    '110***********1234'
    >>> mask_id("12345")
    '*****'
    """
    v = (value or "").strip()
    if len(v) <= 8:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def _norm(h: str) -> str:
    return re.sub(r"[\s_\-]+", "_", (h or "").strip().lower().lstrip("\ufeff"))


def _decode(data: bytes, file: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):  # a BOM says UTF-8: broken bytes after it are an error, not GBK
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as e:
            raise RosterError(file, f"文件标明是 UTF-8 编码，但第 {e.start + 3} 字节处的内容不是有效的 UTF-8。请重新导出。",
                              f"the file says it is UTF-8 but byte {e.start + 3} is not valid UTF-8. Export it again.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # GBK superset, as Chinese Excel exports "CSV"
    except UnicodeDecodeError:
        raise RosterError(file, "无法识别文件编码。请另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX。",
                          "cannot tell the text encoding. Save it as CSV in UTF-8 or GBK, or as XLSX.") from None


def _read_table(path: str) -> list[list[str]]:
    ext = os.path.splitext(path)[1].lower()
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise RosterError(path, f"无法读取：{e.strerror or e}", f"cannot read: {e.strerror or e}") from None
    if ext in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        try:
            import openpyxl

            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            ws = wb.worksheets[0]
            table = [[_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
            wb.close()
            return table
        except Exception as e:  # a damaged or non-Excel zip
            raise RosterError(path, f"无法读取 Excel 文件（{type(e).__name__}）。请用 Excel 另存为 XLSX 或 CSV。",
                              f"cannot read the Excel file ({type(e).__name__}). Save it again as XLSX or CSV.") from None
    if ext == ".xls":
        raise RosterError(path, "不支持旧版 .xls 格式，请另存为 XLSX 或 CSV。", "old .xls files are not supported; save as XLSX or CSV.")
    text = _decode(data, path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(r) for r in csv.reader(io.StringIO(text), dialect)]


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dtime):
        return v.strftime("%H:%M:%S")
    return str(v)


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


def read_roster(path: str | os.PathLike) -> Roster:
    """Read and validate a log. Rows come back sorted by shot number (natural order).

    Raises RosterError for: no header, no shot-number column, neither student id nor name,
    a row without shot number, duplicate shot numbers, unparseable times.
    """
    file = os.fspath(path)
    table = _read_table(file)
    first = next((i for i, r in enumerate(table) if any(c.strip() for c in r)), None)
    if first is None:
        raise RosterError(file, "文件是空的。", "the file is empty.")
    # the header is the first row naming a shot-number column (sheets often start with a title row)
    shot_names = {_norm(x) for x in HEADERS["shot_no"]}
    header_at = next((i for i, r in enumerate(table[:first + 10]) if any(_norm(c) in shot_names for c in r)), first)
    headers = [c.strip().lstrip("\ufeff") for c in table[header_at]]
    index: dict[str, int] = {}
    for i, h in enumerate(headers):
        n = _norm(h)
        for key, names in HEADERS.items():
            if key not in index and n in {_norm(x) for x in names}:
                index[key] = i
    found = ", ".join(h for h in headers if h) or "(none)"
    if "shot_no" not in index:
        raise RosterError(file, f"缺少“拍摄号”(shot_no) 列。找到的列：{found}",
                          f"no shot-number column (shot_no / 拍摄号). Columns found: {found}")
    if "student_id" not in index and "name" not in index:
        raise RosterError(file, f"至少需要“学号”(student_id) 或“姓名”(name) 列之一。找到的列：{found}",
                          f"needs a student_id / 学号 or name / 姓名 column. Columns found: {found}")
    known = set(index.values())
    rows: list[Row] = []
    blank = 0
    for ln, r in enumerate(table[header_at + 1:], start=header_at + 2):
        cells = [c.strip() for c in r] + [""] * (len(headers) - len(r))
        if not any(cells):
            blank += 1
            continue
        get = lambda k: cells[index[k]] if k in index else ""  # noqa: E731
        if not get("shot_no"):
            raise RosterError(file, f"第 {ln} 行没有拍摄号。请补上或删除该行。",
                              f"line {ln} has no shot number. Fill it in or delete the line.")
        if not get("student_id") and not get("name"):
            raise RosterError(file, f"第 {ln} 行（拍摄号 {get('shot_no')}）既没有学号也没有姓名。",
                              f"line {ln} (shot {get('shot_no')}) has neither student id nor name.")
        extra = {headers[i]: cells[i] for i in range(len(headers)) if i not in known and headers[i]}
        rows.append(Row(ln, get("shot_no"), get("student_id"), get("name"), get("code"), get("time"),
                        get("id_number"), extra))
    if not rows:
        raise RosterError(file, "没有任何数据行。", "no data rows below the header.")
    seen: dict[str, int] = {}
    dups = []
    for r in rows:
        key = _shot_key(r.shot_no)
        if key in seen:
            dups.append(f"{r.shot_no} (lines {seen[key]}, {r.line})")
        seen.setdefault(key, r.line)
    if dups:
        d = "; ".join(dups)
        raise RosterError(file, f"拍摄号重复：{d}。每个拍摄号只能出现一次，请核对记录。",
                          f"duplicate shot numbers: {d}. Each shot number must appear once; check the log.")
    _parse_times(rows, file)
    rows.sort(key=lambda r: natural_key(r.shot_no))
    notes = [f"{blank} blank line(s) skipped"] if blank else []
    ids: dict[str, str] = {}
    for r in rows:
        if r.student_id and r.student_id in ids:
            notes.append(f"student id {r.student_id} appears at shots {ids[r.student_id]} and {r.shot_no}")
        ids.setdefault(r.student_id, r.shot_no)
    return Roster(file, rows, headers, notes)


def _shot_key(s: str) -> str:
    """"007" and "7" are the same shot number."""
    s = s.strip()
    return str(int(s)) if s.isdigit() else s.lower()


def _parse_times(rows: list[Row], file: str) -> None:
    if not any(r.time for r in rows):
        return
    base = None
    for r in rows:
        if not r.time:
            continue
        t = parse_time(r.time)
        if t is None:
            raise RosterError(file, f"第 {r.line} 行的时间“{r.time}”无法识别（例：2026-06-10 09:12:03 或 09:12:03）。",
                              f"line {r.line}: cannot read the time '{r.time}' (e.g. 2026-06-10 09:12:03 or 09:12:03).")
        base = base or t.replace(hour=0, minute=0, second=0, microsecond=0)
        r.seconds = (t - base).total_seconds()
