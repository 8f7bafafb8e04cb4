"""report.json, report.csv (UTF-8 with BOM for Chinese Excel, safe against formula injection) and
report.html (one self-contained page for staff: mismatches first, a thumbnail per student).

ID-document numbers are already masked in the report dict (see ``tables.mask_id``); nothing here
ever sees the full number.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

from .atomic import atomic_write

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")

STATUS_TEXT = {
    "ok": ("合格", "ok"), "unverified": ("未核实", "unverified"), "failed": ("不合格", "failed"), "missing": ("缺照片", "missing"),
    "mismatch": ("需核对", "mismatch"), "unmatched": ("未匹配", "unmatched"),
    "used": ("已使用", "used"), "retake": ("重拍", "retake"), "duplicate": ("重复", "duplicate"),
    "unreadable": ("无法读取", "unreadable"), "not_image": ("非图片", "not an image"), "slate": ("拍摄号卡", "slate"),
    "not_photographed": ("不在本次记录", "not in this log"),
}

#: how a row's photo was matched (``matched_by``): the evidence that this photo is this student
MATCH_TEXT = {
    "order": ("按顺序（未核实）", "by order (unverified)"), "face": ("按人脸", "by face"), "time": ("按时间", "by time"),
    "file_name": ("按文件名拍摄号", "by shot number in the file name"), "card": ("按拍摄号卡", "by shot-number card"),
    "swap": ("顺序颠倒（按人脸）", "swapped (by face)"), "ambiguous": ("无法确定", "cannot tell"),
    "contradicted": ("证据不符", "evidence disagrees"),
}
#: ``matched_by: order`` when the operator passed ``--trust-order``
TRUSTED_ORDER_TEXT = ("按顺序（--trust-order，未核实）", "by order (--trust-order, not verified)")

#: how a log row was joined to the registration form (``--roster``) — where its student number came
#: from, not how the photo was matched (that is ``matched_by``)
JOIN_TEXT = {
    "student_id": ("按学号匹配报名表", "form, by student number"), "name": ("按姓名匹配报名表", "form, by name"),
    "face": ("按人脸在报名表中确认", "form, confirmed by face"),
    "not_registered": ("学号不在登记表", "number not registered"), "ambiguous": ("同名，未确定", "same name, not decided"),
    "near": ("姓名不在登记表", "name not registered"), "none": ("不在登记表", "not registered"),
    "conflict": ("学号与姓名不符", "number and name disagree"), "other_group": ("姓名属于其他院系", "name of another department"),
}
JOIN_PREFIX = ("学号来源：", "student number: ")


KIND_TEXT = {
    "card": ("拍摄号卡", "shot-number card"),
    "count": ("人数不符", "count"), "missing": ("缺照片", "missing"), "stranger": ("记录外人员", "stranger"),
    "swap": ("顺序颠倒", "swap"), "identity": ("不像本人", "identity"), "time": ("时间不符", "time"),
    "ambiguous": ("无法确定", "ambiguous"), "duplicate": ("重复文件", "duplicate"), "no_face": ("无人脸", "no face"),
    "unreadable": ("无法读取", "unreadable"), "not_image": ("非图片", "not an image"), "stale_output": ("旧输出文件", "old output"),
    "roster": ("登记表不符", "registration form"), "unverified": ("未核实", "unverified"),
}


def match_text(s: dict, lang: str = "zh") -> str:
    """How a student's photo was matched, as people read it ("" when it was not matched)."""
    how = s.get("matched_by")
    if not how:
        return ""
    pair = TRUSTED_ORDER_TEXT if how == "order" and s.get("order_trusted") else MATCH_TEXT.get(how, (how, how))
    return pair[0 if lang == "zh" else 1]


