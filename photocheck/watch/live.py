"""The batch, live: judge each camera file in SHOTS_DIR once it is complete, and after each one
assign the frames to the log rows again with the batch's own matcher.

One thread (the *judge*) does all the work in order, so the journal and the report have one writer:

1. file events (:mod:`watchdog`) and a periodic rescan (the safety net for events a network share
   or a busy Windows machine loses) mark files to look at;
2. a file is read once it is complete (:mod:`.files`): a temporary name is never judged, a file
   that is still growing or locked waits (as "pending"), a file that never completes is judged
   as it is after ``timeout`` seconds without a change (unreadable: a truncated copy);
3. the bytes read are hashed and analysed (``photocheck.batch.work.analyse_file``, in this
   process: the models are loaded once) and journaled in ``OUT/.photocheck/`` exactly as the
   batch journals them (a journaled analysis of the same bytes is reused, so a restarted watch
   and the final ``photocheck batch`` analyse nothing twice);
4. the report is built from the journal with the batch's :func:`photocheck.batch.runner.assemble`
   (duplicates, the match with identity and time evidence, retakes, strangers, swaps, verdicts),
   and :mod:`.state` turns it into what the operator page shows.

A file rewritten after it was judged is judged again on its final bytes: the same frame (its
name), a new verdict. The log and the registration form are read again when they change on disk;
while one cannot be read (being saved), the previous rows stay and the state says so.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..batch.bilingual import Said
from ..batch.journal import STATE_DIR, Journal
from ..batch.roster import RosterError
from ..batch.runner import (
    Inputs,
    assemble,
    keep_result,
    needs_analysis,
    reference_tasks,
)
from ..batch.scan import ScannedFile, classify, list_files, mark_duplicates, rel_name
from ..batch.work import analyse_file, crashed_record, read_source, reference_record
from .files import complete, ignored
from .state import build_state, frame_id

log = logging.getLogger("photocheck.watch")

#: height of the annotated thumbnails the page shows
THUMB_HEIGHT = 480


_ARRIVALS = itertools.count()


@dataclass
class Entry:
    """One file under SHOTS_DIR (by its name) and what is known of it."""

    rel: str
    path: str
    stat: tuple[int, int] | None = None  # (size, mtime_ns) last seen
    changed_at: float = 0.0  # monotonic time the stat last changed
    read_stat: tuple[int, int] | None = None  # stat when the bytes were last read
    waiting: str = "new"  # why it is not judged yet ("" once judged)
    scanned: ScannedFile | None = None  # the judged bytes, as the batch's scan would list them
    judged_at: str | None = None
    seq: int = 0  # order of judgement: newest first on the page
    urgent: bool = False  # an event named it (a frame just taken): before the backlog
    live: bool = False  # written while the watch ran (not found at its start): may be the "current" frame
    arrived: int = field(default_factory=lambda: next(_ARRIVALS))  # order first seen: the newest frame is "current"
    next_look: float = 0.0  # when to read it again though it has not changed (settle, time-out)


@dataclass
class Options:
    """How files are judged. ``settle``: seconds without change before a file whose end is not
    marked (a JPEG without its end marker, formats without one) is tried; ``timeout``: seconds
    without change after which an incomplete file is judged as it is (unreadable); ``rescan``:
    seconds between full rescans of SHOTS_DIR; ``poll``: use polling instead of OS file events
    (network shares that give no events)."""

    settle: float = 1.0
    timeout: float = 10.0
    rescan: float = 2.0
    poll: bool = False


@dataclass
class Snapshot:
    version: int = 0
    state: dict = field(default_factory=dict)
    thumbs: dict[str, str] = field(default_factory=dict)  # frame id → content hash of the judged bytes
    body: bytes = b"{}"  # the state as JSON, made once per version (every page fetches it after each event)


class LiveBatch:
    """The live pipeline over one SHOTS_DIR, log and OUT. :meth:`start` it, read :meth:`snapshot`
    (or wait for a change with :meth:`wait_change`), :meth:`stop` it.

    >>> from photocheck.batch.runner import prepare
    >>> live = LiveBatch(prepare("shots", "shots.csv", "out"))  # doctest: +SKIP
    >>> live.start(); live.wait_change(0, 30).state["counts"]  # doctest: +SKIP
    """

    def __init__(self, inputs: Inputs, options: Options | None = None, *, clock=time.monotonic):
        self.inputs = inputs
        self.opt = options or Options()
        self.clock = clock
        self.root = os.path.abspath(inputs.shots)
        inputs.out.mkdir(parents=True, exist_ok=True)
        self.journal = Journal(inputs.out / STATE_DIR, inputs.lang)
        self.thumbs = inputs.out / STATE_DIR / "thumbs"
        self.thumbs.mkdir(exist_ok=True)
        self.entries: dict[str, Entry] = {}
        self.ref_files: dict[str, tuple[str, str]] = {}
        self._ref_tasks: list[tuple] = []
        self.log_note: str | None = None
        self.folder_note: str | None = None
        self._log_stat = self._input_stats()
        self._seq = 0
        self._lock = threading.Lock()  # guards entries' urgent flags and the event set
        self._events: dict[str, None] = {}  # in the order the events came: a new entry's arrival order
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._snap = Snapshot()
        self._thread: threading.Thread | None = None
        self._observer = None
        self.analysed = 0  # analyses run by this watch (journal reuse counts none)
        self.error: str | None = None

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start watching (file events + rescans) and judging, in background threads."""
        self._observer = _observer(self.root, self.notify, self.opt.poll)
        self._thread = threading.Thread(target=self._run, name="photocheck-watch-judge", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask everything to stop, without waiting: open event streams end at once (Ctrl-C)."""
        self._stop.set()
        self._wake.set()
        with self._changed:
            self._changed.notify_all()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop watching; the analysis under way finishes and is journaled first."""
        self.request_stop()
        if self._observer is not None:
            self._observer.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._observer is not None:
            self._observer.join(5)
        self.journal.close()
        with self._changed:
            self._changed.notify_all()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # -- reading the state ----------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return self._snap

    def wait_change(self, version: int, timeout: float) -> Snapshot:
        """The snapshot once its version is past ``version`` (or after ``timeout`` seconds)."""
        with self._changed:
            self._changed.wait_for(lambda: self._snap.version > version or self.stopped, timeout)
            return self._snap

    def _thumb_path(self, digest: str) -> Path:
        return self.thumbs / f"{digest}.{self.inputs.lang}.jpg"  # its labels are in the page's language

    def thumbnail(self, frame_id: str) -> bytes | None:
        """The annotated thumbnail of a frame (JPEG), or the batch's small one when the frame was
        analysed before (a restarted watch), or None."""
        digest = self._snap.thumbs.get(frame_id)  # the published state's: entries belong to the judge thread
        if digest is None:
            return None
        p = self._thumb_path(digest)
        if p.exists():
            return p.read_bytes()
        rec = self.journal.records.get(digest + ":img")
        if rec and rec.get("thumb"):
            import base64

            return base64.b64decode(rec["thumb"])
        return None

    # -- events ---------------------------------------------------------------------------------
    def notify(self, path: str) -> None:
        """A file event for ``path`` (created, modified, moved here, deleted): look at it soon."""
        path = os.path.abspath(path)
        inside = os.path.normcase(path)  # Windows: C:\Shots and c:\shots are one folder
        if not inside.startswith(os.path.normcase(self.root) + os.sep):
            return
        rel = rel_name(path, self.root)
        if rel == "." or ignored(rel):
            return
        with self._lock:
            self._events[rel] = None
        self._wake.set()

    # -- the judge thread -------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self.ref_files, tasks = reference_tasks(self.inputs, self.journal)
            row = {r.student_id: k for k, r in enumerate(self.inputs.log_rows.rows) if r.student_id}
            self._ref_tasks = sorted(tasks, key=lambda t: row.get(Path(t[2]).stem, len(row)))  # the log's order
            self._rescan(startup=True)
            self._publish()
            self._warm_up()
        except Exception as e:
            self._failed(e)
        last_scan = self.clock()
        while not self._stop.is_set():
            self._wake.wait(0.2)
            self._wake.clear()
            try:
                changed = self.error is not None
                rescan = self.clock() - last_scan >= self.opt.rescan
                if rescan:
                    last_scan = self.clock()
                    changed |= self._rescan()
                changed |= self._step_all()
                # the log is looked at on every turn, just before publishing: the code reader appends
                # a row a second before the shutter, and the frame must not be shown unmatched meanwhile
                changed |= self._reload_log(retry=rescan)
                if changed:
                    self.error = None
                    self._publish()
            except Exception as e:  # a bug must not freeze the page silently: it says so, and goes on
                self._failed(e)
                self._stop.wait(1.0)

    def _failed(self, e: Exception) -> None:
        log.exception("watch: %s", e)
        self.error = f"{type(e).__name__}: {e}"
        with self._changed:
            state = {**self._snap.state, "error": self.error, "version": self._snap.version + 1}
            self._snap = Snapshot(state["version"], state, self._snap.thumbs,
                                  json.dumps(state, ensure_ascii=False).encode())
            self._changed.notify_all()

    def _warm_up(self) -> None:
        """Create the models and analyse a blank frame (journaled nowhere), so that the first photo
        of the shoot is not the one that waits seconds for them."""
        from PIL import Image

        from ..inference import get_models

        get_models().warm_up()  # every model at the sizes a camera frame and its upload file use
        # camera-sized, so the reduced decode a camera original takes is the one warmed
        buf = io.BytesIO()
        Image.new("RGB", (4200, 2800), (100, 197, 255)).save(buf, "JPEG", quality=90)
        inp = self.inputs
        analyse_file(buf.getvalue(), "warm-up.jpg", None, inp.lang, inp.verify, inp.thumb_w, inp.experimental,
                     annotate_height=THUMB_HEIGHT)

    def _reference(self) -> None:
        """Analyse the next reference photo (in the log's order): one at a time, between frames, so
        a watch started with hundreds of references judges the first student's frame at once (rows
        whose reference is not analysed yet are matched without it, as the batch does)."""
        t = self._ref_tasks.pop(0)
        try:
            rec = reference_record(t[1], t[2], t[3], t[4])
        except Exception as e:  # as the batch: a bug on one photo is reported, not fatal
            rec = crashed_record("ref", t[2], t[3], f"{type(e).__name__}: {e}")
        keep_result(self.journal, "ref", t[3], rec)

    def _rescan(self, startup: bool = False) -> bool:
        """List SHOTS_DIR: new files, files gone (renamed away, deleted), files whose size or time
        changed since they were read (a rewrite whose events were lost)."""
        seen = set()
        changed = False
        gone = not os.path.isdir(self.root)
        if gone != (self.folder_note is not None):  # a card pulled out, a share disconnected, and back
            zh = self.inputs.lang == "zh"
            self.folder_note = None if not gone else (
                f"照片文件夹 {self.root} 现在无法访问（存储卡被拔出或网络断开？），显示的是之前的结果。" if zh else
                f"the shots folder {self.root} cannot be reached now (card removed, share disconnected?); "
                "the results shown are from before.")
            changed = True
        if gone:
            return changed  # keep what was judged: the files are not deleted, only out of reach
        for p in list_files(self.root):
            rel = rel_name(p, self.root)
            if ignored(rel):
                continue
            seen.add(rel)
            e = self.entries.get(rel)
            if e is None:
                self.entries[rel] = Entry(rel, p, urgent=not startup)
            elif not e.waiting and _stat(p) != e.read_stat:
                e.urgent = True
        for rel in list(self.entries):
            if rel not in seen and not os.path.lexists(self.entries[rel].path):
                self.entries.pop(rel)
                changed = True  # a judged or a pending frame leaves the page
        return changed

    def _step_all(self) -> bool:
        """Look at the files events named (a frame just taken) first, then at the files not judged
        yet — at most one analysis of those per call, so a new frame never waits behind a backlog."""
        with self._lock:
            events, self._events = self._events, {}
        changed = False
        for rel in events:
            e = self.entries.get(rel)
            if e is None:
                p = os.path.join(self.root, *rel.split("/"))
                if os.path.isdir(p):  # a folder moved or copied in: its files are new frames
                    for q in list_files(p):
                        r = rel_name(q, self.root)
                        if not ignored(r):
                            self.entries.setdefault(r, Entry(r, q)).urgent = True
                    continue
                if not os.path.isfile(p):
                    continue  # gone already
                e = self.entries[rel] = Entry(rel, p)
            e.urgent = True
        urgent = sorted((e for e in self.entries.values() if e.urgent), key=lambda e: _natural(e.rel))
        for e in urgent:
            if self._stop.is_set():
                return changed
            changed |= self._step(e) != "same"
        if self._ref_tasks:
            self._reference()
            return True
        t0 = self.clock()
        for e in sorted((e for e in self.entries.values() if e.waiting and not e.urgent), key=lambda e: _natural(e.rel)):
            if self._stop.is_set() or self.clock() - t0 > 0.3:  # new events first, then go on
                break
            result = self._step(e)
            changed |= result != "same"
            if result == "analysed":
                break
        return changed

    def _step(self, e: Entry) -> str:
        """Look at one file. Returns "same", "changed" (its state changed) or "analysed"."""
        now = self.clock()
        e.live |= e.urgent
        e.urgent = False
        if self.folder_note is not None:
            return "same"  # the folder is out of reach: nothing to learn about this file now
        if not os.path.lexists(e.path):  # renamed away or deleted: a new name is another entry
            self.entries.pop(e.rel, None)
            return "changed"
        stat = _stat(e.path)
        if stat != e.stat:
            e.stat, e.changed_at, e.next_look = stat, now, now
        quiet = now - e.changed_at
        if stat == e.read_stat and (not e.waiting or now < e.next_look):
            return "same"  # nothing new since it was read
        data, sha, err = read_source(e.path, e.rel)
        e.read_stat = stat
        if data is None:  # locked (Windows: still being written) or gone between stat and open
            return self._wait(e, f"cannot read yet: {err['en']}", now, err)
        if e.scanned is not None and sha == e.scanned.sha256 and not e.waiting:
            return "same"  # only its time changed (touched, or written again with the same bytes)
        whole = complete(data)
        if whole is not True and quiet < self.opt.settle:
            return self._wait(e, "incomplete: still being written" if whole is False else "still changing", now)
        sf = classify(e.path, e.rel, len(data), sha, data[:16])
        result = "changed"
        if sf.kind == "image" and needs_analysis(self.journal, self.inputs, sf):
            rec = self._analyse(data, e.rel, sha)
            result = "analysed"
            # a file that does not decode may still be growing (a paused download): it is judged as
            # it is only at the time-out. One that decodes is judged now, though its end is not the
            # JPEG end marker (some phones append their own data after it)
            if rec.get("kind") == "unreadable" and quiet < (self.opt.timeout if whole is False else self.opt.settle):
                self._wait(e, "does not decode yet", now)
                return result
        self._done(e, sf)
        return result

    def _wait(self, e: Entry, why: str, now: float, err: dict | None = None) -> str:
        """Not ready: look again when it changes, when it has settled, or at the time-out."""
        quiet = now - e.changed_at
        if err is not None and quiet >= self.opt.timeout:  # never became readable: say so, journal nothing
            e.read_stat = None  # and try again at every rescan: a lock can go away without a change
            if e.scanned is not None and e.scanned.sha256 is None and not e.waiting:
                return "same"  # still unreadable: the same verdict, not a new one
            self._done(e, ScannedFile(e.path, e.rel, 0, None, "unreadable",
                                      Said(f"cannot read: {err['en']}", f"无法读取：{err['zh']}", "cannot_read")))
            return "changed"
        e.next_look = e.changed_at + (self.opt.settle if quiet < self.opt.settle else self.opt.timeout)
        if err is not None:
            e.next_look = min(e.next_look, now + 0.2)  # a lock goes away without the file changing
        was = e.waiting
        e.waiting = why
        if e.scanned is not None and not was:  # a judged file changes again (a plugin rewrites it): its
            return "changed"  # verdict stays on the page, marked as being checked again, until re-judged
        return "same" if was == why else "changed"

    def _analyse(self, data: bytes, rel: str, sha: str) -> dict:
        inp = self.inputs
        t0 = time.perf_counter()
        try:
            rec = analyse_file(data, rel, None, inp.lang, inp.verify, inp.thumb_w, inp.experimental,
                               annotate_height=THUMB_HEIGHT)
        except Exception as e:  # as the batch's worker: a bug on one file is reported, not fatal
            rec = crashed_record("img", rel, sha, f"{type(e).__name__}: {e}")
        annotated = rec.pop("annotated", None)
        if annotated and rec.get("sha256"):
            from ..batch.atomic import atomic_write

            atomic_write(self._thumb_path(rec["sha256"]), annotated)
        keep_result(self.journal, "img", sha, rec)
        self.analysed += 1
        log.info("analysed %s in %.2f s", rel, time.perf_counter() - t0)
        return rec

    def _done(self, e: Entry, sf: ScannedFile) -> None:
        self._seq += 1
        e.scanned, e.waiting, e.seq = sf, "", self._seq
        e.judged_at = datetime.now().astimezone().isoformat(timespec="seconds")

    # -- the log and the registration form --------------------------------------------------------
    def _input_stats(self) -> tuple:
        out = []
        for p in (self.inputs.log, self.inputs.roster):
            try:
                st = os.stat(p) if p else None
                out.append(None if st is None else (st.st_size, st.st_mtime_ns))
            except OSError:
                out.append("gone")
        return tuple(out)

    def _reload_log(self, retry: bool = False) -> bool:
        """Read the log (and the form) again if either changed on disk (two stats: cheap enough for
        every turn), or, with ``retry``, if the last read failed (a lock goes away without a change)."""
        stats = self._input_stats()
        if stats == self._log_stat and not (retry and self.log_note):
            return False
        self._log_stat = stats
        before = (self.inputs.log_rows, self.inputs.registration, self.inputs.joins)
        try:
            self.inputs.read_log()
            self.log_note = None
        except (RosterError, OSError) as e:  # being saved right now: keep the rows we had
            self.inputs.log_rows, self.inputs.registration, self.inputs.joins = before
            msg = e.message(self.inputs.lang) if hasattr(e, "message") else str(e)
            n = len(before[0].rows)
            self.log_note = (f"记录表暂时无法读取（{msg}），仍使用之前读到的 {n} 行；保存完成后会自动重新读取。"
                             if self.inputs.lang == "zh" else
                             f"the log cannot be read right now ({msg}); still using the {n} rows read before. "
                             "It is read again once it is saved.")
        return True

    # -- publishing -------------------------------------------------------------------------------
    def _judged_files(self) -> list[ScannedFile]:
        entries = sorted(self.entries.values(), key=lambda e: e.rel)
        judged = [e.scanned for e in entries if e.scanned is not None]  # a file being rewritten: its last bytes
        return mark_duplicates(sorted(judged, key=lambda f: _natural(f.rel)))

    def not_confirmed_if_closed(self) -> tuple[list[str], list[str]]:
        """(shot numbers shown OK now that the final batch would not confirm if the shoot ended
        here, the logged shot numbers without a photo). While the shoot goes on, rows not reached
        yet are not missing; at the end they are, and two rows never photographed can make the
        camera clock fit one student later almost as well — the batch then trusts no time match.
        Called after :meth:`stop`, for the hand-over message (one matcher run, no analysis)."""
        files = self._judged_files()
        _, live = assemble(self.inputs, files, self.journal, self.ref_files, open_end=True)
        _, closed = assemble(self.inputs, files, self.journal, self.ref_files, open_end=False)
        ok_closed = {s["shot_no"] for s in closed["students"] if s["status"] == "ok"}
        lost = [s["shot_no"] for s in live["students"] if s["status"] == "ok" and s["shot_no"] not in ok_closed]
        missing = [s["shot_no"] for s in live["students"] if s["status"] == "missing"]  # incl. "not reached yet"
        return lost, missing

    def _publish(self) -> None:
        entries = sorted(self.entries.values(), key=lambda e: e.rel)
        files = self._judged_files()
        by_rel, report = assemble(self.inputs, files, self.journal, self.ref_files, open_end=True)
        state = build_state(report, entries, self.journal, self.inputs, by_rel)
        for note in (self.log_note, self.folder_note):
            if note:
                state["notes"].insert(0, note)
        thumbs = {frame_id(e.rel): e.scanned.sha256 for e in entries
                  if e.scanned is not None and e.scanned.sha256}
        with self._changed:
            state["version"] = self._snap.version + 1
            body = json.dumps(state, ensure_ascii=False).encode()
            self._snap = Snapshot(state["version"], state, thumbs, body)
            self._changed.notify_all()


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _natural(rel: str):
    from ..batch.roster import natural_key

    return natural_key(rel)


#: watchdog event types that say a file's bytes or name changed ("closed": after writing)
_CHANGES = frozenset({"created", "modified", "moved", "deleted", "closed"})


def _observer(root: str, notify, poll: bool):
    """A watchdog observer calling ``notify(path)`` for every file event under ``root``: the OS's
    own events (inotify, ReadDirectoryChangesW, FSEvents), or polling (network shares)."""
    from watchdog.events import FileSystemEventHandler

    if poll:
        from watchdog.observers.polling import PollingObserver as Observer
    else:
        from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event):
            # "opened" / "closed_no_write" (inotify) come from any reader, this one included: not news
            if event.event_type not in _CHANGES or (event.is_directory and event.event_type != "moved"):
                return
            for p in (event.src_path, getattr(event, "dest_path", "")):
                if p:
                    notify(os.fsdecode(p))

    obs = Observer()
    obs.schedule(Handler(), root, recursive=True)
    obs.daemon = True
    obs.start()
    return obs


__all__ = ["Entry", "LiveBatch", "Options", "Snapshot"]
