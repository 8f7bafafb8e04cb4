"""photocheck benchmarks: how close a check is to its physical floor, batch throughput, memory.

Run from the repository root (needs ``../shared/faces`` for the London photos)::

    python benchmarks/bench.py            # the full run (minutes; 500/2,000-file shoots)
    python benchmarks/bench.py --quick    # a small run while developing (~1 min)
    python benchmarks/bench.py --profile camera   # pyinstrument profile of the check
    python benchmarks/bench.py --quick --camera --cpu   # only (c) vs its floor, in CPU time

What it measures, in one run on one machine:

(a) the floor, two ways:
    - **model floor** (the floor of issue 21, the one the goals use): decoding the file at the
      size the check needs (1/4 for a 6000×4000 file, by the faster of Pillow's draft mode and
      OpenCV's reduced decode — the same libjpeg DCT scaling, the same pixels) plus ONE run of each model
      the check uses at that model's own input size — YuNet 320×320, the Face Landmarker on a
      256×256 crop of the face, the selfie segmenter 256×256, the hair model 512×512, and SFace on
      its 112×112 aligned crop when the check computes an embedding. The inputs are the arrays the
      check passed to the models, resized to those sizes (real faces: the landmarker's cost
      depends on finding one);
    - **replay floor** (the older one): the same decode plus every model call the check made,
      replayed on the exact arrays the check passed (recorded by a wrapper around the per-process
      ``Models``), at whatever size the check chose;
(b) a full ``photocheck.check`` of a 480×640 upload file (``tests/support/compose.py``);
(c) a full check of a 24-megapixel 6000×4000 camera original (``original`` profile): a London
    face composed on blue, scaled up, with sensor-like grain and camera EXIF;
(d) batch throughput on a generated shoot of camera-size files, with 1 worker and with all
    cores, via ``photocheck.batch.runner.run_batch`` when it exists (else a process pool over
    ``photocheck.check``; the output says which); peak RSS per worker for a short and a long
    shoot, each in a fresh process so the peaks do not mix.

Every number is a median over repeats; ratios are check time / floor, measured in interleaved
rounds in one run (the machine is shared: only ratios from one run are comparable).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

CAMERA_SIZE = (6000, 4000)  # width × height: 24 megapixels, a typical APS-C / full-frame camera
SHOOT_CACHE = Path(tempfile.gettempdir()) / "photocheck-bench-shoot"


# -- inputs ------------------------------------------------------------------------------------
def camera_original(face_id: str, expr: str = "03", *, seed: int = 0, shift: tuple[int, int] = (0, 0),
                    when: str = "2026:06:01 09:00:00", size=CAMERA_SIZE) -> bytes:
    """A camera-style JPEG: a London face on blue, scaled to the camera frame, grain, camera EXIF."""
    import cv2
    from support.compose import london, on_background, read_rgb

    person = on_background(read_rgb(london(face_id, expr)))  # square, blue above and at the sides
    W, H = size
    k = H / person.shape[0]
    person = cv2.resize(person, (round(person.shape[1] * k), H), interpolation=cv2.INTER_CUBIC)
    canvas = np.empty((H, W, 3), np.uint8)
    canvas[:] = person[:1, :1]  # the blue of the backdrop
    x0 = (W - person.shape[1]) // 2 + shift[0]
    xa, xb = max(0, x0), min(W, x0 + person.shape[1])
    canvas[:, xa:xb] = person[:, xa - x0: xb - x0]
    if shift[1]:
        canvas = np.roll(canvas, shift[1], axis=0)
    rng = np.random.default_rng(seed)  # sensor-like grain, so the file has camera-like entropy
    tile = rng.integers(-3, 4, size=(500, 500, 3), dtype=np.int16)
    noise = np.tile(tile, (H // 500 + 1, W // 500 + 1, 1))[:H, :W]
    canvas = np.clip(canvas.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS 90D"
    exif[0x0112] = 1
    exif.get_ifd(0x8769)[0x9003] = when
    buf = io.BytesIO()
    Image.fromarray(canvas).save(buf, "JPEG", quality=92, subsampling="4:2:2", exif=exif.tobytes(),
                                 dpi=(72, 72))
    return buf.getvalue()


def upload_file(face_id: str = "005") -> bytes:
    from support.compose import compliant_upload

    return compliant_upload(face_id)


def _unique_copy(data: bytes, tag: str) -> bytes:
    """The same JPEG with a distinct COM segment after SOI: different bytes, same image."""
    payload = f"photocheck-bench {tag}".encode()
    return data[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:]


def make_shoot(n: int, distinct: int, root: Path) -> tuple[Path, Path]:
    """A shoot of ``n`` camera files ``IMG_0001.jpg``… plus its shot log (``shots.csv``).

    ``distinct`` images are generated (London faces × expressions, shifted, grain seeds); the rest
    are copies with a distinct comment segment (different bytes, same pixels, no symlinks), so a
    2,000-file shoot costs minutes, not an hour, to make. Cached across runs in the temp folder.
    """
    from support.compose import london_ids

    shots = root / f"shots-{n}-{distinct}"
    log = root / f"shots-{n}-{distinct}.csv"
    if shots.is_dir() and len(list(shots.glob("*.jpg"))) == n and log.exists():
        return shots, log
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    ids = london_ids()
    base: list[bytes] = []
    cache = root / "distinct"
    cache.mkdir(exist_ok=True)
    for i in range(min(n, distinct)):
        f = cache / f"{i:04d}.jpg"
        if not f.exists():
            fid, expr = ids[i % len(ids)], ("03", "08")[(i // len(ids)) % 2]
            rnd = i // (2 * len(ids))
            f.write_bytes(camera_original(fid, expr, seed=i, shift=(37 * rnd % 200 - 100, 23 * rnd % 80 - 40),
                                          when=f"2026:06:01 {9 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}"))
        base.append(f.read_bytes())
    with open(log, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["shot_no", "student_id", "name"])
        for i in range(n):
            no = f"{i + 1:04d}"
            data = base[i] if i < len(base) else _unique_copy(base[i % len(base)], no)
            (shots / f"IMG_{no}.jpg").write_bytes(data)
            w.writerow([no, f"2026{i + 1:06d}", f"学生{i + 1}"])
    return shots, log


# -- timing helpers ----------------------------------------------------------------------------
def median_time(fn, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


class Recorder:
    """Wraps the per-process Models and records the arrays each inference was given."""

    def __init__(self, models):
        self._m = models
        self.calls: list[tuple[str, tuple]] = []

    def __getattr__(self, name):
        return getattr(self._m, name)

    def detect_faces(self, rgb):
        self.calls.append(("detect_faces", (rgb.copy(),)))
        return self._m.detect_faces(rgb)

    def landmarks(self, rgb):
        self.calls.append(("landmarks", (rgb.copy(),)))
        return self._m.landmarks(rgb)

    def person_mask(self, rgb):
        self.calls.append(("person_mask", (rgb.copy(),)))
        return self._m.person_mask(rgb)

    def hair_mask(self, rgb):
        self.calls.append(("hair_mask", (rgb.copy(),)))
        return self._m.hair_mask(rgb)

    def embedding(self, rgb, row):
        self.calls.append(("embedding", (rgb.copy(), row.copy())))
        return self._m.embedding(rgb, row)


def decoders(data: bytes, work_short_side: int):
    """Full decode to RGB, and the reduced-size (draft) decode the loader uses."""

    def full():
        im = Image.open(io.BytesIO(data))
        im.load()
        return np.asarray(im.convert("RGB"))

    def reduced():
        im = Image.open(io.BytesIO(data))
        w, h = im.size
        short = min(w, h)
        if im.format == "JPEG" and short > 2 * work_short_side:
            k = work_short_side / short
            im.draft("RGB", (int(w * k + 0.999), int(h * k + 0.999)))
        im.load()
        return np.asarray(im.convert("RGB"))

    def reduced_cv():
        """The same reduced decode by OpenCV (the same libjpeg DCT scaling, the same pixels)."""
        import cv2

        im = Image.open(io.BytesIO(data))
        w, h = im.size
        if im.format != "JPEG" or min(w, h) <= 2 * work_short_side:
            return reduced()
        k = work_short_side / min(w, h)
        scale = min(w // int(w * k + 0.999), h // int(h * k + 0.999))
        flag = cv2.IMREAD_REDUCED_COLOR_8 if scale >= 8 else cv2.IMREAD_REDUCED_COLOR_4 if scale >= 4 else cv2.IMREAD_REDUCED_COLOR_2
        return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), flag | cv2.IMREAD_IGNORE_ORIENTATION), cv2.COLOR_BGR2RGB)

    full.reduced_cv = reduced_cv
    return full, reduced


#: the clock the floor and the check are timed with: wall time, or the process's CPU time (all
#: threads) with ``--cpu``, which a shared machine's load inflates far less
CLOCK = time.perf_counter


def interleaved_medians(parts: dict[str, object], repeats: int, warmup: int = 1) -> dict[str, float]:
    """Median time of each callable, measured in rounds that run every callable once.

    The machine is shared: a burst of someone else's load during one block of repeats would
    inflate only the parts measured in that block. Round-robin puts the floor's parts and the
    check under the same conditions, so their ratio stays meaningful.
    """
    for _ in range(warmup):
        for fn in parts.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in parts}
    for _ in range(repeats):
        for k, fn in parts.items():
            t = CLOCK()
            fn()
            times[k].append(CLOCK() - t)
    return {k: statistics.median(v) for k, v in times.items()}


#: Each model's own input size (width, height), for the model floor.
NATIVE_SIZES = {"detect_faces": (320, 320), "landmarks": (256, 256), "person_mask": (256, 256),
                "hair_mask": (512, 512)}


def native_model_calls(models, calls: list[tuple[str, tuple]]) -> dict[str, object]:
    """One call of each model the check used, at the model's own input size (the model floor).

    The input is what the check passed to that model, resized to the model's size (YuNet's is
    letterboxed into its square, as its reference demo does), so a face is there to be found;
    SFace is timed as its feature extraction on the 112×112 aligned crop."""
    import cv2

    out: dict[str, object] = {}
    for meth, args in calls:
        if meth in out:
            continue  # one run of each model
        rgb = args[0]
        if meth == "embedding":
            crop = models.sface.alignCrop(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), args[1])
            out["embedding 112×112"] = lambda crop=crop: models.sface.feature(crop)
            continue
        w, h = NATIVE_SIZES[meth]
        if meth == "detect_faces":
            k = min(w / rgb.shape[1], h / rgb.shape[0])
            small = cv2.resize(rgb, (round(rgb.shape[1] * k), round(rgb.shape[0] * k)), interpolation=cv2.INTER_AREA)
            x = np.zeros((h, w, 3), np.uint8)
            x[: small.shape[0], : small.shape[1]] = small
        else:
            x = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
        fn = getattr(models, meth)
        out[f"{meth} {w}×{h}"] = lambda fn=fn, x=x: fn(x)
    return out


def floor_and_check(label: str, path: Path, profile: str, repeats: int) -> dict:
    """(a) the floor and (b)/(c) the full check of one file, same process, same models, timed in
    interleaved rounds."""
    import photocheck
    from photocheck.inference import get_models
    from photocheck.io import WORK_SHORT_SIDE

    data = path.read_bytes()
    models = get_models()
    rec = Recorder(models)
    rep = photocheck.check(str(path), profile=profile, models=rec)  # also warms every model
    res: dict = {"label": label, "profile": profile, "file_bytes": len(data),
                 "size": list(Image.open(path).size), "ok": rep.ok,
                 "errors": [f.rule for f in rep.findings if f.status == "error"]}
    full, reduced = decoders(data, WORK_SHORT_SIDE)
    res["reduced_shape"] = list(reduced().shape[:2])
    parts: dict[str, object] = {"decode_full": full, "decode_reduced": reduced, "decode_reduced_cv": full.reduced_cv}
    for i, (meth, args) in enumerate(rec.calls):
        fn = getattr(models, meth)
        parts[f"{meth}#{i} {'×'.join(map(str, args[0].shape[:2]))}"] = (lambda fn=fn, args=args: fn(*args))
    native = native_model_calls(models, rec.calls)
    parts.update({f"native {k}": fn for k, fn in native.items()})
    parts["check"] = lambda: photocheck.check(str(path), profile=profile, models=models)
    med = interleaved_medians(parts, repeats)
    res["decode_full"], res["check"] = med.pop("decode_full"), med.pop("check")
    # the floor's decode: the faster of Pillow's draft decode and OpenCV's reduced decode (the same
    # libjpeg DCT scaling and the same pixels; the loader uses OpenCV's for plain camera JPEGs)
    res["decode_reduced_pil"], res["decode_reduced_cv"] = med.pop("decode_reduced"), med.pop("decode_reduced_cv")
    res["decode_reduced"] = min(res["decode_reduced_pil"], res["decode_reduced_cv"])
    res["native"] = {k[len("native "):]: med.pop(k) for k in list(med) if k.startswith("native ")}
    res["inference"] = med
    decode = res["decode_reduced"] if res["reduced_shape"] != list(Image.open(path).size)[::-1] else res["decode_full"]
    res["decode"] = decode
    res["floor"] = decode + sum(res["native"].values())  # the model floor: the goals' floor
    res["ratio"] = res["check"] / res["floor"]
    res["replay_floor"] = decode + sum(med.values())
    res["replay_ratio"] = res["check"] / res["replay_floor"]
    if profile == "original":  # what a batch worker does on top: SFace embedding, export decode + encode
        from photocheck.analysis import analyse
        from photocheck.export import export_upload
        from photocheck.spec import load_spec

        a = analyse(str(path), load_spec(profile), models=models)
        row = a.detections[0]
        res["sface"] = median_time(lambda: models.embedding(a.image.rgb, row), repeats)
        full = a.frame_full
        k = max(480 / full.w, 640 / full.h)

        def export_decode():
            im = Image.open(io.BytesIO(data))
            if k < 1:
                im.draft("RGB", (int(im.size[0] * k) + 1, int(im.size[1] * k) + 1))
            im.load()
            return np.asarray(im)

        res["export_decode"] = median_time(export_decode, repeats)
        res["export_shape"] = list(export_decode().shape[:2])
        res["export_upload"] = median_time(lambda: export_upload(str(path), a), repeats)
    return res


# -- batch (runs in a fresh child process per measurement) -----------------------------------------
def _pool_check(path: str) -> bool:
    import photocheck

    return photocheck.check(path, profile="original").ok


class PeakRss:
    """Polls /proc for this process and its descendants; keeps each one's peak RSS (VmHWM)."""

    def __init__(self, interval: float = 0.2):
        import threading

        self.peaks: dict[int, tuple[str, int]] = {}
        self.parent: dict[int, int] = {}
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(interval,), daemon=True)

    @staticmethod
    def _kb(pid: int, key: str = "VmHWM") -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _descendants(self) -> list[int]:
        parent: dict[int, int] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as fh:
                        parent[int(d)] = int(fh.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        me, out, frontier = os.getpid(), [], [os.getpid()]
        while frontier:
            p = frontier.pop()
            kids = [c for c, pp in parent.items() if pp == p]
            out += kids
            frontier += kids
        self.parent.update({c: parent[c] for c in out})
        return [me] + out

    def _sample(self) -> None:
        for pid in self._descendants():
            kb = self._kb(pid)
            if kb:
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as fh:
                        cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")[:200]
                except OSError:
                    cmd = ""
                old = self.peaks.get(pid, ("", 0))[1]
                self.peaks[pid] = (cmd, max(old, kb))

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._sample()

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self._sample()

    def worker_peak_mb(self) -> tuple[float, int]:
        """Largest peak among worker processes (not the forkserver or resource tracker), and their count."""
        me = os.getpid()
        helpers = {pid for pid, (cmd, _) in self.peaks.items()
                   if self.parent.get(pid) == me and ("forkserver" in cmd or "resource_tracker" in cmd)}
        ws = [kb for pid, (cmd, kb) in self.peaks.items() if pid != me and pid not in helpers]
        return (max(ws) / 1024 if ws else 0.0), len(ws)


def batch_child(shots: str, log: str, out: str, workers: int, mode: str) -> dict:
    files = sorted(str(p) for p in Path(shots).glob("*.jpg"))
    with PeakRss() as rss:
        t = time.perf_counter()
        if mode == "runner":
            from photocheck.batch.runner import run_batch

            res = run_batch(shots, log, out, workers=workers, progress=False, force=True)
            status = {"exit_code": getattr(res, "exit_code", None)}
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            ctx = mp.get_context("forkserver")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
                oks = list(ex.map(_pool_check, files, chunksize=4))
            status = {"ok": sum(oks)}
        wall = time.perf_counter() - t
    peak, n = rss.worker_peak_mb()
    self_mb = PeakRss._kb(os.getpid()) / 1024
    return {"files": len(files), "wall": wall, "per_file": wall / max(len(files), 1), "workers": workers,
            "mode": mode, "peak_rss_main_mb": self_mb, "peak_rss_worker_mb": peak, "worker_processes": n, **status}


def run_batch_measure(shots: Path, log: Path, workers: int, mode: str) -> dict:
    out = Path(tempfile.mkdtemp(prefix="photocheck-bench-out-"))
    try:
        cmd = [sys.executable, __file__, "--batch-child", str(shots), str(log), str(out / "out"), str(workers), mode]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            return {"error": (p.stderr or p.stdout).strip().splitlines()[-5:], "workers": workers, "mode": mode}
        res = json.loads(p.stdout.strip().splitlines()[-1])
        # with one worker run_batch works in-process: then the main process is the worker
        res["peak_rss_per_worker_mb"] = res["peak_rss_worker_mb"] or res["peak_rss_main_mb"]
        return res
    finally:
        shutil.rmtree(out, ignore_errors=True)


def batch_mode() -> str:
    """``runner`` when photocheck.batch.runner.run_batch imports, else the process-pool fallback."""
    try:
        from photocheck.batch.runner import run_batch  # noqa: F401
    except Exception:
        return "pool"
    return "runner"


# -- report ------------------------------------------------------------------------------------
def fmt_ms(s: float) -> str:
    return f"{s * 1000:8.1f} ms"


def print_single(r: dict) -> None:
    print(f"\n== {r['label']}: {r['size'][0]}×{r['size'][1]} px, {r['file_bytes'] / 1024:.0f} KB, profile {r['profile']}")
    print(f"  decode full          {fmt_ms(r['decode_full'])}")
    print(f"  decode reduced       {fmt_ms(r['decode_reduced'])}   -> {r['reduced_shape'][1]}×{r['reduced_shape'][0]}"
          f"   (Pillow draft {fmt_ms(r['decode_reduced_pil']).strip()}, OpenCV {fmt_ms(r['decode_reduced_cv']).strip()})")
    print("  model floor: one run of each model at its input size")
    for k, v in r["native"].items():
        print(f"    {k:<20} {fmt_ms(v)}")
    print(f"  replay floor: the check's own model calls (check/replay floor = {r['replay_ratio']:.2f})")
    for k, v in r["inference"].items():
        print(f"    {k:<20} {fmt_ms(v)}")
    if "sface" in r:
        print(f"  (batch) SFace        {fmt_ms(r['sface'])}")
        print(f"  (batch) export decode{fmt_ms(r['export_decode'])}   -> {r['export_shape'][1]}×{r['export_shape'][0]}"
              f"   (export_upload incl. crop+encode {fmt_ms(r['export_upload']).strip()})")
    print(f"  floor (decode + model floor) {fmt_ms(r['floor'])}")
    print(f"  check                {fmt_ms(r['check'])}   ratio check/floor = {r['ratio']:.2f}")
    if r["errors"]:
        print(f"  !! rules in error: {r['errors']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small run: few repeats, small shoots")
    ap.add_argument("--no-batch", action="store_true", help="skip (d), the batch measurements")
    ap.add_argument("--camera", action="store_true", help="only (c), the camera original's check / floor")
    ap.add_argument("--cpu", action="store_true", help="time the floor and the checks in process CPU time, not wall time")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--shoot", type=int, help="files in the throughput shoot (default 500; quick 40)")
    ap.add_argument("--mem-files", help="shoot sizes for the memory runs, e.g. 100,2000 (quick 20,80)")
    ap.add_argument("--distinct", type=int, help="distinct generated images; the rest are byte-distinct copies (default 100)")
    ap.add_argument("--profile", choices=["camera", "upload"], help="pyinstrument profile of 20 checks, then exit")
    ap.add_argument("--batch-child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.cpu:
        global CLOCK
        CLOCK = time.process_time
    if args.batch_child:
        shots, log, out, workers, mode = args.batch_child
        print(json.dumps(batch_child(shots, log, out, int(workers), mode)))
        return

    from support.compose import faces_available

    if not faces_available():
        sys.exit("benchmarks need ../shared/faces (or PHOTOCHECK_FACES)")
    work = Path(tempfile.mkdtemp(prefix="photocheck-bench-"))
    try:
        upload = work / "upload_005.jpg"
        upload.write_bytes(upload_file("005"))
        camera = work / "camera_005.jpg"
        camera.write_bytes(camera_original("005"))
        if args.profile:
            from pyinstrument import Profiler

            import photocheck

            path, prof = (camera, "original") if args.profile == "camera" else (upload, "upload")
            photocheck.check(str(path), profile=prof)
            p = Profiler(interval=0.0005)
            p.start()
            for _ in range(20):
                photocheck.check(str(path), profile=prof)
            p.stop()
            print(p.output_text(unicode=True, color=False, show_all=False))
            return

        repeats = 9 if args.quick else 21
        results: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                     "loadavg_start": os.getloadavg()}, "quick": args.quick,
                   "clock": "process CPU time" if args.cpu else "wall time"}
        if not args.camera:
            results["upload"] = floor_and_check("(b) upload file", upload, "upload", repeats)
            print_single(results["upload"])
        results["camera"] = floor_and_check("(c) camera original", camera, "original", repeats)
        print_single(results["camera"])
        if args.camera:
            print(f"\n  camera check / floor = {results['camera']['ratio']:.2f}   (goal ≤ 1.5)")
            if args.json:
                args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
            return

        if not args.no_batch:
            cores = os.cpu_count() or 1
            mode = batch_mode()
            n_shoot, n_small, n_big, distinct = (40, 20, 80, 24) if args.quick else (500, 100, 2000, 100)
            n_shoot = args.shoot or n_shoot
            if args.mem_files:
                n_small, n_big = map(int, args.mem_files.split(","))
            distinct = args.distinct or distinct
            SHOOT_CACHE.mkdir(exist_ok=True)
            shots, log = make_shoot(n_shoot, distinct, SHOOT_CACHE)
            print(f"\n== (d) batch on {n_shoot} camera files ({min(n_shoot, distinct)} distinct images), "
                  f"mode: {'run_batch' if mode == 'runner' else 'process pool over photocheck.check (run_batch not available)'}")
            b1 = run_batch_measure(shots, log, 1, mode)
            bn = run_batch_measure(shots, log, cores, mode)
            cam, upl = results["camera"], results["upload"]
            # a batch worker's own floor: the camera floor + SFace + export decode + the upload re-check's floor
            bfloor = cam["floor"] + cam["sface"] + cam["export_decode"] + upl["floor"]
            results["batch"] = {"mode": mode, "files": n_shoot, "distinct": min(n_shoot, distinct), "w1": b1, "wn": bn,
                                "batch_floor": bfloor}
            print(f"  batch floor per file (camera floor + SFace + export decode + upload floor) = {fmt_ms(bfloor).strip()}")
            for b in (b1, bn):
                if "error" in b:
                    print(f"  workers={b['workers']}: FAILED {b['error']}")
                else:
                    print(f"  workers={b['workers']}: {b['wall']:7.1f} s, {fmt_ms(b['per_file'])}/file, "
                          f"per-file/camera floor = {b['per_file'] / cam['floor']:.2f}, "
                          f"per-file/batch floor = {b['per_file'] / bfloor:.2f}, "
                          f"peak RSS/worker {b['peak_rss_per_worker_mb']:.0f} MB")
            if "error" not in b1 and "error" not in bn:
                results["batch"]["speedup"] = b1["wall"] / bn["wall"]
                print(f"  speed-up {cores} workers / 1 worker = {results['batch']['speedup']:.2f}")
            # memory per worker vs number of files: a short and a long shoot, all cores
            small, slog = make_shoot(n_small, distinct, SHOOT_CACHE)
            big, blog = make_shoot(n_big, distinct, SHOOT_CACHE)
            m_small = run_batch_measure(small, slog, cores, mode)
            m_big = run_batch_measure(big, blog, cores, mode)
            results["memory"] = {"small": m_small, "big": m_big}
            for m in (m_small, m_big):
                if "error" in m:
                    print(f"  {m.get('files', '?')} files: FAILED {m['error']}")
                else:
                    print(f"  {m['files']:5d} files, {cores} workers: peak RSS/worker {m['peak_rss_per_worker_mb']:.0f} MB "
                          f"({fmt_ms(m['per_file'])}/file)")
        results["machine"]["loadavg_end"] = os.getloadavg()
        print("\n== summary")
        print(f"  upload check / floor  = {results['upload']['ratio']:.2f}   (goal ≤ 2.0)")
        print(f"  camera check / floor  = {results['camera']['ratio']:.2f}   (goal ≤ 1.5)")
        if "batch" in results and "speedup" in results["batch"]:
            w1 = results["batch"]["w1"]["per_file"]
            print(f"  batch per-file (1 worker) / camera floor = {w1 / results['camera']['floor']:.2f}, "
                  f"/ batch floor = {w1 / results['batch']['batch_floor']:.2f}")
            print(f"  multi-worker speed-up = {results['batch']['speedup']:.2f}   (goal ≥ 1.8 on 2 workers)")
        print(f"  load average start/end: {results['machine']['loadavg_start']} / {results['machine']['loadavg_end']}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
