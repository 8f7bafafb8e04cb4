"""What the page (and ``POST /api/check``) answers about one upload: a JSON-ready dict.

Runs inside a check worker (:mod:`photocheck.web.pool`): everything here is a pure function of the
photo's bytes, in memory; nothing is written anywhere. The answer keeps the report shape of
``photocheck check --json`` (``report``) and adds what the page shows: a verdict with a headline
in both languages, the problems / warnings / every rule with Chinese and English text, the
annotated image and the standard 480×640 file as base64 (``download``). The full shape is in
docs/api.md.

>>> from photocheck.web.answer import answer
>>> a = answer(open("samples/upload/london_005.jpg", "rb").read(), "london_005.jpg", lang="en")  # doctest: +SKIP
>>> a["verdict"], a["report"]["ok"]  # doctest: +SKIP
('pass', True)
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from ..report import Finding

#: Version of the answer's shape; bumped when a field changes meaning or disappears.
API_VERSION = 1


def both(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _finding_json(f: Finding) -> dict[str, Any]:
    """One judgement with its title and message in both languages (worded here, judged once)."""
    d = f.to_dict()
    return {"rule": f.rule, "status": d["status"], "value": d["value"], "limit": d["limit"],
            "title": both(f.name("zh") or f.rule, f.name("en") or f.rule),
            "message": both(f.text("zh"), f.text("en"))}


def _annotated_jpeg(a, rep, lang: str = "zh") -> str | None:
    from PIL import Image

    from ..annotate import annotate

    if a is None:
        return None
    buf = io.BytesIO()
    Image.fromarray(annotate(a, rep, lang=lang)).save(buf, "JPEG", quality=88)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _measurements(a) -> dict[str, float] | None:
    if a is None or a.face is None:
        return None
    return {"head_top": round(a.head_top, 1), "eye_line": round(a.eye_y, 1), "face_width": round(a.face_width, 1)}


def answer(photo: bytes, name: str = "photo.jpg", reference: bytes | None = None,
           reference_name: str = "enrollment.jpg", lang: str = "zh") -> dict[str, Any]:
    """Everything the page shows about one upload, as a JSON-ready dict (never raises for bad photos).

    ``lang`` is the language of ``report`` (the ``photocheck check --json`` object); the page's
    texts come in both languages whatever ``lang`` is.
    """
    from ..fix import fix

    stem = Path(name).stem or "photo"
    refs = [reference] if reference else []
    r = fix(photo, lang="zh", references=refs, name=name, reference_names=[reference_name])
    out: dict[str, Any] = {"api": API_VERSION, "file": name, "made": r.data is not None, "unchanged": r.unchanged,
                           "references": "unreadable" if r.reference_errors else "checked" if refs else "none"}
    if r.reference_errors:  # the enrollment photo's problem, not the new photo's
        e = r.reference_errors[0]
        en = e.en.rstrip(". ")
        out["reference_error"] = both(e.zh.rstrip("。") + "。未与入学照片比对。",
                                      en[:1].upper() + en[1:] + ". Not compared with the enrollment photo.")
    if r.unreadable:  # the loader's own words, both languages, from the one judgement
        f = r.source_report.finding("file.read")
        out.update(verdict="error", ok=False, headline=both("无法读取这张图片", "This image cannot be read"),
                   detail=both(f"{name}：{f.text('zh')}", f"{name}: {f.text('en')}"), problems=[],
                   report=r.source_report.to_dict(lang))
        return out
    a_src = r.source_analysis
    if a_src is not None and a_src.face_count > 1:
        out["faces"] = a_src.face_count
    # the report shown: the standard file's when one was made, else the photo's as a camera original
    if r.data is not None and r.report is not None:
        a, rep = r.output_analysis, r.report
    else:
        a, rep = a_src, r.source_report

    def listed(rules: list[str]) -> list[dict[str, Any]]:
        return [_finding_json(rep.finding(rid)) for rid in rules]

    out["ok"] = r.ok
    out["report"] = rep.to_dict(lang)
    out["problems"] = listed([f.rule for f in (r.blocking or rep.failed)])
    out["warnings"] = listed([f.rule for f in rep.warnings])
    out["rules"] = listed([f.rule for f in rep.findings if f.status != "skip"])
    out["annotated"] = _annotated_jpeg(a, rep, lang)  # labels in `lang`
    out["measurements"] = _measurements(a)
    if a_src.face is None:
        out.update(verdict="fail", headline=both("照片里没有找到人脸", "No face found in the photo"),
                   detail=both("请上传一张正面、清晰、只有你一个人的照片。",
                               "Upload a clear, frontal photo with only you in it."))
    elif r.ok and r.unchanged:
        out.update(verdict="pass", headline=both("这张照片可以直接上传", "This photo can be uploaded as it is"),
                   detail=both("它已经是 480×640 的合格文件，符合所有检查规则。",
                               "It already is a compliant 480×640 file and passes every rule."))
    elif r.ok:
        out.update(verdict="fixed", headline=both("可以使用：已生成标准照片", "Usable: the standard file is ready"),
                   detail=both("已按规定裁剪、缩放为 480×640（未修饰人像、未改背景），生成的文件通过全部检查。请下载后上传。",
                               "Cropped and scaled to 480×640 (no retouching, background unchanged); the new file passes every rule. Download it and upload that file."))
    elif r.blocking:
        out.update(verdict="fail", headline=both("这张照片不能用，需要重拍", "This photo cannot be used: retake it"),
                   detail=both("下面的问题无法通过裁剪解决。请按提示重新拍摄后再检查。",
                               "Cropping cannot fix the problems below. Retake the photo as described, then check again."))
    else:
        out.update(verdict="fail", headline=both("生成的文件仍不合格", "The standard file would still fail"),
                   detail=both("请按下面的提示重新拍摄。", "Retake the photo as described below."))
    if out.get("faces", 1) > 1:
        out["detail"] = both(f"照片里有 {out['faces']} 张人脸。请只拍你一个人，背景里不要有其他人或人像。",
                             f"The photo shows {out['faces']} faces. Only you may be in the photo; no other people or pictures of people behind you.")
    if r.ok and r.data is not None and not r.unchanged:  # an unchanged file: nothing new to download
        out["download"] = {"name": f"{stem}_480x640.jpg", "bytes": len(r.data),
                           "data": base64.b64encode(r.data).decode()}
    return out


def warm_up() -> None:
    """Create the models and run one check on a blank image, so a worker's first photo is not slow."""
    from PIL import Image

    from ..inference import get_models

    m = get_models()
    _ = m.yunet, m.landmarker, m.segmenter, m.sface
    buf = io.BytesIO()
    Image.new("RGB", (480, 640), (100, 197, 255)).save(buf, "JPEG", quality=90)
    answer(buf.getvalue(), "warm-up.jpg")
