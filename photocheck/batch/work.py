"""What a worker does with one camera file: analyse once, judge, embed, export the upload candidate.

Runs in worker processes (multiprocessing or Dask). The models are per process
(``photocheck.inference.get_models()``), so each worker creates them once and reuses them. The
result is a small JSON-able dict (no pixels except a thumbnail and the ≤ 40 KB upload candidate),
so memory per worker does not depend on how many files there are.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from dataclasses import replace

import cv2
import numpy as np

from ..report import Finding, Report

#: bump when the record format or the way records are made changes (old journals are then ignored)
RECORD_VERSION = 4  # 3: findings are judgements (key, params, limit), worded when the report is made; 4: the QR codes (shot-number cards) read in the frame


def _thumbs(rgb: np.ndarray) -> tuple[list[int], str]:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    t16 = cv2.resize(gray, (16, 16), interpolation=cv2.INTER_AREA)
    t64 = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA)
    return t16.ravel().tolist(), base64.b64encode(t64.tobytes()).decode()


def _thumb_jpeg(rgb: np.ndarray, width: int) -> str:
    from PIL import Image

    h = int(round(rgb.shape[0] * width / rgb.shape[1]))
    small = cv2.resize(rgb, (width, h), interpolation=cv2.INTER_AREA)
    buf = io.BytesIO()
    Image.fromarray(small).save(buf, "JPEG", quality=80)
    return base64.b64encode(buf.getvalue()).decode()


def _number(findings: list[dict], rule: str, key: str) -> float:
    v = next((f["value"] for f in findings if f["rule"] == rule), None)
    if isinstance(v, dict):
        v = v.get(key)
    return float(v) if isinstance(v, (int, float)) else 0.0


def score(findings: list[dict]) -> tuple[float, ...]:
    """Ranking of retakes, smaller is better: failed rules, then warnings, then the more open eyes,
    then the sharper frame."""
    fails = sum(f["status"] in ("fail", "error") for f in findings)
    warns = sum(f["status"] == "warn" for f in findings)
    return (float(fails), float(warns), -_number(findings, "eyes.open", "open"), -_number(findings, "quality.sharpness", "value"))


def judgements(report: Report) -> list[dict]:
    """Every finding of a report as its judgement (rule, status, value, the limit in force, message
    key and fields; no words): a journal record serves a rerun in either language."""
    return [f.to_record() for f in report.findings]


def pick_lang(findings: list[dict], lang: str) -> list[dict]:
    """Finding dicts (judgements from a record) worded in the report's language: the shape of
    ``photocheck check --json``'s findings."""
    return [Finding.from_record(f, lang).to_dict() for f in findings]


def read_source(source, rel: str) -> tuple[bytes | None, str, dict | None]:
    """(bytes, their SHA-256, None), or (None, "", error) when the file cannot be read right now.

    The bytes are read once and the hash is of exactly those bytes, so a record can only ever be
    keyed by what was analysed. A read that fails (the file was renamed or deleted, is locked by the
    program writing it, an I/O error) says nothing about any content: the caller must not journal it.
    """
    from ..errors import PhotoError
    from ..io import read_bytes

    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        try:
            data = read_bytes(source)
        except PhotoError as e:
            return None, "", {"code": e.code, "zh": e.zh, "en": e.en}
    return data, hashlib.sha256(data).hexdigest(), None


