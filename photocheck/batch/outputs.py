"""Output files: upload/<name> for students who are ok, review/<name> for a swapped pair and for a
photo matched by order only (unverified: a person confirms it by eye), named
from a template and log values that may never leave OUT_DIR; and the files a previous run left."""

from __future__ import annotations

import string
from pathlib import Path

from .assemble import finding
from .atomic import atomic_write, inside
from .bilingual import Said, say
from .errors import BatchUsageError
from .journal import Journal
from .match import Issue
from .roster import Roster

TEMPLATE_FIELDS = {"student_id", "name", "shot_no", "code"}
_BAD_NAME_CHARS = set('/\\:*?"<>|') | {chr(c) for c in range(32)} | {"\x7f"}


def check_template(template: str) -> None:
    """A template may use {student_id} {name} {shot_no} {code} and must be a plain file name."""
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as e:
        raise BatchUsageError(f"文件名模板无效：{e}", f"invalid name template: {e}") from None
    unknown = fields - TEMPLATE_FIELDS
    if unknown or "" in fields:
        raise BatchUsageError(f"文件名模板只能使用 {{student_id}} {{name}} {{shot_no}} {{code}}，不能用：{', '.join(sorted(unknown)) or '{}'}",
                              f"the name template may use only {{student_id}} {{name}} {{shot_no}} {{code}}, not: {', '.join(sorted(unknown)) or '{}'}")
    literal = "".join(t for t, *_ in string.Formatter().parse(template))
    if any(c in _BAD_NAME_CHARS for c in literal) or template.strip() in (".", "..") or not fields:
        raise BatchUsageError("文件名模板必须是一个不含路径的文件名（不能含 / \\ : 等字符），并至少包含一个字段，例如 {student_id}.jpg",
                              "the name template must be a plain file name (no / \\ : …) with at least one field, e.g. {student_id}.jpg")
    if not template.lower().endswith((".jpg", ".jpeg")):
        raise BatchUsageError("文件名模板必须以 .jpg 结尾", "the name template must end in .jpg")


def output_name(template: str, row) -> tuple[str | None, str | None]:
    """(name, problem): the file name for ``row``, or why the log values make it unsafe (English, with
    ``.zh``: a :class:`~photocheck.batch.bilingual.Said`)."""
    values = {"student_id": row.student_id, "name": row.name, "shot_no": row.shot_no, "code": row.code}
    used = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    empty = [f for f in used if not values[f].strip()]
    if empty:
        return None, Said(f"empty {', '.join(sorted(empty))}", f"{'、'.join(sorted(empty))} 为空", "empty_field")
    name = template.format(**values)
    if any(c in _BAD_NAME_CHARS for c in name) or name.startswith(".") or ".." in name or len(name.encode()) > 200:
        return None, Said(f"unsafe file name {name!r}", f"文件名 {name!r} 不安全", "unsafe_name")
    return name, None


def write_outputs(report: dict, roster: Roster, journal: Journal, by_rel: dict, out: Path, template: str, force: bool,
                  lang: str) -> None:
    """upload/<name> for ok students, review/<name> for swaps and unverified matches with a passing photo
    (staff decide): nothing whose student was not confirmed by evidence (or by ``--trust-order``)
    is ever written to upload/."""
    zh = lang == "zh"
    rows = {r.shot_no: r for r in roster.rows}
    taken: dict[str, str] = {}
    for s in report["students"]:
        if s["shot_no"] is None or s["file"] is None or s["status"] not in ("ok", "mismatch", "unverified"):
            continue
        if s["status"] == "mismatch" and s.get("matched_by") != "swap":
            continue  # e.g. a file named for this shot whose face is not this student's: no file under this student's name
        if s.get("roster") and not s["roster"]["decided"]:
            continue  # who this is was not decided: a file named for a guessed student could show the wrong person
        rec = by_rel.get(s["file"])
        if not rec or not rec.get("staged") or not rec.get("upload_ok"):
            continue
        name, problem = output_name(template, rows[s["shot_no"]])
        if problem:
            s["findings"].append(finding("output_name", (f"输出文件名不安全或为空（{say(problem, 'zh')}），未写出。请修正记录中的值。" if zh else
                                                          f"output name refused ({problem}); nothing written. Fix the value in the log.")))
            s["status"] = "failed" if s["status"] == "ok" else s["status"]
            continue
        sub = "upload" if s["status"] == "ok" else "review"
        target = out / sub / name
        if not inside(target, out):
            s["findings"].append(finding("output_name", "输出路径越界，未写出。" if zh else "output path outside OUT_DIR refused."))
            s["status"] = "failed" if s["status"] == "ok" else s["status"]
            continue
        key = f"{sub}/{name}".lower()
        if key in taken:
            s["findings"].append(finding("output_name", (f"输出文件名 {name} 与拍摄号 {taken[key]} 重复，未写出。" if zh else
                                                          f"output name {name} is already used by shot {taken[key]}; not written.")))
            s["status"] = "failed" if s["status"] == "ok" else s["status"]
            continue
        taken[key] = s["shot_no"]
        data = journal.staged_bytes(rec)
        if data is None:
            continue
        if target.exists() and target.read_bytes() != data and not force:
            s["findings"].append(finding("output_exists", (f"{sub}/{name} 已存在且内容不同，未覆盖（需要覆盖请加 --force）。" if zh else
                                                            f"{sub}/{name} already exists with other content; not overwritten (use --force)."), "warn"))
            s["output"] = None
            s["status"] = "failed" if s["status"] == "ok" else s["status"]
            continue
        if not target.exists() or target.read_bytes() != data:
            atomic_write(target, data)
        s["output"] = f"{sub}/{name}"


def stale_outputs(report: dict, out: Path, lang: str) -> None:
    """Upload/review files that this run did not produce (left from an earlier run with other inputs)."""
    produced = {s["output"] for s in report["students"] if s.get("output")}
    stale = sorted(f"{sub}/{p.name}" for sub in ("upload", "review") if (out / sub).is_dir()
                   for p in (out / sub).iterdir() if p.is_file() and f"{sub}/{p.name}" not in produced and ".tmp-" not in p.name)
    if stale:
        names = ", ".join(stale)
        report["mismatches"].append(Issue(
            "stale_output", [], stale,
            f"输出文件夹中有本次运行未生成的文件（来自之前的运行，可能已不正确）：{names}。请核对后删除。",
            f"the output folder holds files this run did not produce (left from an earlier run, possibly wrong now): {names}. Check and delete them.").to_dict(lang))
