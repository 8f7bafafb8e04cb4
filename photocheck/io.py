"""Load a photo once: bytes → oriented sRGB uint8 array at the size the checks need, plus file facts.

Every decode problem becomes a :class:`~photocheck.errors.PhotoError` naming the file, never a
traceback. Large camera files are decoded at reduced size (JPEG draft mode: the DCT scales down
for free) because no rule needs 24 megapixels: the upload file is 480×640.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import warnings
from dataclasses import dataclass, field
from typing import Union

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .errors import PhotoError
from .jpeg import JpegLayout, QualityEstimate, estimate_quality, jpeg_layout

try:  # HEIC/HEIF from phones, when the optional extra is installed.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - optional
    pillow_heif = None

Source = Union[str, os.PathLike, bytes, np.ndarray]

#: File name endings treated as photos when a folder is given (what the loader can decode).
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".tif", ".tiff", ".bmp")

#: Refuse images above this many pixels before decoding them (decompression bombs).
MAX_PIXELS = 120_000_000
#: Refuse files above this size before reading them.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: Decode large images so that the short side is at least this many pixels (and at most ~2× it).
WORK_SHORT_SIDE = 1000

# We check the pixel count ourselves, with a clear message; Pillow's own check would raise first.
Image.MAX_IMAGE_PIXELS = None
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class LoadedImage:
    """A decoded photo and the facts about its file that the file rules read."""

    name: str
    rgb: np.ndarray  # H×W×3 uint8, EXIF orientation applied, sRGB, at working resolution
    width: int  # full-resolution size after orientation
    height: int
    format: str | None  # "JPEG", "PNG", … (None for arrays)
    mode: str  # PIL mode of the file: "RGB", "L", "CMYK", "RGBA", …
    size_bytes: int | None = None
    extension: str | None = None
    dpi: tuple[float, float] | None = None
    quality: QualityEstimate | None = None
    layout: JpegLayout | None = None
    exif_time: str | None = None  # EXIF DateTimeOriginal, "YYYY:MM:DD HH:MM:SS"
    camera: str | None = None  # EXIF make, model and body serial number ("Canon EOS R6 012345")
    orientation: int = 1
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def scale(self) -> float:
        """Working pixels per full-resolution pixel (≤ 1)."""
        return self.rgb.shape[1] / self.width


def _fail(name: str, code: str, zh: str, en: str) -> PhotoError:
    return PhotoError(name, code, zh, en)


def read_bytes(path: str | os.PathLike) -> bytes:
    """Read a file, turning every OS problem into a PhotoError with a plain message.

    Only regular files are read: a FIFO or device named ``.jpg`` would block or never end, so it is
    opened non-blocking and refused after ``fstat``.
    """
    name = os.fspath(path)
    try:
        try:
            st = os.stat(name)
        except FileNotFoundError:
            if os.path.islink(name):
                raise _fail(name, "missing", "这是一个失效的链接（指向的文件不存在）", "this is a broken link (its target does not exist)") from None
            raise _fail(name, "missing", "文件不存在", "file not found") from None
        if stat.S_ISDIR(st.st_mode):
            raise _fail(name, "not_file", "这是一个文件夹，不是照片文件", "this is a folder, not a photo file")
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise _fail(name, "not_file", "这不是普通文件（可能是管道或设备），不是照片文件", "this is not a regular file (a pipe or device), not a photo file")
            if st.st_size > MAX_FILE_BYTES:
                mb = st.st_size // 2**20
                raise _fail(name, "too_large", f"文件过大（{mb} MB）", f"file too large ({mb} MB)")
            # read(n) allocates n bytes up front: asking for the file's size (+1, to notice a file
            # still growing, then the rest) instead of 200 MB saves ~2 ms per camera file
            data = fh.read(st.st_size + 1)
            if len(data) > st.st_size:
                data += fh.read(MAX_FILE_BYTES + 1 - len(data))
            return data
    except PhotoError:
        raise
    except PermissionError:
        raise _fail(name, "unreadable", "没有读取该文件的权限", "no permission to read this file") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise _fail(name, "unreadable", "链接形成了循环（符号链接指向自身），无法读取", "a symbolic link loop (the link points back to itself); cannot read it") from None
        # name too long, I/O errors, …
        raise _fail(name, "unreadable", f"无法读取文件：{e.strerror or e}", f"cannot read file: {e.strerror or e}") from None


def _exif_facts(im: Image.Image) -> tuple[int, str | None, str | None, list[str]]:
    """(orientation, capture time, camera, notes) from the file's EXIF."""
    notes: list[str] = []
    try:
        exif = im.getexif()
        orientation = int(exif.get(0x0112, 1) or 1)
        sub = exif.get_ifd(0x8769)
        when = sub.get(0x9003) or exif.get(0x0132)
        when = str(when).strip("\x00 ") if when else None
        parts = (str(v or "").strip("\x00 ") for v in (exif.get(0x010F), exif.get(0x0110), sub.get(0xA431)))
        camera = " ".join(p for p in parts if p) or None  # make, model, body serial: one camera of a shoot
    except Exception:  # corrupt EXIF must not stop a check
        return 1, None, None, ["exif_unreadable"]
    if orientation not in range(1, 9):
        notes.append("exif_orientation_invalid")
        orientation = 1
    return orientation, when, camera, notes


