"""List the camera files: every file under SHOTS_DIR, with its content hash and what kind of file it
is. Nothing here decodes an image (that is the workers' job); nothing here ever writes."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .bilingual import Said
from .roster import natural_key

#: first bytes of the image formats the loader reads
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"BM", b"GIF8")
#: camera RAW files: images, but not something this tool reads (the camera's JPEGs are)
RAW_EXT = {".nef", ".cr2", ".cr3", ".arw", ".raf", ".orf", ".rw2", ".dng", ".pef", ".srw"}


@dataclass
class ScannedFile:
    path: str  # absolute
    rel: str  # relative to SHOTS_DIR, with "/" separators: the file's name in every report
    size: int
    sha256: str | None  # None when the file cannot be read
    kind: str  # "image" | "not_image" | "unreadable"
    reason: str = ""
    duplicate_of: str | None = None  # rel of the first file with the same bytes


def _is_image_head(head: bytes) -> bool:
    if head.startswith(_MAGIC):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    return head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"avif")


def _hash(path: str) -> tuple[str, bytes]:
    h = hashlib.sha256()
    head = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):  # streamed: memory does not grow with the file size
            if not head:
                head = chunk[:16]
            h.update(chunk)
    return h.hexdigest(), head


def list_files(root: str | os.PathLike, exclude: str | os.PathLike | None = None) -> list[str]:
    """Every regular file under ``root`` (recursive), sorted naturally by relative path."""
    root = os.path.abspath(root)
    skip = os.path.abspath(exclude) if exclude else None
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        if skip and (dirpath == skip or dirpath.startswith(skip + os.sep)):
            dirnames[:] = []
            continue
        dirnames.sort(key=natural_key)
        for f in filenames:
            p = os.path.join(dirpath, f)
            if os.path.isfile(p):
                out.append(p)
    return sorted(out, key=lambda p: natural_key(os.path.relpath(p, root).replace(os.sep, "/")))


def classify(path: str, rel: str, size: int, digest: str, head: bytes) -> ScannedFile:
    """What kind of file this is, from its size, extension and first bytes."""
    ext = Path(path).suffix.lower()
    if size == 0:
        return ScannedFile(path, rel, size, digest, "unreadable", Said("empty file (0 bytes)", "空文件（0 字节）", "empty"))
    if ext in RAW_EXT:
        return ScannedFile(path, rel, size, digest, "not_image",
                           Said("camera RAW file: use the camera's JPEG", "相机 RAW 文件：请使用相机导出的 JPEG", "raw"))
    if not _is_image_head(head):
        return ScannedFile(path, rel, size, digest, "not_image", Said("not an image file", "不是图片文件", "not_image"))
    return ScannedFile(path, rel, size, digest, "image")


def mark_duplicates(files: list[ScannedFile]) -> list[ScannedFile]:
    """Mark byte-identical images: of identical files, the one nearest the top folder (then first
    by name) is kept, the others get ``duplicate_of``. ``files`` are changed in place and returned."""
    first_by_hash: dict[str, str] = {}
    for f in files:
        f.duplicate_of = None
    for f in sorted((f for f in files if f.kind == "image"), key=lambda f: keep_order(f.rel)):
        if f.sha256 in first_by_hash:
            f.duplicate_of = first_by_hash[f.sha256]
        else:
            first_by_hash[f.sha256] = f.rel
    return files


def rel_name(path: str, root: str) -> str:
    """A file's name in every report: its path under SHOTS_DIR with "/" separators."""
    return os.path.relpath(path, root).replace(os.sep, "/")


def scan(root: str | os.PathLike, exclude: str | os.PathLike | None = None) -> list[ScannedFile]:
    """Classify every file: image / not_image / unreadable, and mark byte-identical copies."""
    root = os.path.abspath(root)
    files = []
    for p in list_files(root, exclude):  # natural order of relative paths
        rel = rel_name(p, root)
        try:
            size = os.path.getsize(p)
            digest, head = _hash(p)
        except OSError as e:
            files.append(ScannedFile(p, rel, 0, None, "unreadable", Said(f"cannot read: {e.strerror or e}",
                                                                         f"无法读取：{e.strerror or e}", "cannot_read")))
            continue
        files.append(classify(p, rel, size, digest, head))
    return mark_duplicates(files)


#: what file managers, browsers and chat apps add to a copied file's name (Windows, macOS, Linux
#: desktops, in English and Chinese): "X (1)", "X - Copy (2)", "X - 副本", "复件 X", "Copy of X",
#: "X copy 2", "X的副本", "X (another copy)"
_COPY_NAME = re.compile(
    r"(?:\s*\(\d{1,3}\)"
    r"|\s*-\s*(?:copy|副本|复件|kopie|copie)(?:\s*\(\d{1,3}\))?"
    r"|\s+copy(?:\s+\d{1,3})?"
    r"|\s*的副本(?:\s*\d{1,3})?"
    r"|\s*\((?:copy|another copy|\d+(?:st|nd|rd|th) copy)\))$"
    r"|^(?:copy(?: \(\d{1,3}\))? of|复件(?:\s*\(\d{1,3}\))?)\s+",
    re.I)


def looks_like_copy(rel: str) -> bool:
    """True when the file name looks like a copy's, not the camera's own.

    >>> [looks_like_copy(n) for n in ("DSC_4107.JPG", "DSC_4107 (1).JPG", "DSC_4107 - 副本.JPG", "Copy of DSC_4107.JPG", "012 (2).jpg")]
    [False, True, True, True, True]
    """
    return bool(_COPY_NAME.search(Path(rel).stem.strip()))


def keep_order(rel: str) -> tuple:
    """Which of several copies is kept: a camera-style name before a copy's name ("DSC_4107.JPG"
    before "DSC_4107 (1).JPG"), then fewest folders deep, then natural name order."""
    return (looks_like_copy(rel), rel.count("/"), natural_key(rel))


_SHOT_NAME = re.compile(r"^(?:shot|no|拍摄号|s)?[ _\-#]?0*(\d+)(?:[ _\-]+(?:\d{1,2}|[a-z])|\s*\(\d{1,2}\))?$", re.I)


def shot_from_name(rel: str, shot_keys: set[str]) -> str | None:
    """The shot number a file name carries, when staff renamed files by shot number.

    Accepted stems: ``12``, ``012``, ``shot012``, ``012-2`` / ``012_b`` / ``012 (2)`` (a retake of
    012). Camera names (``DSC_0412``, ``IMG_1234``) never count. Only numbers that are in the log
    count, so a bare sequence number that is not a shot number is ignored.

    >>> shot_from_name("a/012-2.jpg", {"12"}), shot_from_name("DSC_0012.JPG", {"12"})
    ('12', None)
    """
    m = _SHOT_NAME.match(Path(rel).stem.strip())
    if not m:
        return None
    key = str(int(m.group(1)))
    return key if key in shot_keys else None
