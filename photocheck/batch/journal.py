"""The journal: an append-only record of finished analyses in ``OUT_DIR/.photocheck/``, so a rerun
after Ctrl-C, a killed worker or a crash skips what is done and gives the same result."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from .atomic import atomic_write
from .work import RECORD_VERSION

STATE_DIR = ".photocheck"


class Journal:
    """Append-only JSON-lines record of finished analyses, keyed by file content (SHA-256) and task
    kind. Each line is flushed and fsynced as it is written; a torn last line (killed mid-write) is
    ignored. Upload candidates are staged as files beside it, not inside the lines."""

    def __init__(self, state_dir: Path, lang: str):
        self.dir = state_dir
        self.path = state_dir / "journal.jsonl"
        self.staged = state_dir / "staged"
        self.lang = lang
        self.records: dict[str, dict] = {}
        #: reads that failed this run (the file moved, was deleted or locked): in memory only, and not
        #: "done" — a rescan that finds the bytes again analyses them; the report says why if not
        self.unread: dict[str, dict] = {}
        state_dir.mkdir(parents=True, exist_ok=True)
        self.staged.mkdir(exist_ok=True)
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if rec.get("v") == RECORD_VERSION:
                        self.records[rec["key"]] = rec
        self._fh = open(self.path, "a", encoding="utf-8")

    def add(self, key: str, rec: dict) -> None:
        upload = rec.pop("upload", None)
        if upload is not None:
            staged = self.staged / f"{rec['sha256']}.jpg"
            if not staged.exists():
                atomic_write(staged, base64.b64decode(upload))
            rec["staged"] = staged.name
        rec["key"] = key
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.records[key] = rec

    def staged_bytes(self, rec: dict) -> bytes | None:
        p = self.staged / rec["staged"] if rec.get("staged") else None
        return p.read_bytes() if p and p.exists() else None

    def close(self) -> None:
        self._fh.close()
