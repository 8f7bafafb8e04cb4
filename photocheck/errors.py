"""Errors a user can act on: each names the file and the problem, in Chinese and English."""

from __future__ import annotations


class PhotoError(Exception):
    """A photo (or reference, or roster) that cannot be used, with a message a person can act on.

    ``code`` is a stable machine-readable reason (``missing``, ``empty``, ``not_image``,
    ``truncated``, ``too_large``, ``unreadable``, ``no_face`` …).
    """

    def __init__(self, file: str, code: str, zh: str, en: str):
        self.file = file
        self.code = code
        self.zh = zh
        self.en = en
        super().__init__(f"{file}: {en}")

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en