def _annotated_jpeg(a, report: Report, height: int, lang: str) -> bytes:
    """The analysed frame with its measurements drawn on it (:func:`photocheck.annotate.annotate`),
    from the report the record's findings come from (the rules are not judged twice)."""
    from PIL import Image

    from ..annotate import annotate

    img = annotate(a, report, lang=lang)
    h, w = img.shape[:2]
    if h > height:
        img = cv2.resize(img, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def analyse_file(source, rel: str, sha256: str | None = None, lang: str = "zh", verify_upload: bool = True,
                 thumb_width: int = 120, experimental: bool = False, annotate_height: int = 0) -> dict:
    """Analyse one camera original; never raises for a bad file (the record says what is wrong).

    ``source`` is the file's path or its bytes; it is read once and ``rec["sha256"]`` is the hash
    of the bytes analysed. ``sha256`` is the hash the caller expected (from its scan): when the
    file was rewritten since, the record says ``changed`` and carries the new hash. A file that
    could not be read gives a ``transient`` record, which must not be journaled (it describes no
    bytes). ``lang`` is unused (records hold judgements, worded in either language when the report is
    made); it stays for call compatibility.
    ``experimental`` also runs the experimental rules (batch setting ``[rules] experimental``).
    ``annotate_height`` > 0 adds ``annotated``: the frame with the measurements drawn on it
    (:mod:`photocheck.annotate`, labels in ``lang``), a JPEG of that height, for a live view (not
    for the journal).

    >>> rec = analyse_file("samples/shoot/shots/DSC_0412.JPG", "DSC_0412.JPG")  # doctest: +SKIP
    >>> rec["kind"], rec["ok"]  # doctest: +SKIP
    ('image', True)
    """
    from ..analysis import analyse
    from ..cards.reader import card_record
    from ..check import error_report, report_for
    from ..errors import PhotoError
    from ..export import export_upload
    from ..io import load
    from ..spec import load_spec
    from .session import session_measures

    data, digest, read_error = read_source(source, rel)
    rec: dict = {"v": RECORD_VERSION, "sha256": digest or sha256, "rel": rel, "experimental": experimental}
    if read_error is not None:
        rec.update(kind="unreadable", transient=True, error=read_error)
        return rec
    if sha256 is not None and digest != sha256:
        rec["changed"] = True
    spec = load_spec("original", experimental=experimental)
    try:
        # the bytes, not the path: read once above; the name's extension still counts (file rules)
        image = replace(load(data, name=rel), extension=os.path.splitext(rel)[1].lower())
        a = analyse(image, spec, name=rel)
    except PhotoError as e:
        rec.update(kind="unreadable", error={"code": e.code, "zh": e.zh, "en": e.en})
        return rec
    except Exception as e:  # a decoder bug on one odd file must not stop the batch
        rec.update(kind="unreadable", error={"code": "decode_failed", "zh": f"无法解码：{type(e).__name__}",
                                             "en": f"cannot decode: {type(e).__name__}: {e}"})
        return rec
    img = a.image
    image_bytes = data
    report = report_for(a, spec)
    findings = judgements(report)
    if annotate_height:
        rec_annotated = _annotated_jpeg(a, report, annotate_height, lang)
    rep_ok = not any(f["status"] in ("fail", "error") for f in findings)
    t16, t64 = _thumbs(img.rgb)
    emb = a.embedding
    rec.update(kind="image", exif_time=img.exif_time, width=img.width, height=img.height, format=img.format,
               face_count=int(a.face_count), has_face=a.face is not None,
               embedding=None if emb is None else [round(float(x), 6) for x in emb],
               ok=rep_ok, findings=findings, t16=t16, t64=t64,
               thumb=_thumb_jpeg(a.rgb, thumb_width), upload=None, upload_findings=[])
    rec["card"] = card_record(a, image_bytes)  # a shot-number card (slate) or a phone's QR code in the frame
    rec["session"] = session_measures(a)  # what the lights and camera set: the session rules read it
    if rep_ok and a.face is not None:
        data = export_upload(image_bytes, a)
        if verify_upload:  # the upload file must pass `photocheck check` (upload profile) itself
            up_spec = load_spec("upload", experimental=experimental)
            try:
                up = judgements(report_for(analyse(data, up_spec, models=a.models, name=os.path.basename(rel)), up_spec))
            except PhotoError as e:
                up = judgements(error_report(e))
            rec["upload_findings"] = [f for f in up if f["status"] not in ("pass", "skip")]
            rec["upload_ok"] = not any(f["status"] in ("fail", "error") for f in up)
        else:
            rec["upload_ok"] = True
        rec["upload"] = base64.b64encode(data).decode()
    if annotate_height:
        rec["annotated"] = rec_annotated
    return rec


def reference_record(source, rel: str, sha256: str | None = None, lang: str = "zh") -> dict:
    """The identity embedding of one reference (enrollment) photo; never raises for a bad file.
    Read once like :func:`analyse_file`: keyed by the hash of the bytes analysed, ``transient``
    when the file could not be read."""
    from ..analysis import analyse
    from ..errors import PhotoError
    from ..spec import load_spec

    data, digest, read_error = read_source(source, rel)
    rec = {"v": RECORD_VERSION, "sha256": digest or sha256, "rel": rel, "lang": lang, "kind": "ref"}
    if read_error is not None:
        rec.update(embedding=None, transient=True, error=read_error)
        return rec
    if sha256 is not None and digest != sha256:
        rec["changed"] = True
    try:
        a = analyse(data, load_spec("upload"), name=rel)
        emb = a.embedding
        rec["embedding"] = None if emb is None else [round(float(x), 6) for x in emb]
    except PhotoError as e:
        rec.update(embedding=None, error={"code": e.code, "zh": e.zh, "en": e.en})
    return rec


def crashed_record(kind: str, rel: str, sha256: str, why: str) -> dict:
    """The record of a task that crashed (a bug, a dead worker). It is not journaled, so a rerun retries."""
    return {"v": RECORD_VERSION, "sha256": sha256, "rel": rel, "kind": "unreadable" if kind == "img" else "ref",
            "embedding": None, "crashed": True,
            "error": {"code": "internal_error", "zh": f"分析此文件时出错（{why}）", "en": f"analysis failed ({why})"}}
