"""The campus-shoot batch pipeline: match camera files to the shot-number log, choose retakes, check,
export upload files, and report (``photocheck batch``; see docs/batch.md).

>>> from photocheck.batch import run_batch
>>> result = run_batch("samples/shoot/shots", "samples/shoot/shots.csv", "out", workers=1)  # doctest: +SKIP

With a name-only log, the registration form gives the student numbers (see photocheck.batch.join):

>>> result = run_batch("samples/shoot/shots", "samples/shoot-roster/shots.csv", "out", workers=1,
...                    roster="samples/shoot-roster/registration.xls", references="samples/shoot/references")  # doctest: +SKIP
"""

from __future__ import annotations

from .errors import BatchInterrupted, BatchUsageError
from .registration import Registration, Student, read_registration
from .roster import Roster, RosterError, Row, read_roster
from .runner import BatchResult, run_batch

__all__ = ["run_batch", "BatchResult", "BatchUsageError", "BatchInterrupted", "read_roster", "Roster", "Row", "RosterError",
           "read_registration", "Registration", "Student"]
