"""Person-rule cases (work in progress)."""
from __future__ import annotations

from benchmarks.accuracy import Case


def cases():
    from support.compose import compliant_upload, faces_available, london, london_info

    if not faces_available():
        return
    for fid, info in london_info().items():
        g = {"eth": info["face_eth"], "sex": info["face_gender"]}
        yield Case(f"london_{fid}_03_blue", "*", "compliant", lambda fid=fid: compliant_upload(fid), "upload",
                   group=g, key=f"london_{fid}_03_blue_upload")
        break