def _to_srgb(im: Image.Image, name: str) -> Image.Image:
    """Convert any mode to 8-bit RGB, honouring an embedded ICC profile."""
    icc = im.info.get("icc_profile")
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float32)
        peak = 65535.0 if arr.max() > 255 else 255.0
        im = Image.fromarray(np.clip(arr * (255.0 / peak), 0, 255).astype(np.uint8), "L")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    if icc and im.mode in ("RGB", "CMYK", "RGBA"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if "srgb" not in (ImageCms.getProfileDescription(src) or "").lower():
                return ImageCms.profileToProfile(im, src, _SRGB, outputMode="RGB")
        except Exception:  # a broken profile: fall back to a plain conversion
            pass
    return im if im.mode == "RGB" else im.convert("RGB")  # RGB already: no 4.5 MB copy


def load(source: Source, *, name: str | None = None, work_short_side: int = WORK_SHORT_SIDE) -> LoadedImage:
    """Load a photo from a path, raw file bytes, or an RGB ``uint8`` array.

    >>> import numpy as np
    >>> img = load(np.zeros((640, 480, 3), np.uint8))
    >>> img.width, img.height, img.format
    (480, 640, None)
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, name or "<array>")
    if isinstance(source, (bytes, bytearray, memoryview)):
        # bytes named by their caller (an upload's file name, fix's "x_480x640.jpg") have that extension
        data, ext = bytes(source), os.path.splitext(name)[1].lower() or None if name else None
        name = name or "<bytes>"
    else:
        name = name or os.fspath(source)
        data = read_bytes(source)
        ext = os.path.splitext(name)[1].lower()
    try:
        return _from_bytes(data, name, ext, work_short_side)
    except PhotoError:
        raise
    except MemoryError:
        raise _fail(name, "too_large", "图片太大，内存不足，无法解码", "the image is too large to decode in memory") from None
    except Exception as e:  # a decoder failing in a way nobody foresaw: still a message, never a traceback
        raise _fail(name, "corrupt", f"图片数据损坏或格式异常（{type(e).__name__}），请重新导出", f"the image data is damaged or malformed ({type(e).__name__}: {e}); export it again") from None


def _from_array(arr: np.ndarray, name: str) -> LoadedImage:
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3):
        raise _fail(name, "not_image", "数组必须是 uint8 的 H×W 或 H×W×3 RGB 图像", "array must be a uint8 H×W or H×W×3 RGB image")
    mode = "L" if arr.ndim == 2 else {3: "RGB", 4: "RGBA"}.get(arr.shape[2], "")
    if not mode:
        raise _fail(name, "not_image", "数组的通道数不对", "array has an unsupported number of channels")
    rgb = np.repeat(arr[:, :, None], 3, axis=2) if arr.ndim == 2 else np.ascontiguousarray(arr[:, :, :3])
    return LoadedImage(name=name, rgb=rgb, width=arr.shape[1], height=arr.shape[0], format=None, mode=mode)


def _from_bytes(data: bytes, name: str, ext: str | None, work_short_side: int) -> LoadedImage:
    if not data:
        raise _fail(name, "empty", "文件是空的（0 字节）", "the file is empty (0 bytes)")
    layout = jpeg_layout(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise _fail(name, "not_image", "不是可识别的图片文件", "not a recognisable image file") from None
    except Exception as e:
        raise _fail(name, "not_image", f"无法打开图片：{e}", f"cannot open image: {e}") from None
    fmt = im.format
    w, h = im.size
    if w * h > MAX_PIXELS:
        raise _fail(name, "too_large", f"图片像素过多（{w}×{h}），拒绝解码", f"image has too many pixels ({w}×{h}); refusing to decode")
    if w < 16 or h < 16:
        raise _fail(name, "too_small", f"图片太小（{w}×{h}）", f"image too small ({w}×{h})")
    mode = im.mode
    orientation, when, camera, notes = _exif_facts(im)
    quality = estimate_quality(getattr(im, "quantization", None)) if fmt == "JPEG" else None
    dpi = im.info.get("dpi")
    dpi = (float(dpi[0]), float(dpi[1])) if dpi else None
    short = min(w, h)
    fast = None
    if fmt == "JPEG" and short > 2 * work_short_side:
        k = work_short_side / short
        fast = reduced_jpeg(data, im, layout, (int(w * k + 0.999), int(h * k + 0.999)))
    if fast is not None:
        rgb_im: Image.Image | None = None
        rgb = fast
        if orientation != 1:  # rare for a tethered camera: the general path below rotates PIL images
            rgb_im = Image.fromarray(fast)
    else:
        rgb_im = _decode(im, name, layout, fmt, short, w, h, work_short_side)
    if rgb_im is not None:
        if orientation != 1:
            try:
                rgb_im.info["exif"] = b""
                rgb_im = ImageOps.exif_transpose(_with_orientation(rgb_im, orientation))
            except Exception:
                notes.append("exif_orientation_failed")
        rgb = np.asarray(rgb_im, dtype=np.uint8)
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    if min(rgb.shape[:2]) > 2 * work_short_side:  # non-JPEG large files: same working size as JPEG
        import cv2

        k = work_short_side / min(rgb.shape[:2])
        rgb = cv2.resize(rgb, (round(rgb.shape[1] * k), round(rgb.shape[0] * k)), interpolation=cv2.INTER_AREA)
    return LoadedImage(
        name=name, rgb=np.ascontiguousarray(rgb), width=w, height=h, format=fmt, mode=mode,
        size_bytes=len(data), extension=ext, dpi=dpi, quality=quality,
        layout=layout if fmt == "JPEG" else None, exif_time=when, camera=camera, orientation=orientation,
        notes=tuple(notes),
    )


def reduced_jpeg(data: bytes, im: Image.Image, layout: JpegLayout | None, request: tuple[int, int]) -> np.ndarray | None:
    """A plain JPEG decoded by OpenCV at the reduced scale (1/2, 1/4, 1/8) Pillow's
    ``im.draft("RGB", request)`` would pick: the same libjpeg DCT scaling, pixel for pixel the same
    image (stored orientation, RGB), in 55–70 % of Pillow's time (a 24 MP camera file at 1/4: ~40
    instead of ~56 ms of CPU; at 1/2: ~50 instead of ~85). Only for a complete YCbCr/RGB file
    without an ICC profile (everything else goes through Pillow and ``_to_srgb``); None when it
    does not apply, when no reduction is asked for, or when OpenCV cannot decode the file (then
    Pillow decides what is wrong). ``im`` is the opened, not yet loaded, Pillow image of ``data``."""
    if im.mode != "RGB" or im.info.get("icc_profile") or layout is None or not layout.complete or layout.arithmetic:
        return None
    import cv2

    w, h = im.size
    rw, rh = max(1, request[0]), max(1, request[1])
    scale = min(w // rw, h // rh)  # the scale PIL.JpegImagePlugin.draft picks: 8, 4, 2 or 1
    s = next((c for c in (8, 4, 2) if scale >= c), 1)
    if s == 1:
        return None
    flag = {8: cv2.IMREAD_REDUCED_COLOR_8, 4: cv2.IMREAD_REDUCED_COLOR_4, 2: cv2.IMREAD_REDUCED_COLOR_2}[s]
    try:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), flag | cv2.IMREAD_IGNORE_ORIENTATION)
    except cv2.error:
        return None
    if bgr is None or bgr.ndim != 3 or bgr.shape[:2] != (-(-h // s), -(-w // s)):
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _decode(im: Image.Image, name: str, layout: JpegLayout | None, fmt: str | None, short: int, w: int, h: int,
            work_short_side: int) -> Image.Image:
    """Pillow's decode (draft mode for large JPEGs), converted to 8-bit sRGB."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fmt == "JPEG" and short > 2 * work_short_side:
                k = work_short_side / short
                im.draft("RGB", (int(w * k + 0.999), int(h * k + 0.999)))
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
            im.load()
            rgb_im = _to_srgb(im, name)
    except Image.DecompressionBombError:
        raise _fail(name, "too_large", "图片像素过多，拒绝解码", "image has too many pixels; refusing to decode") from None
    except (OSError, SyntaxError, ValueError) as e:
        msg = str(e)
        if "truncated" in msg or (layout is not None and not layout.complete):
            raise _fail(name, "truncated", "图片文件不完整（被截断或损坏），请重新导出或重新拷贝", "the image file is truncated or damaged; export or copy it again") from None
        raise _fail(name, "corrupt", f"图片数据损坏：{msg}", f"image data is corrupt: {msg}") from None
    return rgb_im


def _with_orientation(im: Image.Image, orientation: int) -> Image.Image:
    exif = Image.Exif()
    exif[0x0112] = orientation
    im.info["exif"] = exif.tobytes()
    return im
