"""People-facing text of the batch in both report languages.

Notes and reasons are made deep in the readers (the log, the registration form, the shots folder)
long before the report's language matters, and several callers and tests read them as plain
English strings. :class:`Said` is such a string — its value is the English text — that also
carries the Chinese and, where there is one, a machine-readable code; :func:`say` picks the
report's language at the end.
"""

from __future__ import annotations


class Said(str):
    """English text (the string itself) with its Chinese (``zh``) and an optional ``code``.

    >>> s = Said("not an image file", "不是图片文件", "not_image")
    >>> s == "not an image file", say(s, "zh"), say(s, "en"), s.code
    (True, '不是图片文件', 'not an image file', 'not_image')
    """

    zh: str
    code: str | None

    def __new__(cls, en: str, zh: str | None = None, code: str | None = None) -> Said:
        s = super().__new__(cls, en)
        s.zh = en if zh is None else zh  # pickling calls __new__(cls, en) and then restores zh and code
        s.code = code
        return s


def say(text, lang: str) -> str:
    """``text`` in ``lang`` ("zh" or "en") as a plain string; a plain string is returned as it is."""
    if isinstance(text, Said):
        return text.zh if lang == "zh" else str(text)
    return "" if text is None else str(text)
