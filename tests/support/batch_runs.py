"""Helpers for tests that rerun a finished batch: reuse its journal, read its students by shot."""

from __future__ import annotations

import shutil
from pathlib import Path


def seeded(tmp_path: Path, run) -> Path:
    """A fresh output folder holding ``run``'s journal, so a rerun into it analyses nothing again."""
    out = tmp_path / "out"
    shutil.copytree(Path(run.out_dir) / ".photocheck", out / ".photocheck")
    return out


def by_shot(result) -> dict:
    """A batch result's students keyed by shot number (students without a log row left out)."""
    return {s["shot_no"]: s for s in result.students if s["shot_no"] is not None}
