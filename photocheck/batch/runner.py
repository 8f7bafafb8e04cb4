"""Run a batch: scan → analyse (workers, journaled) → match → choose retakes → write outputs and reports.

Each step has its own module; this one only puts them in order:

* :mod:`.scan` lists SHOTS_DIR (only ever read) and hashes every file;
* :mod:`.journal` keeps every finished analysis in ``OUT_DIR/.photocheck/``, so a rerun after
  Ctrl-C, a killed worker or a crash skips what is done and gives the same result;
* :mod:`.pool` (local worker processes) or :mod:`.cluster` (Dask) run :func:`_task` on each file;
* :mod:`.assemble` builds the report (duplicates, the match, retakes, verdicts);
* :mod:`.outputs` writes the upload files (atomically, never over different content unless
  ``force``, never outside OUT_DIR) and :mod:`.reports` the report files.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..io import PHOTO_EXTENSIONS
from . import reports
from .assemble import build_report
from .atomic import inside
from .cluster import run_dask
from .errors import BatchInterrupted, BatchUsageError
from .join import join_log
from .journal import STATE_DIR, Journal
from .outputs import check_template, output_name, stale_outputs, write_outputs
from .pool import run_local
from .registration import read_registration
from .roster import natural_key, read_roster
from .scan import scan
from .settings import load_settings
from .work import analyse_file, crashed_record, reference_record

__all__ = ["run_batch", "BatchResult", "BatchUsageError", "BatchInterrupted", "load_settings", "check_template",
           "output_name"]


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


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def _task(kind: str, path: str, rel: str, sha: str, lang: str, verify: bool, thumb_w: int,
          experimental: bool = False) -> dict:
    """One task, in a worker: analyse a camera file (``img``) or a reference photo (``ref``)."""
    try:
        if kind == "ref":
            return reference_record(path, rel, sha, lang)
        return analyse_file(path, rel, sha, lang, verify, thumb_w, experimental)
    except Exception as e:  # a bug on one odd file must not stop the batch; not journaled, so a rerun retries
        return crashed_record(kind, rel, sha, f"{type(e).__name__}: {e}")


def run_batch(shots_dir, log, out_dir, *, workers=None, references=None, force=False, scheduler=None,
              progress=True, name_template="{student_id}.jpg", lang="zh", settings=None, roster=None,
              trust_order=False) -> BatchResult:
    """Run the whole batch and write ``OUT_DIR/upload/*.jpg``, ``report.json``, ``report.csv``,
    ``report.html``. ``settings``: a dict from :func:`load_settings` or a TOML file laid over
    ``photocheck/batch/settings.toml``. ``roster``: the registration form (.xls/.xlsx/.csv) joined to
    the log (:mod:`photocheck.batch.join`). ``trust_order``: photos matched by shooting order only
    (no face, time or shot-number evidence) go to upload/ instead of review/ — only for a shoot the
    operator has checked; the report says so. Raises :class:`BatchUsageError` / :class:`RosterError` for bad arguments or
    inputs; :class:`BatchInterrupted` (or KeyboardInterrupt) when stopped — rerun to continue.

    >>> from photocheck.batch import run_batch
    >>> r = run_batch("samples/shoot/shots", "samples/shoot/shots.csv", "out", workers=1)  # doctest: +SKIP
    >>> r.exit_code, [s["status"] for s in r.students][:3]  # doctest: +SKIP
    """
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
    log_rows = read_roster(log)
    registration = read_registration(roster) if roster else None
    joins = join_log(log_rows.rows, registration) if registration else None
    workers = max(1, int(workers or os.cpu_count() or 1))

    files = scan(shots)
    out.mkdir(parents=True, exist_ok=True)
    journal = Journal(out / STATE_DIR, lang)
    verify = bool(cfg["output"]["verify_upload"])
    thumb_w = int(cfg["output"]["thumbnail_width"])
    trial = bool(cfg["rules"]["experimental"])
    try:
        tasks = []
        for f in files:
            done = journal.records.get(f.sha256 + ":img")
            # a record made with the other experimental-rules setting is redone, not reused
            if f.kind == "image" and f.duplicate_of is None and (done is None or done.get("experimental", False) != trial):
                tasks.append(("img", f.path, f.rel, f.sha256, lang, verify, thumb_w, trial))
        ref_files: dict[str, tuple[str, str]] = {}  # student id → (path, sha)
        if references:
            for p in sorted(Path(references).iterdir(), key=lambda p: natural_key(p.name)):
                if p.is_file() and p.suffix.lower() in PHOTO_EXTENSIONS:
                    sha = hashlib.sha256(p.read_bytes()).hexdigest()
                    ref_files.setdefault(p.stem, (str(p), sha))
                    if sha + ":ref" not in journal.records and not any(t[3] == sha and t[0] == "ref" for t in tasks):
                        tasks.append(("ref", str(p), p.name, sha, lang, verify, thumb_w, trial))

        bar = None
        # a progress bar only on a terminal: click prints its label as a stray line when stderr is a
        # file or a pipe (a script, CI, the operator's log file)
        if progress and tasks and _is_terminal(sys.stderr):
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
                run_dask(tasks, scheduler, on_result, tick, _task)
            else:
                run_local(tasks, workers, on_result, tick, _task)
        finally:
            if bar:
                bar.__exit__(None, None, None)

        by_rel, report = build_report(files, log_rows, journal, ref_files, cfg, lang, shots, log, references,
                                      registration, joins, trust_order)
        write_outputs(report, log_rows, journal, by_rel, out, name_template, force, lang)
        stale_outputs(report, out, lang)
        paths = reports.write_all(report, out, lang)
    finally:
        journal.close()
    code = 0 if all(s["status"] == "ok" for s in report["students"]) else 1
    return BatchResult(str(out), report, code, paths)
