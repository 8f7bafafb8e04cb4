"""Run a batch: scan → analyse (workers, journaled) → match → choose retakes → write outputs and reports.

Safety rules this module keeps:

* SHOTS_DIR is only ever read. OUT_DIR must not be inside SHOTS_DIR (nor equal to it).
* Every analysis result is appended to ``OUT_DIR/.photocheck/journal.jsonl`` (flushed and fsynced)
  as soon as it arrives, keyed by the file's SHA-256, so a rerun after Ctrl-C, a killed worker or a
  crash skips what is done and gives the same result.
* Every file is written atomically (temporary file + ``os.replace``). An existing upload file with
  different content is never overwritten unless ``force``.
* Output names come from a template and log values; a name that would leave OUT_DIR is refused.
"""

from __future__ import annotations

import base64
import concurrent.futures as cf
import hashlib
import json
import multiprocessing as mp
import os
import string
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io import PHOTO_EXTENSIONS
from .atomic import atomic_write, inside
from .match import Frame, Issue, exif_seconds, match
from .roster import Roster, _shot_key, natural_key, read_roster
from .scan import ScannedFile, keep_order, scan, shot_from_name
from .work import RECORD_VERSION, analyse_file, pick_lang, score

SETTINGS_PATH = Path(__file__).with_name("settings.toml")
TEMPLATE_FIELDS = {"student_id", "name", "shot_no", "code"}
STATE_DIR = ".photocheck"


