"""Make the single-photo samples in samples/upload/ and samples/problems/ from the London set.

    python samples/make_samples.py            # needs ../shared/faces (the London set)

upload/   compliant 480×640 upload files (neutral London faces composed on light blue, framed)
problems/ the same photos with one real-world fault each (see the file names), for trying
          `photocheck check` and the student page
original/ one London studio original (grey background, 1350×1350) and the public-domain Grace
          Hopper portrait, for `photocheck check --profile original` and `photocheck fix`
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support import variants as V  # noqa: E402
from support.compose import IMAGES, compliant_frame, compliant_upload, london  # noqa: E402

import photocheck  # noqa: E402


def main() -> None:
    up, bad, orig = HERE / "upload", HERE / "problems", HERE / "original"
    for d in (up, bad, orig):
        d.mkdir(exist_ok=True)
    for fid in ("005", "042", "006", "099"):
        (up / f"london_{fid}.jpg").write_bytes(compliant_upload(fid))
    rgb = compliant_frame("034")
    a = photocheck.analyse(compliant_upload("034"))
    faults = {
        "head_too_high": V.head_too_high("034"),
        "white_background": V.background(rgb, (255, 255, 255)),
        "half_face_shadow": V.half_face_shadow(rgb, a.face_cx),
        "blurred": V.blurred(rgb),
        "tilted": V.tilted(rgb, (a.face_cx, a.eye_y)),
        "over_40kb": V.too_big(rgb),
    }
    for name, data in faults.items():
        (bad / f"london_034_{name}.jpg").write_bytes(data)
    (bad / "london_025_smile_with_teeth.jpg").write_bytes(compliant_upload("025", "08"))
    shutil.copyfile(london("036"), orig / "london_036_studio.jpg")
    shutil.copyfile(IMAGES / "qttflite__grace_hopper.jpg", orig / "grace_hopper.jpg")


if __name__ == "__main__":
    main()
