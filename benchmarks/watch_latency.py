"""How long after a camera frame is complete its verdict is in ``photocheck watch``'s API.

Plays a shoot of 24-megapixel camera JPEGs (6000×4000, ~2–3 MB, made from real faces by
``samples/make_shoot.py --size 6000x4000 --noise 3``: retakes, a swap, a stranger, a missing shot,
a truncated file, a text note) into an empty folder while ``photocheck watch`` runs on it, written
the ways tethering tools write files:

* ``rename``: into a temporary name (``tmpfileXXXXXX``, as gphoto2), in chunks, then renamed to
  the final name — the frame is complete at the rename;
* ``stream``: straight into the final name in chunks (as darktable's import), closed at the end —
  the frame is complete when the last byte is written and the file closed.

Chunks of 1 MiB with a pause between them give ~40 MB/s, a USB 2 tether. A listener on
``/api/events`` re-reads ``/api/state`` after every event; a frame's latency is from its completion
to the first state in which it is no longer ``pending`` (its verdict is in the API). p50 / p95 over
the frames that are images (the truncated file is reported unreadable after the watcher's time-out
by design and is shown apart).

    python benchmarks/watch_latency.py                     # 2 × 12 students (27 files), a frame every 3 s
    python benchmarks/watch_latency.py --repeat 4 --interval 2 --json out.json
    python benchmarks/watch_latency.py --references        # with enrollment photos (identity evidence)

Run it with ``nice`` on a shared machine and read the machine's load average it prints.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "photocheck-watch-latency"
CHUNK = 1 << 20
CHUNK_PAUSE = 0.025  # 1 MiB per 25 ms ≈ 40 MB/s


def make_shoot(repeat: int) -> Path:
    """The 24 MP shoot (cached in the temp folder across runs)."""
    out = CACHE / f"shoot-{repeat}"
    if (out / "shots.csv").exists() and len(list((out / "shots").glob("*"))) >= 12 * repeat:
        return out
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([sys.executable, str(REPO / "samples" / "make_shoot.py"), "--out", str(out), "--size", "6000x4000",
                    "--noise", "3", "--repeat", str(repeat)], check=True, cwd=REPO)
    return out


def percentile(xs: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: a p95 is a latency some frame really had)."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(-(-q * len(s) // 100)) - 1))]


class Watch:
    def __init__(self, shots: Path, log: Path, out: Path, extra: list[str]):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen([sys.executable, "-m", "photocheck", "watch", str(shots), "--log", str(log),
                                      "--out", str(out), "--port", "0", "--no-browser", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
                                     cwd=REPO, env=env)
        self.lines: list[str] = []
        self.url = ""
        for line in self.proc.stdout:
            self.lines.append(line)
            m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if m:
                self.url = m.group(1)
                break
        if not self.url:
            raise SystemExit("photocheck watch did not start:\n" + "".join(self.lines))
        threading.Thread(target=lambda: [self.lines.append(x) for x in self.proc.stdout], daemon=True).start()

    def state(self) -> dict:
        with urllib.request.urlopen(self.url + "api/state", timeout=30) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Listener:
    """Follows /api/events; after each event reads /api/state and notes when each file is first
    seen judged (status other than ``pending``)."""

    def __init__(self, watch: Watch):
        self.watch = watch
        self.judged: dict[str, tuple[float, str, str | None]] = {}  # file → (time, status, verdict)
        self.events = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        req = urllib.request.Request(self.watch.url + "api/events", headers={"Accept": "text/event-stream"})
        with urllib.request.urlopen(req, timeout=120) as stream:
            for raw in stream:
                if self._stop:
                    return
                if raw.startswith(b"data:"):
                    self.events += 1
                    t = time.perf_counter()
                    st = self.watch.state()
                    for f in st["frames"]:
                        if f["status"] != "pending" and f["file"] not in self.judged:
                            self.judged[f["file"]] = (t, f["status"], f.get("verdict"))

    def stop(self) -> None:
        self._stop = True


def write_frame(src: Path, dest: Path, how: str) -> float:
    """Write ``src`` into the watched folder as ``dest``; returns the moment the file is complete."""
    data = src.read_bytes()
    target = dest if how == "stream" else dest.with_name(f"tmpfile{os.getpid() % 1000000:06d}")
    with open(target, "wb") as fh:
        for i in range(0, len(data), CHUNK):
            fh.write(data[i: i + CHUNK])
            fh.flush()
            time.sleep(CHUNK_PAUSE)
    if how == "stream":
        return time.perf_counter()
    os.replace(target, dest)
    return time.perf_counter()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=2, help="times the 12-student shoot pattern is repeated")
    ap.add_argument("--interval", type=float, default=3.0, help="seconds from one frame's start to the next")
    ap.add_argument("--references", action="store_true", help="give watch the shoot's enrollment photos")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    shoot = make_shoot(args.repeat)
    files = sorted((shoot / "shots").iterdir())
    work = Path(tempfile.mkdtemp(prefix="photocheck-watch-latency-"))
    shots = work / "shots"
    shots.mkdir()
    extra = ["--references", str(shoot / "references")] if args.references else []
    watch = Watch(shots, shoot / "shots.csv", work / "out", extra)
    try:
        listener = Listener(watch)
        time.sleep(1.0)
        load0 = os.getloadavg()
        complete: dict[str, tuple[float, str, int]] = {}
        t0 = time.perf_counter()
        for i, src in enumerate(files):
            how = "rename" if i % 2 == 0 else "stream"
            start = time.perf_counter()
            complete[src.name] = (write_frame(src, shots / src.name, how), how, src.stat().st_size)
            time.sleep(max(0.0, args.interval - (time.perf_counter() - start)))
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline and any(n not in listener.judged for n in complete):
            time.sleep(0.1)
        wall = time.perf_counter() - t0
        load1 = os.getloadavg()
        listener.stop()
        st = watch.state()
    finally:
        watch.stop()
        shutil.rmtree(work, ignore_errors=True)

    final = {f["file"]: (f["status"], f.get("verdict")) for f in st["frames"]}
    rows = []
    for name, (tc, how, size) in complete.items():
        j = listener.judged.get(name)
        rows.append({"file": name, "how": how, "bytes": size, "latency_s": None if j is None else j[0] - tc,
                     "status": None if j is None else j[1], "verdict": None if j is None else j[2],
                     "final": final.get(name)})
    images = [r for r in rows if r["status"] not in ("unreadable", "not_image") and r["latency_s"] is not None]
    lat = [r["latency_s"] for r in images]
    print(f"{len(files)} files played ({args.interval:.1f} s apart, {len(lat)} camera frames judged) in {wall:.0f} s; "
          f"load average {load0[0]:.1f} → {load1[0]:.1f}; {listener.events} events")
    for r in rows:
        lt = "—" if r["latency_s"] is None else f"{r['latency_s'] * 1000:7.0f} ms"
        fin = r["final"]
        later = "" if fin is None or fin == (r["status"], r["verdict"]) else f"   (at the end: {fin[0]} / {fin[1]})"
        print(f"  {r['file']:<18} {r['how']:<6} {r['bytes'] / 1e6:5.2f} MB  {lt:>10}  {r['status']} / {r['verdict']}{later}")
    res = {"files": len(files), "interval_s": args.interval, "references": args.references, "loadavg": [load0, load1],
           "rows": rows, "counts": st.get("counts")}
    if lat:
        res |= {"p50_s": percentile(lat, 50), "p95_s": percentile(lat, 95), "max_s": max(lat),
                "mean_s": statistics.fmean(lat), "n": len(lat)}
        for how in ("rename", "stream"):
            sub = [r["latency_s"] for r in images if r["how"] == how]
            if sub:
                res[f"p50_{how}_s"], res[f"p95_{how}_s"] = percentile(sub, 50), percentile(sub, 95)
        print(f"\n  complete → verdict in /api/state: p50 {res['p50_s'] * 1000:.0f} ms, p95 {res['p95_s'] * 1000:.0f} ms, "
              f"max {res['max_s'] * 1000:.0f} ms over {len(lat)} frames (goal p95 ≤ 1000 ms)")
        for how in ("rename", "stream"):
            if f"p50_{how}_s" in res:
                print(f"    {how:<6}: p50 {res[f'p50_{how}_s'] * 1000:.0f} ms, p95 {res[f'p95_{how}_s'] * 1000:.0f} ms")
    missing = [r["file"] for r in rows if r["latency_s"] is None]
    if missing:
        print(f"  never judged within 60 s of the last frame: {missing}")
    print(f"  final counts: {st.get('counts')}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
