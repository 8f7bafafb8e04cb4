"""Rules about the file itself: format, size, JPEG quality, dimensions, colour, resolution tag."""

from __future__ import annotations

from . import Analysis, Limit, Measurement, rule


@rule("file.read", needs_face=False,
      title=("文件可读取", "File can be read"),
      messages={"fail": ("无法读取照片：{value}", "the photo cannot be read: {value}")})
def file_read(a: Analysis, lim: Limit) -> Measurement:
    # Reaching a rule at all means the file decoded; unreadable files become an error finding.
    notes = [n for n in a.image.notes]
    return Measurement("ok" if not notes else "ok (" + ", ".join(notes) + ")")


@rule("file.format", needs_face=False, profiles=("upload",),
      title=("文件格式 JPEG", "File format JPEG"),
      messages={
          "not_jpeg": ("文件实际是 {value} 格式，不是 JPEG。请另存为 JPEG（.jpg）。", "the file is really {value}, not JPEG. Save it as JPEG (.jpg)."),
          "progressive": ("JPEG 为渐进式编码，请存为基线（baseline/标准）JPEG。", "progressive JPEG: save it as baseline (standard) JPEG."),
          "trailing": ("JPEG 结束标记之后还有 {trailing} 字节多余数据（常见于凑文件大小的工具），请重新导出。", "{trailing} extra bytes after the JPEG end marker (some tools pad files to reach a size); export the file again."),
          "truncated": ("JPEG 文件不完整（缺少结束标记），请重新导出。", "the JPEG has no end marker (incomplete file); export it again."),
          "extension": ("扩展名是 {ext}，应为 .jpg。", "the extension is {ext}; it should be .jpg."),
      })
def file_format(a: Analysis, lim: Limit) -> Measurement:
    img = a.image
    if img.format is None:
        return Measurement("array", status="skip")
    if img.format != "JPEG":
        return Measurement(img.format, status="fail", side="not_jpeg")
    lay = img.layout
    value = {"format": "JPEG", "progressive": lay.progressive, "trailing_bytes": lay.trailing_bytes}
    if img.extension is not None:  # unnamed bytes have none
        value["extension"] = img.extension
    if not lay.complete:
        return Measurement(value, status="fail", side="truncated")
    if lay.trailing_bytes > 0:
        return Measurement(value, status="fail", side="trailing", fmt={"trailing": lay.trailing_bytes})
    if lay.progressive or lay.arithmetic:
        return Measurement(value, status="fail", side="progressive")
    if img.extension not in (None, ".jpg", ".jpeg"):
        return Measurement(value, status="fail", side="extension", fmt={"ext": img.extension})
    return Measurement(value, status="pass")


def _size_kb(lim: Limit) -> dict[str, str]:
    """The size limits (bytes) in KB, as people read them (1024 bytes, as Windows shows sizes)."""
    low = lim.min if lim.min is not None else lim.warn_min
    return {name: f"{v / 1024:g}" for name, v in (("min_kb", low), ("max_kb", lim.max)) if v is not None}


@rule("file.size", needs_face=False, profiles=("upload",), limit_fields=_size_kb,
      title=("文件大小 {min_kb}–{max_kb} KB", "File size {min_kb}–{max_kb} KB"),
      messages={
          "high": ("文件 {kb} KB，超过 {max_kb} KB。请降低 JPEG 质量重新保存（质量不低于 {quality_min}），或用 photocheck fix 生成。", "the file is {kb} KB, over {max_kb} KB. Save it again at a lower JPEG quality (not below {quality_min}), or use photocheck fix."),
          "low": ("文件只有 {kb} KB，低于 {min_kb} KB，画质可能不足。请用更高的 JPEG 质量保存。", "the file is only {kb} KB, under {min_kb} KB; detail may be lost. Save it at a higher JPEG quality."),
      })
def file_size(a: Analysis, lim: Limit) -> Measurement:
    n = a.image.size_bytes
    if n is None:
        return Measurement(None, status="skip")
    # the advice names the JPEG quality it must not go below: that rule's limit in force
    q = a.spec.limit("file.jpeg_quality").fields().get("min", "60")
    return Measurement(n, fmt={"kb": round(n / 1024, 1), "quality_min": q})


