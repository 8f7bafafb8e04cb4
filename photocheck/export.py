"""Produce the 480×640 upload JPEG from a photo and its analysis: crop at full resolution, scale,
encode. Standardisation only: no retouching, no background change, no rotation."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps

from .analysis import Analysis
from .framing import Rect, crop, encode_upload
from .io import Source, _to_srgb, _with_orientation, read_bytes, reduced_jpeg
from .jpeg import jpeg_layout


def _full_rgb_for(source: Source, a: Analysis) -> tuple[np.ndarray, float]:
    """Pixels for the frame: the analysed image when it is detailed enough, else the source decoded
    again at the smallest JPEG draft scale that keeps the frame ≥ 480×640.

    Returns the RGB array and its scale relative to full resolution.
    """
    full = a.frame_full
    fw, fh = a.spec.frame_size
    k = max(fw / max(full.w, 1), fh / max(full.h, 1))  # needed scale; draft only ever shrinks
    if isinstance(source, np.ndarray) or a.image.scale >= min(k, 1.0):
        # the analysed image already has the pixels the frame needs: decode once, not twice
        return a.image.rgb, a.image.scale
    data = bytes(source) if isinstance(source, (bytes, bytearray, memoryview)) else read_bytes(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im = Image.open(io.BytesIO(data))
        if im.format == "JPEG" and k < 1:
            w, h = im.size  # draft works in stored orientation; scale is the same on both axes
            request = (int(w * k) + 1, int(h * k) + 1)
            fast = reduced_jpeg(data, im, jpeg_layout(data), request)  # the same pixels, faster
            if fast is not None:
                if a.image.orientation != 1:
                    fast = np.asarray(ImageOps.exif_transpose(_with_orientation(Image.fromarray(fast), a.image.orientation)))
                return fast, fast.shape[1] / a.image.width
            im.draft("RGB", request)
        im.load()
        rgb_im = _to_srgb(im, a.name)
        if a.image.orientation != 1:  # same orientation the loader applied
            rgb_im = ImageOps.exif_transpose(_with_orientation(rgb_im, a.image.orientation))
    rgb = np.asarray(rgb_im, dtype=np.uint8)
    return rgb, rgb.shape[1] / a.image.width


def export_upload(source: Source, a: Analysis) -> bytes:
    """The upload file for ``a``'s frame, cut from ``source`` at the best available resolution.

    >>> from photocheck import analyse, load_spec
    >>> a = analyse("camera.jpg", load_spec("original"))  # doctest: +SKIP
    >>> data = export_upload("camera.jpg", a)  # doctest: +SKIP
    """
    rgb, s = _full_rgb_for(source, a)
    r = a.frame_full
    frame = crop(rgb, Rect(r.x * s, r.y * s, r.w * s, r.h * s), a.spec.frame_size)
    return encode_upload(frame)
