"""photocheck: check graduation photos against the CHSI (学信网) photo rules, offline.

>>> import photocheck
>>> report = photocheck.check("samples/upload/london_005.jpg", lang="en")  # doctest: +SKIP
>>> report.ok  # doctest: +SKIP
True
>>> [r.id for r in photocheck.rules()][:3]
['file.read', 'file.format', 'file.size']
"""

from __future__ import annotations

__version__ = "0.1.0"

from .analysis import Analysis, analyse
from .check import check
from .batch import BatchResult, run_batch
from .errors import PhotoError
from .fix import FixResult, fix
from .inference import models_check
from .io import LoadedImage, load
from .references import Reference, load_references
from .report import Finding, Report, Status
from .rules import Rule, all_rules as rules
from .spec import Limit, Spec, SpecError, load_spec

__all__ = [
    "__version__", "check", "fix", "analyse", "load", "load_spec", "rules", "models_check", "FixResult", "run_batch", "BatchResult", "load_references", "Reference",
    "Analysis", "LoadedImage", "Report", "Finding", "Status", "Rule", "Spec", "Limit", "SpecError", "PhotoError",
]
