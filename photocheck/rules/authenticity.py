"""Authenticity rules: not a copy of an earlier photo, the same person, not beautified, not a re-shot.

The reference-based rules read ``a.references`` (given to :func:`photocheck.analysis.analyse`, which
loads them with :func:`photocheck.references.load_references`): :class:`~photocheck.references.Reference`
objects, or the :class:`~photocheck.errors.PhotoError` of a reference that could not be used.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from ..errors import PhotoError
from ..references import Reference, compare, photo_embedding, photo_signature
from . import Analysis, Limit, Measurement, rule
from .detail import fails_sharpness


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
                "must be newly taken; take a new photo."),
          maybe=("这张照片与参考照片（{ref}）几乎一模一样{how}（相似度 {value}），可能是旧照片的复制件。"
                 "请人工核对；如是旧照片，请重新拍摄。",
                 "this photo is almost identical to the reference photo {ref}{how_en} (similarity {value}) and may "
                 "be a copy of it. Have a person compare them; if it is the old photo, take a new one.")),
      needs_references=True)
def enrollment_reuse(a: Analysis, lim: Limit) -> Measurement:
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
    m = _with_ref_errors(value, lim, errs, fmt)
    if m.status == "warn":  # close to a copy but not certain: ask for a person's look
        return Measurement(m.value, status="warn", side="maybe", fmt=fmt)
    return m


@rule("authenticity.identity",
      title=("与参考照片是同一人", "Same person as the reference"),
      messages=_messages(
          low=("照片中的人与参考照片（{ref}）不像是同一人（相似度 {value}，要求 {limit}）。请确认照片没有放错学生；"
               "若确为本人，请人工核对。",
               "the person does not look like the one in the reference photo {ref} (similarity {value}, "
               "limit {limit}). Make sure the photo belongs to this student; if it does, have a person check it.")),
      needs_references=True)
def identity(a: Analysis, lim: Limit) -> Measurement:
    # SFace cosine similarity to the best-matching reference (OpenCV's same-person threshold is
    # 0.363; ours and how it was measured: limits/authenticity.toml, docs/accuracy.md).
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


@rule("authenticity.retouch",
      title=("未做美颜磨皮", "Not beautified"),
      messages={"low": ("皮肤纹理被抹平，像是做过美颜/磨皮（纹理比 {value}，要求 {limit}）。请提交未经美颜处理的原始照片。",
                        "the skin texture has been smoothed away, as a beauty filter does (texture ratio {value}, "
                        "limit {limit}). Submit the photo without beautification."),
                "lowres": ("照片分辨率太低（人脸被放大了 {upscale} 倍），无法判断是否美颜/磨皮，未检查。"
                           "如需检查，请提交分辨率更高的原始照片。",
                           "the file is too small to judge retouching (the face is enlarged {upscale}× to fill the "
                           "frame: smoothing and missing detail look alike); not judged. Submit a larger original "
                           "to have it checked."),
                "blurred": ("照片模糊（清晰度不合格），模糊和磨皮看起来一样，无法判断是否美颜，未检查。请先拍一张清晰的照片。",
                            "the photo is too blurred to judge retouching (blur and skin smoothing look alike); not "
                            "judged. Retake it sharp first.")})
def retouch(a: Analysis, lim: Limit) -> Measurement:
    # Fine skin texture (pores, grain: |g − G1|) relative to the skin's own shading (|G4 − G8|:
    # the cheeks' and the nose's relief, which no beauty filter removes — it would flatten the
    # face). A beauty filter (bilateral, guided, frequency separation) wipes out everything up to
    # a few px while the shading stays, so the ratio collapses; both bands scale with the skin's
    # albedo, so the ratio means the same on every skin tone. Medians, so an edge or a spot does
    # not dominate. Calibration on natural and retouched photos: docs/accuracy.md.
    skin = a.skin_mask
    if np.count_nonzero(skin) < 400:
        return Measurement(None, status="skip")
    # A small file framed up to 480×640 has no detail finer than its own pixels: measure in the
    # file's pixels (bands scaled by the upscale factor) — and do not judge a file enlarged much.
    up = max(1.0, a.frame_size[0] / max(a.frame_full.w, 1e-6))
    # The face window plus the widest blur's reach (OpenCV's float kernel radius is ~4σ): the same
    # values on the skin as filtering the whole frame, at a fraction of the cost.
    ys, xs = a.face_box(int(np.ceil(32.0 * up)) + 2)
    g = a.gray[ys, xs].astype(np.float32)
    skin = skin[ys, xs]
    fine = cv2.absdiff(g, cv2.GaussianBlur(g, (0, 0), up))[skin]
    # the shading band is smooth: at half resolution from a σ 2 image (4× fewer pixels, 2× shorter
    # kernels), read on every other skin pixel
    half = cv2.GaussianBlur(g, (0, 0), 2.0 * up)[::2, ::2]
    sa, sb = np.sqrt(16.0 - 4.0) * up / 2, np.sqrt(64.0 - 4.0) * up / 2
    shade = cv2.absdiff(cv2.GaussianBlur(half, (0, 0), sa), cv2.GaussianBlur(half, (0, 0), sb))[skin[::2, ::2]]
    val = round(float(np.median(fine) / max(float(np.median(shade)), 1e-3)), 3)
    if up > float(lim["max_upscale"]):
        # a low-resolution file: smoothing and missing detail look alike — an honest "can't judge"
        return Measurement(val, status="skip", side="lowres", fmt={"upscale": round(up, 2)})
    if fails_sharpness(a):
        # camera shake or defocus wipes out fine texture as a filter does (170 of 284 blurred
        # variants read as retouched): quality.sharpness reports the blur, this rule does not judge
        return Measurement(val, status="skip", side="blurred")
    status, side = lim.judge(val)
    return Measurement(val, status=status, side=side, regions=(("mask", a.skin_mask),))


@functools.lru_cache(maxsize=8)
def _spectral_setup(side: int, f_min: float, f_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Window and frequency band for a ``side``×``side`` patch (the same for every photo: cached)."""
    win = np.outer(np.hanning(side), np.hanning(side)).astype(np.float32)
    f = np.fft.fftshift(np.fft.fftfreq(side))
    fx, fy = np.meshgrid(f, f)
    r = np.hypot(fx, fy)
    band = (r > f_min) & (r < f_max) & (fy >= 0)
    k = np.arange(-4, 5)[:, None, None] / 8.0  # JPEG block grid: multiples of 1/8 cycle per px
    band &= (np.abs(fx[None] - k) * side > 1).all(axis=0) & (np.abs(fy[None] - k) * side > 1).all(axis=0)
    return win, band


