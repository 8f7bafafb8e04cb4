"""photocheck watch: files played into a folder the way tethering tools write them, judged once each
by the batch's own analysis and matcher, served to the operator page, and handed over to batch.

Real camera-size frames of real faces (samples/shoot), the real models (loaded once per process).
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from photocheck.batch import run_batch
from photocheck.batch.journal import STATE_DIR
from photocheck.batch.runner import prepare
from photocheck.watch.files import complete, ignored
from photocheck.watch.live import LiveBatch, Options

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "samples" / "shoot" / "shots"
LOG = ROOT / "samples" / "shoot" / "shots.csv"
REFS = ROOT / "samples" / "shoot" / "references"
FAST = Options(settle=0.5, timeout=2.5, rescan=0.5)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wait_for(live: LiveBatch, pred, timeout: float = 60.0) -> dict:
    """The first state for which ``pred(state)`` holds (fails after ``timeout`` seconds)."""
    end = time.monotonic() + timeout
    snap = live.snapshot()
    while not pred(snap.state) if snap.state else True:
        left = end - time.monotonic()
        assert left > 0, f"timed out; last state: {json.dumps(snap.state, ensure_ascii=False)[:2000]}"
        snap = live.wait_change(snap.version, min(left, 1.0))
    return snap.state


def frame(state: dict, rel: str) -> dict | None:
    found = [f for f in state["frames"] if f["file"] == rel]
    assert len(found) <= 1, f"{rel} shown {len(found)} times"
    return found[0] if found else None


def judged(*rels: str):
    return lambda st: all((f := frame(st, r)) is not None and f["status"] != "pending" for r in rels)


def shows_bytes(live: LiveBatch, state: dict, rel: str, data: bytes) -> bool:
    """Whether ``state`` shows the verdict on these bytes of the file (a thumbnail's ``v`` is the
    judgement it belongs to)."""
    e = live.entries.get(rel)
    f = frame(state, rel)
    return (e is not None and e.scanned is not None and e.scanned.sha256 == sha(data) and f is not None
            and f["thumb"] is not None and f["thumb"].endswith(f"v={e.seq}"))


def with_exif_artist(data: bytes, artist: str) -> bytes:
    """The photo as a tethering tool's plugin rewrites it: EXIF changed (capture time kept)."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    exif = im.getexif()
    exif.get_ifd(0x8769)  # load the Exif sub-IFD (capture time) so that it is written back
    exif[0x013B] = artist
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality="keep", exif=exif.tobytes())
    return buf.getvalue()


@pytest.fixture(scope="session")
def ref_records() -> list[tuple[str, dict]]:
    """The reference photos' journal records, made once: each test's OUT starts with them, as a
    journal reused from an earlier run would (the records are keyed by content)."""
    from photocheck.batch.work import reference_record

    return [(f"{sha(p.read_bytes())}:ref", reference_record(str(p), p.name)) for p in sorted(REFS.iterdir())]


def seed(out: Path, records: list[tuple[str, dict]]) -> None:
    from photocheck.batch.journal import Journal

    j = Journal(out / STATE_DIR, "zh")
    for key, rec in records:
        j.add(key, dict(rec))
    j.close()


@pytest.fixture
def watching(tmp_path, ref_records):
    """Start a LiveBatch on an empty folder (references given); stop it after the test."""
    started = []

    def start(log=LOG, options=FAST, references=REFS, shots=None, out=None):
        shots = shots or tmp_path / "shots"
        shots.mkdir(exist_ok=True)
        out = out or tmp_path / "out"
        if references and not (out / STATE_DIR / "journal.jsonl").exists():
            seed(out, ref_records)
        live = LiveBatch(prepare(shots, log, out, references=references), options)
        live.start()
        started.append(live)
        wait_for(live, lambda st: st["version"] >= 1)
        return live, shots

    yield start
    for live in started:
        live.stop()


# -- completeness of a file (pure) --------------------------------------------------------------

