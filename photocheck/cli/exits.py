"""The exit codes of every ``photocheck`` command, named once.

Scripts and the batch operator's wrappers read these, so they are part of the contract.
"""

from __future__ import annotations

OK = 0  #: every photo (student) is ok / the file was written and passes
FAIL = 1  #: some photo fails or some student needs attention
USAGE = 2  #: usage error or unreadable input (click's own code for usage errors)
INTERRUPTED = 130  #: stopped with Ctrl-C (128 + SIGINT, as shells report it)
