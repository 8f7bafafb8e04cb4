"""Authenticity rules: not a copy of an earlier photo, the same person, not beautified, not a re-shot.

The reference-based rules read ``a.references`` (set by :func:`photocheck.check` from
:func:`photocheck.references.load_references`): a list of :class:`~photocheck.references.Reference`
or :class:`~photocheck.errors.PhotoError` for a reference that could not be used.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import PhotoError
from ..references import Reference, compare, photo_embedding, photo_signature
from . import Measurement, rule

def _split_refs(a) -> tuple[list[Reference], list[PhotoError]]:
    refs = [r for r in a.references if isinstance(r, Reference)]
    errs = [r for r in a.references if isinstance(r, PhotoError)]
    return refs, errs


def _ref_error_detail(errs: list[PhotoError]) -> dict[str, str]:
    return {"detail": "; ".join(e.en for e in errs), "detail_zh": "；".join(e.zh for e in errs)}


def _with_ref_errors(value, lim, errs: list[PhotoError], fmt: dict, regions=()) -> Measurement:
    """Judge ``value``; an unusable reference turns an otherwise clean result into an ``error``
    naming the file (the photo could not be compared with everything it should be)."""
    status, side = lim.judge(value) if value is not None else ("skip", None)
    if errs and status in ("pass", "skip"):
        return Measurement(value, status="error", side="ref_error", fmt={**fmt, **_ref_error_detail(errs)})
    return Measurement(value, status=status, side=side, regions=regions, fmt=fmt)


def _messages(**extra):
    return {**extra, "ref_error": ("参考照片无法使用：{detail_zh}", "a reference photo cannot be used: {detail}")}


@rule("authenticity.enrollment_reuse",
      title=("不是旧照片的翻用", "Not a copy of an earlier photo"),
      messages=_messages(
          high=("这张照片是参考照片（{ref}）的复制件{how}（相似度 {value}）。补拍/毕业照必须是新拍摄的照片，请重新拍摄。",
                "this photo is a copy of the reference photo {ref}{how_en} (similarity {value}). A new diploma photo "
                "must be newly taken; take a new photo.")),
      needs_references=True)
def enrollment_reuse(a, lim):
    # Aligned face interiors, band-passed and correlated after a fine alignment: a copy keeps the
    # very same pixels (≥ 0.96 after re-encoding, resizing, cropping, rotation, colour change or a
    # new background), a new photo of the same person does not (≤ 0.93, see docs/accuracy.md).
    refs, errs = _split_refs(a)
    sig = photo_signature(a)
    best, best_ref, best_mirror, best_geo = None, None, False, None
    for ref in refs:
        if ref.signature is None or sig is None:
            continue
        for mirror in (False, True):
            c = compare(sig, ref.signature, mirror=mirror)
            if best is None or c["texture"] > best:
                best, best_ref, best_mirror, best_geo = c["texture"], ref, mirror, c.get("geometry")
    value = None if best is None else round(best, 3)
    fmt = {"ref": best_ref.file if best_ref else "",
           "how": "（左右镜像）" if best_mirror else "", "how_en": " (mirrored)" if best_mirror else "",
           "geometry": None if best_geo is None else round(best_geo, 4)}
    return _with_ref_errors(value, lim, errs, fmt)


@rule("authenticity.identity",
      title=("与参考照片是同一人", "Same person as the reference"),
      messages=_messages(
          low=("照片中的人与参考照片（{ref}）不像是同一人（相似度 {value}，要求 {limit}）。请确认照片没有放错学生；"
               "若确为本人，请人工核对。",
               "the person does not look like the one in the reference photo {ref} (similarity {value}, "
               "limit {limit}). Make sure the photo belongs to this student; if it does, have a person check it.")),
      needs_references=True)
def identity(a, lim):
    # SFace cosine similarity to the best-matching reference (OpenCV's same-person threshold is
    # 0.363; measured here: same person in other photos ≥ 0.45, different people mostly < 0.30).
    refs, errs = _split_refs(a)
    emb = photo_embedding(a)
    best, best_ref = None, None
    if emb is not None:
        for ref in refs:
            if ref.embedding is None:
                continue
            c = float(np.dot(emb, ref.embedding))
            if best is None or c > best:
                best, best_ref = c, ref
    value = None if best is None else round(best, 3)
    return _with_ref_errors(value, lim, errs, {"ref": best_ref.file if best_ref else ""})
