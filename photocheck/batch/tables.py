"""Read the spreadsheets offices produce into sheets of text cells: ``.xls`` (Excel 97–2003, xlrd),
``.xlsx`` (openpyxl) and CSV (UTF-8 with or without BOM, or GBK as Chinese Excel saves it).

What offices do to these files, and what is done about it here:

* numbers: a student number typed into Excel is a number cell (202531000.0): it comes back as
  ``"202531000"``; a long number (an 18-digit ID number typed as a number) has lost its last digits
  inside Excel already, so its position is remembered (:attr:`Sheet.lossy`) for the caller to warn;
* dates and times come back as ``2026-06-10 09:12:03`` / ``09:12:03``;
* a title row (often merged across the columns) above the header, blank and trailing rows, several
  sheets: :func:`pick_sheet` finds the header row and the sheet that has the columns asked for;
* an ".xls" that is really a web page or a tab-separated text (what many web systems export) is
  read as text when it is text and refused with a clear message when it is a web page.

Every problem is a :class:`RosterError` naming the file (and the sheet, when there is one).
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time as dtime
from typing import Callable

from .bilingual import Said

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .xls (and .doc) files
_ZIP = b"PK\x03\x04"  # .xlsx
#: a float at or above this lost digits in Excel (15 significant digits): an ID number typed as a number
_LOSSY = 1e15


class RosterError(ValueError):
    """An input table (the log, the registration form) cannot be used as it is. ``zh``/``en`` say what
    to fix; ``file`` and ``sheet`` say where (the row is in the text)."""

    def __init__(self, file: str, zh: str, en: str, sheet: str | None = None):
        self.file, self.zh, self.en, self.sheet = file, zh, en, sheet
        super().__init__(f"{self.where('en')}: {en}")

    def where(self, lang: str = "zh") -> str:
        if self.sheet is None:
            return self.file
        return f"{self.file}（工作表“{self.sheet}”）" if lang == "zh" else f"{self.file} (sheet '{self.sheet}')"

    def message(self, lang: str = "zh") -> str:
        return f"{self.where(lang)}: {self.zh if lang == 'zh' else self.en}"


@dataclass
class Sheet:
    """One worksheet (or the whole CSV file, ``name`` None) as rows of stripped text cells."""

    name: str | None
    rows: list[list[str]]
    lossy: set[tuple[int, int]] = field(default_factory=set)  # (row, column) of numbers Excel cut short

    def row_word(self, lang: str) -> str:
        """How a message names a row: "line" in a text file, "row" in a sheet."""
        return "行" if lang == "zh" else ("line" if self.name is None else "row")


def read_sheets(path: str | os.PathLike) -> list[Sheet]:
    """Every sheet of a workbook (in workbook order), or the one table of a CSV file."""
    file = os.fspath(path)
    try:
        with open(file, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise RosterError(file, f"无法读取：{e.strerror or e}", f"cannot read: {e.strerror or e}") from None
    ext = os.path.splitext(file)[1].lower()
    if data.startswith(_ZIP):
        return _read_xlsx(file, data)
    if data.startswith(_OLE2):
        return _read_xls(file, data)
    if ext in (".xlsx", ".xlsm"):
        raise RosterError(file, "不是有效的 XLSX 文件（可能已损坏或只是改了扩展名）。请用 Excel 打开后另存为 XLSX 或 CSV。",
                         "not a valid XLSX file (damaged, or only renamed). Open it in Excel and save it as XLSX or CSV.")
    head = data[:2048].lstrip().lower()
    if ext == ".xls" and (head.startswith((b"<!doctype", b"<html", b"<?xml", b"<table")) or b"<table" in head):
        raise RosterError(file, "这个 .xls 文件其实是网页（HTML），不是 Excel 表格。请用 Excel 打开后另存为 XLSX 或 CSV。",
                         "this .xls file is really a web page (HTML), not an Excel sheet. Open it in Excel and save it as XLSX or CSV.")
    if ext == ".xls" and b"\x00" in data[:4096]:
        raise RosterError(file, "无法读取 Excel 文件（文件已损坏或不是 Excel 格式）。请用 Excel 另存为 XLSX 或 CSV。",
                         "cannot read the Excel file (damaged, or not an Excel file). Save it again as XLSX or CSV.")
    text = _decode(data, file)  # a CSV, or an ".xls" that is really text (tab-separated exports)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [Sheet(None, [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), dialect)])]


def _read_xlsx(file: str, data: bytes) -> list[Sheet]:
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = []
        for ws in wb.worksheets:
            sheet = Sheet(ws.title, [])
            for r, values in enumerate(ws.iter_rows(values_only=True)):
                sheet.rows.append([_cell(v, sheet, r, c) for c, v in enumerate(values)])
            sheets.append(sheet)
        wb.close()
        return sheets
    except Exception as e:  # a damaged or non-Excel zip: openpyxl raises many kinds
        raise RosterError(file, f"无法读取 Excel 文件（{type(e).__name__}）。请用 Excel 另存为 XLSX 或 CSV。",
                         f"cannot read the Excel file ({type(e).__name__}). Save it again as XLSX or CSV.") from None


def _read_xls(file: str, data: bytes) -> list[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as e:  # xlrd.XLRDError, CompDocError, struct errors on a damaged file
        raise RosterError(file, f"无法读取 .xls 文件（{type(e).__name__}: {e}）。请用 Excel 另存为 XLSX 或 CSV。",
                         f"cannot read the .xls file ({type(e).__name__}: {e}). Save it again as XLSX or CSV.") from None
    sheets = []
    try:
        for i in range(book.nsheets):
            try:
                ws = book.sheet_by_index(i)
            except Exception as e:
                name = book.sheet_names()[i]
                raise RosterError(file, f"工作表已损坏（{type(e).__name__}）。请用 Excel 另存为 XLSX 或 CSV。",
                                 f"the sheet is damaged ({type(e).__name__}). Save it again as XLSX or CSV.", name) from None
            sheet = Sheet(ws.name, [])
            for r in range(ws.nrows):
                sheet.rows.append([_xls_cell(cell, book.datemode, sheet, r, c) for c, cell in enumerate(ws.row(r))])
            sheets.append(sheet)
    finally:
        book.release_resources()
    return sheets


def _xls_cell(cell, datemode: int, sheet: Sheet, r: int, c: int) -> str:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            v = xlrd.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return str(cell.value)
        return _cell(v.time() if cell.value < 1 else v, sheet, r, c)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if cell.ctype == xlrd.XL_CELL_ERROR:  # #N/A, #REF! …: nothing usable in the cell
        return ""
    return _cell(cell.value, sheet, r, c)


def _cell(v, sheet: Sheet, r: int, c: int) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if abs(v) >= _LOSSY:
            sheet.lossy.add((r, c))
        if isinstance(v, float):
            return str(int(v)) if v.is_integer() else repr(v)
        return str(v)
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dtime):
        return v.strftime("%H:%M:%S")
    return str(v).strip()


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


def plain_number(text: str) -> str:
    """A student or shot number as typed: full-width digits made plain, and the ".0" that a
    spreadsheet exported as text leaves on a whole number dropped.

    >>> plain_number("202531000.0"), plain_number("２０２５３１０００"), plain_number("A-12")
    ('202531000', '202531000', 'A-12')
    """
    t = unicodedata.normalize("NFKC", text or "").strip()
    return t[:t.index(".")] if re.fullmatch(r"\d+\.0+", t) else t


_LONG_NUMBER = re.compile(r"\d{6,}[\dXx]*")


def row_text(cells: list[str], limit: int = 40) -> str:
    """A skipped row's text for a note, with long numbers (ID, phone) masked.

    >>> row_text(["制表人：张三", "", "13800001234"])
    '制表人：张三 138****1234'
    """
    return _LONG_NUMBER.sub(lambda m: mask_id(m.group()), " ".join(c for c in cells if c))[:limit]


def norm_header(h: str) -> str:
    """A header as compared: case, spaces, line breaks, "*" marks and a bracketed note dropped.

    >>> norm_header(" *学号\\n（必填） "), norm_header("Student ID"), norm_header("身份证号(18位)"), norm_header("姓　　名")
    ('学号', 'student_id', '身份证号', '姓名')
    """
    h = unicodedata.normalize("NFKC", h or "").lstrip("\ufeff").strip().lower()
    h = re.sub(r"[(\[【（].*?[)\]】）]", "", h).strip(" *＊:：")
    h = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", h)  # "姓  名": forms pad short headers
    return re.sub(r"[\s_\-]+", "_", h).strip("_")


def column_index(cells: list[str], headers: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """canonical column → position in ``cells``, for the columns of ``headers`` found there. When two
    columns could be one key, the header named earlier in ``headers`` wins, then the leftmost: with
    "序号" (a row counter) and "拍摄号" side by side, 拍摄号 is the shot number.

    >>> column_index(["序号", "拍摄号", "姓名"], {"shot_no": ("拍摄号", "序号"), "name": ("姓名",)})
    {'shot_no': 1, 'name': 2}
    """
    normed = [norm_header(h) for h in cells]
    index: dict[str, int] = {}
    for key, alts in headers.items():
        ranks = [norm_header(x) for x in alts]
        hits = [(ranks.index(n), i) for i, n in enumerate(normed) if n and n in ranks]
        if hits:
            index[key] = min(hits)[1]
    return index


def pick_sheet(file: str, sheets: list[Sheet], headers: dict[str, tuple[str, ...]],
               need: Callable[[dict[str, int]], tuple[str, str] | None],
               max_title_rows: int = 10) -> tuple[Sheet, int, dict[str, int]]:
    """(sheet, header row, column index) of the first sheet with a usable header row.

    ``need(index)`` is None when the columns found are enough, else (zh, en) saying what is missing.
    The header row is looked for in the first ``max_title_rows`` non-blank rows of each sheet (a
    title, a note, merged title cells come first in office forms). When no sheet has one, the error
    says what is missing and which columns were found (in each sheet, when there are several).
    """
    tried = []  # per sheet: (what is missing, the columns of its most header-like row)
    for sheet in sheets:
        nonblank = [i for i, r in enumerate(sheet.rows) if any(r)][:max_title_rows + 1]
        best = None
        for i in nonblank:
            index = column_index(sheet.rows[i], headers)
            missing = need(index)
            if missing is None:
                return sheet, i, index
            if best is None or len(index) > best[0]:
                best = (len(index), missing, ", ".join(h for h in sheet.rows[i] if h))
        if best is not None:
            tried.append((sheet.name, best[1], best[2]))
    if not tried:
        raise RosterError(file, "文件是空的。", "the file is empty.")
    if len(tried) == 1:
        name, (zh, en), cols = tried[0]
        raise RosterError(file, f"{zh}。找到的列：{cols}", f"{en}. Columns found: {cols}", name)
    zh_each = "；".join(f"“{n}”：{c}" for n, _, c in tried)
    en_each = "; ".join(f"'{n}': {c}" for n, _, c in tried)
    zh, en = tried[0][1]
    raise RosterError(file, f"没有任何工作表含所需的列（{zh}）。各工作表的列：{zh_each}",
                     f"no sheet has the columns needed ({en}). Columns per sheet: {en_each}")


def sheet_note(file: str, sheets: list[Sheet], sheet: Sheet) -> list[Said]:
    """A note saying which sheet was read, when the workbook has more than one."""
    if len(sheets) < 2:
        return []
    others = ", ".join(f"'{s.name}'" for s in sheets if s is not sheet)
    others_zh = "、".join(f"“{s.name}”" for s in sheets if s is not sheet)
    name = os.path.basename(file)
    return [Said(f"{name}: read sheet '{sheet.name}' (the first with the columns needed; also in the file: {others})",
                 f"{name}：读取了工作表“{sheet.name}”（第一个包含所需列的工作表；文件中还有：{others_zh}）", "sheet_read")]