def safe_cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula.

    >>> safe_cell("=cmd|' /C calc'!A0"), safe_cell("2023001"), safe_cell(None)
    ("'=cmd|' /C calc'!A0", '2023001', '')
    """
    if value is None:
        return ""
    s = str(value)
    return "'" + s if s.startswith(_FORMULA_START) else s


def json_text(report: dict) -> str:
    clean = dict(report)
    clean["students"] = [{k: v for k, v in s.items() if k != "thumbnail"} for s in report["students"]]
    return json.dumps(clean, ensure_ascii=False, indent=2)


def join_text(join: dict | None, lang: str = "zh") -> str:
    """How a row was joined to the registration form, with the candidates when it was not decided."""
    if not join:
        return ""
    zh = lang == "zh"
    text = JOIN_PREFIX[0 if zh else 1] + JOIN_TEXT[join["how"]][0 if zh else 1]
    if join.get("candidates"):
        text += ("：" if zh else ": ") + "; ".join(f"{c['student_id']} {c['name']}" + (f" ({c['department']})" if c.get("department") else "")
                                                  for c in join["candidates"])
    return text


#: a warning is a note for a student who passes: nothing to retake
HINT_TITLE = ("提示，无需重拍", "note, no retake needed")


def _problems_and_hints(s: dict) -> tuple[list[dict], list[dict]]:
    """Findings that need something done (fail/error), and warnings (notes: no retake needed)."""
    return ([f for f in s["findings"] if f["status"] in ("fail", "error")],
            [f for f in s["findings"] if f["status"] == "warn"])


def csv_bytes(report: dict, lang: str = "zh") -> bytes:
    zh = lang == "zh"
    absent = report["roster"]["not_photographed"] if "roster" in report else []
    extra_cols: list[str] = []
    for s in report["students"] + absent:
        for k in (s.get("extra") or {}):
            if k not in extra_cols:
                extra_cols.append(k)
    head = (["拍摄号", "学号", "姓名", "结果", "匹配方式", "照片文件", "重拍文件", "输出文件", "问题", "提示（无需重拍）", "采集码", "时间", "身份证号"]
            if zh else ["shot_no", "student_id", "name", "status", "matched_by", "file", "retakes", "output", "problems",
                        "notes_no_retake", "code", "time", "id_number"])
    if "roster" in report:
        head.append("学号来源" if zh else "student_number_from")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([safe_cell(h) for h in head + extra_cols])
    for s in report["students"]:
        problems, hints = _problems_and_hints(s)
        row = [s.get("shot_no"), s.get("student_id"), s.get("name"), STATUS_TEXT[s["status"]][0 if zh else 1], match_text(s, lang), s.get("file"),
               "; ".join(s.get("retakes") or []), s.get("output"), "; ".join(f["message"] or f["rule"] for f in problems),
               "; ".join(f["message"] or f["rule"] for f in hints), s.get("code"), s.get("time"), s.get("id_number")]
        if "roster" in report:
            row.append(join_text(s.get("roster"), lang))
        row += [(s.get("extra") or {}).get(k) for k in extra_cols]
        w.writerow([safe_cell(v) for v in row])
    for s in absent:  # registered students no log row is: one line each, after the log's rows
        row = [None, s["student_id"], s["name"], STATUS_TEXT["not_photographed"][0 if zh else 1], None, None, None, None, None, None,
               None, None, s.get("id_number"), None]
        row += [(s.get("extra") or {}).get(k) for k in extra_cols]
        w.writerow([safe_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")  # the BOM makes Chinese Excel read UTF-8


_CSS = """
*{box-sizing:border-box}
body{font:16px/1.45 system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:1.5em;color:#222;
     overflow-wrap:break-word}