def test_a_camera_jpeg_is_complete_only_when_all_of_it_is_there():
    data = (SHOTS / "DSC_0412.JPG").read_bytes()
    assert complete(data) and complete(data + b"\0" * 512)  # cameras pad after the end marker
    cuts = list(range(1, 4096, 97)) + list(range(4096, len(data) - 1, len(data) // 97)) + [len(data) - 1]
    assert not any(complete(data[:n]) for n in cuts)
    png = (ROOT / "samples" / "upload").glob("*.png")
    for p in list(png)[:1]:
        b = p.read_bytes()
        assert complete(b) and not complete(b[:-20])


def test_temporary_names_are_never_frames():
    for rel in ("tmpfileX1y2Z3", "sub/tmpfilea0B9cd", "DSC_0001.JPG.part", "DSC_0001.JPG.crdownload", "~DSC_0001.JPG",
                ".DSC_0001.JPG.Xy12", "DSC_0001.tmp", "Thumbs.db", ".hidden/DSC_0001.JPG", "DSC_0001.JPG~"):
        assert ignored(rel), rel
    for rel in ("DSC_0001.JPG", "IMG_1234.jpeg", "2026/六月/012.jpg", "tmpfile_from_camera.jpg", "a.b.JPG"):
        assert not ignored(rel), rel


# -- files played the three ways, duplicate events, a truncated file ---------------------------------

def test_files_written_as_tethering_tools_write_them_get_one_verdict_each(watching):
    live, shots = watching()
    seen_unreadable: set[str] = set()
    history = threading.Thread(target=_record_unreadable, args=(live, seen_unreadable), daemon=True)
    history.start()

    # gphoto2: a temporary name, renamed when the download is complete
    tmp = shots / "tmpfileQ7rT2x"
    tmp.write_bytes((SHOTS / "DSC_0412.JPG").read_bytes())
    tmp.rename(shots / "DSC_0412.JPG")
    # darktable: streamed into the final name, with pauses
    data = (SHOTS / "DSC_0413.JPG").read_bytes()
    with open(shots / "DSC_0413.JPG", "wb") as fh:
        for k in range(0, len(data), len(data) // 5 + 1):
            fh.write(data[k:k + len(data) // 5 + 1])
            fh.flush()
            time.sleep(0.3)  # longer than the settle time: a growing file must not look finished
    st = wait_for(live, judged("DSC_0412.JPG", "DSC_0413.JPG"))
    assert frame(st, "DSC_0412.JPG")["shot_no"] == "1" and frame(st, "DSC_0413.JPG")["shot_no"] == "2"
    assert live.analysed == 2  # the partial download was never analysed

    # digiCamControl: copied, then rewritten with changed EXIF once judged
    first = (SHOTS / "DSC_0414.JPG").read_bytes()
    shutil.copyfile(SHOTS / "DSC_0414.JPG", shots / "DSC_0414.JPG")
    wait_for(live, judged("DSC_0414.JPG"))
    final = with_exif_artist(first, "Studio A")
    (shots / "DSC_0414.JPG").write_bytes(final)
    st = wait_for(live, lambda st: shows_bytes(live, st, "DSC_0414.JPG", final))
    f = frame(st, "DSC_0414.JPG")
    assert (f["shot_no"], f["name"], f["verdict"]) == ("3", "张敏", "retake")  # the blink frame: eyes closed
    assert any(p["rule"] == "eyes.open" for p in f["problems"])
    assert st["current"]["shot_no"] == "3" and st["current"]["verdict"] == "retake"
    assert st["next"]["shot_no"] == "4"
    analysed = live.analysed
    assert analysed == 4  # the copy and its rewrite: two sets of bytes, one frame

    # duplicate events (and a touch that changes nothing): no new verdict, nothing analysed again
    for _ in range(5):
        live.notify(str(shots / "DSC_0412.JPG"))
    os.utime(shots / "DSC_0413.JPG")
    # a truncated copy that never completes: unreadable after the time-out, nothing else
    cut = (SHOTS / "DSC_0416.JPG").read_bytes()
    (shots / "DSC_0416.JPG").write_bytes(cut[: len(cut) // 2])
    st = wait_for(live, judged("DSC_0416.JPG"), timeout=30)
    assert frame(st, "DSC_0416.JPG")["status"] == "unreadable"
    assert frame(st, "DSC_0416.JPG")["verdict"] == "retake" and frame(st, "DSC_0416.JPG")["shot_no"] is None
    time.sleep(1.0)  # a rescan or two
    st = live.snapshot().state
    assert live.analysed == analysed + 1  # only the truncated file's bytes
    assert [f["file"] for f in st["frames"]] == ["DSC_0416.JPG", "DSC_0414.JPG", "DSC_0413.JPG", "DSC_0412.JPG"]
    assert seen_unreadable == {"DSC_0416.JPG"}  # never a false "unreadable", not even for a moment
    assert not (shots / "tmpfileQ7rT2x").exists() and sorted(p.name for p in shots.iterdir()) == [
        "DSC_0412.JPG", "DSC_0413.JPG", "DSC_0414.JPG", "DSC_0416.JPG"]  # SHOTS_DIR only read


def test_the_current_student_stays_while_a_frame_is_rewritten_and_when_an_older_copy_times_out(watching):
    # the operator's "current" must not jump back to the previous student while digiCamControl
    # rewrites the new frame, nor to an older truncated copy judged at its time-out
    live, shots = watching()
    shutil.copyfile(SHOTS / "DSC_0412.JPG", shots / "DSC_0412.JPG")
    wait_for(live, judged("DSC_0412.JPG"))
    cut = (SHOTS / "DSC_0413.JPG").read_bytes()
    (shots / "DSC_0411.JPG").write_bytes(cut[: len(cut) // 2])  # a copy that stopped: never completes
    shutil.copyfile(SHOTS / "DSC_0413.JPG", shots / "DSC_0413.JPG")  # the next student's frame
    wait_for(live, lambda st: judged("DSC_0413.JPG")(st) and st["current"]["frame_id"] == frame(st, "DSC_0413.JPG")["id"])
    states: list[dict] = []
    rec = threading.Thread(target=_record_states, args=(live, states), daemon=True)
    rec.start()
    final = with_exif_artist(cut, "Studio A")
    with open(shots / "DSC_0413.JPG", "wb") as fh:  # the plugin rewrites it, in pieces
        for k in range(0, len(final), len(final) // 4 + 1):
            fh.write(final[k:k + len(final) // 4 + 1])
            fh.flush()
            time.sleep(0.4)
    st = wait_for(live, lambda st: shows_bytes(live, st, "DSC_0413.JPG", final) and judged("DSC_0411.JPG")(st), timeout=30)
    assert frame(st, "DSC_0411.JPG")["status"] == "unreadable"
    time.sleep(0.5)
    for state in [*states, live.snapshot().state]:
        assert frame(state, "DSC_0413.JPG")["shot_no"] == "2", frame(state, "DSC_0413.JPG")
        assert state["current"]["shot_no"] == "2", state["current"]


def _record_states(live: LiveBatch, out: list[dict]) -> None:
    v = live.snapshot().version
    while not live.stopped:
        snap = live.wait_change(v, 0.5)
        if snap.version != v:
            out.append(snap.state)
        v = snap.version


def _record_unreadable(live: LiveBatch, out: set[str]) -> None:
    v = 0
    while not live.stopped:
        snap = live.wait_change(v, 0.5)
        v = snap.version
        out |= {f["file"] for f in snap.state.get("frames", []) if f["status"] == "unreadable"}


# -- the log re-read during the shoot -----------------------------------------------------------------

def test_log_rows_added_during_the_shoot_are_read_and_a_half_saved_log_keeps_the_rows(watching, tmp_path):
    lines = LOG.read_text(encoding="utf-8-sig").splitlines()
    log = tmp_path / "log.csv"
    log.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")  # the code reader has scanned one student
    live, shots = watching(log=log, references=None)
    shutil.copyfile(SHOTS / "DSC_0412.JPG", shots / "DSC_0412.JPG")
    st = wait_for(live, judged("DSC_0412.JPG"))
    assert frame(st, "DSC_0412.JPG")["shot_no"] == "1" and len(st["students"]) == 1

    log.write_bytes(b"")  # being saved: empty for a moment
    st = wait_for(live, lambda st: any("1" in n and ("之前" in n or "before" in n) for n in st["notes"]))
    assert [s["shot_no"] for s in st["students"]] == ["1"]  # the rows read before are kept
    log.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")  # saved, with the next student
    shutil.copyfile(SHOTS / "DSC_0413.JPG", shots / "DSC_0413.JPG")
    st = wait_for(live, lambda st: judged("DSC_0413.JPG")(st) and len(st["students"]) == 2)
    assert frame(st, "DSC_0413.JPG")["shot_no"] == "2" and frame(st, "DSC_0413.JPG")["name"] == "李娜"
    assert not any("之前" in n for n in st["notes"])


def test_a_frame_taken_just_after_its_row_was_scanned_is_matched_to_it_at_once(watching, tmp_path):
    # the code reader appends the row and the shutter follows a second later: the frame's first
    # verdict must already know the row (not 请核对 · 未匹配 until the next rescan of the folder)
    lines = LOG.read_text(encoding="utf-8-sig").splitlines()
    log = tmp_path / "log.csv"
    log.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    live, shots = watching(log=log, options=Options(settle=0.5, timeout=2.5, rescan=60))
    shutil.copyfile(SHOTS / "DSC_0412.JPG", shots / "DSC_0412.JPG")
    wait_for(live, judged("DSC_0412.JPG"))
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(lines[2] + "\n")
    shutil.copyfile(SHOTS / "DSC_0413.JPG", shots / "tmpfileQa21xy")
    os.replace(shots / "tmpfileQa21xy", shots / "DSC_0413.JPG")
    st = wait_for(live, judged("DSC_0413.JPG"), timeout=20)
    assert (frame(st, "DSC_0413.JPG")["status"], frame(st, "DSC_0413.JPG")["shot_no"]) == ("used", "2")


def test_watch_starts_before_the_first_student_has_scanned(tmp_path, monkeypatch):
    # the operator starts watch before the first student: the code reader's log has its header only
    from click.testing import CliRunner

    from photocheck.cli import watch as cli_watch

    lines = LOG.read_text(encoding="utf-8-sig").splitlines()
    log = tmp_path / "log.csv"
    log.write_text(lines[0] + "\n", encoding="utf-8")
    shots = tmp_path / "shots"
    shots.mkdir()
    seen = {}

    class Server:  # the page's server, replaced by the shoot: runs until "Ctrl+C"
        def __init__(self, app):
            self.live = app.live

        def run(self):
            live = self.live
            wait_for(live, lambda st: st["version"] >= 1)
            shutil.copyfile(SHOTS / "DSC_0412.JPG", shots / "DSC_0412.JPG")  # shot before the scan reached the log
            seen["before"] = frame(wait_for(live, judged("DSC_0412.JPG")), "DSC_0412.JPG")
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(lines[1] + "\n")
            st = wait_for(live, lambda st: frame(st, "DSC_0412.JPG")["shot_no"] == "1", timeout=20)
            seen["after"], seen["notes"] = frame(st, "DSC_0412.JPG"), st["notes"]

        def close(self):
            pass

    monkeypatch.setattr(cli_watch, "make_server", lambda app, host, port: Server(app))
    monkeypatch.setattr(cli_watch, "bound_port", lambda server: 8765)
    res = CliRunner().invoke(cli_watch.watch_cmd, [str(shots), "--log", str(log), "--out", str(tmp_path / "out"),
                                                   "--no-browser", "--timeout", "2"])
    assert res.exit_code == 0 and res.exception is None, res.output
    assert seen["before"]["status"] == "unmatched" and seen["before"]["student_id"] is None  # no student guessed
    assert seen["after"]["status"] == "used" and seen["after"]["student_id"] == "2026001"
    assert not any("数据行" in n for n in seen["notes"])


# -- the HTTP API ------------------------------------------------------------------------------------

def test_api_serves_state_thumbnails_and_an_event_within_a_second_of_each_verdict(watching):
    from photocheck.watch.app import WatchApp
    from photocheck.watch.server import bound_port, make_server

    live, shots = watching()
    server = make_server(WatchApp(live, max_streams=2), "127.0.0.1", 0)
    port = bound_port(server)
    threading.Thread(target=server.run, daemon=True).start()
    events: list[tuple[float, int]] = []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/events")
        stream = conn.getresponse()
        assert stream.status == 200 and stream.getheader("Content-Type").startswith("text/event-stream")

        def read_events():
            for line in stream:
                if line.startswith(b"data:"):
                    events.append((time.monotonic(), json.loads(line[5:])["version"]))

        threading.Thread(target=read_events, daemon=True).start()
        shutil.copyfile(SHOTS / "DSC_0412.JPG", shots / "DSC_0412.JPG")
        st = wait_for(live, judged("DSC_0412.JPG"))
        published = time.monotonic()
        deadline = published + 1.0
        while not any(v >= st["version"] for _, v in events) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert any(v >= st["version"] for _, v in events), "no event within a second of the verdict"

        def get(path, host=f"127.0.0.1:{port}"):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", path, headers={"Host": host})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()

        status, headers, body = get("/api/state")
        state = json.loads(body)
        assert status == 200 and headers["Cache-Control"] == "no-store" and "script-src 'self'" in headers["Content-Security-Policy"]
        f = frame(state, "DSC_0412.JPG")
        assert (f["shot_no"], f["student_id"], f["verdict"]) == ("1", "2026001", "ok")
        assert state["students"][0]["file"] == "DSC_0412.JPG" and state["counts"]["ok"] == 1
        status, headers, body = get(f["thumb"])
        from PIL import Image

        thumb = Image.open(io.BytesIO(body))
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and thumb.height <= 480
        assert get("/healthz")[0] == 200
        assert get("/api/state", host="evil.example:80")[0] == 421  # DNS rebinding refused
        assert get("/api/thumb/0000000000000000.jpg")[0] == 404
        assert get("/static/../live.py")[0] == 404
        # a stream beyond max_streams is refused instead of taking the page's last threads
        c2 = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c2.request("GET", "/api/events")
        r2 = c2.getresponse()
        c3 = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c3.request("GET", "/api/events")
        assert c3.getresponse().status == 503 and get("/api/state")[0] == 200
        r2.close()
    finally:
        live.stop()
        server.close()


# -- journal correctness (the batch) ------------------------------------------------------------------

def _journal(out: Path, kind: str = "image") -> list[dict]:
    lines = (out / STATE_DIR / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] != "ref" or kind == "ref"]


def one_row(tmp_path: Path, shot: int) -> tuple[Path, Path]:
    """A log of one row (shot ``shot`` of the sample) and a references folder with its student."""
    lines = LOG.read_text(encoding="utf-8-sig").splitlines()
    log = tmp_path / "log.csv"
    log.write_text("\n".join([lines[0], lines[shot]]) + "\n", encoding="utf-8")
    refs = tmp_path / "refs"
    refs.mkdir()
    sid = lines[shot].split(",")[1]
    shutil.copyfile(REFS / f"{sid}.jpg", refs / f"{sid}.jpg")
    return log, refs


def test_batch_a_file_renamed_after_the_scan_is_not_journaled_unreadable(tmp_path, monkeypatch):
    from photocheck.batch import runner

    shots = tmp_path / "shots"
    shots.mkdir()
    data = (SHOTS / "DSC_0412.JPG").read_bytes()
    (shots / "tmpfileRn4m8Q").write_bytes(data)  # gphoto2's download, renamed when complete
    real_scan = runner.scan

    def scan_then_rename(root, *a, **k):
        files = real_scan(root, *a, **k)
        if (shots / "tmpfileRn4m8Q").exists():
            (shots / "tmpfileRn4m8Q").rename(shots / "DSC_0412.JPG")
        return files

    monkeypatch.setattr(runner, "scan", scan_then_rename)
    log, refs = one_row(tmp_path, 1)
    r = run_batch(shots, log, tmp_path / "out", workers=1, progress=False, references=refs)
    recs = _journal(tmp_path / "out")
    assert [(x["sha256"], x["kind"]) for x in recs] == [(sha(data), "image")]  # never "file not found"
    assert {f["file"]: f["status"] for f in r.report["files"]} == {"DSC_0412.JPG": "used"}
    assert r.students[0]["status"] == "ok"
    monkeypatch.setattr(runner, "scan", real_scan)
    again = run_batch(shots, log, tmp_path / "out", workers=1, progress=False, references=refs)
    assert again.students[0]["status"] == "ok" and len(_journal(tmp_path / "out")) == 1


def test_batch_a_file_rewritten_after_the_scan_is_journaled_under_the_bytes_analysed(tmp_path, monkeypatch):
    from photocheck.batch import runner

    shots = tmp_path / "shots"
    shots.mkdir()
    first = (SHOTS / "DSC_0414.JPG").read_bytes()  # shot 3's blink frame
    final = (SHOTS / "DSC_0415.JPG").read_bytes()  # the good frame, written over it
    (shots / "DSC_0414.JPG").write_bytes(first)
    real_scan = runner.scan
    calls = []

    def scan_then_rewrite(root, *a, **k):
        files = real_scan(root, *a, **k)
        if not calls:
            (shots / "DSC_0414.JPG").write_bytes(final)
        calls.append(1)
        return files

    monkeypatch.setattr(runner, "scan", scan_then_rewrite)
    log, refs = one_row(tmp_path, 3)
    r = run_batch(shots, log, tmp_path / "out", workers=1, progress=False, references=refs)
    recs = _journal(tmp_path / "out")
    assert [x["sha256"] for x in recs] == [sha(final)]  # nothing under the hash of bytes no longer there
    assert len(calls) == 2  # scanned again after the change
    s = r.students[0]
    assert s["file"] == "DSC_0414.JPG" and s["status"] == "ok"  # judged on the bytes it holds now


# -- hand-over: batch after watch ------------------------------------------------------------------------

def test_batch_after_watch_analyses_nothing_and_equals_a_cold_batch(watching, tmp_path):
    shots = tmp_path / "shots"
    out = tmp_path / "out"
    live, shots = watching(shots=shots, out=out)
    seen = []  # the state after each frame, as the operator saw it
    for p in sorted(SHOTS.iterdir()):  # the whole sample shoot, frame by frame
        shutil.copyfile(p, shots / p.name)
        seen.append(wait_for(live, judged(p.name), timeout=120))
    names = [p.name for p in SHOTS.iterdir()]
    st = wait_for(live, judged(*names), timeout=240)
    live.stop()
    assert live.not_confirmed_if_closed()[0] == []  # the shoot is complete: the hand-over has nothing to warn of
    lines = len(_journal(out))

    after = run_batch(shots, LOG, out, workers=1, references=REFS, progress=False)
    assert len(_journal(out)) == lines  # nothing analysed again
    cold = run_batch(shots, LOG, tmp_path / "cold", workers=1, references=REFS, progress=False)
    assert after.report == cold.report  # the same paths in both: nothing legitimately differs
    # at the end of the shoot, every frame has the student the final batch gives it
    final = {f["file"]: (f["status"], f["shot_no"]) for f in cold.report["files"]}
    assert {f["file"]: (f["status"], f["shot_no"]) for f in st["frames"]} == final
    # and while it went on, no frame was ever shown as another student's
    for state in seen:
        for f in state["frames"]:
            assert f["shot_no"] in (None, final[f["file"]][1]), (f, final[f["file"]])
    at = {name: frame(state, name) for name, state in zip(sorted(p.name for p in SHOTS.iterdir()), seen)}
    assert at["DSC_0414.JPG"]["verdict"] == "retake"  # the blink, while the student is still there
    assert at["DSC_0417.JPG"]["verdict"] == "check" and at["DSC_0417.JPG"]["shot_no"] is None  # the stranger
    assert at["DSC_0420.JPG"]["verdict"] == "check"  # the second of the swapped pair: check both
    assert frame(seen[sorted(p.name for p in SHOTS.iterdir()).index("DSC_0420.JPG")], "DSC_0419.JPG")["verdict"] == "check"

    # a restarted watch continues where it stopped: every frame judged again from the journal
    again, _ = watching(shots=shots, out=out)
    st2 = wait_for(again, judged(*names), timeout=60)
    assert again.analysed == 0
    assert {f["file"]: (f["status"], f["shot_no"]) for f in st2["frames"]} == final


def test_a_half_full_folder_is_judged_and_a_new_frame_comes_before_the_backlog(watching, tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    for n in ("DSC_0412.JPG", "DSC_0413.JPG", "DSC_0415.JPG"):  # taken before the watch started
        shutil.copyfile(SHOTS / n, shots / n)
    live, _ = watching(shots=shots)
    (shots / "tmpfileN3w0n3").write_bytes((SHOTS / "DSC_0416.JPG").read_bytes())
    (shots / "tmpfileN3w0n3").rename(shots / "DSC_0416.JPG")  # the frame just taken
    st = wait_for(live, judged("DSC_0416.JPG"))
    assert sum(f["status"] == "pending" for f in st["frames"]) >= 1  # the backlog waits for it
    st = wait_for(live, judged("DSC_0412.JPG", "DSC_0413.JPG", "DSC_0415.JPG"))
    shots_of = {f["file"]: f["shot_no"] for f in st["frames"]}
    assert shots_of == {"DSC_0412.JPG": "1", "DSC_0413.JPG": "2", "DSC_0415.JPG": "3", "DSC_0416.JPG": "4"}
    assert st["frames"][-1]["file"] == "DSC_0416.JPG"  # judged first: the backlog came after it
    assert st["current"]["shot_no"] == "4"  # the frame just taken stays the one on the screen


def test_a_jpeg_with_data_after_its_end_marker_is_judged_once_it_settles(watching):
    live, shots = watching(options=Options(settle=0.5, timeout=120, rescan=0.5))
    data = (SHOTS / "DSC_0412.JPG").read_bytes() + b"SEFH" + b"\x01" * 300  # a phone's trailer after the image
    assert complete(data) is False
    (shots / "DSC_0412.JPG").write_bytes(data)
    st = wait_for(live, judged("DSC_0412.JPG"), timeout=60)  # not held until the 120 s time-out
    f = frame(st, "DSC_0412.JPG")
    assert (f["status"], f["shot_no"], f["verdict"]) == ("used", "1", "ok")


def test_a_file_locked_by_the_program_writing_it_waits_and_is_never_a_false_unreadable(watching, monkeypatch):
    """On Windows, opening a file another program is still writing fails (a sharing violation):
    that is "not ready", not a verdict. Simulated here at the one place the watch reads a file."""
    from photocheck.watch import live as live_mod

    real = live_mod.read_source
    locked_until = [float("inf")]

    def windows_read(source, rel):
        if rel == "DSC_0412.JPG" and time.monotonic() < locked_until[0]:
            return None, "", {"code": "unreadable", "zh": "没有读取该文件的权限", "en": "no permission to read this file"}
        return real(source, rel)

    monkeypatch.setattr(live_mod, "read_source", windows_read)
    live, shots = watching()
    shutil.copyfile(SHOTS / "DSC_0412.JPG", shots / "DSC_0412.JPG")
    st = wait_for(live, lambda st: (f := frame(st, "DSC_0412.JPG")) is not None and f["status"] == "pending")
    assert "cannot read yet" in frame(st, "DSC_0412.JPG")["waiting"]
    locked_until[0] = time.monotonic() + 1.0  # the writer closes the file within the time-out
    st = wait_for(live, judged("DSC_0412.JPG"))
    assert (frame(st, "DSC_0412.JPG")["status"], frame(st, "DSC_0412.JPG")["shot_no"]) == ("used", "1")

    # locked past the time-out: unreadable, nothing journaled; judged for real once the lock goes away
    locked_until[0] = float("inf")
    shutil.copyfile(SHOTS / "DSC_0413.JPG", shots / "DSC_0412.JPG")  # rewritten: the frame is read again
    st = wait_for(live, lambda st: frame(st, "DSC_0412.JPG")["status"] == "unreadable", timeout=30)
    assert not any(r.get("rel") == "DSC_0412.JPG" and r.get("sha256") == sha((SHOTS / "DSC_0413.JPG").read_bytes())
                   for r in live.journal.records.values())
    locked_until[0] = 0
    st = wait_for(live, lambda st: frame(st, "DSC_0412.JPG")["status"] == "used", timeout=30)


def test_on_the_network_the_page_answers_its_tablet_address_and_the_laptop_but_no_other_name():
    from photocheck.watch.app import WatchApp
    from photocheck.watch.live import Snapshot

    class Still:  # a live batch that has published one state
        stopped = False

        def snapshot(self):
            return Snapshot(1, {"version": 1}, {}, b'{"version": 1}')

    app = WatchApp(Still(), host="0.0.0.0", allowed_hosts=["192.168.1.20"])

    def status(host):
        got = []
        app({"REQUEST_METHOD": "GET", "PATH_INFO": "/api/state", "HTTP_HOST": host, "SERVER_PORT": "8765"},
            lambda s, h: got.append(s))
        return int(got[0].split()[0])

    assert status("192.168.1.20:8765") == 200 and status("127.0.0.1:8765") == 200 and status("localhost:8765") == 200
    assert status("attacker.example:8765") == 421 and status("192.168.1.99:8765") == 421


# -- the matcher with an open end (a shoot still going), on synthetic identities ---------------------

def test_open_end_the_rows_not_reached_yet_are_not_missing_and_every_partial_shoot_agrees_with_the_end():
    from test_batch_match import CFG, match, person, rows, shoot  # tests/ is on the path (conftest)

    log = rows(8)
    people = [0, 1, 2, 99, 3, 5, 4, 6, 7]  # a stranger (99) after row 3; rows 5 and 6 swapped
    refs = {j: person(j) for j in range(8)}
    frames = shoot(people, slots=[0, 1, 2, 3, 3, 4, 5, 6, 7])
    final = match(frames, log, refs, CFG)
    final_rows = {j: (final.subjects[rm.subject].files if rm.subject is not None else None, rm.state)
                  for j, rm in enumerate(final.rows)}
    for n in range(1, len(frames) + 1):  # the shoot as the watch sees it, frame by frame
        m = match(frames[:n], log, refs, CFG, open_end=True)
        later = [j for j, rm in enumerate(m.rows) if rm.how == "later"]
        assert later == list(range(len(log) - len(later), len(log))), n  # the tail of the log, nothing else
        assert not any(m.rows[j].issues for j in later), n  # not reached yet: nothing to report about them
        missing = {log.index(r) for i in m.issues if i.kind == "missing" for r in log if r.shot_no in i.shot_nos}
        assert all(j < min(later, default=len(log)) for j in missing), n
        reached = {j for j, rm in enumerate(m.rows) if rm.how != "later"}
        for j, rm in enumerate(m.rows):
            if rm.subject is not None:  # a frame is only ever given the row it has at the end
                got = m.subjects[rm.subject].files
                assert set(got) <= set(final_rows[j][0] or []), (n, j, got, final_rows[j])
        assert max(reached, default=-1) < n + 1
        if n >= 4:  # the stranger is flagged as soon as it is photographed
            assert "stranger" in {i.kind for i in m.issues}, n
    assert {i.kind for i in final.issues} >= {"stranger", "swap"}
    m = match(frames, log, refs, CFG, open_end=True)
    assert [rm.how for rm in m.rows] == [rm.how for rm in final.rows]  # at the end, the same as the batch


# -- shot-number cards (slates) on the operator page ---------------------------------------------------

def test_a_card_frame_names_the_student_to_photograph_and_the_portrait_after_it_gets_the_verdict(watching):
    """The card just photographed is the student now on the stool: no verdict yet, and the next
    expected row is that card's. The portrait after it is shown under that student only because the
    matcher gave it to them; a card that names no row of this shoot is 请核对 and names no one."""
    from photocheck.watch.state import student_verdict
    from support.cards import card_frame

    live, shots = watching()
    # card 2 photographed 10 s before 李娜's portrait (DSC_0413, 09:02:14 on the camera's clock)
    (shots / "DSC_0409.JPG").write_bytes(card_frame(2, exif_time="2026:06:10 09:02:04"))
    st = wait_for(live, judged("DSC_0409.JPG"), timeout=120)
    card = frame(st, "DSC_0409.JPG")
    assert (card["status"], card["verdict"], card["shot_no"], card["card_no"], card["code"]) == ("slate", None, "2", "2", "card")
    cur = st["current"]
    assert (cur["kind"], cur["shot_no"], cur["student_id"], cur["name"], cur["verdict"], cur["frame_id"]) == \
        ("slate", "2", "2026002", "李娜", None, card["id"])
    assert st["next"] == {"shot_no": "2", "student_id": "2026002", "name": "李娜"}
    assert st["counts"]["photographed"] == 0  # a card is nobody's photo

    shutil.copyfile(SHOTS / "DSC_0413.JPG", shots / "DSC_0413.JPG")
    st = wait_for(live, judged("DSC_0413.JPG"), timeout=120)
    f = frame(st, "DSC_0413.JPG")
    row = next(s for s in st["students"] if s["shot_no"] == "2")
    assert (f["status"], f["shot_no"], row["file"], row["matched_by"]) == ("used", "2", "DSC_0413.JPG", "card")
    cur = st["current"]
    assert (cur["kind"], cur["shot_no"], cur["name"], cur["frame_id"]) == ("frame", "2", "李娜", f["id"])
    assert cur["verdict"] == student_verdict(row["status"]) == "ok"
    assert st["next"]["shot_no"] == "3"

    # a card of a shot number the log does not have, then one of another session (the shoot's cards
    # have no session label): 请核对 with the reason, and no student named — not even row 3's
    for name, number, session, why in (("DSC_0414.JPG", 99, "", "记录中没有拍摄号 99"), ("DSC_0415.JPG", 3, "X", "另一场次")):
        (shots / name).write_bytes(card_frame(number, session, exif_time="2026:06:10 09:02:40"))
        st = wait_for(live, judged(name), timeout=120)
        cur = st["current"]
        assert (cur["kind"], cur["verdict"], cur["shot_no"], cur["student_id"], cur["name"], cur["card_no"]) == \
            ("slate", "check", None, None, None, str(number)), cur
        assert any(why in r["message"] for r in cur["reasons"]), cur["reasons"]
        assert frame(st, name)["verdict"] == "check" and frame(st, name)["shot_no"] is None
        assert st["next"]["shot_no"] == "3"  # still the student after the last one named (2)


def test_the_state_carries_no_inline_thumbnails_and_is_sent_gzipped(watching):
    """The page fetches the state after every verdict (a tablet on Wi-Fi): each student's 5 KB
    base64 thumbnail was most of it. Students are report.json's objects, frames link their thumbnail."""
    import gzip

    from photocheck.watch.app import WatchApp

    live, shots = watching()
    shutil.copyfile(SHOTS / "DSC_0412.JPG", shots / "DSC_0412.JPG")
    st = wait_for(live, judged("DSC_0412.JPG"))
    assert st["students"][0]["file"] == "DSC_0412.JPG"
    assert all("thumbnail" not in s for s in st["students"])
    assert b"/9j/" not in live.snapshot().body  # no base64 JPEG anywhere in the state
    assert frame(st, "DSC_0412.JPG")["thumb"].startswith("/api/thumb/")

    app = WatchApp(live)

    def get(accept: str | None) -> tuple[dict, bytes]:
        env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/state", "HTTP_HOST": "127.0.0.1:8765", "SERVER_PORT": "8765"}
        if accept is not None:
            env["HTTP_ACCEPT_ENCODING"] = accept
        got = {}
        body = b"".join(app(env, lambda status, headers: got.update(headers, status=status)))
        assert got["status"].startswith("200") and int(got["Content-Length"]) == len(body)
        return got, body

    plain_h, plain = get(None)
    gz_h, gz = get("gzip, deflate, br")  # what Chromium and Safari send
    assert "Content-Encoding" not in plain_h and gz_h["Content-Encoding"] == "gzip" and gz_h["Vary"] == "Accept-Encoding"
    assert json.loads(gzip.decompress(gz)) == json.loads(plain) and len(gz) < len(plain) / 3
    assert "Content-Encoding" not in get("gzip;q=0, identity")[0]


def test_a_photo_matched_by_order_only_asks_to_look_at_the_screen_not_at_batch_folders(watching):
    """Without references, times or cards the page says 请核对 and why; at the camera no review/ or
    upload/ folder exists yet, so the reason points at the photo on screen (the batch's report keeps
    its folder wording, tests/test_batch_unverified.py)."""
    live, shots = watching(references=None)
    shutil.copyfile(SHOTS / "DSC_0412.JPG", shots / "DSC_0412.JPG")
    st = wait_for(live, judged("DSC_0412.JPG"))
    cur = st["current"]
    assert (cur["shot_no"], cur["verdict"]) == ("1", "check")
    msg = next(r["message"] for r in cur["reasons"] if r["rule"] == "batch.unverified")
    assert "屏幕上的照片" in msg and "review/" not in msg and "upload/" not in msg


def test_under_trust_order_a_retake_lists_only_what_a_new_photo_fixes(tmp_path):
    """--trust-order adds the batch's note "matched by order, processed by order because of
    --trust-order" to every row; at the camera the operator chose it, and under 重拍 it read as one
    more reason to retake. The blink frame (shot 3) lists the closed eyes and nothing else."""
    shots = tmp_path / "shots"
    shots.mkdir()
    live = LiveBatch(prepare(shots, LOG, tmp_path / "out", trust_order=True), FAST)
    live.start()
    try:
        for name in ("DSC_0412.JPG", "DSC_0413.JPG", "DSC_0414.JPG"):  # one student after another, as shot
            shutil.copyfile(SHOTS / name, shots / name)
            st = wait_for(live, judged(name))
    finally:
        live.stop()
    cur = st["current"]
    assert (cur["shot_no"], cur["verdict"]) == ("3", "retake")
    assert [r["rule"] for r in cur["reasons"]] == ["eyes.open"], cur["reasons"]
    assert frame(st, "DSC_0412.JPG")["verdict"] == "ok"  # the order is trusted: no 请核对 for it


def test_at_hand_over_watch_names_the_ok_students_the_final_batch_would_not_confirm(watching):
    """A shoot that ends with two logged students never photographed: live, their rows are "not
    reached yet" and the time evidence confirms the others (OK on the page); closed, the camera clock
    fits one student later almost as well, so the batch confirms no one by time. The hand-over says
    which OK students that is, and which rows have no photo, instead of leaving the operator to find
    it in the report."""
    live, shots = watching(references=None)
    names = [f"DSC_0{n}.JPG" for n in range(412, 423)]
    for name in names:
        shutil.copyfile(SHOTS / name, shots / name)
    st = wait_for(live, judged(*names))
    shown_ok = {s["shot_no"] for s in st["students"] if s["status"] == "ok"}
    live.stop()
    lost, missing = live.not_confirmed_if_closed()
    assert shown_ok and set(lost) == shown_ok  # every OK on the page is one the batch would not confirm
    assert {"9", "11", "12"} <= set(missing)
    final = run_batch(shots, LOG, live.inputs.out, workers=1, progress=False)  # the printed hand-over command
    assert not {s["shot_no"] for s in final.students if s["status"] == "ok"} & set(lost)
