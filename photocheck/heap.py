"""Keep the C heap's freed memory for the next photo (glibc only; elsewhere nothing happens).

A check allocates and frees the same ~20 MB of arrays for every photo (the decoded image, the
model inputs, the frame's float planes, the rules' temporaries). With glibc's defaults, blocks
above the mmap threshold are fresh pages from the kernel each time and the heap's top is handed
back as soon as it is free: ~4,700 page faults per camera original, 10–15 ms of kernel CPU time
(docs/performance.md). Raising both thresholds lets the next photo reuse the same memory. The
peak memory stays what it was (measured: peak RSS 295 MB either way); only the return of that
peak to the system waits until the process ends.

Only photocheck's own processes call it (the command line, batch and page workers); importing
photocheck or calling ``check()`` leaves a host program's allocator as it is.

>>> from photocheck.heap import keep_freed_memory
>>> keep_freed_memory()  # on Linux with glibc; False on Windows and macOS  # doctest: +SKIP
True
"""

from __future__ import annotations

import ctypes
import platform
import sys

_M_TRIM_THRESHOLD = -1  # glibc malloc.h
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # blocks below this come from the heap (a camera frame at 1/2: 18 MB)
TRIM_THRESHOLD = 128 << 20  # free memory at the heap's top kept up to this

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds, once per process; True where that was done."""
    global _done
    if _done is None:
        _done = False
        if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
            try:
                libc = ctypes.CDLL("libc.so.6")
                _done = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
                    bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
            except (OSError, AttributeError):  # not the C library we know: leave its defaults
                _done = False
    return _done