h1{font-size:1.4em;margin:.2em 0 .5em} h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #ddd;padding:.4em .5em;vertical-align:top;text-align:left}
th{background:#f4f4f4;position:sticky;top:0;white-space:nowrap;font-size:.92em}
td.shot,td.sid,td.name,td.st{white-space:nowrap}
td.files,td.details{font-size:.9em}
td.probs{min-width:14em}
td.photo img{width:72px;height:auto;border:1px solid #ccc;display:block}
.confirm td.photo img{width:120px}
ul.problems,ul.hints,ul.issues,ul.notes{margin:0;padding-left:1.2em}
.hint{margin-top:.35em;padding:.3em .5em;background:#eef4fb;border-left:3px solid #6b8fbf;color:#2b3d55;font-size:.92em}
.hint b{font-weight:600}
.st{font-weight:bold} .st small{font-weight:normal}
.ok{color:#1a7f37} .failed,.unreadable{color:#c62828} .missing,.mismatch,.unmatched,.duplicate{color:#b26a00}
.unverified,.ok.trusted{color:#6a1b9a}
.banner{border:2px solid #6a1b9a;background:#f6eefa;padding:.6em .8em;margin:1em 0}
.issues li{margin:.3em 0} .summary span{display:inline-block;margin-right:1.2em} small{color:#555}
.details span{display:inline-block;margin-right:.8em} .details .k{color:#666}
ul.notes{color:#555;font-size:.92em} code.opt{white-space:nowrap;font-family:inherit}
@media (max-width:720px){
  body{margin:.8em}
  table.rows,table.rows tbody,table.rows tr,table.rows td{display:block;width:100%;min-width:0}
  table.rows thead{display:none}
  table.rows tr{border:1px solid #ddd;border-radius:6px;margin:0 0 .8em;padding:.4em .5em}
  table.rows td{border:0;padding:.15em 0;white-space:normal}
  table.rows td[data-label]::before{content:attr(data-label) "\\00a0";color:#666;font-size:.85em;font-weight:normal}
  table.rows td.photo{float:right;width:auto;margin-left:.5em}
  .confirm td.photo img{width:96px}
}
"""

def _details(s: dict, lang: str) -> list[tuple[str, str]]:
    """The log's and the form's other columns for a student, as (label, value), for the HTML."""
    zh = lang == "zh"
    out = []
    if s.get("roster"):
        typed = s["roster"].get("log_name")
        if typed and typed != s.get("name"):
            out.append(("记录中的姓名" if zh else "name in log", typed))
    for key, label in (("code", ("采集码", "code")), ("time", ("时间", "time")), ("id_number", ("身份证号", "ID number"))):
        if s.get(key):
            out.append((label[0 if zh else 1], s[key]))
    out += [(str(k), str(v)) for k, v in (s.get("extra") or {}).items() if v]
    if s.get("roster"):
        out.append(("", join_text(s["roster"], lang)))
    return out


_OPTION = re.compile(r"--[a-z][a-z-]*[a-z]")


def html_text(report: dict, lang: str = "zh") -> str:
    zh = lang == "zh"

    def e(text) -> str:  # escaped, with command-line options never broken across lines
        return _OPTION.sub(lambda m: f"<code class='opt'>{m.group(0)}</code>", html.escape(str(text)))
    t = (lambda a, b: a if zh else b)
    st_text = (lambda k: STATUS_TEXT[k][0 if zh else 1])

    def cell(cls: str, label: str, inner: str) -> str:
        return f"<td class='{cls}' data-label='{html.escape(label)}'>{inner}</td>"

    def photo(x: dict) -> str:
        return f"<td class='photo'><img alt='' src='data:image/jpeg;base64,{x['thumbnail']}'></td>" if x.get("thumbnail") else "<td class='photo'></td>"

    def details(x: dict) -> str:
        return "".join(f"<span>{f'<span class=k>{e(k)}</span> ' if k else ''}{e(v)}</span>" for k, v in _details(x, lang))

    out = [f"<!doctype html><html lang='{'zh-CN' if zh else 'en'}'><head><meta charset='utf-8'>",
           "<meta name='viewport' content='width=device-width, initial-scale=1'>",
           f"<title>{t('批量检查报告', 'Batch report')}</title><style>{_CSS}</style></head><body>",
           f"<h1>{t('毕业照批量检查报告', 'Graduation photo batch report')}</h1>",
           f"<p><small>{e(t('照片', 'Shots'))}: {e(report['shots'])} · {e(t('记录', 'Log'))}: {e(report['log'])}"
           + (f" · {e(t('参考照片', 'References'))}: {e(report['references'])}" if report.get("references") else "") + "</small></p>"]
    if report.get("roster"):
        ro = report["roster"]
        how = ", ".join(f"{JOIN_TEXT[k][0 if zh else 1]} {v}" for k, v in ro["joined_by"].items())
        out.append(f"<p><small>{e(t('登记表', 'Registration form'))}: {e(ro['file'])}"
                   + (f" ({e(t('工作表', 'sheet'))} {e(ro['sheet'])})" if ro.get("sheet") else "")
                   + f" · {ro['students']} {e(t('名学生', 'students'))} · {e(t('学号来源', 'student numbers'))}: {e(how)}</small></p>")
    sm = report["summary"]
    out.append("<p class='summary'>" + "".join(
        f"<span class='st {e(k)}'>{e(st_text(k))}: {v}</span>" for k, v in sm["students"].items()) + "</p>")
    trusted = [x for x in report["students"] if x.get("order_trusted")]
    if trusted:
        shots = t("、", ", ").join(x["shot_no"] for x in trusted)
        out.append("<p class='banner'><b>" + e(t(
            f"使用了 --trust-order：{len(trusted)} 名学生（拍摄号 {shots}）的照片只是按拍摄顺序对应的，没有经过人脸、时间或拍摄号核实，已按顺序处理并导出到 upload/。",
            f"--trust-order was used: the photos of {len(trusted)} students (shots {shots}) were matched by shooting order only, "
            "not verified by face, time or shot number, and were exported to upload/ by order.")) + "</b></p>")
    unverified = [x for x in report["students"] if x["status"] == "unverified"]
    if unverified:
        out.append(f"<h2 class='unverified'>{t('未核实：请目视确认', 'Unverified: confirm by eye')} ({len(unverified)})</h2>")
        out.append("<p class='banner'>" + e(t(
            f"{len(unverified)} 名学生的照片只是按拍摄顺序对应的：没有参考照片、记录时间或拍摄号卡可以核实。若有人缺拍、又拍了记录外的人，"
            "姓名会整体错位而看不出来。这些照片不在 upload/；合格的放在 review/。请对照每行的照片和记录确认是否本人，确认后自行移到 upload/；"
            "或用 --references（学籍照片）、带扫码时间的记录、拍摄号卡重新运行；整场核对无误可加 --trust-order。",
            f"The photos of {len(unverified)} students were matched by shooting order only: no reference photos, log times or "
            "shot-number cards verify them. A missing student plus a person not in the log would shift the names unseen. None of "
            "these photos is in upload/; those that pass are in review/. Check each photo against its log row and move it to upload/ "
            "yourself; or run again with --references (enrollment photos), log times or shot-number cards; after checking the whole "
            "shoot, --trust-order exports by order.")) + "</p>")
        out.append("<table class='rows confirm'><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in (
            t("照片", "Photo"), t("拍摄号", "Shot"), t("姓名", "Name"), t("学号", "Student id"), t("记录中的其他信息", "Other log columns"),
            t("文件", "File"))) + "</tr></thead><tbody>")
        for x in unverified:
            out.append("<tr>" + photo(x) + cell("shot", t("拍摄号", "Shot"), e(x.get("shot_no") or "—"))
                       + cell("name", t("姓名", "Name"), f"<span>{e(x.get('name') or '—')}</span>")
                       + cell("sid", t("学号", "Student id"), e(x.get("student_id") or "—"))
                       + cell("details", t("其他信息", "Other"), details(x))
                       + cell("files", t("文件", "File"), e(x.get("file") or "—")
                              + (f"<br><small>→&nbsp;{e(x['output'])}</small>" if x.get("output") else "")) + "</tr>")
        out.append("</tbody></table>")
    out.append(f"<h2>{t('需要处理的问题', 'Problems to resolve')} ({len(report['mismatches'])})</h2>")
    if report["mismatches"]:
        out.append("<ul class='issues'>" + "".join(
            f"<li><b>{e(KIND_TEXT.get(i['kind'], (i['kind'],) * 2)[0 if zh else 1])}</b> {e(i['message'])}</li>"
            for i in report["mismatches"]) + "</ul>")
    else:
        out.append(f"<p class='ok'>{t('没有发现匹配问题。', 'No matching problems found.')}</p>")
    if report.get("notes"):
        out.append(f"<h2>{t('说明', 'Notes')}</h2><ul class='notes'>" + "".join(f"<li>{e(n)}</li>" for n in report["notes"]) + "</ul>")
    heads = (("photo", t("照片", "Photo")), ("shot", t("拍摄号", "Shot")), ("sid", t("学号", "Student id")), ("name", t("姓名", "Name")),
             ("st", t("结果", "Verdict")), ("probs", t("问题", "Problems")), ("files", t("文件", "Files")),
             ("details", t("记录与登记表", "Log and form")))
    out.append(f"<h2>{t('学生', 'Students')}</h2><table class='rows students'><thead><tr>"
               + "".join(f"<th class='{c}'>{e(h)}</th>" for c, h in heads) + "</tr></thead><tbody>")
    order = {"mismatch": 0, "unverified": 1, "unmatched": 2, "missing": 3, "failed": 4, "ok": 5}
    for s in sorted(report["students"], key=lambda s: order.get(s["status"], 6)):
        problems, hints = _problems_and_hints(s)
        probs = "<ul class='problems'>" + "".join(f"<li>{e(f['message'] or f['rule'])}</li>" for f in problems) + "</ul>" if problems else ""
        if hints:
            probs += (f"<div class='hint'><b>{e(HINT_TITLE[0 if zh else 1])}</b><ul class='hints'>"
                      + "".join(f"<li>{e(f['message'] or f['rule'])}</li>" for f in hints) + "</ul></div>")
        files = e(s.get("file") or "—")
        if s.get("retakes"):
            files += f"<br><small>{t('重拍', 'retakes')}: {e(', '.join(s['retakes']))}</small>"
        if s.get("candidates"):
            files += f"<br><small>{t('候选', 'candidates')}: {e(', '.join(s['candidates']))}</small>"
        if s.get("output"):
            files += f"<br><small>→&nbsp;{e(s['output'])}</small>"
        verdict = e(st_text(s["status"])) + (f"<br><small>{e(match_text(s, lang))}</small>" if s.get("matched_by") else "")
        out.append("<tr>" + photo(s) + cell("shot", heads[1][1], e(s.get("shot_no") or "—"))
                   + cell("sid", heads[2][1], e(s.get("student_id") or "—"))
                   + cell("name", heads[3][1], f"<span>{e(s.get('name') or '—')}</span>")
                   + cell(f"st {e(s['status'])}{' trusted' if s.get('order_trusted') else ''}", heads[4][1], verdict)
                   + cell("probs", heads[5][1], probs) + cell("files", heads[6][1], files)
                   + cell("details", heads[7][1], details(s)) + "</tr>")
    out.append("</tbody></table>")
    if report.get("roster"):
        absent = report["roster"]["not_photographed"]
        out.append(f"<h2>{t('登记表中不在本次记录里的学生', 'In the registration form, not in this log')} ({len(absent)})</h2>"
                   f"<p><small>{t('这些学生没有拍摄号（例如其他批次或其他院系的学生）。若本应在本次拍摄，请核对记录。', 'No log row is one of these students (e.g. students of other groups or sessions). If they should have been photographed in this session, check the log.')}</small></p>")
        ah = (t("学号", "Student id"), t("姓名", "Name"), t("院系", "Department"), t("专业", "Major"), t("身份证号", "ID number"))
        out.append("<table class='rows absent'><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in ah) + "</tr></thead><tbody>")
        for s in absent:
            out.append("<tr>" + cell("sid", ah[0], e(s["student_id"])) + cell("name", ah[1], f"<span>{e(s['name'])}</span>")
                       + cell("", ah[2], e(s.get("department") or "")) + cell("", ah[3], e(s.get("major") or ""))
                       + cell("", ah[4], e(s.get("id_number") or "")) + "</tr>")
        out.append("</tbody></table>")
    other = [f for f in report["files"] if f["status"] not in ("used", "retake")]
    oh = (t("文件", "File"), t("状态", "Status"), t("说明", "Note"))
    out.append(f"<h2>{t('其他文件', 'Other files')} ({len(other)})</h2><table class='rows files'><thead><tr>"
               + "".join(f"<th>{e(h)}</th>" for h in oh) + "</tr></thead><tbody>")
    for f in other:
        note = f.get("reason") or ""
        if f.get("duplicate_of"):
            note = f"{note} → {f['duplicate_of']}"
        out.append("<tr>" + cell("files", oh[0], e(f["file"])) + cell(f"st {e(f['status'])}", oh[1], e(st_text(f["status"])))
                   + cell("", oh[2], e(note)) + "</tr>")
    out.append("</tbody></table></body></html>")
    return "\n".join(out)


def write_all(report: dict, out: Path, lang: str = "zh") -> dict[str, str]:
    paths = {"json": out / "report.json", "csv": out / "report.csv", "html": out / "report.html"}
    atomic_write(paths["json"], json_text(report).encode("utf-8"))
    atomic_write(paths["csv"], csv_bytes(report, lang))
    atomic_write(paths["html"], html_text(report, lang).encode("utf-8"))
    return {k: str(v) for k, v in paths.items()}