def _spectral_peak(rgb: np.ndarray, box: tuple[int, int, int, int], lim) -> float | None:
    """Strongest isolated peak (natural-log ratio to its 9×9 spectral neighbourhood) of the
    high-passed face patch's spectrum (grey), ignoring the JPEG 8×8 grid frequencies."""
    x0, y0, x1, y1 = box
    side = int(min(x1 - x0, y1 - y0, int(lim["patch_max"]))) // 2 * 2
    if side < 64:
        return None
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    h, w = rgb.shape[:2]
    xs, ys = int(np.clip(cx - side // 2, 0, w - side)), int(np.clip(cy - side // 2, 0, h - side))
    p = cv2.cvtColor(np.ascontiguousarray(rgb[ys:ys + side, xs:xs + side]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    p = p - cv2.GaussianBlur(p, (0, 0), 2.0)
    win, band = _spectral_setup(side, float(lim["f_min"]), float(lim["f_max"]))
    if not band.any():
        return None
    # float32 DFT (OpenCV): the same spectrum as numpy's complex128 FFT, several times faster
    re, im = cv2.split(cv2.dft(p * win, flags=cv2.DFT_COMPLEX_OUTPUT))
    spec = np.log(np.fft.fftshift(re * re + im * im) + 1e-6).astype(np.float32)
    local = cv2.blur(spec, (9, 9))
    return float((spec - local)[band].max())


@rule("authenticity.recapture",
      title=("不是翻拍", "Not a photo of a photo or screen"),
      messages={"high": ("照片像是翻拍的屏幕或打印照片（出现摩尔纹/网点/像素格，周期性强度 {value}，要求 {limit}）。"
                         "请直接用相机拍摄本人，不要翻拍照片或屏幕。",
                         "this looks like a photo of a screen or a print (moiré, halftone dots or a pixel grid; "
                         "periodic peak {value}, limit {limit}). Photograph the person directly, not a photo or screen.")})
def recapture(a: Analysis, lim: Limit) -> Measurement:
    # Screens and prints add a regular grid (pixels, halftone dots) that natural skin and hair do
    # not have: a sharp isolated peak in the face patch's spectrum, measured on the working image
    # (full detail; calibration: docs/accuracy.md).
    pts = a.image_points
    if pts is None:
        return Measurement(None, status="skip")
    h, w = a.image.rgb.shape[:2]
    x0, y0 = np.maximum(pts.min(axis=0), 0).astype(int)
    x1, y1 = np.minimum(pts.max(axis=0), (w - 1, h - 1)).astype(int)
    val = _spectral_peak(a.image.rgb, (x0, y0, x1, y1), lim)
    return Measurement(None if val is None else round(val, 2))


_LAB8_SCALE = np.array([100 / 255, 1, 1], np.float32)
_LAB8_OFFSET = np.array([0, -128, -128], np.float32)


def _lab_lines(lines: np.ndarray) -> np.ndarray:
    """CIE Lab (float32, L 0–100) of a few image lines via OpenCV's 8-bit table conversion: a
    quarter of the float conversion's cost, within 0.4 L* / 1 a*b* of it — far inside the border
    test's thresholds (flat ≤ 3, step > 12)."""
    lab = cv2.cvtColor(np.ascontiguousarray(lines), cv2.COLOR_RGB2Lab).astype(np.float32)
    lab *= _LAB8_SCALE
    lab += _LAB8_OFFSET
    return lab


def _line_std(lab: np.ndarray) -> np.ndarray:
    """Per line (row of an N×W×3 image): the largest channel standard deviation along the line.
    Sums by cv2.reduce (one pass each) instead of numpy's multi-pass ``std`` over a strided axis."""
    mean = cv2.reduce(lab, 1, cv2.REDUCE_AVG)
    sq = cv2.reduce(lab * lab, 1, cv2.REDUCE_AVG)
    return np.sqrt(np.maximum(sq - mean * mean, 0)).reshape(len(lab), 3).max(axis=1)


def border_width(rgb: np.ndarray, depth: float, step: float, cover: float, flat: float) -> tuple[int, str]:
    """Widest added border: from each edge inwards, a run of uniform lines that ends in a sharp
    step across (nearly) the whole line. Returns (width px, side) — (0, "") when there is none."""
    best, side = 0, ""
    gap = 3  # JPEG chroma subsampling and resampling spread the step over a few lines
    h, w = rgb.shape[:2]
    for name, lines, along in (("top", h, w), ("bottom", h, w), ("left", w, h), ("right", w, h)):
        n = max(2, int(depth * lines))
        if lines < n + gap:  # too few lines on this side to see a border at all
            continue
        # a border spans the whole line: every 4th pixel along it (about 200 on long camera lines)
        # tells flat lines and the step
        k = 1 if along < 256 else 4 if along < 1024 else along // 200

        def edge_lines(count: int, name=name, k=k) -> np.ndarray:
            """The ``count`` lines nearest this edge, outermost first (sliced before any copy)."""
            if name == "top":
                return rgb[:count, ::k]
            if name == "bottom":
                return rgb[h - count:, ::k][::-1]
            if name == "left":
                return rgb[::k, :count].transpose(1, 0, 2)
            return rgb[::k, w - count:][:, ::-1].transpose(1, 0, 2)

        if _line_std(_lab_lines(edge_lines(1)))[0] > flat:
            continue  # the outermost line is photo content: no painted border on this side
        # lines from the edge inwards, in CIE Lab
        band = _lab_lines(edge_lines(n + gap))
        # a line is "flat" when its pixels barely vary (a painted border, not a photo)
        run = np.cumprod(_line_std(band[:n]) <= flat).astype(bool)  # flat from the edge up to line i
        if not run[0]:
            continue
        last = int(np.count_nonzero(run))  # only lines inside the flat run can end a border
        d = band[gap: gap + last] - band[:last]  # per-pixel change a few lines in
        jump2 = cv2.transform(d * d, np.ones((1, 3), np.float32)).reshape(last, -1)  # squared ΔE76
        sharp = (jump2 > step * step).mean(axis=1) >= cover
        hit = np.nonzero(sharp)[0]
        if len(hit):
            width = int(hit[0]) + 1
            if width > best:
                best, side = width, name
    return best, side


@rule("authenticity.edits",
      title=("没有添加边框", "No added border"),
      messages={"high": ("照片{where_zh}有添加的边框（宽 {value} 像素）。请提交未加边框、文字或贴纸的原始照片。",
                         "a border has been added at the {where} of the photo ({value} px wide). Submit the photo "
                         "without borders, text or stickers.")},
      needs_face=False)
def edits(a: Analysis, lim: Limit) -> Measurement:
    # Measured on the whole file (working image), not the planned crop.
    width, side = border_width(a.image.rgb, float(lim["depth"]), float(lim["step"]), float(lim["cover"]),
                               float(lim["flat"]))
    zh = {"top": "顶部", "bottom": "底部", "left": "左侧", "right": "右侧"}.get(side, "")
    return Measurement(width, fmt={"where": side or "edge", "where_zh": zh})
