"""How many bytes the operator page fetches per event: ``GET /api/state`` for a shoot of N students.

The page of ``photocheck watch`` fetches the whole state after every verdict (a tablet on Wi-Fi at
the camera). This builds a synthetic state of a late-in-the-day shoot — N log rows, every student
photographed (one in five twice: a retake), one in ten with a failed rule, the report's real
student objects and a real 120-px thumbnail per frame made from the sample shoot's camera frames —
runs it through :func:`photocheck.watch.state.build_state` exactly as the watch does, and prints
the size of the JSON body as served, and gzip-compressed (what a browser receives when it asks for
it, ``Accept-Encoding: gzip``). No models are loaded.

    python benchmarks/watch_state_size.py              # 300 students
    python benchmarks/watch_state_size.py --students 100
"""

from __future__ import annotations

import argparse
import base64
import gzip
import io
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from photocheck.batch.roster import Roster, Row  # noqa: E402
from photocheck.batch.scan import ScannedFile  # noqa: E402
from photocheck.watch.live import Entry  # noqa: E402
from photocheck.watch.state import build_state  # noqa: E402

SAMPLES = sorted((ROOT / "samples" / "shoot" / "shots").glob("DSC_*.JPG"))


def thumbnails(width: int = 120) -> list[str]:
    """The batch's report thumbnails (120×160 px, JPEG q80, base64: ~5 KB each) of the sample frames."""
    out = []
    for p in SAMPLES:
        try:
            im = Image.open(p).convert("RGB")
        except OSError:  # the sample shoot's truncated file
            continue
        w = im.height * 3 // 4  # the batch thumbnails the portrait (3:4), not the whole landscape frame
        im = im.crop(((im.width - w) // 2, 0, (im.width + w) // 2, im.height))
        im = im.resize((width, round(im.height * width / im.width)), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=80)
        out.append(base64.b64encode(buf.getvalue()).decode())
    return out


def synthetic(n: int) -> tuple[dict, list, dict, SimpleNamespace]:
    thumbs = thumbnails()
    students, files, entries, by_rel, rows = [], [], [], {}, []
    k = 0
    for i in range(1, n + 1):
        rows.append(Row(line=i + 1, shot_no=str(i), student_id=f"2026{i:04d}", name=f"学生{i}"))
        rels = []
        for _ in range(2 if i % 5 == 0 else 1):
            k += 1
            rels.append(f"DSC_{k:04d}.JPG")
        failed = i % 10 == 0
        findings = [{"rule": "eyes.open", "status": "fail", "value": 0.12, "limit": 0.2,
                     "message": "眼睛没有完全睁开（睁眼程度 0.12，至少 0.20）。请重拍。"}] if failed else []
        students.append({"shot_no": str(i), "student_id": f"2026{i:04d}", "name": f"学生{i}",
                         "status": "failed" if failed else "ok", "file": rels[-1], "retakes": rels[:-1],
                         "output": None if failed else f"upload/2026{i:04d}.jpg", "code": f"CX6{i:05d}",
                         "time": "2026-06-10 09:00:00", "id_number": "110***********3932", "extra": {"院系": "信息学院"},
                         "thumbnail": thumbs[k % len(thumbs)], "photo_ok": not failed, "matched_by": "face",
                         "similarity": 0.85, "findings": findings})
        for rel in rels:
            files.append({"file": rel, "status": "used" if rel == rels[-1] else "retake", "shot_no": str(i),
                          "time": "2026:06:10 09:01:43"})
            sha = f"{k:064x}"
            entries.append(Entry(rel, f"/shots/{rel}", waiting="", judged_at="2026-06-10T09:01:45+08:00", seq=len(entries) + 1,
                                 scanned=ScannedFile(f"/shots/{rel}", rel, 2_000_000, sha, "image"), live=True))
            by_rel[rel] = {"rel": rel, "ok": True, "upload_ok": True, "findings": [], "card": []}
    report = {"students": students, "files": files, "mismatches": [], "notes": [],
              "summary": {"log_rows": n, "files": len(files), "students": {"ok": n}}}
    inputs = SimpleNamespace(lang="zh", shots=Path("/shots"), out=Path("/out"), log_rows=Roster("shots.csv", rows, ["拍摄号", "学号", "姓名"]))
    return report, entries, by_rel, inputs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=300)
    a = ap.parse_args()
    report, entries, by_rel, inputs = synthetic(a.students)
    t0 = time.perf_counter()
    body = json.dumps(build_state(report, entries, None, inputs, by_rel), ensure_ascii=False).encode()
    t1 = time.perf_counter()
    gz = gzip.compress(body, 6, mtime=0)  # as photocheck.watch.app does, once per version
    t2 = time.perf_counter()
    thumbs = sum(len(s["thumbnail"] or "") for s in report["students"])
    print(f"{a.students} students, {len(entries)} frames: /api/state {len(body) / 1024:.0f} KiB "
          f"({len(body) / a.students:.0f} B per student), gzip {len(gz) / 1024:.0f} KiB; "
          f"the report's inline thumbnails alone are {thumbs / 1024:.0f} KiB; "
          f"build + JSON {1000 * (t1 - t0):.0f} ms, gzip {1000 * (t2 - t1):.0f} ms")


if __name__ == "__main__":
    main()
