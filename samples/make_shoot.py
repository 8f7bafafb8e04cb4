"""Make the sample campus shoot in samples/shoot/ from the Face Research Lab London Set (CC-BY-4.0).

    python samples/make_shoot.py                        # samples/shoot (3000×2000 frames)
    python samples/make_shoot.py --out /tmp/big --size 6000x4000 --noise 3 --repeat 20   # benchmark

How the frames are made (honestly): each London photo (1350×1350, light-grey studio background) is
composed on the light-blue background with the person mask (``tests/support/compose.py:
on_background``), scaled to the frame height and placed, slightly shifted, in a landscape camera-size
canvas, then saved as a camera-style JPEG (``DSC_0412.JPG``) with EXIF DateTimeOriginal. The London
set has only two photos per person (neutral, smiling): the shoot uses the neutral one, the references
(enrollment photos) the smiling one. A "blink" retake is the same photo with the eye regions blurred
and darkened (a crude closed-eye look); the other retake is the same photo with a different crop. The
broken file is a truncated copy of a frame; the non-image file is a text note.

The shoot (log rows 1–12, students 2026001–2026012):
  shot 3 has a blink retake first, then a good frame; shot 10 has two good frames (different crop);
  the students of shots 6 and 7 were photographed in swapped order; shot 9 has no photo (missing);
  a person who is not in the log (London 099) was photographed between shots 4 and 5;
  DSC_0424.JPG is broken (truncated); shoot-notes.txt is not an image.

The roster sample (samples/shoot-roster, for ``--roster``; the same photos and references): the log
as a secretary types it from the handwritten shooting sheet, shot number and name only
(``shots.csv``), and the department's registration form, "Attachment 2" (``registration.xls``:
an instructions sheet first, then the form with a merged title row, 学号 as number cells, ID
numbers as text, a blank row and a footer). The form also lists five students of other
departments who are not in this shoot; one of them has the same name as shot 1's student (王芳),
and shot 3's name is mistyped in the log (张明 for 张敏; a 张民 of another department is also one
character off).
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.compose import BLUE, london, on_background, read_rgb  # noqa: E402

FACES = ["005", "006", "025", "034", "036", "037", "042", "045", "062", "067", "087"]  # log order, shot 9 has none
STRANGER = "099"
NAMES = ["王芳", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄婷", "周杰", "吴倩", "徐明", "孙悦"]
MISSING_SHOT = 9
START = datetime(2026, 6, 10, 9, 0, 0)
CAMERA_CLOCK_AHEAD = timedelta(seconds=95)  # the camera's clock is 95 s ahead of the code reader's


def camera_frame(face_id: str, size: tuple[int, int], shift: int = 0, zoom: float = 1.0, blink: bool = False) -> np.ndarray:
    w, h = size
    rgb = on_background(read_rgb(london(face_id, "03")))
    if blink:
        rgb = close_eyes(rgb)
    k = h / rgb.shape[0] * zoom
    p = cv2.resize(rgb, (int(rgb.shape[1] * k), int(rgb.shape[0] * k)), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    canvas = np.empty((h, w, 3), np.uint8)
    canvas[:] = BLUE
    x0 = (w - p.shape[1]) // 2 + shift
    y0 = h - p.shape[0]  # feet of the canvas: the clothes reach the bottom edge
    xs, xe = max(0, x0), min(w, x0 + p.shape[1])
    ys = max(0, y0)
    canvas[ys:, xs:xe] = p[ys - y0:, xs - x0: xe - x0]
    # the clothes continue to the frame bottom on both sides of the pasted person
    return canvas


def close_eyes(rgb: np.ndarray) -> np.ndarray:
    """Blur and darken the eye regions (landmarks from the Face Landmarker): a crude closed-eye look."""
    from photocheck import landmarks as L
    from photocheck.inference import get_models

    found = get_models().landmarks(rgb)
    if not found:
        return rgb
    pts = found[0].points[:, :2]
    out = rgb.copy()
    for idx in (L.RIGHT_EYE, L.LEFT_EYE):
        q = pts[idx]
        x0, y0 = q.min(0)
        x1, y1 = q.max(0)
        pad_x, pad_y = 0.25 * (x1 - x0), 0.6 * (y1 - y0)
        xa, xb = int(x0 - pad_x), int(x1 + pad_x)
        ya, yb = int(y0 - pad_y), int(y1 + pad_y)
        patch = out[ya:yb, xa:xb].astype(np.float32)
        skin = np.median(rgb[yb:yb + (yb - ya), xa:xb].reshape(-1, 3), axis=0)  # the cheek just below
        mask = np.zeros(patch.shape[:2], np.float32)
        cv2.ellipse(mask, ((patch.shape[1] / 2, patch.shape[0] / 2), (patch.shape[1] * 0.95, patch.shape[0] * 0.8), 0), 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), 3)[..., None]
        lid = skin * 0.92
        out[ya:yb, xa:xb] = np.clip(patch * (1 - mask) + lid * mask, 0, 255).astype(np.uint8)
        cv2.line(out, (xa + (xb - xa) // 6, (ya + yb) // 2 + 2), (xb - (xb - xa) // 6, (ya + yb) // 2 + 2), (60, 45, 40), 2, cv2.LINE_AA)
    return out


def save_camera_jpeg(rgb: np.ndarray, path: Path, when: datetime, quality: int = 90) -> None:
    exif = Image.Exif()
    exif[0x010F] = "photocheck-sample"  # Make
    exif[0x0110] = "London set composite"  # Model
    exif[0x8769] = {0x9003: when.strftime("%Y:%m:%d %H:%M:%S")}
    Image.fromarray(rgb).save(path, "JPEG", quality=quality, exif=exif.tobytes())


def add_noise(rgb: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """Sensor-like noise, so files are as large as real camera JPEGs (a flat studio background
    otherwise compresses to a fraction of a real file's size)."""
    noise = np.random.default_rng(seed).normal(0.0, sigma, rgb.shape[:2]).astype(np.float32)[..., None]
    return np.clip(rgb.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def make(out: Path, size: tuple[int, int] = (3000, 2000), repeat: int = 1, references: bool = True,
         noise: float = 0.0) -> None:
    shots = out / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    seq = 412
    rows = []
    t = START
    order: list[tuple] = []  # capture order: (face, shot, kind)
    for r in range(repeat):
        base = r * 12
        log_times = {}
        for k in range(12):
            shot = base + k + 1
            log_times[shot] = t
            t += timedelta(seconds=30 + (7 * k) % 11)
        people = {base + i + 1 + (i >= MISSING_SHOT - 1): f for i, f in enumerate(FACES)}
        for k in range(12):
            shot = base + k + 1
            sid = f"{2026001 + base + k}"
            rows.append({"拍摄号": shot, "学号": sid, "姓名": NAMES[k] if r == 0 else f"{NAMES[k]}{r}",
                         "采集码": f"CX{sid[-4:]}{(shot * 7919) % 97:02d}", "时间": log_times[shot].strftime("%Y-%m-%d %H:%M:%S"),
                         "身份证号": f"11010120040{(k % 9) + 1}{(k * 37) % 28 + 1:02d}{(shot * 131) % 1000:03d}{k % 10}",
                         "院系": "=HYPERLINK(\"http://example.invalid\",\"信息学院\")" if (r == 0 and k == 11) else "信息学院"})
        for k in range(12):
            shot = base + k + 1
            if k + 1 == MISSING_SHOT:
                continue
            slot = shot
            face = people[shot]
            if k + 1 == 6:
                face = people[base + 7]
            elif k + 1 == 7:
                face = people[base + 6]
            when = log_times[slot] + CAMERA_CLOCK_AHEAD + timedelta(seconds=8 + (k % 3))
            if k + 1 == 3:
                order.append((face, when, dict(blink=True, shift=-20)))
                order.append((face, when + timedelta(seconds=6), dict(shift=10)))
            elif k + 1 == 10:
                order.append((face, when, dict(shift=30)))
                order.append((face, when + timedelta(seconds=5), dict(shift=-60, zoom=0.94)))
            elif k + 1 == 11:
                order.append((face, when - timedelta(seconds=4), dict(shift=0, broken=True)))
                order.append((face, when, dict(shift=15)))
            else:
                order.append((face, when, dict(shift=(k * 23) % 50 - 25)))
            if k + 1 == 4:
                order.append((STRANGER, when + timedelta(seconds=12), dict(shift=5)))
    per_block = len(order) // repeat
    for n, (face, when, opt) in enumerate(order):
        block = n // per_block
        if block:  # later repeats of the pattern: the same person sits a little elsewhere
            opt = {**opt, "shift": opt.get("shift", 0) + 40 * (block % 4) - 90}
        path = shots / f"DSC_{seq:04d}.JPG"
        seq += 1
        rgb = camera_frame(face, size, shift=opt.get("shift", 0), zoom=opt.get("zoom", 1.0), blink=opt.get("blink", False))
        if noise:
            rgb = add_noise(rgb, noise, seq)
        save_camera_jpeg(rgb, path, when)
        if opt.get("broken"):
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * 0.4)])  # a copy that stopped mid-way
    (shots / "shoot-notes.txt").write_text("Session 1, camera A. Light check done 08:55.\n", encoding="utf-8")
    with open(out / "shots.csv", "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    if references:
        ref = out / "references"
        ref.mkdir(exist_ok=True)
        for r in range(repeat):
            for i, face in enumerate(FACES):
                k = i + (i >= MISSING_SHOT - 1)
                sid = f"{2026001 + r * 12 + k}"
                im = Image.open(london(face, "08")).convert("RGB").resize((600, 600), Image.LANCZOS)
                im.save(ref / f"{sid}.jpg", "JPEG", quality=85)


#: students of other departments in the registration form (not in this shoot): (学号, 姓名, 性别, 培养单位, 专业)
OTHER_GROUPS = [(2026101, "李强", "男", "数学学院", "应用数学"), (2026107, "王芳", "女", "数学学院", "统计学"),
                (2026112, "张民", "男", "数学学院", "基础数学"), (2026203, "陈晨", "女", "物理学院", "光学"),
                (2026208, "刘洋洋", "男", "物理学院", "理论物理")]
SEXES = ["女", "女", "女", "男", "女", "男", "男", "女", "男", "女", "男", "女"]
TYPO = {3: "张明"}  # shot → the name as typed in the log


def make_roster(out: Path, rows: list[dict]) -> None:
    """The name-only log and the .xls registration form for the shoot whose log rows are ``rows``."""
    import xlwt  # test extra: only needed to rebuild the sample

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "shots.csv", "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["拍摄号", "姓名"])
        for r in rows:
            w.writerow([r["拍摄号"], TYPO.get(r["拍摄号"], r["姓名"])])
    book = xlwt.Workbook(encoding="utf-8")
    notes = book.add_sheet("填表说明")
    notes.write(0, 0, "1. 学号、姓名必填；身份证号请设置为文本格式。")
    notes.write(1, 0, "2. 每位毕业生一行，请勿合并单元格。")
    form = book.add_sheet("报名表")
    head = ["序号", "学号", "姓名", "性别", "身份证号", "培养单位", "专业", "联系电话"]
    form.write_merge(0, 0, 0, len(head) - 1, "附件2：2026届毕业生图像采集报名表")
    for c, h in enumerate(head):
        form.write(1, c, h)
    people = [(int(r["学号"]), r["姓名"], SEXES[k % 12], "信息学院", "计算机科学与技术", r["身份证号"]) for k, r in enumerate(rows)]
    people += [(sid, name, sex, dept, major, f"1101012003{(sid * 7) % 12 + 1:02d}{(sid * 13) % 28 + 1:02d}{sid % 1000:03d}{sid % 10}")
               for sid, name, sex, dept, major in OTHER_GROUPS]
    for k, (sid, name, sex, dept, major, idn) in enumerate(people):
        r = k + 2 + (k >= len(rows))  # a blank row between this shoot's department and the others
        form.write(r, 0, k + 1)
        form.write(r, 1, float(sid))  # a number cell, as Excel stores a typed student number
        for c, v in enumerate([name, sex, idn, dept, major, f"1380000{sid % 10000:04d}"], start=2):
            form.write(r, c, v)
    form.write(len(people) + 4, 0, "制表人：研究生院培养办")
    book.save(str(out / "registration.xls"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE / "shoot"))
    ap.add_argument("--size", default="3000x2000", help="camera frame WxH, e.g. 6000x4000")
    ap.add_argument("--repeat", type=int, default=1, help="repeat the 12-student pattern (benchmarks)")
    ap.add_argument("--noise", type=float, default=0.0, help="sensor-noise sigma (grey levels); 3 gives camera-size files")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.lower().split("x"))
    make(Path(a.out), (w, h), a.repeat, noise=a.noise)
    print(f"wrote {a.out}")
    if a.repeat == 1:
        out = Path(a.out)
        with open(out / "shots.csv", encoding="utf-8-sig", newline="") as fh:
            rows = [{**r, "拍摄号": int(r["拍摄号"])} for r in csv.DictReader(fh)]
        make_roster(out.with_name(out.name + "-roster"), rows)
        print(f"wrote {out.with_name(out.name + '-roster')}")


if __name__ == "__main__":
    main()
