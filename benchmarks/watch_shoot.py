"""A shoot played into ``photocheck watch`` against its ground truth: is every frame judged once,
and is a frame ever shown under the wrong student, at any moment of the shoot?

``benchmarks/watch_latency.py`` measures how fast verdicts arrive on the sample shoot; this one
checks what they say, on another shoot, written the three ways tethering tools write files, with
the log growing as students scan:

* 19 log rows (18 photographed: 11 London-set people and 7 other real portraits from
  ``../shared/faces``, composed on the blue background at 6000×4000 with sensor noise, EXIF capture
  times on a camera clock 47 s behind the code reader's); London 099 as a stranger after shot 4,
  shots 6 and 7 swapped, shot 10 scanned but never photographed, shot 3 a blink then a good frame,
  shot 11 a burst of three, shot 13 a truncated copy that never completes then a good frame, shot
  14's row appended 3 s *after* its frame, a text note, and a byte copy in a sub-folder at the end;
* frames in turn as gphoto2 (``tmpfileXXXXXX`` in 1 MiB chunks, renamed), digiCamControl (copied
  into the final name, then rewritten in place 0.4–1.5 s later with an XMP segment added) and
  darktable (streamed into the final name in 256 KiB chunks; once with a 1.5 s pause mid-file);
  one frame every 3–10 s (``--fast``: 1–2 s);
* the log starts with its header only and a row is appended as each student scans; variants:
  ``refs`` (log times + enrollment photos), ``times`` (log times only), ``none`` (no times, no
  references: nothing may be OK).

Every state the page would fetch (after each ``/api/events`` event, and once a second) is checked:
one entry per file, no "unreadable" but the truncated file, no frame ever shown with another
student than its own (with ``times`` a swap of neighbours is invisible by design and is reported,
not failed), nothing OK without evidence. Then Ctrl+C, ``photocheck batch`` into the same ``--out``
(nothing analysed again: the journal does not grow) and into a fresh one (report.json equal).
Latency: from the moment the final bytes are complete to the first state that shows the verdict on
them (digiCamControl's rewrite is shown apart: its first copy's verdict can arrive after the
rewrite ends, so the figure is a lower bound).

    nice -n 10 python benchmarks/watch_shoot.py --variant refs      # ~4 min; exit 1 on a violation
    python benchmarks/watch_shoot.py --variant none --work /tmp/ws --fast
"""

from __future__ import annotations

import argparse
import csv
import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "samples"))

W, H = 6000, 4000
START = datetime(2026, 6, 12, 13, 30, 0)
CAM_OFFSET = timedelta(seconds=-47)  # the camera's clock is 47 s behind the code reader's


def students():
    from support.compose import IMAGES, london

    def lo(f, e="03"):
        return london(f, e)

    def im(n):
        return IMAGES / n

    return [  # (shot, name, frame source, reference source); shot 10 is never photographed
        (1, "郑凯", lo("005"), lo("005", "08")), (2, "冯雪", lo("006"), lo("006", "08")),
        (3, "韩梅", lo("025"), lo("025", "08")), (4, "唐宁", lo("034"), lo("034", "08")),
        (5, "许亮", lo("036"), lo("036", "08")), (6, "邓超", lo("037"), lo("037", "08")),
        (7, "曹阳", lo("042"), lo("042", "08")), (8, "彭勇", lo("045"), lo("045", "08")),
        (9, "萧文", im("deepface__img13.jpg"), im("deepface__img15.jpg")), (10, "田甜", None, None),
        (11, "潘婷", lo("062"), lo("062", "08")), (12, "魏武", im("deepface__img33.jpg"), im("deepface__img30.jpg")),
        (13, "蒋涛", lo("067"), lo("067", "08")),
        (14, "沈浩", im("facerec__alex_lacamoire_img1.jpg"), im("facerec__alex_lacamoire1.jpg")),
        (15, "范冰", im("deepface__img11.jpg"), im("deepface__img7.jpg")), (16, "余佳", lo("087"), lo("087", "08")),
        (17, "傅雷", im("deepface__img35.jpg"), im("deepface__img37.jpg")),
        (18, "董杰", im("deepface__img61.jpg"), im("deepface__img62.jpg")),
        (19, "程琳", im("deepface__img47.jpg"), im("deepface__img9.jpg")),
    ], lo("099")