class BatchUsageError(ValueError):
    """Bad arguments or inputs for the whole batch (exit code 2). ``zh``/``en`` say what to fix."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(en)

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


class BatchInterrupted(RuntimeError):
    """The run stopped before the end (Ctrl-C, workers keep dying); the journal keeps what is done."""


@dataclass
class BatchResult:
    out_dir: str
    report: dict
    exit_code: int
    files: dict[str, str] = field(default_factory=dict)  # report.json / report.csv / report.html paths

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def students(self) -> list[dict]:
        return self.report["students"]


def load_settings(path: str | os.PathLike | None = None) -> dict:
    """The batch settings (``settings.toml``), with the tables of the TOML file ``path`` laid over them."""
    with open(SETTINGS_PATH, "rb") as fh:
        cfg = tomllib.load(fh)
    if path:
        try:
            with open(path, "rb") as fh:
                user = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise BatchUsageError(f"无法读取设置文件 {path}：{e}", f"cannot read settings file {path}: {e}") from None
        for table, values in user.items():
            if table not in cfg or not isinstance(values, dict) or set(values) - set(cfg[table]):
                raise BatchUsageError(f"设置文件 {path} 中有未知的设置：[{table}] {', '.join(values) if isinstance(values, dict) else ''}",
                                      f"unknown settings in {path}: [{table}] {', '.join(values) if isinstance(values, dict) else ''}")
            cfg[table].update(values)
    return cfg


# -- names ---------------------------------------------------------------------------------------
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
    """(name, problem): the file name for ``row``, or why the log values make it unsafe."""
    values = {"student_id": row.student_id, "name": row.name, "shot_no": row.shot_no, "code": row.code}
    used = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    empty = [f for f in used if not values[f].strip()]
    if empty:
        return None, f"empty {', '.join(sorted(empty))}"
    name = template.format(**values)
    if any(c in _BAD_NAME_CHARS for c in name) or name.startswith(".") or ".." in name or len(name.encode()) > 200:
        return None, f"unsafe file name {name!r}"
    return name, None


# -- journal -------------------------------------------------------------------------------------
class Journal:
    """Append-only JSON-lines record of finished analyses. A torn last line (killed mid-write) is ignored."""

    def __init__(self, state_dir: Path, lang: str):
        self.dir = state_dir
        self.path = state_dir / "journal.jsonl"
        self.staged = state_dir / "staged"
        self.lang = lang
        self.records: dict[str, dict] = {}
        state_dir.mkdir(parents=True, exist_ok=True)
        self.staged.mkdir(exist_ok=True)
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if rec.get("v") == RECORD_VERSION:
                        self.records[rec["key"]] = rec
        self._fh = open(self.path, "a", encoding="utf-8")

    def add(self, key: str, rec: dict) -> None:
        upload = rec.pop("upload", None)
        if upload is not None:
            staged = self.staged / f"{rec['sha256']}.jpg"
            if not staged.exists():
                atomic_write(staged, base64.b64decode(upload))
            rec["staged"] = staged.name
        rec["key"] = key
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.records[key] = rec

    def staged_bytes(self, rec: dict) -> bytes | None:
        p = self.staged / rec["staged"] if rec.get("staged") else None
        return p.read_bytes() if p and p.exists() else None

    def close(self) -> None:
        self._fh.close()


# -- workers -------------------------------------------------------------------------------------
def _task(kind: str, path: str, rel: str, sha: str, lang: str, verify: bool, thumb_w: int) -> dict:
    try:
        if kind == "ref":
            return reference_record(path, rel, sha, lang)
        return analyse_file(path, rel, sha, lang, verify, thumb_w)
    except Exception as e:  # a bug on one odd file must not stop the batch; not journaled, so a rerun retries
        return _crashed(kind, rel, sha, f"{type(e).__name__}: {e}")


def _crashed(kind: str, rel: str, sha: str, why: str) -> dict:
    return {"v": RECORD_VERSION, "sha256": sha, "rel": rel, "kind": "unreadable" if kind == "img" else "ref",
            "embedding": None, "crashed": True,
            "error": {"code": "internal_error", "zh": f"分析此文件时出错（{why}）", "en": f"analysis failed ({why})"}}


def reference_record(path: str, rel: str, sha: str, lang: str) -> dict:
    from ..analysis import analyse
    from ..errors import PhotoError
    from ..spec import load_spec

    rec = {"v": RECORD_VERSION, "sha256": sha, "rel": rel, "lang": lang, "kind": "ref"}
    try:
        a = analyse(path, load_spec("upload"), name=rel)
        emb = a.embedding
        rec["embedding"] = None if emb is None else [round(float(x), 6) for x in emb]
    except PhotoError as e:
        rec.update(embedding=None, error={"code": e.code, "zh": e.zh, "en": e.en})
    return rec


def _worker_init() -> None:
    """Set up a pool worker: Ctrl-C in a terminal reaches every process of the group, so only the
    main process handles it; and OpenCV runs single-threaded, because the pool already has one
    worker per core (its own thread pool per worker only oversubscribes the cores)."""
    import signal

    import cv2

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cv2.setNumThreads(1)


def _run_local(tasks, workers: int, on_result, progress_tick) -> None:
    """Run tasks in a process pool with a bounded number in flight. If a worker dies, the pool is
    rebuilt and the rest resubmitted; a file that was in flight at two deaths is recorded as crashed."""
    if workers <= 1:
        for t in tasks:
            on_result(t, _task(*t))
            progress_tick()
        return
    ctx = mp.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["photocheck.batch.work", "photocheck.analysis", "photocheck.check"])
    pending = list(tasks)
    suspects: dict[str, int] = {}
    restarts = 0
    while pending:
        inflight: dict[cf.Future, tuple] = {}
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
            try:
                queue = iter(list(pending))
                done_keys = set()

                def fill():
                    while len(inflight) < 3 * workers:
                        t = next(queue, None)
                        if t is None:
                            return
                        inflight[pool.submit(_task, *t)] = t

                fill()
                while inflight:
                    finished, _ = cf.wait(list(inflight), return_when=cf.FIRST_COMPLETED)
                    for fut in finished:
                        t = inflight.pop(fut)
                        on_result(t, fut.result())  # BrokenProcessPool surfaces here
                        done_keys.add(t[3] + t[0])
                        progress_tick()
                    fill()
                pending = []
            except KeyboardInterrupt:  # Ctrl-C: stop now; the journal keeps every finished file
                for f in inflight:
                    f.cancel()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            except cf.process.BrokenProcessPool:
                restarts += 1
                lost = list(inflight.values())
                for t in lost:
                    suspects[t[3] + t[0]] = suspects.get(t[3] + t[0], 0) + 1
                pending = [t for t in pending if t[3] + t[0] not in done_keys]
                crashed = [t for t in pending if suspects.get(t[3] + t[0], 0) >= 2]
                for t in crashed:
                    rec = _crashed(t[0], t[2], t[3], "the worker process died twice on this file")
                    rec["error"]["code"] = "worker_crashed"
                    on_result(t, rec)
                    progress_tick()
                pending = [t for t in pending if suspects.get(t[3] + t[0], 0) < 2]
                if restarts > 5:
                    raise BatchInterrupted("worker processes keep dying; rerun the same command to continue") from None


def _run_dask(tasks, scheduler: str, on_result, progress_tick) -> None:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise BatchUsageError("使用 --scheduler 需要安装 Dask：pip install 'photocheck[dask]'",
                              "--scheduler needs Dask: pip install 'photocheck[dask]'") from None
    client = scheduler if not isinstance(scheduler, str) else Client(scheduler)
    try:
        futs = {}
        for t in tasks:
            futs[client.submit(_task, *t, pure=False, key=f"photocheck-{t[0]}-{t[3][:16]}-{len(futs)}")] = t
        for fut in as_completed(list(futs)):
            t = futs[fut]
            try:
                rec = fut.result()
            except Exception as e:  # e.g. KilledWorker: report this file, keep going; a rerun retries it
                rec = _crashed(t[0], t[2], t[3], f"{type(e).__name__}: {e}")
            on_result(t, rec)
            progress_tick()
    finally:
        if isinstance(scheduler, str):
            client.close()


# -- duplicates by image content --------------------------------------------------------------------
def content_duplicates(recs: list[dict], cfg: dict) -> dict[str, str]:
    """rel → rel of the first file showing the same image (re-encoded or resized copies).

    Same image: near-identical grey thumbnails and the same EXIF capture time (when both have one)."""
    if len(recs) < 2:
        return {}
    t16 = np.array([r["t16"] for r in recs], np.float32)
    sq = (t16 ** 2).sum(1)
    out: dict[str, str] = {}
    rms, max_abs = cfg["duplicates"]["rms"], cfg["duplicates"]["max_abs"]
    pairs = []
    for lo in range(0, len(recs), 1024):  # blocks of rows: memory stays small for any shoot size
        blk = t16[lo:lo + 1024]
        d2 = np.maximum(sq[lo:lo + 1024, None] + sq[None, :] - 2 * blk @ t16.T, 0) / t16.shape[1]
        a, b = np.nonzero(d2 <= rms ** 2)
        pairs += [(int(i) + lo, int(j)) for i, j in zip(a, b) if j > i + lo]
    for a, b in sorted(pairs):
        ra, rb = recs[a], recs[b]
        if rb["rel"] in out or ra["rel"] in out:
            continue
        if ra.get("exif_time") and rb.get("exif_time") and ra["exif_time"] != rb["exif_time"]:
            continue  # two exposures (a retake of a still sitter), not a copy: copies keep the capture time
        x = np.frombuffer(base64.b64decode(ra["t64"]), np.uint8).astype(np.int16)
        y = np.frombuffer(base64.b64decode(rb["t64"]), np.uint8).astype(np.int16)
        if np.abs(x - y).max() <= max_abs:
            out[rb["rel"]] = ra["rel"]
    return out


# -- the run ---------------------------------------------------------------------------------------
def run_batch(shots_dir, log, out_dir, *, workers=None, references=None, force=False, scheduler=None,
              progress=True, name_template="{student_id}.jpg", lang="zh", settings=None) -> BatchResult:
    """Run the whole batch and write ``OUT_DIR/upload/*.jpg``, ``report.json``, ``report.csv``,
    ``report.html``. ``settings``: a dict from :func:`load_settings` or a TOML file laid over
    ``photocheck/batch/settings.toml``. Raises :class:`BatchUsageError` / :class:`RosterError` for bad arguments or
    inputs; :class:`BatchInterrupted` (or KeyboardInterrupt) when stopped — rerun to continue.

    >>> from photocheck.batch import run_batch
    >>> r = run_batch("samples/shoot/shots", "samples/shoot/shots.csv", "out", workers=1)  # doctest: +SKIP
    >>> r.exit_code, [s["status"] for s in r.students][:3]  # doctest: +SKIP
    """
    from . import reports

    cfg = settings if isinstance(settings, dict) else load_settings(settings)
    shots = Path(shots_dir)
    out = Path(out_dir)
    if not shots.is_dir():
        raise BatchUsageError(f"照片文件夹不存在：{shots}", f"shots folder not found: {shots}")
    if out.exists() and not out.is_dir():
        raise BatchUsageError(f"输出位置已存在且不是文件夹：{out}", f"the output path exists and is not a folder: {out}")
    if inside(out, shots):
        raise BatchUsageError(f"输出文件夹不能放在照片文件夹里面：{out}", f"the output folder must not be inside the shots folder: {out}")
    if references and not Path(references).is_dir():
        raise BatchUsageError(f"参考照片文件夹不存在：{references}", f"references folder not found: {references}")
    check_template(name_template)
    roster = read_roster(log)
    workers = max(1, int(workers or os.cpu_count() or 1))

    files = scan(shots)
    out.mkdir(parents=True, exist_ok=True)
    journal = Journal(out / STATE_DIR, lang)
    verify = bool(cfg["output"]["verify_upload"])
    thumb_w = int(cfg["output"]["thumbnail_width"])
    try:
        tasks = []
        for f in files:
            if f.kind == "image" and f.duplicate_of is None and f.sha256 + ":img" not in journal.records:
                tasks.append(("img", f.path, f.rel, f.sha256, lang, verify, thumb_w))
        ref_files: dict[str, tuple[str, str]] = {}  # student id → (path, sha)
        if references:
            for p in sorted(Path(references).iterdir(), key=lambda p: natural_key(p.name)):
                if p.is_file() and p.suffix.lower() in PHOTO_EXTENSIONS:
                    sha = hashlib.sha256(p.read_bytes()).hexdigest()
                    ref_files.setdefault(p.stem, (str(p), sha))
                    if sha + ":ref" not in journal.records and not any(t[3] == sha and t[0] == "ref" for t in tasks):
                        tasks.append(("ref", str(p), p.name, sha, lang, verify, thumb_w))

        bar = None
        if progress and tasks:
            import click

            bar = click.progressbar(length=len(tasks), label="photocheck batch", file=sys.stderr, show_pos=True)
            bar.__enter__()

        def on_result(t, rec):
            if rec.get("crashed"):
                journal.records[t[3] + ":" + t[0]] = rec  # not journaled: a rerun tries again
            else:
                journal.add(t[3] + ":" + t[0], rec)

        tick = (lambda: bar.update(1)) if bar else (lambda: None)
        try:
            if scheduler is not None:
                _run_dask(tasks, scheduler, on_result, tick)
            else:
                _run_local(tasks, workers, on_result, tick)
        finally:
            if bar:
                bar.__exit__(None, None, None)

        by_rel, report = build_report(files, roster, journal, ref_files, cfg, lang, shots, log, references)
        write_outputs(report, roster, journal, by_rel, out, name_template, force, lang)
        _stale_outputs(report, out, lang)
        paths = reports.write_all(report, out, lang)
    finally:
        journal.close()
    code = 0 if all(s["status"] == "ok" for s in report["students"]) else 1
    return BatchResult(str(out), report, code, paths)


def _finding(kind: str, msg: str, status: str = "fail", value=None) -> dict:
    return {"rule": f"batch.{kind}", "status": status, "value": value, "limit": None, "message": msg}


def build_report(files: list[ScannedFile], roster: Roster, journal: Journal, ref_files, cfg, lang,
                 shots, log, references) -> tuple[dict, dict]:
    """(records by file name, the report dict)."""
    zh = lang == "zh"
    recs = {}
    for f in files:  # the record is keyed by content; the name is today's name of the file
        if f.kind == "image" and f.duplicate_of is None:
            rec = journal.records.get(f.sha256 + ":img")
            recs[f.rel] = None if rec is None else {**rec, "rel": f.rel}
    file_status: dict[str, dict] = {}
    issues: list[Issue] = []
    for f in files:
        if f.kind == "not_image":
            file_status[f.rel] = {"status": "not_image", "reason": f.reason}
        elif f.kind == "unreadable":
            file_status[f.rel] = {"status": "unreadable", "reason": f.reason}
            issues.append(Issue("unreadable", [], [f.rel], f"无法读取：{f.rel}（{f.reason}）", f"cannot read {f.rel} ({f.reason})"))
        elif f.duplicate_of:
            file_status[f.rel] = {"status": "duplicate", "duplicate_of": f.duplicate_of, "reason": "same bytes"}
        else:
            r = recs.get(f.rel)
            if r is None or r.get("kind") == "unreadable":
                err = (r or {}).get("error") or {"zh": "未分析", "en": "not analysed"}
                file_status[f.rel] = {"status": "unreadable", "reason": err["zh"] if zh else err["en"]}
                issues.append(Issue("unreadable", [], [f.rel], f"无法读取：{f.rel}（{err['zh']}）", f"cannot read {f.rel} ({err['en']})"))
    good = sorted((recs[f.rel] for f in files if f.rel not in file_status), key=lambda r: keep_order(r["rel"]))
    dups = content_duplicates(good, cfg)
    for rel, orig in dups.items():
        file_status[rel] = {"status": "duplicate", "duplicate_of": orig, "reason": "same image"}
    for f in files:
        if file_status.get(f.rel, {}).get("status") == "duplicate":
            issues.append(Issue("duplicate", [], [f.rel, file_status[f.rel]["duplicate_of"]],
                                f"{f.rel} 与 {file_status[f.rel]['duplicate_of']} 是同一张照片（{'内容相同' if file_status[f.rel]['reason'] == 'same image' else '文件相同'}），已忽略副本。",
                                f"{f.rel} is the same photo as {file_status[f.rel]['duplicate_of']} ({file_status[f.rel]['reason']}); the copy is ignored."))

    # frames for matching: readable, not duplicates, with a face
    candidates = [recs[f.rel] for f in files if f.rel not in file_status]
    seconds = exif_seconds([r.get("exif_time") for r in candidates])
    shot_keys = {_shot_key(r.shot_no) for r in roster.rows}
    frames = []
    order = {f.rel: k for k, f in enumerate(files)}
    for r, s in zip(candidates, seconds):
        if r.get("embedding") is None:
            file_status[r["rel"]] = {"status": "unmatched", "reason": "no face"}
            issues.append(Issue("no_face", [], [r["rel"]], f"{r['rel']} 中没有检测到人脸，未参与匹配。", f"no face found in {r['rel']}; not matched."))
            continue
        frames.append(Frame(r["rel"], s, np.array(r["embedding"], np.float32), order[r["rel"]], shot_from_name(r["rel"], shot_keys)))

    refs = {}
    ref_missing = []
    if references:
        for j, row in enumerate(roster.rows):
            entry = ref_files.get(row.student_id)
            rec = journal.records.get(entry[1] + ":ref") if entry else None
            if rec and rec.get("embedding"):
                refs[j] = np.array(rec["embedding"], np.float32)
            else:
                ref_missing.append(row.shot_no)
    m = match(frames, roster.rows, refs, cfg)
    issues = m.issues + issues

    by_rel = {r["rel"]: r for r in candidates}
    students = []
    for row, rm in zip(roster.rows, m.rows):
        entry = _row_entry(row, roster)
        findings = []
        if rm.subject is not None:
            chosen, retakes = _choose(m.subjects[rm.subject].files, by_rel)
            entry["file"], entry["retakes"] = chosen, retakes
            rec = by_rel[chosen]
            findings += pick_lang([f for f in rec["findings"] if f["status"] not in ("pass", "skip")], lang)
            seen_rules = {f["rule"] for f in findings}
            findings += pick_lang([f for f in rec.get("upload_findings", []) if f["rule"] not in seen_rules], lang)
            for rel in [chosen] + retakes:
                file_status[rel] = {"status": "used" if rel == chosen else "retake", "shot_no": row.shot_no}
            entry["thumbnail"] = rec.get("thumb")
            status = rm.state if rm.state != "ok" else ("ok" if rec.get("ok") and rec.get("upload_ok") else "failed")
        else:
            status = rm.state
        if rm.candidates:
            entry["candidates"] = rm.candidates
        for iss in rm.issues:
            findings.append(_finding(iss.kind, iss.zh if zh else iss.en))
        if rm.how == "ambiguous":
            iss = next(i for i in m.issues if i.kind == "ambiguous" and row.shot_no in i.shot_nos)
            findings.append(_finding("ambiguous", iss.zh if zh else iss.en))
        entry["status"] = status
        entry["matched_by"] = rm.how or None
        entry["similarity"] = None if rm.similarity is None else round(rm.similarity, 3)
        entry["findings"] = findings
        students.append(entry)

    for si in m.unassigned:
        chosen, retakes = _choose(m.subjects[si].files, by_rel)
        rec = by_rel[chosen]
        for rel in [chosen] + retakes:
            file_status[rel] = {"status": "unmatched", "shot_no": None}
        kind = next((i for i in m.issues if chosen in i.files and i.kind in ("stranger", "ambiguous", "identity", "time", "swap")), None)
        students.append({"shot_no": None, "student_id": None, "name": None, "status": "unmatched", "file": chosen,
                         "retakes": retakes, "output": None, "thumbnail": rec.get("thumb"), "matched_by": None, "similarity": None,
                         "findings": [_finding(kind.kind if kind else "unmatched",
                                               (kind.zh if zh else kind.en) if kind else ("未匹配到任何学生" if zh else "not matched to any student"))]})

    file_list = []
    for f in files:
        st = file_status.get(f.rel, {"status": "unmatched", "shot_no": None})
        item = {"file": f.rel, "status": st["status"], "shot_no": st.get("shot_no")}
        if st.get("duplicate_of"):
            item["duplicate_of"] = st["duplicate_of"]
            item["shot_no"] = file_status.get(st["duplicate_of"], {}).get("shot_no")
        if st.get("reason"):
            item["reason"] = st["reason"]
        rec = by_rel.get(f.rel)
        if rec:
            item["time"] = rec.get("exif_time")
        file_list.append(item)

    counts = {}
    for s in students:
        counts[s["status"]] = counts.get(s["status"], 0) + 1
    fcounts = {}
    for f in file_list:
        fcounts[f["status"]] = fcounts.get(f["status"], 0) + 1
    notes = list(roster.notes) + list(m.notes)
    if ref_missing:
        notes.append(f"no usable reference photo for shot(s) {', '.join(ref_missing)}")
    return by_rel, {
        "photocheck_batch": 1,
        "shots": str(shots), "log": str(log), "references": str(references) if references else None,
        "summary": {"log_rows": len(roster.rows), "files": len(files), "students": counts, "files_by_status": fcounts,
                    "clock_offset_s": None if m.clock_offset is None else round(m.clock_offset, 1)},
        "mismatches": [i.to_dict(lang) for i in issues],
        "notes": notes,
        "columns": roster.columns,
        "students": students,
        "files": file_list,
    }


def _row_entry(row, roster) -> dict:
    from .roster import mask_id

    e = {"shot_no": row.shot_no, "student_id": row.student_id or None, "name": row.name or None,
         "status": None, "file": None, "retakes": [], "output": None}
    if row.code:
        e["code"] = row.code
    if row.time:
        e["time"] = row.time
    if row.id_number:
        e["id_number"] = mask_id(row.id_number)
    if row.extra:
        e["extra"] = dict(row.extra)
    return e


def _choose(rels: list[str], by_rel: dict) -> tuple[str, list[str]]:
    """The retake that passes the most rules (then fewest warnings, eyes most open, sharpest)."""
    ranked = sorted(rels, key=lambda r: (score(by_rel[r]["findings"]), natural_key(r)))
    return ranked[0], [r for r in rels if r != ranked[0]]


def write_outputs(report: dict, roster: Roster, journal: Journal, by_rel: dict, out: Path, template: str, force: bool,
                  lang: str) -> None:
    """upload/<name> for ok students, review/<name> for mismatches with a passing photo (staff decide)."""
    zh = lang == "zh"
    rows = {r.shot_no: r for r in roster.rows}
    taken: dict[str, str] = {}
    for s in report["students"]:
        if s["shot_no"] is None or s["file"] is None or s["status"] not in ("ok", "mismatch"):
            continue
        rec = by_rel.get(s["file"])
        if not rec or not rec.get("staged") or not rec.get("upload_ok"):
            continue
        name, problem = output_name(template, rows[s["shot_no"]])
        if problem:
            s["findings"].append(_finding("output_name", (f"输出文件名不安全或为空（{problem}），未写出。请修正记录中的值。" if zh else
                                                          f"output name refused ({problem}); nothing written. Fix the value in the log.")))
            s["status"] = "failed" if s["status"] == "ok" else s["status"]
            continue
        sub = "upload" if s["status"] == "ok" else "review"
        target = out / sub / name
        if not inside(target, out):
            s["findings"].append(_finding("output_name", "输出路径越界，未写出。" if zh else "output path outside OUT_DIR refused."))
            s["status"] = "failed" if s["status"] == "ok" else s["status"]
            continue
        key = f"{sub}/{name}".lower()
        if key in taken:
            s["findings"].append(_finding("output_name", (f"输出文件名 {name} 与拍摄号 {taken[key]} 重复，未写出。" if zh else
                                                          f"output name {name} is already used by shot {taken[key]}; not written.")))
            s["status"] = "failed" if s["status"] == "ok" else s["status"]
            continue
        taken[key] = s["shot_no"]
        data = journal.staged_bytes(rec)
        if data is None:
            continue
        if target.exists() and target.read_bytes() != data and not force:
            s["findings"].append(_finding("output_exists", (f"{sub}/{name} 已存在且内容不同，未覆盖（需要覆盖请加 --force）。" if zh else
                                                            f"{sub}/{name} already exists with other content; not overwritten (use --force)."), "warn"))
            s["output"] = None
            s["status"] = "failed" if s["status"] == "ok" else s["status"]
            continue
        if not target.exists() or target.read_bytes() != data:
            atomic_write(target, data)
        s["output"] = f"{sub}/{name}"


def _stale_outputs(report: dict, out: Path, lang: str) -> None:
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
