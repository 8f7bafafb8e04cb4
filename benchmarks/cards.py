"""How well shot-number cards are read as a camera sees them, and what it costs on frames without one.

    nice -n 10 python benchmarks/cards.py            # the tables of docs/accuracy.md "Shot-number cards"
    python benchmarks/cards.py --frames 4 --quick    # a smoke run

Cards: our own ``photocheck cards`` PDF rasterised with PDFium (tests/support/cards.py), held at chest
height in real frames — the sample shoot's 3000×2000 camera frames and London faces composed into
3000×4000 portrait frames — tilted, blurred, with glare, or a phone screen showing a QR code.
For each condition: the read rate of ``cv2.QRCodeDetector``, ``cv2.QRCodeDetectorAruco`` and
``wechat_qrcode`` (no CNN models) on the camera frame at full size, 1/2 and 1/4, with the time per
frame; then photocheck's reader (:func:`photocheck.cards.reader.read_codes`) as the batch runs it: on
the working image that :func:`photocheck.io.load` decodes from the JPEG, refining on the file.
Then every real portrait in ../shared/faces and every sample-shoot frame, without a card: how many
are read as a code (must be 0) and the reader's time per frame.
"""

from __future__ import annotations

import argparse
import glob
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from photocheck.cards.payload import card_text  # noqa: E402
from photocheck.cards.reader import read_codes  # noqa: E402
from photocheck.io import load  # noqa: E402
from support.cards import card_image, hold, jpeg_bytes, phone_image, portrait_canvas  # noqa: E402

CONDITIONS = {  # name → (hold() arguments drawn per frame, phone?)
    "straight, 12 % of the width": (lambda r: {"width_frac": 0.12, "yaw": r.uniform(-10, 10), "pitch": r.uniform(-10, 10)}, False),
    "small, 6 %": (lambda r: {"width_frac": 0.06, "yaw": r.uniform(-10, 10)}, False),
    "small, 8 %": (lambda r: {"width_frac": 0.08, "yaw": r.uniform(-10, 10)}, False),
    "large, 20 %": (lambda r: {"width_frac": 0.20, "yaw": r.uniform(-10, 10)}, False),
    "tilted 25–40°": (lambda r: {"width_frac": 0.12, "yaw": r.choice([-1, 1]) * r.uniform(25, 40), "pitch": r.uniform(-15, 15)}, False),
    "motion blur 0.3 %": (lambda r: {"width_frac": 0.12, "blur_px": 0.003, "blur_angle": r.uniform(0, 180)}, False),
    "glare": (lambda r: {"width_frac": 0.12, "glare": r.uniform(0.7, 1.0), "yaw": r.uniform(-15, 15)}, False),
    "tilt 30° + blur + glare": (lambda r: {"width_frac": 0.10, "yaw": r.choice([-1, 1]) * 30, "blur_px": 0.002, "glare": 0.8}, False),
    "phone screen (采集码), 9 %": (lambda r: {"width_frac": 0.09, "yaw": r.uniform(-20, 20)}, True),
    # camera faults on the whole frame (applied after the card is held): see POST
    "sensor noise σ 8, JPEG 75": (lambda r: {"width_frac": 0.10, "yaw": r.uniform(-30, 30)}, False),
    "defocus σ 0.08 %": (lambda r: {"width_frac": 0.12, "yaw": r.uniform(-30, 30)}, False),
    "under-exposed (55 %)": (lambda r: {"width_frac": 0.10, "yaw": r.uniform(-30, 30)}, False),
}
#: what the camera does to the whole frame after the card is held: (frame, rng) → frame
POST = {
    "sensor noise σ 8, JPEG 75": lambda f, r: f + r.normal(0, 8, f.shape[:2])[..., None],
    "defocus σ 0.08 %": lambda f, r: cv2.GaussianBlur(f, (0, 0), 0.0008 * f.shape[1]),
    "under-exposed (55 %)": lambda f, r: f * 0.55,
}
QUALITY = {"sensor noise σ 8, JPEG 75": 75}
SCALES = (1, 2, 4)


def frames(n_portrait: int) -> list[np.ndarray]:
    """The sample shoot's camera frames (3000×2000) and London faces in 3000×4000 portrait frames."""
    from PIL import Image

    out = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(glob.glob(str(REPO / "samples/shoot/shots/DSC_*.JPG")))
           if not p.endswith("0424.JPG")]  # DSC_0424 is the truncated file
    portraits = []
    try:
        from support.compose import composed, faces_available, london_ids
        if faces_available():
            for fid in london_ids()[:n_portrait]:
                portraits.append(portrait_canvas(composed(fid)[0], (3000, 4000)))
    except Exception as e:  # noqa: BLE001 — the shoot frames alone still measure the reader
        print(f"(no portrait frames: {e})", file=sys.stderr)
    mixed = [f for pair in zip(out, portraits) for f in pair]  # landscape and portrait frames in turn
    return mixed + out[len(portraits):] + portraits[len(out):]


def detectors():
    return {"QRCodeDetector": cv2.QRCodeDetector(), "QRCodeDetectorAruco": cv2.QRCodeDetectorAruco(),
            "wechat_qrcode": cv2.wechat_qrcode_WeChatQRCode()}


