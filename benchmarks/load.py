"""Load test of ``photocheck serve`` as a multi-user service: 1 worker vs 2, on loopback only.

Starts ``photocheck serve --host 127.0.0.1 --workers W`` for each W, lets concurrent clients upload
phone-size photos (3024×4032, ~2–3 MB JPEGs: London faces composed on blue, with grain and camera
EXIF, from ``benchmarks/bench.py``; ``samples/original`` upscaled when ../shared/faces is absent)
through ``POST /api/check``, and reports throughput, p50/p95 latency and peak RSS per worker.
Then an overload burst against the 2-worker server: more clients at once than workers + queue;
every answer must be JSON, 200 or 503 with ``Retry-After``.

Bounded: at most ``--requests`` measured uploads per server (default 40, capped at 200) and
``--max-seconds`` per measured run (default 120); loopback only, nothing leaves the machine.

    nice python benchmarks/load.py                 # ~3–5 min on 2 cores
    nice python benchmarks/load.py --requests 20   # quicker
    python benchmarks/load.py --json load.json     # numbers for docs/performance.md

The last line is a one-line summary.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))

from support.serve import ServeProcess, multipart_form, request  # noqa: E402

PHONE_SIZE = (3024, 4032)  # a 12-megapixel phone photo, portrait
MAX_REQUESTS = 200


def photos(n: int = 4) -> list[tuple[str, bytes]]:
    """``n`` distinct phone-size JPEGs (name, bytes)."""
    from support.compose import faces_available

    if faces_available():
        from bench import camera_original

        return [(f"IMG_{i:04d}.jpg", camera_original(fid, seed=i, size=PHONE_SIZE))
                for i, fid in enumerate(["005", "006", "034", "042", "036", "012"][:n])]
    from PIL import Image

    out = []
    for i, p in enumerate(sorted((REPO / "samples" / "original").glob("*.jpg"))[:n]):
        im = Image.open(p).convert("RGB")
        k = PHONE_SIZE[1] / im.height
        im = im.resize((round(im.width * k), PHONE_SIZE[1]), Image.BICUBIC)
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=92)
        out.append((f"IMG_{i:04d}.jpg", buf.getvalue()))
    return out


def form(name: str, data: bytes) -> tuple[bytes, str]:
    return multipart_form({"photo": (name, data), "lang": "en"})


def post(port: int, body: bytes, ctype: str) -> tuple[int, bool, dict, float]:
    """(status, whether the answer is JSON, headers, seconds)."""
    t0 = time.perf_counter()
    status, headers, raw = request(port, "POST", "/api/check", body, {"Content-Type": ctype})
    try:
        json.loads(raw)
        is_json = True
    except ValueError:
        is_json = False
    return status, is_json, headers, time.perf_counter() - t0


class Server(ServeProcess):
    """``photocheck serve`` on loopback, a free port, ``workers`` check processes."""

    def __init__(self, workers: int):
        super().__init__("--host", "127.0.0.1", "--port", "0", "--workers", str(workers), "--no-browser", cwd=REPO)
        self.workers = workers
        self.status = json.loads(request(self.port, "GET", "/healthz")[2])

    def cpu_seconds(self, front: bool = False) -> float:
        """CPU time (user + system) the workers (or the front process) have used so far: divided by
        the photos checked, the cost of a check whatever else the machine is doing."""
        total = 0
        for pid in [self.proc.pid] if front else self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> dict[str, float]:
        from bench import PeakRss

        workers = [PeakRss._kb(p) / 1024 for p in self.worker_pids()]
        return {"worker_max": max(workers, default=0.0), "worker_n": len(workers),
                "front": PeakRss._kb(self.proc.pid) / 1024}


def measure(server: Server, uploads: list[tuple[bytes, str]], requests: int, clients: int,
            max_seconds: float) -> dict:
    """``clients`` closed-loop clients share ``requests`` uploads; throughput over the wall time."""
    lock = threading.Lock()
    todo = iter(range(requests))
    results: list[tuple[int, bool, float]] = []
    stop_at = time.perf_counter() + max_seconds

    def client():
        while time.perf_counter() < stop_at:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            body, ctype = uploads[i % len(uploads)]
            status, is_json, _, dt = post(server.port, body, ctype)
            with lock:
                results.append((status, is_json, dt))

    t0, cpu0, front0 = time.perf_counter(), server.cpu_seconds(), server.cpu_seconds(front=True)
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, server.cpu_seconds() - cpu0
    front = server.cpu_seconds(front=True) - front0
    ok = sorted(dt for s, _, dt in results if s == 200)
    return {"workers": server.workers, "clients": clients, "requests": len(results), "ok": len(ok),
            "statuses": _count(s for s, _, _ in results), "all_json": all(j for _, j, _ in results),
            "wall_s": round(wall, 2), "photos_per_s": round(len(ok) / wall, 3) if wall else 0.0,
            "p50_s": round(statistics.median(ok), 3) if ok else None,
            "p95_s": round(ok[min(len(ok) - 1, int(0.95 * len(ok)))], 3) if ok else None,
            "cpu_s_per_photo": round(cpu / len(ok), 3) if ok else None,
            "front_cpu_s_per_photo": round(front / len(ok), 4) if ok else None,
            "worker_cores_used": round(cpu / wall, 2) if wall else None,
            **{f"rss_{k}": round(v, 1) if isinstance(v, float) else v for k, v in server.peak_rss_mb().items()}}


def overload(server: Server, uploads: list[tuple[bytes, str]]) -> dict:
    """Three times the admitted capacity at once, one upload each: every answer JSON, 200 or 503."""
    n = 3 * (server.status["workers"] + server.status["queue"])
    out: list[tuple[int, bool, bool]] = []
    lock = threading.Lock()
    go = threading.Event()

    def client(i):
        body, ctype = uploads[i % len(uploads)]
        go.wait()
        status, is_json, headers, _ = post(server.port, body, ctype)
        with lock:
            out.append((status, is_json, status != 503 or "retry-after" in headers))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join()
    statuses = _count(s for s, _, _ in out)
    return {"clients": n, "statuses": statuses, "all_json": all(j for _, j, _ in out),
            "retry_after_on_503": all(r for _, _, r in out),
            "only_200_503": set(statuses) <= {"200", "503"}}


def _count(xs) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in xs:
        out[str(x)] = out.get(str(x), 0) + 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare (default 1 2)")
    ap.add_argument("--requests", type=int, default=40, help=f"measured uploads per server (≤ {MAX_REQUESTS})")
    ap.add_argument("--max-seconds", type=float, default=120.0, help="time bound of each measured run")
    ap.add_argument("--no-overload", action="store_true", help="skip the overload burst")
    ap.add_argument("--json", type=Path, help="write the numbers here")
    args = ap.parse_args()
    requests = max(1, min(args.requests, MAX_REQUESTS))

    pics = photos()
    uploads = [form(n, d) for n, d in pics]
    mb = statistics.mean(len(d) for _, d in pics) / 2**20
    print(f"{len(pics)} photos {PHONE_SIZE[0]}×{PHONE_SIZE[1]}, {mb:.1f} MB each; load average "
          f"{os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs", flush=True)
    runs, burst = [], None
    for w in args.workers:
        server = Server(w)
        try:
            clients = 2 * w  # every worker busy with one waiting behind it: no refusals, no idle worker
            measure(server, uploads, w, w, 60)  # warm-up: first uploads through each worker
            r = measure(server, uploads, requests, clients, args.max_seconds)
            r["load_avg"] = round(os.getloadavg()[0], 2)
            runs.append(r)
            print(f"{w} worker(s), {clients} clients: {r['ok']}/{r['requests']} ok in {r['wall_s']} s → "
                  f"{r['photos_per_s']} photos/s, p50 {r['p50_s']} s, p95 {r['p95_s']} s, "
                  f"{r['cpu_s_per_photo']} CPU s per photo in workers ({r['worker_cores_used']} cores busy; front "
                  f"{r['front_cpu_s_per_photo']} s), peak RSS per worker "
                  f"{r['rss_worker_max']} MB (front {r['rss_front']} MB), statuses {r['statuses']}, "
                  f"load {r['load_avg']}", flush=True)
            if w == max(args.workers) and not args.no_overload:
                burst = overload(server, uploads)
                print(f"overload: {burst['clients']} at once → {burst['statuses']}, all JSON: {burst['all_json']}, "
                      f"Retry-After on every 503: {burst['retry_after_on_503']}", flush=True)
        finally:
            server.stop()
    base = next((r for r in runs if r["workers"] == 1), None)
    parts = [f"{r['workers']}w {r['photos_per_s']:.2f}/s p50 {r['p50_s']}s p95 {r['p95_s']}s "
             f"{r['cpu_s_per_photo']}cpu-s {r['rss_worker_max']:.0f}MB" for r in runs]
    speedup = None
    if base and base["photos_per_s"]:
        top = max(runs, key=lambda r: r["workers"])
        speedup = round(top["photos_per_s"] / base["photos_per_s"], 2)
        parts.append(f"speed-up {top['workers']}w/1w {speedup} (goal ≥ 1.6)")
    if burst:
        parts.append(f"overload {burst['statuses']} JSON={burst['all_json']}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "overload": burst, "speedup": speedup,
                                         "photo_mb": round(mb, 2), "when": time.strftime("%Y-%m-%d %H:%M:%S %Z")},
                                        indent=2))
    print("load: " + " | ".join(parts))


if __name__ == "__main__":
    main()
