"""Make the single-photo samples in samples/upload/ and samples/problems/ from the London set.

    python samples/make_samples.py            # needs ../shared/faces (the London set)

upload/   compliant 480×640 upload files (neutral London faces composed on light blue, framed)
problems/ the same photos with one real-world fault each (see the file names), for trying
          `photocheck check` and the student page
original/ camera originals for `photocheck fix` and `photocheck check --profile original`, each named
          for what fix does with it:
          london_087_camera_ok.jpg — a phone-size frame (2448×3264) on the light-blue background with
            room around the head: fix crops and scales it to a 480×640 file that passes every rule;
          london_036_studio_refused_background.jpg — the unchanged London original on its grey wall:
            cropping cannot make the background blue, fix writes nothing;
          grace_hopper_refused_several_rules.jpg — the public-domain portrait: too few pixels for
            480×640, too little room above the head, a dark busy background
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support import variants as V  # noqa: E402
from support.compose import (  # noqa: E402
    IMAGES,
    compliant_frame,
    compliant_upload,
    london,
    on_background,
    read_rgb,
)

import photocheck  # noqa: E402

PHONE = (2448, 3264)  # an 8-megapixel phone frame, portrait


def camera_original(face_id: str, seed: int = 0) -> bytes:
    """A London face as a phone would take it against the right background: on flat light blue with
    room above and at the sides, scaled up to a phone frame (clothes continue to the bottom edge),
    with sensor-like noise, saved as a camera JPEG with a capture time in its EXIF."""
    w, h = PHONE
    rgb = on_background(read_rgb(london(face_id)))
    rgb = cv2.resize(rgb, (w, round(rgb.shape[0] * w / rgb.shape[1])), interpolation=cv2.INTER_CUBIC)
    rgb = cv2.copyMakeBorder(rgb, 0, h - rgb.shape[0], 0, 0, cv2.BORDER_REPLICATE)
    rgb = np.clip(rgb + np.random.default_rng(seed).normal(0, 2.0, rgb.shape), 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0132] = "2026:05:20 10:15:00"  # DateTime (invented)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


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
    (orig / "london_087_camera_ok.jpg").write_bytes(camera_original("087"))
    shutil.copyfile(london("036"), orig / "london_036_studio_refused_background.jpg")
    shutil.copyfile(IMAGES / "qttflite__grace_hopper.jpg", orig / "grace_hopper_refused_several_rules.jpg")


if __name__ == "__main__":
    main()