def decode(name: str, det, gray: np.ndarray) -> list[str]:
    try:
        if name == "wechat_qrcode":
            return [t for t in det.detectAndDecode(gray)[0] if t]
        ok, texts, _, _ = det.detectAndDecodeMulti(gray)
        return [t for t in texts if t] if ok else []
    except cv2.error:
        return []


def run(n_frames: int, quick: bool, only: list[str] | None = None, portraits: bool = True) -> None:
    rng = np.random.default_rng(7)
    pool = frames(6)
    dets = detectors()
    tmp = Path(tempfile.mkdtemp(prefix="photocheck-cards-"))
    print("| condition | frames | " + " | ".join(f"{d} {'full' if s == 1 else f'1/{s}'}" for d in dets for s in SCALES)
          + " | reader: read | reader ms/frame | decoded at (work/half/crop/full) |")
    print("|---|---|" + "---|" * (len(dets) * len(SCALES) + 3))
    for cname, (draw, phone) in CONDITIONS.items():
        if only and not any(o in cname for o in only):
            continue
        hits = {(d, s): 0 for d in dets for s in SCALES}
        secs = {(d, s): 0.0 for d in dets for s in SCALES}
        r_hits, r_time, stages = 0, 0.0, {}
        for k in range(n_frames):
            base = pool[k % len(pool)]
            number = int(rng.integers(1, 400))
            text = ("KX" + "".join(rng.choice(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"), 30))) if phone else card_text(number, "S1")
            card = phone_image(text) if phone else card_image(number, "S1")
            kw = draw(rng)
            if kw.get("blur_px", 0) < 1 and "blur_px" in kw:
                kw["blur_px"] = kw["blur_px"] * base.shape[1]
            img, _ = hold(base, card, cx=rng.uniform(0.35, 0.65), cy=rng.uniform(0.74, 0.86), roll=rng.uniform(-10, 10),
                          seed=k, **kw)
            if cname in POST:
                img = np.clip(POST[cname](img.astype(np.float32), rng), 0, 255).astype(np.uint8)
            gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
            for s in SCALES:
                g = gray if s == 1 else cv2.resize(gray, (gray.shape[1] // s, gray.shape[0] // s), interpolation=cv2.INTER_AREA)
                for d, det in dets.items():
                    if quick and s == 1 and d == "wechat_qrcode":
                        continue
                    t0 = time.perf_counter()
                    got = decode(d, det, g)
                    secs[(d, s)] += time.perf_counter() - t0
                    hits[(d, s)] += text in got
            path = tmp / f"f{k}.jpg"
            path.write_bytes(jpeg_bytes(img, QUALITY.get(cname, 92)))
            work = load(str(path)).rgb
            t0 = time.perf_counter()
            reads = read_codes(work, path)
            r_time += time.perf_counter() - t0
            ok = [r for r in reads if r.text == text]
            r_hits += bool(ok)
            for r in ok:
                stages[r.stage] = stages.get(r.stage, 0) + 1
        cells = ["not run" if quick and s == 1 and d == "wechat_qrcode" else
                 f"{100 * hits[(d, s)] / n_frames:.0f} % · {1000 * secs[(d, s)] / n_frames:.0f} ms" for d in dets for s in SCALES]
        st = "/".join(str(stages.get(x, 0)) for x in ("work", "half", "crop", "full"))
        print(f"| {cname} | {n_frames} | " + " | ".join(cells) + f" | {100 * r_hits / n_frames:.0f} % | {1000 * r_time / n_frames:.0f} | {st} |",
              flush=True)

    if not portraits:
        return
    # frames without a card: every real portrait and the sample shoot's frames
    from support.compose import FACES

    paths = sorted(glob.glob(str(FACES / "images" / "*.jpg")) + glob.glob(str(FACES / "images" / "*.png"))
                   + glob.glob(str(REPO / "samples/shoot/shots/DSC_*.JPG")))
    times, read, n = [], 0, 0
    for p in paths:
        try:
            work = load(p).rgb
        except Exception:  # noqa: BLE001, S112 — an unreadable test photo is skipped
            continue
        t0 = time.perf_counter()
        reads = read_codes(work, p)
        times.append(time.perf_counter() - t0)
        n += 1
        if reads:  # read, or seen and not read (which would fail the photo as showing a card)
            read += 1
            print(f"  CODE ON A PORTRAIT: {p}: {[r.text or '(unread)' for r in reads]}", file=sys.stderr)
    print(f"\nframes without a card: {n} (real portraits in ../shared/faces + sample shoot), read or seen as a code: {read}; "
          f"reader {1000 * np.mean(times):.0f} ms/frame (p90 {1000 * np.percentile(times, 90):.0f}, max {1000 * max(times):.0f})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=16, help="frames per condition")
    ap.add_argument("--quick", action="store_true", help="skip wechat_qrcode at full size (seconds a frame)")
    ap.add_argument("--only", action="append", help="run only the conditions whose name contains this (repeatable)")
    ap.add_argument("--no-portraits", action="store_true", help="skip the frames without a card")
    a = ap.parse_args()
    run(a.frames, a.quick, a.only, not a.no_portraits)