def compose(src: Path) -> dict:
    """Frames (cached), references and the plan: log rows and the capture order with the truth."""
    import cv2
    import numpy as np
    from make_shoot import add_noise, close_eyes
    from PIL import Image

    from support.compose import BLUE, on_background, read_rgb

    (src / "frames").mkdir(parents=True, exist_ok=True)
    (src / "refs").mkdir(exist_ok=True)
    people, stranger = students()
    cache: dict = {}

    def frame(path, shift=0, blink=False):
        if path not in cache:
            cache[path] = on_background(read_rgb(path))
        rgb = close_eyes(cache[path]) if blink else cache[path]
        k = H / rgb.shape[0] * 0.95
        p = cv2.resize(rgb, (int(rgb.shape[1] * k), int(rgb.shape[0] * k)), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
        c = np.empty((H, W, 3), np.uint8)
        c[:] = BLUE
        x0, y0 = (W - p.shape[1]) // 2 + shift, H - p.shape[0]
        xs, xe, ys = max(0, x0), min(W, x0 + p.shape[1]), max(0, y0)
        c[ys:, xs:xe] = p[ys - y0:, xs - x0: xe - x0]
        return c

    rows, events, scan, t = [], [], {}, START
    for shot, name, _, _ in people:
        scan[shot] = t
        t += timedelta(seconds=25 + (shot * 13) % 17)
        rows.append({"拍摄号": shot, "学号": str(2027000 + shot), "姓名": name, "时间": scan[shot].strftime("%Y-%m-%d %H:%M:%S")})
    src_of = {s: f for s, _, f, _ in people}
    seq = 700

    def add(kind, shot, path, when, truth, shift=0, blink=False):
        nonlocal seq
        events.append({"kind": kind, "shot": shot, "file": f"DSC_{seq:04d}.JPG", "when": when.isoformat(),
                       "truth": truth, "src": str(path), "shift": shift, "blink": blink})
        seq += 1

    for shot, _, path, _ in people:
        if path is None:
            continue
        when = scan[shot] + CAM_OFFSET + timedelta(seconds=9 + shot % 4)
        real = {6: 7, 7: 6}.get(shot, shot)  # the swap: 7 sits in 6's slot and 6 in 7's
        truth, path = str(2027000 + real), src_of[real]
        if shot == 3:
            add("blink", shot, path, when, truth, -30, True)
            add("good", shot, path, when + timedelta(seconds=7), truth, 20)
        elif shot == 11:
            for k in range(3):
                add("burst", shot, path, when + timedelta(seconds=k), truth, 10 * k - 10)
        elif shot == 13:
            add("truncated", shot, path, when - timedelta(seconds=5), truth)
            add("good", shot, path, when, truth, 40)
        else:
            add("good", shot, path, when, truth, (shot * 37) % 90 - 45)
        if shot == 4:
            add("stranger", None, stranger, when + timedelta(seconds=14), None, 5)
    for i, ev in enumerate(events):
        p = src / "frames" / ev["file"]
        if not p.exists():
            rgb = add_noise(frame(Path(ev["src"]), ev["shift"], ev["blink"]), 3.0, i)
            exif = Image.Exif()
            exif[0x010F], exif[0x0110] = "watch_shoot", "composite"
            exif[0x8769] = {0x9003: datetime.fromisoformat(ev["when"]).strftime("%Y:%m:%d %H:%M:%S")}
            Image.fromarray(rgb).save(p, "JPEG", quality=92, exif=exif.tobytes())
    for shot, _, _, ref in people:
        if ref is not None and not (src / "refs" / f"{2027000 + shot}.jpg").exists():
            im = Image.open(ref).convert("RGB")
            im.resize((600, int(600 * im.height / im.width)), Image.LANCZOS).save(src / "refs" / f"{2027000 + shot}.jpg", quality=88)
    return {"rows": rows, "events": events}


class Watch:
    """``photocheck watch`` in a subprocess, and every state it served (fetched as the page does)."""

    def __init__(self, cmd: list[str], log_to: Path):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(log_to, "w"), env=env, text=True)
        while True:
            line = self.proc.stdout.readline()
            if not line:
                sys.exit("watch did not start: " + log_to.read_text()[-2000:])
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        self.rest: list[str] = []
        threading.Thread(target=lambda: self.rest.extend(self.proc.stdout), daemon=True).start()
        self.states: list[tuple[float, dict]] = []
        self.done = threading.Event()
        threading.Thread(target=self._events, daemon=True).start()
        threading.Thread(target=self._poll, daemon=True).start()

    def fetch(self) -> dict:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", "/api/state")
        r = c.getresponse()
        body = r.read()
        c.close()
        st = json.loads(gzip.decompress(body) if r.getheader("Content-Encoding") == "gzip" else body)
        if "version" not in st:
            raise OSError(f"/api/state answered {r.status}: {st}")
        self.states.append((time.time(), st))
        return st

    def _events(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request("GET", "/api/events")
        r = c.getresponse()
        while not self.done.is_set():
            line = r.fp.readline()
            if not line:
                return
            if line.startswith(b"data:"):
                try:
                    self.fetch()
                except OSError:
                    pass

    def _poll(self):
        while not self.done.is_set():
            try:
                self.fetch()
            except OSError:
                pass
            time.sleep(1.0)

    def stop(self) -> str:
        self.done.set()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "watch did not stop within 60 s of Ctrl+C"
        time.sleep(0.3)
        return ""


def play(plan: dict, src: Path, shots: Path, log: Path, cols: list[str], fast: bool, seed: int) -> tuple[dict, dict]:
    """Write the shoot as the tools do. Returns (file → times its final bytes were complete, file → how)."""
    rnd = random.Random(seed)
    done_at: dict[str, list[float]] = {}
    how: dict[str, str] = {}
    tmp = shots.parent / "camtmp"
    tmp.mkdir(exist_ok=True)

    def row(shot):
        r = next(r for r in plan["rows"] if r["拍摄号"] == shot)
        with open(log, "a", encoding="utf-8", newline="") as fh:  # the code reader appends a line
            csv.writer(fh).writerow([r[c] for c in cols])

    def chunks(path, data, size, pause_at=None):
        with open(path, "wb") as fh:
            for i in range(0, len(data), size):
                fh.write(data[i:i + size])
                fh.flush()
                time.sleep(0.02)
                if pause_at is not None and i <= pause_at < i + size:
                    time.sleep(1.5)  # a USB hiccup longer than the settle time

    scanned = set()
    for i, ev in enumerate(plan["events"]):
        name, shot, data = ev["file"], ev["shot"], (src / "frames" / ev["file"]).read_bytes()
        if shot == 11 and 10 not in scanned:
            row(10)  # scanned, never sat
            scanned.add(10)
        if shot and shot not in scanned and shot != 14:
            row(shot)
            scanned.add(shot)
            time.sleep(rnd.uniform(0.5, 2.0))
        kind = "truncated" if ev["kind"] == "truncated" else ("gphoto2", "digicam", "darktable")[i % 3]
        how[name] = kind
        if kind == "gphoto2":
            t = shots / ("tmpfile" + "".join(rnd.choice("abcXYZ0123") for _ in range(6)))
            chunks(t, data, 1 << 20)
            os.replace(t, shots / name)
            done_at[name] = [time.time()]
        elif kind == "darktable":
            chunks(shots / name, data, 256 << 10, pause_at=len(data) // 2 if i == 2 else None)
            done_at[name] = [time.time()]
        elif kind == "digicam":
            (tmp / name).write_bytes(data)
            shutil.copyfile(tmp / name, shots / name)
            done_at[name] = [time.time()]
            time.sleep(rnd.uniform(0.4, 1.5))
            n = 4 + int.from_bytes(data[4:6], "big")  # after SOI and the EXIF segment: an XMP segment
            xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:Description Rating='3'/></x:xmpmeta>"
            chunks(shots / name, data[:n] + b"\xff\xe1" + (len(xmp) + 2).to_bytes(2, "big") + xmp + data[n:], 1 << 20)
            done_at[name].append(time.time())
        else:
            chunks(shots / name, data[: int(len(data) * 0.45)], 256 << 10)  # never completes
        if shot == 14:
            time.sleep(3.0)
            row(14)  # the code reader lagged: the row comes after the frame
            scanned.add(14)
        if i == 6:
            (shots / "灯光记录.txt").write_text("光线检查 13:25 完成\n", encoding="utf-8")
            how["灯光记录.txt"] = "note"
        nxt = plan["events"][i + 1]["kind"] if i + 1 < len(plan["events"]) else ""
        time.sleep(0.3 if ev["kind"] == nxt == "burst" else rnd.uniform(1, 2) if fast else rnd.uniform(3, 10))
    (shots / "backup").mkdir()
    shutil.copyfile(shots / "DSC_0712.JPG", shots / "backup" / "DSC_0712.JPG")
    how["backup/DSC_0712.JPG"] = "copy"
    return done_at, how


def check(states, truth, how, done_at, variant) -> tuple[list[str], list[str], list[tuple]]:
    """(violations, things to know, latencies)."""
    bad, known = [], []
    states = sorted(states, key=lambda s: (s[1]["version"], s[0]))
    for _, st in states:
        names = [f["file"] for f in st["frames"]]
        if len(names) != len(set(names)):
            bad.append(f"a file shown twice: {sorted(names)}")
        if st.get("error"):
            bad.append(f"error: {st['error']}")
        for f in st["frames"]:
            fn, sid = f["file"], f["student_id"]
            if f["status"] == "unreadable" and how.get(fn) != "truncated":
                bad.append(f"false unreadable: {fn}")
            if variant == "none" and f["verdict"] == "ok":
                bad.append(f"OK without evidence: {fn} as {sid}")
            if sid is not None and sid != truth.get(fn):
                msg = f"{fn} (truth {truth.get(fn)}) shown as {sid} {f['status']}/{f['verdict']}"
                if variant == "refs":
                    bad.append("wrong student: " + msg)
                else:  # no identity evidence: a stranger or a swap cannot be told from the scanned student
                    known.append(f"no identity evidence, order/time guess: {msg}")
    final = states[-1][1]
    if {f["file"] for f in final["frames"]} != set(how):
        bad.append(f"final frames {sorted(f['file'] for f in final['frames'])} != files {sorted(how)}")
    lat = []
    for fn, ts in done_at.items():
        tc = ts[-1]
        before = [f for t, st in states if t < tc for f in st["frames"] if f["file"] == fn]
        old = before[-1]["thumb"] if before and len(ts) > 1 else None
        after = [t for t, st in states if t >= tc for f in st["frames"] if f["file"] == fn and f["status"] != "pending"
                 and "waiting" not in f and (old is None or f["thumb"] != old)]
        if after:
            lat.append((after[0] - tc, fn, how[fn]))
        else:
            bad.append(f"no verdict on the final bytes of {fn}")
    return list(dict.fromkeys(bad)), list(dict.fromkeys(known)), sorted(lat)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", choices=["refs", "times", "none"], default="refs")
    ap.add_argument("--work", default=None, help="folder for the frames (kept between runs) and the run")
    ap.add_argument("--fast", action="store_true", help="a frame every 1–2 s instead of 3–10 s")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    work = Path(a.work or Path(os.environ.get("TMPDIR", "/tmp")) / "photocheck-watch-shoot")
    src = work / "src"
    plan = compose(src)
    run = work / f"run-{a.variant}"
    shutil.rmtree(run, ignore_errors=True)
    shots, out, log = run / "shots", run / "out", run / "shots.csv"
    shots.mkdir(parents=True)
    cols = ["拍摄号", "学号", "姓名"] + (["时间"] if a.variant != "none" else [])
    with open(log, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerow(cols)  # nobody has scanned yet
    refs = ["--references", str(src / "refs")] if a.variant == "refs" else []
    py = [sys.executable, "-m", "photocheck"]
    w = Watch([*py, "watch", str(shots), "--log", str(log), "--out", str(out), "--port", "0", "--no-browser", *refs],
              run / "watch.err")
    time.sleep(10)  # the operator opens the page before the first student
    done_at, how = play(plan, src, shots, log, cols, a.fast, a.seed)
    end = time.time() + 60
    while time.time() < end and (w.fetch()["counts"]["pending"] or len(w.states[-1][1]["frames"]) < len(how)):
        time.sleep(1)
    time.sleep(12)  # past the truncated file's time-out
    w.fetch()
    load = os.getloadavg()
    bad = [m for m in [w.stop()] if m]
    truth = {ev["file"]: ev["truth"] for ev in plan["events"]}
    b, known, lat = check(w.states, truth, how, done_at, a.variant)
    bad += b

    lines = (out / ".photocheck" / "journal.jsonl").read_text(encoding="utf-8").count("\n")
    base = ["batch", str(shots), "--log", str(log), *refs]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([*py, *base, "--out", str(out)], env=env, capture_output=True)
    again = (out / ".photocheck" / "journal.jsonl").read_text(encoding="utf-8").count("\n")
    if again != lines:
        bad.append(f"the batch after watch analysed {again - lines} file(s) again")
    subprocess.run([*py, *base, "--out", str(run / "cold"), "--workers", "1"], env=env, capture_output=True)

    def norm(p):
        return json.dumps(json.loads(p.read_text(encoding="utf-8")), sort_keys=True).replace(str(run / "cold"), str(out))

    if norm(out / "report.json") != norm(run / "cold" / "report.json"):
        bad.append("report.json after watch differs from a cold batch's")

    print(f"variant {a.variant}: {len(how)} files, {len(w.states)} states read; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    clean = [x for x in lat if x[2] != "digicam"]
    for label, xs in (("gphoto2 + darktable", clean), ("digiCamControl rewrite (lower bound)", [x for x in lat if x[2] == "digicam"])):
        v = sorted(x[0] for x in xs)
        if v:
            print(f"  complete → verdict, {label}: n={len(v)} p50 {statistics.median(v):.2f} s, "
                  f"p95 {v[min(len(v) - 1, round(0.95 * (len(v) - 1)))]:.2f} s, max {v[-1]:.2f} s")
    for k in known[:10]:
        print("  known:", k)
    for m in bad:
        print("  VIOLATION:", m)
    print("ok" if not bad else f"{len(bad)} violation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
