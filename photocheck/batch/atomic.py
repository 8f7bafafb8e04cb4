"""Writing files safely: atomic replacement and the "stays inside OUT_DIR" test.

Used by the output writer, the journal and the report writer alike, so it sits below all of them.
"""

from __future__ import annotations

import os
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``: a crash leaves either
    the old file or the new one, never half a file."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def inside(child: Path, parent: Path) -> bool:
    """True when ``child`` (resolved, links followed) is ``parent`` or below it."""
    try:
        child.resolve().relative_to(parent.resolve())
        return True
    except ValueError:
        return False
