"""The batch's own exceptions: a usage error (exit code 2) and an interrupted run."""

from __future__ import annotations


class BatchUsageError(ValueError):
    """Bad arguments or inputs for the whole batch (exit code 2). ``zh``/``en`` say what to fix."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(en)

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


class BatchInterrupted(RuntimeError):
    """The run stopped before the end (Ctrl-C, workers keep dying); the journal keeps what is done."""
