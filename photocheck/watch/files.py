"""When a file in SHOTS_DIR is ready to judge, as cameras and tethering tools really write them.

* gphoto2 writes ``tmpfileXXXXXX`` and renames it (or copies it, across drives); browsers and
  copy tools write ``*.part`` / ``*.crdownload`` / ``~name``; editors leave dot files: these
  temporary names are never judged (:func:`ignored`), the final name is.
* darktable streams the download straight into the final name, and on Windows a file still being
  written cannot even be opened: a file is judged only once it is complete (:func:`complete`) — a
  JPEG when its segments lead to the image data and it ends with the end-of-image marker (camera
  files may pad zeros after it), a PNG at its ``IEND`` chunk, anything else once its size and
  time have not changed for a moment.
* digiCamControl copies a file into its final name and may rewrite it afterwards (EXIF, plugins):
  the watcher judges the bytes it has, and again when they change (the same frame, re-judged).

Nothing here decodes pixels or reads the disk: these are pure functions of bytes and names.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

#: temporary names of tethering tools, browsers, copy tools and editors (compared case-insensitively)
_TEMP_NAME = re.compile(
    r"^(?:tmpfile\w{6}"  # gphoto2 (mkstemp's six characters), renamed when the download is done
    r"|~.*|\..*"  # Office-style ~lock files, dot files (.DS_Store, ._x, rsync's .name.XXXXXX)
    r"|.*\.(?:tmp|temp|part|partial|crdownload|download|filepart|!ut|swp|lock)"  # downloads, copies
    r"|.*~"  # editor backups
    r"|thumbs\.db|desktop\.ini|icon\r)$",  # Windows / macOS folder metadata
    re.IGNORECASE)

_EOI = b"\xff\xd9"
_PNG_END = b"IEND\xaeB`\x82"


def ignored(rel: str) -> bool:
    """True for a temporary or system file (or anything inside a dot folder): never a frame.

    >>> [ignored(n) for n in ("DSC_0412.JPG", "tmpfileAbC123", "a/DSC_1.JPG.part", "~DSC_1.JPG", ".x/DSC_1.JPG")]
    [False, True, True, True, True]
    """
    return any(_TEMP_NAME.match(part) for part in PurePosixPath(rel).parts)


def _jpeg_reaches_scan(data: bytes) -> bool:
    """Whether the JPEG's marker segments are all there up to the first scan (SOS). A download cut
    inside the EXIF block, whose embedded thumbnail ends with its own end marker, is not."""
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return False
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the segment header must be complete
            return i + 4 + int.from_bytes(data[i + 2:i + 4], "big") <= n
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            i += 2
            continue
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return False


def complete(data: bytes) -> bool | None:
    """Whether the bytes are a whole file: True / False for JPEG and PNG (their end is marked),
    None when the format has no end marker (then only time tells).

    >>> complete(b"\\xff\\xd8\\xff\\xda\\x00\\x02" + b"\\x12" * 10), complete(b"\\xff\\xd8\\xff\\xda\\x00\\x02\\x12\\xff\\xd9\\0\\0")
    (False, True)
    """
    if data.startswith(b"\xff\xd8\xff"):
        end = data.rstrip(b"\x00")  # some cameras pad the file after the end marker
        return end.endswith(_EOI) and _jpeg_reaches_scan(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data.endswith(_PNG_END)
    return None