@rule("file.jpeg_quality", needs_face=False, profiles=("upload",),
      title=("JPEG 压缩质量 ≥ {min}", "JPEG quality ≥ {min}"),
      messages={"low": ("JPEG 压缩质量约为 {value}，低于 {min}，画面会有明显压缩痕迹。请用原图以更高质量重新保存。", "JPEG quality is about {value}, below {min}: compression artefacts. Save again from the original at a higher quality.")})
def jpeg_quality(a: Analysis, lim: Limit) -> Measurement:
    q = a.image.quality
    if q is None:
        return Measurement(None, status="skip")
    # The value is the quality factor; "estimated" marks non-libjpeg tables (cameras, Photoshop).
    return Measurement(q.quality if q.exact else round(q.quality))


@rule("image.dimensions", needs_face=False,
      title=("尺寸 {width}×{height} 像素", "Size {width}×{height} px"),
      messages={
          "fail": ("照片尺寸为 {w}×{h} 像素，应为 {width}×{height}（宽×高）。可用 photocheck fix 裁剪生成。", "the photo is {w}×{h} px; it must be {width}×{height} (width×height). photocheck fix can crop it."),
          "low_res": ("按取景要求裁出的区域只有 {w}×{h} 像素，小于 {width}×{height}，分辨率不够（需放大）。请用更高分辨率拍摄或离得更近。", "the compliant crop is only {w}×{h} px, smaller than {width}×{height} (it would need upscaling). Shoot at a higher resolution or closer."),
      })
def dimensions(a: Analysis, lim: Limit) -> Measurement:
    want = (int(lim["width"]), int(lim["height"]))
    if a.spec.profile == "original":
        r = a.frame_full
        w, h = int(round(r.w)), int(round(r.h))
        ok = w >= want[0] * 0.98 and h >= want[1] * 0.98
        return Measurement(f"{w}x{h}", status="pass" if ok else "fail", side="low_res", fmt={"w": w, "h": h})
    w, h = a.image.width, a.image.height
    return Measurement(f"{w}x{h}", status="pass" if (w, h) == want else "fail", fmt={"w": w, "h": h})


@rule("image.color", needs_face=False,
      title=("24 位彩色", "24-bit colour"),
      messages={
          "mode": ("照片是 {mode} 模式，不是 24 位 RGB 彩色。请存为 RGB 彩色 JPEG。", "the photo is in {mode} mode, not 24-bit RGB colour. Save it as an RGB colour JPEG."),
          "low": ("照片几乎没有颜色（平均色度 {value}），像是黑白照片。请提交彩色照片。", "the photo has almost no colour (mean chroma {value}): it looks black-and-white. Submit a colour photo."),
      })
def color(a: Analysis, lim: Limit) -> Measurement:
    mode = a.image.mode
    if mode not in ("RGB", "YCbCr"):
        return Measurement(mode, status="fail", side="mode", fmt={"mode": mode})
    chroma = float(a.chroma[::2, ::2].mean())  # a quarter of the pixels: the same mean to 0.01
    st, side = lim.judge(chroma)
    return Measurement(round(chroma, 2), status=st, side=side)


@rule("image.dpi", needs_face=False, profiles=("upload",),
      title=("分辨率标记 {dpi} dpi", "Resolution tag {dpi} dpi"),
      messages={
          "missing": ("文件没有写入分辨率（dpi）信息，建议设为 {dpi} dpi。", "the file has no resolution (dpi) tag; {dpi} dpi is expected."),
          "other": ("分辨率标记为 {value} dpi，应为 {dpi} dpi。", "the resolution tag is {value} dpi; {dpi} dpi is expected."),
      })
def dpi(a: Analysis, lim: Limit) -> Measurement:
    d = a.image.dpi
    want = float(lim["dpi"])
    if not d or not d[0]:
        return Measurement(None, status="warn", side="missing")
    val = round(d[0], 1)
    return Measurement(val, status="pass" if abs(d[0] - want) < 1 and abs(d[1] - want) < 1 else "warn", side="other")
