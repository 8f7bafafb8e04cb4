"""Run a batch: scan → analyse (workers, journaled) → match → choose retakes → write outputs and reports.

Each step has its own module; this one only puts them in order:

* :mod:`.scan` lists SHOTS_DIR (only ever read) and hashes every file;
* :mod:`.journal` keeps every finished analysis in ``OUT_DIR/.photocheck/``, so a rerun after
  Ctrl-C, a killed worker or a crash skips what is done and gives the same result;
* :mod:`.pool` (local worker processes) or :mod:`.cluster` (Dask) run :func:`_task` on each file;
* :mod:`.assemble` builds the report (duplicates, the match, retakes, verdicts);
* :func:`prepare`, :func:`keep_result` and :func:`assemble` are shared with ``photocheck watch``
  (:mod:`photocheck.watch`), which runs the same steps file by file as a shoot goes on;
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
from .registration import Registration, read_registration
from .roster import EmptyLogError, Roster, natural_key, read_roster
from .scan import ScannedFile, scan
from .settings import load_settings
from .work import analyse_file, crashed_record, reference_record

__all__ = ["run_batch", "BatchResult", "BatchUsageError", "BatchInterrupted", "load_settings", "check_template",
           "output_name", "Inputs", "prepare", "assemble", "keep_result", "needs_analysis", "image_task",
           "reference_tasks"]


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


@dataclass
class Inputs:
    """What a batch reads besides the camera files, checked and parsed: the shared start of
    ``batch`` and ``watch`` (which re-reads the log and the form when they change)."""

    shots: Path
    out: Path
    log: str
    log_rows: Roster
    cfg: dict
    lang: str = "zh"
    references: str | None = None
    roster: str | None = None  # the registration form's path
    registration: Registration | None = None
    joins: list | None = None
    name_template: str = "{student_id}.jpg"
    trust_order: bool = False  # rows matched by order alone may be ok (batch --trust-order)

    @property
    def verify(self) -> bool:
        return bool(self.cfg["output"]["verify_upload"])

    @property
    def thumb_w(self) -> int:
        return int(self.cfg["output"]["thumbnail_width"])

    @property
    def experimental(self) -> bool:
        return bool(self.cfg["rules"]["experimental"])

    def read_log(self, allow_empty: bool = False) -> None:
        """(Re)read the log and the registration form and join them. Raises RosterError (also for
        a log without rows, unless ``allow_empty``: a live shoot before the first scan)."""
        try:
            rows = read_roster(self.log)
        except EmptyLogError:
            if not allow_empty:
                raise
            rows = Roster(os.fspath(self.log), [], [], [])
        registration = read_registration(self.roster) if self.roster else None
        self.log_rows, self.registration = rows, registration
        self.joins = join_log(rows.rows, registration) if registration else None


def prepare(shots_dir, log, out_dir, *, references=None, name_template="{student_id}.jpg", lang="zh", settings=None,
            roster=None, trust_order=False, allow_empty_log=False) -> Inputs:
    """Check the arguments and read the log (and the registration form). Raises
    :class:`BatchUsageError` / :class:`RosterError`. Nothing is written. ``allow_empty_log``: a log
    with its header only is no error (``watch``: rows come as students scan)."""
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
    inputs = Inputs(shots, out, log, None, cfg, lang, references, roster, name_template=name_template,  # type: ignore[arg-type]
                    trust_order=trust_order)
    inputs.read_log(allow_empty=allow_empty_log)
    return inputs


def image_task(inputs: Inputs, f: ScannedFile) -> tuple:
    """The worker task that analyses camera file ``f``."""
    return ("img", f.path, f.rel, f.sha256, inputs.lang, inputs.verify, inputs.thumb_w, inputs.experimental)


def needs_analysis(journal: Journal, inputs: Inputs, f: ScannedFile) -> bool:
    """Whether ``f`` is an image to analyse: not a byte copy, and no journaled record of its bytes
    (a record made with the other experimental-rules setting is redone, not reused)."""
    if f.kind != "image" or f.duplicate_of is not None:
        return False
    done = journal.records.get(f.sha256 + ":img")
    return done is None or done.get("experimental", False) != inputs.experimental


def reference_tasks(inputs: Inputs, journal: Journal) -> tuple[dict[str, tuple[str, str]], list[tuple]]:
    """(student id → (path, sha) of each reference photo, the tasks for those not yet journaled)."""
    ref_files: dict[str, tuple[str, str]] = {}
    tasks: list[tuple] = []
    if inputs.references:
        for p in sorted(Path(inputs.references).iterdir(), key=lambda p: natural_key(p.name)):
            if p.is_file() and p.suffix.lower() in PHOTO_EXTENSIONS:
                sha = hashlib.sha256(p.read_bytes()).hexdigest()
                ref_files.setdefault(p.stem, (str(p), sha))
                if sha + ":ref" not in journal.records and not any(t[3] == sha for t in tasks):
                    tasks.append(("ref", str(p), p.name, sha, inputs.lang, inputs.verify, inputs.thumb_w, inputs.experimental))
    return ref_files, tasks


def keep_result(journal: Journal, kind: str, expected_sha: str, rec: dict) -> bool:
    """Journal one task's record, under the hash of the bytes it analysed. A crash is kept in
    memory only (``records``, under the hash the task expected: the report says why, a rerun tries
    again); a read that failed (renamed, deleted, locked) in ``unread``, not counted as done.
    Returns False when the file was not analysed as scanned (changed, or unreadable for now): its
    folder must be scanned again."""
    if rec.get("transient"):
        journal.unread[expected_sha + ":" + kind] = rec
        return False
    if rec.get("crashed"):
        journal.records[expected_sha + ":" + kind] = rec
        return True
    journal.add(rec["sha256"] + ":" + kind, rec)
    return not rec.get("changed")


def assemble(inputs: Inputs, files: list[ScannedFile], journal: Journal,
             ref_files: dict[str, tuple[str, str]], open_end: bool = False) -> tuple[dict, dict]:
    """(records by file name, the report) from the scanned files and the journal: the match,
    retakes and verdicts, for ``batch`` at its end and for ``watch`` after every frame
    (``open_end``: the shoot is still going, rows not reached yet are not missing)."""
    return build_report(files, inputs.log_rows, journal, ref_files, inputs.cfg, inputs.lang, inputs.shots,
                        inputs.log, inputs.references, inputs.registration, inputs.joins, inputs.trust_order,
                        open_end)


#: how many times a batch scans again for files that changed or moved while it read them
RESCANS = 3


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

    A file renamed, deleted or rewritten while the batch reads it (a tethering tool still at work)
    is never journaled under bytes it does not have: the folder is scanned again and what is there
    now is analysed.

    >>> from photocheck.batch import run_batch
    >>> r = run_batch("samples/shoot/shots", "samples/shoot/shots.csv", "out", workers=1)  # doctest: +SKIP
    >>> r.exit_code, [s["status"] for s in r.students][:3]  # doctest: +SKIP
    """
    inputs = prepare(shots_dir, log, out_dir, references=references, name_template=name_template, lang=lang,
                     settings=settings, roster=roster, trust_order=trust_order)
    workers = max(1, int(workers or os.cpu_count() or 1))
    out = inputs.out
    files = scan(inputs.shots)
    out.mkdir(parents=True, exist_ok=True)
    journal = Journal(out / STATE_DIR, lang)
    try:
        ref_files, ref_tasks = reference_tasks(inputs, journal)
        tasks = ref_tasks + [image_task(inputs, f) for f in files if needs_analysis(journal, inputs, f)]
        for attempt in range(RESCANS + 1):
            stale = _run_tasks(tasks, journal, workers, scheduler, progress)
            if not stale or attempt == RESCANS:
                break
            files = scan(inputs.shots)  # something moved or changed under us: look again
            tasks = [image_task(inputs, f) for f in files if needs_analysis(journal, inputs, f)]
        for key, rec in journal.unread.items():  # still unread after the rescans: the report says why
            journal.records.setdefault(key, rec)
        by_rel, report = assemble(inputs, files, journal, ref_files)
        write_outputs(report, inputs.log_rows, journal, by_rel, out, name_template, force, lang)
        stale_outputs(report, out, lang)
        paths = reports.write_all(report, out, lang)
    finally:
        journal.close()
    code = 0 if all(s["status"] == "ok" for s in report["students"]) else 1
    return BatchResult(str(out), report, code, paths)


def _run_tasks(tasks: list[tuple], journal: Journal, workers: int, scheduler, progress: bool) -> bool:
    """Run tasks, journaling each result; True when some file was not analysed as it was scanned."""
    if not tasks:
        return False
    stale = False
    bar = None
    # a progress bar only on a terminal: click prints its label as a stray line when stderr is a
    # file or a pipe (a script, CI, the operator's log file)
    if progress and _is_terminal(sys.stderr):
        import click

        bar = click.progressbar(length=len(tasks), label="photocheck batch", file=sys.stderr, show_pos=True)
        bar.__enter__()

    def on_result(t, rec):
        nonlocal stale
        stale |= not keep_result(journal, t[0], t[3], rec)

    tick = (lambda: bar.update(1)) if bar else (lambda: None)
    try:
        if scheduler is not None:
            run_dask(tasks, scheduler, on_result, tick, _task)
        else:
            run_local(tasks, workers, on_result, tick, _task)
    finally:
        if bar:
            bar.__exit__(None, None, None)
    return stale
